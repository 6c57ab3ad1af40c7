// Which cases of the catalogue apply to an implementation under test, on which side, and what
// each needs of it (issue 8 §2). A conversation case applies on each side that is a conforming
// user (no knob, no defective chain): the interop matrix and the version cases on both sides, a
// knob case on the side facing the knobbed reference (the IUT must detect or tolerate it), a
// certificate case on the side facing the defective chain. What can only test the reference itself
// (the vectors, the registry's own refusals, the knob forms `observe` and `accept`, which make the
// reference's own knob visible, and the checks written for two reference UAs) is listed as not
// applicable, by name, with the reason. A case needing a role, method, AEAD, version or level the
// IUT lacks stays in the run as a skip naming the missing capability. Below level 3 an interop
// conversation runs as the echo model makes it (src/run/iut-echo.ts): the part the wire can judge,
// the rest said not checked; it is a skip only when nothing but a handshake and a close is left.
import type { ImplementationUnderTest } from '../iut/door.js';
import { fitsInitiatorScript, iutSteps } from './iut-conversation.js';
import { echoModel, type EchoModel } from './iut-echo.js';
import { TIMER_CASE_MS } from './iut-checks.js';
import { planRelayIut } from './relay-iut.js';
import { otherSide, SIDES, type CaseSpec, type Conversation, type Side } from './model.js';

export interface NotApplicable {
  id: string;
  reason: string;
}

export interface IutPlan {
  cases: CaseSpec[];
  notApplicable: NotApplicable[];
}

/** `interop.x25519.aes-256-gcm.i2r@responder`: the base case with the IUT as responder. */
export function iutCaseId(baseId: string, side: Side): string {
  return `${baseId}@${side}`;
}

const NOT_APPLICABLE_SUITES: Record<string, string> = {
  vectors: 'the vectors test the bench\'s own codec and key schedule, not an implementation',
  irp: 'the registry checks test the IRP stub and the reference client, not a User Agent',
};

/** Checks of the interop suite that have an IUT form (src/run/iut-checks.ts), with the sides they apply to. */
const IUT_CHECKS: Record<string, Side[]> = {
  'handshake-timer': ['initiator', 'responder'],
  'peer-hangs-up': ['initiator'],
};

const NOT_APPLICABLE_CHECKS: Record<string, string> = {
  keylog: 'written for two reference UAs; against an IUT every conversation case checks its session keys (key log, or the records the reference opens)',
  'user-id-domain-case': 'tests the reference\'s IRP look-up spelling; an IUT is given its peer\'s address directly',
  'fresh-handshakes': 'compares two handshakes of reference UAs with one seed',
};

function conformingSide(conv: Conversation, side: Side): boolean {
  const s = conv[side];
  return (s.knobs ?? []).length === 0 && typeof (s.identity ?? 'p256') !== 'object';
}

/**
 * What the IUT lacks for this conversation on this side; empty: it can run. `echo`: the case runs
 * as the echo model makes it below level 3 (interop), so level 3 is missing only when it judges nothing.
 */
export function missingCapabilities(conv: Conversation, side: Side, iut: ImplementationUnderTest, echo?: EchoModel): string[] {
  const caps = iut.capabilities;
  const missing: string[] = [];
  if (!caps.roles.includes(side)) missing.push(`role ${side}`);
  const lists = [
    ['method', 'methods', caps.methods],
    ['AEAD', 'ciphers', caps.ciphers],
    ['version', 'versions', caps.versions],
  ] as const;
  for (const [word, field, have] of lists) {
    // The IUT's own offer restriction, and the reference's offer when it is the initiator: the IUT must support one of each.
    for (const s of SIDES) {
      const wanted = conv[s][field];
      if (!wanted) continue;
      if (s !== side && s === 'responder') continue; // a reference responder's restriction is its own choice
      if (!wanted.some((w) => have.includes(w))) missing.push(`${word} ${wanted.join(' or ')}`);
    }
    const expected = conv.expect[side]?.negotiated?.[field === 'methods' ? 'method' : field === 'ciphers' ? 'cipher' : 'version'];
    if (expected && expected.length === 1 && !have.includes(expected[0]!)) missing.push(`${word} ${expected[0]}`);
  }
  if (conv[side].identity === 'rsa' && caps.signatureAlgorithms.length > 0 && !caps.signatureAlgorithms.includes('rsa-pss-sha256')) {
    missing.push('signature algorithm rsa-pss-sha256 (an RSA identity)');
  }
  const acts = iutSteps(conv, side);
  if (echo && caps.level < 3) {
    if (!echo.judgesSomething) missing.push(`level 3 (control): the IUT must ${echo.commanded.join(', ')} on command (below level 3 the wire would show only a handshake and a close)`);
  } else if (acts.length > 0 && caps.level < 3 && !(side === 'initiator' && fitsInitiatorScript(conv) !== undefined)) {
    missing.push(`level 3 (control): the IUT must ${[...new Set(acts.map((s) => s.do))].join(', ')} on command`);
  }
  return [...new Set(missing)];
}

