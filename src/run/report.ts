// The run report (docs/run.md "Report format"): DIR/run-<seed>.json, written atomically, and the
// human summary on stdout. `cases` holds only what follows from the seed, so two runs with one
// seed give equal `cases`; wall-clock values live in `started` and `timings`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import type { Requirement } from '../spec/requirements.js';
import type { Provenance } from '../report/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { REPO_ROOT } from './catalogue.js';
import { SUITES, type CaseResult, type SuiteName, type Verdict } from './model.js';
import { mustCoverage } from './coverage.js';
import type { IutRunInfo } from './iut-session.js';

export const REPORT_FORMAT = 'sixbench-run-report/1';

export interface RunReport {
  format: typeof REPORT_FORMAT;
  tool: { name: 'sixbench'; version: string };
  seed: string;
  /** When the run started (ISO 8601). */
  started: string;
  summary: {
    total: number;
    passed: number;
    failed: number;
    skipped: number;
    /** Cases that could not be judged because the implementation under test misbehaved as a process. */
    errors?: number;
    /** --expectations: failures (and errors) the baseline expected; not counted in `failed` / `errors`. */
    expectedFailures?: number;
    /** --expectations: cases the baseline expected to fail that passed (they fail the run). */
    unexpectedPasses?: number;
    /** `error` only when a case of the suite was one (runs against an implementation under test). */
    suites: Partial<Record<SuiteName, Record<'pass' | 'fail' | 'skip', number> & { error?: number }>>;
    /**
     * The bench's own detection power: knob cases (forms detect, observe, accept) whose deviation it
     * told apart from conforming behaviour, of those run; and the tolerate-form cases that passed.
     */
    knobs: { detected: number; total: number; tolerated: number; tolerateTotal: number };
  };
  /** Every case run, in catalogue order. */
  cases: CaseResult[];
  /** For every MUST of docs/spec.md, the ids of the cases of this run that cite it; and the MUSTs no case of this run covers. */
  coverage: {
    musts: number;
    covered: number;
    byRequirement: Record<string, string[]>;
    uncovered: string[];
    /** MUSTs cited by a case of this run that ran and can fail on them (not only the positive interop matrix, src/run/coverage.ts). */
    verified?: number;
  };
  /** The adversary's self-test, when the run carries one: cases that told a broken reference apart from a conforming one. */
  adversaryDetection?: { detected: number; total: number; byFamily: Record<string, { detected: number; total: number }> };
  timings: { totalMs: number; setupMs: number; cases: Record<string, number> };
  /** Present when the run was interrupted (SIGINT): `cases` and the counts hold only the cases that finished. */
  interrupted?: true;
  /** What produced the report: bench version and commit, Node, OpenSSL, spec (src/report/provenance.ts). */
  provenance?: Provenance;
  /** The implementation under test; absent for the built-in reference UA. */
  iut?: IutRunInfo;
  /** The share of the catalogue this report covers (--shard I/N). */
  shard?: { index: number; count: number };
  /** Which cases kept their captures (--captures). */
  captures?: { mode: 'none' | 'failed' | 'all' };
}

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildReport(input: {
  seed: string;
  started: Date;
  requirements: readonly Requirement[];
  cases: CaseResult[];
  timings: RunReport['timings'];
  iut?: IutRunInfo;
  /** Add errors, expectedFailures, unexpectedPasses to the summary (runs against an IUT, or with --expectations). */
  extended?: boolean;
}): RunReport {
  const count = (v: Verdict, list: readonly CaseResult[] = input.cases): number =>
    list.filter((c) => c.verdict === v && !((v === 'fail' || v === 'error') && c.expectedFailure !== undefined)).length;
  const suites: RunReport['summary']['suites'] = {};
  for (const suite of SUITES) {
    const inSuite = input.cases.filter((c) => c.suite === suite);
    if (inSuite.length > 0) {
      const errors = count('error', inSuite);
      suites[suite] = { pass: count('pass', inSuite), fail: count('fail', inSuite), skip: count('skip', inSuite), ...(errors > 0 ? { error: errors } : {}) };
    }
  }
  const knobCases = input.cases.filter((c) => c.suite === 'knobs' && c.verdict !== 'skip' && c.form !== 'tolerate');
  const tolerateCases = input.cases.filter((c) => c.suite === 'knobs' && c.verdict !== 'skip' && c.form === 'tolerate');
  const byRequirement: Record<string, string[]> = {};
  const musts = input.requirements.filter((r) => r.level === 'MUST');
  for (const r of musts) byRequirement[r.id] = input.cases.filter((c) => c.requirements.includes(r.id)).map((c) => c.id);
  const uncovered = musts.filter((r) => byRequirement[r.id]!.length === 0).map((r) => r.id);
  return {
    format: REPORT_FORMAT,
    tool: { name: 'sixbench', version: toolVersion() },
    seed: input.seed,
    started: input.started.toISOString(),
    summary: {
      total: input.cases.length,
      passed: count('pass'),
      failed: count('fail'),
      skipped: count('skip'),
      ...(input.extended || input.iut
        ? {
            errors: count('error'),
            expectedFailures: input.cases.filter((c) => c.expectedFailure !== undefined && !c.unexpectedPass).length,
            unexpectedPasses: input.cases.filter((c) => c.unexpectedPass === true).length,
          }
        : {}),
      suites,
      knobs: {
        detected: count('pass', knobCases),
        total: knobCases.length,
        tolerated: count('pass', tolerateCases),
        tolerateTotal: tolerateCases.length,
      },
    },
    ...adversaryDetection(input.cases),
    cases: input.cases,
    coverage: {
      musts: musts.length,
      covered: musts.length - uncovered.length,
      byRequirement,
      uncovered,
      verified: mustCoverage(input.requirements, input.cases, new Map()).verified,
    },
    timings: input.timings,
    ...(input.iut ? { iut: input.iut } : {}),
  };
}

