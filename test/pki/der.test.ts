// The strict DER reader (src/pki/der.ts) and certificate extraction (src/pki/cert-parse.ts):
// E2ED-CERT-23 "strict DER ... no bytes after the certificate; no truncation".
import t from 'tap';
import {
  DerError,
  DerReader,
  TAG,
  readBitString,
  readBoolean,
  readIntegerBytes,
  readOid,
  readValidityTime,
  readWhole,
} from '../../src/pki/der.js';
import { parseCertificate } from '../../src/pki/cert-parse.js';
import { OIDS, cn, der, ext, gn, key, keyId, leafExtensions, makeCert, makePki } from './validator-certs.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function kindOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    return err instanceof DerError ? err.kind : `other: ${String(err)}`;
  }
}

t.test('lengths: short, long, minimal only, definite only', async (t) => {
  t.equal(kindOf(() => readWhole(hex('0400'))), 'ok');
  t.equal(kindOf(() => readWhole(Buffer.concat([hex('0481 80'), Buffer.alloc(128)]))), 'ok', 'long form for >= 128');
  t.equal(kindOf(() => readWhole(hex('0481 05 0102030405'))), 'not-der', 'long form where short suffices');
  t.equal(kindOf(() => readWhole(Buffer.concat([hex('048200 80'), Buffer.alloc(128)]))), 'not-der', 'leading zero length octet');
  t.equal(kindOf(() => readWhole(hex('3080 0000'))), 'not-der', 'indefinite length');
  t.equal(kindOf(() => readWhole(hex('0405 0102'))), 'unparseable', 'truncated value');
  t.equal(kindOf(() => readWhole(hex('04'))), 'unparseable', 'truncated header');
  t.equal(kindOf(() => readWhole(hex('0485 0000000001 00'))), 'unparseable', 'length of length > 4');
  t.equal(kindOf(() => readWhole(hex('0400 00'))), 'not-der', 'trailing byte');
  t.equal(kindOf(() => readWhole(hex('1f2100'))), 'unparseable', 'high tag number form');
});

t.test('nesting depth is bounded', async (t) => {
  let v: Buffer = hex('0500');
  for (let i = 0; i < 40; i++) v = der.seq(v);
  const walk = (tlv: ReturnType<typeof readWhole>): void => {
    const r = DerReader.of(tlv);
    const next = r.next();
    if (next.tag === TAG.SEQUENCE) walk(next);
  };
  t.equal(kindOf(() => walk(readWhole(v))), 'unparseable');
});

t.test('primitive values: BOOLEAN, INTEGER, OID, BIT STRING', async (t) => {
  t.equal(readBoolean(readWhole(hex('0101ff'))), true);
  t.equal(readBoolean(readWhole(hex('010100'))), false);
  t.equal(kindOf(() => readBoolean(readWhole(hex('010101')))), 'not-der', 'TRUE must be FF');
  t.same(readIntegerBytes(readWhole(hex('02020080'))), hex('0080'));
  t.equal(kindOf(() => readIntegerBytes(readWhole(hex('0202007f')))), 'not-der', 'non-minimal positive');
  t.equal(kindOf(() => readIntegerBytes(readWhole(hex('0202ff80')))), 'not-der', 'non-minimal negative');
  t.equal(kindOf(() => readIntegerBytes(readWhole(hex('0200')))), 'unparseable', 'empty INTEGER');
  t.equal(readOid(readWhole(der.oid('1.2.840.113549.1.9.1'))), '1.2.840.113549.1.9.1');
  t.equal(readOid(readWhole(der.oid('2.999.3'))), '2.999.3');
  t.equal(kindOf(() => readOid(readWhole(hex('0603 2a8001')))), 'not-der', 'subidentifier with leading 0x80');
  t.equal(kindOf(() => readOid(readWhole(hex('0602 2a86')))), 'unparseable', 'truncated subidentifier');
  t.equal(readBitString(readWhole(hex('030207 80'))).unusedBits, 7);
  t.equal(kindOf(() => readBitString(readWhole(hex('030207 81')))), 'not-der', 'non-zero unused bits');
  t.equal(kindOf(() => readBitString(readWhole(hex('030208 00')))), 'unparseable', 'unused bits > 7');
});

t.test('validity times: RFC 5280 4.1.2.5 forms only', async (t) => {
  const time = (b: Buffer) => readValidityTime(readWhole(b));
  t.equal(time(der.utcTime('491231235959Z')).toISOString(), '2049-12-31T23:59:59.000Z');
  t.equal(time(der.utcTime('500101000000Z')).toISOString(), '1950-01-01T00:00:00.000Z');
  t.equal(time(der.genTime('20500101000000Z')).toISOString(), '2050-01-01T00:00:00.000Z');
  for (const bad of [
    der.utcTime('4912312359Z'),
    der.utcTime('491231235959'),
    der.utcTime('491231235959+0000'),
    der.utcTime('491331235959Z'),
    der.utcTime('490230235959Z'),
    der.genTime('20491231235959Z'),
    der.genTime('20500101000000.5Z'),
  ]) {
    t.equal(kindOf(() => time(bad)), 'bad-time', bad.subarray(2).toString('latin1'));
  }
});

