// The capture files of a run are written in the background (CaptureWriter), yet every one the report
// links is whole when the run returns, and a case whose files could not be written does not stand as
// passed: it says why, links nothing, and leaves no part of its evidence behind (docs/run.md
// "Captures"; "bad input loses nothing").
import t from 'tap';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CaptureWriter, caseFileStem } from '../../src/run/captures.js';
import { runConformance } from '../../src/run/runner.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'sixbench-capture-writer-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));

/** A name that cannot be renamed over: a folder with something in it. */
async function blockPath(file: string): Promise<void> {
  await mkdir(file, { recursive: true });
  await writeFile(path.join(file, 'occupied'), 'x');
}

t.test('the writer: every queued case written whole once flushed, a failed case named and removed', async (t) => {
  const runDir = path.join(tmp, 'unit');
  // One case at a time: the writes of later cases wait for room, and still all land.
  const writer = new CaptureWriter(runDir, 1);
  for (let n = 0; n < 6; n++) {
    await writer.add(`case.${n}`, [
      { rel: `captures/case.${n}.adversary.pcap`, data: Buffer.from([n, 1, 2, 3]), mode: 0o644 },
      { rel: `captures/case.${n}.keylog`, data: `# key log ${n}\n`, mode: 0o600 },
    ]);
  }
  await blockPath(path.join(runDir, 'captures', 'bad.keylog'));
  await writer.add('bad', [
    { rel: 'captures/bad.adversary.pcap', data: Buffer.from([9]), mode: 0o644 },
    { rel: 'captures/bad.keylog', data: 'secret\n', mode: 0o600 },
  ]);
  const failures = await writer.flush();
  t.same([...failures.keys()], ['bad'], 'only the blocked case failed');
  t.match(failures.get('bad'), /^E[A-Z]+: /, 'the failure says what the system refused');
  for (let n = 0; n < 6; n++) {
    t.same(await readFile(path.join(runDir, 'captures', `case.${n}.adversary.pcap`)), Buffer.from([n, 1, 2, 3]));
    t.equal(await readFile(path.join(runDir, 'captures', `case.${n}.keylog`), 'utf8'), `# key log ${n}\n`);
    t.equal((await stat(path.join(runDir, 'captures', `case.${n}.keylog`))).mode & 0o777, 0o600, 'a key log is readable by its owner only');
  }
  const names = await readdir(path.join(runDir, 'captures'));
  t.notOk(names.includes('bad.adversary.pcap'), "the failed case's other file is removed, not left as if it were its evidence");
  t.same(names.filter((n) => n.endsWith('.tmp')), [], 'no temporary file is left');
});

t.test('a run whose capture of one case cannot be written: that case fails saying so, the others keep theirs', async (t) => {
  const runDir = path.join(tmp, 'run');
  const blocked = 'interop.x25519.aes-256-gcm.i2r';
  const fine = 'interop.x25519.aes-256-gcm.r2i';
  await blockPath(path.join(runDir, 'captures', `${caseFileStem(blocked)}.keylog`));
  const report = await runConformance({ seed: 'capture-writer-test', captures: 'all', runDir, caseIds: [blocked, fine], caseTimeoutMs: 30_000 });
  const bad = report.cases.find((c) => c.id === blocked)!;
  const good = report.cases.find((c) => c.id === fine)!;
  t.equal(bad.verdict, 'fail');
  t.match(bad.reason, /its captures could not be written: E[A-Z]+/);
  t.same(bad.captures?.pcaps, [], 'no capture linked');
  t.match(bad.captures?.none, /could not be written/);
  t.ok(bad.evidence?.mismatches.some((m) => /could not be written/.test(m)), 'the evidence names it too');
  t.equal(report.summary.failed, 1, 'the summary counts it');
  t.equal(good.verdict, 'pass');
  for (const link of [...(good.captures?.pcaps ?? []).map((p) => p.path), good.captures?.keylog, good.captures?.inspect]) {
    t.ok(link, 'the passing case links its files');
    t.ok((await stat(path.join(runDir, link!))).size > 0, `${link} is there when the run returns`);
  }
  const names = await readdir(path.join(runDir, 'captures'));
  t.same(names.filter((n) => n.startsWith(caseFileStem(blocked)) && !n.endsWith('.keylog')), [], 'nothing of the blocked case is left');
  t.same(names.filter((n) => n.endsWith('.tmp')), [], 'no temporary file is left');
});
