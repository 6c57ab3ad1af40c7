// `sixbench run`: loads the requirements and the case catalogue (refusing to start when a case
// cites an unknown requirement id), builds the run's environment from the seed, runs the selected
// cases with bounded concurrency and a per-case timeout, and returns the results in catalogue order.
//
// Determinism: worker w runs the cases whose id hashes to w modulo the concurrency, always with
// the same slot of users, and every UA is seeded from the run's seed and the case id; so a seed
// gives the same verdicts and the same `cases` run after run, and a case observes the same bytes
// whichever other cases are selected or sharded with it. Timings are
// kept apart (RunReport.timings).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadRequirements, type Requirement } from '../spec/requirements.js';
import { checkRequirementIds, loadCatalogue, REPO_ROOT, selectCases, SUITES_DIR } from './catalogue.js';
import { runConversation } from './conversation.js';
import { CaseScope } from './case-scope.js';
import { RunEnvironment, type Slot } from './environment.js';
import { runKeyLogCheck } from './keylog-check.js';
import { runRelayCase } from './relay-run.js';
import { UA_CHECK_FUNCTIONS } from './ua-checks.js';
import { runIrpCheck, type CheckResult } from './irp-checks.js';
import { judgeConversation } from './judge.js';
import type { CaseResult, CaseSpec, Evidence } from './model.js';
import { buildReport, type RunReport } from './report.js';
import { runVectorCheck, VECTORS_DIR } from './vector-checks.js';
import { CaptureWriter, caseCaptureFiles, skippedCaptures, type CaptureMode, type CaseWire } from './captures.js';
import { shardCases, type Shard } from './shard.js';
import { provenance } from '../report/provenance.js';
import { runAdversaryCase } from './adversary/run-case.js';
import type { ImplementationUnderTest } from '../iut/door.js';
import { applyExpectations, checkExpectations, type Expectation } from './expectations.js';
import { executeIutCase } from './iut-run.js';
import { runIutCases, selectIutCases, type IutRunInfo } from './iut-session.js';

export const DEFAULT_SEED = 'sixbench-run';
export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_CASE_TIMEOUT_MS = 8000;
/**
 * How long the end of a case may take to release what it opened (sockets destroyed, servers
 * closed, the check itself settled). Every release is immediate; the bound only keeps a defect of
 * the bench from hanging the run, and is reported as one.
 */
export const CASE_RELEASE_GRACE_MS = 5000;
export const SPEC_PATH = path.join(REPO_ROOT, 'docs', 'spec.md');

export interface RunOptions {
  seed?: string;
  suites?: readonly string[];
  caseIds?: readonly string[];
  concurrency?: number;
  caseTimeoutMs?: number;
  specPath?: string;
  suitesDir?: string;
  vectorsDir?: string;
  /** Use these cases instead of the catalogue (tests). */
  cases?: CaseSpec[];
  /** Called as each case finishes (progress output); results still come back in catalogue order. */
  onResult?: (result: CaseResult) => void;
  /**
   * Interrupts the run (SIGINT): no case starts after it, the running ones end at once and release
   * what they opened, and the report holds the cases that finished before, marked interrupted.
   */
  signal?: AbortSignal;
  /** Which cases keep their capture and key log (docs/run.md "Captures"); default none. */
  captures?: CaptureMode;
  /** The run folder the captures go to (required unless captures is none). */
  runDir?: string;
  /** Run only this share of the selected cases (--shard I/N). */
  shard?: Shard;
  /** Judge this implementation under test instead of the reference against itself (issue 8, src/run/iut-*.ts). */
  iut?: ImplementationUnderTest;
  /** --expectations: cases expected to fail, with reasons (src/run/expectations.ts). */
  expectations?: { file: string; entries: Expectation[] };
}

/** The bench itself could not run (its environment did not start): not a verdict on anything (exit status 3). */
export class BenchCannotRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchCannotRunError';
  }
}