export function planIutCases(catalogue: readonly CaseSpec[], iut: ImplementationUnderTest): IutPlan {
  const cases: CaseSpec[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const spec of catalogue) {
    const suiteReason = NOT_APPLICABLE_SUITES[spec.suite];
    if (suiteReason) {
      notApplicable.push({ id: spec.id, reason: suiteReason });
      continue;
    }
    const action = spec.action;
    if (action.kind === 'check' && IUT_CHECKS[action.check]) {
      for (const side of IUT_CHECKS[action.check]!) {
        const missing = iut.capabilities.roles.includes(side) ? [] : [`role ${side}`];
        cases.push({
          ...spec,
          id: iutCaseId(spec.id, side),
          title: `${spec.title} [the IUT as ${side}; its own timer, the spec's 10 s]`,
          iut: { side, of: spec.id },
          ...(action.check === 'handshake-timer' ? { timeoutMs: TIMER_CASE_MS } : {}),
          ...(spec.disabled === undefined && missing.length > 0 ? { disabled: `the IUT lacks ${missing.join('; ')}` } : {}),
        });
      }
      continue;
    }
    if (action.kind === 'check') {
      notApplicable.push({ id: spec.id, reason: NOT_APPLICABLE_CHECKS[action.check] ?? 'a check of the reference UA itself' });
      continue;
    }
    if (action.kind === 'adversary') {
      // The adversary's families face the IUT as they face the reference (src/run/adversary/run-case.ts skips what it lacks).
      cases.push(spec);
      continue;
    }
    if (action.kind === 'relay') {
      cases.push(...planRelayIut(spec, action.relay, iut));
      continue;
    }
    if (action.kind !== 'conversation') {
      notApplicable.push({ id: spec.id, reason: 'not a conversation between two User Agents' });
      continue;
    }
    if (spec.form === 'observe' || spec.form === 'accept') {
      notApplicable.push({ id: spec.id, reason: `knob form "${spec.form}": it makes the reference's own knob visible, which says nothing about another implementation` });
      continue;
    }
    const conv = action.conversation;
    const sides = SIDES.filter((s) => conformingSide(conv, s) && (spec.suite === 'interop' || !conformingSide(conv, otherSide(s))));
    if (sides.length === 0) {
      notApplicable.push({ id: spec.id, reason: 'no side of the conversation is a conforming user an IUT could take' });
      continue;
    }
    for (const side of sides) {
      const echo = spec.suite === 'interop' && iut.capabilities.level < 3 ? echoModel(conv, side) : undefined;
      const missing = missingCapabilities(conv, side, iut, echo);
      const runs = spec.disabled === undefined && missing.length === 0;
      cases.push({
        ...spec,
        id: iutCaseId(spec.id, side),
        title: `${spec.title} [the IUT as ${side}${echo && runs && echo.notChecked.length > 0 ? ', the part the wire can judge below level 3' : ''}]`,
        ...(echo && runs ? { action: { kind: 'conversation' as const, conversation: echo.conversation } } : {}),
        iut: { side, of: spec.id, ...(echo && runs && echo.notChecked.length > 0 ? { notChecked: echo.notChecked } : {}) },
        ...(spec.disabled === undefined && missing.length > 0 ? { disabled: `the IUT lacks ${missing.join('; ')}` } : {}),
      });
    }
  }
  return { cases, notApplicable };
}

/** The sanity case (tlsfuzzer's rule), first and last: a handshake, one Message each way... as far as the IUT can. */
export function sanityCase(iut: ImplementationUnderTest, which: 'first' | 'last'): CaseSpec {
  const caps = iut.capabilities;
  const side: Side = caps.roles.includes('responder') ? 'responder' : 'initiator';
  const method = caps.methods.find((m) => m !== 'rsa-oaep') ?? caps.methods[0]!;
  const cipher = caps.ciphers[0]!;
  const ref = otherSide(side);
  // The reference drives: it sends one Message and closes (the IUT initiator at level 1 sends none and closes).
  const steps: Conversation['steps'] =
    side === 'responder' || caps.level >= 3
      ? [{ do: 'handshake' }, { do: 'message', from: ref }, { do: 'close', from: ref }]
      : [{ do: 'handshake' }, { do: 'close', from: 'initiator' }];
  const expectRef = { connected: true, alertSent: null, alertReceived: null, closed: ['clean' as const], ...(steps.length === 3 ? { receipts: 1 } : {}) };
  return {
    id: `sanity.${which}`,
    suite: 'interop',
    title: `sanity (${which}): the IUT as ${side} completes a handshake with ${method}/${cipher}, takes a Message and ends cleanly`,
    requirements: ['E2ED-HS-32', 'E2ED-ALERT-7'],
    expected: 'Connected on both sides, the Message receipted, a clean end, no alert',
    action: {
      kind: 'conversation',
      conversation: {
        initiator: { methods: [method], ciphers: [cipher], ...(method === 'rsa-oaep' && side === 'responder' ? {} : {}) },
        responder: method === 'rsa-oaep' ? { identity: 'rsa' } : {},
        steps,
        expect: { [ref]: expectRef, [side]: { connected: true, alertSent: null } },
      },
    },
    iut: { side, of: `sanity.${which}` },
  };
}
