// The E2ED key schedule (brief, "Key schedule"; docs/spec.md, section 7).
// HKDF-SHA256 per RFC 5869, written out with HMAC because crypto.hkdfSync always runs Extract first
// and the schedule needs Expand on its own.
import { createHmac } from 'node:crypto';
import { u8, u16be } from './bytes.js';

const HASH_LENGTH = 32;
const LABEL_PREFIX = 'e2ed ';

/** RFC 5869 2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zero bytes. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  const key = salt.byteLength === 0 ? Buffer.alloc(HASH_LENGTH) : salt;
  return createHmac('sha256', key).update(ikm).digest();
}

/** RFC 5869 2.3: T(i) = HMAC-Hash(PRK, T(i-1) || info || i); "L <= 255*HashLen". */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LENGTH) {
    throw new RangeError(`HKDF-Expand cannot produce ${length} bytes`);
  }
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; i <= Math.ceil(length / HASH_LENGTH); i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(u8(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** info = uint16(len) || uint8(len(L)) || L || uint8(len(context)) || context, L = "e2ed " + label. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  const fullLabel = Buffer.from(LABEL_PREFIX + label, 'ascii');
  return Buffer.concat([u16be(length), u8(fullLabel.length), fullLabel, u8(context.byteLength), context]);
}

export function expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  return hkdfExpand(secret, hkdfLabel(label, context, length), length);
}

const EMPTY = Buffer.alloc(0);

/** HS = HKDF-Extract(salt = nonce_I || nonce_R, IKM = Z). */
export function handshakeSecret(z: Uint8Array, nonceI: Uint8Array, nonceR: Uint8Array): Buffer {
  return hkdfExtract(Buffer.concat([nonceI, nonceR]), z);
}

export function finishedKey(hs: Uint8Array, who: 'i' | 'r'): Buffer {
  return expandLabel(hs, who === 'i' ? 'i finished' : 'r finished', EMPTY, HASH_LENGTH);
}

/** Finished = HMAC-SHA256(finished key, TH(...)). */
export function finishedValue(finishedKeyBytes: Uint8Array, transcriptHash: Uint8Array): Buffer {
  return createHmac('sha256', finishedKeyBytes).update(transcriptHash).digest();
}

/** MS = ExpandLabel(HS, "master", TH(Hello_I .. Fin_I), 32). */
export function masterSecret(hs: Uint8Array, transcriptHashThroughFinishedI: Uint8Array): Buffer {
  return expandLabel(hs, 'master', transcriptHashThroughFinishedI, HASH_LENGTH);
}

export function trafficSecrets(ms: Uint8Array): { i2r: Buffer; r2i: Buffer } {
  return {
    i2r: expandLabel(ms, 'i2r traffic', EMPTY, HASH_LENGTH),
    r2i: expandLabel(ms, 'r2i traffic', EMPTY, HASH_LENGTH),
  };
}

/** key = ExpandLabel(ts, "key", "", 32) (both AEADs take 32-byte keys), iv = ExpandLabel(ts, "iv", "", 12). */
export function trafficKeys(secret: Uint8Array): { key: Buffer; iv: Buffer } {
  return { key: expandLabel(secret, 'key', EMPTY, 32), iv: expandLabel(secret, 'iv', EMPTY, 12) };
}

/** Key update: ts' = ExpandLabel(ts, "update", "", 32). */
export function nextTrafficSecret(secret: Uint8Array): Buffer {
  return expandLabel(secret, 'update', EMPTY, HASH_LENGTH);
}

export function exporter(ms: Uint8Array): Buffer {
  return expandLabel(ms, 'exporter', EMPTY, HASH_LENGTH);
}

export const SIGNATURE_CONTEXT = {
  responder10: 'E2ED 1.0 responder signature',
  initiator10: 'E2ED 1.0 initiator signature',
  responder09: 'E2ED 0.9 responder signature',
  initiator09: 'E2ED 0.9 initiator signature',
} as const;

/** The signed content: context || 0x00 || hash. */
export function signedContent(context: string, hash: Buffer): Buffer {
  return Buffer.concat([Buffer.from(context, 'ascii'), Buffer.from([0]), hash]);
}
