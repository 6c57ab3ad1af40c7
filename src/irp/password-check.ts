// Password checks of IRP Login (docs/spec.md 14.4) off the event loop and bounded registry-wide.
//
// IRP-LOGIN-4 wants a salted hash compared in constant time; scrypt is that hash. scryptSync on
// the event loop let 10 000 Logins starve every other connection (issue 13 §3), so the check runs
// on libuv's thread pool (async scrypt), at most `concurrency` at once, and at most
// `maxPending` checks may be running or waiting (IRP-LOGIN-6): past it, Login is answered
// `rate_limited` without any work.
//
// Unknown users (IRP-LOGIN-2: indistinguishable from a wrong password) cost no scrypt: their
// check takes a slot of the same queue and holds it for the duration of one of the recent real
// checks, picked at random, then fails. So they wait in the same queue and their times follow
// the distribution of real checks under the same load (a mean would not: on a loaded machine
// scrypt's times are skewed, and a mean sits above their median), at the cost of a timer instead
// of 1 MiB and a core for a few ms. Measured on the bench (docs/performance.md); a timing test
// would be flaky, so the test checks the path instead: no scrypt for an unknown user.
import { randomBytes, randomInt, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

// IRP-LOGIN-4: scrypt's cost is kept low: the stub's passwords are test fixtures, and the rate
// limits (IRP-LOGIN-3/5/6) bound guessing.
export const SCRYPT_OPTIONS = { N: 1024, r: 8, p: 1 };
const HASH_LENGTH = 32;
/** How many recent real check durations an unknown user's check draws from. */
const RECENT_SAMPLES = 64;

export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

export type Hasher = (password: string, salt: Buffer) => Promise<Buffer>;

export const scryptHasher: Hasher = (password, salt) =>
  new Promise((resolve, reject) => scrypt(password, salt, HASH_LENGTH, SCRYPT_OPTIONS, (err, key) => (err ? reject(err) : resolve(key))));

export type CheckResult = 'match' | 'mismatch' | 'busy';

export class PasswordChecker {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Durations of the most recent real checks (ms): an unknown user's check holds its slot for one of them. */
  private readonly recentMs: number[] = [];
  private nextSample = 0;
  /** Real scrypt evaluations so far (tests check that unknown users cost none). */
  hashes = 0;

  constructor(
    private readonly opts: {
      maxPending: number;
      concurrency?: number;
      hasher?: Hasher;
      clock?: () => number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  /** Hashes a password for storage (at start-up, for the configured accounts); the time it takes seeds the estimate. */
  hashSync(password: string): PasswordHash {
    const salt = randomBytes(16);
    const started = this.clock();
    const hash = scryptSync(password, salt, HASH_LENGTH, SCRYPT_OPTIONS);
    this.observe(this.clock() - started);
    return { salt, hash };
  }

  /** `busy` when maxPending checks are already running or waiting (IRP-LOGIN-6). */
  async check(password: string, stored: PasswordHash | undefined): Promise<CheckResult> {
    if (this.running + this.waiting.length >= this.opts.maxPending) return 'busy';
    await this.slot();
    try {
      if (stored === undefined) {
        if (this.recentMs.length === 0) this.hashSync(randomBytes(16).toString('hex')); // no real check measured yet
        await this.sleep(this.recentMs[randomInt(this.recentMs.length)]!);
        return 'mismatch';
      }
      const started = this.clock();
      const candidate = await this.hasher(password, stored.salt);
      this.hashes++;
      this.observe(this.clock() - started);
      return candidate.length === stored.hash.length && timingSafeEqual(candidate, stored.hash) ? 'match' : 'mismatch';
    } finally {
      this.release();
    }
  }

  get pending(): number {
    return this.running + this.waiting.length;
  }

  private get hasher(): Hasher {
    return this.opts.hasher ?? scryptHasher;
  }

  private clock(): number {
    return (this.opts.clock ?? (() => performance.now()))();
  }

  private sleep(ms: number): Promise<void> {
    return (this.opts.sleep ?? ((d: number) => new Promise<void>((resolve) => setTimeout(resolve, d))))(ms);
  }

  private observe(ms: number): void {
    this.recentMs[this.nextSample] = Math.max(0, ms);
    this.nextSample = (this.nextSample + 1) % RECENT_SAMPLES;
  }

  private slot(): Promise<void> {
    if (this.running < (this.opts.concurrency ?? 2)) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.running++;
      resolve();
    }));
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
