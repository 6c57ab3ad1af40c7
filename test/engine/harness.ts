// Two Connections wired in memory: what one side's Output.frames holds is fed to the other, in
// order, until both are quiet. The PKI is the project's deterministic test CA, the validator the
// real one (src/pki/validator.ts), so the engine is exercised exactly as the UA uses it.
import { createTestPki, type TestUser } from '../../src/pki/ca.js';
import { validateChain } from '../../src/pki/validator.js';
import { Connection, type EngineConfig, type EngineEvent, type Output, type VerifyPeer } from '../../src/protocol/engine.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/protocol/frame.js';
import { decodeE2ed, encodeE2ed, type E2edMessage } from '../../src/protocol/messages.js';
import { expandLabel } from '../../src/protocol/keyschedule.js';
import { seededRandom } from '../../src/protocol/random.js';
import { sealRecord } from '../../src/protocol/record.js';
import type { Bugs } from '../../src/protocol/bugs.js';

export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const CAROL_RSA = 'carol@example.com';
export const DAVE_ED25519 = 'dave@example.com';

export const pki = createTestPki({ seed: 'engine tests', users: [ALICE, BOB] });
pki.users.push(pki.issueUser(CAROL_RSA, { keyType: 'rsa2048' }));
pki.users.push(pki.issueUser(DAVE_ED25519, { keyType: 'ed25519' }));

export function user(id: string): TestUser {
  return pki.user(id);
}

/** The real validator with the test PKI's anchor, at the PKI's reference time. */
export function pkiVerifier(overrides: { time?: Date; isRevoked?: () => boolean } = {}): VerifyPeer {
  return (chain, ctx) => {
    const r = validateChain(chain, {
      trustAnchors: pki.anchors,
      time: overrides.time ?? pki.referenceTime,
      purpose: 'clientAuth',
      expectedUserId: ctx.expectedUserId,
      requireKeyEncipherment: ctx.requireKeyEncipherment,
      isRevoked: overrides.isRevoked,
    });
    if (r.ok) return { ok: true, userId: r.userId ?? '', publicKey: r.publicKey };
    return { ok: false, alert: r.alert, reason: r.detail, requirement: r.requirement };
  };
}

export interface SideOptions extends Partial<EngineConfig> {
  bugs?: Bugs;
}

export function initiatorConfig(o: SideOptions = {}): EngineConfig {
  const id = o.userId ?? ALICE;
  const peer = o.peerUserId ?? BOB;
  const u = user(id);
  return {
    role: 'initiator',
    userId: id,
    certificateChain: u.chain,
    privateKey: u.privateKey,
    peerUserId: peer,
    verifyPeer: pkiVerifier(),
    rng: seededRandom(`initiator ${id}`),
    ...o,
  };
}

export function responderConfig(o: SideOptions = {}): EngineConfig {
  const id = o.userId ?? BOB;
  const u = user(id);
  return {
    role: 'responder',
    userId: id,
    certificateChain: u.chain,
    privateKey: u.privateKey,
    verifyPeer: pkiVerifier(),
    rng: seededRandom(`responder ${id}`),
    ...o,
  };
}

export interface Side {
  conn: Connection;
  events: EngineEvent[];
  /** Every frame this side sent, in order. */
  sent: Buffer[];
}

export interface Pair {
  i: Side;
  r: Side;
  /** Deliver pending frames both ways until quiet (optionally a chunk size for the delivery). */
  pump(chunk?: number): void;
  /** Feed an Output of one side into the pair's bookkeeping (for calls like send()). */
  from(side: 'i' | 'r', out: Output): void;
}

function side(conn: Connection): Side {
  return { conn, events: [], sent: [] };
}

/**
 * Builds the pair and runs the handshake (start + pump). `intercept` may rewrite or drop the
 * frames in flight (a man in the middle); it sees each frame once, with its direction.
 */
