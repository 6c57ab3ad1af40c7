// `sixbench run`: the conformance run against the built-in reference UA and IRP stub (docs/run.md).
import { rmdir } from 'node:fs/promises';
// Exit status (RUN_EXIT_STATUSES, also in `run --help`): 0 every case passed (skips allowed),
// 1 a case failed or the catalogue cites a requirement docs/spec.md does not define, 2 bad usage,
// 3 the bench could not run, 130 interrupted (SIGINT; the report holds the finished cases).
import type { Command } from 'commander';
import { CatalogueError, loadCatalogue, selectCases, SelectionError, SUITES_DIR, UnknownRequirementError } from '../run/catalogue.js';
import { formatSummary } from '../run/report.js';
import { CAPTURE_MODES, type CaptureMode } from '../run/captures.js';
import { createRunFolder, parseReportFormats, writeRunOutputs } from '../run/outputs.js';
import { parseShard, ShardSyntaxError, type Shard } from '../run/shard.js';
import { BenchCannotRunError, DEFAULT_CASE_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_SEED, runConformance } from '../run/runner.js';
import { prepareOutputDir, problemOf } from './paths.js';
import { colorWanted, ProgressLine } from './progress.js';
import { CANNOT_RUN_EXIT, UsageError } from './run-main.js';

/** 128 + SIGINT, as a shell reports a command ended by Ctrl-C. */
export const INTERRUPTED_EXIT = 130;

export const RUN_EXIT_STATUSES = `Exit status:
  0    every case passed (skipped cases allowed)
  1    a case failed, or the catalogue cites a requirement docs/spec.md does not define
  2    bad usage (unknown option, suite or case; a malformed value; an unusable --out folder)
  3    the bench could not run (its IRP stub or users did not start; the report could not be written)
  130  interrupted (Ctrl-C): the report holds the cases that finished, marked "interrupted": true`;
import { iutFromOptions, type IutCliOptions } from './run-iut.js';
import { selectIutCases } from '../run/iut-session.js';
import { ExpectationsError } from '../run/expectations.js';

