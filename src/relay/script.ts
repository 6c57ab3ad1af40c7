// The relay's script language (docs/run.md, "The relay"): plain JSON data, a small vocabulary.
// A script is a list of rules; each rule matches frames of one session, one direction and one
// kind (the n-th of that kind), and says what the man in the middle does with them. A frame no
// rule matches passes unchanged. Frames are named by the transcript's own names (docs/spec.md
// section 5.1): Hello_I, Hello_R, CV_R, Fin_R, CV_I, Fin_I; every later frame is a `record`
// (numbered per direction from 0) or a plaintext `alert`.
//
// The actions on a frame's content speak the adversarial peer's language (src/adversary/script.ts,
// src/adversary/mutators.ts): `mutate` takes its Mutator list, `inject` can build its frame as the
// adversary's `send` does. The actions with no adversary equivalent (drop, delay, duplicate,
// swapWithNext, truncate, cut, replace, reflect, moveTo) and `edit`, which changes decoded fields
// that are no XML text (a bit of a binary value, the downgrade sentinel, a certificate chain), are
// the relay's own.
import { mutatorProblem, type Mutator } from '../adversary/mutators.js';
import type { SendStep } from '../adversary/script.js';
import { SESSIONLESS_NAMES } from '../adversary/templates.js';

/** i2r: initiator to responder; r2i: responder to initiator. */
export type Direction = 'i2r' | 'r2i';
export type FrameName = 'Hello_I' | 'Hello_R' | 'CV_R' | 'Fin_R' | 'CV_I' | 'Fin_I' | 'record' | 'alert';

/** Which frame a rule acts on. `nth` counts frames of that name in that direction from 0 (default 0). */
export interface FrameMatch {
  /** The relay's connection number, from 0 in accept order (default 0). */
  session?: number;
  dir: Direction;
  frame: FrameName;
  nth?: number;
}

/** A frame recorded earlier by this relay (any session, any direction). */
export type FrameRef = FrameMatch;

/**
 * One change to a handshake message, made on the decoded message (src/protocol/messages.ts) and
 * re-encoded: lists replace the offer lists of Hello_I; strings replace one field; `flipBit`
 * flips one bit of a binary field; `sentinel` sets or clears the downgrade sentinel in the nonce;
 * `chain` swaps the certificate chain for a named one the relay was given (another valid user's).
 */
export type Edit =
  | { field: 'versions' | 'methods' | 'ciphers'; set: string[] }
  | { field: 'version' | 'method' | 'cipher' | 'from' | 'to' | 'algorithm' | 'keyShareMethod'; set: string }
  | { field: 'nonce' | 'keyShare' | 'encryptedPremaster' | 'signature' | 'finished'; flipBit: number }
  | { field: 'nonce'; sentinel: boolean }
  | { field: 'certificates'; chain: string };

export type Action =
  /** Forward unchanged (the default; useful to make a script explicit). */
  | { do: 'pass' }
  /** Forward nothing. */
  | { do: 'drop' }
  /** Forward after `ms` milliseconds; later frames of that direction wait behind it (order kept). */
  | { do: 'delay'; ms: number }
  /** Forward it twice. */
  | { do: 'duplicate' }
  /** Hold it and forward it after the next frame of the same direction (swap with the next). */
  | { do: 'swapWithNext' }
  /** Forward only its first `keep` bytes, then end that leg (TCP FIN). */
  | { do: 'truncate'; keep: number }
  /** Forward the frame, then end both legs without forwarding anything more (a cut cable). */
  | { do: 'cutAfter' }
  /** End both legs instead of forwarding it. */
  | { do: 'cut' }
  /** Decode the handshake message, apply the edits, re-encode it in a frame of the same type. */
  | { do: 'edit'; edits: Edit[] }
  /**
   * The adversary's mutators on the frame: tree and text mutators on the XML of a plaintext frame
   * (parsed, changed, written as the adversary writes), then byte mutators on its payload. A
   * record's payload is sealed: only byte mutators apply to it. The frame header is rewritten
   * for the new length.
   */
  | { do: 'mutate'; mutate: Mutator[] }
  /** Forward a frame built as the adversary's `send` builds it, or a recorded frame, before (default) or after this one. */
  | { do: 'inject'; send?: RelaySend; recorded?: FrameRef; position?: 'before' | 'after' }
  /** Forward a frame recorded earlier (another session, or earlier in this one) instead of this one. */
  | { do: 'replace'; with: FrameRef }
  /** Send the frame back to its sender instead of forwarding it. */
  | { do: 'reflect' }
  /**
   * Splice: move the frame into the same direction of another live session (queued until that
   * session has passed its own Fin_I), and end this session's legs.
   */
  | { do: 'moveTo'; session: number };

