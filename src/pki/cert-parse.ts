// Extraction of what node:crypto's X509Certificate does not expose (RFC 5280 section 4.1 and the
// extensions of 4.2): version, serial bytes, both signature AlgorithmIdentifiers, the validity
// encodings, every extension with its OID and critical flag, and the parsed contents of the
// extensions the validator acts on. One pass over the DER with the strict reader (src/pki/der.ts);
// the result is cached per certificate fingerprint, so a chain is parsed once however often it is
// validated.
import { createHash } from 'node:crypto';
import {
  DerError,
  DerReader,
  TAG,
  ctx,
  isConstructed,
  readBitString,
  readBoolean,
  readDirectoryString,
  readIa5,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallUint,
  readValidityTime,
  readWhole,
  tlvRaw,
  tlvValue,
  type Tlv,
} from './der.js';

export { OID } from './oids.js';
import { OID } from './oids.js';

export const KU = {
  digitalSignature: 0,
  contentCommitment: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsageName = keyof typeof KU;

export type GeneralName =
  | { kind: 'otherName'; typeId: string; raw: Buffer }
  | { kind: 'rfc822'; value: string }
  | { kind: 'dns'; value: string }
  | { kind: 'x400'; raw: Buffer }
  | { kind: 'directory'; name: ParsedName }
  | { kind: 'edi'; raw: Buffer }
  | { kind: 'uri'; value: string }
  | { kind: 'ip'; bytes: Buffer }
  | { kind: 'rid'; oid: string };

export interface Attribute {
  readonly type: string;
  /** The value normalised per RFC 5280 7.1 (string types: trimmed, spaces collapsed, case folded). */
  readonly norm: string;
  /** The decoded string, for string-typed values. */
  readonly text: string | undefined;
}

export interface ParsedName {
  readonly raw: Buffer;
  /** One entry per RDN; each RDN is its AVAs in a canonical (sorted) order. */
  readonly rdns: readonly (readonly Attribute[])[];
  /** Comparison key: equal keys mean equal Names under the RFC 5280 7.1 comparison rules. */
  readonly key: string;
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

export interface GeneralSubtree {
  readonly base: GeneralName;
  /** RFC 5280 4.2.1.10: "minimum MUST be zero, and maximum MUST be absent"; false when violated. */
  readonly wellFormed: boolean;
}

export interface NameConstraints {
  readonly permitted: readonly GeneralSubtree[] | undefined;
  readonly excluded: readonly GeneralSubtree[] | undefined;
}

export interface AuthorityKeyId {
  readonly keyId: Buffer | undefined;
  readonly hasIssuer: boolean;
  readonly hasSerial: boolean;
}

export type PublicKeyInfo =
  | { type: 'rsa'; bits: number; exponent: bigint; paramsOk: boolean }
  | { type: 'ec'; curve: string | undefined; explicit: boolean }
  | { type: 'ed25519'; paramsOk: boolean }
  | { type: 'dsa' }
  | { type: 'other'; oid: string }
  | { type: 'malformed'; oid: string };

export interface AlgorithmIdentifier {
  readonly raw: Buffer;
  readonly oid: string;
  /** The raw parameters TLV, undefined when absent. */
  readonly params: Buffer | undefined;
}

export interface ParsedCertificate {
  readonly der: Buffer;
  readonly fingerprint: string;
  readonly version: number; // 1, 2 or 3
  readonly serial: Buffer; // INTEGER content octets (two's complement)
  readonly tbsSignature: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly issuer: ParsedName;
  readonly subject: ParsedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiAlgorithm: AlgorithmIdentifier;
  /** The whole SubjectPublicKeyInfo, DER: with the subject, what identifies one logical CA (RFC 4158 5.2). */
  readonly spkiDer: Buffer;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: readonly Extension[];
  /** OIDs that occur more than once (RFC 5280 4.2: "MUST NOT include more than one instance"). */
  readonly duplicateExtensions: readonly string[];
  readonly basicConstraints: { ca: boolean; pathLen: number | undefined; critical: boolean } | undefined;
  /** Bit mask, bit i = KeyUsage bit i (KU.*); undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltName: { names: readonly GeneralName[]; critical: boolean } | undefined;
  readonly nameConstraints: (NameConstraints & { critical: boolean }) | undefined;
  readonly authorityKeyId: (AuthorityKeyId & { critical: boolean }) | undefined;
  readonly subjectKeyId: { id: Buffer; critical: boolean } | undefined;
  /** emailAddress attributes of the subject DN (PKCS #9), which RFC 5280 4.2.1.10 constrains as rfc822. */
  readonly subjectEmails: readonly string[];
  readonly selfIssued: boolean;
  /** The first recognised extension whose value does not parse (its parsed field is then undefined). */
  readonly malformedExtension: { oid: string; kind: DerError['kind']; message: string } | undefined;
}

export function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export function readAlgorithmIdentifier(t: Tlv): AlgorithmIdentifier {
  const r = DerReader.of(t);
  const oid = readOid(r.expect(TAG.OID, 'AlgorithmIdentifier.algorithm'));
  const params = r.done ? undefined : tlvRaw(r.next());
  r.finish('AlgorithmIdentifier');
  return { raw: tlvRaw(t), oid, params };
}

function normaliseText(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function readName(t: Tlv): ParsedName {
  if (t.tag !== TAG.SEQUENCE) throw new DerError('unparseable', 'Name expected');
  const rdns: Attribute[][] = [];
  const r = DerReader.of(t);
  while (!r.done) {
    const set = r.expect(TAG.SET, 'RelativeDistinguishedName');
    const sr = DerReader.of(set);
    const avas: Attribute[] = [];
    while (!sr.done) {
      const ava = DerReader.of(sr.expect(TAG.SEQUENCE, 'AttributeTypeAndValue'));
      const type = readOid(ava.expect(TAG.OID, 'AttributeType'));
      const value = ava.next();
      ava.finish('AttributeTypeAndValue');
      const text = readDirectoryString(value);
      const norm = text === undefined ? `#${tlvRaw(value).toString('hex')}` : normaliseText(text);
      avas.push({ type, norm, text });
    }
    if (avas.length === 0) throw new DerError('unparseable', 'empty RelativeDistinguishedName');
    avas.sort((a, b) => (a.type + '=' + a.norm < b.type + '=' + b.norm ? -1 : 1));
    rdns.push(avas);
  }
  const key = JSON.stringify(rdns.map((rdn) => rdn.map((a) => [a.type, a.norm])));
  return { raw: tlvRaw(t), rdns, key };
}

export function readGeneralName(t: Tlv): GeneralName {
  const n = t.tag & 0x1f;
  const cls = t.tag & 0xc0;
  if (cls !== 0x80) throw new DerError('unparseable', 'GeneralName must be context-tagged');
  switch (n) {
    case 0: {
      if (!isConstructed(t)) throw new DerError('unparseable', 'otherName must be constructed');
      const r = DerReader.of(t);
      const typeId = readOid(r.expect(TAG.OID, 'otherName.type-id'));
      r.expect(ctx(0, true), 'otherName.value');
      r.finish('otherName');
      return { kind: 'otherName', typeId, raw: tlvRaw(t) };
    }
    case 1:
      return { kind: 'rfc822', value: readIa5(t, ctx(1, false)) };
    case 2:
      return { kind: 'dns', value: readIa5(t, ctx(2, false)) };
    case 3:
      if (!isConstructed(t)) throw new DerError('unparseable', 'x400Address must be constructed');
      return { kind: 'x400', raw: tlvRaw(t) };
    case 4: {
      if (t.tag !== ctx(4, true)) throw new DerError('unparseable', 'directoryName must be constructed');
      const r = DerReader.of(t);
      const name = readName(r.next());
      r.finish('directoryName');
      return { kind: 'directory', name };
    }
    case 5:
      if (!isConstructed(t)) throw new DerError('unparseable', 'ediPartyName must be constructed');
      return { kind: 'edi', raw: tlvRaw(t) };
    case 6:
      return { kind: 'uri', value: readIa5(t, ctx(6, false)) };
    case 7:
      return { kind: 'ip', bytes: readOctetString(t, ctx(7, false)) };
    case 8:
      return { kind: 'rid', oid: readOid(t, ctx(8, false)) };
    default:
      throw new DerError('unparseable', `unknown GeneralName tag [${n}]`);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
export function readGeneralNames(t: Tlv, what: string): GeneralName[] {
  if (t.tag !== TAG.SEQUENCE) throw new DerError('unparseable', `${what}: SEQUENCE expected`);
  const r = DerReader.of(t);
  const names: GeneralName[] = [];
  while (!r.done) names.push(readGeneralName(r.next()));
  if (names.length === 0) throw new DerError('unparseable', `${what}: empty GeneralNames`);
  return names;
}

function readSubtrees(t: Tlv): GeneralSubtree[] {
  const r = DerReader.of(t);
  const out: GeneralSubtree[] = [];
  while (!r.done) {
    const st = DerReader.of(r.expect(TAG.SEQUENCE, 'GeneralSubtree'));
    const base = readGeneralName(st.next());
    let wellFormed = true;
    const min = st.optional(ctx(0, false));
    if (min !== undefined) {
      // DER: a DEFAULT value (minimum 0) is never encoded; any explicit minimum is a violation.
      readSmallUint(min, ctx(0, false));
      wellFormed = false;
    }
    if (st.optional(ctx(1, false)) !== undefined) wellFormed = false;
    st.finish('GeneralSubtree');
    out.push({ base, wellFormed });
  }
  // GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
  if (out.length === 0) throw new DerError('unparseable', 'empty GeneralSubtrees');
  return out;
}

function readNameConstraints(v: Buffer): NameConstraints {
  const r = DerReader.of(readWhole(v));
  const p = r.optional(ctx(0, true));
  const e = r.optional(ctx(1, true));
  r.finish('NameConstraints');
  // RFC 5280 4.2.1.10: "Conforming CAs MUST NOT issue certificates where name constraints is an
  // empty sequence. That is, either the permittedSubtrees field or the excludedSubtrees MUST be present."
  if (p === undefined && e === undefined) throw new DerError('unparseable', 'NameConstraints is an empty sequence');
  return { permitted: p && readSubtrees(p), excluded: e && readSubtrees(e) };
}

function readBasicConstraints(v: Buffer): { ca: boolean; pathLen: number | undefined } {
  const r = DerReader.of(readWhole(v));
  let ca = false;
  const caTlv = r.optional(TAG.BOOLEAN);
  if (caTlv !== undefined) {
    ca = readBoolean(caTlv);
    // DER (X.690 11.5): a component equal to its DEFAULT (cA FALSE) shall be absent.
    if (!ca) throw new DerError('not-der', 'basicConstraints cA FALSE encoded explicitly');
  }
  const pl = r.optional(TAG.INTEGER);
  const pathLen = pl === undefined ? undefined : readSmallUint(pl);
  r.finish('BasicConstraints');
  // RFC 5280 4.2.1.9: "CAs MUST NOT include the pathLenConstraint field unless the cA boolean is asserted".
  if (pathLen !== undefined && !ca) throw new DerError('unparseable', 'pathLenConstraint without cA');
  return { ca, pathLen };
}

function readKeyUsage(v: Buffer): number {
  const bs = readBitString(readWhole(v));
  let mask = 0;
  const bitCount = bs.bytes.length * 8 - bs.unusedBits;
  for (let i = 0; i < bitCount && i < 16; i++) {
    if ((bs.bytes[i >> 3]! >> (7 - (i & 7))) & 1) mask |= 1 << i;
  }
  // RFC 5280 4.2.1.3: "When the keyUsage extension appears in a certificate, at least one of the bits
  // MUST be set to 1."
  if (mask === 0) throw new DerError('unparseable', 'keyUsage with no bit set');
  return mask;
}

function readExtKeyUsage(v: Buffer): string[] {
  const r = DerReader.of(readWhole(v));
  const out: string[] = [];
  while (!r.done) out.push(readOid(r.expect(TAG.OID, 'KeyPurposeId')));
  if (out.length === 0) throw new DerError('unparseable', 'empty ExtKeyUsageSyntax');
  return out;
}

function readAuthorityKeyId(v: Buffer): AuthorityKeyId {
  const r = DerReader.of(readWhole(v));
  const kid = r.optional(ctx(0, false));
  const issuer = r.optional(ctx(1, true));
  const serial = r.optional(ctx(2, false));
  r.finish('AuthorityKeyIdentifier');
  return { keyId: kid && tlvValue(kid), hasIssuer: issuer !== undefined, hasSerial: serial !== undefined };
}

/** AuthorityInfoAccessSyntax / SubjectInfoAccessSyntax (RFC 5280 4.2.2.1/4.2.2.2), structure only. */
function readInfoAccess(v: Buffer): number {
  const r = DerReader.of(readWhole(v));
  let n = 0;
  while (!r.done) {
    const ad = DerReader.of(r.expect(TAG.SEQUENCE, 'AccessDescription'));
    readOid(ad.expect(TAG.OID, 'accessMethod'));
    readGeneralName(ad.next());
    ad.finish('AccessDescription');
    n++;
  }
  if (n === 0) throw new DerError('unparseable', 'empty AccessDescription list');
  return n;
}

function bigFromUnsigned(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
}

function readPublicKey(alg: AlgorithmIdentifier, key: Buffer): PublicKeyInfo {
  const paramsNull = alg.params !== undefined && alg.params.length === 2 && alg.params[0] === TAG.NULL && alg.params[1] === 0;
  switch (alg.oid) {
    case OID.rsaEncryption:
      try {
        const r = DerReader.of(readWhole(key));
        const n = readIntegerBytes(r.expect(TAG.INTEGER, 'modulus'));
        const e = readIntegerBytes(r.expect(TAG.INTEGER, 'publicExponent'));
        r.finish('RSAPublicKey');
        if ((n[0]! & 0x80) !== 0 || (e[0]! & 0x80) !== 0) return { type: 'malformed', oid: alg.oid };
        const mod = bigFromUnsigned(n);
        return { type: 'rsa', bits: mod.toString(2).length, exponent: bigFromUnsigned(e), paramsOk: paramsNull };
      } catch (err) {
        if (err instanceof DerError) return { type: 'malformed', oid: alg.oid };
        throw err;
      }
    case OID.ecPublicKey: {
      if (alg.params === undefined) return { type: 'ec', curve: undefined, explicit: false };
      const p = readWhole(alg.params);
      if (p.tag === TAG.OID) return { type: 'ec', curve: readOid(p), explicit: false };
      return { type: 'ec', curve: undefined, explicit: p.tag === TAG.SEQUENCE };
    }
    case OID.ed25519:
      return { type: 'ed25519', paramsOk: alg.params === undefined && key.length === 32 };
    case OID.dsa:
      return { type: 'dsa' };
    default:
      return { type: 'other', oid: alg.oid };
  }
}

function parseUncached(der: Buffer, fingerprint: string): ParsedCertificate {
  const cert = DerReader.of(readWhole(der));
  const tbsTlv = cert.expect(TAG.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithm = readAlgorithmIdentifier(cert.expect(TAG.SEQUENCE, 'signatureAlgorithm'));
  readBitString(cert.expect(TAG.BIT_STRING, 'signatureValue'));
  cert.finish('Certificate');

  const tbs = DerReader.of(tbsTlv);
  let version = 1;
  const vTlv = tbs.optional(ctx(0, true));
  if (vTlv !== undefined) {
    const vr = DerReader.of(vTlv);
    const v = readSmallUint(vr.expect(TAG.INTEGER, 'version'));
    vr.finish('version');
    // DER: "version DEFAULT v1" must be absent when v1 (X.690 11.5).
    if (v === 0) throw new DerError('not-der', 'version v1 encoded explicitly');
    if (v > 2) throw new DerError('unparseable', `unknown certificate version ${v + 1}`);
    version = v + 1;
  }
  const serial = readIntegerBytes(tbs.expect(TAG.INTEGER, 'serialNumber'));
  const tbsSignature = readAlgorithmIdentifier(tbs.expect(TAG.SEQUENCE, 'signature'));
  const issuer = readName(tbs.expect(TAG.SEQUENCE, 'issuer'));
  const validity = DerReader.of(tbs.expect(TAG.SEQUENCE, 'validity'));
  const notBefore = readValidityTime(validity.next());
  const notAfter = readValidityTime(validity.next());
  validity.finish('Validity');
  const subject = readName(tbs.expect(TAG.SEQUENCE, 'subject'));
  const spkiTlv = tbs.expect(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const spki = DerReader.of(spkiTlv);
  const spkiAlgorithm = readAlgorithmIdentifier(spki.expect(TAG.SEQUENCE, 'SubjectPublicKeyInfo.algorithm'));
  const keyBits = readBitString(spki.expect(TAG.BIT_STRING, 'subjectPublicKey'));
  spki.finish('SubjectPublicKeyInfo');
  if (keyBits.unusedBits !== 0) throw new DerError('unparseable', 'subjectPublicKey with unused bits');
  const publicKey = readPublicKey(spkiAlgorithm, keyBits.bytes);
  const issuerUid = tbs.optional(ctx(1, false));
  const subjectUid = tbs.optional(ctx(2, false));
  if ((issuerUid || subjectUid) && version < 2) throw new DerError('unparseable', 'unique identifiers in a v1 certificate');

  const extensions: Extension[] = [];
  const extTlv = tbs.optional(ctx(3, true));
  tbs.finish('TBSCertificate');
  if (extTlv !== undefined) {
    const outer = DerReader.of(extTlv);
    const list = outer.expect(TAG.SEQUENCE, 'Extensions');
    outer.finish('extensions');
    extensions.push(...readExtensionList(list));
    // Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
    if (extensions.length === 0) throw new DerError('unparseable', 'empty Extensions');
  }

  const seen = new Set<string>();
  const duplicateExtensions: string[] = [];
  for (const e of extensions) {
    if (seen.has(e.oid) && !duplicateExtensions.includes(e.oid)) duplicateExtensions.push(e.oid);
    seen.add(e.oid);
  }
  const find = (oid: string): Extension | undefined => extensions.find((e) => e.oid === oid);
  const bcExt = find(OID.basicConstraints);
  const kuExt = find(OID.keyUsage);
  const ekuExt = find(OID.extKeyUsage);
  const sanExt = find(OID.subjectAltName);
  const ncExt = find(OID.nameConstraints);
  const akiExt = find(OID.authorityKeyIdentifier);
  const skiExt = find(OID.subjectKeyIdentifier);
  const aiaExt = find(OID.authorityInfoAccess);
  const siaExt = find(OID.subjectInfoAccess);

  const subjectEmails: string[] = [];
  for (const rdn of subject.rdns) for (const a of rdn) if (a.type === OID.emailAddress && a.text !== undefined) subjectEmails.push(a.text);

  // A malformed extension value does not make the bytes less of a certificate: it is recorded, and
  // the validator rejects the certificate with the reason that extension's rule names.
  let malformedExtension: ParsedCertificate['malformedExtension'];
  const guarded = <T>(ext: Extension | undefined, read: (e: Extension) => T): T | undefined => {
    if (ext === undefined) return undefined;
    try {
      return read(ext);
    } catch (err) {
      if (!(err instanceof DerError)) throw err;
      malformedExtension ??= { oid: ext.oid, kind: err.kind, message: err.message };
      return undefined;
    }
  };

  guarded(aiaExt, (e) => readInfoAccess(e.value));
  guarded(siaExt, (e) => readInfoAccess(e.value));

  return {
    der,
    fingerprint,
    version,
    serial,
    tbsSignature,
    signatureAlgorithm,
    issuer,
    subject,
    notBefore,
    notAfter,
    spkiAlgorithm,
    spkiDer: tlvRaw(spkiTlv),
    publicKey,
    extensions,
    duplicateExtensions,
    basicConstraints: guarded(bcExt, (e) => ({ ...readBasicConstraints(e.value), critical: e.critical })),
    keyUsage: guarded(kuExt, (e) => readKeyUsage(e.value)),
    extKeyUsage: guarded(ekuExt, (e) => readExtKeyUsage(e.value)),
    subjectAltName: guarded(sanExt, (e) => ({ names: readGeneralNames(readWhole(e.value), 'subjectAltName'), critical: e.critical })),
    nameConstraints: guarded(ncExt, (e) => ({ ...readNameConstraints(e.value), critical: e.critical })),
    authorityKeyId: guarded(akiExt, (e) => ({ ...readAuthorityKeyId(e.value), critical: e.critical })),
    subjectKeyId: guarded(skiExt, (e) => ({ id: readOctetString(readWhole(e.value)), critical: e.critical })),
    malformedExtension,
    subjectEmails,
    selfIssued: issuer.key === subject.key,
  };
}

/** A small LRU keyed by SHA-256 fingerprint; parse results (or their errors) are immutable. */
const CACHE_SIZE = 512;
const cache = new Map<string, ParsedCertificate | DerError>();

/** Parses one certificate (strict DER); throws DerError. Cached per fingerprint. */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const fp = fingerprintOf(der);
  let hit = cache.get(fp);
  if (hit !== undefined) {
    cache.delete(fp);
    cache.set(fp, hit);
  } else {
    try {
      hit = parseUncached(Buffer.from(der), fp);
    } catch (err) {
      if (!(err instanceof DerError)) throw err;
      hit = err;
    }
    cache.set(fp, hit);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  if (hit instanceof DerError) throw hit;
  return hit;
}

export function hasKeyUsage(c: ParsedCertificate, bit: KeyUsageName): boolean {
  return c.keyUsage !== undefined && (c.keyUsage & (1 << KU[bit])) !== 0;
}

// ---------------------------------------------------------------------------------------------
// CRLs (RFC 5280 section 5.1), for x509-limbo's has-crl cases and any CRL a caller supplies.

export interface ParsedCrl {
  readonly tbs: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly tbsSignature: AlgorithmIdentifier;
  readonly signature: Buffer;
  readonly issuer: ParsedName;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Serial numbers (INTEGER content octets, hex) of the revoked certificates. */
  readonly revokedSerials: ReadonlySet<string>;
  readonly extensions: readonly Extension[];
  /** True when some revoked entry carries a critical entry extension. */
  readonly criticalEntryExtension: string | undefined;
}

function readExtensionList(t: Tlv): Extension[] {
  const list = DerReader.of(t);
  const out: Extension[] = [];
  while (!list.done) {
    const e = DerReader.of(list.expect(TAG.SEQUENCE, 'Extension'));
    const oid = readOid(e.expect(TAG.OID, 'extnID'));
    let critical = false;
    const c = e.optional(TAG.BOOLEAN);
    if (c !== undefined) {
      critical = readBoolean(c);
      if (!critical) throw new DerError('not-der', 'Extension critical FALSE encoded explicitly');
    }
    const value = readOctetString(e.expect(TAG.OCTET_STRING, 'extnValue'));
    e.finish('Extension');
    out.push({ oid, critical, value });
  }
  return out;
}

/** Parses one DER CRL; throws DerError. */
export function parseCrl(der: Buffer): ParsedCrl {
  const top = DerReader.of(readWhole(der));
  const tbsTlv = top.expect(TAG.SEQUENCE, 'tbsCertList');
  const signatureAlgorithm = readAlgorithmIdentifier(top.expect(TAG.SEQUENCE, 'signatureAlgorithm'));
  const sig = readBitString(top.expect(TAG.BIT_STRING, 'signatureValue'));
  top.finish('CertificateList');
  const tbs = DerReader.of(tbsTlv);
  const v = tbs.optional(TAG.INTEGER);
  if (v !== undefined && readSmallUint(v) !== 1) throw new DerError('unparseable', 'CRL version other than v2');
  const tbsSignature = readAlgorithmIdentifier(tbs.expect(TAG.SEQUENCE, 'signature'));
  const issuer = readName(tbs.expect(TAG.SEQUENCE, 'issuer'));
  const thisUpdate = readValidityTime(tbs.next());
  let nextUpdate: Date | undefined;
  const nt = tbs.peekTag();
  if (nt === TAG.UTCTime || nt === TAG.GeneralizedTime) nextUpdate = readValidityTime(tbs.next());
  const revokedSerials = new Set<string>();
  let criticalEntryExtension: string | undefined;
  const revoked = tbs.optional(TAG.SEQUENCE);
  if (revoked !== undefined) {
    const rr = DerReader.of(revoked);
    while (!rr.done) {
      const entry = DerReader.of(rr.expect(TAG.SEQUENCE, 'revokedCertificate'));
      revokedSerials.add(readIntegerBytes(entry.expect(TAG.INTEGER, 'userCertificate')).toString('hex'));
      readValidityTime(entry.next());
      const ext = entry.optional(TAG.SEQUENCE);
      if (ext !== undefined) for (const e of readExtensionList(ext)) if (e.critical) criticalEntryExtension ??= e.oid;
      entry.finish('revokedCertificate');
    }
  }
  let extensions: Extension[] = [];
  const extTlv = tbs.optional(ctx(0, true));
  if (extTlv !== undefined) {
    const outer = DerReader.of(extTlv);
    extensions = readExtensionList(outer.expect(TAG.SEQUENCE, 'crlExtensions'));
    outer.finish('crlExtensions');
  }
  tbs.finish('TBSCertList');
  if (sig.unusedBits !== 0) throw new DerError('unparseable', 'CRL signature with unused bits');
  return {
    tbs: tlvRaw(tbsTlv),
    signatureAlgorithm,
    tbsSignature,
    signature: sig.bytes,
    issuer,
    thisUpdate,
    nextUpdate,
    revokedSerials,
    extensions,
    criticalEntryExtension,
  };
}
