// Key transport for method rsa-oaep (brief, "Key exchange methods"): the initiator sends a 32-byte
// premaster encrypted with RSA-OAEP, SHA-256, MGF1-SHA-256, empty label, to the responder's
// certificate key. EME-OAEP encoding is done here (RFC 8017 7.1.1) so that the seed comes from
// the RandomSource and a seeded run is reproducible; the RSA operation itself is node:crypto's.
import { constants, createHash, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { mgf1Sha256, xorInto } from './crypto/mgf1.js';
import type { RandomSource } from './random.js';

export const PREMASTER_LENGTH = 32;
const HASH_LENGTH = 32;

function rsaModulusBytes(key: KeyObject): number {
  if (key.asymmetricKeyType !== 'rsa') throw new RangeError(`key transport needs an RSA key, not ${key.asymmetricKeyType}`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new RangeError('RSA key without a modulus length');
  return Math.ceil(bits / 8);
}

/** RFC 8017 7.1.1 step 2: EM = 0x00 || maskedSeed || maskedDB. */
export function emeOaepEncode(message: Uint8Array, modulusBytes: number, seed: Uint8Array, label: Uint8Array = Buffer.alloc(0)): Buffer {
  const k = modulusBytes;
  if (seed.byteLength !== HASH_LENGTH) throw new RangeError('OAEP seed must be 32 bytes');
  // "If mLen > k - 2hLen - 2, output 'message too long'".
  if (message.byteLength > k - 2 * HASH_LENGTH - 2) throw new RangeError('message too long for RSA-OAEP');
  const lHash = createHash('sha256').update(label).digest();
  const ps = Buffer.alloc(k - message.byteLength - 2 * HASH_LENGTH - 2);
  const db = Buffer.concat([lHash, ps, Buffer.from([0x01]), message]);
  xorInto(db, mgf1Sha256(seed, k - HASH_LENGTH - 1));
  const maskedSeed = Buffer.from(seed);
  xorInto(maskedSeed, mgf1Sha256(db, HASH_LENGTH));
  return Buffer.concat([Buffer.from([0x00]), maskedSeed, db]);
}

export function encryptPremaster(rsaPublicKey: KeyObject, premaster: Buffer, rng: RandomSource): Buffer {
  if (premaster.byteLength !== PREMASTER_LENGTH) throw new RangeError('the premaster is 32 bytes');
  const k = rsaModulusBytes(rsaPublicKey);
  const encoded = emeOaepEncode(premaster, k, rng.bytes(HASH_LENGTH));
  // The leading 0x00 keeps EM below the modulus, so the raw RSA operation is well defined.
  return publicEncrypt({ key: rsaPublicKey, padding: constants.RSA_NO_PADDING }, encoded);
}

/** RSA-OAEP (SHA-256, MGF1-SHA-256) decryption with a given label; null on any failure. */
export function rsaOaepDecrypt(rsaPrivateKey: KeyObject, ciphertext: Buffer, label: Uint8Array = Buffer.alloc(0)): Buffer | null {
  try {
    // RFC 8017 7.1.2 step 1b: "If the length of the ciphertext C is not k octets ... decryption error".
    if (ciphertext.byteLength !== rsaModulusBytes(rsaPrivateKey)) return null;
    return privateDecrypt(
      { key: rsaPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
      ciphertext,
    );
  } catch {
    return null;
  }
}

/**
 * The premaster, or null on any failure or when the plaintext is not 32 bytes. The caller does
 * the implicit rejection the spec requires ("R MUST continue with 32 random bytes as Z").
 */
export function decryptPremaster(rsaPrivateKey: KeyObject, ciphertext: Buffer): Buffer | null {
  const plaintext = rsaOaepDecrypt(rsaPrivateKey, ciphertext);
  return plaintext !== null && plaintext.byteLength === PREMASTER_LENGTH ? plaintext : null;
}
