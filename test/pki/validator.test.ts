// Unit tests of the client-certificate path validator, one E2ED-CERT rule per test (docs/spec.md,
// "Certificate profile"). Certificates are built per test (validator-certs.ts) so each violates
// exactly one rule.
import t from 'tap';
import { ALERTS } from '../../src/protocol/alerts.js';
import { REASONS, REASON_NAMES } from '../../src/pki/reasons.js';
import { validateChain, type ValidationOptions, type ValidationResult } from '../../src/pki/validator.js';
import {
  OIDS,
  TIME,
  caExtensions,
  cn,
  der,
  ext,
  gn,
  key,
  keyId,
  leafExtensions,
  makeCert,
  makePki,
  name,
} from './validator-certs.js';

const base = (root: Buffer, extra: Partial<ValidationOptions> = {}): ValidationOptions => ({
  trustAnchors: [root],
  time: TIME,
  purpose: 'clientAuth',
  ...extra,
});

function reasonOf(r: ValidationResult): string {
  return r.ok ? 'ok' : r.reason;
}

t.test('a well-formed E2ED chain validates and yields the user ID, key and path', async (t) => {
  const p = makePki();
  const r = validateChain([p.leaf, p.intermediate], base(p.root, { expectedUserId: 'alice@example.com' }));
  t.equal(reasonOf(r), 'ok');
  if (r.ok) {
    t.equal(r.userId, 'alice@example.com');
    t.equal(r.path.length, 3);
    t.equal(r.publicKey.asymmetricKeyType, 'ec');
  }
  // the intermediate may also come from local configuration instead of the Hello
  t.equal(reasonOf(validateChain([p.leaf], base(p.root, { intermediates: [p.intermediate] }))), 'ok');
});

t.test('every reason maps to a known alert and an E2ED-CERT requirement id', async (t) => {
  for (const r of REASON_NAMES) {
    t.ok(REASONS[r].alert in ALERTS, `${r} alert`);
    t.match(REASONS[r].requirement, /^E2ED-CERT-\d+$/, `${r} requirement`);
  }
});

t.test('failures carry the alert and requirement of the reason table', async (t) => {
  const p = makePki();
  const r = validateChain([p.leaf, p.intermediate], base(p.root, { time: new Date('2041-01-01T00:00:00Z') }));
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.reason, 'expired');
    t.equal(r.alert, 'certificate_expired');
    t.equal(r.requirement, 'E2ED-CERT-2');
  }
});

t.test('E2ED-CERT-1: a v1 leaf is rejected', async (t) => {
  const p = makePki({ leafExtensions: [], leafSpec: { version: 1 } });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'unsupported-version');
});

t.test('E2ED-CERT-2: validity is inclusive at both ends, to the second', async (t) => {
  const p = makePki({ leafSpec: { notBefore: der.utcTime('260601120000Z'), notAfter: der.utcTime('260601130000Z') } });
  const at = (iso: string) => reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { time: new Date(iso) })));
  t.equal(at('2026-06-01T12:00:00Z'), 'ok', 'notBefore inclusive');
  t.equal(at('2026-06-01T13:00:00.900Z'), 'ok', 'notAfter inclusive, time floored to the second');
  t.equal(at('2026-06-01T11:59:59.999Z'), 'not-yet-valid');
  t.equal(at('2026-06-01T13:00:01Z'), 'expired');
  t.equal(at('not a date'), 'expired', 'an invalid validation time never passes');
});

t.test('E2ED-CERT-2: an expired intermediate or root fails the path', async (t) => {
  const p = makePki({ intSpec: { notAfter: der.utcTime('250101000000Z') } });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'expired');
});