t.test('certificate extraction: fields X509Certificate does not expose', async (t) => {
  const p = makePki();
  const c = parseCertificate(p.leaf);
  t.equal(c.version, 3);
  t.equal(c.tbsSignature.oid, OIDS.ecdsaSha256);
  t.ok(c.tbsSignature.raw.equals(c.signatureAlgorithm.raw));
  t.same(c.extKeyUsage, [OIDS.clientAuth]);
  t.equal(c.keyUsage, 1, 'digitalSignature only');
  t.same(c.subjectAltName?.names, [{ kind: 'rfc822', value: 'alice@example.com' }]);
  t.ok(c.authorityKeyId?.keyId?.equals(keyId(p.intKey)));
  t.equal(c.publicKey.type, 'ec');
  t.equal(c.selfIssued, false);
  const ca = parseCertificate(p.intermediate);
  t.same(ca.basicConstraints, { ca: true, pathLen: undefined, critical: true });
  t.ok(ca.subjectKeyId?.id.equals(keyId(p.intKey)));
  t.equal(parseCertificate(p.root).selfIssued, true);
});

t.test('certificate extraction: DER DEFAULT values must be absent', async (t) => {
  const k = key('leaf');
  const ik = key('int');
  // explicit version v1 ([0] INTEGER 0) is BER, not DER
  const v1 = makeCert({ subject: cn('a'), issuer: cn('b'), key: k, signer: ik, version: 1 });
  t.equal(kindOf(() => parseCertificate(v1)), 'ok', 'implicit v1 parses');
  const explicitV1 = makeCert({ subject: cn('a'), issuer: cn('b'), key: k, signer: ik, rawVersion: der.ctx(0, true, der.int(0)) });
  t.equal(kindOf(() => parseCertificate(explicitV1)), 'not-der', 'explicit v1');
  const v4 = makeCert({ subject: cn('a'), issuer: cn('b'), key: k, signer: ik, rawVersion: der.ctx(0, true, der.int(3)) });
  t.equal(kindOf(() => parseCertificate(v4)), 'unparseable', 'unknown version');
  // basicConstraints with cA FALSE encoded explicitly
  const bcFalse = makeCert({
    subject: cn('a'),
    issuer: cn('b'),
    key: k,
    signer: ik,
    extensions: [{ oid: OIDS.bc, critical: true, value: der.seq(der.bool(false)) }],
  });
  const c = parseCertificate(bcFalse);
  t.equal(c.malformedExtension?.kind, 'not-der', 'cA FALSE explicit');
  // extension critical FALSE encoded explicitly
  const critFalse = makeCert({ subject: cn('a'), issuer: cn('b'), key: k, signer: ik, extensions: [{ ...ext.eku(OIDS.clientAuth), explicitFalse: true }] });
  t.equal(kindOf(() => parseCertificate(critFalse)), 'not-der', 'critical FALSE explicit');
});

t.test('certificate extraction: malformed extension values are recorded, not fatal', async (t) => {
  const ik = key('int');
  const badSan = makeCert({
    subject: cn('a'),
    issuer: cn('b'),
    key: key('leaf'),
    signer: ik,
    extensions: [{ oid: OIDS.san, value: Buffer.from('example.com', 'latin1') }],
  });
  const c = parseCertificate(badSan);
  t.equal(c.malformedExtension?.oid, OIDS.san);
  t.equal(c.subjectAltName, undefined);
  const emptyNc = makeCert({
    subject: cn('a'),
    issuer: cn('b'),
    key: key('leaf'),
    signer: ik,
    extensions: [ext.bc(true), { oid: OIDS.nc, critical: true, value: der.seq() }],
  });
  t.equal(parseCertificate(emptyNc).malformedExtension?.oid, OIDS.nc, 'NameConstraints with neither subtree');
  const dupes = makeCert({ subject: cn('a'), issuer: cn('b'), key: key('leaf'), signer: ik, extensions: [...leafExtensions(ik), ext.san([gn.dns('x.test')])] });
  t.same(parseCertificate(dupes).duplicateExtensions, [OIDS.san]);
});

t.test('certificate extraction: structure errors and trailing data', async (t) => {
  const p = makePki();
  t.equal(kindOf(() => parseCertificate(Buffer.concat([p.leaf, Buffer.from([0])]))), 'not-der');
  t.equal(kindOf(() => parseCertificate(p.leaf.subarray(0, 50))), 'unparseable');
  t.equal(kindOf(() => parseCertificate(der.seq(der.int(1)))), 'unparseable');
  t.equal(kindOf(() => parseCertificate(Buffer.alloc(0))), 'unparseable');
  // the cache returns the same verdict for the same bytes
  t.equal(kindOf(() => parseCertificate(p.leaf.subarray(0, 50))), 'unparseable');
  t.equal(parseCertificate(Buffer.from(p.leaf)), parseCertificate(p.leaf), 'cached by fingerprint');
});
