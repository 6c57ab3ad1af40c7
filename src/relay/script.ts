// The relay's script language (docs/run.md, "The relay"): plain JSON data, a small vocabulary.
// A script is a list of rules; each rule matches frames of one session, one direction and one
// kind (the n-th of that kind), and says what the man in the middle does with them. A frame no
// rule matches passes unchanged. Frames are named by the transcript's own names (docs/spec.md
// section 5.1): Hello_I, Hello_R, CV_R, Fin_R, CV_I, Fin_I; every later frame is a `record`
// (numbered per direction from 0) or a plaintext `alert`.

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
  /** Flip one bit of the frame's payload: byte `byte` (negative: from the end), bit `bit` (default 0). */
  | { do: 'flip'; byte: number; bit?: number }
  /** Forward `frame` (hex of a whole frame, header included) or a recorded frame before this one. */
  | { do: 'inject'; hex?: string; recorded?: FrameRef; position?: 'before' | 'after' }
  /** Forward a frame recorded earlier (another session, or earlier in this one) instead of this one. */
  | { do: 'replace'; with: FrameRef }
  /** Send the frame back to its sender instead of forwarding it. */
  | { do: 'reflect' }
  /**
   * Splice: move the frame into the same direction of another live session (queued until that
   * session has passed its own Fin_I), and end this session's legs.
   */
  | { do: 'moveTo'; session: number };

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
    case 'flip':
      return `flip bit ${a.bit ?? 0} of payload byte ${a.byte}`;
    case 'inject':
      return `inject ${a.recorded ? `recorded ${describeMatch(a.recorded)}` : `${(a.hex ?? '').length / 2} bytes`} ${a.position ?? 'before'}`;
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
