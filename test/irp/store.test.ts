// The registry store: durable commits whose cost does not grow with the registry (IRP-LIM-5),
// and what a restart or a crash mid-write leaves (nothing acknowledged is ever lost).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FileRegistryStore,
  JOURNAL_FILE,
  MemoryRegistryStore,
  STATE_FILE,
  TMP_SUFFIX,
  type IssuedCertificate,
  type StoreChange,
} from '../../src/irp/store.js';

const cert = (serial: string, userId = 'alice@example.com'): IssuedCertificate => ({
  serial,
  userId,
  certificate: 'AAAA',
  revoked: false,
});
const put = (serial: string, userId?: string) => (): StoreChange[] => [{ kind: 'certificate', certificate: cert(serial, userId) }];

async function tempDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-irp-store-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('memory store: a commit replaces whole objects, never one a reader holds', async (t) => {
  const store = new MemoryRegistryStore();
  await store.commit(put('01'));
  const held = store.state.certificates['01']!;
  await store.commit((s) => [{ kind: 'certificate', certificate: { ...s.certificates['01']!, revoked: true } }]);
  t.equal(store.state.certificates['01']!.revoked, true);
  t.equal(held.revoked, false, 'the object a reader held is not mutated');
});

t.test('file store: a reopened store holds every acknowledged commit', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit(put('01'));
  await store.commit(put('02', 'bob@example.com'));
  await store.commit((s) => [{ kind: 'certificate', certificate: { ...s.certificates['01']!, revoked: true } }]);
  await store.close();
  const again = await FileRegistryStore.open(dir);
  t.teardown(() => again.close());
  t.same(Object.keys(again.state.certificates).sort(), ['01', '02']);
  t.equal(again.state.certificates['02']!.userId, 'bob@example.com');
  t.equal(again.state.certificates['01']!.revoked, true, 'changes replay in order');
});

t.test('IRP-LIM-5: a commit appends one line, whatever the registry size', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir, {}, { compactMinBytes: 1 << 30 });
  t.teardown(() => store.close());
  const grown: number[] = [];
  for (let i = 0; i < 300; i++) {
    const before = store.sizes.journalBytes;
    await store.commit(put(i.toString(16).padStart(4, '0')));
    grown.push(store.sizes.journalBytes - before);
  }
  // The bytes written by a commit depend on its change only (and the digits of its sequence
  // number): the 300th writes what the 100th did, with 200 more certificates in the registry.
  t.equal(grown[299], grown[99], 'the 300th commit wrote as many bytes as the 100th');
  await t.rejects(fs.stat(path.join(dir, STATE_FILE)), { code: 'ENOENT' }, 'no snapshot rewritten on commit');
});

t.test('file store: compaction folds the journal into the snapshot and loses nothing', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir, {}, { compactMinBytes: 2000 });
  for (let i = 0; i < 100; i++) await store.commit(put(i.toString(16).padStart(2, '0')));
  t.ok((await fs.stat(path.join(dir, STATE_FILE))).size > 0, 'a snapshot was written');
  const { journalBytes, snapshotBytes } = store.sizes;
  t.ok(journalBytes <= Math.max(snapshotBytes, 2000), `the journal (${journalBytes} bytes) stays below the snapshot's size (${snapshotBytes}) or the minimum`);
  await store.close();
  const again = await FileRegistryStore.open(dir);
  t.teardown(() => again.close());
  t.equal(Object.keys(again.state.certificates).length, 100);
});

t.test('file store: a crash between the snapshot rename and the journal truncation replays nothing twice', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit(put('01'));
  await store.commit((s) => [{ kind: 'certificate', certificate: { ...s.certificates['01']!, revoked: true } }]);
  await store.commit((s) => [{ kind: 'certificate', certificate: { ...s.certificates['01']!, revoked: false, revokedAt: 'x' } }]);
  await store.close();
  // The snapshot of a compaction that was not followed by the truncation: it holds entries 1..2.
  const journal = await fs.readFile(path.join(dir, JOURNAL_FILE), 'utf8');
  await fs.writeFile(path.join(dir, STATE_FILE), JSON.stringify({ version: 1, seq: 2, certificates: { '01': { ...cert('01'), revoked: true } }, records: {} }));
  const again = await FileRegistryStore.open(dir);
  t.teardown(() => again.close());
  t.equal(journal.split('\n').filter(Boolean).length, 3);
  t.same(again.state.certificates['01'], { ...cert('01'), revoked: false, revokedAt: 'x' }, 'entry 3 applied once, on top of the snapshot');
});

