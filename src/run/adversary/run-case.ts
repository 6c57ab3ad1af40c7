// One adversary case as the runner sees it: the family's sanity conversation first (once per run,
// family and slot of users: when it fails, the family's cases are skipped as "implementation unreachable", not
// failed one by one), then the script against the implementation, judged by its expectations.
// Recording (`keepWire`), the case's wire is its own connection(s) only, leg 'adversary': the
// script's, each member's of a self-test; the memoised sanity conversation belongs to the family's
// sanity case alone.
import type { ImplementationUnderTest } from '../../iut/door.js';
import type { RunEnvironment, Slot } from '../environment.js';
import type { CaseAction, CaseResult, CaseSpec, Evidence } from '../model.js';
import type { Script } from '../../adversary/script.js';
import { sanityScript } from './cases.js';
import { runAdversaryScript, type AdversaryRecord, type AdversaryRunContext } from './execute.js';
import { REFERENCE_NAME, referenceImplementation } from '../../iut/reference.js';
import type { CaseWire } from '../captures.js';

type AdversaryAction = Extract<CaseAction, { kind: 'adversary' }>;

/** The implementation the adversary faces in a run (default: the in-process reference). */
const iutOfRun = new WeakMap<RunEnvironment, ImplementationUnderTest>();
const sanityOfRun = new WeakMap<RunEnvironment, Map<string, Promise<AdversaryRecord>>>();

export function setAdversaryIut(env: RunEnvironment, iut: ImplementationUnderTest): void {
  iutOfRun.set(env, iut);
}

export function adversaryIut(env: RunEnvironment): ImplementationUnderTest {
  let iut = iutOfRun.get(env);
  if (!iut) iutOfRun.set(env, (iut = referenceImplementation()));
  return iut;
}

export interface AdversaryCaseContext {
  env: RunEnvironment;
  slot: Slot;
  seed: string;
  signal: AbortSignal;
  iut?: ImplementationUnderTest;
  /** Record the case's connections: called once with its wire (src/run/captures.ts). */
  keepWire?: (wire: CaseWire) => void;
}

/** The wire of a case from the records of its connections: one leg, the adversary's. */
function adversaryWire(records: readonly AdversaryRecord[]): CaseWire {
  return { legs: [{ name: 'adversary', connections: records.flatMap((r) => r.wire?.connections ?? []) }], keyLogs: records.flatMap((r) => r.wire?.keyLogs ?? []) };
}

function sanityBefore(family: string, ctx: AdversaryCaseContext, iut: ImplementationUnderTest): Promise<AdversaryRecord> {
  let memo = sanityOfRun.get(ctx.env);
  if (!memo) sanityOfRun.set(ctx.env, (memo = new Map()));
  // Once per slot of users: the conversation's bytes (certificate sizes among them) then depend on
  // the slot, which follows from the case id, and not on which case of the family came first.
  const key = `${iut.name}/${family}/${ctx.slot.index}`;
  let p = memo.get(key);
  if (!p) {
    // Its own clock: the sanity conversation must not inherit the first case's timeout.
    p = runAdversaryScript(sanityScript('initiator'), { env: ctx.env, slot: ctx.slot, seed: `${ctx.seed.split('/')[0]}/${family}.sanity.before`, signal: AbortSignal.timeout(5000), iut, record: ctx.keepWire !== undefined }).catch(
      (err: unknown): AdversaryRecord => ({ mismatch: `the implementation could not be brought up: ${(err as Error).message}`, log: [] }),
    );
    memo.set(key, p);
  }
  return p;
}

