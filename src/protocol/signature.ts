// Signatures by certificate keys (docs/spec.md, section 4.3 "CertificateVerify"):
//   ecdsa-p256-sha256 (DER ECDSA-Sig-Value), ed25519 (64 bytes), rsa-pss-sha256 (MGF1-SHA256,
//   salt 32, length = modulus), RSA at least 2048 bits.
// Signing is deterministic under a seeded RandomSource, so a seeded run reproduces every byte: ECDSA
// per RFC 6979 (OpenSSL's random-k signer under the system source), Ed25519 by nature, RSA-PSS with
// its salt drawn from the RandomSource (EMSA-PSS encoded here, RFC 8017 9.1.1).
// Verification is node:crypto's, behind strictness checks of our own (Wycheproof marks BER and
// other lenient ECDSA encodings invalid, and OpenSSL accepts some of them).
import { constants, createECDH, createHash, createHmac, privateEncrypt, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { bigIntToBytes, bytesToBigInt, mod, modInversePrime, P256 } from './crypto/p256.js';
import { DerError, DerTag, encodeTlv, encodeUnsignedInteger, readAll, readOnly, readUnsignedInteger } from './crypto/der.js';
import { mgf1Sha256, xorInto } from './crypto/mgf1.js';
import { systemRandom, type RandomSource } from './random.js';

export type SignatureAlgorithm = 'ecdsa-p256-sha256' | 'ed25519' | 'rsa-pss-sha256';
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256-sha256', 'ed25519', 'rsa-pss-sha256'];

export function isSignatureAlgorithm(s: string): s is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(s);
}

export const RSA_MIN_MODULUS_BITS = 2048;
export const RSA_PSS_SALT_LENGTH = 32;
const HASH_LENGTH = 32;

/** The algorithm a key signs with, or null when the protocol does not accept the key (brief: "RSA at least 2048 bits"). */
export function signatureAlgorithmForKey(key: KeyObject): SignatureAlgorithm | null {
  if (key.type !== 'public' && key.type !== 'private') return null;
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? 'ecdsa-p256-sha256' : null;
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      // Plain rsaEncryption keys only: an id-RSASSA-PSS key carries its own parameter restrictions.
      return (details?.modulusLength ?? 0) >= RSA_MIN_MODULUS_BITS ? 'rsa-pss-sha256' : null;
    default:
      return null;
  }
}

