// A whole run against each broken implementation (issue 8 §5): every case gets a verdict, `error`
// (not `fail`) where the IUT could not be judged, the sanity case says it once, the report is valid.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { runConformance } from '../../src/run/runner.js';
import { hostileIut } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-hostile-run-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('a run against each broken IUT: every case has a verdict, error not fail, the run ends', async (t) => {
  const cases = loadCatalogue().filter((c) => c.id === 'interop.x25519.aes-256-gcm.i2r' || c.id === 'cert.expired');
  const expectations: Record<string, RegExp> = {
    'never-listens.mjs': /could not be brought up: it printed no|the case ended before it was ready/,
    'exits-early.mjs': /exited with status 3/,
    'hangs.mjs': /did not answer within the case's time/,
    'crashes.mjs': /ended during the case \(signal SIGSEGV\)|crashed/,
    'floods-stdout.mjs': /did not answer within the case's time/,
    'floods-socket.mjs': /.+/,
    'ignores-sigterm.mjs': /did not answer within the case's time/,
  };
  // The five quiet programs at once (most of their time is each case's time limit running out);
  // the two that flood, one after the other, so that neither starves a run it does not belong to.
  const runOf = (script: string): ReturnType<typeof runConformance> => runConformance({ seed: 'hostile', iut: hostileIut(dir, script), cases, caseTimeoutMs: 2500, concurrency: 1 });
  const scripts = Object.keys(expectations);
  const byScript = new Map<string, Awaited<ReturnType<typeof runConformance>>>();
  const quiet = scripts.filter((s) => !s.startsWith('floods-'));
  (await Promise.all(quiet.map(runOf))).forEach((r, i) => byScript.set(quiet[i]!, r));
  for (const s of scripts.filter((x) => x.startsWith('floods-'))) byScript.set(s, await runOf(s));
  for (const [script, reason] of Object.entries(expectations)) {
    const report = byScript.get(script)!;
    const first = report.cases[0]!;
    t.equal(first.id, 'sanity.first', `${script}: the sanity case runs first`);
    if (script === 'floods-socket.mjs') {
      // A byte stream that is no E2ED: the reference refuses it, a judged failure.
      t.equal(first.verdict, 'fail', `${script}: ${first.reason}`);
    } else {
      t.equal(first.verdict, 'error', `${script}: error, not fail`);
      t.match(first.reason, reason, `${script}: the reason says what happened`);
    }
    t.match(report.iut?.sanity.conclusion, /not reachable or not conforming at all/, `${script}: said once`);
    t.ok(report.cases.slice(1).every((c) => c.verdict === 'skip' && c.reason === 'not run: the sanity case did not pass'), `${script}: nothing else run`);
    t.same(report.cases.map((c) => c.id), ['sanity.first', 'interop.x25519.aes-256-gcm.i2r@initiator', 'interop.x25519.aes-256-gcm.i2r@responder', 'cert.expired@responder', 'sanity.last'], `${script}: every selected case has a verdict`);
    t.same(JSON.parse(JSON.stringify(report)), report, `${script}: the report is plain JSON`);
  }
});