interface RunCommandOptions {
  seed: string;
  out: string;
  suite: string[];
  case: string[];
  json?: boolean;
  list?: boolean;
  concurrency: string;
  timeout: string;
  captures: string;
  report: string;
  shard?: string;
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
    .option('--suite <NAME>', 'run this suite (repeatable): interop, knobs, certificates, vectors, irp, relay, ordering, syntax, records, limits, reflection, key-transport', collect, [])
    .option('--case <ID>', 'run this case (repeatable); a glob selects several: knob.hello.* ("*" any characters, "?" one)', collect, [])
    .option('--json', 'print the report JSON on stdout instead of the summary')
    .option('--list', 'list the selected cases (id, title, requirement ids) without running them')
    .option('--concurrency <N>', 'cases run at the same time', String(DEFAULT_CONCURRENCY))
    .option('--timeout <MS>', 'time limit of one case in milliseconds', String(DEFAULT_CASE_TIMEOUT_MS))
    .option('--captures <WHICH>', 'keep the packet capture and key log of: none, failed or all cases', 'failed')
    .option('--report <FORMATS>', 'report formats besides JSON, comma-separated: json, junit, tap, html, md', 'json')
    .option('--shard <I/N>', 'run the I-th of N stable, balanced shares of the cases (merge with `sixbench report merge`)')
    .option('--iut <FILE>', 'judge the implementation this iut.json describes (docs/adapter.md) instead of the reference against itself')
    .option('--iut-endpoint <HOST:PORT>', 'judge a UA already listening there (responder-side cases, level 1)')
    .option('--iut-user <ID>', 'with --iut-endpoint: the user ID it answers as')
    .option('--iut-anchor <FILE>', "with --iut-endpoint: PEM trust anchor of its certificate")
    .option('--expectations <FILE>', 'cases (ids or globs) expected to fail, one per line with the reason')
    .addHelpText('after', `\n${RUN_EXIT_STATUSES}\n\nWhile it runs on a terminal, one line shows the cases done, the failures so far and the time\nelapsed (none when the output is not a terminal). NO_COLOR turns colour off.`)
    .action(async (opts: RunCommandAllOptions) => {
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
      if (opts.list) return listCases(opts);
      const { iut, expectations } = iutFromOptions(opts);
      // The selection is checked before the report folder is made: a typo in --case creates nothing.
      let total: number;
      try {
        const catalogue = loadCatalogue(SUITES_DIR);
        total = iut ? selectIutCases(catalogue, iut, { suites: opts.suite, caseIds: opts.case }).cases.length : selectCases(catalogue, { suites: opts.suite, caseIds: opts.case }).length;
      } catch (err) {
        if (err instanceof SelectionError) throw new UsageError(err.message, 2);
        if (err instanceof CatalogueError) throw new UsageError(`the run cannot start: ${err.message}`, 1);
        throw err;
      }
      const outDir = await prepareOutputDir(opts.out, 'the report folder');
      const runDir = await createRunFolder(outDir, opts.seed, new Date());
      const progress = new ProgressLine(process.stdout, total);
      // Ctrl-C: the running cases end and release what they opened, and the finished ones are
      // reported (issue 11 §4). A second Ctrl-C finds no handler and ends the process at once.
      const interrupt = new AbortController();
      const onSigint = (): void => {
        progress.clear();
        process.stderr.write('sixbench: interrupted; ending the running cases and writing the report of the finished ones\n');
        interrupt.abort();
      };
      process.once('SIGINT', onSigint);
      let report;
      try {
        report = await runConformance({
          seed: opts.seed,
          suites: opts.suite,
          caseIds: opts.case,
          concurrency,
          caseTimeoutMs,
          signal: interrupt.signal,
          captures: opts.captures as CaptureMode,
          runDir,
          shard,
          ...(iut ? { iut } : {}),
          ...(expectations ? { expectations } : {}),
          onResult: opts.json ? undefined : (r) => progress.record(r.verdict),
        });
      } catch (err) {
        // A run that never started leaves no folder behind (rmdir refuses a folder with files in it).
        await rmdir(runDir).catch(() => undefined);
        if (err instanceof SelectionError || err instanceof ExpectationsError) throw new UsageError(err.message, 2);
        if (err instanceof UnknownRequirementError || err instanceof CatalogueError) throw new UsageError(`the run cannot start: ${err.message}`, 1);
        if (err instanceof BenchCannotRunError) throw new UsageError(`the bench could not run: ${err.message}`, CANNOT_RUN_EXIT);
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
        progress.clear();
      }
      let file: string;
      try {
        file = (await writeRunOutputs(outDir, runDir, report, formats)).json!;
      } catch (err) {
        throw new UsageError(`the run ended but its report could not be written in ${outDir}: ${problemOf(err)}.`, CANNOT_RUN_EXIT);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatSummary(report, { color: colorWanted(process.stdout), reportFile: file }));
      if (report.interrupted) {
        if (!opts.json) process.stdout.write(`interrupted: ${report.summary.total} of ${total} cases finished\n`);
        process.exitCode = INTERRUPTED_EXIT;
        return;
      }
      const s = report.summary;
      process.exitCode = s.failed + (s.errors ?? 0) + (s.unexpectedPasses ?? 0) > 0 ? 1 : 0;
    });
}

/** `run --list`: the selected cases, one line each (or JSON), without starting anything. */
function listCases(opts: RunCommandOptions): void {
  let cases;
  try {
    cases = selectCases(loadCatalogue(SUITES_DIR), { suites: opts.suite, caseIds: opts.case });
  } catch (err) {
    if (err instanceof SelectionError || err instanceof CatalogueError) throw new UsageError(err.message, 2);
    throw err;
  }
  if (opts.json) {
    const list = cases.map((c) => ({ id: c.id, suite: c.suite, title: c.title, requirements: c.requirements, ...(c.disabled !== undefined ? { disabled: c.disabled } : {}) }));
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  const width = Math.max(0, ...cases.map((c) => c.id.length));
  for (const c of cases) {
    const disabled = c.disabled !== undefined ? ` (disabled: ${c.disabled})` : '';
    process.stdout.write(`${c.id.padEnd(width)}  ${c.title}  [${c.requirements.join(', ')}]${disabled}\n`);
  }
  process.stdout.write(`${cases.length} case(s)\n`);
}
