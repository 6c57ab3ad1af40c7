// Issue 13 §1: a run always ends. The CLI runs as a child process from the sources with tiny time
// limits, so that every case times out somewhere in the middle of what it started; it must print
// its report and exit by itself (no process.exit()). The bound only detects a hang: a run that
// leaks a socket, timer or server never exits at all.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSource } from './child.js';

/** Generous: loading the TypeScript sources alone takes seconds on a loaded machine. */
const EXIT_BOUND_MS = 120_000;

t.setTimeout(6 * EXIT_BOUND_MS);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-lifecycle-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

for (const args of [
  ['--timeout', '1'],
  ['--timeout', '20'],
  ['--suite', 'interop', '--suite', 'knobs', '--timeout', '1'],
]) {
  t.test(`run ${args.join(' ')} exits by itself once its report is written`, async (t) => {
    const out = path.join(dir, args.join('_'));
    const r = await runSource(['src/cli.ts', 'run', '--out', out, ...args], { boundMs: EXIT_BOUND_MS });
    t.equal(r.hung, false, `exited within ${EXIT_BOUND_MS} ms (a hang is a leak)`);
    t.equal(r.code, 1, 'exit status 1: cases failed (timed out)');
    t.match(r.stdout, /\d+ passed, [1-9]\d* failed, 0 skipped\n$/, 'the summary was printed');
    const report = JSON.parse(await fs.readFile(path.join(out, 'run-sixbench-run.json'), 'utf8')) as { cases: { evidence?: { mismatches: string[] } }[] };
    const unreleased = report.cases.flatMap((c) => c.evidence?.mismatches ?? []).filter((m) => m.includes('did not release'));
    t.same(unreleased, [], 'every case released what it opened within the grace');
  });
}
