// What the handshake handlers of one connection share: the local identity and configuration,
// the random streams, the knobs, and where events go. Built once by the engine.
import type { KeyObject } from 'node:crypto';
import type { Bugs } from '../bugs.js';
import { toHex } from '../bytes.js';
import { encodeFrame, FrameType } from '../frame.js';
import { keyLogLine, type KeyLogLabel } from '../keylog.js';
import { encodeE2ed, type E2edMessage } from '../messages.js';
import type { RandomSource } from '../random.js';
import type { SignatureAlgorithm } from '../signature.js';
import type { EngineEvent, Role } from './events.js';
import type { VerifyPeer } from './peer-authentication.js';
import type { Preferences } from './selection.js';

/**
 * One independent random stream per use, so that a knob changing one draw never shifts another.
 * The fork labels are a contract: src/vectors/handshake.ts re-derives the ephemeral keys and the
 * premaster of a seeded run from the "key-share" and "premaster" forks. Do not rename them.
 */
export interface RandomStreams {
  nonce: RandomSource;
  keyShare: RandomSource;
  premaster: RandomSource;
  oaep: RandomSource;
  signature: RandomSource;
  implicitRejection: RandomSource;
}

export function randomStreams(rng: RandomSource): RandomStreams {
  return {
    nonce: rng.fork('nonce'),
    keyShare: rng.fork('key-share'),
    premaster: rng.fork('premaster'),
    oaep: rng.fork('oaep'),
    signature: rng.fork('signature'),
    implicitRejection: rng.fork('implicit-rejection'),
  };
}

export interface HandshakeContext {
  readonly role: Role;
  readonly userId: string;
  readonly certificateChain: Buffer[];
  readonly privateKey: KeyObject;
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Initiator: the user it intends to reach. */
  readonly peerUserId: string | undefined;
  /** Initiator using rsa-oaep: the responder's chain obtained from IRP. */
  readonly peerCertificateForKeyTransport: Buffer[] | undefined;
  readonly prefs: Preferences;
  readonly verifyPeer: VerifyPeer;
  /** E2ED-ID-2: does this nonce belong to a Hello_I the local UA sent in a handshake still pending? */
  readonly isOwnPendingNonce: (nonce: Buffer) => boolean;
  readonly rng: RandomStreams;
  readonly bugs: Bugs;
  emit(event: EngineEvent): void;
}

/** A handshake message as a whole plaintext frame (type 0x01), the bytes the transcript covers. */
export function plaintextFrame(msg: E2edMessage): Buffer {
  return encodeFrame(FrameType.Plaintext, encodeE2ed(msg));
}

/** A different, well-formed user ID in the same domain, for the identity knobs. */
export function impostorUserId(userId: string): string {
  const domain = userId.slice(userId.indexOf('@') + 1);
  return userId.startsWith('mallory@') ? `trudy@${domain}` : `mallory@${domain}`;
}

/** Flip the lowest bit of the last byte (keeps DER and lengths intact: only the value changes). */
export function flipLastBit(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out[out.length - 1] ^= 0x01;
  return out;
}

/** A `keylog` event (docs/spec.md, section 13 "Key log"), one per secret. */
export function emitKeyLog(ctx: HandshakeContext, label: KeyLogLabel, nonceI: Buffer, secret: Buffer): void {
  ctx.emit({ type: 'keylog', label, secretHex: toHex(secret), line: keyLogLine(label, nonceI, secret) });
}
