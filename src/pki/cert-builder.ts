// X.509 v3 certificates (RFC 5280 section 4.1) assembled field by field from DER pieces, so that a
// test can give any field any value, valid or not: the defect catalogue needs negative serials,
// v1 certificates with extensions, UTCTime without seconds, mismatched algorithm identifiers and
// bytes after the end. Pieces are built with node-forge's ASN.1 layer; the certificate and
// tbsCertificate SEQUENCEs are concatenated byte by byte, so nothing is ever re-encoded (forge
// would "fix" a non-minimal INTEGER). Signing goes through node:crypto and the core's
// deterministic ECDSA signer, so the same inputs always give the same bytes.
import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { encodeTlv } from '../protocol/crypto/der.js';
import { sign as coreSign } from '../protocol/signature.js';
import { seededRandom } from '../protocol/random.js';
import { OID } from './oids.js';

type Asn1 = forge.asn1.Asn1;
const { asn1 } = forge;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;

const bin = (b: Uint8Array): string => Buffer.from(b).toString('binary');

/** Small constructors over forge.asn1.create; each returns a forge node, `toDer` gives bytes. */
export const der = {
  seq: (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, asn1.Type.SEQUENCE, true, items),
  set: (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, asn1.Type.SET, true, items),
  oid: (dotted: string): Asn1 => asn1.create(UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes()),
  /** INTEGER with exactly these content octets (forge drops one redundant leading 00/FF byte). */
  int: (contents: Uint8Array): Asn1 => asn1.create(UNIVERSAL, asn1.Type.INTEGER, false, bin(contents)),
  smallInt: (n: number): Asn1 => asn1.create(UNIVERSAL, asn1.Type.INTEGER, false, bin(smallIntContents(n))),
  bool: (b: boolean): Asn1 => asn1.create(UNIVERSAL, asn1.Type.BOOLEAN, false, b ? '\xff' : '\x00'),
  null: (): Asn1 => asn1.create(UNIVERSAL, asn1.Type.NULL, false, ''),
  octets: (b: Uint8Array): Asn1 => asn1.create(UNIVERSAL, asn1.Type.OCTETSTRING, false, bin(b)),
  /** BIT STRING: the unused-bits count octet, then the bits. */
  bits: (b: Uint8Array, unusedBits = 0): Asn1 =>
    asn1.create(UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(unusedBits) + bin(b)),
  utf8: (s: string): Asn1 => asn1.create(UNIVERSAL, asn1.Type.UTF8, false, bin(Buffer.from(s, 'utf8'))),
  printable: (s: string): Asn1 => asn1.create(UNIVERSAL, asn1.Type.PRINTABLESTRING, false, s),
  /** IA5String; a Buffer is written as is (even non-ASCII octets, for the look-alike defects). */
  ia5: (s: string | Uint8Array): Asn1 =>
    asn1.create(UNIVERSAL, asn1.Type.IA5STRING, false, typeof s === 'string' ? s : bin(s)),
  utcTime: (text: string): Asn1 => asn1.create(UNIVERSAL, asn1.Type.UTCTIME, false, text),
  generalizedTime: (text: string): Asn1 => asn1.create(UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, text),
  /** [n] EXPLICIT: a constructed context tag around one element. */
  explicit: (tag: number, inner: Asn1): Asn1 => asn1.create(CONTEXT, tag as forge.asn1.Type, true, [inner]),
  /** [n] IMPLICIT on a primitive: the context tag with these content octets. */
  implicitPrimitive: (tag: number, contents: Uint8Array): Asn1 =>
    asn1.create(CONTEXT, tag as forge.asn1.Type, false, bin(contents)),
  /** [n] IMPLICIT on a SEQUENCE: a constructed context tag with these children. */
  implicitConstructed: (tag: number, items: Asn1[]): Asn1 => asn1.create(CONTEXT, tag as forge.asn1.Type, true, items),
  toDer: (node: Asn1): Buffer => Buffer.from(asn1.toDer(node).getBytes(), 'binary'),
};

function smallIntContents(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`unsupported small integer ${n}`);
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

// ---- names ---------------------------------------------------------------------------------

export interface NameAttribute {
  oid: string;
  value: string;
  /** String type; the default is UTF8String, emailAddress is IA5String (PKCS#9). */
  kind?: 'utf8' | 'printable' | 'ia5';
}

/** A Name (RFC 5280 section 4.1.2.4): one attribute per RDN, in the order given. */
export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return der.toDer(
    der.seq(
      attributes.map((a) => {
        const kind = a.kind ?? (a.oid === OID.emailAddress ? 'ia5' : 'utf8');
        const value = kind === 'ia5' ? der.ia5(a.value) : kind === 'printable' ? der.printable(a.value) : der.utf8(a.value);
        return der.set([der.seq([der.oid(a.oid), value])]);
      }),
    ),
  );
}

