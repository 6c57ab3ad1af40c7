// Helpers shared by the adversary families: how a case is made from a script, and the endings the
// spec requires (a refusal, a silent close, the implementation going on).
import { ruleFor, type Fault } from '../../adversary/alert-rules.js';
import type { ExpectStep, Script, ScriptStep } from '../../adversary/script.js';
import type { CaseSpec, SuiteName } from '../model.js';

export type Family = 'ordering' | 'syntax' | 'records' | 'limits' | 'reflection' | 'key-transport';
export const FAMILIES: readonly Family[] = ['ordering', 'syntax', 'records', 'limits', 'reflection', 'key-transport'];

export type Ending =
  /** The fault's alert (fatal, in plaintext or a record as the sender's state requires), then the end. */
  | { refused: Fault; in?: 'plaintext' | 'record' }
  /** The connection ends with no alert (a received fatal alert, E2ED-ALERT-5). */
  | { silentClose: true }
  /** The implementation goes on: these steps show it. */
  | { goesOn: ScriptStep[] };

export function endingSteps(e: Ending): ScriptStep[] {
  if ('refused' in e) return [{ do: 'refused', alert: [ruleFor(e.refused).alert], ...(e.in ? { in: e.in } : {}) }];
  if ('silentClose' in e) return [{ do: 'expect', closed: 'any' } satisfies ExpectStep];
  return e.goesOn;
}

export function endingRequirements(e: Ending): string[] {
  // A refusal with the alert the spec names is also one that is neither internal_error (E2ED-ALERT-12)
  // nor handshake_timeout (E2ED-LIM-4), and that ends the connection (E2ED-ALERT-2).
  if ('refused' in e) return [...ruleFor(e.refused).requirements, 'E2ED-ALERT-1', 'E2ED-ALERT-2', 'E2ED-ALERT-12', 'E2ED-LIM-4'];
  if ('silentClose' in e) return ['E2ED-ALERT-5'];
  return [];
}

export function endingWords(e: Ending): string {
  if ('refused' in e) return `refused with a fatal ${ruleFor(e.refused).alert}${e.in ? ` in ${e.in === 'record' ? 'a record' : 'plaintext'}` : ''}, then the connection ends`;
  if ('silentClose' in e) return 'the connection ends without an alert from the implementation';
  return 'the implementation goes on as the spec says (the conversation completes)';
}

export function adversaryCase(opts: {
  id: string;
  suite: Family;
  title: string;
  requirements: string[];
  script: Script;
  ending: Ending;
  expected?: string;
}): CaseSpec {
  return {
    id: opts.id,
    suite: opts.suite as SuiteName,
    title: opts.title,
    requirements: [...new Set([...opts.requirements, ...endingRequirements(opts.ending)])],
    expected: opts.expected ?? endingWords(opts.ending),
    action: { kind: 'adversary', family: opts.suite, script: { ...opts.script, steps: [...opts.script.steps, ...endingSteps(opts.ending)] } },
  };
}

/** The sanity conversation of a family (tlsfuzzer's rule): a complete handshake, a Ping answered, a clean close. */
export function sanityScript(role: 'initiator' | 'responder'): Script {
  return {
    role,
    steps: [
      { do: 'handshake' },
      { do: 'roundTrip', id: 'sanity' },
      { do: 'close', how: 'notify' },
      { do: 'expect', alert: ['close_notify'], level: 'warning', in: 'record' },
      { do: 'expect', closed: 'any' },
    ],
  };
}

export function sanityCases(family: Family): { before: CaseSpec; after: CaseSpec } {
  const mk = (when: 'before' | 'after'): CaseSpec => ({
    id: `${family}.sanity.${when}`,
    suite: family as SuiteName,
    title: `Sanity conversation ${when} the ${family} family: a conforming handshake, a Ping answered by its Pong, close_notify answered (a dead implementation reads as unreachable, not as failures)`,
    requirements: ['E2ED-HS-32', 'E2ED-APP-6', 'E2ED-ALERT-7'],
    expected: 'Connected; the Pong; the close_notify answered in a record, then the end',
    action: { kind: 'adversary', family, sanity: when, script: sanityScript('initiator') },
  });
  return { before: mk('before'), after: mk('after') };
}

/** "E2ED-HS-2" style field name for ids: `@from` -> `from`, `KeyShare/@method` -> `KeyShare.method`. */
export function idPart(s: string): string {
  return s.replace(/\/@/g, '.').replace(/@/g, '').replace(/\//g, '.').replace(/\[(\d+)\]/g, '$1');
}

/**
 * The deliberately broken reference of each family's self-test (knobs of src/protocol/bugs.ts,
 * docs/knobs.md): every family must tell it apart from the conforming reference.
 */
export const SELF_TEST_KNOBS: Record<Family, string[]> = {
  ordering: ['alert.fatalAsWarning'],
  syntax: ['alert.fatalAsWarning', 'finished.skipVerification', 'certificateVerify.skipVerification'],
  records: ['alert.sendDataAfterFatal', 'keyUpdate.ignoreRequest', 'keyUpdate.dontSwitchKeys'],
  limits: ['alert.sendDataAfterFatal'],
  reflection: ['validation.skipIdentityCheck', 'alert.fatalAsWarning'],
  'key-transport': ['keyTransport.explicitRejection'],
};

/** One case in SELF_TEST_SAMPLE of each family runs in its self-test (chosen by a hash of its id, so stable as cases come and go). */
export const SELF_TEST_SAMPLE = 6;

function sampled(id: string): boolean {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h % SELF_TEST_SAMPLE === 0;
}

export function selfTestCase(family: Family, cases: readonly CaseSpec[]): CaseSpec {
  const knobs = SELF_TEST_KNOBS[family];
  const members = cases
    .filter((c) => c.disabled === undefined && c.action.kind === 'adversary' && c.action.knownDefect === undefined && (sampled(c.id) || family === 'key-transport'))
    .map((c) => ({ id: c.id, script: (c.action as { script: Script }).script }));
  return {
    id: `${family}.selftest`,
    suite: family as SuiteName,
    title: `Self-test of the ${family} family: ${members.length} of its cases against the reference with ${knobs.join(', ')}; at least one must fail (a family that passes against everything is a defect)`,
    // What the family checks; src/run/coverage.ts never counts a self-test as verifying them (it runs against a broken reference, not the implementation).
    requirements: [...new Set(cases.filter((c) => c.action.kind === 'adversary').flatMap((c) => c.requirements))],
    expected: `at least one of the ${members.length} cases fails against the broken reference`,
    action: { kind: 'adversary', family, script: sanityScript('initiator'), selfTest: { knobs, cases: members } },
  };
}
