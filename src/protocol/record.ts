// Protected records, frame type 0x02 (docs/spec.md, section 8.1 "Record format"):
//   nonce = iv XOR (0^4 || uint64 seq); AAD = the 5-byte frame header of this record;
//   payload = AEAD ciphertext || 16-byte tag; "Failure to authenticate: bad_record_mac".
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { u64be } from './bytes.js';
import { peerMisbehaved, ProtocolError } from './errors.js';
import { FRAME_HEADER_LENGTH, FrameType, frameHeader, type Frame } from './frame.js';

export type CipherName = 'AES-256-GCM' | 'CHACHA20-POLY1305';
export const CIPHERS: readonly CipherName[] = ['AES-256-GCM', 'CHACHA20-POLY1305'];

export function isCipherName(s: string): s is CipherName {
  return (CIPHERS as readonly string[]).includes(s);
}

export const AEAD_KEY_LENGTH = 32;
export const AEAD_NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

/** AEAD family for the low-level functions; AES key size follows the key (the record layer only uses 32). */
export type AeadFamily = 'aes-gcm' | 'chacha20-poly1305';

function nodeCipherName(family: AeadFamily, key: Uint8Array): string {
  if (family === 'chacha20-poly1305') {
    if (key.byteLength !== 32) throw new RangeError('ChaCha20-Poly1305 takes a 32-byte key');
    return 'chacha20-poly1305';
  }
  if (key.byteLength !== 16 && key.byteLength !== 24 && key.byteLength !== 32) {
    throw new RangeError(`AES-GCM takes a 16, 24 or 32-byte key, not ${key.byteLength}`);
  }
  return `aes-${key.byteLength * 8}-gcm`;
}

function checkNonce(nonce: Uint8Array): void {
  // Both AEADs are used with 96-bit nonces only (RFC 8439 fixes it for ChaCha20-Poly1305).
  if (nonce.byteLength !== AEAD_NONCE_LENGTH) throw new RangeError(`AEAD nonce must be 12 bytes, not ${nonce.byteLength}`);
}

/** Low-level AEAD seal: ciphertext || 16-byte tag. */
export function aeadSeal(family: AeadFamily, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  return sealAfter(Buffer.alloc(0), family, key, nonce, aad, plaintext);
}

/** prefix || ciphertext || tag in one buffer: records are copied once, not once per part. */
function sealAfter(prefix: Uint8Array, family: AeadFamily, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  checkNonce(nonce);
  const cipher = createCipheriv(nodeCipherName(family, key) as CipherGCMTypes, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  return Buffer.concat([prefix, body, rest, cipher.getAuthTag()]);
}

/** Low-level AEAD open of ciphertext || tag: the plaintext, or null when authentication fails. */
export function aeadOpen(family: AeadFamily, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | null {
  checkNonce(nonce);
  if (sealed.byteLength < AEAD_TAG_LENGTH) return null;
  const split = sealed.byteLength - AEAD_TAG_LENGTH;
  const decipher = createDecipheriv(nodeCipherName(family, key) as CipherGCMTypes, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(split));
  decipher.setAAD(aad);
  const plaintext = decipher.update(sealed.subarray(0, split));
  try {
    const rest = decipher.final();
    return rest.length === 0 ? plaintext : Buffer.concat([plaintext, rest]);
  } catch {
    return null;
  }
}

function familyOf(cipher: CipherName): AeadFamily {
  switch (cipher) {
    case 'AES-256-GCM':
      return 'aes-gcm';
    case 'CHACHA20-POLY1305':
      return 'chacha20-poly1305';
    default: {
      const never: never = cipher;
      throw new RangeError(`unknown cipher ${String(never)}`);
    }
  }
}

function checkRecordKey(key: Uint8Array, iv: Uint8Array): void {
  if (key.byteLength !== AEAD_KEY_LENGTH) throw new RangeError('record key must be 32 bytes');
  if (iv.byteLength !== AEAD_NONCE_LENGTH) throw new RangeError('record iv must be 12 bytes');
}

/** nonce = iv XOR (4 zero bytes || uint64be seq). */
export function recordNonce(iv: Buffer, seq: bigint): Buffer {
  if (iv.byteLength !== AEAD_NONCE_LENGTH) throw new RangeError('record iv must be 12 bytes');
  const padded = Buffer.concat([Buffer.alloc(4), u64be(seq)]);
  const nonce = Buffer.alloc(AEAD_NONCE_LENGTH);
  for (let i = 0; i < AEAD_NONCE_LENGTH; i++) nonce[i] = iv[i]! ^ padded[i]!;
  return nonce;
}

/** The whole record frame: header (type 0x02, L = 1 + ciphertext + tag) || ciphertext || tag. */
export function sealRecord(cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, plaintext: Uint8Array): Buffer {
  checkRecordKey(key, iv);
  const header = frameHeader(FrameType.Record, plaintext.byteLength + AEAD_TAG_LENGTH);
  return sealAfter(header, familyOf(cipher), key, recordNonce(iv, seq), header, plaintext);
}

export function openRecord(cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, frame: Frame): Buffer {
  checkRecordKey(key, iv);
  if (frame.type !== FrameType.Record || frame.header.byteLength !== FRAME_HEADER_LENGTH) {
    // Routing a plaintext frame here is the caller's mistake, not the peer's.
    throw new ProtocolError('local', 'internal_error', `openRecord called on a frame of type 0x${frame.type.toString(16)}`);
  }
  // E2ED-REC-3: "a record that fails authentication (including one whose payload is shorter
  // than the 16-byte tag ...) MUST be rejected with bad_record_mac" (section 2.3 likewise).
  if (frame.payload.byteLength < AEAD_TAG_LENGTH) {
    throw peerMisbehaved('bad_record_mac', `record payload of ${frame.payload.byteLength} bytes is shorter than the tag`, 'E2ED-REC-3');
  }
  const plaintext = aeadOpen(familyOf(cipher), key, recordNonce(iv, seq), frame.header, frame.payload);
  if (plaintext === null) throw peerMisbehaved('bad_record_mac', `record ${seq} failed authentication`, 'E2ED-REC-3');
  return plaintext;
}

/**
 * The plaintext of a record decrypted WITHOUT checking its tag: what a receiver that skips
 * E2ED-REC-3's authentication would read. Only the record.skipAuthentication knob (a careless
 * receiver, src/protocol/bugs.ts) calls it; a record shorter than the tag is still refused.
 */
export function decryptRecordUnauthenticated(cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, frame: Frame): Buffer {
  checkRecordKey(key, iv);
  if (frame.payload.byteLength < AEAD_TAG_LENGTH) {
    throw peerMisbehaved('bad_record_mac', `record payload of ${frame.payload.byteLength} bytes is shorter than the tag`, 'E2ED-REC-3');
  }
  const family = familyOf(cipher);
  const decipher = createDecipheriv(nodeCipherName(family, key) as CipherGCMTypes, key, recordNonce(iv, seq), { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAAD(frame.header);
  // update() alone: final(), which checks the tag, is never called.
  return decipher.update(frame.payload.subarray(0, frame.payload.byteLength - AEAD_TAG_LENGTH));
}
