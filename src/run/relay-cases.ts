// The relay suite (issue 10): cases as data, from suites/relay.json and two generators (the
// version-downgrade matrix over what each honest side offers, and the bit flips of every binary
// field of every handshake message). Ids are stable: built from the attack and its parameters,
// never from a position. Each case names the attack, the requirement ids that defeat it, and what
// each honest side must show; `careless` names the knobs that switch that defence off on the
// detecting side (the self-test, test/relay/selftest.test.ts, shows the attack then succeeds).
import { checkRelayScript, RelayScriptError, type RelayScript, type Rule } from '../relay/script.js';
import type { CaseSpec, SideExpectation } from './model.js';
import type { HonestSetup, RelayParty, RelayPlan } from './relay-run.js';

/**
 * What a case requires, in a short form:
 * - `refused`: the handshake never completes; `by` sends `alert` and neither side is Connected
 *   (except the initiator when `initiatorConnects`: it is Connected once it has sent Fin_I,
 *   E2ED-HS-32) and no Message is delivered to either user;
 * - `detected`: after Connected, `by` sends `alert` and delivers no Message;
 * - `expect`: the expectations per party, written out.
 */
export interface RelayOutcome {
  refused?: { by: 'initiator' | 'responder' | 'initiator2' | 'responder2'; alert: string; initiatorConnects?: boolean };
  detected?: { by: RelayParty; alert: string };
  expect?: Partial<Record<RelayParty, SideExpectation>>;
  /** Undetectable by design: what is observed and why it is harmless. */
  why?: string;
}

export interface RelayCaseData {
  id: string;
  family: string;
  attack: string;
  requirements: string[];
  initiator?: HonestSetup;
  responder?: HonestSetup;
  messages?: number;
  keyUpdate?: boolean;
  steer?: boolean;
  second?: 'initiator' | 'replay';
  script: RelayScript;
  outcome: RelayOutcome;
  careless?: { side: 'initiator' | 'responder'; knobs: string[] };
  disabled?: string;
}

export interface RelaySuiteData {
  description: string;
  cases: RelayCaseData[];
  generators: {
    versions: { attacks: VersionAttack[] };
    flips: FlipGroup[];
  };
}

export const FAMILIES = ['downgrade', 'tamper', 'identity', 'replay', 'record'] as const;

// ---------------------------------------------------------------------------------------------
// The version-downgrade matrix: every attack on the version offer or selection, with each honest
// side offering 0.9 or not. The outcome follows from docs/spec.md sections 5.3, 5.4 and 6.
// ---------------------------------------------------------------------------------------------

export interface VersionAttack {
  id: string;
  attack: string;
  /** Hello_I versions after the attack: a list, or `prepend` one version to the honest list. */
  offer?: string[] | { prepend: string };
  /** Hello_R version after the attack. */
  select?: string;
  /** Set (true) or clear (false) the sentinel in nonce_R. */
  sentinel?: boolean;
}

type Offer = '1.0' | '1.0-0.9';
const OFFERS: Record<Offer, string[]> = { '1.0': ['1.0'], '1.0-0.9': ['1.0', '0.9'] };

/** The Version list of Hello_I after the attack. */
function offerAfter(a: VersionAttack, honest: string[]): string[] {
  const o = a.offer;
  if (o === undefined) return honest;
  if (Array.isArray(o)) return o;
  return [o.prepend, ...honest.filter((v) => v !== o.prepend)];
}

/** What the responder selects from an offer (the initiator's preference order, E2ED-HS-17), or its refusal. */
function responderSelects(offer: string[], supported: string[]): string | undefined {
  return offer.find((v) => supported.includes(v));
}

