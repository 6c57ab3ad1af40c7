// The password-guessing limits of IRP Login (docs/spec.md 14.4): failures per user (IRP-LOGIN-3:
// "5 failed attempts for one user within 60 seconds"), failures per client address whatever the
// user IDs tried (IRP-LOGIN-5), each a sliding window of failure times. The clock is injected so
// that tests move time instead of waiting for it.

export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;

export type Clock = () => number;

/** Failure times per key (a user ID, or a client address) within a sliding window. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: Clock = Date.now,
    private readonly maxFailures = MAX_FAILURES,
    private readonly windowMs = WINDOW_MS,
  ) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }

  /** True once `key` has had `maxFailures` failures within the window: no attempt is even checked. */
  isLimited(key: string): boolean {
    return this.recent(key).length >= this.maxFailures;
  }

  recordFailure(key: string): void {
    // Never more than maxFailures times are kept per key: memory per key is bounded.
    this.failures.set(key, [...this.recent(key), this.now()].slice(-this.maxFailures));
    // Keys whose window has passed are dropped now and then, so that many distinct keys
    // (distinct unknown user IDs, say) cannot grow the map without bound.
    if (this.failures.size > 4096) for (const k of [...this.failures.keys()]) this.recent(k);
  }

  /** Keys with failures in the window (for tests). */
  get size(): number {
    return this.failures.size;
  }
}