t.test('file store: a write stopped before its fsync is not acknowledged and not kept', async (t) => {
  const dir = await tempDir(t);
  let crash = false;
  const store = await FileRegistryStore.open(dir, {
    beforeJournalSync: () => {
      if (crash) throw new Error('simulated crash between write and fsync');
    },
  });
  await store.commit(put('01'));
  crash = true;
  await t.rejects(store.commit(put('02')));
  t.notOk(store.state.certificates['02'], 'the unacknowledged change is not published');
  crash = false;
  await store.commit(put('03'));
  t.same(Object.keys(store.state.certificates).sort(), ['01', '03'], 'a failed commit does not block later ones');
  await store.close();
  const reopened = await FileRegistryStore.open(dir);
  t.teardown(() => reopened.close());
  t.same(Object.keys(reopened.state.certificates).sort(), ['01', '03'], 'the unacknowledged line was taken out of the journal');
});

t.test('file store: a torn last journal line (killed mid-write) is cut off; damage elsewhere is refused', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit(put('0a'));
  await store.close();
  const journal = path.join(dir, JOURNAL_FILE);
  await fs.appendFile(journal, '{"seq":2,"changes":[{"kind":"certif');
  const reopened = await FileRegistryStore.open(dir);
  t.same(Object.keys(reopened.state.certificates), ['0a']);
  await reopened.commit(put('0b'));
  await reopened.close();
  const lines = (await fs.readFile(journal, 'utf8')).split('\n').filter(Boolean);
  t.equal(lines.length, 2, 'the torn line was cut, the next commit follows the last good one');

  await fs.writeFile(journal, `not json\n${lines.join('\n')}\n`);
  await t.rejects(FileRegistryStore.open(dir), { name: 'StoreError', message: /line 1/ });
});

t.test('file store: a leftover snapshot tmp file (killed before the rename) is removed', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit(put('0a'));
  await store.close();
  await fs.writeFile(path.join(dir, STATE_FILE + TMP_SUFFIX), '{"version":1,"certif');
  const reopened = await FileRegistryStore.open(dir);
  t.teardown(() => reopened.close());
  t.same(Object.keys(reopened.state.certificates), ['0a']);
  await t.rejects(fs.stat(path.join(dir, STATE_FILE + TMP_SUFFIX)), { code: 'ENOENT' });
});

t.test('file store: refuses a state file that is not its own', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, STATE_FILE), '{"hello":1}');
  await t.rejects(FileRegistryStore.open(dir), { name: 'StoreError' });
  await fs.writeFile(path.join(dir, STATE_FILE), 'not json');
  await t.rejects(FileRegistryStore.open(dir), { name: 'StoreError' });
});

t.test('file store: reads a state.json written before the journal existed', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, STATE_FILE), JSON.stringify({ version: 1, certificates: { '01': cert('01') }, records: {} }));
  const store = await FileRegistryStore.open(dir);
  await store.commit(put('02'));
  await store.close();
  const again = await FileRegistryStore.open(dir);
  t.teardown(() => again.close());
  t.same(Object.keys(again.state.certificates).sort(), ['01', '02']);
});

t.test('file store: concurrent commits are serialised and all kept', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await Promise.all(['01', '02', '03', '04', '05'].map((serial) => store.commit(put(serial))));
  await store.close();
  const reopened = await FileRegistryStore.open(dir);
  t.teardown(() => reopened.close());
  t.equal(Object.keys(reopened.state.certificates).length, 5);
});

// A real kill -9: a child process commits and prints each acknowledgement; it is killed while
// committing; every serial it acknowledged must be there after reopening.
t.test('file store: kill -9 while committing loses nothing acknowledged', async (t) => {
  const dir = await tempDir(t);
  const storeModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/irp/store.ts');
  const script = `
    const { FileRegistryStore } = await import(${JSON.stringify(storeModule)});
    const store = await FileRegistryStore.open(${JSON.stringify(dir)}, {}, { compactMinBytes: 4096 });
    for (let i = 0; ; i++) {
      const serial = i.toString(16).padStart(6, '0');
      await store.commit(() => [{ kind: 'certificate', certificate: { serial, userId: 'a@example.com', certificate: 'AAAA', revoked: false } }]);
      process.stdout.write(serial + '\\n');
    }`;
  // The child runs TypeScript the way this test runs: through tap's loader (its execArgv).
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acknowledged: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the child acknowledged nothing in 60 s: ${stderr}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      acknowledged = out.split('\n').slice(0, -1);
      // Enough commits for a compaction or two to have happened, then kill it mid-stream.
      if (acknowledged.length >= 150) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (acknowledged.length < 150) reject(new Error(`the child exited early: ${stderr}`));
    });
  });
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  const reopened = await FileRegistryStore.open(dir);
  t.teardown(() => reopened.close());
  const kept = new Set(Object.keys(reopened.state.certificates));
  const lost = acknowledged.filter((s) => !kept.has(s));
  t.same(lost, [], `all ${acknowledged.length} acknowledged commits survive kill -9`);
});
