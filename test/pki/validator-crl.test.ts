// CRL checking in the validator (RFC 5280 6.3), as used for x509-limbo's has-crl cases: revoked serials,
// CRLs of another issuer, the issuer's cRLSign bit, and critical CRL extensions.
import t from 'tap';
import { sign } from 'node:crypto';
import { parseCertificate } from '../../src/pki/cert-parse.js';
import { validateChain, type ValidationResult } from '../../src/pki/validator.js';
import { TIME, caExtensions, cn, der, ext, key, keyId, leafExtensions, makeCert, makePki, type Key } from './validator-certs.js';

const CRL_NUMBER = '2.5.29.20';

function makeCrl(opts: { issuer: Buffer; signer: Key; revoked: Buffer[]; crlNumberCritical?: boolean }): Buffer {
  const alg = der.seq(der.oid('1.2.840.10045.4.3.2'));
  const entries = opts.revoked.map((serial) => der.seq(der.int(serial), der.utcTime('250101000000Z')));
  const crlNumber = der.seq(der.oid(CRL_NUMBER), ...(opts.crlNumberCritical ? [der.bool(true)] : []), der.octets(der.int(1)));
  const tbs = der.seq(
    der.int(1),
    alg,
    opts.issuer,
    der.utcTime('250101000000Z'),
    der.utcTime('401231000000Z'),
    ...(entries.length > 0 ? [der.seq(...entries)] : []),
    der.ctx(0, true, der.seq(crlNumber)),
  );
  return der.seq(tbs, alg, der.bits(sign('sha256', tbs, opts.signer.privateKey)));
}

const reasonOf = (r: ValidationResult) => (r.ok ? 'ok' : r.reason);

t.test('a leaf whose serial is on its issuer CRL is revoked', async (t) => {
  const p = makePki();
  const serial = parseCertificate(p.leaf).serial;
  const crl = makeCrl({ issuer: cn('Example Issuing CA'), signer: p.intKey, revoked: [serial] });
  const r = validateChain([p.leaf, p.intermediate], { trustAnchors: [p.root], time: TIME, purpose: 'clientAuth', crls: [crl] });
  t.equal(reasonOf(r), 'revoked');
  if (!r.ok) t.equal(r.alert, 'certificate_revoked');
  const clean = makeCrl({ issuer: cn('Example Issuing CA'), signer: p.intKey, revoked: [Buffer.from([0x7f, 0x01])] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], { trustAnchors: [p.root], time: TIME, purpose: 'clientAuth', crls: [clean] })), 'ok');
});

t.test('a CRL signed by another key does not speak for the issuer', async (t) => {
  const p = makePki();
  const serial = parseCertificate(p.leaf).serial;
  const forged = makeCrl({ issuer: cn('Example Issuing CA'), signer: key('someone-else'), revoked: [serial] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], { trustAnchors: [p.root], time: TIME, purpose: 'clientAuth', crls: [forged] })), 'ok');
});

t.test('an intermediate revoked by the root CRL fails the path', async (t) => {
  const p = makePki();
  const crl = makeCrl({ issuer: cn('Example Root CA'), signer: p.rootKey, revoked: [parseCertificate(p.intermediate).serial] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], { trustAnchors: [p.root], time: TIME, purpose: 'clientAuth', crls: [crl] })), 'revoked');
});

t.test('unusable CRLs: issuer without cRLSign, critical CRLNumber', async (t) => {
  const ik = key('int');
  const rk = key('root');
  const noCrlSign = makePki({ intExtensions: [ext.bc(true), ext.ku([5]), ext.ski(keyId(ik)), ext.aki(keyId(rk))] });
  const crl = makeCrl({ issuer: cn('Example Issuing CA'), signer: ik, revoked: [] });
  const opts = (root: Buffer, crls: Buffer[]) => ({ trustAnchors: [root], time: TIME, purpose: 'clientAuth' as const, crls });
  t.equal(reasonOf(validateChain([noCrlSign.leaf, noCrlSign.intermediate], opts(noCrlSign.root, [crl]))), 'bad-revocation-data');
  const p = makePki();
  const critical = makeCrl({ issuer: cn('Example Issuing CA'), signer: ik, revoked: [], crlNumberCritical: true });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(p.root, [critical]))), 'bad-revocation-data');
  // a CA without any keyUsage may sign CRLs (RFC 5280 6.3.3 (f) only checks a present extension)
  const rootName = cn('Bare Root');
  const bareRoot = makeCert({ subject: rootName, issuer: rootName, key: rk, signer: rk, extensions: caExtensions(rk, undefined).filter((e) => e.oid !== '2.5.29.15') });
  const leaf = makeCert({ subject: cn('alice'), issuer: rootName, key: key('leaf'), signer: rk, extensions: leafExtensions(rk) });
  const rootCrl = makeCrl({ issuer: rootName, signer: rk, revoked: [] });
  t.equal(
    reasonOf(validateChain([leaf], { ...opts(bareRoot, [rootCrl]), profile: 'rfc5280', purpose: 'clientAuth' })),
    'ok',
  );
});