t.test('E2ED-CERT-3: no path to an anchor is unknown_ca', async (t) => {
  const p = makePki();
  const other = makePki();
  void other;
  const strangerKey = key('stranger');
  const stranger = makeCert({ subject: cn('Stranger'), issuer: cn('Stranger'), key: strangerKey, signer: strangerKey, extensions: caExtensions(strangerKey, undefined) });
  const missing = validateChain([p.leaf], base(p.root));
  t.equal(reasonOf(missing), 'unknown-issuer', 'missing intermediate');
  if (!missing.ok) t.equal(missing.alert, 'unknown_ca');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate, p.root], base(stranger))), 'unknown-issuer', 'untrusted root');
  const selfKey = key('self');
  const self = makeCert({ subject: cn('alice'), issuer: cn('alice'), key: selfKey, signer: selfKey, extensions: leafExtensions(selfKey) });
  t.equal(reasonOf(validateChain([self], base(p.root))), 'self-signed-leaf');
  t.equal(reasonOf(validateChain([self], base(self))), 'self-signed-leaf', 'a trusted self-signed leaf is still no path');
});

t.test('E2ED-CERT-4: an AKI that differs from the issuer SKI is not a path', async (t) => {
  const p = makePki({ leafExtensions: [...leafExtensions(key('int')).filter((e) => e.oid !== OIDS.aki), ext.aki(Buffer.alloc(20, 7))] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'key-identifier-mismatch');
});

t.test('E2ED-CERT-5: a signature by another key fails', async (t) => {
  const p = makePki({ leafSpec: { signer: key('impostor') } });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'bad-signature');
});

t.test('E2ED-CERT-6: tbsCertificate.signature must equal signatureAlgorithm', async (t) => {
  const p = makePki({ leafSpec: { tbsSigAlg: '1.2.840.10045.4.3.3' } });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'signature-algorithm-mismatch');
});

t.test('E2ED-CERT-7: SHA-1 signatures are refused (insufficient_security)', async (t) => {
  const p = makePki({ leafSpec: { sigAlg: OIDS.ecdsaSha1 } });
  const r = validateChain([p.leaf, p.intermediate], base(p.root));
  t.equal(reasonOf(r), 'weak-signature-algorithm');
  if (!r.ok) t.equal(r.alert, 'insufficient_security');
});

t.test('E2ED-CERT-7: RSA PKCS#1 SHA-256 and Ed25519 CA signatures are accepted', async (t) => {
  const rsa = key('rsa-root', 'rsa2048');
  const rootName = cn('RSA Root');
  const root = makeCert({ subject: rootName, issuer: rootName, key: rsa, signer: rsa, extensions: caExtensions(rsa, undefined) });
  const leaf = makeCert({ subject: cn('alice'), issuer: rootName, key: key('leaf'), signer: rsa, extensions: leafExtensions(rsa) });
  t.equal(reasonOf(validateChain([leaf], base(root))), 'ok', 'sha256WithRSAEncryption');
  const ed = key('ed-root', 'ed25519');
  const edName = cn('Ed Root');
  const edRoot = makeCert({ subject: edName, issuer: edName, key: ed, signer: ed, extensions: caExtensions(ed, undefined) });
  const edLeaf = makeCert({ subject: cn('alice'), issuer: edName, key: key('leaf'), signer: ed, extensions: leafExtensions(ed) });
  t.equal(reasonOf(validateChain([edLeaf], base(edRoot))), 'ok', 'Ed25519');
});

t.test('E2ED-CERT-8: weak keys are refused', async (t) => {
  t.equal(reasonOf(validateChain([makePki({ leafKey: key('l384', 'p384') }).leaf, makePki().intermediate], base(makePki().root))), 'weak-key', 'P-384 leaf in profile e2ed');
  const p = makePki({ leafKey: key('l1024', 'rsa1024') });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'weak-key', 'RSA-1024 leaf');
});

t.test('E2ED-CERT-9: DSA keys are unsupported', async (t) => {
  const p = makePki({ leafKey: key('dsa', 'dsa') });
  const r = validateChain([p.leaf, p.intermediate], base(p.root));
  t.equal(reasonOf(r), 'unsupported-key-type');
  if (!r.ok) t.equal(r.alert, 'unsupported_certificate');
});

