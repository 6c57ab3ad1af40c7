// Issue 11 §4 and issue 13 §4, the command line around a run: exit statuses (0, 1, 2, 130; 3 in
// test/run/cannot-run.test.ts),
// the progress line (on a terminal only), NO_COLOR, Ctrl-C (a valid report of the finished
// cases, marked interrupted, nothing left open), `run --list` and `--case` globs.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { colorWanted, formatProgress, ProgressLine } from '../../src/cli/progress.js';
import type { RunReport } from '../../src/run/report.js';
import { sixbench } from '../cli/sixbench.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-around-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

/** Makes process.stdout look like a terminal (or not) for the body. */
async function withTty<T>(isTTY: boolean, body: () => Promise<T>): Promise<T> {
  const previous = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true, writable: true });
  try {
    return await body();
  } finally {
    if (previous) Object.defineProperty(process.stdout, 'isTTY', previous);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
}

t.test('the progress line: cases done, failures so far, elapsed; on a fixed clock', async (t) => {
  t.equal(formatProgress(37, 164, 2, 12_449), '[37/164] 2 failed, 12.4 s');
  let now = 1_000;
  const written: string[] = [];
  const line = new ProgressLine({ isTTY: true, write: (s) => written.push(s) }, 3, () => now);
  now = 1_500;
  line.record('pass');
  now = 3_000;
  line.record('fail');
  line.clear();
  t.same(written, ['\r\x1b[K[1/3] 0 failed, 0.5 s', '\r\x1b[K[2/3] 1 failed, 2.0 s', '\r\x1b[K']);
  const silent: string[] = [];
  const notTty = new ProgressLine({ isTTY: false, write: (s) => silent.push(s) }, 3, () => now);
  notTty.record('fail');
  notTty.clear();
  t.same(silent, [], 'nothing when the output is not a terminal');
});

t.test('NO_COLOR, present and not empty, turns colour off; no colour off a terminal', async (t) => {
  t.equal(colorWanted({ isTTY: true }, {}), true);
  t.equal(colorWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
  t.equal(colorWanted({ isTTY: true }, { NO_COLOR: '' }), true);
  t.equal(colorWanted({ isTTY: false }, {}), false);
  const r = await withTty(true, async () => {
    process.env.NO_COLOR = '1';
    try {
      return await sixbench(['run', '--suite', 'vectors', '--out', dir]);
    } finally {
      delete process.env.NO_COLOR;
    }
  });
  t.equal(r.exitCode, 0);
  t.notMatch(r.stdout, /\x1b\[3\dm/, 'no colour escape in the summary');
  t.match(r.stdout, /\[6\/6\] 0 failed/, 'the progress line on a terminal');
});

t.test('no progress line when stdout is not a terminal', async (t) => {
  const r = await withTty(false, () => sixbench(['run', '--suite', 'vectors', '--out', dir]));
  t.equal(r.exitCode, 0);
  t.notMatch(r.stdout, /\[\d+\/6\]/);
  t.match(r.stdout, /^\nvectors\n/, 'the summary is all there is');
});

t.test('Ctrl-C: the running case ends, the finished ones are reported, marked interrupted, exit 130, nothing left open', async (t) => {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await turn();
  const before = process.getActiveResourcesInfo();
  const out = path.join(dir, 'interrupted');
  const sigintListeners = process.listenerCount('SIGINT');
  // The interruption comes as the second case is reported (the progress line), as a person's
  // Ctrl-C would, while the third runs.
  const write = process.stdout.write;
  let sent = false;
  const r = await withTty(true, () => {
    const watching = ((chunk: string | Uint8Array) => {
      if (!sent && String(chunk).includes('[2/34]')) {
        sent = true;
        setImmediate(() => process.emit('SIGINT'));
      }
      return true;
    }) as typeof process.stdout.write;
    return sixbench(['run', '--suite', 'irp', '--concurrency', '1', '--out', out], { onStdout: watching });
  });
  process.stdout.write = write;
  t.ok(sent, 'the interruption was sent');
  t.equal(r.exitCode, 130);
  t.match(r.stderr, /interrupted; ending the running cases/);
  const report = JSON.parse(await fs.readFile(path.join(out, 'run-sixbench-run.json'), 'utf8')) as RunReport;
  t.equal(report.interrupted, true, 'the report says interrupted');
  t.ok(report.cases.length >= 2 && report.cases.length < 34, `the finished cases only (${report.cases.length} of 34)`);
  t.equal(report.summary.total, report.cases.length, 'counts over the finished cases');
  t.ok(report.cases.every((c) => c.verdict === 'pass'), 'no case is reported failed for being interrupted');
  t.match(r.stdout, new RegExp(`interrupted: ${report.cases.length} of 34 cases finished\\n$`));
  t.equal(process.listenerCount('SIGINT'), sigintListeners, 'the handler is gone after the run');
  await turn();
  await turn();
  t.same(process.getActiveResourcesInfo().sort(), [...before].sort(), 'nothing the run opened is still open');
});

t.test('run --list: ids, titles and requirement ids of the selection, nothing run', async (t) => {
  const r = await sixbench(['run', '--list', '--suite', 'vectors', '--out', path.join(dir, 'never-made')]);
  t.equal(r.exitCode, 0);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.length, 7);
  t.match(lines[0], /^vectors\.expand-label +\S.* \[E2ED-[A-Z]+-\d+(, [A-Z0-9-]+)*\]$/);
  t.equal(lines[6], '6 case(s)');
  await t.rejects(fs.stat(path.join(dir, 'never-made')), 'no report folder is made for a list');
  const json = await sixbench(['run', '--list', '--json', '--case', 'knob.finished.*']);
  const list = JSON.parse(json.stdout) as { id: string; requirements: string[] }[];
  t.ok(list.length > 1 && list.every((c) => c.id.startsWith('knob.finished.') && c.requirements.length > 0));
});

t.test('--case takes globs; a glob that matches nothing is bad usage', async (t) => {
  const r = await sixbench(['run', '--list', '--case', 'knob.hello.*', '--case', 'vectors.?ecord']);
  t.equal(r.exitCode, 0);
  const ids = r.stdout.trimEnd().split('\n').slice(0, -1).map((l) => l.split(' ')[0]);
  t.ok(ids.length > 2 && ids.filter((id) => id !== 'vectors.record').every((id) => id!.startsWith('knob.hello.')), ids.join(' '));
  t.ok(ids.includes('vectors.record'));
  const none = await sixbench(['run', '--list', '--case', 'knob.nope.*']);
  t.equal(none.exitCode, 2);
  t.match(none.stderr, /no case matches "knob\.nope\.\*"/);
});
