// `sixbench run`: the conformance run against the built-in reference UA and IRP stub (docs/run.md).
// Exit status: 0 when every case passes (skips allowed), 1 when a case fails or the catalogue
// cites a requirement docs/spec.md does not define, 2 for bad usage (unknown suite or case id).
import { rmdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { CatalogueError, SelectionError, UnknownRequirementError } from '../run/catalogue.js';
import { formatSummary } from '../run/report.js';
import { CAPTURE_MODES, type CaptureMode } from '../run/captures.js';
import { createRunFolder, parseReportFormats, writeRunOutputs } from '../run/outputs.js';
import { parseShard, ShardSyntaxError, type Shard } from '../run/shard.js';
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_SEED, runConformance } from '../run/runner.js';
import { UsageError } from './run-main.js';

interface RunCommandOptions {
  seed: string;
  out: string;
  suite: string[];
  case: string[];
  json?: boolean;
  concurrency: string;
  timeout: string;
  captures: string;
  report: string;
  shard?: string;
}

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
    .option('--captures <WHICH>', 'keep the packet capture and key log of: none, failed or all cases', 'failed')
    .option('--report <FORMATS>', 'report formats besides JSON, comma-separated: json, junit, tap, html, md', 'json')
    .option('--shard <I/N>', 'run the I-th of N stable, balanced shares of the cases (merge with `sixbench report merge`)')
    .action(async (opts: RunCommandOptions) => {
      if (!SEED_SYNTAX.test(opts.seed)) throw new UsageError(`the seed must be 1 to 64 letters, digits, ".", "_" or "-", got "${opts.seed}".`);
      const concurrency = positiveInteger(opts.concurrency, '--concurrency');
      const caseTimeoutMs = positiveInteger(opts.timeout, '--timeout');
      if (!(CAPTURE_MODES as readonly string[]).includes(opts.captures)) throw new UsageError(`--captures takes none, failed or all, got "${opts.captures}".`);
      const { formats, unknown } = parseReportFormats(opts.report);
      if (unknown.length > 0) throw new UsageError(`--report: unknown format ${unknown.map((u) => `"${u}"`).join(', ')}; the formats are json, junit, tap, html, md.`);
      let shard: Shard | undefined;
      try {
        shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
      } catch (err) {
        if (err instanceof ShardSyntaxError) throw new UsageError(err.message);
        throw err;
      }
      const runDir = await createRunFolder(opts.out, opts.seed, new Date());
      let report;
      try {
        report = await runConformance({ seed: opts.seed, suites: opts.suite, caseIds: opts.case, concurrency, caseTimeoutMs, captures: opts.captures as CaptureMode, runDir, shard });
      } catch (err) {
        // A run that never started leaves no folder behind (rmdir refuses a folder with files in it).
        await rmdir(runDir).catch(() => undefined);
        if (err instanceof SelectionError) throw new UsageError(err.message, 2);
        if (err instanceof UnknownRequirementError || err instanceof CatalogueError) throw new UsageError(`the run cannot start: ${err.message}`, 1);
        throw err;
      }
      const written = await writeRunOutputs(opts.out, runDir, report, formats);
      const file = written.json!;
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatSummary(report, { color: process.stdout.isTTY === true, reportFile: file }));
      process.exitCode = report.summary.failed > 0 ? 1 : 0;
    });
}
