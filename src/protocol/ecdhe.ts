// Ephemeral Diffie-Hellman for the key-exchange methods x25519 (RFC 7748) and p256 (SEC 1 ECDH,
// Z = the x-coordinate). docs/spec.md sections 7.3 and 7.5: "x25519 shared secret (all-zero
// result: illegal_parameter), P-256 x-coordinate (point off curve, not uncompressed, or the
// identity: illegal_parameter)". Keys travel raw; the DER forms are parsed strictly here too,
// because OpenSSL accepts SPKIs (explicit curve parameters) that the protocol must refuse.
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { peerMisbehaved } from './errors.js';
import type { RandomSource } from './random.js';
import { bytesToBigInt, isValidUncompressedPoint, P256 } from './crypto/p256.js';

export type EcdheMethod = 'x25519' | 'p256';

export const X25519_KEY_LENGTH = 32;
export const P256_SCALAR_LENGTH = 32;
export const P256_POINT_LENGTH = 65;

// DER is canonical, so a well-formed key of these types has exactly these leading bytes:
// SEQUENCE { SEQUENCE { OID 1.3.101.110 } BIT STRING (0 unused bits) 32 bytes }
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.110 }, OCTET STRING { OCTET STRING 32 bytes } }
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
// SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 } BIT STRING (0 unused bits) 65 bytes }
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

// The base point u = 9, a well-formed placeholder for the JWK "x" member (see below).
const X25519_BASE_POINT_B64URL = Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]).toString('base64url');

/**
 * The KeyObject made for an ephemeral private key when its public half was computed, so that the
 * Diffie-Hellman step does not import the same key again. Keyed by the Buffer, and checked against
 * a copy of its bytes: a buffer zeroed or rewritten since is imported afresh.
 */
const importedPrivateKeys = new WeakMap<Uint8Array, { bytes: Buffer; key: KeyObject }>();

function x25519PrivateKeyObject(privateKey: Uint8Array): KeyObject {
  if (privateKey.byteLength !== X25519_KEY_LENGTH) throw new RangeError('x25519 private key must be 32 bytes');
  const known = importedPrivateKeys.get(privateKey);
  if (known !== undefined && known.bytes.equals(privateKey)) return known.key;
  const key = importX25519PrivateKey(privateKey);
  importedPrivateKeys.set(privateKey, { bytes: Buffer.from(privateKey), key });
  return key;
}

function importX25519PrivateKey(privateKey: Uint8Array): KeyObject {
  // Importing through JWK is ten times faster than through PKCS#8 DER (OpenSSL 3's DER decoder
  // dominated the handshake profile). Node builds the key from "d" alone and derives the public
  // half itself, so "x" only has to be well formed; publicKeyFromPrivate reads the derived one.
  try {
    return createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(privateKey).toString('base64url'), x: X25519_BASE_POINT_B64URL },
      format: 'jwk',
    });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
  }
}

function p256Scalar(privateKey: Uint8Array): bigint {
  if (privateKey.byteLength !== P256_SCALAR_LENGTH) throw new RangeError('p256 private key must be 32 bytes');
  const d = bytesToBigInt(privateKey);
  if (d < 1n || d >= P256.n) throw new RangeError('p256 private scalar must lie in [1, n-1]');
  return d;
}

export function generateKeyShare(method: EcdheMethod, rng: RandomSource): { privateKey: Buffer; publicKey: Buffer } {
  switch (method) {
    case 'x25519': {
      // Any 32 bytes are a private key: X25519 clamps them itself (RFC 7748 section 5).
      const privateKey = rng.bytes(X25519_KEY_LENGTH);
      return { privateKey, publicKey: publicKeyFromPrivate(method, privateKey) };
    }
    case 'p256': {
      // Rejection sampling into [1, n-1]: unbiased, and with n so close to 2^256 a retry is rare.
      for (;;) {
        const privateKey = rng.bytes(P256_SCALAR_LENGTH);
        const d = bytesToBigInt(privateKey);
        if (d >= 1n && d < P256.n) return { privateKey, publicKey: publicKeyFromPrivate(method, privateKey) };
      }
    }
    default: {
      const never: never = method;
      throw new RangeError(`unknown ECDHE method ${String(never)}`);
    }
  }
}

export function publicKeyFromPrivate(method: EcdheMethod, privateKey: Buffer): Buffer {
  if (method === 'x25519') {
    const jwk = createPublicKey(x25519PrivateKeyObject(privateKey)).export({ format: 'jwk' });
    return Buffer.from(String(jwk.x), 'base64url');
  }
  p256Scalar(privateKey);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  return ecdh.getPublicKey(null, 'uncompressed');
}

