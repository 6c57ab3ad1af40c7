// NIST P-256 (SEC 2, secp256r1 / prime256v1) domain parameters and the little modular arithmetic
// the core needs to validate points and compute ECDSA's s itself.
import { mod, modInverse } from './bigint.js';

export const P256 = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  /** Bytes in a scalar or a coordinate. */
  size: 32,
} as const;

export { mod } from './bigint.js';

/** Inverse modulo a prime (both p and n of P-256 are prime); see bigint.ts. */
export function modInversePrime(x: bigint, m: bigint): bigint {
  if (mod(x, m) === 0n) throw new RangeError('zero has no inverse');
  return modInverse(x, m);
}

export function bytesToBigInt(b: Uint8Array): bigint {
  return b.byteLength === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

export function bigIntToBytes(x: bigint, length: number): Buffer {
  const hex = x.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`integer does not fit in ${length} bytes`);
  return Buffer.from(hex, 'hex');
}

/** y^2 = x^3 + a*x + b (mod p), with both coordinates reduced. */
export function isOnCurve(x: bigint, y: bigint): boolean {
  const { p, a, b } = P256;
  if (x < 0n || x >= p || y < 0n || y >= p) return false;
  return mod(y * y - (x * x * x + a * x + b), p) === 0n;
}

/** A 65-byte uncompressed SEC1 point 04||X||Y on the curve (the identity has no such encoding). */
export function isValidUncompressedPoint(point: Uint8Array): boolean {
  if (point.byteLength !== 1 + 2 * P256.size || point[0] !== 0x04) return false;
  const x = bytesToBigInt(point.subarray(1, 1 + P256.size));
  const y = bytesToBigInt(point.subarray(1 + P256.size));
  return isOnCurve(x, y);
}