export function connect(
  iOpts: SideOptions = {},
  rOpts: SideOptions = {},
  opts: { chunk?: number; intercept?: (dir: 'i2r' | 'r2i', frame: Buffer) => Buffer | null; start?: boolean } = {},
): Pair {
  const i = side(new Connection(initiatorConfig(iOpts)));
  const r = side(new Connection(responderConfig(rOpts)));
  const queues: { i2r: Buffer[]; r2i: Buffer[] } = { i2r: [], r2i: [] };
  const record = (s: Side, dir: 'i2r' | 'r2i', out: Output): void => {
    s.events.push(...out.events);
    for (const f of out.frames) {
      s.sent.push(f);
      const forwarded = opts.intercept ? opts.intercept(dir, f) : f;
      if (forwarded !== null) queues[dir].push(forwarded);
    }
  };
  const deliver = (to: Side, from: 'i2r' | 'r2i', back: 'i2r' | 'r2i', chunk?: number): boolean => {
    const q = queues[from];
    if (q.length === 0) return false;
    const bytes = Buffer.concat(q.splice(0));
    const step = chunk ?? bytes.length;
    for (let off = 0; off < bytes.length; off += step) {
      record(to, back, to.conn.receive(bytes.subarray(off, off + step)));
    }
    return true;
  };
  const pair: Pair = {
    i,
    r,
    pump(chunk) {
      for (let n = 0; n < 100; n++) {
        const a = deliver(r, 'i2r', 'r2i', chunk ?? opts.chunk);
        const b = deliver(i, 'r2i', 'i2r', chunk ?? opts.chunk);
        if (!a && !b) return;
      }
      throw new Error('pump did not settle');
    },
    from(s, out) {
      record(s === 'i' ? i : r, s === 'i' ? 'i2r' : 'r2i', out);
    },
  };
  r.events.push(...r.conn.start().events);
  if (opts.start !== false) {
    pair.from('i', i.conn.start());
    pair.pump();
  }
  return pair;
}

export function eventsOf<T extends EngineEvent['type']>(s: Side, type: T): Extract<EngineEvent, { type: T }>[] {
  return s.events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}

/** The alert a side sent (first one), or undefined. */
export function alertSent(s: Side): string | undefined {
  return eventsOf(s, 'alert_sent')[0]?.alert;
}

export function alertReceived(s: Side): string | undefined {
  return eventsOf(s, 'alert_received')[0]?.alert;
}

export function closedHow(s: Side): string | undefined {
  return eventsOf(s, 'closed')[0]?.how;
}

/** Split a byte stream into frames. */
export function frames(bytes: Buffer[]): Frame[] {
  const d = new FrameDecoder();
  return bytes.flatMap((b) => d.push(b));
}

/** Decode the plaintext frames of a list (records are returned as the string 'record'). */
export function plaintextMessages(sent: Buffer[]): Array<E2edMessage | 'record'> {
  return frames(sent).map((f) => (f.type === 0x01 ? decodeE2ed(f.payload) : 'record'));
}

/**
 * A man in the middle for `connect`'s intercept: rewrites the first plaintext frame of kind `kind`
 * travelling in direction `dir` (decode, edit, re-encode), passes everything else through.
 */
export function rewriteOnce<K extends E2edMessage['kind']>(
  dir: 'i2r' | 'r2i',
  kind: K,
  edit: (msg: Extract<E2edMessage, { kind: K }>) => E2edMessage,
): (d: 'i2r' | 'r2i', frame: Buffer) => Buffer {
  let done = false;
  return (d, frame) => {
    if (done || d !== dir || frame[4] !== 0x01) return frame;
    const msg = decodeE2ed(frame.subarray(5));
    if (msg.kind !== kind) return frame;
    done = true;
    return encodeFrame(0x01, encodeE2ed(edit(msg as Extract<E2edMessage, { kind: K }>)));
  };
}

/** A record the initiator could send as its record number `seq`, sealed with keys from its key log (AES-256-GCM). */
export function initiatorRecord(p: Pair, msg: E2edMessage, seq = 0n): Buffer {
  const ms = Buffer.from(eventsOf(p.i, 'keylog').find((e) => e.label === 'E2ED_MASTER_SECRET')!.secretHex, 'hex');
  const ts = expandLabel(ms, 'i2r traffic', Buffer.alloc(0), 32);
  return sealRecord('AES-256-GCM', expandLabel(ts, 'key', Buffer.alloc(0), 32), expandLabel(ts, 'iv', Buffer.alloc(0), 12), seq, encodeE2ed(msg));
}