export function computeSharedSecret(method: EcdheMethod, privateKey: Buffer, peerPublicKey: Buffer): Buffer {
  if (method === 'x25519') return x25519SharedSecret(privateKey, peerPublicKey);
  return p256SharedSecret(privateKey, peerPublicKey);
}

function x25519SharedSecret(privateKey: Buffer, peerPublicKey: Buffer): Buffer {
  if (peerPublicKey.byteLength !== X25519_KEY_LENGTH) {
    throw peerMisbehaved('illegal_parameter', `x25519 key share must be 32 bytes, not ${peerPublicKey.byteLength}`);
  }
  const ownKey = x25519PrivateKeyObject(privateKey);
  let shared: Buffer;
  try {
    const peerKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerPublicKey.toString('base64url') }, format: 'jwk' });
    shared = diffieHellman({ privateKey: ownKey, publicKey: peerKey });
  } catch {
    // OpenSSL refuses to derive from low-order points (all-zero output); same rule as below.
    throw peerMisbehaved('illegal_parameter', 'x25519 key share gives no usable shared secret');
  }
  // "x25519 shared secret (all-zero result: illegal_parameter)" (RFC 7748 section 6.1's check).
  if (shared.every((byte) => byte === 0)) throw peerMisbehaved('illegal_parameter', 'x25519 shared secret is all zero');
  return shared;
}

function p256SharedSecret(privateKey: Buffer, peerPublicKey: Buffer): Buffer {
  p256Scalar(privateKey);
  // "point off curve, not uncompressed, or the identity: illegal_parameter". The identity has no
  // 65-byte encoding, so the on-curve check of 04||X||Y covers it; OpenSSL checks again below.
  if (!isValidUncompressedPoint(peerPublicKey)) {
    throw peerMisbehaved('illegal_parameter', 'p256 key share is not an uncompressed point on the curve');
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  try {
    return ecdh.computeSecret(peerPublicKey);
  } catch {
    throw peerMisbehaved('illegal_parameter', 'p256 key share was refused by the ECDH computation');
  }
}

/** The raw 32-byte key of an X25519 SubjectPublicKeyInfo; anything but that exact DER is refused. */
export function x25519PublicKeyFromSpki(der: Buffer): Buffer {
  if (der.length !== X25519_SPKI_PREFIX.length + X25519_KEY_LENGTH || !der.subarray(0, X25519_SPKI_PREFIX.length).equals(X25519_SPKI_PREFIX)) {
    throw peerMisbehaved('illegal_parameter', 'not a DER X25519 SubjectPublicKeyInfo');
  }
  return Buffer.from(der.subarray(X25519_SPKI_PREFIX.length));
}

/** The raw 32-byte key of an X25519 PKCS#8 (version 0, no attributes). */
export function x25519PrivateKeyFromPkcs8(der: Buffer): Buffer {
  if (der.length !== X25519_PKCS8_PREFIX.length + X25519_KEY_LENGTH || !der.subarray(0, X25519_PKCS8_PREFIX.length).equals(X25519_PKCS8_PREFIX)) {
    throw peerMisbehaved('illegal_parameter', 'not a DER X25519 PKCS#8 private key');
  }
  return Buffer.from(der.subarray(X25519_PKCS8_PREFIX.length));
}

/**
 * The uncompressed point of a P-256 SubjectPublicKeyInfo. Only namedCurve prime256v1 is accepted:
 * OpenSSL also takes explicit curve parameters (and so modified generators, cofactors, primes),
 * which the protocol never needs and which open invalid-curve attacks.
 */
export function p256PublicKeyFromSpki(der: Buffer): Buffer {
  if (der.length !== P256_SPKI_PREFIX.length + P256_POINT_LENGTH || !der.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) {
    throw peerMisbehaved('illegal_parameter', 'not a DER P-256 (namedCurve prime256v1, uncompressed) SubjectPublicKeyInfo');
  }
  const point = Buffer.from(der.subarray(P256_SPKI_PREFIX.length));
  if (!isValidUncompressedPoint(point)) throw peerMisbehaved('illegal_parameter', 'P-256 public key is not on the curve');
  return point;
}

export function validateP256Spki(der: Buffer): KeyObject {
  p256PublicKeyFromSpki(der);
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw peerMisbehaved('illegal_parameter', 'P-256 SubjectPublicKeyInfo was refused by the key parser');
  }
}
