// The password-guessing limit of IRP Login (docs/spec.md 14.4, IRP-LOGIN: "5 wrong passwords per
// user per 60 s, then rate_limited"). A sliding window of failure times per user; the clock is
// injected so that tests move time instead of waiting for it.

export const MAX_FAILURES = 5;
export const WINDOW_MS = 60_000;

export type Clock = () => number;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: Clock = Date.now,
    private readonly maxFailures = MAX_FAILURES,
    private readonly windowMs = WINDOW_MS,
  ) {}

  private recent(user: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const kept = (this.failures.get(user) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) this.failures.delete(user);
    else this.failures.set(user, kept);
    return kept;
  }

  /** True once the user has had `maxFailures` wrong passwords within the window: no attempt is even checked. */
  isLimited(user: string): boolean {
    return this.recent(user).length >= this.maxFailures;
  }

  recordFailure(user: string): void {
    this.failures.set(user, [...this.recent(user), this.now()]);
  }
}
