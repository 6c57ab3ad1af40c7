// Key pairs of the test PKI, derived deterministically from a seed so that the same seed always
// gives the same certificates byte for byte. P-256 and Ed25519 private keys are seeded bytes; RSA
// keys come from a deterministic prime search over a seeded stream (slow, so cached per seed in
// memory and on disk; the cache only saves time, it never changes which key a seed gives).
// The weak keys the defect catalogue needs (P-192, DSA) exist only as SubjectPublicKeyInfo: no
// test ever signs with them.
import {
  checkPrimeSync,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { P256 } from '../protocol/crypto/p256.js';
import { seededRandom, type RandomSource } from '../protocol/random.js';
import { der } from './cert-builder.js';
import { OID } from './oids.js';
import { modInverse, modPow } from '../protocol/crypto/bigint.js';

/** Key types a test user or CA can have (the E2ED profile's acceptable keys). */
export type KeyType = 'p256' | 'ed25519' | 'rsa2048' | 'rsa3072';
export const KEY_TYPES: readonly KeyType[] = ['p256', 'ed25519', 'rsa2048', 'rsa3072'];

/** Key types that exist only for defects: the profile refuses them (E2ED-CERT-8, E2ED-CERT-9). */
export type WeakKeyType = 'rsa1024' | 'rsa2048-e3' | 'p192' | 'dsa2048' | 'p256-explicit';

export interface KeyPair {
  type: KeyType | 'rsa1024';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
}

export function isKeyType(s: string): s is KeyType {
  return (KEY_TYPES as readonly string[]).includes(s);
}

export function isRsaKeyType(t: KeyType | WeakKeyType): boolean {
  return t.startsWith('rsa');
}

/** 32 key-seed bytes for one labelled key of one PKI seed; independent of every other label. */
export function keySeed(seed: string, label: string): Buffer {
  return seededRandom(`sixbench pki key v1\0${seed}`).fork(label).bytes(32);
}

const memoryCache = new Map<string, KeyPair>();

/**
 * Forgets the derived P-256 and Ed25519 keys (cheap to derive again), keeping RSA keys: lets a
 * benchmark measure a fresh run "once RSA keys are cached".
 */
export function forgetCheapKeys(): void {
  for (const [cacheKey, pair] of memoryCache) if (!pair.type.startsWith('rsa')) memoryCache.delete(cacheKey);
}

/** The key pair of the given type that this key seed always gives. */
export function deriveKeyPair(type: KeyType | 'rsa1024', seedBytes: Uint8Array): KeyPair {
  const cacheKey = `${type}:${Buffer.from(seedBytes).toString('hex')}`;
  const cached = memoryCache.get(cacheKey);
  if (cached) return cached;
  let privateKey: KeyObject;
  switch (type) {
    case 'p256':
      privateKey = deriveP256(seededRandom(seedBytes));
      break;
    case 'ed25519':
      privateKey = deriveEd25519(seededRandom(seedBytes));
      break;
    case 'rsa1024':
    case 'rsa2048':
    case 'rsa3072':
      privateKey = rsaFromDiskCacheOrSearch(type, seedBytes);
      break;
  }
  const publicKey = createPublicKey(privateKey);
  const pair: KeyPair = { type, privateKey, publicKey, spki: publicKey.export({ format: 'der', type: 'spki' }) };
  memoryCache.set(cacheKey, pair);
  return pair;
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

function bigToBytes(x: bigint): Buffer {
  let hex = x.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

function bytesToBig(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
}

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P192_ORDER = 0xffffffffffffffffffffffff99def836146bc9b1b4d22831n;

/** A scalar in [1, order-1] by rejection sampling, so every draw is uniform and deterministic. */
function drawScalar(rng: RandomSource, order: bigint, length: number): Buffer {
  for (;;) {
    const candidate = rng.bytes(length);
    const value = bytesToBig(candidate);
    if (value > 0n && value < order) return candidate;
  }
}

function deriveP256(rng: RandomSource): KeyObject {
  const d = drawScalar(rng, P256_ORDER, 32);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    d: b64url(d),
    x: b64url(point.subarray(1, 33)),
    y: b64url(point.subarray(33, 65)),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

// PKCS#8 PrivateKeyInfo prefix for an Ed25519 key (RFC 8410 section 7); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function deriveEd25519(rng: RandomSource): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, rng.bytes(32)]), format: 'der', type: 'pkcs8' });
}

// ---- RSA: deterministic prime search -------------------------------------------------------

const RSA_PARAMETERS = {
  rsa1024: { bits: 1024, e: 65537n },
  rsa2048: { bits: 2048, e: 65537n },
  rsa3072: { bits: 3072, e: 65537n },
  /** Exponent 3: refused by the profile (E2ED-CERT-8: "exponent 65537"). */
  'rsa2048-e3': { bits: 2048, e: 3n },
} as const;
const RSA_EXPONENT = 65537n;

const SMALL_PRIMES: bigint[] = (() => {
  const out: bigint[] = [];
  for (let n = 3; n < 2000; n += 2) {
    let prime = true;
    for (let d = 3; d * d <= n; d += 2) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) out.push(BigInt(n));
  }
  return out;
})();

/**
 * A prime of exactly `bits` bits with the two top bits set (so p*q has exactly 2*bits bits) and
 * gcd(e, p-1) = 1 (e is prime): incremental search by 2 from a seeded odd start, trial division first.
 */
function searchPrime(rng: RandomSource, bits: number, e: bigint): bigint {
  for (;;) {
    const start = rng.bytes(bits / 8);
    start[0]! |= 0xc0;
    start[start.length - 1]! |= 0x01;
    let candidate = bytesToBig(start);
    for (let step = 0; step < 10000; step++, candidate += 2n) {
      if (candidate >> BigInt(bits) !== 0n) break;
      if (SMALL_PRIMES.some((p) => candidate % p === 0n)) continue;
      if ((candidate - 1n) % e === 0n) continue;
      if (checkPrimeSync(candidate, { checks: 40 })) return candidate;
    }
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function searchRsaKey(bits: number, seedBytes: Uint8Array, e: bigint = RSA_EXPONENT): KeyObject {
  const rng = seededRandom(seedBytes);
  const half = bits / 2;
  for (;;) {
    let p = searchPrime(rng.fork('p'), half, e);
    let q = searchPrime(rng.fork('q'), half, e);
    if (p === q) continue;
    if (p < q) [p, q] = [q, p];
    const n = p * q;
    if (n.toString(2).length !== bits) continue;
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInverse(e, lambda);
    const jwk: JsonWebKey = {
      kty: 'RSA',
      n: b64url(bigToBytes(n)),
      e: b64url(bigToBytes(e)),
      d: b64url(bigToBytes(d)),
      p: b64url(bigToBytes(p)),
      q: b64url(bigToBytes(q)),
      dp: b64url(bigToBytes(d % (p - 1n))),
      dq: b64url(bigToBytes(d % (q - 1n))),
      qi: b64url(bigToBytes(modInverse(q, p))),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
}

function cacheDirectories(): string[] {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return [path.join(repoRoot, '.cache', 'pki-keys'), path.join(os.tmpdir(), 'sixbench-pki-keys')];
}

function rsaFromDiskCacheOrSearch(type: keyof typeof RSA_PARAMETERS, seedBytes: Uint8Array): KeyObject {
  const { bits, e } = RSA_PARAMETERS[type];
  // The file name binds the key to its seed and to this derivation's version, so a stale file
  // from another derivation can never be mistaken for this seed's key.
  const name = `${type}-v1-${createHash('sha256').update(seedBytes).digest('hex').slice(0, 40)}.pk8.der`;
  for (const dir of cacheDirectories()) {
    try {
      const key = createPrivateKey({ key: readFileSync(path.join(dir, name)), format: 'der', type: 'pkcs8' });
      const details = key.asymmetricKeyDetails;
      if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === bits && details.publicExponent === e) return key;
    } catch {
      // absent or unreadable: try the next place, then search
    }
  }
  const key = searchRsaKey(bits, seedBytes, e);
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  for (const dir of cacheDirectories()) {
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = path.join(dir, `${name}.${process.pid}.tmp`);
      writeFileSync(tmp, pkcs8, { mode: 0o600 });
      renameSync(tmp, path.join(dir, name));
      break;
    } catch {
      // not writable: the next place, or no disk cache at all
    }
  }
  return key;
}

// ---- weak keys, public part only ------------------------------------------------------------

/**
 * DSA domain parameters (FIPS 186-4, L = 2048, N = 256), generated once with
 * `openssl genpkey -genparam -algorithm DSA` and fixed here so the DSA defect is reproducible.
 */
const DSA_P = BigInt(
  '0x8F0546DDB771FCDC5A66EB98EC21A4CC304D84F41E08C3B8970657041B097ECD573DAB98C0B6A7235558C24C5811A10E3DE4BDFA1DDE99888223B638B8B4173DD57932348ED4163D142255A0F29418D194C918ABD849847687DC38281513D10018240C586618E3F8047DF48E5E86FEA6BA784E38B9045936E6946B30E8926CF2DDE62BB44CB0134576AA5B4E0075C738C9A07420E8990355CA477CD05CAC62A57C9C81A11CC40C32FF34B2D90A61A1D7971E8D6B602C4C1311016EC7A82458D49C9C11E32665B1947EE0766E7148156AC89EE24D23AB54E97F6CFEE7FBD754003D4086F934D141837FDC2589D811D1FEDA94C19590A751DD32E3788131257F35',
);
const DSA_Q = BigInt('0xA5B9996897E7CF63F87B0A76F560EB7648C2D72E52DCD4BBE6AA565BBD91B277');
const DSA_G = BigInt(
  '0x89A0CC6D491BFB9E36222856D210B3E6DF0278882B57AE56C5B7B9EE90492819F873F9D3340F0F97C7DEA60246F9E3B09D597A015DEACD0F786E4E74F5FEB8A805D88C08D15F389147F88A77B14720FCD163B77B87DF980CB16B6B8560B223F0A7F705F3A610811B2D6F893C21647A594F0D08248C3CD312A441597C0FC6DFAE347F7511A18205F0ACF8AA9E7BD010F05E48E7C4EEA5BAB5BC9390FE30FE06E4B6C433139B2696008613BBDE96636CB8105F2B661310DC8A3CA2C3280F4819E5ACBC4123CDB019C5E5FA55E7315C7F9EB38074DE5EBC158825385C1ADD5328A6B4257CD92AA5A425028FB4BD738DE4F841661234F700B0B43899F4EC16379AFA',
);

function unsignedIntegerContents(x: bigint): Buffer {
  const bytes = bigToBytes(x);
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** SubjectPublicKeyInfo of a key the E2ED profile refuses; RSA-1024 also has a usable private key. */
export function deriveWeakPublicKey(type: WeakKeyType, seedBytes: Uint8Array): Buffer {
  const rng = seededRandom(seedBytes);
  switch (type) {
    case 'rsa1024':
      return deriveKeyPair('rsa1024', seedBytes).spki;
    case 'rsa2048-e3':
      return createPublicKey(rsaFromDiskCacheOrSearch('rsa2048-e3', seedBytes)).export({ format: 'der', type: 'spki' });
    case 'p256-explicit': {
      // A P-256 key whose SPKI spells the curve out (SpecifiedECDomain, SEC 1 C.2) instead of
      // naming it: E2ED-CERT-8 accepts "EC P-256 (namedCurve only)".
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(drawScalar(rng, P256_ORDER, 32));
      const generator = createECDH('prime256v1');
      generator.setPrivateKey(Buffer.alloc(32, 0).fill(1, 31));
      const field = (x: bigint): Buffer => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
      const domain = der.seq([
        der.smallInt(1),
        der.seq([der.oid(OID.primeField), der.int(unsignedIntegerContents(P256.p))]),
        der.seq([der.octets(field(P256.a)), der.octets(field(P256.b))]),
        der.octets(generator.getPublicKey()),
        der.int(unsignedIntegerContents(P256.n)),
        der.smallInt(1),
      ]);
      return der.toDer(der.seq([der.seq([der.oid(OID.ecPublicKey), domain]), der.bits(ecdh.getPublicKey())]));
    }
    case 'p192': {
      const ecdh = createECDH('prime192v1');
      ecdh.setPrivateKey(drawScalar(rng, P192_ORDER, 24));
      return der.toDer(
        der.seq([der.seq([der.oid(OID.ecPublicKey), der.oid(OID.prime192v1)]), der.bits(ecdh.getPublicKey())]),
      );
    }
    case 'dsa2048': {
      const x = (bytesToBig(rng.bytes(32)) % (DSA_Q - 1n)) + 1n;
      const y = modPow(DSA_G, x, DSA_P);
      const params = der.seq([
        der.int(unsignedIntegerContents(DSA_P)),
        der.int(unsignedIntegerContents(DSA_Q)),
        der.int(unsignedIntegerContents(DSA_G)),
      ]);
      return der.toDer(
        der.seq([der.seq([der.oid(OID.dsa), params]), der.bits(der.toDer(der.int(unsignedIntegerContents(y))))]),
      );
    }
  }
}
