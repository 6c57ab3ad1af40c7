// The cost of captures on a full run (issue 11): the whole catalogue run with --captures none and
// with --captures all, alternately, three times each; the median wall time of each, and what
// `all` writes (files and bytes), and which cases it covers: every suite, each case counted by the
// legs it recorded (docs/run.md "Captures"). Printed by `npm run bench`; never a timed test.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runConformance } from '../run/runner.js';

export interface CaptureCost {
  runs: number;
  noneMs: number;
  allMs: number;
  files: number;
  bytes: number;
  /** Cases with a capture file. */
  cases: number;
  /** Cases in the run. */
  total: number;
  /** Cases per kind of capture: the legs recorded (`initiator+responder`, `adversary`), or `none` (a case saying it opened no connection). */
  byLegs: Record<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchCaptureCost(runs = 3): Promise<CaptureCost> {
  const none: number[] = [];
  const all: number[] = [];
  let files = 0;
  let bytes = 0;
  let cases = 0;
  let total = 0;
  let byLegs: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await runConformance({ seed: 'bench-captures', captures: 'none' });
    none.push(performance.now() - t0);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-bench-captures-'));
    t0 = performance.now();
    const report = await runConformance({ seed: 'bench-captures', captures: 'all', runDir: dir });
    all.push(performance.now() - t0);
    const names = await readdir(path.join(dir, 'captures'));
    files = names.length;
    bytes = 0;
    for (const n of names) bytes += (await stat(path.join(dir, 'captures', n))).size;
    cases = report.cases.filter((c) => (c.captures?.pcaps.length ?? 0) > 0).length;
    total = report.cases.length;
    byLegs = {};
    for (const c of report.cases) {
      if (!c.captures) continue;
      const key = c.captures.none !== undefined ? 'none' : c.captures.pcaps.map((p) => p.leg).join('+');
      byLegs[key] = (byLegs[key] ?? 0) + 1;
    }
    await rm(dir, { recursive: true, force: true });
  }
  return { runs, noneMs: median(none), allMs: median(all), files, bytes, cases, total, byLegs };
}