function versionOutcome(a: VersionAttack, i: Offer, r: Offer): { outcome: RelayOutcome; requirements: string[]; careless?: RelayCaseData['careless'] } {
  const iv = OFFERS[i];
  const rv = OFFERS[r];
  const offered = offerAfter(a, iv);
  const honest = responderSelects(offered, rv);
  if (honest === undefined) {
    return { outcome: { refused: { by: 'responder', alert: 'protocol_version' } }, requirements: ['E2ED-VER-2', 'E2ED-HS-17'] };
  }
  // Hello_R as the initiator gets it.
  const selected = a.select ?? honest;
  // The honest responder sets the sentinel when it selects 0.9 (E2ED-VER-4); the attack may change that.
  const sentinel = a.sentinel ?? (honest === '0.9' && selected === '0.9');
  if (!iv.includes(selected)) {
    return { outcome: { refused: { by: 'initiator', alert: 'protocol_version' } }, requirements: ['E2ED-HS-23', 'E2ED-VER-5', 'E2ED-VER-1'] };
  }
  if (selected === '0.9' && sentinel) {
    return {
      outcome: { refused: { by: 'initiator', alert: 'insufficient_security' } },
      requirements: ['E2ED-VER-4', 'E2ED-VER-5'],
      careless: { side: 'initiator', knobs: ['hello.ignoreDowngradeSentinel'] },
    };
  }
  // Anything else changed in a Hello is caught by the responder's signature over the transcript
  // (1.0) or over B09, which covers nonce_R (0.9): decrypt_error from the initiator.
  return {
    outcome: { refused: { by: 'initiator', alert: 'decrypt_error' } },
    requirements: selected === '0.9' ? ['E2ED-VER-7', 'E2ED-HS-28', 'E2ED-VER-3'] : ['E2ED-VER-6', 'E2ED-HS-28'],
    careless: { side: 'initiator', knobs: ['certificateVerify.skipVerification', 'finished.skipVerification'] },
  };
}