export async function runConformance(opts: RunOptions = {}): Promise<RunReport> {
  const started = new Date();
  const seed = opts.seed ?? DEFAULT_SEED;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const timeoutMs = opts.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const requirements = loadRequirements(await readFile(opts.specPath ?? SPEC_PATH, 'utf8'));
  const catalogue = opts.cases ?? loadCatalogue(opts.suitesDir ?? SUITES_DIR);
  checkRequirementIds(catalogue, new Set(requirements.map((r) => r.id)));
  const iutSelection = opts.iut ? selectIutCases(catalogue, opts.iut, { suites: opts.suites, caseIds: opts.caseIds }) : undefined;
  const selected = iutSelection ? iutSelection.cases : shardCases(selectCases(catalogue, { suites: opts.suites, caseIds: opts.caseIds }), opts.shard);
  if (opts.expectations) checkExpectations(opts.expectations.entries, selected.map((c) => c.id), opts.expectations.file);
  const byId = new Map(requirements.map((r) => [r.id, r]));

  const setupStart = Date.now();
  const needsEnvironment = selected.some((c) => c.disabled === undefined && c.action.kind !== 'vectors');
  let env: RunEnvironment | undefined;
  try {
    env = needsEnvironment ? await RunEnvironment.start({ seed, slots: concurrency }) : undefined;
  } catch (err) {
    throw new BenchCannotRunError(`the run's environment (IRP stub and enrolled users) did not start: ${(err as Error).message}`, { cause: err });
  }
  const setupMs = Date.now() - setupStart;

  const results: CaseResult[] = new Array(selected.length);
  const durations: Record<string, number> = {};
  const captureWriter = (opts.captures ?? 'none') !== 'none' && opts.runDir ? new CaptureWriter(opts.runDir) : undefined;
  let iutInfo: IutRunInfo | undefined;
  try {
    if (opts.iut && iutSelection && env) {
      iutInfo = await runIutCases({ iut: opts.iut, plan: iutSelection, env, seed, concurrency, results, durations, onResult: opts.onResult, captures: opts.captures ?? 'none',
        run: (spec, slot, workRoot) => runCase(spec, { env, slot, seed, timeoutMs, byId, vectorsDir: opts.vectorsDir ?? VECTORS_DIR, iut: opts.iut, workRoot, interrupt: opts.signal, captures: opts.captures ?? 'none', captureWriter }) });
    } else await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (const i of workerShare(selected, w, concurrency)) {
          if (opts.signal?.aborted) break;
          const spec = selected[i]!;
          const t0 = Date.now();
          const result = await runCase(spec, { env, slot: env?.slots[w], seed, timeoutMs, byId, vectorsDir: opts.vectorsDir ?? VECTORS_DIR, interrupt: opts.signal, captures: opts.captures ?? 'none', captureWriter });
          // A case cut short by the interruption did not finish: it is left out of the report.
          if (opts.signal?.aborted) break;
          results[i] = result;
          durations[spec.id] = Date.now() - t0;
          opts.onResult?.(results[i]!);
        }
      }),
    );
  } finally {
    await env?.close();
  }
  // The report links the captures: every one is written, or its case says why not, before it is built.
  let unwritten: ReadonlyMap<string, string> = new Map();
  try {
    if (captureWriter) unwritten = await captureWriter.flush();
  } catch (err) {
    throw new BenchCannotRunError(`the captures folder could not be made durable: ${(err as Error).message}`, { cause: err });
  }
  results.forEach((r, i) => {
    const problem = r && unwritten.get(r.id);
    if (problem) results[i] = evidenceUnwritten(r, selected[i]!, problem, byId);
  });
  const interrupted = opts.signal?.aborted === true;
  if (opts.expectations) applyExpectations(results, opts.expectations.entries);
  const finished = interrupted ? results.filter((r) => r !== undefined) : results;
  const report: RunReport = buildReport({ seed, started, requirements, cases: finished, timings: { totalMs: Date.now() - started.getTime(), setupMs, cases: durations }, ...(iutInfo ? { iut: iutInfo } : {}), extended: opts.expectations !== undefined });
  report.provenance = provenance(REPO_ROOT, opts.specPath ?? SPEC_PATH);
  report.captures = { mode: opts.captures ?? 'none' };
  if (opts.shard) report.shard = { index: opts.shard.index, count: opts.shard.count };
  if (interrupted) report.interrupted = true;
  return report;
}

