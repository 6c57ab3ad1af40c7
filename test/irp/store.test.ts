// The registry store: atomic, durable commits (what a restart or a crash mid-write leaves).
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileRegistryStore, MemoryRegistryStore, STATE_FILE, TMP_SUFFIX, type IssuedCertificate } from '../../src/irp/store.js';

const cert = (serial: string, userId = 'alice@example.com'): IssuedCertificate => ({
  serial,
  userId,
  certificate: 'AAAA',
  revoked: false,
});

async function tempDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-irp-store-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('memory store publishes a commit only after it ran', async (t) => {
  const store = new MemoryRegistryStore();
  const before = store.state;
  await store.commit((s) => {
    s.certificates['01'] = cert('01');
  });
  t.same(store.state.certificates['01'], cert('01'));
  t.notOk(before.certificates['01'], 'the earlier snapshot is not mutated');
});

t.test('file store: a reopened store holds every acknowledged commit', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit((s) => {
    s.certificates['01'] = cert('01');
  });
  await store.commit((s) => {
    s.certificates['02'] = cert('02', 'bob@example.com');
  });
  await store.close();
  const again = await FileRegistryStore.open(dir);
  t.same(Object.keys(again.state.certificates).sort(), ['01', '02']);
  t.equal(again.state.certificates['02']!.userId, 'bob@example.com');
});

t.test('file store: a write stopped before its rename loses nothing acknowledged', async (t) => {
  const dir = await tempDir(t);
  let crash = false;
  const store = await FileRegistryStore.open(dir, {
    beforeRename: () => {
      if (crash) throw new Error('simulated crash between write and rename');
    },
  });
  await store.commit((s) => {
    s.certificates['01'] = cert('01');
  });
  crash = true;
  await t.rejects(
    store.commit((s) => {
      s.certificates['02'] = cert('02');
    }),
  );
  t.notOk(store.state.certificates['02'], 'the unacknowledged change is not published');
  // The crash left the complete temporary file behind, never renamed.
  const tmp = path.join(dir, STATE_FILE + TMP_SUFFIX);
  t.ok(JSON.parse(await fs.readFile(tmp, 'utf8')).certificates['02'], 'the tmp file holds the unacknowledged write');

  const reopened = await FileRegistryStore.open(dir);
  t.same(Object.keys(reopened.state.certificates), ['01'], 'the acknowledged commit survives, the unacknowledged one is gone');
  await t.rejects(fs.stat(tmp), { code: 'ENOENT' }, 'the leftover tmp file is removed');

  crash = false;
  await store.commit((s) => {
    s.certificates['03'] = cert('03');
  });
  t.same(Object.keys(store.state.certificates).sort(), ['01', '03'], 'a failed commit does not block later ones');
});

t.test('file store: a torn tmp file (killed mid-write) is ignored', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await store.commit((s) => {
    s.certificates['0a'] = cert('0a');
  });
  await fs.writeFile(path.join(dir, STATE_FILE + TMP_SUFFIX), '{"version":1,"certif');
  const reopened = await FileRegistryStore.open(dir);
  t.same(Object.keys(reopened.state.certificates), ['0a']);
});

t.test('file store: refuses a state file that is not its own', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, STATE_FILE), '{"hello":1}');
  await t.rejects(FileRegistryStore.open(dir), { name: 'StoreError' });
  await fs.writeFile(path.join(dir, STATE_FILE), 'not json');
  await t.rejects(FileRegistryStore.open(dir), { name: 'StoreError' });
});

t.test('file store: concurrent commits are serialised and all kept', async (t) => {
  const dir = await tempDir(t);
  const store = await FileRegistryStore.open(dir);
  await Promise.all(
    ['01', '02', '03', '04', '05'].map((serial) =>
      store.commit((s) => {
        s.certificates[serial] = cert(serial);
      }),
    ),
  );
  const reopened = await FileRegistryStore.open(dir);
  t.equal(Object.keys(reopened.state.certificates).length, 5);
});