t.test('E2ED-CERT-10: the leaf keyUsage must be present with digitalSignature', async (t) => {
  const ik = key('int');
  const noKu = makePki({ leafExtensions: leafExtensions(ik).filter((e) => e.oid !== OIDS.ku) });
  t.equal(reasonOf(validateChain([noKu.leaf, noKu.intermediate], base(noKu.root))), 'missing-digital-signature');
  const wrongKu = makePki({ leafExtensions: [...leafExtensions(ik).filter((e) => e.oid !== OIDS.ku), ext.ku([2])] });
  t.equal(reasonOf(validateChain([wrongKu.leaf, wrongKu.intermediate], base(wrongKu.root))), 'missing-digital-signature');
});

t.test('E2ED-CERT-11: RSA key transport requires keyEncipherment', async (t) => {
  const ik = key('int');
  const rsa = key('leaf-rsa', 'rsa2048');
  const without = makePki({ leafKey: rsa });
  t.equal(reasonOf(validateChain([without.leaf, without.intermediate], base(without.root, { requireKeyEncipherment: true }))), 'missing-key-encipherment');
  t.equal(reasonOf(validateChain([without.leaf, without.intermediate], base(without.root))), 'ok', 'not required otherwise');
  const withKe = makePki({ leafKey: rsa, leafExtensions: [...leafExtensions(ik).filter((e) => e.oid !== OIDS.ku), ext.ku([0, 2])] });
  t.equal(reasonOf(validateChain([withKe.leaf, withKe.intermediate], base(withKe.root, { requireKeyEncipherment: true }))), 'ok');
});

t.test('E2ED-CERT-12: EKU must contain clientAuth; anyExtendedKeyUsage alone does not do', async (t) => {
  const ik = key('int');
  const others = leafExtensions(ik).filter((e) => e.oid !== OIDS.eku);
  const run = (exts: typeof others, purpose: 'clientAuth' | 'serverAuth' = 'clientAuth') => {
    const p = makePki({ leafExtensions: exts });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { purpose })));
  };
  t.equal(run(others), 'wrong-extended-key-usage', 'absent');
  t.equal(run([...others, ext.eku(OIDS.anyEku)]), 'wrong-extended-key-usage', 'any alone');
  t.equal(run([...others, ext.eku(OIDS.serverAuth)]), 'wrong-extended-key-usage', 'serverAuth only');
  t.equal(run([...others, ext.eku(OIDS.serverAuth, OIDS.clientAuth)]), 'ok', 'both');
  t.equal(run([...others, ext.eku(OIDS.clientAuth)], 'serverAuth'), 'wrong-extended-key-usage', 'purpose serverAuth');
});

t.test('E2ED-CERT-13: exactly one valid rfc822Name in subjectAltName', async (t) => {
  const ik = key('int');
  const others = leafExtensions(ik).filter((e) => e.oid !== OIDS.san);
  const run = (exts: typeof others, subject?: Buffer) => {
    const p = makePki({ leafExtensions: exts, ...(subject ? { leafSpec: { subject } } : {}) });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root)));
  };
  t.equal(run(others), 'missing-user-id', 'no SAN');
  t.equal(run(others, name([OIDS.cn, 'alice'], [OIDS.email, 'alice@example.com'])), 'missing-user-id', 'e-mail only in the DN');
  t.equal(run([...others, ext.san([gn.rfc822('alice@example.com'), gn.rfc822('bob@example.com')])]), 'missing-user-id', 'two');
  t.equal(run([...others, ext.san([gn.rfc822('al ice@example.com')])]), 'missing-user-id', 'bad syntax');
  t.equal(run([...others, ext.san([gn.dns('example.com')])]), 'missing-user-id', 'dNSName only');
});

t.test('E2ED-CERT-14: the rfc822Name must equal the expected user ID', async (t) => {
  const p = makePki();
  const v = (id: string) => reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { expectedUserId: id })));
  t.equal(v('alice@EXAMPLE.com'), 'ok', 'domain case-insensitive');
  t.equal(v('Alice@example.com'), 'identity-mismatch', 'local part byte-exact');
  t.equal(v('bob@example.com'), 'identity-mismatch');
  const r = validateChain([p.leaf, p.intermediate], base(p.root, { expectedUserId: 'bob@example.com' }));
  if (!r.ok) t.equal(r.alert, 'identity_mismatch');
});