/**
 * The positions of the cases worker `w` runs, in catalogue order. A case's worker, and so its slot
 * of users (their certificates, whose sizes show in what a case observes), follows from its id
 * alone: the same case observes the same bytes whatever else is selected or sharded with it.
 */
function workerShare(selected: readonly CaseSpec[], w: number, concurrency: number): number[] {
  const share: number[] = [];
  selected.forEach((c, i) => {
    if (slotOfCase(c.id, concurrency) === w) share.push(i);
  });
  return share;
}

function slotOfCase(id: string, concurrency: number): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % concurrency;
}

interface CaseContext {
  env: RunEnvironment | undefined;
  slot: Slot | undefined;
  seed: string;
  timeoutMs: number;
  byId: Map<string, Requirement>;
  vectorsDir: string;
  /** The run's interruption: ends the case as its time limit would. */
  interrupt?: AbortSignal | undefined;
  captures?: CaptureMode;
  /** Where kept captures go (the run folder's captures/); absent when captures is none. */
  captureWriter?: CaptureWriter | undefined;
  iut?: ImplementationUnderTest;
  workRoot?: string;
}

function base(spec: CaseSpec): Pick<CaseResult, 'id' | 'suite' | 'title' | 'requirements' | 'form'> {
  return { id: spec.id, suite: spec.suite, title: spec.title, requirements: spec.requirements, ...(spec.form ? { form: spec.form } : {}) };
}

function evidence(spec: CaseSpec, ctx: Pick<CaseContext, 'byId'>, mismatches: string[], extra: Partial<Evidence> = {}): Evidence {
  return {
    requirements: spec.requirements.map((id) => ({ id, text: ctx.byId.get(id)?.text ?? '' })),
    expected: spec.expected,
    mismatches,
    ...extra,
  };
}

export async function runCase(spec: CaseSpec, ctx: CaseContext): Promise<CaseResult> {
  if (spec.disabled !== undefined) return { ...base(spec), verdict: 'skip', reason: spec.disabled, ...(spec.iut ? { iut: { ...spec.iut, checks: [] } } : {}), ...(ctx.captures === 'all' ? { captures: skippedCaptures(spec.disabled) } : {}) };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), spec.timeoutMs ?? ctx.timeoutMs);
  const onInterrupt = (): void => controller.abort();
  ctx.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  if (ctx.interrupt?.aborted) controller.abort();
  const scope = new CaseScope(controller.signal);
  let result: CaseResult;
  try {
    const wires: CaseWire[] = [];
    result = spec.iut ? await guardedIutCase(spec, ctx, scope.signal, wires) : await execute(spec, ctx, scope, wires);
    if (spec.action.kind === 'conversation' || spec.action.kind === 'check') {
      // Against an IUT both parties are seeded from the catalogue case the IUT case was made of
      // (guardedIutCase), so the seeds reported are the ones that reproduce the run.
      const caseSeed = `${ctx.seed}/${spec.iut?.of ?? spec.id}`;
      result.seeds = { initiator: `${caseSeed}/initiator`, responder: `${caseSeed}/responder` };
    }
    const keep = ctx.captures === 'all' || (ctx.captures === 'failed' && result.verdict === 'fail');
    if (keep && wires[0]?.legs.some((l) => l.connections.length > 0) && ctx.captureWriter && ctx.env) {
      const { links, files } = await caseCaptureFiles(spec.id, `${ctx.seed}/${spec.id}`, ctx.env.host, wires[0]);
      // Written in the background; the run awaits them (and takes back these links if they fail).
      await ctx.captureWriter.add(spec.id, files);
      result.captures = links;
    } else if (keep) {
      const none = noConnection(spec, result);
      if (none) result.captures = { pcaps: [], none };
    }
  } catch (err) {
    const message = `the case could not be run: ${(err as Error).message}`;
    result = { ...base(spec), verdict: spec.iut ? 'error' : 'fail', reason: message, evidence: evidence(spec, ctx, [message]) };
  } finally {
    clearTimeout(timer);
    ctx.interrupt?.removeEventListener('abort', onInterrupt);
  }
  // However the case ended, what it opened goes before the next case starts (issue 13 §1).
  controller.abort();
  const unreleased = await scope.release(CASE_RELEASE_GRACE_MS);
  if (unreleased.length === 0) return result;
  const message = `the bench did not release ${unreleased.join(', ')} within ${CASE_RELEASE_GRACE_MS} ms of the end of the case`;
  const mismatches = [...(result.evidence?.mismatches ?? []), message];
  return { ...result, verdict: 'fail', reason: result.reason ?? message, evidence: evidence(spec, ctx, mismatches, { observed: result.observed, ...result.evidence, mismatches }) };
}