/** The usual test DN: O=sixbench test PKI, CN=<cn>, plus emailAddress when given. */
export function testName(commonName: string, extra: readonly NameAttribute[] = []): Buffer {
  return encodeName([
    { oid: OID.organizationName, value: 'sixbench test PKI' },
    { oid: OID.commonName, value: commonName },
    ...extra,
  ]);
}

// ---- times ---------------------------------------------------------------------------------

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in Z with
 * seconds. Returns the DER of the Time CHOICE.
 */
export function encodeTime(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  if (y >= 1950 && y < 2050) return der.toDer(der.utcTime(pad2(y % 100) + rest));
  return der.toDer(der.generalizedTime(String(y).padStart(4, '0') + rest));
}

// ---- extensions ----------------------------------------------------------------------------

export interface Extension {
  oid: string;
  critical: boolean;
  /** DER of the extension's value (the contents of extnValue's OCTET STRING). */
  value: Buffer;
}

export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

const KEY_USAGE_BIT_NUMBER: Record<KeyUsageBit, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

export function basicConstraintsExtension(ca: boolean, pathLen?: number, critical = true): Extension {
  // DER: cA FALSE is the DEFAULT and so is omitted (X.690 11.5).
  const items: Asn1[] = [];
  if (ca) items.push(der.bool(true));
  if (pathLen !== undefined) items.push(der.smallInt(pathLen));
  return { oid: OID.basicConstraints, critical, value: der.toDer(der.seq(items)) };
}

/** KeyUsage as a DER named BIT STRING: trailing zero bits removed (X.690 11.2.2). */
export function keyUsageExtension(bits: readonly KeyUsageBit[], critical = true): Extension {
  const numbers = bits.map((b) => KEY_USAGE_BIT_NUMBER[b]);
  const highest = numbers.length ? Math.max(...numbers) : -1;
  const octets = Buffer.alloc(highest < 0 ? 0 : Math.floor(highest / 8) + 1);
  for (const n of numbers) octets[Math.floor(n / 8)]! |= 0x80 >> n % 8;
  const unused = highest < 0 ? 0 : 7 - (highest % 8);
  return { oid: OID.keyUsage, critical, value: der.toDer(der.bits(octets, unused)) };
}

export function extKeyUsageExtension(purposes: readonly string[], critical = false): Extension {
  return { oid: OID.extKeyUsage, critical, value: der.toDer(der.seq(purposes.map((p) => der.oid(p)))) };
}

/** GeneralName (RFC 5280 section 4.2.1.6): the choices the test PKI uses. */
export type GeneralName =
  | { rfc822: string | Uint8Array }
  | { dns: string }
  | { ip: Uint8Array };

function generalName(name: GeneralName): Asn1 {
  if ('rfc822' in name) {
    const v = typeof name.rfc822 === 'string' ? Buffer.from(name.rfc822, 'latin1') : name.rfc822;
    return der.implicitPrimitive(1, v);
  }
  if ('dns' in name) return der.implicitPrimitive(2, Buffer.from(name.dns, 'ascii'));
  return der.implicitPrimitive(7, name.ip);
}

export function subjectAltNameExtension(names: readonly GeneralName[], critical = false): Extension {
  return { oid: OID.subjectAltName, critical, value: der.toDer(der.seq(names.map(generalName))) };
}

/** Key identifier method (1) of RFC 5280 section 4.2.1.2: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: Buffer): Buffer {
  const spkiNode = forge.asn1.fromDer(bin(spki));
  const bitString = (spkiNode.value as Asn1[])[1]!;
  // forge keeps a BIT STRING's raw octets (unused-bits byte first) in bitStringContents when it
  // decodes the contents as DER; otherwise value holds them.
  const raw = (bitString as Asn1 & { bitStringContents?: string }).bitStringContents ?? (bitString.value as string);
  return createHash('sha1').update(Buffer.from(raw, 'binary').subarray(1)).digest();
}

export function subjectKeyIdentifierExtension(keyId: Buffer): Extension {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: der.toDer(der.octets(keyId)) };
}

export function authorityKeyIdentifierExtension(keyId: Buffer): Extension {
  return {
    oid: OID.authorityKeyIdentifier,
    critical: false,
    value: der.toDer(der.seq([der.implicitPrimitive(0, keyId)])),
  };
}

/** rfc822Name subtrees (RFC 5280 section 4.2.1.10): "host", ".domain" or a mailbox. */
export function nameConstraintsExtension(permitted: readonly string[], excluded: readonly string[] = []): Extension {
  const subtrees = (names: readonly string[]): Asn1[] => names.map((n) => der.seq([generalName({ rfc822: n })]));
  const items: Asn1[] = [];
  if (permitted.length) items.push(der.implicitConstructed(0, subtrees(permitted)));
  if (excluded.length) items.push(der.implicitConstructed(1, subtrees(excluded)));
  // "Conforming CAs MUST mark this extension as critical" (RFC 5280 section 4.2.1.10).
  return { oid: OID.nameConstraints, critical: true, value: der.toDer(der.seq(items)) };
}