t.test('E2ED-CERT-15: an end-entity with cA TRUE is rejected', async (t) => {
  const p = makePki({ leafExtensions: [...leafExtensions(key('int')), ext.bc(true)] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'leaf-is-ca');
  const ks = makePki({ leafExtensions: [...leafExtensions(key('int')).filter((e) => e.oid !== OIDS.ku), ext.ku([0, 5])] });
  t.equal(reasonOf(validateChain([ks.leaf, ks.intermediate], base(ks.root))), 'keycertsign-without-ca');
});

t.test('a CA certificate in the leaf position: refused by both profiles (E2ED-CERT-15, CA/B Forum BR 7.1.2.7.8)', async (t) => {
  const ik = key('int');
  const rfc = (root: Buffer) => base(root, { profile: 'rfc5280', purpose: 'serverAuth' });
  // A consistent CA certificate (cA TRUE, keyCertSign, no EKU) presented as the peer: RFC 5280 says
  // nothing against it, the web PKI and E2ED do.
  const p = makePki();
  t.equal(reasonOf(validateChain([p.intermediate], rfc(p.root))), 'leaf-is-ca', 'an intermediate as the leaf');
  t.equal(reasonOf(validateChain([p.intermediate], base(p.root))), 'leaf-is-ca', 'profile e2ed');
  const withEku = makePki({ intExtensions: [...caExtensions(ik, key('root')), ext.eku(OIDS.serverAuth, OIDS.clientAuth)] });
  t.equal(reasonOf(validateChain([withEku.intermediate], rfc(withEku.root))), 'leaf-is-ca', 'even with the purpose in an EKU');
  const bcOnly = makePki({ leafExtensions: [ext.aki(keyId(ik)), ext.ski(Buffer.from('0102', 'hex')), ext.eku(OIDS.serverAuth), ext.bc(true)] });
  t.equal(reasonOf(validateChain([bcOnly.leaf, bcOnly.intermediate], rfc(bcOnly.root))), 'leaf-is-ca', 'cA TRUE without keyUsage');
  const caFalse = makePki({ leafExtensions: [ext.aki(keyId(ik)), ext.eku(OIDS.serverAuth), ext.bc(false)] });
  t.equal(reasonOf(validateChain([caFalse.leaf, caFalse.intermediate], rfc(caFalse.root))), 'ok', 'basicConstraints with cA FALSE is fine');
  // The same certificate is still a good intermediate below the anchor.
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'ok');
});

t.test('E2ED-CERT-4 on a self-signed certificate: its AKI must be its own SKI (anchor included)', async (t) => {
  const rk = key('root');
  const build = (aki: Buffer | undefined) =>
    makeCert({ subject: cn('Example Root CA'), issuer: cn('Example Root CA'), key: rk, signer: rk, extensions: [...caExtensions(rk, undefined), ...(aki ? [ext.aki(aki)] : [])] });
  const p = makePki();
  for (const profile of ['e2ed', 'rfc5280'] as const) {
    const opts = (root: Buffer) => base(root, { profile });
    t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(build(undefined)))), 'ok', `${profile}: no AKI`);
    t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(build(keyId(rk))))), 'ok', `${profile}: AKI = SKI`);
    const r = validateChain([p.leaf, p.intermediate], opts(build(Buffer.alloc(20, 0x5a))));
    t.equal(reasonOf(r), 'key-identifier-mismatch', `${profile}: AKI differs from its own SKI`);
    if (!r.ok) t.equal(r.alert, 'unknown_ca');
  }
  // Self-issued but signed by another key (key rollover, RFC 5280 6.1): its AKI names the signer.
  const oldKey = key('rollover-old');
  const newKey = key('root');
  const oldRoot = makeCert({ subject: cn('Example Root CA'), issuer: cn('Example Root CA'), key: oldKey, signer: oldKey, extensions: caExtensions(oldKey, undefined) });
  const link = makeCert({ subject: cn('Example Root CA'), issuer: cn('Example Root CA'), key: newKey, signer: oldKey, extensions: caExtensions(newKey, oldKey) });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate, link], base(oldRoot))), 'ok', 'a rollover certificate is not held to it');
});

