// --data DIR: a restart keeps every acknowledged registration and the PKI (from the stored seed);
// a write stopped between its journal line and the fsync loses nothing acknowledged.
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { IrpServer } from '../../src/irp/server.js';
import { JOURNAL_FILE, STATE_FILE, TMP_SUFFIX } from '../../src/irp/store.js';
import { connect, enrolAndRegister, PASSWORDS } from './fixtures.js';

const accounts = Object.entries(PASSWORDS).map(([userId, password]) => ({ userId, password }));

async function dataDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-irp-data-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('start, register, stop, start again: every registration and the CA survive', async (t) => {
  const dir = await dataDir(t);
  const first = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, accounts });
  const rootPem = first.rootCertificatePem;
  const client = await connect(t, first);
  const alice = await enrolAndRegister(client, 'alice@example.com', '2001:db8::a', 4605);
  const bobClient = await connect(t, first);
  await enrolAndRegister(bobClient, 'bob@example.com', '192.0.2.10', 4610);
  const before = await bobClient.lookup('alice@example.com');
  await client.close();
  await bobClient.close();
  await first.close();

  const second = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, accounts });
  t.teardown(() => second.close());
  t.equal(second.rootCertificatePem, rootPem, 'the same root CA, regenerated from the stored seed');
  const reader = await connect(t, second);
  t.same(await reader.lookup('alice@example.com'), before);
  t.equal((await reader.lookup('bob@example.com')).port, 4610);
  const serial = new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase();
  t.equal((await reader.status(serial)).status, 'good', 'issued certificates are remembered');
  // The certificate issued before the restart still authenticates.
  await reader.authenticate('alice@example.com', alice.chain, alice.privateKey);
  await reader.register('2001:db8::aa', 4605);
});

t.test('a different --seed for an existing data directory is refused', async (t) => {
  const dir = await dataDir(t);
  const server = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, seed: 'one' });
  await server.close();
  await t.rejects(IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, seed: 'two' }), { name: 'ConfigError' });
});

t.test('a write interrupted between its journal line and the fsync loses nothing acknowledged', async (t) => {
  const dir = await dataDir(t);
  let crash = false;
  const server = await IrpServer.start({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    accounts,
    writeHooks: {
      beforeJournalSync: () => {
        if (crash) throw new Error('killed between write and fsync');
      },
    },
  });
  const client = await connect(t, server);
  await enrolAndRegister(client, 'alice@example.com', '2001:db8::1', 4605);
  crash = true;
  await t.rejects(client.register('2001:db8::2', 4606), { code: 'internal' }, 'not acknowledged');
  t.notMatch(await fs.readFile(path.join(dir, JOURNAL_FILE), 'utf8'), /2001:db8::2/, 'the interrupted write was taken out of the journal');
  const reader = await connect(t, server);
  t.equal((await reader.lookup('alice@example.com')).address, '2001:db8::1', 'the unacknowledged change is not served');
  await client.close();
  await reader.close();
  await server.close();

  const restarted = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, accounts });
  t.teardown(() => restarted.close());
  const after = await connect(t, restarted);
  t.equal((await after.lookup('alice@example.com')).address, '2001:db8::1', 'the acknowledged registration survives');
});

t.test('a torn write (the process killed while writing a snapshot or a journal line) is ignored', async (t) => {
  const dir = await dataDir(t);
  const server = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, accounts });
  const client = await connect(t, server);
  await enrolAndRegister(client, 'alice@example.com', '2001:db8::1', 4605);
  await client.close();
  await server.close();
  await fs.writeFile(path.join(dir, STATE_FILE + TMP_SUFFIX), '{"version":1,"records":{"alice@exa');
  await fs.appendFile(path.join(dir, JOURNAL_FILE), '{"seq":9,"changes":[{"kind":"record","key":"alice@exa');
  const restarted = await IrpServer.start({ host: '127.0.0.1', port: 0, dataDir: dir, accounts });
  t.teardown(() => restarted.close());
  const reader = await connect(t, restarted);
  t.equal((await reader.lookup('alice@example.com')).address, '2001:db8::1');
});
