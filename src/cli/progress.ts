// What a person at a terminal sees while a run goes on (issue 11 §4): one line, rewritten in
// place, with the cases done, the failures so far and the time elapsed. Nothing when the output
// is not a terminal (CI logs, pipes), so that captured output holds only the summary.

/** NO_COLOR (https://no-color.org): present and not empty turns colour off. */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** "[37/164] 2 failed, 12.4 s" */
export function formatProgress(done: number, total: number, failed: number, elapsedMs: number): string {
  return `[${done}/${total}] ${failed} failed, ${(elapsedMs / 1000).toFixed(1)} s`;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressLine {
  private done = 0;
  private failed = 0;
  private shown = false;
  private readonly started: number;

  constructor(
    private readonly out: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  private get enabled(): boolean {
    return this.out.isTTY === true;
  }

  /** One case finished. */
  record(verdict: string): void {
    this.done++;
    if (verdict === 'fail') this.failed++;
    if (!this.enabled) return;
    // Carriage return and erase-line: the line is rewritten, never scrolled.
    this.out.write(`\r\x1b[K${formatProgress(this.done, this.total, this.failed, this.now() - this.started)}`);
    this.shown = true;
  }

  /** Erases the line before the summary is printed. */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
