// `sixbench run` at the command line: usage errors exit 2 with one clear sentence, a run writes
// DIR/run-<seed>.json and ends with the closing line, --json prints the report, exit 0 when all pass.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerRunCommand } from '../../src/cli/run.js';
import { sixbenchWith, type Outcome } from '../helpers/cli.js';
import type { RunReport } from '../../src/run/report.js';

function sixbench(args: string[]): Promise<Outcome> {
  return sixbenchWith([registerRunCommand], ['run', ...args]);
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-run-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

t.test('an unknown suite is bad usage', async (t) => {
  const r = await sixbench(['--suite', 'nosuch', '--out', dir]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^sixbench: there is no suite "nosuch"; the suites are interop, knobs, certificates, vectors, irp, ordering, syntax, records, limits, reflection, key-transport, relay\.\n$/);
});

t.test('an unknown case id is bad usage', async (t) => {
  const r = await sixbench(['--case', 'knob.finished.corrupt', '--out', dir]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /there is no case "knob\.finished\.corrupt" \(did you mean knob\.finished\.corruptValue\?\)/);
});

t.test('a malformed seed or concurrency is bad usage', async (t) => {
  t.equal((await sixbench(['--seed', '../etc', '--out', dir])).exitCode, 2);
  t.equal((await sixbench(['--concurrency', '0', '--out', dir])).exitCode, 2);
});

t.test('a passing run writes the report atomically and ends with the closing line', async (t) => {
  const r = await sixbench(['--seed', 'cli-a', '--out', dir, '--case', 'vectors.expand-label', '--case', 'knob.record.corruptTag']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /PASS knob\.record\.corruptTag/);
  t.match(r.stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
  t.notMatch(r.stdout, /\u001b\[/, 'no colours when stdout is not a terminal');
  const report = JSON.parse(await fs.readFile(path.join(dir, 'run-cli-a.json'), 'utf8')) as RunReport;
  t.equal(report.seed, 'cli-a');
  t.equal(report.tool.name, 'sixbench');
  t.same(report.cases.map((c) => c.verdict), ['pass', 'pass']);
  t.same((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
});

t.test('--json prints the report on stdout', async (t) => {
  const r = await sixbench(['--seed', 'cli-b', '--out', dir, '--suite', 'vectors', '--json']);
  t.equal(r.exitCode, 0, r.stderr);
  const report = JSON.parse(r.stdout) as RunReport;
  t.equal(report.summary.total, report.cases.length);
  t.ok(report.cases.every((c) => c.suite === 'vectors'));
  t.ok(Array.isArray(report.coverage.uncovered));
});