t.test('E2ED-CERT-16: unknown critical extensions are refused only on the path', async (t) => {
  const odd = { oid: '1.3.6.1.4.1.55738.666.1', critical: true, value: der.null() };
  const leafOdd = makePki({ leafExtensions: [...leafExtensions(key('int')), odd] });
  t.equal(reasonOf(validateChain([leafOdd.leaf, leafOdd.intermediate], base(leafOdd.root))), 'unknown-critical-extension');
  const intOdd = makePki({ intExtensions: [...caExtensions(key('int'), key('root')), odd] });
  t.equal(reasonOf(validateChain([intOdd.leaf, intOdd.intermediate], base(intOdd.root))), 'unknown-critical-extension');
  const nonCritical = makePki({ leafExtensions: [...leafExtensions(key('int')), { ...odd, critical: false }] });
  t.equal(reasonOf(validateChain([nonCritical.leaf, nonCritical.intermediate], base(nonCritical.root))), 'ok');
  // an unused intermediate with the same name but a critical unknown extension does not matter
  const good = makePki();
  t.equal(reasonOf(validateChain([good.leaf], base(good.root, { intermediates: [intOdd.intermediate, good.intermediate] }))), 'ok');
});

t.test('E2ED-CERT-17: an extension OID appearing twice is rejected', async (t) => {
  const p = makePki({ leafExtensions: [...leafExtensions(key('int')), ext.eku(OIDS.clientAuth)] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root))), 'duplicate-extension');
});

t.test('E2ED-CERT-18: issuing certificates need critical cA TRUE and keyCertSign', async (t) => {
  const ik = key('int');
  const rk = key('root');
  const withoutBc = [ext.ku([5, 6]), ext.ski(keyId(ik)), ext.aki(keyId(rk))];
  const run = (exts: typeof withoutBc) => {
    const p = makePki({ intExtensions: exts });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root)));
  };
  t.equal(run(withoutBc), 'issuer-not-ca', 'no basicConstraints');
  t.equal(run([ext.bc(false), ...withoutBc]), 'issuer-not-ca', 'cA FALSE');
  t.equal(run([ext.bc(true, undefined, false), ...withoutBc]), 'issuer-not-ca', 'not critical');
  t.equal(run([ext.bc(true), ext.ku([6]), ext.ski(keyId(ik)), ext.aki(keyId(rk))]), 'issuer-missing-keycertsign', 'no keyCertSign');
  t.equal(run([ext.bc(true), ext.ski(keyId(ik)), ext.aki(keyId(rk))]), 'issuer-missing-keycertsign', 'no keyUsage (profile e2ed)');
});

t.test('E2ED-CERT-19: pathLenConstraint, not counting self-issued certificates', async (t) => {
  const rk = key('root');
  const ak = key('ca-a');
  const bk = key('ca-b');
  const rootName = cn('Root');
  const root = makeCert({ subject: rootName, issuer: rootName, key: rk, signer: rk, extensions: caExtensions(rk, undefined) });
  const a = makeCert({ subject: cn('A'), issuer: rootName, key: ak, signer: rk, extensions: caExtensions(ak, rk, 0) });
  const b = makeCert({ subject: cn('B'), issuer: cn('A'), key: bk, signer: ak, extensions: caExtensions(bk, ak) });
  const leafUnderB = makeCert({ subject: cn('alice'), issuer: cn('B'), key: key('leaf'), signer: bk, extensions: leafExtensions(bk) });
  t.equal(reasonOf(validateChain([leafUnderB, b, a], base(root))), 'path-length-exceeded');
  // A' is a self-issued rollover certificate of A (new key, same name): not counted
  const ak2 = key('ca-a2');
  const a2 = makeCert({ subject: cn('A'), issuer: cn('A'), key: ak2, signer: ak, extensions: caExtensions(ak2, ak) });
  const leafUnderA2 = makeCert({ subject: cn('alice'), issuer: cn('A'), key: key('leaf'), signer: ak2, extensions: leafExtensions(ak2) });
  t.equal(reasonOf(validateChain([leafUnderA2, a2, a], base(root))), 'ok');
});

