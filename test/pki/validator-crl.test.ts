// CRL checking in the validator (RFC 5280 6.3), as used for x509-limbo's has-crl cases: revoked serials,
// CRLs of another issuer, the issuer's cRLSign bit, and critical CRL extensions.
import t from 'tap';
import { sign } from 'node:crypto';
import { parseCertificate } from '../../src/pki/cert-parse.js';
import { validateChain, type ValidationResult } from '../../src/pki/validator.js';
import { TIME, caExtensions, cn, der, ext, key, keyId, leafExtensions, makeCert, makePki, type Key } from './validator-certs.js';

const CRL_NUMBER = '2.5.29.20';

interface CrlOptions {
  issuer: Buffer;
  signer: Key;
  revoked: Buffer[];
  crlNumberCritical?: boolean;
  /** The CRLNumber extensions' INTEGER values (default one, 1); [] leaves the extension out. */
  crlNumbers?: Buffer[];
  /** A v1 CRL: no version field and no extensions at all (RFC 5280 5.1.2.1). */
  v1?: boolean;
}

function makeCrl(opts: CrlOptions): Buffer {
  const alg = der.seq(der.oid('1.2.840.10045.4.3.2'));
  const entries = opts.revoked.map((serial) => der.seq(der.int(serial), der.utcTime('250101000000Z')));
  const numbers = (opts.crlNumbers ?? [der.int(1)]).map((v) => der.seq(der.oid(CRL_NUMBER), ...(opts.crlNumberCritical ? [der.bool(true)] : []), der.octets(v)));
  const tbs = der.seq(
    ...(opts.v1 ? [] : [der.int(1)]),
    alg,
    opts.issuer,
    der.utcTime('250101000000Z'),
    der.utcTime('401231000000Z'),
    ...(entries.length > 0 ? [der.seq(...entries)] : []),
    ...(opts.v1 || numbers.length === 0 ? [] : [der.ctx(0, true, der.seq(...numbers))]),
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

t.test('RFC 5280 5.2.3: a CRL of the issuer without a usable CRLNumber cannot establish status', async (t) => {
  const p = makePki();
  const opts = (crl: Buffer) => ({ trustAnchors: [p.root], time: TIME, purpose: 'clientAuth' as const, crls: [crl] });
  const issuer = cn('Example Issuing CA');
  const other = [Buffer.from([0x7f, 0x01])];
  // "CRL issuers conforming to this profile MUST include this extension in all CRLs"
  const missing = validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [] })));
  t.equal(reasonOf(missing), 'bad-revocation-data', 'no CRLNumber, leaf not listed: still no status');
  if (!missing.ok) t.equal(missing.alert, 'certificate_revoked');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: [], v1: true })))), 'bad-revocation-data', 'a v1 CRL has no CRLNumber');
  t.equal(
    reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [der.int(1), der.int(2)] })))),
    'bad-revocation-data',
    'two CRLNumbers',
  );
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [der.int(Buffer.from([0xff]))] })))), 'bad-revocation-data', 'negative');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [der.int(Buffer.alloc(21, 0x11))] })))), 'bad-revocation-data', '21 octets');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [der.int(Buffer.from([0, ...Buffer.alloc(20, 0xff)]))] })))), 'ok', '20 octets of value (plus the sign octet) are fine');
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(makeCrl({ issuer, signer: p.intKey, revoked: other, crlNumbers: [der.int(0)] })))), 'ok', 'zero is a CRL number');
  // A CRL of another issuer says nothing about this path, with or without CRLNumber.
  const stranger = makeCrl({ issuer: cn('Somebody Else CA'), signer: key('someone-else'), revoked: [], crlNumbers: [] });
  t.equal(reasonOf(validateChain([p.leaf, p.intermediate], opts(stranger))), 'ok', 'an unrelated CRL is ignored');
});
