// Modular arithmetic on BigInt, shared by the P-256 signer and the deterministic RSA/DSA key
// derivation of the test PKI. None of it is constant-time: it serves a test bench.

export function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

export function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Inverse of a modulo m by the extended Euclidean algorithm; throws when gcd(a, m) != 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [m, mod(a, m)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(t0, m);
}
