import { X509Certificate, createHash, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import t from 'tap';
import { createTestPki, type TestPki } from '../../src/pki/ca.js';
import { encodeTime, keyIdentifier } from '../../src/pki/cert-builder.js';
import { createCsr, parseCsr } from '../../src/pki/csr.js';
import { buildValidCase, DEFECTS } from '../../src/pki/defects.js';
import { deriveKeyPair, keySeed } from '../../src/pki/keys.js';
import { alertOf } from '../helpers/alerts.js';

const USERS = ['alice@example.com', 'bob@example.com'];

/** Every certificate a run makes, in a fixed order. */
function allDer(pki: TestPki): Buffer[] {
  return [
    pki.root.der,
    pki.intermediates.users.der,
    pki.intermediates.services.der,
    pki.intermediates.rsa.der,
    ...pki.users.map((u) => u.der),
    pki.irpSigning.der,
    pki.irpTls.der,
    ...buildValidCase(pki).chain,
    ...DEFECTS.flatMap((d) => d.build(pki).chain),
  ];
}

const digest = (ders: Buffer[]): string => {
  const h = createHash('sha256');
  for (const d of ders) h.update(d);
  return h.digest('hex');
};


t.test('the same seed gives the same DER for the whole PKI, defects included', async (t) => {
  const a = allDer(createTestPki({ seed: 'determinism', users: USERS }));
  const b = allDer(createTestPki({ seed: 'determinism', users: USERS }));
  t.equal(a.length, b.length);
  t.equal(digest(a), digest(b));
  t.ok(a.every((d, i) => d.equals(b[i]!)), 'every certificate identical byte for byte');
});

t.test('a different seed gives different keys and certificates', async (t) => {
  const a = createTestPki({ seed: 'seed-one', users: USERS });
  const b = createTestPki({ seed: 'seed-two', users: USERS });
  t.notOk(a.root.der.equals(b.root.der));
  t.notOk(a.root.key.spki.equals(b.root.key.spki));
  t.notOk(a.user('alice@example.com').der.equals(b.user('alice@example.com').der));
  t.notOk(a.intermediates.rsa.key.spki.equals(b.intermediates.rsa.key.spki), 'RSA keys differ too');
});

t.test('the reference time fixes the validity dates, not the clock', async (t) => {
  const pki = createTestPki({ seed: 'time', users: USERS, referenceTime: new Date('2030-06-01T00:00:00Z') });
  const leaf = new X509Certificate(pki.user('alice@example.com').der);
  t.equal(new Date(leaf.validFrom).toISOString(), '2029-06-01T00:00:00.000Z');
  t.equal(new Date(leaf.validTo).toISOString(), '2040-05-29T00:00:00.000Z'); // ten 365-day years later
});

t.test('RSA keys are the same for the same key seed, with the memory cache bypassed', async (t) => {
  const { searchRsaKey } = await import('../../src/pki/keys.js');
  const seed = keySeed('rsa-determinism', 'k');
  const fresh = searchRsaKey(1024, seed).export({ format: 'jwk' });
  const again = searchRsaKey(1024, seed).export({ format: 'jwk' });
  t.equal(fresh.n, again.n);
  t.equal(deriveKeyPair('rsa1024', seed).publicKey.export({ format: 'jwk' }).n, fresh.n, 'cached path gives the same key');
});

t.test('the user certificate has the E2ED profile', async (t) => {
  const pki = createTestPki({ seed: 'profile', users: USERS });
  const alice = pki.user('alice@example.com');
  const leaf = new X509Certificate(alice.der);
  const ca = new X509Certificate(pki.intermediates.users.der);
  const root = new X509Certificate(pki.root.der);
  t.equal(leaf.subjectAltName, 'email:alice@example.com');
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'extendedKeyUsage is clientAuth only');
  t.notOk(leaf.ca);
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'issued and signed by the users CA');
  t.ok(ca.checkIssued(root) && ca.verify(root.publicKey), 'users CA issued by the root');
  t.ok(root.verify(root.publicKey), 'root is self-signed');
  t.equal(alice.chain.length, 2);
  t.ok(alice.chain[1]!.equals(pki.intermediates.users.der));
  t.equal(leaf.publicKey.asymmetricKeyType, 'ec');
  t.ok(alice.publicKey.equals(leaf.publicKey), 'the certificate carries the returned key');

  const hex = alice.der.toString('hex');
  const caSki = keyIdentifier(pki.intermediates.users.key.spki).toString('hex');
  const leafSki = keyIdentifier(alice.publicKey.export({ format: 'der', type: 'spki' })).toString('hex');
  // AuthorityKeyIdentifier extnValue: 30 16 80 14 <20-byte key id> (RFC 5280 4.2.1.1).
  t.ok(hex.includes(`0603551d23041830168014${caSki}`), 'AKI keyIdentifier = users CA SKI');
  // SubjectKeyIdentifier extnValue: 04 14 <key id>.
  t.ok(hex.includes(`0603551d0e04160414${leafSki}`), 'SKI = SHA-1 of the leaf key');
  // KeyUsage critical, BIT STRING 07 80: digitalSignature only.
  t.ok(hex.includes('0603551d0f0101ff040403020780'), 'keyUsage critical digitalSignature');
});

