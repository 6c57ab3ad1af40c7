// Every IRP operation against the stub over real TLS, with the refusals chapter 14 requires.
import t from 'tap';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createCsr } from '../../src/pki/csr.js';
import { IRP_OPERATIONS } from '../../src/protocol/irp-messages.js';
import { connect, enrol, enrolAndRegister, PASSWORDS, startStub, testPki } from './fixtures.js';

t.test('capabilities lists every operation, version 1 and the domain', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const caps = await client.capabilities();
  t.same(caps.operations, [...IRP_OPERATIONS]);
  t.same(caps.versions, [1]);
  t.same(caps.domains, ['example.com']);
});

t.test('enrol, authenticate, register, look up: the verified record', async (t) => {
  const server = await startStub(t);
  const alice = await connect(t, server);
  const user = await enrolAndRegister(alice, 'alice@example.com', '::1', 4605);
  const leaf = new X509Certificate(user.chain[0]!);
  t.equal(leaf.subjectAltName, 'email:alice@example.com', 'the SAN is the logged-in user');

  const other = await connect(t, server);
  const record = await other.lookup('alice@example.com');
  t.equal(record.userId, 'alice@example.com');
  t.equal(record.address, '::1');
  t.equal(record.port, 4605);
  t.same(record.certificates.map((c) => c.toString('hex')), user.chain.map((c) => c.toString('hex')));
  t.equal(record.serial, leaf.serialNumber.toLowerCase());
  t.match(record.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/);
});

t.test('a look-up answer is signed once, at registration, and served as-is', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  await enrolAndRegister(client, 'alice@example.com', '127.0.0.1', 4605);
  const reader = await connect(t, server);
  t.same(await reader.lookup('alice@example.com'), await reader.lookup('alice@example.com'));
  // Look-ups serve the stored bytes: spoil the stored signature and the answer carries it.
  const store = (server.registry as unknown as { store: import('../../src/irp/store.js').RegistryStore }).store;
  await store.commit((state) => {
    const record = state.records['alice@example.com']!;
    const signature = Buffer.from(record.signature, 'base64');
    signature[signature.length - 1] ^= 1;
    return [{ kind: 'record', key: 'alice@example.com', record: { ...record, signature: signature.toString('base64') } }];
  });
  await t.rejects(reader.lookup('alice@example.com'), { code: 'bad_signature' });
});

t.test('unknown user: look-up not_found', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  await t.rejects(client.lookup('nobody@example.com'), { name: 'IrpError', code: 'not_found' });
});

t.test('wrong password: unauthenticated; unknown user likewise', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  await t.rejects(client.login('alice@example.com', 'wrong'), { code: 'unauthenticated' });
  await t.rejects(client.login('nobody@example.com', 'whatever'), { code: 'unauthenticated' });
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
});

t.test('5 wrong passwords within 60 s: rate_limited, even with the right one, until the window passes', async (t) => {
  let now = Date.now();
  const server = await startStub(t, { now: () => now });
  const client = await connect(t, server);
  for (let i = 0; i < 5; i++) await t.rejects(client.login('bob@example.com', `guess${i}`), { code: 'unauthenticated' });
  await t.rejects(client.login('bob@example.com', PASSWORDS['bob@example.com']!), { code: 'rate_limited' });
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  now += 60_001;
  await client.login('bob@example.com', PASSWORDS['bob@example.com']!);
});

t.test('enrolment needs a login, for the CSR user only', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await t.rejects(client.enroll(createCsr(privateKey, 'alice@example.com')), { code: 'unauthenticated' });
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  await t.rejects(client.enroll(createCsr(privateKey, 'bob@example.com')), { code: 'forbidden' });
  await t.rejects(client.enroll(Buffer.from('not a csr')), { code: 'bad_request' });
  const chain = await client.enroll(createCsr(privateKey, 'alice@example.com'));
  t.equal(chain.length, 2);
});