/**
 * A frame built as the adversary's `send` step builds it (template or raw payload, `set`,
 * mutators). The relay holds no session: only the templates that need none (SESSIONLESS_NAMES),
 * and a record only from a raw payload (`as: "record"`: a forged record, ciphertext and tag as given).
 */
export type RelaySend = Pick<SendStep, 'message' | 'raw' | 'fields' | 'set' | 'mutate'> & { as?: 'plaintext' | 'record' };

export interface Rule {
  match: FrameMatch;
  action: Action;
}

export type RelayScript = Rule[];

/** Describes an action in a few words for the evidence. */
export function describeAction(a: Action): string {
  switch (a.do) {
    case 'pass':
    case 'drop':
    case 'duplicate':
    case 'swapWithNext':
    case 'cutAfter':
    case 'cut':
    case 'reflect':
      return a.do;
    case 'delay':
      return `delay ${a.ms} ms`;
    case 'truncate':
      return `truncate to ${a.keep} bytes and end the leg`;
    case 'edit':
      return `edit ${a.edits.map(describeEdit).join(', ')}`;
    case 'mutate':
      return `mutate ${a.mutate.map(describeMutator).join(', ')}`;
    case 'inject':
      return `inject ${a.recorded ? `recorded ${describeMatch(a.recorded)}` : describeSend(a.send ?? {})} ${a.position ?? 'before'}`;
    case 'replace':
      return `replace with recorded ${describeMatch(a.with)}`;
    case 'moveTo':
      return `move into session ${a.session} and end this session`;
    default: {
      const never: never = a;
      return String(never);
    }
  }
}

export function describeEdit(e: Edit): string {
  if ('set' in e) return `${e.field} := ${Array.isArray(e.set) ? `[${e.set.join(' ')}]` : e.set}`;
  if ('flipBit' in e) return `${e.field} bit ${e.flipBit} flipped`;
  if ('sentinel' in e) return e.sentinel ? 'nonce_R sentinel set' : 'nonce_R sentinel cleared';
  return `certificates := chain of ${e.chain}`;
}

export function describeMatch(m: FrameMatch): string {
  return `session ${m.session ?? 0} ${m.dir} ${m.frame}${m.frame === 'record' || m.frame === 'alert' || (m.nth ?? 0) > 0 ? ` #${m.nth ?? 0}` : ''}`;
}

/** A mutator in a few words: its op and its fields (`flipBit at=-1 bit=7`, `set @from={third}`). */
export function describeMutator(m: Mutator): string {
  const fields = Object.entries(m).filter(([k]) => k !== 'op');
  return [m.op, ...fields.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)].join(' ');
}

function describeSend(s: RelaySend): string {
  const what = s.message !== undefined ? s.message : `raw ${s.raw?.hex !== undefined ? `${s.raw.hex.length / 2} bytes` : 'text'}`;
  const changes = [...Object.keys(s.set ?? {}).map((p) => `set ${p}`), ...(s.mutate ?? []).map((m) => m.op)];
  return `${what}${changes.length > 0 ? ` (${changes.join(', ')})` : ''} as ${s.as ?? 'plaintext'}`;
}

// ---- the check of a script given as data -----------------------------------------------------

export const DIRECTIONS: readonly Direction[] = ['i2r', 'r2i'];
export const FRAME_NAMES: readonly FrameName[] = ['Hello_I', 'Hello_R', 'CV_R', 'Fin_R', 'CV_I', 'Fin_I', 'record', 'alert'];
export const EDIT_FIELDS = ['versions', 'methods', 'ciphers', 'version', 'method', 'cipher', 'from', 'to', 'algorithm', 'keyShareMethod', 'nonce', 'keyShare', 'encryptedPremaster', 'signature', 'finished', 'certificates'] as const;

/** Each action and its fields (required, optional): what the relay's suite loader accepts. */
export const ACTION_FIELDS: Record<Action['do'], { required: string[]; optional: string[] }> = {
  pass: { required: [], optional: [] },
  drop: { required: [], optional: [] },
  delay: { required: ['ms'], optional: [] },
  duplicate: { required: [], optional: [] },
  swapWithNext: { required: [], optional: [] },
  truncate: { required: ['keep'], optional: [] },
  cutAfter: { required: [], optional: [] },
  cut: { required: [], optional: [] },
  edit: { required: ['edits'], optional: [] },
  mutate: { required: ['mutate'], optional: [] },
  inject: { required: [], optional: ['send', 'recorded', 'position'] },
  replace: { required: ['with'], optional: [] },
  reflect: { required: [], optional: [] },
  moveTo: { required: ['session'], optional: [] },
};
const SEND_FIELDS = ['message', 'raw', 'fields', 'set', 'mutate', 'as'];

/** A script that says something the relay does not know; the message names the field (`script[1].action.mutate[0].op`). */
export class RelayScriptError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'RelayScriptError';
  }
}

