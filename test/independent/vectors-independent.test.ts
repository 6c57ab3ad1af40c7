// The vectors agree with an independent implementation of the brief's key schedule and record
// protection (test/independent/e2ed_vectors.py: Python standard library only, AES-GCM and
// ChaCha20-Poly1305 written out from the standards), and that implementation notices a change.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'e2ed_vectors.py');
const vectorDir = path.resolve(here, '..', '..', 'vectors');
const python = spawnSync('python3', ['--version']);

t.test('independent implementation', { skip: python.status === 0 ? false : 'python3 is not installed' }, async (t) => {
  const run = (dir: string) => spawnSync('python3', [script, dir], { encoding: 'utf8' });
  const good = run(vectorDir);
  t.equal(good.status, 0, good.stdout + good.stderr);
  t.match(good.stdout, /independent check: \d+ vectors, 0 disagree/);

  const copy = mkdtempSync(path.join(os.tmpdir(), 'sixbench-vectors-'));
  cpSync(vectorDir, copy, { recursive: true });
  const file = path.join(copy, 'key-schedule.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const test0 = parsed.testGroups[0].tests[0];
  test0.exporter = (test0.exporter[0] === '0' ? '1' : '0') + test0.exporter.slice(1);
  writeFileSync(file, JSON.stringify(parsed));
  const bad = run(copy);
  t.equal(bad.status, 1, 'a changed exporter is a disagreement');
  t.match(bad.stdout, /key-schedule\.json tcId 1: exporter/);
});
