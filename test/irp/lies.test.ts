// Each adversarial setting changes what a client sees; the verifying client refuses what fails
// chapter 14's checks (bad signature, wrong certificate, rollback) and shows the rest.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { connect, enrolAndRegister, startStub } from './fixtures.js';

async function setUp(t: Test) {
  const server = await startStub(t);
  const owner = await connect(t, server);
  const alice = await enrolAndRegister(owner, 'alice@example.com', '2001:db8::1', 4605);
  await owner.register('2001:db8::2', 4606);
  const bobClient = await connect(t, server);
  const bob = await enrolAndRegister(bobClient, 'bob@example.com', '2001:db8::b', 4605);
  return { server, alice, bob };
}

t.test('honest registry: the current record', async (t) => {
  const { server } = await setUp(t);
  const reader = await connect(t, server);
  const record = await reader.lookup('alice@example.com');
  t.equal(record.address, '2001:db8::2');
  t.equal(record.port, 4606);
});

t.test('stale-address: the previous registration, validly signed; a client that saw the newer one refuses it', async (t) => {
  const { server } = await setUp(t);
  const seenCurrent = await connect(t, server);
  const current = await seenCurrent.lookup('alice@example.com');
  server.setLies({ staleAddress: { seconds: 3600 } });
  const fresh = await connect(t, server);
  const stale = await fresh.lookup('alice@example.com');
  t.equal(stale.address, '2001:db8::1');
  t.equal(stale.port, 4605);
  t.ok(Date.parse(stale.timestamp) < Date.parse(current.timestamp), 'older timestamp');
  await t.rejects(seenCurrent.lookup('alice@example.com'), { code: 'rollback' });
});

t.test('stale-address without an earlier registration: the timestamp moves back', async (t) => {
  const { server } = await setUp(t);
  const reader = await connect(t, server);
  const honest = await reader.lookup('bob@example.com');
  server.setLies({ staleAddress: { seconds: 3600 } });
  const fresh = await connect(t, server);
  const stale = await fresh.lookup('bob@example.com');
  t.equal(stale.address, honest.address);
  t.equal(Date.parse(honest.timestamp) - Date.parse(stale.timestamp), 3600_000);
});

t.test('wrong-address: another address (and port), validly signed', async (t) => {
  const { server } = await setUp(t);
  server.setLies({ wrongAddress: { address: '192.0.2.1', port: 9 } });
  const reader = await connect(t, server);
  const record = await reader.lookup('alice@example.com');
  t.equal(record.address, '192.0.2.1');
  t.equal(record.port, 9);
  server.setLies({ wrongAddress: { address: '192.0.2.7' } });
  const again = await reader.lookup('alice@example.com');
  t.equal(again.address, '192.0.2.7');
  t.equal(again.port, 4606, 'the registered port when the lie names none');
});

t.test("wrong-certificate: another user's chain; the client refuses the record (IRP-LOOKUP-4)", async (t) => {
  const { server } = await setUp(t);
  server.setLies({ wrongCertificate: { user: 'bob@example.com' } });
  const reader = await connect(t, server);
  await t.rejects(reader.lookup('alice@example.com'), { code: 'record_rejected' });
  server.setLies({ wrongCertificate: {} });
  await t.rejects(reader.lookup('bob@example.com'), { code: 'record_rejected' });
});

t.test('bad-signature: the client detects it on look-ups and on status', async (t) => {
  const { server, alice } = await setUp(t);
  server.setLies({ badSignature: true });
  const reader = await connect(t, server);
  await t.rejects(reader.lookup('alice@example.com'), { code: 'bad_signature' });
  const serial = new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase();
  await t.rejects(reader.status(serial), { code: 'bad_signature' });
  server.setLies({});
  t.equal((await reader.lookup('alice@example.com')).address, '2001:db8::2', 'honest again');
});

t.test('revoked-status: every status answer says revoked, validly signed', async (t) => {
  const { server, alice } = await setUp(t);
  const serial = new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase();
  const reader = await connect(t, server);
  t.equal((await reader.status(serial)).status, 'good');
  server.setLies({ revokedStatus: true });
  t.equal((await reader.status(serial)).status, 'revoked');
});

t.test('slow: every answer waits the configured delay first', async (t) => {
  const waits: number[] = [];
  let release: () => void = () => undefined;
  let slept: () => void = () => undefined;
  const sleeping = new Promise<string>((resolve) => {
    slept = () => resolve('held back');
  });
  const server = await startStub(t, {
    lies: { slowMs: 250 },
    sleep: (ms) => {
      waits.push(ms);
      slept();
      return new Promise((resolve) => {
        release = resolve;
      });
    },
  });
  // connect() sends Capabilities first: its answer must wait for the delay.
  const connecting = connect(t, server);
  const first = await Promise.race([sleeping, connecting.then(() => 'answered')]);
  t.equal(first, 'held back', 'no answer before the delay');
  release();
  await connecting;
  t.same(waits, [250]);
  t.equal(server.lies.slowMs, 250);
});