/**
 * A case whose capture files could not be written (a full disk, a folder made unwritable): the bench
 * failed to keep its evidence, so the case does not stand as passed, as when a case cannot be run.
 */
function evidenceUnwritten(result: CaseResult, spec: CaseSpec, problem: string, byId: Map<string, Requirement>): CaseResult {
  const message = `the case ran but its captures could not be written: ${problem}`;
  const mismatches = [...(result.evidence?.mismatches ?? []), message];
  return {
    ...result,
    verdict: spec.iut ? 'error' : 'fail',
    reason: message,
    captures: { pcaps: [], none: message },
    evidence: evidence(spec, { byId }, mismatches, { ...result.evidence, mismatches }),
  };
}

/** Why a kept case has no capture, for the cases that open no connection (docs/run.md "Captures"); undefined otherwise. */
function noConnection(spec: CaseSpec, result: CaseResult): string | undefined {
  if (spec.action.kind === 'vectors') return 'the case opens no connection: it checks test vector files';
  if (result.verdict === 'skip') return skippedCaptures(result.reason).none;
  // A case that ended before its first connection was recorded (an IUT that never came up, a time limit).
  if (result.verdict === 'error' || result.verdict === 'fail') return `no connection was recorded: the case ended with ${result.verdict}${result.reason ? ` (${result.reason})` : ''}`;
  return undefined;
}

/** Time the bench allows an IUT case beyond its limit (start-up deadline, SIGTERM grace, SIGKILL) before it gives the verdict anyway. */
export const IUT_CASE_GRACE_MS = 15_000;

/** An IUT case always ends with a verdict within its time limit plus a bounded grace, whatever the IUT does. */
async function guardedIutCase(spec: CaseSpec, ctx: CaseContext, signal: AbortSignal, wires: CaseWire[]): Promise<CaseResult> {
  if (!ctx.env || !ctx.slot || !ctx.iut || !ctx.workRoot) throw new Error('no run environment for an implementation under test');
  const run = executeIutCase(spec, base(spec), { env: ctx.env, slot: ctx.slot, seed: `${ctx.seed}/${spec.iut?.of ?? spec.id}`, signal, iut: ctx.iut, workRoot: ctx.workRoot }, (m, extra) => evidence(spec, ctx, m, extra), wires);
  let guard: NodeJS.Timeout | undefined;
  const late = new Promise<CaseResult>((resolve) => {
    guard = setTimeout(() => {
      const message = `the case did not end within ${spec.timeoutMs ?? ctx.timeoutMs} ms + ${IUT_CASE_GRACE_MS} ms of grace`;
      resolve({ ...base(spec), verdict: 'error', reason: message, evidence: evidence(spec, ctx, [message]) });
    }, (spec.timeoutMs ?? ctx.timeoutMs) + IUT_CASE_GRACE_MS);
  });
  run.catch(() => undefined);
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(guard);
  }
}

