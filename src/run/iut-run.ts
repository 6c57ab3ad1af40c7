// Runs one planned case (src/run/iut-plan.ts) against the implementation under test and turns
// what happened into a verdict: `error` when the IUT could not be judged (never came up, died,
// hung), `skip` when it said the case is not supported (exit status 127), else `pass` or `fail`
// from the case's expectations as far as the IUT's level lets them be checked (the result says
// which checks ran).
import path from 'node:path';
import type { ImplementationUnderTest } from '../iut/door.js';
import type { RunEnvironment, Slot } from './environment.js';
import { runIutConversation } from './iut-conversation.js';
import { runIutCheck } from './iut-checks.js';
import { executeRelayIutCase } from './relay-iut.js';
import type { CaseResult, CaseSpec, Evidence } from './model.js';
import type { CaseWire } from './captures.js';

export interface IutCaseContext {
  env: RunEnvironment;
  slot: Slot;
  seed: string;
  signal: AbortSignal;
  iut: ImplementationUnderTest;
  /** The run's directory for per-case directories. */
  workRoot: string;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._@-]/g, '_');
}

export async function executeIutCase(
  spec: CaseSpec,
  base: Pick<CaseResult, 'id' | 'suite' | 'title' | 'requirements' | 'form'>,
  ctx: IutCaseContext,
  evidence: (mismatches: string[], extra?: Partial<Evidence>) => Evidence,
  /** Receives what the case recorded on the wire, for its capture (conversation, relay and check cases). */
  wires: CaseWire[] = [],
): Promise<CaseResult> {
  if (spec.action.kind === 'check' && spec.iut && (spec.action.check === 'handshake-timer' || spec.action.check === 'peer-hangs-up')) {
    const r = await runIutCheck(spec.action.check, { env: ctx.env, slot: ctx.slot, seed: ctx.seed, signal: ctx.signal, iut: ctx.iut, side: spec.iut.side, workDir: path.join(ctx.workRoot, safeName(spec.id)) });
    if (r.wire) wires.push(r.wire);
    const iut = { side: spec.iut.side, of: spec.iut.of, checks: r.checks };
    const processEvidence = { iutProcess: { ...(r.exit ? { exit: r.exit } : {}), ...(r.diagnostics ? { diagnostics: r.diagnostics } : {}) } };
    if (r.unsupported) return { ...base, verdict: 'skip', reason: `the IUT does not support this case: ${r.unsupported}`, iut };
    if (r.error) return { ...base, verdict: 'error', reason: r.error, iut, evidence: evidence([r.error], processEvidence) };
    if (r.mismatches.length === 0) return { ...base, verdict: 'pass', observed: r.observed, iut };
    return { ...base, verdict: 'fail', reason: r.mismatches[0]!, observed: r.observed, iut, evidence: evidence(r.mismatches, { observed: r.observed, ...processEvidence }) };
  }
  if (spec.action.kind === 'relay' && spec.iut) return executeRelayIutCase(spec, spec.action.relay, base, ctx, evidence, wires);
  if (spec.action.kind !== 'conversation' || !spec.iut) throw new Error(`${spec.id} is not a conversation an IUT can take part in`);
  const record = await runIutConversation(spec.action.conversation, {
    env: ctx.env,
    slot: ctx.slot,
    seed: ctx.seed,
    signal: ctx.signal,
    iut: ctx.iut,
    iutSide: spec.iut.side,
    workDir: path.join(ctx.workRoot, safeName(spec.id)),
    ...(spec.iut.notChecked ? { notChecked: spec.iut.notChecked } : {}),
  });
  if (record.wire) wires.push(record.wire);
  const iut = { side: spec.iut.side, of: spec.iut.of, checks: record.checks, keys: record.keys };
  const processEvidence = record.exit || record.diagnostics ? { iutProcess: { ...(record.exit ? { exit: record.exit } : {}), ...(record.diagnostics ? { diagnostics: record.diagnostics } : {}) } } : {};
  if (record.unsupported) return { ...base, verdict: 'skip', reason: `the IUT does not support this case: ${record.unsupported}`, iut };
  if (record.error) {
    return {
      ...base,
      verdict: 'error',
      reason: record.error,
      iut,
      evidence: evidence([record.error], { events: record.events, ...processEvidence }),
    };
  }
  const observed = record.observation;
  if (record.mismatches.length === 0) return { ...base, verdict: 'pass', observed, iut };
  return {
    ...base,
    verdict: 'fail',
    reason: record.mismatches[0]!,
    observed,
    iut,
    evidence: evidence(record.mismatches, { observed, events: record.events, ...processEvidence }),
  };
}