t.test('RSA users get keyEncipherment; Ed25519 users have Ed25519 keys', async (t) => {
  const pki = createTestPki({ seed: 'keytypes' });
  const rsa = pki.issueUser('rsa@example.com', { keyType: 'rsa2048' });
  t.equal(rsa.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  // KeyUsage BIT STRING 05 a0: digitalSignature + keyEncipherment.
  t.ok(rsa.der.toString('hex').includes('0603551d0f0101ff0404030205a0'));
  const ed = pki.issueUser('ed@example.com', { keyType: 'ed25519' });
  t.equal(new X509Certificate(ed.der).publicKey.asymmetricKeyType, 'ed25519');
  const data = Buffer.from('proof');
  t.ok(cryptoVerify(null, data, new X509Certificate(ed.der).publicKey, cryptoSign(null, data, ed.privateKey)), 'private key matches');
});

t.test('the IRP TLS certificate is a serverAuth certificate for localhost, 127.0.0.1 and ::1', async (t) => {
  const pki = createTestPki({ seed: 'irp' });
  const tls = new X509Certificate(pki.irpTls.der);
  t.same(tls.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  t.ok(tls.checkHost('localhost'));
  t.ok(tls.checkIP('127.0.0.1'));
  t.ok(tls.checkIP('::1'));
  t.ok(tls.verify(new X509Certificate(pki.intermediates.services.der).publicKey));
  const signing = new X509Certificate(pki.irpSigning.der);
  t.ok(signing.verify(new X509Certificate(pki.intermediates.services.der).publicKey));
  t.ok(pki.irpSigning.publicKey.equals(signing.publicKey));
});

t.test('enrolment: the SAN comes from the authenticated user, not from the CSR', async (t) => {
  const pki = createTestPki({ seed: 'csr' });
  const key = deriveKeyPair('p256', keySeed('csr', 'mallory'));
  const csr = createCsr(key.privateKey, 'admin@example.com');
  t.equal(parseCsr(csr).algorithm, 'ecdsa-with-SHA256');
  const chain = pki.signCsr(csr, { userId: 'mallory@example.com' });
  const leaf = new X509Certificate(chain[0]!);
  t.equal(leaf.subjectAltName, 'email:mallory@example.com');
  t.ok(leaf.publicKey.equals(key.publicKey));
  t.ok(chain[1]!.equals(pki.intermediates.users.der));

  for (const type of ['ed25519', 'rsa2048'] as const) {
    const k = deriveKeyPair(type, keySeed('csr', type));
    const c = pki.signCsr(createCsr(k.privateKey, 'x@example.com'), { userId: 'x@example.com' });
    t.ok(new X509Certificate(c[0]!).publicKey.equals(k.publicKey), `${type} CSR enrolled`);
  }
});

t.test('enrolment refuses a forged, malformed or weak CSR', async (t) => {
  const pki = createTestPki({ seed: 'csr-bad' });
  const key = deriveKeyPair('p256', keySeed('csr-bad', 'k'));
  const csr = createCsr(key.privateKey, 'a@example.com');
  const forged = Buffer.from(csr);
  forged[forged.length - 1]! ^= 0x01;
  t.equal(alertOf(() => pki.signCsr(forged, { userId: 'a@example.com' })), 'decrypt_error');
  t.equal(alertOf(() => pki.signCsr(csr.subarray(0, csr.length - 3), { userId: 'a@example.com' })), 'decode_error');
  t.equal(alertOf(() => pki.signCsr(Buffer.concat([csr, Buffer.from([0])]), { userId: 'a@example.com' })), 'decode_error');
  const weak = deriveKeyPair('rsa1024', keySeed('csr-bad', 'weak'));
  t.equal(alertOf(() => pki.signCsr(createCsr(weak.privateKey, 'a@example.com'), { userId: 'a@example.com' })), 'insufficient_security');
});

t.test('times: UTCTime until 2049, GeneralizedTime from 2050, seconds and Z', async (t) => {
  t.equal(encodeTime(new Date('2049-12-31T23:59:59Z')).toString('hex'), '170d' + Buffer.from('491231235959Z').toString('hex'));
  t.equal(encodeTime(new Date('2050-01-01T00:00:00Z')).toString('hex'), '180f' + Buffer.from('20500101000000Z').toString('hex'));
});
