// Issue 13 §1: "every case must release everything it started, whatever way it ends". After
// runConformance() with time limits that cut cases short at different points, the process holds
// exactly the resources it held before (no socket, server, timer or file handle left).
import t from 'tap';
import { runSource } from './child.js';

const BOUND_MS = 120_000;
t.setTimeout(4 * BOUND_MS);

for (const timeoutMs of [1, 30]) {
  t.test(`runConformance() with a ${timeoutMs} ms time limit leaves nothing open`, async (t) => {
    const r = await runSource(['test/run/open-resources.ts', String(timeoutMs)], { boundMs: BOUND_MS });
    t.equal(r.hung, false, 'the child exited by itself');
    t.equal(r.stderr, '', 'nothing on stderr');
    const { before, after, failed } = JSON.parse(r.stdout) as { before: string[]; after: string[]; failed: number };
    t.ok(failed > 0, 'the time limit cut cases short');
    t.same([...after].sort(), [...before].sort(), 'the same active resources before and after the run');
  });
}
