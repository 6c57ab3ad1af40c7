// Client-certificate path validation: RFC 5280 section 6 (basic path validation) with path building
// from the leaf, and the E2ED certificate profile (docs/spec.md, "Certificate profile", E2ED-CERT-1..26).
// Profile 'e2ed' applies the whole E2ED profile; profile 'rfc5280' applies the generic RFC 5280 rules
// (plus the few CA/B Forum rules web PKI validators share, see docs/limbo.md), used for x509-limbo
// SERVER cases.
//
// Hot path: node:crypto's X509Certificate verifies signatures; our own strict DER reader
// (cert-parse.ts) extracts what X509Certificate does not expose. Each certificate is parsed once and
// cached by fingerprint. The validator never throws for bad input: every failure is a typed reason
// (reasons.ts) that carries its alert and requirement id.
import { X509Certificate, constants as cryptoConstants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { AlertName } from '../protocol/alerts.js';
import {
  OID,
  fingerprintOf,
  hasKeyUsage,
  parseCertificate,
  parseCrl,
  type ParsedCrl,
  type KeyUsageName,
  type NameConstraints,
  type ParsedCertificate,
} from './cert-parse.js';
import { DerError, DerReader, TAG, ctx, readIntegerBytes, readOid, readWhole } from './der.js';
import { MAX_NAME_CONSTRAINT_CHECKS, checkConstraintSyntax, checkNames, isValidDnsSan, parseMailbox, type Mailbox } from './name-constraints.js';
import { checkPolicySyntax, processPolicies } from './policies.js';
import { REASONS, type ValidationFailureReason } from './reasons.js';
import { isValidUserId, sameMailbox as userIdsEqual } from '../protocol/identity.js';

export type { ValidationFailureReason } from './reasons.js';

/** The EKU the leaf must carry: a UA's (clientAuth), a TLS server's, or the IRP registry signer's (IRP-CA-3). */
export type Purpose = 'clientAuth' | 'serverAuth' | 'irpRegistrySigning';

export interface ValidationOptions {
  trustAnchors: readonly Buffer[]; // DER of trusted roots (or trusted intermediates)
  intermediates?: readonly Buffer[]; // extra untrusted certificates to build with (besides the presented chain)
  time: Date; // injectable validation time
  purpose: Purpose; // EKU required of the leaf
  expectedUserId?: string; // CLIENT: rfc822Name must equal it (E2ED-CERT-14); undefined: skip identity
  requireKeyEncipherment?: boolean; // E2ED-CERT-11
  maxDepth?: number; // default 8 including the anchor (E2ED-CERT-21)
  isRevoked?: (leaf: X509Certificate) => boolean; // E2ED-CERT-24 (status from IRP)
  /** E2ED-CERT-24/30 with the registry's three answers and "no answer"; takes precedence over isRevoked. */
  revocationStatus?: (leaf: X509Certificate) => RevocationStatus;
  profile?: 'e2ed' | 'rfc5280';
  /** At most this many intermediates that are not self-issued (x509-limbo's max_chain_depth). */
  maxIntermediates?: number;
  /** keyUsage bits the leaf must assert (x509-limbo's key_usage). */
  requiredKeyUsage?: readonly KeyUsageName[];
  /** Signature algorithm OIDs allowed in the path, narrowing the profile's list (limbo's signature_algorithms). */
  allowedSignatureAlgorithms?: readonly string[];
  /** DER CRLs to check every non-anchor certificate of the path against (RFC 5280 6.3). */
  crls?: readonly Buffer[];
}

/**
 * The status of a leaf as a UA knows it: a verified registry answer (IRP-STATUS-2), or
 * `unavailable` when none could be obtained (registry unreachable, no answer in time, an answer
 * that fails IRP-STATUS-5): E2ED-CERT-30.
 */
export type RevocationStatus = 'good' | 'revoked' | 'unknown' | 'unavailable';

export type ValidationResult =
  | { ok: true; userId: string | undefined; leaf: X509Certificate; publicKey: KeyObject; path: X509Certificate[] }
  | { ok: false; reason: ValidationFailureReason; alert: AlertName; requirement: string; detail: string };

/** E2ED-CERT-25: at most 8 certificates, each at most 16 KiB of DER. */
export const MAX_PRESENTED_CERTIFICATES = 8;
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
/** E2ED-CERT-21: "path length at most 8 certificates including the trust anchor". */
export const DEFAULT_MAX_DEPTH = 8;
/** Path building bounds: candidate issuers examined (over all passes) and distinct signatures verified per validation. */
export const MAX_CANDIDATES = 1024;
export const MAX_SIGNATURE_CHECKS = 64;
/** The hop count of an issuer name from which no trust anchor can be reached by name. */
const NO_PATH_BY_NAME = 1 << 20;

interface Failure {
  reason: ValidationFailureReason;
  detail: string;
}

const failure = (reason: ValidationFailureReason, detail: string): Failure => ({ reason, detail });

function result(f: Failure): ValidationResult {
  const row = REASONS[f.reason];
  return { ok: false, reason: f.reason, alert: row.alert, requirement: row.requirement, detail: f.detail };
}

/** A loaded certificate: our parse, node's object, and (lazily) its public key. */
export interface LoadedCert {
  readonly parsed: ParsedCertificate;
  readonly x509: X509Certificate;
  readonly key: KeyObject | undefined;
}

const x509Cache = new Map<string, LoadedCert>();
const X509_CACHE_SIZE = 512;

/**
 * Results of certificate signature checks, keyed by the SHA-256 fingerprints of the certificate
 * and of its candidate issuer. A signature check is a pure function of those exact bytes, so a UA
 * that meets the same peer and intermediates again does not redo it; every other check of the
 * path (validity at the validation time, constraints, purpose, identity, revocation) still runs
 * on every validation.
 */
const signatureResults = new Map<string, boolean>();
const SIGNATURE_CACHE_SIZE = 1024;

function signatureVerifies(child: LoadedCert, issuer: LoadedCert): boolean {
  const key = `${child.parsed.fingerprint}/${issuer.parsed.fingerprint}`;
  const known = signatureResults.get(key);
  if (known !== undefined) return known;
  let verified = false;
  try {
    verified = issuer.key !== undefined && child.x509.verify(issuer.key);
  } catch {
    verified = false;
  }
  if (signatureResults.size >= SIGNATURE_CACHE_SIZE) signatureResults.delete(signatureResults.keys().next().value as string);
  signatureResults.set(key, verified);
  return verified;
}

function derFailure(err: DerError, what: string): Failure {
  switch (err.kind) {
    case 'not-der':
      return failure('non-der-encoding', `${what}: ${err.message}`);
    case 'bad-time':
      return failure('bad-time-encoding', `${what}: ${err.message}`);
    default:
      return failure('unparseable-certificate', `${what}: ${err.message}`);
  }
}

/** Loads one DER certificate; never throws. */
export function loadCertificate(der: unknown, what: string): LoadedCert | Failure {
  if (!Buffer.isBuffer(der) && !(der instanceof Uint8Array)) return failure('unparseable-certificate', `${what}: not bytes`);
  const buf = Buffer.isBuffer(der) ? der : Buffer.from(der);
  if (buf.length > MAX_CERTIFICATE_BYTES) return failure('certificate-too-large', `${what}: ${buf.length} bytes > ${MAX_CERTIFICATE_BYTES}`);
  const fp = fingerprintOf(buf);
  const hit = x509Cache.get(fp);
  if (hit !== undefined) return hit;
  let parsed: ParsedCertificate;
  try {
    parsed = parseCertificate(buf);
  } catch (err) {
    if (err instanceof DerError) return derFailure(err, what);
    return failure('unparseable-certificate', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(parsed.der);
  } catch (err) {
    return failure('unparseable-certificate', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let key: KeyObject | undefined;
  try {
    key = x509.publicKey;
  } catch {
    key = undefined; // unsupported or malformed key: rejected by the key policy when it matters
  }
  const loaded: LoadedCert = { parsed, x509, key };
  x509Cache.set(fp, loaded);
  if (x509Cache.size > X509_CACHE_SIZE) x509Cache.delete(x509Cache.keys().next().value!);
  return loaded;
}

const isFailure = (x: LoadedCert | Failure): x is Failure => 'reason' in x;

// ---------------------------------------------------------------------------------------------
// Algorithm and key policy (E2ED-CERT-7/8/9)

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const SHA512 = '2.16.840.1.101.3.4.2.3';
const CURVE_P256 = '1.2.840.10045.3.1.7';
const CURVE_P384 = '1.3.132.0.34';
const CURVE_P521 = '1.3.132.0.35';

type SigFamily = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' | 'ed25519';
const SIGNATURE_ALGORITHMS: Record<string, { family: SigFamily; e2ed: boolean }> = {
  '1.2.840.10045.4.3.2': { family: 'ecdsa', e2ed: true }, // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': { family: 'ecdsa', e2ed: true }, // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': { family: 'ecdsa', e2ed: false }, // ecdsa-with-SHA512
  '1.3.101.112': { family: 'ed25519', e2ed: true },
  '1.2.840.113549.1.1.10': { family: 'rsa-pss', e2ed: true },
  '1.2.840.113549.1.1.11': { family: 'rsa-pkcs1', e2ed: true }, // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': { family: 'rsa-pkcs1', e2ed: true }, // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': { family: 'rsa-pkcs1', e2ed: true }, // sha512WithRSAEncryption
};

/** The hash of RSASSA-PSS-params (RFC 4055 3.1); SHA-1 when the field is absent (its DEFAULT). */
function pssHash(params: Buffer | undefined): string | undefined {
  if (params === undefined) return undefined;
  try {
    const r = DerReader.of(readWhole(params));
    const h = r.optional(ctx(0, true));
    if (h === undefined) return '1.3.14.3.2.26';
    const hr = DerReader.of(h);
    const alg = DerReader.of(hr.expect(TAG.SEQUENCE, 'hashAlgorithm'));
    return readOid(alg.expect(TAG.OID, 'hashAlgorithm.algorithm'));
  } catch {
    return undefined;
  }
}

function checkSignatureAlgorithm(c: ParsedCertificate, profile: Profile, allowed: readonly string[] | undefined): Failure | undefined {
  const alg = c.signatureAlgorithm;
  const entry = SIGNATURE_ALGORITHMS[alg.oid];
  // E2ED-CERT-7: "MD5 and SHA-1 are refused"; so is anything not on the list.
  if (entry === undefined || (profile === 'e2ed' && !entry.e2ed)) {
    return failure('weak-signature-algorithm', `signature algorithm ${alg.oid} refused`);
  }
  if (allowed !== undefined && !allowed.includes(alg.oid)) {
    return failure('weak-signature-algorithm', `signature algorithm ${alg.oid} not in the allowed list`);
  }
  const nullParams = alg.params !== undefined && alg.params.equals(Buffer.from([0x05, 0x00]));
  switch (entry.family) {
    case 'rsa-pkcs1':
      // RFC 4055 5: "the parameters MUST be NULL".
      if (!nullParams) return failure('weak-signature-algorithm', 'PKCS #1 v1.5 signature parameters are not NULL');
      break;
    case 'ecdsa':
    case 'ed25519':
      // RFC 5758 3.2 / RFC 8410 3: the parameters field MUST be absent.
      if (alg.params !== undefined) return failure('weak-signature-algorithm', `${entry.family} signature with parameters`);
      break;
    case 'rsa-pss': {
      const h = pssHash(alg.params);
      const ok = profile === 'e2ed' ? h === SHA256 : h === SHA256 || h === SHA384 || h === SHA512;
      if (!ok) return failure('weak-signature-algorithm', `RSASSA-PSS with hash ${h ?? 'unreadable'}`);
      break;
    }
  }
  return undefined;
}

function checkKey(c: ParsedCertificate, profile: Profile): Failure | undefined {
  const k = c.publicKey;
  switch (k.type) {
    case 'rsa': {
      // E2ED-CERT-8: "RSA 2048..8192 bits with exponent 65537".
      if (!k.paramsOk) return failure('weak-key', 'rsaEncryption key parameters are not NULL');
      if (k.bits < 2048 || k.bits > 8192) return failure('weak-key', `RSA key of ${k.bits} bits`);
      // CA/B Forum BR 6.1.5: "RSA: The modulus size, when encoded, MUST be at least 2048 bits, and;
      // The modulus size, in bits, MUST be evenly divisible by 8" (profile rfc5280, web PKI rules).
      if (profile === 'rfc5280' && k.bits % 8 !== 0) return failure('weak-key', `RSA modulus of ${k.bits} bits, not a multiple of 8`);
      const exponentOk = profile === 'e2ed' ? k.exponent === 65537n : k.exponent >= 3n && k.exponent % 2n === 1n;
      if (!exponentOk) return failure('weak-key', `RSA public exponent ${k.exponent}`);
      return undefined;
    }
    case 'ec': {
      // E2ED-CERT-8: "EC P-256 (namedCurve only)"; "P-192 and other curves refused".
      if (k.explicit || k.curve === undefined) return failure('weak-key', 'EC key without a named curve');
      const ok = profile === 'e2ed' ? k.curve === CURVE_P256 : [CURVE_P256, CURVE_P384, CURVE_P521].includes(k.curve);
      return ok ? undefined : failure('weak-key', `EC key on curve ${k.curve}`);
    }
    case 'ed25519':
      return k.paramsOk ? undefined : failure('weak-key', 'malformed Ed25519 key');
    case 'dsa':
      // E2ED-CERT-9: "unsupported key types (DSA, others) refused".
      return failure('unsupported-key-type', 'DSA key');
    case 'other':
      return failure('unsupported-key-type', `key algorithm ${k.oid}`);
    case 'malformed':
      return failure('unsupported-key-type', `malformed ${k.oid} key`);
  }
}

// ---------------------------------------------------------------------------------------------
// Per-certificate checks

type Profile = 'e2ed' | 'rfc5280';
type Role = 'leaf' | 'ca' | 'anchor';

/**
 * Extensions this validator processes, and so may be critical (E2ED-CERT-16: any other critical
 * extension is refused). authorityKeyIdentifier and subjectKeyIdentifier are processed but "MUST" be
 * non-critical (checked separately); authorityInfoAccess, subjectInfoAccess, CRL distribution points,
 * SCTs and the like are only tolerated when non-critical (RFC 5280 4.2.2.1: AIA "MUST" be non-critical).
 */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
  OID.certificatePolicies, // profile e2ed: accepted, not processed (E2ED-CERT-16); rfc5280: policies.ts
]);

/** Profile rfc5280 also processes the policy extensions (RFC 5280 6.1, policies.ts). */
const PROCESSED_EXTENSIONS_RFC5280 = new Set<string>([...PROCESSED_EXTENSIONS, OID.policyMappings, OID.policyConstraints, OID.inhibitAnyPolicy]);

const floorToSecond = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

const isCa = (c: ParsedCertificate): boolean => c.basicConstraints?.ca === true;

function checkValidity(c: ParsedCertificate, time: number): Failure | undefined {
  // RFC 5280 4.1.2.5: "The validity period for a certificate is the period of time from notBefore
  // through notAfter, inclusive." Times carry whole seconds, so the validation time is floored.
  if (time < c.notBefore.getTime()) return failure('not-yet-valid', `notBefore ${c.notBefore.toISOString()}`);
  if (time > c.notAfter.getTime()) return failure('expired', `notAfter ${c.notAfter.toISOString()}`);
  return undefined;
}

function checkSerial(c: ParsedCertificate): Failure | undefined {
  // E2ED-CERT-22 / RFC 5280 4.1.2.2: "The serial number MUST be a positive integer ... Conforming CAs
  // MUST NOT use serialNumber values longer than 20 octets."
  const s = c.serial;
  if ((s[0]! & 0x80) !== 0) return failure('bad-serial-number', 'negative serialNumber');
  if (s.every((b) => b === 0)) return failure('bad-serial-number', 'zero serialNumber');
  if (s.length > 20) return failure('bad-serial-number', `serialNumber of ${s.length} octets`);
  return undefined;
}

function checkKeyIdentifiers(c: ParsedCertificate, profile: Profile): Failure | undefined {
  // RFC 5280 4.2.1.1 / 4.2.1.2: "Conforming CAs MUST mark this extension as non-critical."
  if (c.authorityKeyId?.critical) return failure('bad-key-identifier', 'critical authorityKeyIdentifier');
  if (c.subjectKeyId?.critical) return failure('bad-key-identifier', 'critical subjectKeyIdentifier');
  // E2ED-CERT-26 is a SHOULD (not enforced by profile e2ed); profile rfc5280 enforces RFC 5280's MUSTs.
  if (profile !== 'rfc5280') return undefined;
  // 4.2.1.1: "The keyIdentifier field of the authorityKeyIdentifier extension MUST be included in all
  // certificates generated by conforming CAs ... where a CA distributes its public key in the form of
  // a "self-signed" certificate, the authority key identifier MAY be omitted."
  if (c.authorityKeyId === undefined && !c.selfIssued) return failure('bad-key-identifier', 'authorityKeyIdentifier missing');
  if (c.authorityKeyId !== undefined && c.authorityKeyId.keyId === undefined) {
    return failure('bad-key-identifier', 'authorityKeyIdentifier without keyIdentifier');
  }
  // CA/B Forum BR 7.1.2.1.3 and others: "authorityCertIssuer MUST NOT be present".
  if (c.authorityKeyId?.hasIssuer || c.authorityKeyId?.hasSerial) {
    return failure('bad-key-identifier', 'authorityKeyIdentifier with authorityCertIssuer/SerialNumber');
  }
  // 4.2.1.2: "this extension MUST appear in all conforming CA certificates, that is, all certificates
  // including the basic constraints extension where the value of cA is TRUE."
  if (isCa(c) && c.subjectKeyId === undefined) return failure('bad-key-identifier', 'CA certificate without subjectKeyIdentifier');
  return undefined;
}

/**
 * A self-signed certificate is its own issuer, so E2ED-CERT-4 ("when both present, the
 * authorityKeyIdentifier keyIdentifier MUST equal the issuer's subjectKeyIdentifier") compares its
 * AKI with its own SKI; RFC 5280 4.2.1.1 defines the keyIdentifier as the identifier of the key
 * that signed the certificate, and CA/B Forum BR 7.1.2.1.3 (root CA) says it "MUST be identical to
 * the subjectKeyIdentifier field". Self-issued certificates signed by another key (key rollover,
 * RFC 5280 6.1) legitimately name that other key, so only a certificate whose signature verifies
 * under its own key is held to it -- the anchor included, whose signature is otherwise never judged.
 */
function checkSelfSignedKeyIdentifiers(c: LoadedCert): Failure | undefined {
  const p = c.parsed;
  const aki = p.authorityKeyId?.keyId;
  if (!p.selfIssued || aki === undefined || p.subjectKeyId === undefined || aki.equals(p.subjectKeyId.id)) return undefined;
  if (!signatureVerifies(c, c)) return undefined;
  return failure('key-identifier-mismatch', 'self-signed certificate whose authorityKeyIdentifier differs from its subjectKeyIdentifier');
}

/** Checks that depend only on the certificate, its role and the options: cached per validation. */
function checkCertificate(c: ParsedCertificate, role: Role, profile: Profile, time: number): Failure | undefined {
  // E2ED-CERT-1: "certificates are X.509 v3".
  if (c.version !== 3) return failure('unsupported-version', `X.509 v${c.version} certificate`);
  if (c.malformedExtension !== undefined) {
    const m = c.malformedExtension;
    const detail = `extension ${m.oid}: ${m.message}`;
    if (m.kind === 'not-der') return failure('non-der-encoding', detail);
    if (m.oid === OID.nameConstraints) return failure('name-constraints-invalid', detail);
    if (m.oid === OID.subjectAltName) return failure('bad-subject-alt-name', detail);
    return failure('unparseable-certificate', detail);
  }
  // E2ED-CERT-17.
  if (c.duplicateExtensions.length > 0) return failure('duplicate-extension', `extension ${c.duplicateExtensions[0]} appears twice`);
  // E2ED-CERT-16: "no unrecognised critical extension in any certificate of the path".
  const processed = profile === 'rfc5280' ? PROCESSED_EXTENSIONS_RFC5280 : PROCESSED_EXTENSIONS;
  for (const e of c.extensions) {
    if (e.critical && !processed.has(e.oid)) return failure('unknown-critical-extension', `critical extension ${e.oid}`);
  }
  if (profile === 'rfc5280') {
    const pol = checkPolicySyntax(c);
    if (pol) return failure(pol.reason, pol.detail);
  }
  // E2ED-CERT-6: "the tbsCertificate signature AlgorithmIdentifier equals the outer signatureAlgorithm".
  if (!c.tbsSignature.raw.equals(c.signatureAlgorithm.raw)) {
    return failure('signature-algorithm-mismatch', `tbs ${c.tbsSignature.oid} vs outer ${c.signatureAlgorithm.oid}`);
  }
  // Trust anchors are trusted as given: their serial numbers are the CA's business (a few roots in
  // public trust stores have serial 0), not the relying party's.
  const serial = role === 'anchor' ? undefined : checkSerial(c);
  if (serial) return serial;
  const validity = checkValidity(c, time);
  if (validity) return validity;
  const key = checkKey(c, profile);
  if (key) return key;
  const kid = checkKeyIdentifiers(c, profile);
  if (kid) return kid;

  // RFC 5280 4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA MUST
  // include a subjectAltName extension that is marked as critical. When including the subjectAltName
  // extension in a certificate that has a non-empty subject distinguished name, conforming CAs SHOULD
  // mark the subjectAltName extension as non-critical" (a MUST under the CA/B Forum BRs).
  const emptySubject = c.subject.rdns.length === 0;
  if (emptySubject && !isCa(c) && c.subjectAltName?.critical !== true) {
    return failure('bad-subject-alt-name', 'empty subject without a critical subjectAltName');
  }
  if (!emptySubject && c.subjectAltName?.critical === true) {
    return failure('bad-subject-alt-name', 'critical subjectAltName with a non-empty subject');
  }
  // RFC 5280 4.2.1.6: "For IP version 4 ... the octet string MUST contain exactly four octets. For IP
  // version 6 ... exactly sixteen octets."
  for (const n of c.subjectAltName?.names ?? []) {
    if (n.kind === 'ip' && n.bytes.length !== 4 && n.bytes.length !== 16) {
      return failure('bad-subject-alt-name', `iPAddress of ${n.bytes.length} octets`);
    }
    // Profile rfc5280 (web PKI reading): RFC 5280 4.2.1.6 "the domain name MUST be stored in the
    // dNSName ... The name MUST be in the "preferred name syntax", as specified by Section 3.5 of
    // [RFC1034] and as modified by Section 2.1 of [RFC1123]" -- LDH labels, so no underscore, no
    // empty label, no trailing dot; CA/B Forum BR 7.1.2.7.12 allows a wildcard only as the whole
    // leftmost label. And "The format of an rfc822Name is a "Mailbox" as defined in Section 4.1.2 of
    // [RFC2821]". Profile e2ed ignores GeneralName forms other than its one rfc822Name
    // (E2ED-CERT-13), which has the stricter user-ID syntax; under a name constraint every
    // malformed name fails in both profiles (E2ED-CERT-20, name-constraints.ts).
    if (profile === 'rfc5280' && n.kind === 'dns' && !isValidDnsSan(n.value)) {
      return failure('bad-subject-alt-name', `dNSName "${n.value}" is not in preferred name syntax`);
    }
    if (profile === 'rfc5280' && n.kind === 'rfc822' && parseMailbox(n.value) === undefined) {
      return failure('bad-subject-alt-name', `rfc822Name "${n.value}" is not a Mailbox`);
    }
  }
  // RFC 5280 4.2.1.10: "The name constraints extension, which MUST be used only in a CA certificate".
  if (c.nameConstraints !== undefined && !isCa(c)) return failure('name-constraints-invalid', 'name constraints in a non-CA certificate');
  if (role === 'leaf') {
    // RFC 5280 4.2.1.9: "If the cA boolean is not asserted, then the keyCertSign bit in the key usage
    // extension MUST NOT be asserted." (For issuing certificates the missing cA is the reason.)
    if (!isCa(c) && hasKeyUsage(c, 'keyCertSign')) return failure('keycertsign-without-ca', 'keyCertSign without cA');
    // E2ED-CERT-15: "end-entity basicConstraints, if present, MUST have cA FALSE". Profile rfc5280
    // takes the web PKI reading where RFC 5280 (which says nothing of a CA certificate in the leaf
    // position) and the CA/B Forum differ: BR 7.1.2.7.8 (subscriber certificates) "cA MUST be FALSE".
    // A CA certificate is refused in the leaf position whatever its keyUsage says.
    if (isCa(c)) return failure('leaf-is-ca', 'certificate with cA TRUE in the leaf position');
    return undefined;
  }

  // Issuing certificates (intermediates and anchors).
  // E2ED-CERT-18: "every issuing certificate has basicConstraints cA TRUE (critical) and keyUsage keyCertSign".
  const bc = c.basicConstraints;
  if (bc === undefined || !bc.ca) return failure('issuer-not-ca', bc === undefined ? 'no basicConstraints' : 'cA FALSE');
  if (!bc.critical) return failure('issuer-not-ca', 'basicConstraints not critical');
  // RFC 5280 6.1.4 (n): "If a key usage extension is present, verify that the keyCertSign bit is set";
  // profile e2ed requires the extension itself.
  if (c.keyUsage === undefined ? profile === 'e2ed' : !hasKeyUsage(c, 'keyCertSign')) {
    return failure('issuer-missing-keycertsign', c.keyUsage === undefined ? 'no keyUsage' : 'keyUsage without keyCertSign');
  }
  // RFC 5280 4.1.2.6: "If the subject is a CA ... the subject field MUST be populated with a non-empty
  // distinguished name".
  if (c.subject.rdns.length === 0) return failure('ca-empty-subject', 'CA certificate with an empty subject');
  if (role === 'anchor' && profile === 'rfc5280' && c.selfIssued && c.extKeyUsage !== undefined) {
    return failure('anchor-has-eku', 'root certificate carries extendedKeyUsage');
  }
  if (c.nameConstraints !== undefined) {
    const nc = checkConstraintSyntax(c.nameConstraints);
    if (nc) return failure(nc.reason, nc.detail);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// End-entity checks (E2ED-CERT-10..14)

// E2ED-CERT-13/14: the user-ID syntax and comparison of docs/spec.md section 3.6, one definition
// for the codec and the validator (src/protocol/identity.ts): "local part byte-exact, domain ASCII
// case-insensitive; no Unicode or look-alike folding".
export { isValidUserId, sameMailbox as userIdsEqual } from '../protocol/identity.js';

const PURPOSE_OID: Record<Purpose, string> = {
  clientAuth: OID.clientAuth,
  serverAuth: OID.serverAuth,
  irpRegistrySigning: OID.irpRegistrySigning,
};

function checkEndEntity(c: ParsedCertificate, opts: ValidationOptions, profile: Profile): Failure | { userId: string | undefined } {
  const e2ed = profile === 'e2ed';
  // E2ED-CERT-10: "end-entity keyUsage present and asserting digitalSignature".
  if (e2ed && !hasKeyUsage(c, 'digitalSignature')) return failure('missing-digital-signature', 'keyUsage lacks digitalSignature');
  for (const bit of opts.requiredKeyUsage ?? []) {
    if (!hasKeyUsage(c, bit)) return failure('missing-digital-signature', `keyUsage lacks ${bit}`);
  }
  // E2ED-CERT-11: "an RSA responder certificate used for rsa-oaep key transport asserts keyEncipherment".
  if (opts.requireKeyEncipherment && (c.publicKey.type !== 'rsa' || !hasKeyUsage(c, 'keyEncipherment'))) {
    return failure('missing-key-encipherment', 'RSA key transport needs an RSA key with keyEncipherment');
  }
  // E2ED-CERT-12: EKU "present and containing id-kp-clientAuth; anyExtendedKeyUsage alone does NOT
  // satisfy it". A present EKU must name the purpose in both profiles (anyExtendedKeyUsage is refused
  // there as well, as web PKI validators do).
  // Profile rfc5280 takes the web PKI reading here too: CA/B Forum BR 7.1.2.7.10 (subscriber
  // certificates) "extKeyUsage MUST be present" (RFC 5280 4.2.1.12 would leave the key unrestricted).
  const eku = c.extKeyUsage;
  if (eku === undefined) {
    return failure('wrong-extended-key-usage', 'no extendedKeyUsage');
  } else if (!eku.includes(PURPOSE_OID[opts.purpose])) {
    return failure('wrong-extended-key-usage', `extendedKeyUsage lacks ${opts.purpose}`);
  } else if (!e2ed && eku.includes(OID.anyExtendedKeyUsage)) {
    // CA/B Forum BR 7.1.2.7.10 (subscriber certificates): "anyExtendedKeyUsage MUST NOT be present".
    return failure('wrong-extended-key-usage', 'extendedKeyUsage includes anyExtendedKeyUsage');
  }
  const mailboxes = (c.subjectAltName?.names ?? []).flatMap((n) => (n.kind === 'rfc822' ? [n.value] : []));
  if (e2ed) {
    // E2ED-CERT-13: "exactly one rfc822Name, ASCII, valid user-ID syntax; an e-mail address only in
    // the subject DN does not count".
    if (mailboxes.length !== 1) return failure('missing-user-id', `${mailboxes.length} rfc822Names in subjectAltName`);
    const id = mailboxes[0]!;
    if (!isValidUserId(id)) return failure('missing-user-id', `rfc822Name "${id}" is not a valid user ID`);
    if (opts.expectedUserId !== undefined && !userIdsEqual(id, opts.expectedUserId)) {
      return failure('identity-mismatch', `certificate names ${id}, expected ${opts.expectedUserId}`);
    }
    return { userId: id };
  }
  if (opts.expectedUserId !== undefined) {
    const id = mailboxes.find((m) => userIdsEqual(m, opts.expectedUserId!));
    if (id === undefined) return failure('identity-mismatch', `no rfc822Name equals ${opts.expectedUserId}`);
    return { userId: id };
  }
  return { userId: mailboxes.length === 1 ? mailboxes[0] : undefined };
}

// ---------------------------------------------------------------------------------------------
// Path building

interface Node {
  readonly cert: LoadedCert;
  readonly anchor: boolean;
}

/** Validates a presented chain (leaf first, DER). Never throws. */
export function validateChain(presented: readonly Buffer[], opts: ValidationOptions): ValidationResult {
  try {
    return validateUnsafe(presented, opts);
  } catch (err) {
    // Defence in depth: bad input must never escape as an exception.
    return result(failure('unparseable-certificate', `unexpected: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function validateUnsafe(presented: readonly Buffer[], opts: ValidationOptions): ValidationResult {
  const profile: Profile = opts.profile ?? 'e2ed';
  if (!Array.isArray(presented) || presented.length === 0) return result(failure('empty-chain', 'no certificate presented'));
  // E2ED-CERT-25: "at most 8 certificates, each at most 16 KiB DER".
  if (presented.length > MAX_PRESENTED_CERTIFICATES) {
    return result(failure('chain-too-long', `${presented.length} certificates presented (at most ${MAX_PRESENTED_CERTIFICATES})`));
  }
  for (let i = 0; i < presented.length; i++) {
    const der = presented[i] as unknown;
    if ((Buffer.isBuffer(der) || der instanceof Uint8Array) && der.length > MAX_CERTIFICATE_BYTES) {
      return result(failure('certificate-too-large', `certificate ${i}: ${der.length} bytes > ${MAX_CERTIFICATE_BYTES}`));
    }
  }
  const loadedPresented: LoadedCert[] = [];
  for (let i = 0; i < presented.length; i++) {
    const l = loadCertificate(presented[i], `certificate ${i}`);
    if (isFailure(l)) return result(l);
    loadedPresented.push(l);
  }
  const time = floorToSecond(opts.time);
  // An unusable validation time must not make every validity check vacuously true.
  if (!Number.isFinite(time)) return result(failure('expired', 'validation time is not a valid date'));
  const leaf = loadedPresented[0]!;

  const leafFailure = checkCertificate(leaf.parsed, 'leaf', profile, time);
  if (leafFailure) return result(leafFailure);
  const ee = checkEndEntity(leaf.parsed, opts, profile);
  if ('reason' in ee) return result(ee);
  if (leaf.key === undefined) return result(failure('unsupported-key-type', 'leaf public key not usable'));

  // Candidate pool, indexed by subject Name (RFC 5280 7.1 comparison key). Local configuration that
  // does not load is left out: it cannot be an issuer, and unused certificates are never judged.
  const bySubject = new Map<string, Node[]>();
  const seen = new Set<string>();
  const add = (c: LoadedCert, anchor: boolean) => {
    const k = `${anchor ? 'A' : 'I'}${c.parsed.fingerprint}`;
    if (seen.has(k)) return;
    seen.add(k);
    const list = bySubject.get(c.parsed.subject.key) ?? [];
    list.push({ cert: c, anchor });
    bySubject.set(c.parsed.subject.key, list);
  };
  for (const der of opts.trustAnchors) {
    const l = loadCertificate(der, 'trust anchor');
    if (!isFailure(l)) add(l, true);
  }
  for (const c of loadedPresented.slice(1)) add(c, false);
  for (const der of opts.intermediates ?? []) {
    const l = loadCertificate(der, 'intermediate');
    if (!isFailure(l)) add(l, false);
  }
  // Candidate order among certificates of one subject (RFC 4158 3.5, prioritisation): trust anchors
  // first; then by how few certificates their issuer is, by name, from a trust anchor (hops below);
  // then those valid at the validation time before expired ones. Order only decides which path is
  // tried first -- every path within the bounds is still tried -- but in a mesh of cross-signed CAs
  // it leads straight to the exit instead of around the mesh.
  const hops = new Map<string, number>();
  for (const list of bySubject.values()) for (const n of list) if (n.anchor) hops.set(n.cert.parsed.subject.key, 0);
  // Relaxation over the names in the pool: at most one round per subject, plus one to see no change.
  for (let changed = true, round = 0; changed && round <= bySubject.size; round++) {
    changed = false;
    for (const list of bySubject.values()) {
      for (const n of list) {
        const above = hops.get(n.cert.parsed.issuer.key);
        if (n.anchor || above === undefined) continue;
        const here = hops.get(n.cert.parsed.subject.key);
        if (here === undefined || above + 1 < here) {
          hops.set(n.cert.parsed.subject.key, above + 1);
          changed = true;
        }
      }
    }
  }
  const rank = (n: Node): number =>
    n.anchor ? 0 : 1 + 2 * (hops.get(n.cert.parsed.issuer.key) ?? NO_PATH_BY_NAME) + (checkValidity(n.cert.parsed, time) === undefined ? 0 : 1);
  for (const list of bySubject.values()) list.sort((a, b) => rank(a) - rank(b));

  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const state = {
    candidates: MAX_CANDIDATES,
    signatures: MAX_SIGNATURE_CHECKS,
    signaturePairs: new Set<string>(),
    best: undefined as Failure | undefined,
    bestDepth: -1,
    checked: new Map<string, Failure | null>(),
    exhausted: false,
    /** A candidate was left out only because of the current depth limit (a deeper pass may use it). */
    cut: false,
  };
  // The failure reported when no path is found: the one met deepest, except that a branch ending for
  // want of an (unvisited) issuer says less than a certificate found wrong, so any specific failure
  // is preferred to it -- a cycle whose one exit has expired is refused as expired.
  const weight = (f: Failure, depth: number) => depth + (f.reason === 'unknown-issuer' ? 0 : 1024);
  const note = (f: Failure, depth: number) => {
    if (weight(f, depth) > state.bestDepth) {
      state.best = f;
      state.bestDepth = weight(f, depth);
    }
  };

  // RFC 4158 5.2 (loop detection): a path never holds the same certificate twice, nor two
  // certificates of one logical CA (same subject and same public key). Cross-signed CAs that certify
  // each other, in cycles of any length, therefore end each branch after one round.
  const logical = (c: ParsedCertificate) => `${c.subject.key}/${c.spkiDer.toString('hex')}`;
  const path: Node[] = [{ cert: leaf, anchor: false }];
  const onPath = new Set<string>([leaf.parsed.fingerprint]);
  const onPathCa = new Set<string>();
  const inLoop = (p: ParsedCertificate) => onPath.has(p.fingerprint) || onPathCa.has(logical(p));

  const search = (limit: number): Node[] | undefined => {
    const child = path[path.length - 1]!.cert.parsed;
    const candidates = bySubject.get(child.issuer.key) ?? [];
    for (const cand of candidates) {
      const p = cand.cert.parsed;
      if (inLoop(p)) continue;
      if (--state.candidates < 0) {
        state.exhausted = true;
        return undefined;
      }
      const depth = path.length + 1;
      // E2ED-CERT-4: "when both present, AKI keyIdentifier equals the issuer's SKI".
      const aki = child.authorityKeyId?.keyId;
      if (aki !== undefined && p.subjectKeyId !== undefined && !aki.equals(p.subjectKeyId.id)) {
        note(failure('key-identifier-mismatch', 'authorityKeyIdentifier does not match the candidate issuer'), depth);
        continue;
      }
      // E2ED-CERT-21 and limbo's max_chain_depth (intermediates that are not self-issued). Paths are
      // searched shortest first (iterative deepening): a pass with a lower limit only records that
      // it left a longer path untried, so "too long" is the verdict only when no path within the
      // real bound exists.
      if (depth > limit) {
        if (limit >= maxDepth) note(failure('path-too-long', `path would exceed ${maxDepth} certificates`), depth);
        else state.cut = true;
        continue;
      }
      const intermediates = path.slice(1).map((n) => n.cert.parsed);
      if (!cand.anchor) intermediates.push(p);
      if (opts.maxIntermediates !== undefined && intermediates.filter((c) => !c.selfIssued).length > opts.maxIntermediates) {
        note(failure('path-too-long', `more than ${opts.maxIntermediates} intermediates`), depth);
        continue;
      }
      const role: Role = cand.anchor ? 'anchor' : 'ca';
      const cacheKey = role + p.fingerprint;
      let own = state.checked.get(cacheKey);
      if (own === undefined) {
        own = checkCertificate(p, role, profile, time) ?? checkSelfSignedKeyIdentifiers(cand.cert) ?? null;
        state.checked.set(cacheKey, own);
      }
      if (own !== null) {
        note(own, depth);
        continue;
      }
      // E2ED-CERT-19 / RFC 5280 4.2.1.9: pathLenConstraint "gives the maximum number of non-self-issued
      // intermediate certificates that may follow this certificate in a valid certification path".
      const pathLen = p.basicConstraints?.pathLen;
      const below = path.slice(1).filter((n) => !n.cert.parsed.selfIssued).length;
      if (pathLen !== undefined && below > pathLen) {
        note(failure('path-length-exceeded', `pathLenConstraint ${pathLen} with ${below} intermediates below`), depth);
        continue;
      }
      // E2ED-CERT-7 (the child's signature algorithm) and E2ED-CERT-5 (the signature itself).
      const alg = checkSignatureAlgorithm(child, profile, opts.allowedSignatureAlgorithms);
      if (alg) {
        note(alg, depth - 1);
        continue;
      }
      if (cand.cert.key === undefined) {
        note(failure('unsupported-key-type', 'issuer public key not usable'), depth);
        continue;
      }
      // The signature budget counts distinct (certificate, issuer) pairs: a later pass that meets the
      // same pair again reuses the result.
      const pair = `${child.fingerprint}/${p.fingerprint}`;
      if (!state.signaturePairs.has(pair)) {
        if (--state.signatures < 0) {
          state.exhausted = true;
          return undefined;
        }
        state.signaturePairs.add(pair);
      }
      const verified = signatureVerifies(path[path.length - 1]!.cert, cand.cert);
      if (!verified) {
        note(failure('bad-signature', 'signature does not verify under the candidate issuer key'), depth);
        continue;
      }
      path.push(cand);
      onPath.add(p.fingerprint);
      onPathCa.add(logical(p));
      let found: Node[] | undefined;
      if (cand.anchor) {
        const whole = checkWholePath(path, opts, time, profile);
        if (whole === undefined) found = path.slice();
        else note(whole, depth);
      } else {
        found = search(limit);
      }
      path.pop();
      onPath.delete(p.fingerprint);
      onPathCa.delete(logical(p));
      if (found) return found;
      if (state.exhausted) return undefined;
    }
    if (candidates.every((c) => inLoop(c.cert.parsed))) {
      const d = path.length;
      if (path.length === 1 && child.selfIssued) note(failure('self-signed-leaf', 'self-issued leaf is not a trust anchor'), d);
      else note(failure('unknown-issuer', `no issuer found for ${describeName(child)}`), d);
    }
    return undefined;
  };

  let found: Node[] | undefined;
  for (let limit = Math.min(2, maxDepth); limit <= maxDepth && found === undefined && !state.exhausted; limit++) {
    state.cut = false;
    found = search(limit);
    // No candidate was left out for depth: a deeper pass would search the same tree again.
    if (!state.cut) break;
  }
  if (found === undefined) {
    if (state.exhausted && state.best === undefined) return result(failure('path-building-limit', 'path building budget exhausted'));
    return result(state.best ?? failure('unknown-issuer', 'no path to a trust anchor'));
  }
  // E2ED-CERT-24: "the leaf is not revoked according to IRP status"; E2ED-CERT-30: `unknown` is
  // bad_certificate, a status that cannot be established fails closed with internal_error.
  if (opts.revocationStatus !== undefined) {
    let status: RevocationStatus;
    try {
      status = opts.revocationStatus(leaf.x509);
    } catch {
      status = 'unavailable';
    }
    if (status === 'revoked') return result(failure('revoked', 'leaf revoked according to the registry'));
    if (status === 'unknown') return result(failure('status-unknown', 'the registry did not issue the leaf (status unknown)'));
    if (status === 'unavailable') return result(failure('status-unavailable', 'the status of the leaf could not be obtained from the registry'));
  } else if (opts.isRevoked !== undefined) {
    let revoked: boolean;
    try {
      revoked = opts.isRevoked(leaf.x509);
    } catch {
      return result(failure('bad-revocation-data', 'revocation status unavailable'));
    }
    if (revoked) return result(failure('revoked', 'leaf revoked according to the registry'));
  }
  return {
    ok: true,
    userId: ee.userId,
    leaf: leaf.x509,
    publicKey: leaf.key,
    path: found.map((n) => n.cert.x509),
  };
}

function describeName(c: ParsedCertificate): string {
  const cn = c.issuer.rdns.flat().find((a) => a.type === OID.commonName)?.text;
  return cn === undefined ? 'the certificate' : `issuer CN=${cn}`;
}

/**
 * Profile e2ed reads a name under rfc822 constraints as an RFC 5321 Mailbox, or as a valid user ID
 * (E2ED-CERT-13, docs/spec.md 3.6): the user-ID syntax admits local parts that are not dot-strings
 * (".alice", "a..b"), and its one "@" leaves no doubt about the domain the constraint is about, so a
 * user the profile allows is judged on its domain like any mailbox (E2ED-CERT-20).
 */
function readE2edMailbox(m: string): Mailbox | undefined {
  const mailbox = parseMailbox(m);
  if (mailbox !== undefined || !isValidUserId(m)) return mailbox;
  const at = m.indexOf('@');
  return { local: m.slice(0, at), domain: m.slice(at + 1).toLowerCase() };
}

/** Checks that need the complete path, anchor first: name constraints and CRLs. */
function checkWholePath(path: readonly Node[], opts: ValidationOptions, time: number, profile: Profile): Failure | undefined {
  // RFC 5280 6.1.3 (b)/(c) with 6.1.4 (g): constraints of each CA apply to every later certificate;
  // "Name constraints are not applied to self-issued certificates (unless the certificate is the final
  // certificate in the path)". The anchor's own constraints apply too (as web PKI validators do).
  const constraints: NameConstraints[] = [];
  const budget = { left: MAX_NAME_CONSTRAINT_CHECKS };
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i]!.cert.parsed;
    if (i < path.length - 1 && (i === 0 || !c.selfIssued)) {
      const nc = checkNames(c, constraints, budget, profile === 'e2ed' ? readE2edMailbox : parseMailbox);
      if (nc) return failure(nc.reason, nc.detail);
    }
    if (c.nameConstraints !== undefined) constraints.push(c.nameConstraints);
  }
  // Profile rfc5280: RFC 5280 6.1 policy processing with a relying party's default inputs.
  if (profile === 'rfc5280') {
    const pol = processPolicies(path.map((n) => n.cert.parsed).reverse());
    if (pol) return failure(pol.reason, pol.detail);
  }
  if (opts.crls !== undefined && opts.crls.length > 0) {
    const crl = checkCrls(
      path.map((n) => n.cert),
      opts.crls,
      time,
    );
    if (crl) return failure(crl.reason, crl.detail);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// CRLs (RFC 5280 6.3), checked for every certificate of the path below the anchor.

const CRL_NUMBER = '2.5.29.20';
const CRL_RECOGNISED = new Set<string>([CRL_NUMBER, OID.authorityKeyIdentifier]);

const HASH_OF_SIGNATURE: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

function verifyCrlSignature(crl: ParsedCrl, key: KeyObject): boolean {
  try {
    const oid = crl.signatureAlgorithm.oid;
    if (oid === '1.2.840.113549.1.1.10') {
      const h = pssHash(crl.signatureAlgorithm.params);
      const name = h === SHA256 ? 'sha256' : h === SHA384 ? 'sha384' : h === SHA512 ? 'sha512' : undefined;
      if (name === undefined) return false;
      return cryptoVerify(
        name,
        crl.tbs,
        { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO },
        crl.signature,
      );
    }
    const hash = HASH_OF_SIGNATURE[oid];
    if (hash === undefined) return false;
    return cryptoVerify(hash, crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}

/** Why the CRL's CRLNumber (RFC 5280 5.2.3) is unusable, or undefined when it is fine. */
function crlNumberProblem(crl: ParsedCrl): string | undefined {
  const numbers = crl.extensions.filter((e) => e.oid === CRL_NUMBER);
  if (numbers.length === 0) return 'CRL without CRLNumber';
  // 5.2: "a CRL MUST NOT include more than one instance of a particular extension" (as 4.2 for certificates).
  if (numbers.length > 1) return 'CRL with more than one CRLNumber';
  let value: Buffer;
  try {
    value = readIntegerBytes(readWhole(numbers[0]!.value));
  } catch {
    return 'CRLNumber is not a DER INTEGER';
  }
  if ((value[0]! & 0x80) !== 0) return 'negative CRLNumber';
  // Up to 20 octets of value: a leading zero octet that only keeps the sign positive is not counted.
  const significant = value[0] === 0 && value.length > 1 ? value.length - 1 : value.length;
  if (significant > 20) return `CRLNumber of ${significant} octets`;
  return undefined;
}

const crlCache = new Map<string, ParsedCrl | null>();

function loadCrl(der: Buffer): ParsedCrl | null {
  const fp = fingerprintOf(der);
  let hit = crlCache.get(fp);
  if (hit === undefined) {
    try {
      hit = parseCrl(der);
    } catch {
      hit = null;
    }
    crlCache.set(fp, hit);
    if (crlCache.size > 64) crlCache.delete(crlCache.keys().next().value!);
  }
  return hit;
}

function checkCrls(path: readonly LoadedCert[], crls: readonly Buffer[], time: number): Failure | undefined {
  void time; // CRL freshness (thisUpdate/nextUpdate) is not judged: see docs/limbo.md
  const parsed = crls.map(loadCrl);
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!.parsed;
    const issuer = path[i + 1]!;
    for (const crl of parsed) {
      if (crl === null || crl.issuer.key !== cert.issuer.key) continue;
      // RFC 5280 6.3.3 (f)/(g): the CRL must be signed by the certificate's issuer; a CRL signed by
      // another key (another CA of the same name) says nothing about this certificate.
      if (issuer.key === undefined || !verifyCrlSignature(crl, issuer.key)) continue;
      // 6.3.3 (f): "If a key usage extension is present in the CRL issuer's certificate, verify that
      // the cRLSign bit is set."
      if (issuer.parsed.keyUsage !== undefined && !hasKeyUsage(issuer.parsed, 'cRLSign')) {
        return failure('bad-revocation-data', 'CRL issuer keyUsage lacks cRLSign');
      }
      if (!crl.tbsSignature.raw.equals(crl.signatureAlgorithm.raw)) return failure('bad-revocation-data', 'CRL signature algorithms differ');
      for (const e of crl.extensions) {
        // 5.2.3: the CRL number extension "MUST be marked as non-critical"; 5.2: an unrecognised
        // critical CRL extension makes the CRL unusable.
        if (e.oid === CRL_NUMBER && e.critical) return failure('bad-revocation-data', 'critical CRLNumber');
        if (e.critical && !CRL_RECOGNISED.has(e.oid)) return failure('bad-revocation-data', `critical CRL extension ${e.oid}`);
      }
      // 5.2.3: "CRL issuers conforming to this profile MUST include this extension in all CRLs"; the
      // value is "a non-negative integer" and "CRL verifiers MUST be able to handle CRLNumber values
      // up to 20 octets. Conforming CRL issuers MUST NOT use CRLNumber values longer than 20 octets."
      // A CRL without one (a v1 CRL among them) is not a CRL of this profile, so the status of the
      // certificate cannot be established from it (fail closed, as for a critical CRLNumber).
      const number = crlNumberProblem(crl);
      if (number !== undefined) return failure('bad-revocation-data', number);
      if (crl.criticalEntryExtension !== undefined) return failure('bad-revocation-data', `critical CRL entry extension ${crl.criticalEntryExtension}`);
      if (crl.revokedSerials.has(cert.serial.toString('hex'))) return failure('revoked', `serial ${cert.serial.toString('hex')} is on the CRL`);
    }
  }
  return undefined;
}
