// `sixbench run`: the conformance run against the built-in reference UA and IRP stub (docs/run.md).
// Exit status: 0 when every case passes (skips allowed), 1 when a case fails or the catalogue
// cites a requirement docs/spec.md does not define, 2 for bad usage (unknown suite or case id).
import type { Command } from 'commander';
import { CatalogueError, SelectionError, UnknownRequirementError } from '../run/catalogue.js';
import { formatSummary, writeReport } from '../run/report.js';
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_SEED, runConformance } from '../run/runner.js';
import { UsageError } from './run-main.js';
import { iutFromOptions, type IutCliOptions } from './run-iut.js';
import { ExpectationsError } from '../run/expectations.js';

interface RunCommandOptions {
  seed: string;
  out: string;
  suite: string[];
  case: string[];
  json?: boolean;
  concurrency: string;
  timeout: string;
}

type RunCommandAllOptions = RunCommandOptions & IutCliOptions;

const SEED_SYNTAX = /^[A-Za-z0-9._-]{1,64}$/;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(text: string, what: string): number {
  if (!/^[1-9][0-9]{0,6}$/.test(text)) throw new UsageError(`${what} must be a positive integer, got "${text}".`);
  return Number(text);
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the conformance suites against the reference UA and IRP stub, and write DIR/run-<seed>.json')
    .option('--seed <S>', 'seed of the run: PKI, keys, UAs (letters, digits, ".", "_", "-")', DEFAULT_SEED)
    .option('--out <DIR>', 'directory of the report', 'reports')
    .option('--suite <NAME>', 'run this suite (repeatable): interop, knobs, certificates, vectors, irp', collect, [])
    .option('--case <ID>', 'run this case (repeatable), e.g. knob.finished.corruptValue', collect, [])
    .option('--json', 'print the report JSON on stdout instead of the summary')
    .option('--concurrency <N>', 'cases run at the same time', String(DEFAULT_CONCURRENCY))
    .option('--timeout <MS>', 'time limit of one case in milliseconds', String(DEFAULT_CASE_TIMEOUT_MS))
    .option('--iut <FILE>', 'judge the implementation this iut.json describes (docs/adapter.md) instead of the reference against itself')
    .option('--iut-endpoint <HOST:PORT>', 'judge a UA already listening there (responder-side cases, level 1)')
    .option('--iut-user <ID>', 'with --iut-endpoint: the user ID it answers as')
    .option('--iut-anchor <FILE>', "with --iut-endpoint: PEM trust anchor of its certificate")
    .option('--expectations <FILE>', 'cases (ids or globs) expected to fail, one per line with the reason')
    .action(async (opts: RunCommandAllOptions) => {
      if (!SEED_SYNTAX.test(opts.seed)) throw new UsageError(`the seed must be 1 to 64 letters, digits, ".", "_" or "-", got "${opts.seed}".`);
      const concurrency = positiveInteger(opts.concurrency, '--concurrency');
      const caseTimeoutMs = positiveInteger(opts.timeout, '--timeout');
      const { iut, expectations } = iutFromOptions(opts);
      let report;
      try {
        report = await runConformance({ seed: opts.seed, suites: opts.suite, caseIds: opts.case, concurrency, caseTimeoutMs, ...(iut ? { iut } : {}), ...(expectations ? { expectations } : {}) });
      } catch (err) {
        if (err instanceof SelectionError || err instanceof ExpectationsError) throw new UsageError(err.message, 2);
        if (err instanceof UnknownRequirementError || err instanceof CatalogueError) throw new UsageError(`the run cannot start: ${err.message}`, 1);
        throw err;
      }
      const file = await writeReport(opts.out, report);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatSummary(report, { color: process.stdout.isTTY === true, reportFile: file }));
      const s = report.summary;
      process.exitCode = s.failed + (s.errors ?? 0) + (s.unexpectedPasses ?? 0) > 0 ? 1 : 0;
    });
}
