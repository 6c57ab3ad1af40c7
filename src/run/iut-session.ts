// A run against an implementation under test (issue 8): the planned cases selected, the sanity
// case first and last (tlsfuzzer's rule: a dead or non-conforming IUT is said once, not as
// hundreds of failures), a directory per case, and what the report records about the IUT.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImplementationUnderTest, IutCapabilities } from '../iut/door.js';
import { casePattern, SelectionError } from './catalogue.js';
import type { RunEnvironment, Slot } from './environment.js';
import { planIutCases, sanityCase, type NotApplicable } from './iut-plan.js';
import type { CaseResult, CaseSpec } from './model.js';
import { skippedCaptures, type CaptureMode } from './captures.js';

export interface IutSelection {
  cases: CaseSpec[];
  notApplicable: NotApplicable[];
}

/** What the report says about the IUT (report.iut). */
export interface IutRunInfo {
  name: string;
  version: string;
  capabilities: IutCapabilities;
  command: string[] | 'in-process';
  /** Catalogue cases that cannot apply to a third-party implementation, by name, with the reason. */
  notApplicable: NotApplicable[];
  /** The verdict of the sanity case, first and last, and what it means. */
  sanity: { first: string; last: string; conclusion?: string };
}

/**
 * The planned cases of the selected suites / ids (an id may name the catalogue case, which
 * selects both sides, or one side: `<id>@responder`), with the sanity case first and last.
 */
export function selectIutCases(catalogue: readonly CaseSpec[], iut: ImplementationUnderTest, opts: { suites?: readonly string[]; caseIds?: readonly string[] }): IutSelection {
  const plan = planIutCases(catalogue, iut);
  const suites = opts.suites ?? [];
  const ids = opts.caseIds ?? [];
  const known = [...new Set(catalogue.map((c) => c.suite))];
  for (const s of suites) if (!known.includes(s as CaseSpec['suite'])) throw new SelectionError(`there is no suite "${s}"; the suites are ${known.join(', ')}.`);
  // An id or a glob (`relay.record.*`, as --help says), matching an IUT case id (`<id>@<side>`) or
  // the catalogue case it was made of (which selects both sides).
  const patterns = ids.map(casePattern);
  const matches = (c: CaseSpec, p: RegExp): boolean => p.test(c.id) || (c.iut !== undefined && p.test(c.iut.of));
  ids.forEach((id, n) => {
    if (plan.cases.some((c) => matches(c, patterns[n]!))) return;
    const na = plan.notApplicable.find((x) => patterns[n]!.test(x.id));
    throw new SelectionError(na ? `case "${id}" does not apply to an implementation under test: ${na.reason}.` : `there is no case "${id}" for an implementation under test.`);
  });
  const chosen = suites.length === 0 && ids.length === 0 ? plan.cases : plan.cases.filter((c) => suites.includes(c.suite) || patterns.some((p) => matches(c, p)));
  const na = suites.length === 0 && ids.length === 0 ? plan.notApplicable : plan.notApplicable.filter((n) => suites.some((s) => n.id.startsWith(`${s === 'knobs' ? 'knob' : s === 'certificates' ? 'cert' : s}.`)));
  return { cases: [sanityCase(iut, 'first'), ...chosen, sanityCase(iut, 'last')], notApplicable: na };
}

const NOT_RUN = 'not run: the sanity case did not pass';

export async function runIutCases(input: {
  iut: ImplementationUnderTest;
  plan: IutSelection;
  env: RunEnvironment;
  seed: string;
  concurrency: number;
  results: CaseResult[];
  durations: Record<string, number>;
  onResult?: ((r: CaseResult) => void) | undefined;
  /** Which cases keep captures: with `all`, a case not run says it has none. */
  captures?: CaptureMode;
  run: (spec: CaseSpec, slot: Slot, workRoot: string) => Promise<CaseResult>;
  keepWorkDirs?: boolean;
}): Promise<IutRunInfo> {
  const { iut, plan, env, results, durations } = input;
  const cases = plan.cases;
  const workRoot = await mkdtemp(path.join(os.tmpdir(), 'sixbench-iut-'));
  const one = async (i: number, slot: Slot): Promise<void> => {
    const t0 = Date.now();
    results[i] = await input.run(cases[i]!, slot, workRoot);
    durations[cases[i]!.id] = Date.now() - t0;
    input.onResult?.(results[i]!);
  };
  const sanity: IutRunInfo['sanity'] = { first: 'not run', last: 'not run' };
  try {
    await one(0, env.slots[0]!);
    sanity.first = results[0]!.verdict;
    const last = cases.length - 1;
    if (results[0]!.verdict !== 'pass') {
      sanity.conclusion = `the IUT is not reachable or not conforming at all: the sanity case ${results[0]!.verdict === 'error' ? 'could not be judged' : 'failed'} (${results[0]!.reason ?? ''}); no other case was run`;
      for (let i = 1; i <= last; i++) {
        const c = cases[i]!;
        results[i] = { id: c.id, suite: c.suite, title: c.title, requirements: c.requirements, ...(c.form ? { form: c.form } : {}), verdict: 'skip', reason: NOT_RUN, ...(c.iut ? { iut: { ...c.iut, checks: [] } } : {}), ...(input.captures === 'all' ? { captures: skippedCaptures(NOT_RUN) } : {}) };
      }
    } else {
      const middle = Array.from({ length: last - 1 }, (_, k) => k + 1);
      const workers = Math.min(input.concurrency, Math.max(1, middle.length));
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let k = w; k < middle.length; k += workers) await one(middle[k]!, env.slots[w]!);
        }),
      );
      await one(last, env.slots[0]!);
      sanity.last = results[last]!.verdict;
      if (results[last]!.verdict !== 'pass') sanity.conclusion = `the IUT stopped working during the run: the sanity case passed first but not last (${results[last]!.reason ?? ''})`;
    }
  } finally {
    if (!input.keepWorkDirs) await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  return { name: iut.name, version: iut.version, capabilities: iut.capabilities, command: iut.command, notApplicable: plan.notApplicable, sanity };
}