t.test('an enrolled certificate: a fresh random positive serial, 365 days from an hour before the registry\'s now (IRP-ENROLL-4)', async (t) => {
  const now = Date.parse('2026-06-15T12:00:00Z');
  const server = await startStub(t, { now: () => now });
  const client = await connect(t, server);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  const first = new X509Certificate((await client.enroll(createCsr(privateKey, 'alice@example.com')))[0]!);
  const again = new X509Certificate((await client.enroll(createCsr(privateKey, 'alice@example.com')))[0]!);
  for (const leaf of [first, again]) {
    t.match(leaf.serialNumber, /^[1-7][0-9A-F]{31}$/, 'sixteen octets, positive, no leading zero octet');
    t.equal(Date.parse(leaf.validFrom), now - 3600_000, 'valid from an hour before the registry\'s now');
    t.equal(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom), 365 * 86400_000, 'for 365 days');
  }
  t.not(first.serialNumber, again.serialNumber, 'the same key enrolled again gets a new serial');
  t.equal(first.subjectAltName, 'email:alice@example.com');
});

t.test('status speaks of revocation only: an expired, unrevoked certificate is good (IRP-STATUS-2)', async (t) => {
  let now = Date.parse('2026-06-15T12:00:00Z');
  const server = await startStub(t, { now: () => now });
  const client = await connect(t, server, () => now);
  const alice = await enrol(client, 'alice@example.com');
  const leaf = new X509Certificate(alice.chain[0]!);
  const serial = leaf.serialNumber.toLowerCase();
  t.equal((await client.status(serial)).status, 'good');
  now = Date.parse(leaf.validTo) + 86400_000;
  t.equal((await client.status(serial)).status, 'good', 'a day after notAfter');
  t.equal((await client.status('7f'.repeat(16))).status, 'unknown', 'a serial the registry never issued');
});

t.test('a connection stops trusting the registry signing certificate once the client clock leaves its validity (IRP-CA-3)', async (t) => {
  const start = Date.parse('2026-06-15T12:00:00Z');
  const server = await startStub(t, { now: () => start });
  let clientNow = start;
  const client = await connect(t, server, () => clientNow);
  await enrolAndRegister(client, 'alice@example.com', '::1', 4605);
  t.equal((await client.lookup('alice@example.com')).userId, 'alice@example.com', 'trusted while the path is valid');
  const registryLeaf = new X509Certificate(server.registry.signer.chain[0]!);
  clientNow = Date.parse(registryLeaf.validTo) + 1000;
  await t.rejects(client.lookup('alice@example.com'), { code: 'untrusted_registry_certificate' }, 'checked again after notAfter, on the same connection');
  clientNow = start;
  t.equal((await client.lookup('alice@example.com')).userId, 'alice@example.com', 'and trusted again when the clock is back inside');
});

t.test('a key whose certificate was revoked is never certified again: conflict (IRP-ENROLL-5)', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const alice = await enrol(client, 'alice@example.com');
  await client.authenticate('alice@example.com', alice.chain, alice.privateKey);
  await client.revoke(new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase());
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  await t.rejects(client.enroll(createCsr(alice.privateKey, 'alice@example.com')), { code: 'conflict' });
  const { privateKey: fresh } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  t.equal((await client.enroll(createCsr(fresh, 'alice@example.com'))).length, 2, 'a new key is enrolled');
});

t.test('a key certified for one user cannot be certified for another: conflict', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  await client.enroll(createCsr(privateKey, 'alice@example.com'));
  await client.login('bob@example.com', PASSWORDS['bob@example.com']!);
  await t.rejects(client.enroll(createCsr(privateKey, 'bob@example.com')), { code: 'conflict' });
});

t.test('register needs certificate authentication; a password login is not enough', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  await enrol(client, 'alice@example.com');
  await t.rejects(client.register('::1', 4605), { code: 'unauthenticated' });
});