function versionCases(attacks: VersionAttack[]): RelayCaseData[] {
  const out: RelayCaseData[] = [];
  for (const a of attacks) {
    for (const i of Object.keys(OFFERS) as Offer[]) {
      for (const r of Object.keys(OFFERS) as Offer[]) {
        const script: Rule[] = [];
        const offerEdit = a.offer === undefined ? undefined : offerAfter(a, OFFERS[i]);
        if (offerEdit) script.push({ match: { dir: 'i2r', frame: 'Hello_I' }, action: { do: 'edit', edits: [{ field: 'versions', set: offerEdit }] } });
        const helloR = [
          ...(a.select !== undefined ? [{ field: 'version' as const, set: a.select }] : []),
          ...(a.sentinel !== undefined ? [{ field: 'nonce' as const, sentinel: a.sentinel }] : []),
        ];
        if (helloR.length > 0) script.push({ match: { dir: 'r2i', frame: 'Hello_R' }, action: { do: 'edit', edits: helloR } });
        const v = versionOutcome(a, i, r);
        out.push({
          id: `downgrade.version.${a.id}.i${i}.r${r}`,
          family: 'downgrade',
          attack: `${a.attack} (the initiator offers ${OFFERS[i].join(' and ')}, the responder supports ${OFFERS[r].join(' and ')})`,
          requirements: v.requirements,
          initiator: { versions: OFFERS[i] },
          responder: { versions: OFFERS[r] },
          script,
          outcome: v.outcome,
          ...(v.careless ? { careless: v.careless } : {}),
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bit flips of every binary field of every handshake message.
// ---------------------------------------------------------------------------------------------

export interface FlipGroup {
  frame: 'Hello_I' | 'Hello_R' | 'CV_R' | 'Fin_R' | 'CV_I' | 'Fin_I';
  field: 'nonce' | 'keyShare' | 'encryptedPremaster' | 'signature' | 'finished';
  bits: number[];
  requirements: string[];
  refused: NonNullable<RelayOutcome['refused']>;
  initiator?: HonestSetup;
  responder?: HonestSetup;
  careless?: RelayCaseData['careless'];
}

function flipCases(groups: FlipGroup[]): RelayCaseData[] {
  return groups.flatMap((g) =>
    g.bits.map((bit): RelayCaseData => ({
      id: `tamper.${g.frame}.${g.field}${g.initiator?.methods ? `.${g.initiator.methods.join('-')}` : ''}.bit${bit}`,
      family: 'tamper',
      attack: `flip bit ${bit} of the ${g.field} of ${g.frame} in flight${g.initiator?.methods ? ` (method ${g.initiator.methods.join(', ')})` : ''}`,
      requirements: g.requirements,
      ...(g.initiator ? { initiator: g.initiator } : {}),
      ...(g.responder ? { responder: g.responder } : {}),
      script: [{ match: { dir: g.frame.endsWith('_I') ? 'i2r' : 'r2i', frame: g.frame }, action: { do: 'edit', edits: [{ field: g.field, flipBit: bit }] } }],
      outcome: { refused: g.refused },
      ...(g.careless ? { careless: g.careless } : {}),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// From data to cases
// ---------------------------------------------------------------------------------------------

const PARTY_WORDS: Record<RelayParty, string> = { initiator: 'the initiator', responder: 'the responder', initiator2: "the second session's initiator", responder2: "the second session's responder" };

/** The expectations of an outcome, written out. */
export function expectationsOf(o: RelayOutcome, second: boolean): Partial<Record<RelayParty, SideExpectation>> {
  if (o.expect) return o.expect;
  if (o.refused) {
    const r = o.refused;
    const pair: RelayParty[] = r.by.endsWith('2') || second ? ['initiator2', 'responder2'] : ['initiator', 'responder'];
    const out: Partial<Record<RelayParty, SideExpectation>> = {};
    for (const p of pair) {
      const connects = p.startsWith('initiator') && r.initiatorConnects === true;
      out[p] = { ...(connects ? {} : { connected: false }), delivered: 0, ...(p === r.by ? { alertSent: [r.alert] } : {}) };
    }
    return out;
  }
  if (o.detected) return { [o.detected.by]: { connected: true, alertSent: [o.detected.alert], delivered: 0 } };
  throw new Error('an outcome needs refused, detected or expect');
}

export function describeOutcome(o: RelayOutcome, second: boolean): string {
  let text: string;
  if (o.refused) {
    const r = o.refused;
    text = `${PARTY_WORDS[r.by]} sends ${r.alert}; ${r.initiatorConnects ? 'the responder never reaches Connected (the initiator is Connected once it has sent Fin_I, E2ED-HS-32)' : 'neither side reaches Connected'}; no Message is delivered`;
  } else if (o.detected) {
    text = `${PARTY_WORDS[o.detected.by]} sends ${o.detected.alert} and delivers no Message`;
  } else {
    const parts = Object.entries(expectationsOf(o, second)).map(([p, e]) => `${PARTY_WORDS[p as RelayParty]}: ${JSON.stringify(e)}`);
    text = parts.join('; ');
  }
  return o.why ? `${text} (${o.why})` : text;
}

export function relayPlanOf(c: RelayCaseData): RelayPlan {
  return {
    ...(c.initiator ? { initiator: c.initiator } : {}),
    ...(c.responder ? { responder: c.responder } : {}),
    ...(c.messages !== undefined ? { messages: c.messages } : {}),
    ...(c.keyUpdate ? { keyUpdate: true } : {}),
    ...(c.steer ? { steer: true } : {}),
    ...(c.second ? { second: c.second } : {}),
    script: c.script,
    expect: expectationsOf(c.outcome, false),
  };
}

/** suites/relay.json says something the relay does not know: the message names the file, the case and the field. */
export class RelaySuiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelaySuiteError';
  }
}

export function relayCaseData(data: RelaySuiteData): RelayCaseData[] {
  const cases = [...versionCases(data.generators.versions.attacks), ...flipCases(data.generators.flips), ...data.cases];
  for (const c of cases) {
    try {
      checkRelayScript(c.script);
    } catch (err) {
      if (err instanceof RelayScriptError) throw new RelaySuiteError(`suites/relay.json, case ${c.id}, ${err.message}`);
      throw err;
    }
  }
  return cases;
}

/** `relay.` and the data id, the transcript's underscores (Hello_I) spelt as hyphens (Hello-I). */
export function relayCaseId(c: RelayCaseData): string {
  return `relay.${c.id.replace(/_/g, '-')}`;
}

export function relayCases(data: RelaySuiteData): CaseSpec[] {
  return relayCaseData(data).map((c): CaseSpec => ({
    id: relayCaseId(c),
    suite: 'relay',
    title: c.attack,
    requirements: [...new Set(c.requirements)],
    expected: describeOutcome(c.outcome, false),
    action: { kind: 'relay', relay: relayPlanOf(c) },
    ...(c.disabled ? { disabled: c.disabled } : {}),
  }));
}

/** The case with its detecting side made careless: the self-test's form. */
export function carelessPlan(c: RelayCaseData): RelayPlan | undefined {
  if (!c.careless) return undefined;
  const plan = relayPlanOf(c);
  const side = c.careless.side;
  const setup = { ...(plan[side] ?? {}) };
  setup.knobs = [...(setup.knobs ?? []), ...c.careless.knobs];
  return { ...plan, [side]: setup };
}
