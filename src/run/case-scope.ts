// Everything one case opened, released however the case ends (issue 13 §1: "every case must
// release everything it started, whatever way it ends; the run exits as soon as its report is
// written"). A check adopts each server, socket, user agent, registry connection and temporary
// folder it opens; when the case ends (passed, failed, timed out, interrupted) the runner aborts
// the case's signal and releases what is left, most recent first, within a bounded grace. A check
// that goes on after its case ended cannot open anything new: adopt() releases the resource at
// once and throws CaseEnded, so a late step fails instead of leaking.

/** Thrown into a check that tries to open or wait on something after its case ended. */
export class CaseEnded extends Error {
  constructor(what: string) {
    super(`the case ended (time limit or interruption) while ${what}`);
    this.name = 'CaseEnded';
  }
}

interface Held {
  what: string;
  release: () => unknown;
}

export class CaseScope {
  private readonly held: Held[] = [];
  private readonly work: Held[] = [];
  private releasing = false;

  constructor(readonly signal: AbortSignal) {}

  /** True once the case's time is up or it was released. */
  get ended(): boolean {
    return this.releasing || this.signal.aborted;
  }

  /**
   * Registers `release` for `resource`. When the case has already ended the resource is released
   * now and CaseEnded is thrown: nothing a late step opens outlives its case.
   */
  adopt<T>(what: string, resource: T, release: (r: T) => unknown): T {
    const entry: Held = { what, release: () => release(resource) };
    if (this.ended) {
      void settle(entry);
      throw new CaseEnded(`opening ${what}`);
    }
    this.held.push(entry);
    return resource;
  }

  /**
   * Work of the case that may outlive its verdict (a check raced against the time limit):
   * release() waits for it to settle too, so it cannot run on into the next case.
   */
  track(what: string, work: Promise<unknown>): void {
    work.catch(() => undefined);
    this.work.push({ what, release: () => work });
  }

  /** Resolves as `p` does, or rejects with CaseEnded once the case ends first (for waits that no release would end). */
  wait<T>(p: Promise<T>, what: string): Promise<T> {
    if (this.ended) {
      p.catch(() => undefined);
      return Promise.reject(new CaseEnded(`waiting for ${what}`));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new CaseEnded(`waiting for ${what}`));
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /**
   * Releases everything still held, most recent first (a connection before the server it came
   * from), and waits for the releases up to `graceMs`. Returns what was not released in time
   * (empty: all released). A release that throws counts as released: its resource is gone.
   */
  async release(graceMs: number): Promise<string[]> {
    this.releasing = true;
    const entries = [...this.held.splice(0).reverse(), ...this.work.splice(0)];
    const pending = new Set(entries);
    const all = Promise.all(entries.map((e) => settle(e).then(() => pending.delete(e))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    return [...pending].map((e) => e.what);
  }
}

async function settle(entry: Held): Promise<void> {
  try {
    await entry.release();
  } catch {
    // released or already gone: either way nothing of it is left to release
  }
}