export async function runAdversaryCase(
  spec: CaseSpec,
  action: AdversaryAction,
  ctx: AdversaryCaseContext,
  evidence: (mismatches: string[], extra?: Partial<Evidence>) => Evidence,
): Promise<CaseResult> {
  const iut = ctx.iut ?? adversaryIut(ctx.env);
  const base = { id: spec.id, suite: spec.suite, title: spec.title, requirements: spec.requirements };
  const lacks = missingFor(action.selfTest ? undefined : action.script, iut);
  if (lacks.length > 0) return { ...base, verdict: 'skip', reason: `the implementation lacks ${lacks.join('; ')}` };
  let record: AdversaryRecord;
  const own = { env: ctx.env, slot: ctx.slot, seed: ctx.seed, signal: ctx.signal, iut, record: ctx.keepWire !== undefined };
  if (action.sanity === 'before') {
    record = await sanityBefore(action.family, ctx, iut);
    ctx.keepWire?.(adversaryWire([record]));
  } else {
    if (action.sanity === undefined) {
      const sanity = await sanityBefore(action.family, ctx, iut);
      if (sanity.mismatch !== undefined) {
        return { ...base, verdict: 'skip', reason: `implementation unreachable: the ${action.family} sanity conversation failed (${sanity.mismatch})` };
      }
    }
    if (action.selfTest) return selfTest(base, action.selfTest, ctx, evidence);
    if (action.knownDefect !== undefined && iut.name === REFERENCE_NAME) {
      // BoGo's disabled tests with tlsfuzzer's rule: an expected failure that passes is itself a failure.
      const r = await runAdversaryScript(action.script, { ...own, expectTimeoutMs: 1000 });
      ctx.keepWire?.(adversaryWire([r]));
      if (r.mismatch !== undefined) return { ...base, verdict: 'skip', reason: `known defect of the reference: ${action.knownDefect} (still fails: ${r.mismatch})`, observed: { wire: r.log } };
      const m = 'the reference no longer fails this case: delete it from "disabled" in suites/adversary.json';
      return { ...base, verdict: 'fail', reason: m, observed: { wire: r.log }, evidence: evidence([m], { observed: { wire: r.log } }) };
    }
    record = await runAdversaryScript(action.script, own);
    ctx.keepWire?.(adversaryWire([record]));
  }
  const observed = { wire: record.log };
  if (record.mismatch === undefined) return { ...base, verdict: 'pass', observed };
  return { ...base, verdict: 'fail', reason: record.mismatch, observed, evidence: evidence([record.mismatch], { observed }) };
}

async function selfTest(
  base: Pick<CaseResult, 'id' | 'suite' | 'title' | 'requirements'>,
  spec: NonNullable<AdversaryAction['selfTest']>,
  ctx: AdversaryCaseContext,
  evidence: (mismatches: string[], extra?: Partial<Evidence>) => Evidence,
): Promise<CaseResult> {
  const broken = referenceImplementation({ knobs: spec.knobs, name: `reference with ${spec.knobs.join(', ')}` });
  const detected: string[] = [];
  const missed: string[] = [];
  const members: AdversaryRecord[] = [];
  for (const c of spec.cases) {
    if (ctx.signal.aborted) break;
    // Each member gets its own time, as in the run; the self-test case's own timeout is the runner's.
    const r = await runAdversaryScript(c.script, { env: ctx.env, slot: ctx.slot, seed: `${ctx.seed}/${c.id}`, iut: broken, expectTimeoutMs: 1000, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(4000)]), record: ctx.keepWire !== undefined });
    members.push(r);
    (r.mismatch === undefined ? missed : detected).push(c.id);
  }
  ctx.keepWire?.(adversaryWire(members));
  const observed = { selfTest: { knobs: spec.knobs, detected: detected.length, total: spec.cases.length, missed } };
  if (detected.length > 0) return { ...base, verdict: 'pass', observed };
  const m = `no case of the family told the reference with ${spec.knobs.join(', ')} apart from a conforming one`;
  return { ...base, verdict: 'fail', reason: m, observed, evidence: evidence([m], { observed }) };
}

/** What a script needs of the implementation that it does not declare (src/iut/door.ts capabilities): the case is then a skip naming it. */
export function missingFor(script: Script | undefined, iut: ImplementationUnderTest): string[] {
  if (!script) return [];
  const caps = iut.capabilities;
  const role = script.role === 'initiator' ? 'responder' : 'initiator';
  const missing: string[] = [];
  if (!caps.roles.includes(role)) missing.push(`role ${role}`);
  // An initiator below level 3 closes once its scripted Messages are confirmed: the adversary cannot keep it in a state.
  if (role === 'initiator' && caps.level < 3 && !script.iut?.messages) missing.push('level 3 (control): an initiator that stays in its connection until the adversary is done');
  for (const [word, wanted, have] of [
    ['method', script.iut?.methods, caps.methods],
    ['AEAD', script.iut?.ciphers, caps.ciphers],
    ['version', script.iut?.versions, caps.versions],
  ] as const) {
    for (const w of wanted ?? []) if (!have.includes(w)) missing.push(`${word} ${w}`);
  }
  if (script.iut?.identity === 'rsa' && !caps.signatureAlgorithms.includes('rsa-pss-sha256')) missing.push('an RSA identity (rsa-pss-sha256)');
  if (script.iut?.identity === 'rsa' && !caps.methods.includes('rsa-oaep')) missing.push('method rsa-oaep');
  return missing;
}