function requireAlgorithm(alg: SignatureAlgorithm, key: KeyObject): void {
  const keyAlg = signatureAlgorithmForKey(key);
  if (keyAlg !== alg) throw new RangeError(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign ${alg}`);
}

export function sign(alg: SignatureAlgorithm, privateKey: KeyObject, data: Uint8Array, rng: RandomSource): Buffer {
  if (privateKey.type !== 'private') throw new RangeError('signing needs a private key');
  requireAlgorithm(alg, privateKey);
  switch (alg) {
    case 'ecdsa-p256-sha256':
      // Seeded runs need every byte reproducible, so they sign per RFC 6979 (deterministic k).
      // With the system's randomness nothing is to be reproduced, and OpenSSL's own signer (random
      // k) is several times faster than the BigInt arithmetic of ours.
      return rng === systemRandom ? nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' }) : ecdsaP256Sign(privateKey, data);
    case 'ed25519':
      return signEd25519(privateKey, data);
    case 'rsa-pss-sha256':
      return rsaPssSign(privateKey, data, rng.bytes(RSA_PSS_SALT_LENGTH));
    default: {
      const never: never = alg;
      throw new RangeError(`unknown signature algorithm ${String(never)}`);
    }
  }
}

/** Strict verification; false for every malformed input, never an exception. */
export function verify(alg: SignatureAlgorithm, publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signatureAlgorithmForKey(publicKey) !== alg) return false;
    switch (alg) {
      case 'ecdsa-p256-sha256':
        return verifyEcdsaP256Der(publicKey, data, signature);
      case 'ed25519':
        return verifyEd25519(publicKey, data, signature);
      case 'rsa-pss-sha256':
        return verifyRsaPss(publicKey, data, signature, RSA_PSS_SALT_LENGTH);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

// ---- ECDSA P-256 / SHA-256 ----

function ecdsaPrivateScalar(privateKey: KeyObject): bigint {
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new RangeError('EC private key without d');
  return bytesToBigInt(Buffer.from(jwk.d, 'base64url'));
}

/** r = x(k*G) mod n, computed by node:crypto's point multiplication. */
function ecdsaR(k: bigint): bigint {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(bigIntToBytes(k, P256.size));
  const point = ecdh.getPublicKey(null, 'uncompressed');
  return mod(bytesToBigInt(point.subarray(1, 1 + P256.size)), P256.n);
}

/**
 * RFC 6979 section 3.2 with HMAC-SHA256, qlen = hlen = 256 (so bits2int is the identity on
 * 32-byte strings), then s = k^-1 (h + r*d) mod n. Returns r and s.
 */
export function ecdsaP256SignRaw(d: bigint, data: Uint8Array): { r: bigint; s: bigint; k: bigint } {
  const { n, size } = P256;
  if (d < 1n || d >= n) throw new RangeError('private scalar out of range');
  const h = bytesToBigInt(createHash('sha256').update(data).digest());
  const x = bigIntToBytes(d, size);
  const h1 = bigIntToBytes(mod(h, n), size); // bits2octets(H(m))
  let v: Buffer = Buffer.alloc(HASH_LENGTH, 0x01);
  let kk: Buffer = Buffer.alloc(HASH_LENGTH, 0x00);
  const hmac = (key: Buffer, ...parts: Uint8Array[]): Buffer => {
    const mac = createHmac('sha256', key);
    for (const part of parts) mac.update(part);
    return mac.digest();
  };
  kk = hmac(kk, v, Buffer.from([0x00]), x, h1);
  v = hmac(kk, v);
  kk = hmac(kk, v, Buffer.from([0x01]), x, h1);
  v = hmac(kk, v);
  for (;;) {
    v = hmac(kk, v);
    const k = bytesToBigInt(v);
    if (k >= 1n && k < n) {
      const r = ecdsaR(k);
      const s = mod(modInversePrime(k, n) * (h + r * d), n);
      if (r !== 0n && s !== 0n) return { r, s, k };
    }
    kk = hmac(kk, v, Buffer.from([0x00]));
    v = hmac(kk, v);
  }
}

export function encodeEcdsaDer(r: bigint, s: bigint): Buffer {
  return encodeTlv(DerTag.Sequence, Buffer.concat([encodeUnsignedInteger(r), encodeUnsignedInteger(s)]));
}

function ecdsaP256Sign(privateKey: KeyObject, data: Uint8Array): Buffer {
  const { r, s } = ecdsaP256SignRaw(ecdsaPrivateScalar(privateKey), data);
  return encodeEcdsaDer(r, s);
}

/** r and s of a DER ECDSA-Sig-Value, or null unless it is strict DER with 1 <= r, s < n. */
export function parseEcdsaDer(signature: Uint8Array): { r: bigint; s: bigint } | null {
  try {
    const sequence = readOnly(Buffer.from(signature), DerTag.Sequence);
    const items = readAll(sequence.contents);
    if (items.length !== 2) return null;
    const r = readUnsignedInteger(items[0]!);
    const s = readUnsignedInteger(items[1]!);
    if (r < 1n || r >= P256.n || s < 1n || s >= P256.n) return null;
    return { r, s };
  } catch (err) {
    if (err instanceof DerError) return null;
    throw err;
  }
}

export function verifyEcdsaP256Der(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signatureAlgorithmForKey(publicKey) !== 'ecdsa-p256-sha256') return false;
    if (parseEcdsaDer(signature) === null) return false;
    return nodeVerify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** IEEE P1363 form r||s (32 bytes each), verified through its DER equivalent. */
export function verifyEcdsaP256P1363(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== 2 * P256.size) return false;
  const r = bytesToBigInt(signature.subarray(0, P256.size));
  const s = bytesToBigInt(signature.subarray(P256.size));
  if (r < 1n || r >= P256.n || s < 1n || s >= P256.n) return false;
  return verifyEcdsaP256Der(publicKey, data, encodeEcdsaDer(r, s));
}

// ---- Ed25519 ----

const ED25519_SIGNATURE_LENGTH = 64;

function signEd25519(privateKey: KeyObject, data: Uint8Array): Buffer {
  // Ed25519 signs the message itself (no pre-hash), hence the null digest.
  return nodeSign(null, data, privateKey);
}

export function verifyEd25519(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey.asymmetricKeyType !== 'ed25519') return false;
    if (signature.byteLength !== ED25519_SIGNATURE_LENGTH) return false;
    return nodeVerify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}

// ---- RSA-PSS / SHA-256 / MGF1-SHA-256 ----

function rsaModulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) throw new RangeError('not an RSA key');
  return bits;
}

/** RFC 8017 9.1.1 EMSA-PSS-ENCODE with SHA-256 and MGF1-SHA-256, emBits = modBits - 1. */
export function emsaPssEncode(data: Uint8Array, emBits: number, salt: Uint8Array): Buffer {
  const emLen = Math.ceil(emBits / 8);
  const mHash = createHash('sha256').update(data).digest();
  // "If emLen < hLen + sLen + 2, output 'encoding error'".
  if (emLen < HASH_LENGTH + salt.byteLength + 2) throw new RangeError('RSA key too small for this PSS salt');
  const h = createHash('sha256').update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - salt.byteLength - HASH_LENGTH - 2), Buffer.from([0x01]), salt]);
  xorInto(db, mgf1Sha256(h, emLen - HASH_LENGTH - 1));
  // "Set the leftmost 8emLen - emBits bits of the leftmost octet in maskedDB to zero."
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function rsaPssSign(privateKey: KeyObject, data: Uint8Array, salt: Buffer): Buffer {
  const modBits = rsaModulusBits(privateKey);
  const k = Math.ceil(modBits / 8);
  const em = emsaPssEncode(data, modBits - 1, salt);
  const padded = Buffer.concat([Buffer.alloc(k - em.length), em]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, padded);
}

/** RSA-PSS SHA-256 / MGF1-SHA-256 with an exact salt length; the signature must be k bytes. */
export function verifyRsaPss(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array, saltLength: number): boolean {
  try {
    const modBits = rsaModulusBits(publicKey);
    if (modBits < RSA_MIN_MODULUS_BITS) return false;
    if (signature.byteLength !== Math.ceil(modBits / 8)) return false;
    return nodeVerify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  } catch {
    return false;
  }
}