t.test('E2ED-CERT-20: rfc822Name constraints, permitted and excluded, SAN and subject emailAddress', async (t) => {
  const ik = key('int');
  const rk = key('root');
  const run = (nc: ReturnType<typeof ext.nc>, leafUser = 'alice@example.com', subject?: Buffer) => {
    const p = makePki({ intExtensions: [...caExtensions(ik, rk), nc], leafExtensions: leafExtensions(ik, leafUser), ...(subject ? { leafSpec: { subject } } : {}) });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root)));
  };
  t.equal(run(ext.nc([gn.rfc822('example.com')], undefined)), 'ok', 'permitted host');
  t.equal(run(ext.nc([gn.rfc822('example.org')], undefined)), 'name-constraints-violated', 'outside permitted host');
  t.equal(run(ext.nc([gn.rfc822('.example.com')], undefined), 'alice@mail.example.com'), 'ok', 'permitted domain');
  t.equal(run(ext.nc([gn.rfc822('.example.com')], undefined)), 'name-constraints-violated', '.domain does not cover the host itself');
  t.equal(run(ext.nc(undefined, [gn.rfc822('alice@example.com')])), 'name-constraints-violated', 'excluded mailbox');
  t.equal(run(ext.nc(undefined, [gn.rfc822('Alice@example.com')])), 'ok', 'mailbox local part is case-sensitive');
  t.equal(run(ext.nc(undefined, [gn.rfc822('EXAMPLE.COM')])), 'name-constraints-violated', 'host compared case-insensitively');
  t.equal(
    run(ext.nc([gn.rfc822('example.com')], undefined), 'alice@example.com', name([OIDS.cn, 'alice'], [OIDS.email, 'alice@evil.test'])),
    'name-constraints-violated',
    'emailAddress in the subject DN is constrained too',
  );
  t.equal(run(ext.nc([gn.dns('example.com')], undefined)), 'ok', 'constraints on other name forms do not bind rfc822Names');
  t.equal(run(ext.nc([gn.rfc822('*.example.com')], undefined)), 'name-constraints-invalid', 'malformed constraint');
});

t.test('name constraints: dNSName, iPAddress, directoryName (profile rfc5280)', async (t) => {
  const ik = key('int');
  const rk = key('root');
  const run = (nc: ReturnType<typeof ext.nc>, sanNames: Buffer[]) => {
    const leafExts = [ext.ku([0]), ext.eku(OIDS.serverAuth), ext.san(sanNames), ext.aki(keyId(ik))];
    const p = makePki({ intExtensions: [...caExtensions(ik, rk), nc], leafExtensions: leafExts });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { profile: 'rfc5280', purpose: 'serverAuth' })));
  };
  t.equal(run(ext.nc([gn.dns('example.com')], undefined), [gn.dns('a.example.com')]), 'ok');
  t.equal(run(ext.nc([gn.dns('example.com')], undefined), [gn.dns('badexample.com')]), 'name-constraints-violated', 'label boundary');
  t.equal(run(ext.nc(undefined, [gn.dns('a.example.com')]), [gn.dns('*.example.com')]), 'name-constraints-violated', 'wildcard may hit excluded');
  t.equal(run(ext.nc([gn.ip([10, 0, 0, 0, 255, 0, 0, 0])], undefined), [gn.ip([10, 1, 2, 3])]), 'ok');
  t.equal(run(ext.nc([gn.ip([10, 0, 0, 0, 255, 0, 0, 0])], undefined), [gn.ip([11, 1, 2, 3])]), 'name-constraints-violated');
  t.equal(run(ext.nc([gn.ip([10, 0, 0, 0, 255, 0, 255, 0])], undefined), [gn.ip([10, 1, 2, 3])]), 'name-constraints-invalid', 'non-CIDR mask');
  t.equal(run(ext.nc(undefined, [gn.dir(cn('alice'))]), [gn.dns('a.example.com')]), 'name-constraints-violated', 'subject DN excluded');
});