async function execute(spec: CaseSpec, ctx: CaseContext, scope: CaseScope, wires: CaseWire[]): Promise<CaseResult> {
  const signal = scope.signal;
  const action = spec.action;
  const caseSeed = `${ctx.seed}/${spec.id}`;
  if (action.kind === 'conversation') {
    if (!ctx.env || !ctx.slot) throw new Error('no run environment');
    const record = await runConversation(action.conversation, { env: ctx.env, slot: ctx.slot, seed: caseSeed, signal, record: (ctx.captures ?? 'none') !== 'none' });
    if (record.wire) wires.push(record.wire);
    const mismatches = judgeConversation(action.conversation.expect, record.observation);
    const observed = record.observation;
    if (mismatches.length === 0) return { ...base(spec), verdict: 'pass', observed };
    return {
      ...base(spec),
      verdict: 'fail',
      reason: mismatches[0]!,
      observed,
      evidence: evidence(spec, ctx, mismatches, { observed, events: record.events }),
    };
  }
  if (action.kind === 'adversary') {
    if (!ctx.env || !ctx.slot) throw new Error('no run environment');
    const keepWire = (ctx.captures ?? 'none') !== 'none' ? (wire: CaseWire) => void wires.push(wire) : undefined;
    return runAdversaryCase(spec, action, { env: ctx.env, slot: ctx.slot, seed: caseSeed, signal, ...(ctx.iut ? { iut: ctx.iut } : {}), ...(keepWire ? { keepWire } : {}) }, (m, extra) => evidence(spec, ctx, m, extra));
  }
  if (action.kind === 'relay') {
    if (!ctx.env || !ctx.slot) throw new Error('no run environment');
    const record = await runRelayCase(action.relay, { env: ctx.env, slot: ctx.slot, seed: caseSeed, signal, record: (ctx.captures ?? 'none') !== 'none' });
    if (record.wire) wires.push(record.wire);
    if (record.mismatches.length === 0) return { ...base(spec), verdict: 'pass', observed: record.observed };
    return {
      ...base(spec),
      verdict: 'fail',
      reason: record.mismatches[0]!,
      observed: record.observed,
      evidence: evidence(spec, ctx, record.mismatches, { observed: record.observed, events: record.events as Evidence['events'], attacker: record.attacker }),
    };
  }
  let check: Promise<CheckResult>;
  if (action.kind === 'vectors') check = runVectorCheck(action.file, ctx.vectorsDir);
  else if (action.kind === 'check') {
    if (!ctx.env || !ctx.slot) throw new Error('no run environment');
    const checkCtx = { env: ctx.env.forCase(scope), slot: ctx.slot, seed: caseSeed };
    check = action.check === 'keylog' ? runKeyLogCheck(checkCtx) : UA_CHECK_FUNCTIONS[action.check](checkCtx);
  } else {
    if (!ctx.env || !ctx.slot) throw new Error('no run environment');
    check = runIrpCheck(action.check, { env: ctx.env.forCase(scope), slot: ctx.slot, seed: caseSeed }, (ctx.captures ?? 'none') !== 'none');
  }
  // The timeout decides the verdict; what the check opened is released when the case ends, which
  // ends the check too, and runCase waits for that before the next case starts.
  scope.track('the check itself', check);
  const timedOut = new Promise<'timeout'>((resolve) => signal.addEventListener('abort', () => resolve('timeout'), { once: true }));
  const result = await Promise.race([check, timedOut]);
  if (result === 'timeout') {
    const message = `timed out after ${ctx.timeoutMs} ms`;
    return { ...base(spec), verdict: 'fail', reason: message, evidence: evidence(spec, ctx, [message]) };
  }
  const wire = (result as { wire?: CaseWire }).wire;
  if (wire && (ctx.captures ?? 'none') !== 'none') wires.push(wire);
  if (result.mismatches.length === 0) return { ...base(spec), verdict: 'pass', observed: result.observed };
  return {
    ...base(spec),
    verdict: 'fail',
    reason: result.mismatches[0]!,
    observed: result.observed,
    evidence: evidence(spec, ctx, result.mismatches, { observed: result.observed }),
  };
}
