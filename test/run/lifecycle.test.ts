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

t.setTimeout(8 * EXIT_BOUND_MS);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-lifecycle-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

for (const args of [
  ['--timeout', '1'],
  ['--timeout', '20'],
]) {
  t.test(`run ${args.join(' ')} exits by itself once its report is written`, async (t) => {
    const out = path.join(dir, args.join('_'));
    const r = await runSource(['src/cli.ts', 'run', '--out', out, ...args], { boundMs: EXIT_BOUND_MS });
    t.equal(r.hung, false, `exited within ${EXIT_BOUND_MS} ms (a hang is a leak)`);
    t.equal(r.code, 1, 'exit status 1: cases failed (timed out)');
    t.match(r.stdout, /\d+ passed, [1-9]\d* failed, \d+ skipped\n$/, 'the summary was printed');
    const report = JSON.parse(await fs.readFile(path.join(out, 'run-sixbench-run.json'), 'utf8')) as { cases: { evidence?: { mismatches: string[] } }[] };
    const unreleased = report.cases.flatMap((c) => c.evidence?.mismatches ?? []).filter((m) => m.includes('did not release'));
    t.same(unreleased, [], 'every case released what it opened within the grace');
  });
}

t.test('a real SIGINT: exit 130 by itself, with a valid report marked interrupted', async (t) => {
  const out = path.join(dir, 'sigint');
  // The report folder is made just before the handler is installed and the run starts; once it
  // exists, give the process a moment to get into its cases, then interrupt it as Ctrl-C would.
  const r = await runSource(['src/cli.ts', 'run', '--out', out, '--concurrency', '1'], {
    boundMs: EXIT_BOUND_MS,
    onSpawn: (child) => {
      const poll = setInterval(() => {
        void fs.stat(out).then(
          () => {
            clearInterval(poll);
            setTimeout(() => child.kill('SIGINT'), 500);
          },
          () => undefined,
        );
      }, 100);
      child.on('close', () => clearInterval(poll));
    },
  });
  t.equal(r.hung, false, 'exited by itself after the interruption');
  t.equal(r.code, 130, `exit status 130 (stderr: ${r.stderr})`);
  t.match(r.stderr, /interrupted; ending the running cases and writing the report of the finished ones/);
  const report = JSON.parse(await fs.readFile(path.join(out, 'run-sixbench-run.json'), 'utf8')) as { interrupted?: boolean; cases: unknown[]; summary: { total: number } };
  t.equal(report.interrupted, true);
  t.equal(report.summary.total, report.cases.length);
  t.ok(report.cases.length < 164, `only the finished cases (${report.cases.length})`);
});