function encodeExtensions(extensions: readonly Extension[]): Buffer {
  const list = extensions.map((e) =>
    der.seq([der.oid(e.oid), ...(e.critical ? [der.bool(true)] : []), der.octets(e.value)]),
  );
  return der.toDer(der.explicit(3, der.seq(list)));
}

// ---- signature algorithms and signers ------------------------------------------------------

export type SignatureAlgorithmName =
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384'
  | 'Ed25519'
  | 'sha256WithRSAEncryption'
  | 'sha1WithRSAEncryption'
  | 'md5WithRSAEncryption';

/** DER AlgorithmIdentifier: ECDSA and Ed25519 carry no parameters, PKCS#1 v1.5 a NULL (RFC 4055). */
export function algorithmIdentifier(name: SignatureAlgorithmName): Buffer {
  switch (name) {
    case 'ecdsa-with-SHA256':
      return der.toDer(der.seq([der.oid(OID.ecdsaWithSha256)]));
    case 'ecdsa-with-SHA384':
      return der.toDer(der.seq([der.oid(OID.ecdsaWithSha384)]));
    case 'Ed25519':
      return der.toDer(der.seq([der.oid(OID.ed25519)]));
    case 'sha256WithRSAEncryption':
      return der.toDer(der.seq([der.oid(OID.sha256WithRsa), der.null()]));
    case 'sha1WithRSAEncryption':
      return der.toDer(der.seq([der.oid(OID.sha1WithRsa), der.null()]));
    case 'md5WithRSAEncryption':
      return der.toDer(der.seq([der.oid(OID.md5WithRsa), der.null()]));
  }
}

/** The signature algorithm a CA uses by default for its key. */
export function defaultSignatureAlgorithm(key: KeyObject): SignatureAlgorithmName {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return 'ecdsa-with-SHA256';
    case 'ed25519':
      return 'Ed25519';
    case 'rsa':
      return 'sha256WithRSAEncryption';
    default:
      throw new RangeError(`no signature algorithm for a ${key.asymmetricKeyType} key`);
  }
}

// The core's signer draws from an rng only for RSA-PSS salts; ECDSA is RFC 6979 and ignores it.
const unusedRng = seededRandom('sixbench pki signer');

/** Deterministic signature over data: RFC 6979 ECDSA (core), Ed25519, PKCS#1 v1.5. */
export function signData(alg: SignatureAlgorithmName, key: KeyObject, data: Buffer): Buffer {
  switch (alg) {
    case 'ecdsa-with-SHA256':
      return coreSign('ecdsa-p256-sha256', key, data, unusedRng);
    case 'ecdsa-with-SHA384':
      return cryptoSign('sha384', data, { key, dsaEncoding: 'der' });
    case 'Ed25519':
      return cryptoSign(null, data, key);
    case 'sha256WithRSAEncryption':
      return cryptoSign('sha256', data, key);
    case 'sha1WithRSAEncryption':
      return cryptoSign('sha1', data, key);
    case 'md5WithRSAEncryption':
      return cryptoSign('md5', data, key);
  }
}

// ---- the certificate -----------------------------------------------------------------------

/** Every field of a tbsCertificate, each as the DER that will be written (no re-encoding). */
export interface TbsFields {
  /** Version value (2 = v3); undefined omits the field, which means v1. */
  version: number | undefined;
  /** Content octets of the serialNumber INTEGER, exactly as written. */
  serial: Buffer;
  /** DER AlgorithmIdentifier inside the tbsCertificate. */
  signature: Buffer;
  issuer: Buffer;
  notBefore: Buffer;
  notAfter: Buffer;
  subject: Buffer;
  spki: Buffer;
  /** Undefined omits the [3] extensions field. */
  extensions: readonly Extension[] | undefined;
}

export function encodeTbs(f: TbsFields): Buffer {
  return encodeTlv(
    0x30,
    Buffer.concat([
      f.version === undefined ? Buffer.alloc(0) : der.toDer(der.explicit(0, der.smallInt(f.version))),
      encodeTlv(0x02, f.serial),
      f.signature,
      f.issuer,
      encodeTlv(0x30, Buffer.concat([f.notBefore, f.notAfter])),
      f.subject,
      f.spki,
      f.extensions === undefined ? Buffer.alloc(0) : encodeExtensions(f.extensions),
    ]),
  );
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbs: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  return encodeTlv(0x30, Buffer.concat([tbs, signatureAlgorithm, der.toDer(der.bits(signature))]));
}

export interface SigningOptions {
  /** The algorithm actually used and written as the outer signatureAlgorithm. */
  algorithm: SignatureAlgorithmName;
  key: KeyObject;
}

/** Signs the encoded tbsCertificate and assembles the certificate. */
export function signCertificate(fields: TbsFields, signer: SigningOptions): Buffer {
  const tbs = encodeTbs(fields);
  return assembleCertificate(tbs, algorithmIdentifier(signer.algorithm), signData(signer.algorithm, signer.key, tbs));
}

export function toPem(derBytes: Buffer, label = 'CERTIFICATE'): string {
  const b64 = derBytes.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