t.test('E2ED-CERT-21: paths longer than maxDepth are rejected', async (t) => {
  const p = makePki();
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { maxDepth: 2 }))), 'path-too-long');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { maxDepth: 3 }))), 'ok');
});

t.test('E2ED-CERT-22: serial numbers must be positive and at most 20 octets', async (t) => {
  const v = (serial: Buffer) => {
    const p = makePki({ leafSpec: { serial } });
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root)));
  };
  t.equal(v(Buffer.from([0])), 'bad-serial-number', 'zero');
  t.equal(v(Buffer.from([0xff])), 'bad-serial-number', 'negative');
  t.equal(v(Buffer.concat([Buffer.from([0x01]), Buffer.alloc(20, 1)])), 'bad-serial-number', '21 octets');
  t.equal(v(Buffer.concat([Buffer.from([0x01]), Buffer.alloc(19, 1)])), 'ok', '20 octets');
});

t.test('E2ED-CERT-23: strict DER and canonical times', async (t) => {
  const v = (spec: Parameters<typeof makePki>[0]) => {
    const p = makePki(spec);
    return reasonOf(validateChain([p.leaf, p.intermediate], base(p.root)));
  };
  t.equal(v({ leafSpec: { notAfter: der.genTime('20401231235959Z') } }), 'bad-time-encoding', 'GeneralizedTime before 2050');
  t.equal(v({ leafSpec: { notAfter: der.utcTime('4012312359Z') } }), 'bad-time-encoding', 'UTCTime without seconds');
  t.equal(v({ leafSpec: { notAfter: der.utcTime('401231235959+0100') } }), 'bad-time-encoding', 'UTCTime with offset');
  t.equal(v({ leafSpec: { notAfter: der.genTime('20500101000000Z') } }), 'ok', 'GeneralizedTime from 2050');
  t.equal(v({ leafSpec: { trailing: Buffer.from([0]) } }), 'non-der-encoding', 'bytes after the certificate');
  const p = makePki();
  t.equal(reasonOf(validateChain([p.leaf.subarray(0, p.leaf.length - 3), p.intermediate], base(p.root))), 'unparseable-certificate', 'truncated');
});

t.test('E2ED-CERT-24: a leaf revoked by the registry status is rejected', async (t) => {
  const p = makePki();
  const r = validateChain([p.leaf, p.intermediate], base(p.root, { isRevoked: () => true }));
  t.equal(reasonOf(r), 'revoked');
  if (!r.ok) t.equal(r.alert, 'certificate_revoked');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], base(p.root, { isRevoked: () => false }))), 'ok');
});

t.test('E2ED-CERT-25 and pathological inputs end quickly with a typed reason', async (t) => {
  const p = makePki();
  const r9 = validateChain(Array.from({ length: 9 }, () => p.intermediate), base(p.root));
  t.equal(reasonOf(r9), 'chain-too-long');
  if (!r9.ok) t.equal(r9.alert, 'decode_error');
  t.equal(reasonOf(validateChain(Array.from({ length: 100 }, () => p.intermediate), base(p.root))), 'chain-too-long', '100 presented');
  t.equal(reasonOf(validateChain([Buffer.alloc(1024 * 1024, 0x30)], base(p.root))), 'certificate-too-large', '1 MiB');
  t.equal(reasonOf(validateChain([Buffer.alloc(16 * 1024 + 1)], base(p.root))), 'certificate-too-large', '16 KiB + 1');
  t.equal(reasonOf(validateChain([Buffer.from('garbage, not DER at all')], base(p.root))), 'unparseable-certificate', 'garbage');
  t.equal(reasonOf(validateChain([], base(p.root))), 'empty-chain');
  t.equal(reasonOf(validateChain([p.leaf, Buffer.from([0x30, 0x80, 0, 0])], base(p.root))), 'non-der-encoding', 'garbage intermediate');
  // never throws, whatever it is given
  t.equal(reasonOf(validateChain([42 as unknown as Buffer], base(p.root))), 'unparseable-certificate');
  t.equal(reasonOf(validateChain(null as unknown as Buffer[], base(p.root))), 'empty-chain');
});