/** The adversary families' self-tests of this run, summed (src/run/adversary/cases.ts selfTestCase). */
function adversaryDetection(cases: readonly CaseResult[]): Pick<RunReport, 'adversaryDetection'> {
  const byFamily: Record<string, { detected: number; total: number }> = {};
  for (const c of cases) {
    const st = (c.observed as { selfTest?: { detected: number; total: number } } | undefined)?.selfTest;
    if (st) byFamily[c.suite] = { detected: st.detected, total: st.total };
  }
  const list = Object.values(byFamily);
  if (list.length === 0) return {};
  return { adversaryDetection: { detected: list.reduce((n, f) => n + f.detected, 0), total: list.reduce((n, f) => n + f.total, 0), byFamily } };
}

/** The report's file name for a seed. */
export function reportPath(dir: string, seed: string): string {
  return path.join(dir, `run-${seed}.json`);
}

export async function writeReport(dir: string, report: RunReport): Promise<string> {
  const file = reportPath(dir, report.seed);
  await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/**
 * The human summary: one line per case, and for each failure (h2spec style) the requirement it
 * checks, the outcomes it accepts and what happened; then per-suite counts, the knob detection
 * figure, MUST coverage, and the closing line `N passed, N failed, N skipped`.
 */
export function formatSummary(report: RunReport, opts: { color: boolean; reportFile?: string }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const lines: string[] = [];
  const mark: Record<Verdict, string> = { pass: c.green('PASS'), fail: c.red('FAIL'), skip: c.yellow('SKIP'), error: c.magenta('ERROR') };
  if (report.iut) {
    const i = report.iut;
    lines.push(`implementation under test: ${i.name} ${i.version} (level ${i.capabilities.level}, roles ${i.capabilities.roles.join('/')}, key log ${i.capabilities.keyLog ? 'yes' : 'no'})`);
    lines.push(c.dim(`  command: ${i.command === 'in-process' ? 'in-process' : i.command.join(' ')}`));
    if (i.sanity.conclusion) lines.push(c.red(`  ${i.sanity.conclusion}`));
  }
  let suite: SuiteName | undefined;
  for (const r of report.cases) {
    if (r.suite !== suite) {
      suite = r.suite;
      lines.push('', c.bold(suite));
    }
    const m = r.unexpectedPass ? c.red('XPASS') : r.expectedFailure !== undefined ? c.yellow('XFAIL') : mark[r.verdict];
    const why = r.unexpectedPass ? ` (expected to fail: ${r.expectedFailure}; update the expectations)` : r.expectedFailure !== undefined ? ` (expected: ${r.expectedFailure})` : r.verdict === 'skip' || r.verdict === 'error' ? (r.reason ? ` (${r.reason})` : '') : '';
    lines.push(`  ${m} ${r.id}${why ? c.dim(why) : ''}`);
    if (r.verdict === 'fail' && r.evidence && r.expectedFailure === undefined) {
      for (const req of r.evidence.requirements) lines.push(c.dim(`       ${req.id}: ${req.text}`));
      lines.push(`       accepted: ${r.evidence.expected}`);
      for (const m of r.evidence.mismatches) lines.push(`       ${c.red('happened:')} ${m}`);
      // Relay cases: what the attacker did (the frames it only passed on are in the report file).
      for (const a of r.evidence.attacker ?? []) if (!a.endsWith(': pass')) lines.push(`       ${c.dim('attacker:')} ${a}`);
    }
  }
  lines.push('');
  for (const [name, v] of Object.entries(report.summary.suites)) {
    lines.push(`${name}: ${v.pass} passed, ${v.fail} failed, ${v.skip} skipped${v.error ? `, ${v.error} error(s)` : ''}`);
  }
  const k = report.summary.knobs;
  if (report.summary.suites.knobs) {
    lines.push(`knob detection: ${k.detected} / ${k.total} deviations told apart from conforming behaviour; ${k.tolerated} / ${k.tolerateTotal} harmless ones handled as the spec says`);
  }
  lines.push(`MUST coverage: ${report.coverage.covered} / ${report.coverage.musts} requirements cited by a case of this run (${report.coverage.uncovered.length} not yet)`);
  if (report.coverage.verified !== undefined) {
    lines.push(`MUST verification: ${report.coverage.verified} / ${report.coverage.musts} cited by a case that ran and can fail on them (not only the positive interop matrix; \`sixbench coverage\` lists the rest and why)`);
  }
  const d = report.adversaryDetection;
  if (d) lines.push(`adversary detection: ${d.detected} / ${d.total} cases told a broken reference apart from a conforming one (${Object.entries(d.byFamily).map(([f, v]) => `${f} ${v.detected}/${v.total}`).join(', ')})`);
  if (opts.reportFile) lines.push(`report: ${opts.reportFile}`);
  const s = report.summary;
  if (report.iut) lines.push(`not applicable to an implementation under test: ${report.iut.notApplicable.length} case(s) (listed with the reason in the report, iut.notApplicable)`);
  const errors = s.errors ?? 0;
  const xfail = s.expectedFailures ?? 0;
  const xpass = s.unexpectedPasses ?? 0;
  const extra = [errors > 0 ? `${errors} error(s)` : '', xfail > 0 ? `${xfail} expected failure(s)` : '', xpass > 0 ? `${xpass} unexpected pass(es)` : ''].filter(Boolean);
  const closing = `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`;
  lines.push(s.failed + errors + xpass > 0 ? c.red(closing) : c.green(closing));
  return `${lines.join('\n')}\n`;
}