/** Throws a RelayScriptError at the first thing in `script` the relay does not know. */
export function checkRelayScript(script: unknown): asserts script is RelayScript {
  const fail = (field: string, problem: string): never => {
    throw new RelayScriptError(field, problem);
  };
  const isObject = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o);
  const checkMatch = (m: unknown, at: string): void => {
    if (!isObject(m)) return fail(at, 'a frame match { dir, frame, nth?, session? }');
    for (const k of Object.keys(m)) if (!['session', 'dir', 'frame', 'nth'].includes(k)) fail(`${at}.${k}`, 'unknown field (known: session, dir, frame, nth)');
    if (!DIRECTIONS.includes(m['dir'] as Direction)) fail(`${at}.dir`, `unknown direction "${String(m['dir'])}" (known: ${DIRECTIONS.join(', ')})`);
    if (!FRAME_NAMES.includes(m['frame'] as FrameName)) fail(`${at}.frame`, `unknown frame "${String(m['frame'])}" (known: ${FRAME_NAMES.join(', ')})`);
  };
  const checkMutators = (list: unknown, at: string): void => {
    if (!Array.isArray(list)) return fail(at, 'a list of mutators');
    list.forEach((m, j) => {
      const wrong = mutatorProblem(m);
      if (wrong) fail(`${at}[${j}].${wrong.field}`, wrong.problem);
    });
  };
  if (!Array.isArray(script)) return fail('script', 'a list of rules { match, action }');
  script.forEach((rule: unknown, i) => {
    const at = `script[${i}]`;
    if (!isObject(rule)) return fail(at, 'a rule { match, action }');
    checkMatch(rule['match'], `${at}.match`);
    const a = rule['action'];
    if (!isObject(a)) return fail(`${at}.action`, 'an action { do, ... }');
    const kind = a['do'] as Action['do'];
    const spec = ACTION_FIELDS[kind];
    if (!Object.hasOwn(ACTION_FIELDS, String(kind)) || !spec) return fail(`${at}.action.do`, `unknown action "${String(kind)}" (known: ${Object.keys(ACTION_FIELDS).join(', ')})`);
    for (const r of spec.required) if (a[r] === undefined) fail(`${at}.action.${r}`, `the action ${kind} needs it`);
    for (const k of Object.keys(a)) if (k !== 'do' && !spec.required.includes(k) && !spec.optional.includes(k)) fail(`${at}.action.${k}`, `the action ${kind} has no such field`);
    switch (kind) {
      case 'mutate':
        checkMutators(a['mutate'], `${at}.action.mutate`);
        break;
      case 'edit':
        if (!Array.isArray(a['edits'])) fail(`${at}.action.edits`, 'a list of edits');
        (a['edits'] as unknown[]).forEach((e, j) => {
          if (!isObject(e) || !(EDIT_FIELDS as readonly string[]).includes(String(e['field']))) fail(`${at}.action.edits[${j}].field`, `unknown field (known: ${EDIT_FIELDS.join(', ')})`);
        });
        break;
      case 'inject': {
        if ((a['send'] === undefined) === (a['recorded'] === undefined)) fail(`${at}.action`, 'an inject names exactly one of send and recorded');
        if (a['recorded'] !== undefined) checkMatch(a['recorded'], `${at}.action.recorded`);
        if (a['position'] !== undefined && a['position'] !== 'before' && a['position'] !== 'after') fail(`${at}.action.position`, 'before or after');
        const send = a['send'];
        if (send === undefined) break;
        if (!isObject(send)) return fail(`${at}.action.send`, "a send { message | raw, fields?, set?, mutate?, as? }");
        for (const k of Object.keys(send)) if (!SEND_FIELDS.includes(k)) fail(`${at}.action.send.${k}`, `unknown field (known: ${SEND_FIELDS.join(', ')})`);
        if ((send['message'] === undefined) === (send['raw'] === undefined)) fail(`${at}.action.send`, 'a send names exactly one of message and raw');
        if (send['message'] !== undefined && !(SESSIONLESS_NAMES as readonly string[]).includes(String(send['message']))) {
          fail(`${at}.action.send.message`, `"${String(send['message'])}" is not a message the relay can build without a session (known: ${SESSIONLESS_NAMES.join(', ')})`);
        }
        if (send['as'] !== undefined && send['as'] !== 'plaintext' && send['as'] !== 'record') fail(`${at}.action.send.as`, 'plaintext or record');
        if (send['as'] === 'record' && send['raw'] === undefined) fail(`${at}.action.send.as`, 'the relay has no record keys: a record is built only from a raw payload');
        if (send['mutate'] !== undefined) checkMutators(send['mutate'], `${at}.action.send.mutate`);
        break;
      }
      default:
        break;
    }
  });
}
