// The only source of randomness in the pure core. A seeded source makes every handshake,
// nonce and signature reproducible, so a failing conformance case can be replayed byte by byte.
import { createHmac, randomBytes } from 'node:crypto';
import { u64be } from './bytes.js';

export interface RandomSource {
  bytes(n: number): Buffer;
  /** An independent stream: draws from it never shift the parent's draws, nor the parent's its. */
  fork(label: string): RandomSource;
}

/**
 * The operating system's randomness, drawn 4 KiB at a time: a handshake takes many small draws
 * (nonces, keys, salts), and one getrandom call per draw was a visible share of its cost.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function poolBytes(n: number): Buffer {
  if (n > POOL_SIZE / 4) return randomBytes(n);
  if (poolOffset + n > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  // A copy: callers may zero or keep what they are given.
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  pool.fill(0, poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

export const systemRandom: RandomSource = {
  bytes: poolBytes,
  fork: () => systemRandom,
};

const BLOCK = 32;

/**
 * HMAC-SHA256 in counter mode: block i = HMAC(key, "out" || uint64be(i)). Each bytes(n) call
 * consumes whole blocks, so the bytes a call returns depend only on the seed and on the lengths
 * of the calls before it. fork(label) keys a child with HMAC(key, "fork" || uint64be(j) || label),
 * j counting earlier forks of the same label, so two forks with one label still differ.
 */
class HmacDrbg implements RandomSource {
  private counter = 0n;
  private readonly forks = new Map<string, bigint>();

  constructor(private readonly key: Buffer) {}

  bytes(n: number): Buffer {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`cannot draw ${n} random bytes`);
    const blocks: Buffer[] = [];
    for (let produced = 0; produced < n; produced += BLOCK) {
      blocks.push(createHmac('sha256', this.key).update('out').update(u64be(this.counter)).digest());
      this.counter += 1n;
    }
    return Buffer.concat(blocks).subarray(0, n);
  }

  fork(label: string): RandomSource {
    const j = this.forks.get(label) ?? 0n;
    this.forks.set(label, j + 1n);
    const childKey = createHmac('sha256', this.key).update('fork').update(u64be(j)).update(label, 'utf8').digest();
    return new HmacDrbg(childKey);
  }
}

export function seededRandom(seed: string | Uint8Array): RandomSource {
  const seedBytes = typeof seed === 'string' ? Buffer.from(seed, 'utf8') : seed;
  return new HmacDrbg(createHmac('sha256', 'sixbench seededRandom v1').update(seedBytes).digest());
}
