// The relay suite against an implementation under test (issue 10 §2 "every case runs with the IUT
// in each honest position it supports"): each relay case becomes one case per honest position the
// IUT can take (`<id>@initiator`, `<id>@responder`), the reference on the other side. A position is
// a skip naming what the IUT lacks: the role, every version, method and cipher the case's setup
// for that side lists, RSA-PSS for the RSA identity, commands (level 3) for the KeyUpdate cases,
// and events (level 2) when the verdict rests on what the IUT itself does.
import path from 'node:path';
import type { ImplementationUnderTest } from '../iut/door.js';
import type { IutCaseContext } from './iut-run.js';
import type { CaseWire } from './captures.js';
import type { CaseResult, CaseSpec, Evidence, Side } from './model.js';
import { iutCaseId } from './iut-plan.js';
import { runRelayCase, type RelayParty, type RelayPlan } from './relay-run.js';

const PARTIES_OF: Record<Side, RelayParty[]> = { initiator: ['initiator', 'initiator2'], responder: ['responder', 'responder2'] };

/** The honest positions a relay case has (a steered initiator meets the attacker, not the responder). */
export function relaySides(plan: RelayPlan): Side[] {
  return plan.steer ? ['initiator'] : ['initiator', 'responder'];
}

export function missingForRelay(plan: RelayPlan, side: Side, iut: ImplementationUnderTest): string[] {
  const caps = iut.capabilities;
  const missing: string[] = [];
  if (!caps.roles.includes(side)) missing.push(`role ${side}`);
  const setup = plan[side] ?? {};
  for (const v of setup.versions ?? []) if (!caps.versions.includes(v)) missing.push(`version ${v}`);
  for (const m of setup.methods ?? []) if (!caps.methods.includes(m)) missing.push(`method ${m}`);
  for (const c of setup.ciphers ?? []) if (!caps.ciphers.includes(c)) missing.push(`AEAD ${c}`);
  // The reference's own restriction on the other side: the IUT must support one of what it offers or takes.
  const other = plan[side === 'initiator' ? 'responder' : 'initiator'] ?? {};
  if (other.versions && !other.versions.some((v) => caps.versions.includes(v))) missing.push(`version ${other.versions.join(' or ')}`);
  if (other.methods && !other.methods.some((m) => caps.methods.includes(m))) missing.push(`method ${other.methods.join(' or ')}`);
  if (other.ciphers && !other.ciphers.some((c) => caps.ciphers.includes(c))) missing.push(`AEAD ${other.ciphers.join(' or ')}`);
  if (side === 'responder' && setup.identity === 'rsa' && !caps.signatureAlgorithms.includes('rsa-pss-sha256')) missing.push('signature algorithm rsa-pss-sha256 (an RSA identity)');
  if (side === 'initiator' && plan.keyUpdate && caps.level < 3) missing.push('level 3 (control): KeyUpdate on command');
  const judgedOnIut = PARTIES_OF[side].some((p) => plan.expect[p] !== undefined);
  const judgedOnRef = PARTIES_OF[side === 'initiator' ? 'responder' : 'initiator'].some((p) => plan.expect[p] !== undefined);
  if (judgedOnIut && !judgedOnRef && caps.level < 2) missing.push('level 2 (events): the verdict rests on what the IUT itself does');
  return [...new Set(missing)];
}

/** The relay cases of the catalogue in the IUT's positions. */
export function planRelayIut(spec: CaseSpec, plan: RelayPlan, iut: ImplementationUnderTest): CaseSpec[] {
  return relaySides(plan).map((side): CaseSpec => {
    const missing = missingForRelay(plan, side, iut);
    return {
      ...spec,
      id: iutCaseId(spec.id, side),
      title: `${spec.title} [the IUT as ${side}]`,
      iut: { side, of: spec.id },
      ...(spec.disabled === undefined && missing.length > 0 ? { disabled: `the IUT lacks ${missing.join('; ')}` } : {}),
    };
  });
}

export async function executeRelayIutCase(
  spec: CaseSpec,
  plan: RelayPlan,
  base: Pick<CaseResult, 'id' | 'suite' | 'title' | 'requirements' | 'form'>,
  ctx: IutCaseContext,
  evidence: (mismatches: string[], extra?: Partial<Evidence>) => Evidence,
  /** Receives the relay's two legs and the parties' key logs, for the case's capture (docs/run.md "Captures"). */
  wires: CaseWire[] = [],
): Promise<CaseResult> {
  const side = spec.iut!.side;
  const checks = [`the ${side === 'initiator' ? 'responder' : 'initiator'} (reference) side`];
  const expect = { ...plan.expect };
  if (ctx.iut.capabilities.level < 2) {
    for (const p of PARTIES_OF[side]) delete expect[p];
    checks.push(`not checked: the ${side} (IUT) side (level 1: no events)`);
  } else checks.push(`the ${side} (IUT) side, from its events`);
  const record = await runRelayCase({ ...plan, expect }, { env: ctx.env, slot: ctx.slot, seed: ctx.seed, signal: ctx.signal, parties: { [side]: ctx.iut }, record: true, workDir: path.join(ctx.workRoot, spec.id.replace(/[^A-Za-z0-9._@-]/g, '_')) });
  if (record.wire) wires.push(record.wire);
  const iut = { side, of: spec.iut!.of, checks };
  if (record.mismatches.length === 0) return { ...base, verdict: 'pass', observed: record.observed, iut };
  return {
    ...base,
    verdict: 'fail',
    reason: record.mismatches[0]!,
    observed: record.observed,
    iut,
    evidence: evidence(record.mismatches, { observed: record.observed, events: record.events as Evidence['events'], attacker: record.attacker }),
  };
}