t.test('pathological: 100 intermediates with one shared key end at the depth bound', async (t) => {
  const k = key('shared');
  const rootKey = key('far-root');
  const root = makeCert({ subject: cn('Far Root'), issuer: cn('Far Root'), key: rootKey, signer: rootKey, extensions: caExtensions(rootKey, undefined) });
  const ints: Buffer[] = [];
  for (let i = 0; i < 100; i++) {
    const issuer = cn(`ICA ${i === 0 ? 0 : i - 1}`);
    ints.push(makeCert({ subject: cn(`ICA ${i}`), issuer, key: k, signer: k, extensions: [ext.bc(true), ext.ku([5]), ext.ski(keyId(k))] }));
  }
  const leaf = makeCert({ subject: cn('alice'), issuer: cn('ICA 99'), key: key('leaf'), signer: k, extensions: leafExtensions(k) });
  const r = validateChain([leaf], base(root, { intermediates: ints }));
  t.equal(r.ok, false);
  t.ok(!r.ok && ['path-too-long', 'unknown-issuer', 'path-building-limit'].includes(r.reason), `typed reason ${reasonOf(r)}`);
});

t.test('pathological: intermediates that certify each other (a loop) find no path', async (t) => {
  const ka = key('loop-a');
  const kb = key('loop-b');
  const a = makeCert({ subject: cn('Loop A'), issuer: cn('Loop B'), key: ka, signer: kb, extensions: [ext.bc(true), ext.ku([5])] });
  const b = makeCert({ subject: cn('Loop B'), issuer: cn('Loop A'), key: kb, signer: ka, extensions: [ext.bc(true), ext.ku([5])] });
  const leaf = makeCert({ subject: cn('alice'), issuer: cn('Loop A'), key: key('leaf'), signer: ka, extensions: leafExtensions(ka) });
  const p = makePki();
  const r = validateChain([leaf, a, b], base(p.root));
  t.equal(reasonOf(r), 'unknown-issuer');
});

t.test('profile rfc5280: generic rules only, plus AKI/SKI presence', async (t) => {
  const ik = key('int');
  const opts = (root: Buffer) => base(root, { profile: 'rfc5280', purpose: 'serverAuth' });
  const bare = makePki({ leafExtensions: [ext.aki(keyId(ik)), ext.eku(OIDS.serverAuth)] });
  t.equal(reasonOf(validateChain([bare.leaf, bare.intermediate], opts(bare.root))), 'ok', 'no KU or SAN needed');
  const noEku = makePki({ leafExtensions: [ext.aki(keyId(ik))] });
  t.equal(reasonOf(validateChain([noEku.leaf, noEku.intermediate], opts(noEku.root))), 'wrong-extended-key-usage', 'EKU needed (CA/B Forum BR 7.1.2.7.10)');
  const noAki = makePki({ leafExtensions: [ext.ku([0])] });
  t.equal(reasonOf(validateChain([noAki.leaf, noAki.intermediate], opts(noAki.root))), 'bad-key-identifier', 'AKI missing');
  t.equal(reasonOf(validateChain([noAki.leaf, noAki.intermediate], base(noAki.root, { purpose: 'serverAuth', profile: 'e2ed' }))), 'wrong-extended-key-usage', 'e2ed does not demand AKI (E2ED-CERT-26 SHOULD)');
  const p384 = makePki({ leafKey: key('l384', 'p384'), leafExtensions: [ext.aki(keyId(ik)), ext.eku(OIDS.serverAuth)] });
  t.equal(reasonOf(validateChain([p384.leaf, p384.intermediate], opts(p384.root))), 'ok', 'P-384 allowed by rfc5280 profile');
  const anyEku = makePki({ leafExtensions: [ext.aki(keyId(ik)), ext.eku(OIDS.serverAuth, OIDS.anyEku)] });
  t.equal(reasonOf(validateChain([anyEku.leaf, anyEku.intermediate], opts(anyEku.root))), 'wrong-extended-key-usage');
});