t.test('authentication refusals: wrong user for the certificate, wrong key, no challenge', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const alice = await enrol(client, 'alice@example.com');
  await t.rejects(client.authenticate('bob@example.com', alice.chain, alice.privateKey), { code: 'unauthenticated' });
  const { privateKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await t.rejects(client.authenticate('alice@example.com', alice.chain, otherKey), { code: 'unauthenticated' });
  // A certificate outside the registry's PKI.
  const foreign = (await import('../../src/pki/ca.js')).createTestPki({ seed: 'elsewhere', users: ['alice@example.com'] });
  const stranger = foreign.user('alice@example.com');
  await t.rejects(client.authenticate('alice@example.com', stranger.chain, stranger.privateKey), { code: 'unauthenticated' });
  await client.authenticate('alice@example.com', alice.chain, alice.privateKey);
});

t.test('only the holder of X\'s certificate changes X\'s record', async (t) => {
  const server = await startStub(t);
  const aliceClient = await connect(t, server);
  const alice = await enrolAndRegister(aliceClient, 'alice@example.com', '::1', 4605);
  const bobClient = await connect(t, server);
  await enrolAndRegister(bobClient, 'bob@example.com', '::1', 5000);
  // Bob's Register changes only Bob's record (Register names no user).
  await bobClient.register('127.0.0.1', 5001);
  const reader = await connect(t, server);
  t.equal((await reader.lookup('alice@example.com')).port, 4605);
  t.equal((await reader.lookup('bob@example.com')).port, 5001);
  // Bob cannot revoke Alice's certificate.
  const aliceSerial = new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase();
  await t.rejects(bobClient.revoke(aliceSerial), { code: 'forbidden' });
  await t.rejects(bobClient.revoke('7f01'), { code: 'not_found' });
  // Bob cannot authenticate as Alice with his own chain, nor with hers without her key.
  await t.rejects(bobClient.authenticate('alice@example.com', alice.chain, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), {
    code: 'unauthenticated',
  });
});

t.test('CA certificates: root, intermediates, registry', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const certs = await client.caCertificates();
  t.same(certs.map((c) => c.role), ['root', 'intermediate', 'intermediate', 'registry']);
  t.ok(certs[0]!.der.equals(testPki().root.der));
});

t.test('revoke: status revoked, record removed, authentication lost', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const alice = await enrolAndRegister(client, 'alice@example.com', '::1', 4605);
  const serial = new X509Certificate(alice.chain[0]!).serialNumber.toLowerCase();
  const reader = await connect(t, server);
  t.equal((await reader.status(serial)).status, 'good');
  t.equal((await reader.status('7f01')).status, 'unknown');
  await client.revoke(serial);
  t.equal((await reader.status(serial)).status, 'revoked');
  await t.rejects(reader.lookup('alice@example.com'), { code: 'not_found' });
  await t.rejects(client.register('::1', 4605), { code: 'unauthenticated' });
  // The revoked certificate cannot authenticate again.
  await t.rejects(client.authenticate('alice@example.com', alice.chain, alice.privateKey), { code: 'unauthenticated' });
});


t.test('a repeated identical answer is not re-verified, but its time checks are', async (t) => {
  // Fixed clocks: the enrolled leaf (365 days) expires well before the registry's certificate.
  const enrolledAt = Date.parse('2026-06-15T12:00:00Z');
  const server = await startStub(t, { now: () => enrolledAt });
  const owner = await connect(t, server, () => enrolledAt);
  const alice = await enrolAndRegister(owner, 'alice@example.com', '::1', 4605);
  let now = enrolledAt;
  const reader = await connect(t, server, () => now);
  t.equal((await reader.lookup('alice@example.com')).port, 4605);
  t.equal((await reader.lookup('alice@example.com')).port, 4605, 'served from the verification cache');
  now = Date.parse(new X509Certificate(alice.chain[0]!).validTo) + 86400_000; // the leaf has expired
  t.ok(now < Date.parse(new X509Certificate(server.registry.signer.chain[0]!).validTo), 'the registry certificate has not');
  await t.rejects(reader.lookup('alice@example.com'), { code: 'record_rejected' });
});
