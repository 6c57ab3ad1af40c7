// Child-process half of test/run/resources.test.ts: runs runConformance() with the time limit
// given on the command line and prints, as JSON, the active resources (process.getActiveResourcesInfo)
// before and after, once the event loop has turned (a handle whose close was already called is
// gone by then). Run in a process of its own so the test runner's own handles do not count.
import { runConformance } from '../../src/run/runner.js';

const timeoutMs = Number(process.argv[2]);
const suites = process.argv.slice(3);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
await turn();
const before = process.getActiveResourcesInfo();
const report = await runConformance({ caseTimeoutMs: timeoutMs, suites });
await turn();
await turn();
const after = process.getActiveResourcesInfo();
process.stdout.write(`${JSON.stringify({ before, after, failed: report.summary.failed, total: report.summary.total })}\n`);
