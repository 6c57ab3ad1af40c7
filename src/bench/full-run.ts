// The full default run (`sixbench run`, every suite) timed: wall time, CPU time of the process,
// cases per second, and where the time goes (the cases' own durations summed per suite; cases run
// `concurrency` at a time, so the sums exceed the wall time). The machine is shared: wall time
// moves with the other jobs, CPU time much less (docs/performance.md).
import { runConformance, DEFAULT_CONCURRENCY } from '../run/runner.js';

export interface FullRunBenchResult {
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  wallMs: number;
  cpuMs: number;
  setupMs: number;
  casesPerSecond: number;
  /** Sum of case durations per suite (ms), largest first. */
  bySuite: [string, number][];
  concurrency: number;
}

export async function benchFullRun(): Promise<FullRunBenchResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runConformance({ seed: 'bench-full-run' });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const bySuite = new Map<string, number>();
  for (const c of report.cases) bySuite.set(c.suite, (bySuite.get(c.suite) ?? 0) + (report.timings.cases[c.id] ?? 0));
  return {
    cases: report.summary.total,
    passed: report.summary.passed,
    failed: report.summary.failed,
    skipped: report.summary.skipped,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    setupMs: report.timings.setupMs,
    casesPerSecond: report.summary.total / (wallMs / 1000),
    bySuite: [...bySuite.entries()].sort((a, b) => b[1] - a[1]),
    concurrency: DEFAULT_CONCURRENCY,
  };
}
