// The adapter's cost (issue 8, "npm run bench"): the same cases run in-process (reference against
// reference, `sixbench run`), through the door in-process (the reference as an IUT, no process),
// and through the door as a command (examples/reference.json: one `sixbench shim` process per case
// and role). The difference between the last two is process start-up, the cost to watch; the
// decision it informs is in docs/adapter.md §10. Interop suite by default; SIXBENCH_BENCH_ADAPTER=all
// runs every suite that applies (minutes).
import path from 'node:path';
import { loadIutConfig } from '../iut/config.js';
import { processImplementation } from '../iut/process.js';
import { referenceImplementation } from '../iut/reference.js';
import { loadCatalogue, REPO_ROOT } from '../run/catalogue.js';
import { runConformance } from '../run/runner.js';
import { planIutCases } from '../run/iut-plan.js';

export interface AdapterBenchResult {
  suites: string[];
  cases: { inProcess: number; adapter: number };
  inProcessMs: number;
  doorInProcessMs: number;
  doorProcessMs: number;
  verdictsEqual: boolean;
}

export async function benchAdapter(): Promise<AdapterBenchResult> {
  const suites = process.env.SIXBENCH_BENCH_ADAPTER === 'all' ? ['interop', 'knobs', 'certificates'] : ['interop'];
  const seed = 'bench-adapter';
  // The handshake timer check waits the spec's 10 s against an IUT (300 ms in-process): left out of both, it would only measure that wait.
  const catalogue = loadCatalogue();
  const caseIds = catalogue.filter((c) => suites.includes(c.suite) && !(c.action.kind === 'check' && c.action.check === 'handshake-timer')).map((c) => c.id);
  // An IUT run names only the cases that apply to an IUT (the rest are listed as not applicable).
  const plan = planIutCases(catalogue, referenceImplementation());
  const iutCaseIds = caseIds.filter((id) => plan.cases.some((c) => c.iut?.of === id));
  let t0 = Date.now();
  const inProcess = await runConformance({ seed, caseIds });
  const inProcessMs = Date.now() - t0;
  t0 = Date.now();
  await runConformance({ seed, caseIds: iutCaseIds, iut: referenceImplementation() });
  const doorInProcessMs = Date.now() - t0;
  t0 = Date.now();
  const adapter = await runConformance({ seed, caseIds: iutCaseIds, iut: processImplementation(loadIutConfig(path.join(REPO_ROOT, 'examples', 'reference.json'))) });
  const doorProcessMs = Date.now() - t0;
  const verdict = new Map(inProcess.cases.map((c) => [c.id, c.verdict]));
  const verdictsEqual = adapter.cases.every((c) => !c.iut || c.id.startsWith('sanity.') || !verdict.has(c.iut.of) || verdict.get(c.iut.of) === c.verdict);
  return { suites, cases: { inProcess: inProcess.cases.length, adapter: adapter.cases.length }, inProcessMs, doorInProcessMs, doorProcessMs, verdictsEqual };
}
