// The client's checks of signed answers, one rule per test (IRP-CA-3, IRP-LOOKUP-3/4, IRP-STATUS-5).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { createTestPki } from '../../src/pki/ca.js';
import { encodeRecordDocument, encodeStatusDocument, recordSignedContent, statusSignedContent } from '../../src/protocol/irp-messages.js';
import { systemRandom } from '../../src/protocol/random.js';
import { sign } from '../../src/protocol/signature.js';
import { MemoryRegistryStore } from '../../src/irp/store.js';
import { Registry, serialOf } from '../../src/irp/operations.js';
import { checkRegistryCertificate, verifyLookupResult, verifyStatusResult, type TrustConfig } from '../../src/irp/verify.js';

const pki = createTestPki({ seed: 'irp-verify', users: ['alice@example.com', 'bob@example.com'] });
const registry = new Registry({ pki, store: new MemoryRegistryStore(), accounts: [], lies: {}, now: Date.now });
const trust: TrustConfig = { anchors: pki.anchors, intermediates: [pki.intermediates.users.der, pki.intermediates.services.der], time: new Date() };
const registryKey = checkRegistryCertificate(registry.signer.chain[0]!, trust);
const alice = pki.user('alice@example.com');

function lookupAnswer(record: Parameters<typeof encodeRecordDocument>[0], key = registry.signer.privateKey) {
  const bytes = encodeRecordDocument(record);
  return { kind: 'LookupResult' as const, id: 'q', record: bytes, algorithm: 'ecdsa-p256-sha256' as const, signature: sign('ecdsa-p256-sha256', key, recordSignedContent(bytes), systemRandom) };
}

const aliceRecord = () => ({
  user: 'alice@example.com',
  address: '::1',
  port: 4605,
  timestamp: new Date().toISOString(),
  serial: serialOf(alice.der),
  certificates: alice.chain,
});

t.test('IRP-CA-3: only the registry signing certificate is accepted', async (t) => {
  t.throws(() => checkRegistryCertificate(alice.der, trust), { code: 'untrusted_registry_certificate' }, 'a user certificate');
  t.throws(() => checkRegistryCertificate(pki.irpTls.der, trust), { code: 'untrusted_registry_certificate' }, 'the TLS certificate');
  t.throws(() => checkRegistryCertificate(pki.intermediates.services.der, trust), { code: 'untrusted_registry_certificate' }, 'a CA');
  const elsewhere = new Registry({ pki: createTestPki({ seed: 'other' }), store: new MemoryRegistryStore(), accounts: [], lies: {}, now: Date.now });
  t.throws(() => checkRegistryCertificate(elsewhere.signer.chain[0]!, trust), { code: 'untrusted_registry_certificate' }, 'another root');
  t.throws(() => checkRegistryCertificate(registry.signer.chain[0]!, { ...trust, time: new Date(pki.endEntityValidity.notAfter.getTime() + 1000) }), {
    code: 'untrusted_registry_certificate',
  }, 'expired');
});

t.test('IRP-LOOKUP-3: a signature by another key is refused', async (t) => {
  t.ok(verifyLookupResult(lookupAnswer(aliceRecord()), registryKey, 'alice@example.com', trust));
  t.throws(() => verifyLookupResult(lookupAnswer(aliceRecord(), alice.privateKey), registryKey, 'alice@example.com', trust), { code: 'bad_signature' });
});

t.test('IRP-LOOKUP-4: user, future timestamp, chain identity, serial', async (t) => {
  t.throws(() => verifyLookupResult(lookupAnswer(aliceRecord()), registryKey, 'bob@example.com', trust), { code: 'record_rejected' }, 'asked for bob');
  const future = { ...aliceRecord(), timestamp: new Date(Date.now() + 3600_000).toISOString() };
  t.throws(() => verifyLookupResult(lookupAnswer(future), registryKey, 'alice@example.com', trust), { code: 'record_rejected' }, 'future');
  const bobsChain = { ...aliceRecord(), certificates: pki.user('bob@example.com').chain };
  t.throws(() => verifyLookupResult(lookupAnswer(bobsChain), registryKey, 'alice@example.com', trust), { code: 'record_rejected' }, "bob's certificate");
  const wrongSerial = { ...aliceRecord(), serial: '7f' };
  t.throws(() => verifyLookupResult(lookupAnswer(wrongSerial), registryKey, 'alice@example.com', trust), { code: 'record_rejected' }, 'serial');
});

t.test('IRP-STATUS-5: serial, nonce (replay) and timestamp must match the request', async (t) => {
  const nonce = randomBytes(32);
  const answer = (doc: Parameters<typeof encodeStatusDocument>[0]) => {
    const bytes = encodeStatusDocument(doc);
    return { kind: 'StatusResult' as const, id: 's', status: bytes, algorithm: 'ecdsa-p256-sha256' as const, signature: sign('ecdsa-p256-sha256', registry.signer.privateKey, statusSignedContent(bytes), systemRandom) };
  };
  const good = { serial: '7f01', status: 'good' as const, nonce, timestamp: new Date().toISOString() };
  t.equal(verifyStatusResult(answer(good), registryKey, { serial: '7f01', nonce }, new Date()).status, 'good');
  t.throws(() => verifyStatusResult(answer(good), registryKey, { serial: '7f02', nonce }, new Date()), { code: 'status_rejected' });
  t.throws(() => verifyStatusResult(answer(good), registryKey, { serial: '7f01', nonce: randomBytes(32) }, new Date()), { code: 'status_rejected' });
  const old = { ...good, timestamp: new Date(Date.now() - 3600_000).toISOString() };
  t.throws(() => verifyStatusResult(answer(old), registryKey, { serial: '7f01', nonce }, new Date()), { code: 'status_rejected' });
});
