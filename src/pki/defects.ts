// The defect catalogue: certificate chains that break exactly one rule of the E2ED certificate
// profile (docs/spec.md "Certificate profile", E2ED-CERT-1..25), each with the requirement it
// breaks and the one alert the specification requires for it. Cases are data with stable
// kebab-case ids (never renumbered); `build` makes the chain from a run's TestPki, so every run
// has its own keys but the same seed always gives the same bytes.
//
// Each case keeps everything else correct, so a validator that rejects it for the right reason
// gives exactly the catalogue's alert. `opensslChecks` says whether `openssl verify -x509_strict
// -purpose sslclient` (OpenSSL 3.0) rejects the chain; it was determined empirically
// (test/pki/openssl.test.ts) and docs/pki.md explains the cases OpenSSL does not check.
import { createHash } from 'node:crypto';
import type { AlertName } from '../protocol/alerts.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  der,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
  testName,
  type Extension,
  type SignatureAlgorithmName,
} from './cert-builder.js';
import { CertificateAuthority, createRootCa, deriveSerial, type EndEntityOptions, type TestPki } from './ca.js';
import { deriveWeakPublicKey, keySeed } from './keys.js';
import { OID } from './oids.js';

export interface DefectCase {
  /** The chain as a peer presents it: leaf first, DER (possibly not valid DER). */
  chain: Buffer[];
  /** Trust anchors the validator is configured with (DER). */
  anchors: Buffer[];
  /** The user ID the peer claims / the initiator intended (E2ED-CERT-14). */
  expectedUserId: string | undefined;
  /** Validation time; default: the PKI's reference time. */
  time?: Date;
  /** The responder certificate is used for rsa-oaep key transport (E2ED-CERT-11). */
  requireKeyEncipherment?: boolean;
  /** Lower-case hex serial numbers the IRP status reports as revoked (E2ED-CERT-24). */
  revokedSerials?: string[];
}

export interface Defect {
  /** Stable kebab-case id. */
  id: string;
  title: string;
  /** The E2ED-CERT requirement the chain violates. */
  requirement: string;
  /** The alert the specification requires when that requirement is violated. */
  alert: AlertName;
  build(pki: TestPki): DefectCase;
  /** Whether `openssl verify -x509_strict -purpose sslclient` rejects the chain. */
  opensslChecks: boolean;
  opensslNote?: string;
}

/** The user every defect leaf is (or claims to be) issued for. */
export function defectUserId(pki: TestPki): string {
  return `alice@${pki.domain}`;
}

/** The time a case is validated at. */
export function caseTime(pki: TestPki, c: DefectCase): Date {
  return c.time ?? pki.referenceTime;
}

function leafKey(pki: TestPki) {
  return pki.key('defect/leaf', 'p256');
}

/** A leaf in the E2ED user profile for the defect user, from the users CA unless told otherwise. */
function leaf(pki: TestPki, id: string, opts: Partial<EndEntityOptions> = {}, issuer = pki.intermediates.users): Buffer {
  return issuer.issueEndEntity({
    label: `defect/${id}`,
    userId: defectUserId(pki),
    spki: leafKey(pki).spki,
    rsa: false,
    validity: pki.endEntityValidity,
    ...opts,
  });
}

/** The usual case: [leaf, users CA], anchored at the root, expecting the defect user. */
function usual(pki: TestPki, leafDer: Buffer, extra: Partial<DefectCase> = {}): DefectCase {
  return {
    chain: [leafDer, pki.intermediates.users.der],
    anchors: pki.anchors,
    expectedUserId: defectUserId(pki),
    ...extra,
  };
}

function caValidity(pki: TestPki) {
  return pki.validity(-4, 10);
}

/** A CA under the root for one defect (P-256, pathLen 0 unless told otherwise). */
function defectCa(
  pki: TestPki,
  id: string,
  opts: { pathLen?: number | undefined; editExtensions?: (e: Extension[]) => Extension[]; parent?: CertificateAuthority } = {},
): CertificateAuthority {
  const parent = opts.parent ?? pki.root;
  return parent.issueCa({
    label: `defect/${id}/ca`,
    commonName: `sixbench defect CA (${id})`,
    key: pki.key(`defect/${id}/ca`, 'p256'),
    validity: caValidity(pki),
    pathLen: 'pathLen' in opts ? opts.pathLen : 0,
    editExtensions: opts.editExtensions,
  });
}

/**
 * CAs that certify each other in a ring, none of them by the root: names[i] is issued by
 * names[i + 1], the last by the first. Returns the CA certificates in the order of `names`.
 */
function ringCas(pki: TestPki, id: string, names: readonly string[]): CertificateAuthority[] {
  const keys = names.map((n) => pki.key(`defect/${id}/${n}`, 'p256'));
  const commonNames = names.map((n) => `sixbench ${id} CA ${n}`);
  const stubs = names.map((n, i) => new CertificateAuthority(pki.seed, `defect/${id}/${n}`, testName(commonNames[i]!), keys[i]!, Buffer.alloc(0)));
  return names.map((n, i) =>
    stubs[(i + 1) % names.length]!.issueCa({ label: `defect/${id}/${n}`, commonName: commonNames[i]!, key: keys[i]!, validity: caValidity(pki) }),
  );
}

/** A case whose leaf comes from a CA made for the defect: [leaf, ca]. */
function viaCa(pki: TestPki, id: string, ca: CertificateAuthority): DefectCase {
  return {
    chain: [leaf(pki, id, {}, ca), ca.der],
    anchors: pki.anchors,
    expectedUserId: defectUserId(pki),
  };
}

/** A leaf signed by the RSA CA with a weak hash: [leaf, RSA CA]. */
function viaRsaCa(pki: TestPki, id: string, algorithm: SignatureAlgorithmName): DefectCase {
  const rsaCa = pki.intermediates.rsa;
  return { chain: [leaf(pki, id, { algorithm }, rsaCa), rsaCa.der], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
}

const without = (oid: string) => (extensions: Extension[]) => extensions.filter((e) => e.oid !== oid);
const replacing = (replacement: Extension) => (extensions: Extension[]) =>
  extensions.map((e) => (e.oid === replacement.oid ? replacement : e));

/** The valid chain every defect is a variation of; a conforming validator accepts it. */
export function buildValidCase(pki: TestPki): DefectCase {
  return usual(pki, leaf(pki, 'valid'));
}

export const VALID_CASE_ID = 'valid';

const NOT_CHECKED_PROFILE = 'E2ED profile rule beyond RFC 5280 / the sslclient purpose';

export const DEFECTS: readonly Defect[] = [
  // ---- E2ED-CERT-1: version ----
  {
    id: 'v1-with-extensions',
    title: 'version field omitted (v1) but the certificate carries extensions',
    requirement: 'E2ED-CERT-1',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'v1-with-extensions', { version: null })),
    opensslChecks: true,
  },
  {
    id: 'v2-with-extensions',
    title: 'version v2 with extensions',
    requirement: 'E2ED-CERT-1',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'v2-with-extensions', { version: 1 })),
    opensslChecks: true,
  },
  {
    id: 'v1-leaf',
    title: 'v1 leaf certificate without any extension',
    requirement: 'E2ED-CERT-1',
    alert: 'bad_certificate',
    build: (pki) => {
      const users = pki.intermediates.users;
      const spki = leafKey(pki).spki;
      const v1 = users.issue({
        label: 'defect/v1-leaf',
        version: null,
        subject: testName(defectUserId(pki)),
        spki,
        validity: pki.endEntityValidity,
        extensions: undefined,
      });
      return usual(pki, v1);
    },
    opensslChecks: false,
    opensslNote: 'RFC 5280 still allows v1 certificates without extensions; -x509_strict only refuses extensions in a non-v3 certificate.',
  },

  // ---- E2ED-CERT-2: validity ----
  {
    id: 'expired',
    title: 'leaf notAfter before the validation time',
    requirement: 'E2ED-CERT-2',
    alert: 'certificate_expired',
    build: (pki) => usual(pki, leaf(pki, 'expired', { validity: pki.validity(-3, -1) })),
    opensslChecks: true,
  },
  {
    id: 'not-yet-valid',
    title: 'leaf notBefore after the validation time',
    requirement: 'E2ED-CERT-2',
    alert: 'certificate_expired',
    build: (pki) => usual(pki, leaf(pki, 'not-yet-valid', { validity: pki.validity(1, 3) })),
    opensslChecks: true,
  },
  {
    id: 'expired-intermediate',
    title: 'intermediate CA expired before the validation time (leaf itself in validity)',
    requirement: 'E2ED-CERT-2',
    alert: 'certificate_expired',
    build: (pki) =>
      viaCa(
        pki,
        'expired-intermediate',
        pki.root.issueCa({
          label: 'defect/expired-intermediate/ca',
          commonName: 'sixbench defect CA (expired-intermediate)',
          key: pki.key('defect/expired-intermediate/ca', 'p256'),
          validity: pki.validity(-4, -0.5),
          pathLen: 0,
        }),
      ),
    opensslChecks: true,
  },

  // ---- E2ED-CERT-3: path to a trust anchor ----
  {
    id: 'untrusted-root',
    title: 'chain ends at a self-signed root that is not a configured trust anchor',
    requirement: 'E2ED-CERT-3',
    alert: 'unknown_ca',
    build: (pki) => {
      const rogue = createRootCa(pki.seed, 'defect/rogue-root', 'rogue root CA', pki.key('defect/rogue-root', 'p256'), caValidity(pki));
      return { chain: [leaf(pki, 'untrusted-root', {}, rogue), rogue.der], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: true,
  },
  {
    id: 'self-signed-leaf',
    title: 'self-signed end-entity certificate for the user',
    requirement: 'E2ED-CERT-3',
    alert: 'unknown_ca',
    build: (pki) => {
      const key = leafKey(pki);
      const self = new CertificateAuthority(pki.seed, 'defect/self-signed-leaf', testName(defectUserId(pki)), key, Buffer.alloc(0));
      return { chain: [leaf(pki, 'self-signed-leaf', {}, self)], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: true,
  },
  {
    id: 'missing-intermediate',
    title: 'leaf presented without the intermediate that issued it',
    requirement: 'E2ED-CERT-3',
    alert: 'unknown_ca',
    build: (pki) => ({ ...usual(pki, Buffer.alloc(0)), chain: [leaf(pki, 'missing-intermediate')] }),
    opensslChecks: true,
  },
  {
    id: 'chain-loop',
    title: 'two CAs that issued each other: the path loops and never reaches the anchor',
    requirement: 'E2ED-CERT-3',
    alert: 'unknown_ca',
    build: (pki) => {
      const keyA = pki.key('defect/chain-loop/a', 'p256');
      const keyB = pki.key('defect/chain-loop/b', 'p256');
      const nameA = testName('sixbench loop CA A');
      const nameB = testName('sixbench loop CA B');
      const stubA = new CertificateAuthority(pki.seed, 'defect/chain-loop/a', nameA, keyA, Buffer.alloc(0));
      const stubB = new CertificateAuthority(pki.seed, 'defect/chain-loop/b', nameB, keyB, Buffer.alloc(0));
      const caA = stubB.issueCa({ label: 'defect/chain-loop/a', commonName: 'sixbench loop CA A', key: keyA, validity: caValidity(pki) });
      const caB = stubA.issueCa({ label: 'defect/chain-loop/b', commonName: 'sixbench loop CA B', key: keyB, validity: caValidity(pki) });
      return { chain: [leaf(pki, 'chain-loop', {}, caA), caA.der, caB.der], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: true,
  },
  {
    id: 'chain-loop-three',
    title: 'three CAs that issued each other in a ring: the path loops and never reaches the anchor',
    requirement: 'E2ED-CERT-3',
    alert: 'unknown_ca',
    build: (pki) => {
      // A <- B <- C <- A: a cycle of three logical CAs (RFC 4158 5.2), none certified by the root.
      const [a, b, c] = ringCas(pki, 'chain-loop-three', ['A', 'B', 'C']);
      return { chain: [leaf(pki, 'chain-loop-three', {}, a!), a!.der, b!.der, c!.der], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: true,
  },
  {
    id: 'chain-loop-expired-exit',
    title: "two CAs that issued each other; the one certificate linking the cycle to the root has expired",
    requirement: 'E2ED-CERT-2',
    alert: 'certificate_expired',
    build: (pki) => {
      // A <-> B, and B certified by the root but expired: the validator must leave the cycle by its
      // exit and report the expiry there, not a loop (E2ED-CERT-3) nor a path that is too long.
      const [a, b] = ringCas(pki, 'chain-loop-expired-exit', ['A', 'B']);
      const exit = pki.root.issueCa({
        label: 'defect/chain-loop-expired-exit/b-by-root',
        commonName: 'sixbench chain-loop-expired-exit CA B',
        key: b!.key,
        validity: pki.validity(-4, -0.5),
        pathLen: undefined,
      });
      return {
        chain: [leaf(pki, 'chain-loop-expired-exit', {}, a!), a!.der, b!.der, exit.der],
        anchors: pki.anchors,
        expectedUserId: defectUserId(pki),
      };
    },
    opensslChecks: true,
  },

  // ---- E2ED-CERT-4: issuer name and key identifier chaining ----
  {
    id: 'wrong-issuer-name',
    title: "leaf's issuer name differs from its issuer's subject (signature and AKI still match)",
    requirement: 'E2ED-CERT-4',
    alert: 'unknown_ca',
    build: (pki) => usual(pki, leaf(pki, 'wrong-issuer-name', { issuerName: testName('sixbench users CA (elsewhere)') })),
    opensslChecks: true,
  },
  {
    id: 'aki-ski-mismatch',
    title: "leaf's authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier",
    requirement: 'E2ED-CERT-4',
    alert: 'unknown_ca',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'aki-ski-mismatch', {
          editExtensions: replacing(authorityKeyIdentifierExtension(createHash('sha1').update('not the issuer').digest())),
        }),
      ),
    opensslChecks: true,
  },
  {
    id: 'anchor-aki-ski-mismatch',
    title: "the self-signed trust anchor's authorityKeyIdentifier differs from its own subjectKeyIdentifier",
    requirement: 'E2ED-CERT-4',
    alert: 'unknown_ca',
    build: (pki) => {
      // The root re-issued with its own name and key, plus an AKI naming another key: a self-signed
      // certificate is its own issuer, so E2ED-CERT-4 compares its AKI with its own SKI.
      const self = new CertificateAuthority(pki.seed, 'defect/anchor-aki-ski-mismatch/root', pki.root.name, pki.root.key, Buffer.alloc(0));
      const anchor = self.issue({
        label: 'defect/anchor-aki-ski-mismatch/root',
        subject: pki.root.name,
        spki: pki.root.key.spki,
        validity: pki.validity(-5, 15),
        extensions: [
          subjectKeyIdentifierExtension(pki.root.ski),
          authorityKeyIdentifierExtension(createHash('sha1').update('not this root').digest()),
          basicConstraintsExtension(true, undefined, true),
          keyUsageExtension(['keyCertSign', 'cRLSign'], true),
        ],
      });
      return { ...usual(pki, leaf(pki, 'anchor-aki-ski-mismatch')), anchors: [anchor] };
    },
    opensslChecks: true,
  },

  // ---- E2ED-CERT-5 / 6 / 7: signatures ----
  {
    id: 'bad-signature',
    title: "leaf signature does not verify under the issuer's key (one bit flipped)",
    requirement: 'E2ED-CERT-5',
    alert: 'bad_certificate',
    build: (pki) => {
      const good = leaf(pki, 'bad-signature');
      const bad = Buffer.from(good);
      // The last octet lies inside the ECDSA s INTEGER: the DER stays valid, the value does not.
      bad[bad.length - 1]! ^= 0x01;
      return usual(pki, bad);
    },
    opensslChecks: true,
  },
  {
    id: 'signed-by-other-key',
    title: 'leaf names the users CA as issuer (name and AKI) but is signed by another key',
    requirement: 'E2ED-CERT-5',
    alert: 'bad_certificate',
    build: (pki) => {
      const users = pki.intermediates.users;
      const impostor = new CertificateAuthority(pki.seed, 'defect/impostor', users.name, pki.key('defect/impostor', 'p256'), Buffer.alloc(0));
      return usual(
        pki,
        leaf(pki, 'signed-by-other-key', { editExtensions: replacing(authorityKeyIdentifierExtension(users.ski)) }, impostor),
      );
    },
    opensslChecks: true,
  },
  {
    id: 'sigalg-mismatch',
    title: 'tbsCertificate says ecdsa-with-SHA384, the outer signatureAlgorithm ecdsa-with-SHA256',
    requirement: 'E2ED-CERT-6',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'sigalg-mismatch', { innerAlgorithm: 'ecdsa-with-SHA384' })),
    opensslChecks: true,
  },
  {
    id: 'md5-signature',
    title: 'leaf signed with md5WithRSAEncryption',
    requirement: 'E2ED-CERT-7',
    alert: 'insufficient_security',
    build: (pki) => viaRsaCa(pki, 'md5-signature', 'md5WithRSAEncryption'),
    opensslChecks: false,
    opensslNote: 'openssl verify applies no security level to signatures and keys unless given -auth_level; with -auth_level 1 it fails ("CA signature digest algorithm too weak").',
  },
  {
    id: 'sha1-signature',
    title: 'leaf signed with sha1WithRSAEncryption',
    requirement: 'E2ED-CERT-7',
    alert: 'insufficient_security',
    build: (pki) => viaRsaCa(pki, 'sha1-signature', 'sha1WithRSAEncryption'),
    opensslChecks: false,
    opensslNote: 'openssl verify applies no security level to signatures and keys unless given -auth_level; with -auth_level 1 it fails ("CA signature digest algorithm too weak").',
  },

  // ---- E2ED-CERT-8 / 9: keys ----
  {
    id: 'rsa-1024',
    title: 'leaf key is RSA-1024',
    requirement: 'E2ED-CERT-8',
    alert: 'insufficient_security',
    build: (pki) =>
      usual(pki, leaf(pki, 'rsa-1024', { spki: deriveWeakPublicKey('rsa1024', keySeed(pki.seed, 'defect/rsa-1024')), rsa: true })),
    opensslChecks: false,
    opensslNote: 'openssl verify applies no security level to signatures and keys unless given -auth_level; -auth_level 2 refuses it ("EE certificate key too weak"), level 1 accepts 80-bit keys.',
  },
  {
    id: 'p192-key',
    title: 'leaf key is EC P-192',
    requirement: 'E2ED-CERT-8',
    alert: 'insufficient_security',
    build: (pki) => usual(pki, leaf(pki, 'p192-key', { spki: deriveWeakPublicKey('p192', keySeed(pki.seed, 'defect/p192-key')) })),
    opensslChecks: false,
    opensslNote: 'openssl verify applies no security level to signatures and keys unless given -auth_level; -auth_level 2 refuses it (96-bit security), level 1 accepts it.',
  },
  {
    id: 'rsa-exponent-3',
    title: 'leaf key is RSA-2048 with public exponent 3',
    requirement: 'E2ED-CERT-8',
    alert: 'insufficient_security',
    build: (pki) =>
      usual(pki, leaf(pki, 'rsa-exponent-3', { spki: deriveWeakPublicKey('rsa2048-e3', keySeed(pki.seed, 'defect/rsa-exponent-3')), rsa: true })),
    opensslChecks: false,
    opensslNote: 'OpenSSL accepts any RSA public exponent; E2ED-CERT-8 requires 65537.',
  },
  {
    id: 'ec-explicit-parameters',
    title: 'leaf P-256 key with the curve given as explicit parameters instead of a named curve',
    requirement: 'E2ED-CERT-8',
    alert: 'insufficient_security',
    build: (pki) =>
      usual(pki, leaf(pki, 'ec-explicit-parameters', { spki: deriveWeakPublicKey('p256-explicit', keySeed(pki.seed, 'defect/ec-explicit-parameters')) })),
    opensslChecks: true,
    opensslNote: 'Refused by -x509_strict ("Certificate public key has explicit ECC parameters").',
  },
  {
    id: 'dsa-key',
    title: 'leaf key is DSA-2048',
    requirement: 'E2ED-CERT-9',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'dsa-key', { spki: deriveWeakPublicKey('dsa2048', keySeed(pki.seed, 'defect/dsa-key')) })),
    opensslChecks: false,
    opensslNote: 'DSA is a valid RFC 5280 key type and DSA-2048 meets every security level up to 2; supported key types are application policy.',
  },

  // ---- E2ED-CERT-10 / 11 / 12: key usage and extended key usage ----
  {
    id: 'ku-no-digitalsignature',
    title: 'leaf keyUsage lacks digitalSignature (keyAgreement only)',
    requirement: 'E2ED-CERT-10',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'ku-no-digitalsignature', { keyUsage: ['keyAgreement'] })),
    opensslChecks: false,
    opensslNote: 'The sslclient purpose accepts digitalSignature OR keyAgreement (static-ECDH client certificates); E2ED signs, so it needs digitalSignature.',
  },
  {
    id: 'ku-missing',
    title: 'leaf has no keyUsage extension',
    requirement: 'E2ED-CERT-10',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'ku-missing', { editExtensions: without(OID.keyUsage) })),
    opensslChecks: false,
    opensslNote: 'RFC 5280 makes keyUsage optional for end entities; absent means any usage to OpenSSL.',
  },
  {
    id: 'ku-no-keyencipherment-rsa-kt',
    title: 'RSA responder certificate used for rsa-oaep key transport lacks keyEncipherment',
    requirement: 'E2ED-CERT-11',
    alert: 'unsupported_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'ku-no-keyencipherment-rsa-kt', { spki: pki.key('defect/rsa-leaf', 'rsa2048').spki, rsa: true, keyUsage: ['digitalSignature'] }), {
        requireKeyEncipherment: true,
      }),
    opensslChecks: false,
    opensslNote: 'The sslclient purpose asks for digitalSignature only; key transport to a client key is E2ED-specific.',
  },
  {
    id: 'eku-serverauth-only',
    title: 'leaf extendedKeyUsage is serverAuth only',
    requirement: 'E2ED-CERT-12',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'eku-serverauth-only', { extendedKeyUsage: [OID.serverAuth] })),
    opensslChecks: true,
  },
  {
    id: 'eku-any-only',
    title: 'leaf extendedKeyUsage is anyExtendedKeyUsage only',
    requirement: 'E2ED-CERT-12',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'eku-any-only', { extendedKeyUsage: [OID.anyExtendedKeyUsage] })),
    opensslChecks: true,
  },
  {
    id: 'eku-missing',
    title: 'leaf has no extendedKeyUsage extension',
    requirement: 'E2ED-CERT-12',
    alert: 'unsupported_certificate',
    build: (pki) => usual(pki, leaf(pki, 'eku-missing', { editExtensions: without(OID.extKeyUsage) })),
    opensslChecks: false,
    opensslNote: 'RFC 5280: no extendedKeyUsage means no restriction; the E2ED profile requires an explicit clientAuth.',
  },

  // ---- E2ED-CERT-13: the subjectAltName ----
  {
    id: 'missing-san',
    title: 'leaf has no subjectAltName',
    requirement: 'E2ED-CERT-13',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'missing-san', { altNames: [] })),
    opensslChecks: false,
    opensslNote: NOT_CHECKED_PROFILE + ': without -verify_email OpenSSL does not look for an identity.',
  },
  {
    id: 'email-only-in-subject',
    title: 'user ID only as emailAddress in the subject DN, no subjectAltName',
    requirement: 'E2ED-CERT-13',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'email-only-in-subject', {
          altNames: [],
          subject: testName(defectUserId(pki), [{ oid: OID.emailAddress, value: defectUserId(pki) }]),
        }),
      ),
    opensslChecks: false,
    opensslNote: NOT_CHECKED_PROFILE + ': a subject emailAddress is legal (RFC 5280 4.1.2.6 only discourages it).',
  },
  {
    id: 'san-multiple-rfc822',
    title: 'subjectAltName carries two rfc822Names',
    requirement: 'E2ED-CERT-13',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'san-multiple-rfc822', { altNames: [{ rfc822: defectUserId(pki) }, { rfc822: `alice2@${pki.domain}` }] })),
    opensslChecks: false,
    opensslNote: NOT_CHECKED_PROFILE + ': any number of SAN entries is legal in RFC 5280.',
  },
  {
    id: 'san-bad-syntax',
    title: 'rfc822Name is not a valid user ID (no @)',
    requirement: 'E2ED-CERT-13',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'san-bad-syntax', { altNames: [{ rfc822: `alice.${pki.domain}` }] })),
    opensslChecks: true,
    opensslNote: 'OpenSSL rejects it only because the issuing CA has rfc822 name constraints (unsupported name syntax).',
  },
  {
    id: 'san-non-ascii',
    title: 'rfc822Name with a Cyrillic "а" (UTF-8 octets in an IA5String) instead of the Latin "a"',
    requirement: 'E2ED-CERT-13',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'san-non-ascii', { altNames: [{ rfc822: Buffer.from(`\u0430lice@${pki.domain}`, 'utf8') }] })),
    opensslChecks: false,
    opensslNote: 'OpenSSL does not check that an IA5String holds ASCII, and the domain still satisfies the constraints.',
  },

  // ---- E2ED-CERT-14: identity ----
  {
    id: 'san-differs',
    title: 'rfc822Name names another user than the one claimed',
    requirement: 'E2ED-CERT-14',
    alert: 'identity_mismatch',
    build: (pki) => usual(pki, leaf(pki, 'san-differs', { userId: `bob@${pki.domain}` })),
    opensslChecks: false,
    opensslNote: 'Identity is the application\'s check (openssl verify -verify_email would do it); the chain itself is valid.',
  },
  {
    id: 'san-case-differs',
    title: 'rfc822Name local part differs in case only ("Alice" for "alice")',
    requirement: 'E2ED-CERT-14',
    alert: 'identity_mismatch',
    build: (pki) => usual(pki, leaf(pki, 'san-case-differs', { userId: `Alice@${pki.domain}` })),
    opensslChecks: false,
    opensslNote: 'Identity is the application\'s check; the chain itself is valid.',
  },
  {
    id: 'san-lookalike',
    title: 'rfc822Name "rnallory" (r, n) presented for the claimed "mallory" (m)',
    requirement: 'E2ED-CERT-14',
    alert: 'identity_mismatch',
    build: (pki) => ({ ...usual(pki, leaf(pki, 'san-lookalike', { userId: `rnallory@${pki.domain}` })), expectedUserId: `mallory@${pki.domain}` }),
    opensslChecks: false,
    opensslNote: 'Identity is the application\'s check; the chain itself is valid.',
  },

  // ---- E2ED-CERT-15 / 16 / 17: end-entity constraints and extensions ----
  {
    id: 'leaf-is-ca',
    title: 'leaf basicConstraints has cA TRUE',
    requirement: 'E2ED-CERT-15',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'leaf-is-ca', { editExtensions: replacing(basicConstraintsExtension(true, undefined, true)) })),
    opensslChecks: false,
    opensslNote: 'OpenSSL lets a CA certificate act as an end entity (RFC 5280 does not forbid it); E2ED-CERT-15 does.',
  },
  {
    id: 'leaf-is-ca-keycertsign',
    title: 'the leaf is a complete CA certificate (cA TRUE, keyCertSign) for the user ID',
    requirement: 'E2ED-CERT-15',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'leaf-is-ca-keycertsign', {
          keyUsage: ['digitalSignature', 'keyCertSign'],
          editExtensions: replacing(basicConstraintsExtension(true, undefined, true)),
        }),
      ),
    opensslChecks: false,
    opensslNote: 'OpenSSL lets a consistent CA certificate act as an end entity (RFC 5280 does not forbid it); E2ED-CERT-15 and the CA/B Forum do.',
  },
  {
    id: 'unknown-critical-extension',
    title: 'leaf carries an unrecognised extension marked critical',
    requirement: 'E2ED-CERT-16',
    alert: 'unsupported_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'unknown-critical-extension', {
          editExtensions: (e) => [...e, { oid: OID.sixbenchUnknownExtension, critical: true, value: der.toDer(der.null()) }],
        }),
      ),
    opensslChecks: true,
  },
  {
    id: 'unknown-critical-extension-intermediate',
    title: 'intermediate CA carries an unrecognised extension marked critical',
    requirement: 'E2ED-CERT-16',
    alert: 'unsupported_certificate',
    build: (pki) =>
      viaCa(
        pki,
        'unknown-critical-extension-intermediate',
        defectCa(pki, 'unknown-critical-extension-intermediate', {
          editExtensions: (e) => [...e, { oid: OID.sixbenchUnknownExtension, critical: true, value: der.toDer(der.null()) }],
        }),
      ),
    opensslChecks: true,
  },
  {
    id: 'duplicate-extension',
    title: 'leaf carries the extendedKeyUsage extension twice',
    requirement: 'E2ED-CERT-17',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'duplicate-extension', { editExtensions: (e) => [...e, extKeyUsageExtension([OID.clientAuth])] })),
    opensslChecks: true,
    opensslNote: 'OpenSSL marks the certificate invalid and reports it as "unable to get local issuer certificate".',
  },

  // ---- E2ED-CERT-18 / 19 / 21: issuing certificates and path length ----
  {
    id: 'leaf-signed-by-non-ca',
    title: "leaf issued by another user's end-entity certificate",
    requirement: 'E2ED-CERT-18',
    alert: 'bad_certificate',
    build: (pki) => {
      const bobId = `bob@${pki.domain}`;
      const bobKey = pki.key('defect/bob', 'p256');
      const bobDer = leaf(pki, 'leaf-signed-by-non-ca/bob', { userId: bobId, spki: bobKey.spki });
      const bob = new CertificateAuthority(pki.seed, 'defect/bob', testName(bobId), bobKey, bobDer);
      return {
        chain: [leaf(pki, 'leaf-signed-by-non-ca', {}, bob), bobDer, pki.intermediates.users.der],
        anchors: pki.anchors,
        expectedUserId: defectUserId(pki),
      };
    },
    opensslChecks: true,
  },
  {
    id: 'intermediate-no-keycertsign',
    title: 'intermediate CA keyUsage lacks keyCertSign',
    requirement: 'E2ED-CERT-18',
    alert: 'bad_certificate',
    build: (pki) =>
      viaCa(
        pki,
        'intermediate-no-keycertsign',
        defectCa(pki, 'intermediate-no-keycertsign', { editExtensions: replacing(keyUsageExtension(['digitalSignature', 'cRLSign'])) }),
      ),
    opensslChecks: true,
  },
  {
    id: 'intermediate-not-ca',
    title: 'intermediate basicConstraints has cA FALSE (keyCertSign still set)',
    requirement: 'E2ED-CERT-18',
    alert: 'bad_certificate',
    build: (pki) =>
      viaCa(pki, 'intermediate-not-ca', defectCa(pki, 'intermediate-not-ca', { editExtensions: replacing(basicConstraintsExtension(false)) })),
    opensslChecks: true,
  },
  {
    id: 'intermediate-basic-constraints-not-critical',
    title: 'intermediate basicConstraints cA TRUE but not marked critical',
    requirement: 'E2ED-CERT-18',
    alert: 'bad_certificate',
    build: (pki) =>
      viaCa(
        pki,
        'intermediate-basic-constraints-not-critical',
        defectCa(pki, 'intermediate-basic-constraints-not-critical', {
          editExtensions: replacing(basicConstraintsExtension(true, 0, false)),
        }),
      ),
    opensslChecks: true,
  },
  {
    id: 'pathlen-exceeded',
    title: 'CA with pathLenConstraint 0 issued another CA, which issued the leaf',
    requirement: 'E2ED-CERT-19',
    alert: 'bad_certificate',
    build: (pki) => {
      const upper = defectCa(pki, 'pathlen-exceeded/upper', { pathLen: 0 });
      const lower = defectCa(pki, 'pathlen-exceeded/lower', { parent: upper, pathLen: undefined });
      return { chain: [leaf(pki, 'pathlen-exceeded', {}, lower), lower.der, upper.der], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: true,
  },
  {
    id: 'chain-too-deep',
    title: 'path of 9 certificates including the anchor (7 intermediates)',
    requirement: 'E2ED-CERT-21',
    alert: 'bad_certificate',
    build: (pki) => {
      let ca = pki.root;
      const intermediates: Buffer[] = [];
      for (let i = 1; i <= 7; i++) {
        ca = ca.issueCa({
          label: `defect/chain-too-deep/${i}`,
          commonName: `sixbench deep CA ${i}`,
          key: pki.key(`defect/chain-too-deep/${i}`, 'p256'),
          validity: caValidity(pki),
        });
        intermediates.unshift(ca.der);
      }
      return { chain: [leaf(pki, 'chain-too-deep', {}, ca), ...intermediates], anchors: pki.anchors, expectedUserId: defectUserId(pki) };
    },
    opensslChecks: false,
    opensslNote: 'OpenSSL\'s default maximum depth is 100; E2ED-CERT-21 limits the path to 8 (-verify_depth 6 would check it).',
  },

  // ---- E2ED-CERT-20: name constraints ----
  {
    id: 'name-constraint-not-permitted',
    title: 'rfc822Name outside the domain the issuing CA is permitted',
    requirement: 'E2ED-CERT-20',
    alert: 'bad_certificate',
    build: (pki) => {
      const outsider = `alice@not-${pki.domain}`;
      return { ...usual(pki, leaf(pki, 'name-constraint-not-permitted', { userId: outsider })), expectedUserId: outsider };
    },
    opensslChecks: true,
  },
  {
    id: 'name-constraint-excluded',
    title: 'rfc822Name is a mailbox the issuing CA excludes',
    requirement: 'E2ED-CERT-20',
    alert: 'bad_certificate',
    build: (pki) => {
      const excludedUser = `mallory@${pki.domain}`;
      const ca = pki.root.issueCa({
        label: 'defect/name-constraint-excluded/ca',
        commonName: 'sixbench defect CA (name-constraint-excluded)',
        key: pki.key('defect/name-constraint-excluded/ca', 'p256'),
        validity: caValidity(pki),
        pathLen: 0,
        permitted: [pki.domain, `.${pki.domain}`],
        excluded: [excludedUser],
      });
      return { chain: [leaf(pki, 'name-constraint-excluded', { userId: excludedUser }, ca), ca.der], anchors: pki.anchors, expectedUserId: excludedUser };
    },
    opensslChecks: true,
  },
  {
    id: 'name-constraint-subject-email',
    title: 'SAN inside the permitted domain, but the subject DN emailAddress outside it',
    requirement: 'E2ED-CERT-20',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'name-constraint-subject-email', {
          subject: testName(defectUserId(pki), [{ oid: OID.emailAddress, value: `alice@not-${pki.domain}` }]),
        }),
      ),
    opensslChecks: true,
  },
  {
    id: 'name-constraint-subject-email-two-at',
    title: 'subject DN emailAddress "alice@evil@<domain>" under the users CA\'s rfc822 constraints: not a Mailbox, so not inside',
    requirement: 'E2ED-CERT-20',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'name-constraint-subject-email-two-at', {
          // RFC 5280 4.2.1.6: an rfc822Name (and so the emailAddress 4.2.1.10 constrains) is a
          // Mailbox of RFC 5321 4.1.2: one "@" outside quotes. Read from the last "@", it would
          // look like a mailbox at <domain>.
          subject: testName(defectUserId(pki), [{ oid: OID.emailAddress, value: `alice@evil@${pki.domain}` }]),
        }),
      ),
    opensslChecks: false,
    opensslNote: 'OpenSSL 3.0 does not check Mailbox syntax: it takes the domain after the last "@", which is inside the permitted subtree.',
  },
  {
    id: 'name-constraint-subject-email-address-literal',
    title: 'subject DN emailAddress with an address-literal domain ("alice@[192.0.2.1]") under rfc822 constraints',
    requirement: 'E2ED-CERT-20',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(
        pki,
        leaf(pki, 'name-constraint-subject-email-address-literal', {
          subject: testName(defectUserId(pki), [{ oid: OID.emailAddress, value: 'alice@[192.0.2.1]' }]),
        }),
      ),
    opensslChecks: true,
  },

  // ---- E2ED-CERT-22: serial number ----
  {
    id: 'serial-zero',
    title: 'serialNumber is 0',
    requirement: 'E2ED-CERT-22',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'serial-zero', { serial: Buffer.from([0]) })),
    opensslChecks: false,
    opensslNote: 'OpenSSL 3.0 parses and accepts any INTEGER serial; RFC 5280 asks users to handle non-conforming serials gracefully.',
  },
  {
    id: 'serial-negative',
    title: 'serialNumber is negative',
    requirement: 'E2ED-CERT-22',
    alert: 'bad_certificate',
    build: (pki) => {
      const serial = deriveSerial(pki.seed, 'defect/serial-negative', leafKey(pki).spki);
      serial[0] = serial[0]! | 0x80;
      return usual(pki, leaf(pki, 'serial-negative', { serial }));
    },
    opensslChecks: false,
    opensslNote: 'OpenSSL 3.0 parses and accepts any INTEGER serial; RFC 5280 asks users to handle non-conforming serials gracefully.',
  },
  {
    id: 'serial-oversized',
    title: 'serialNumber of 21 octets',
    requirement: 'E2ED-CERT-22',
    alert: 'bad_certificate',
    build: (pki) => {
      const serial = Buffer.concat([Buffer.from([0x21, 0x05, 0x46, 0x05, 0x01]), deriveSerial(pki.seed, 'defect/serial-oversized', leafKey(pki).spki)]);
      return usual(pki, leaf(pki, 'serial-oversized', { serial }));
    },
    opensslChecks: false,
    opensslNote: 'OpenSSL 3.0 does not limit the serial length (RFC 5280: users SHOULD handle up to 20 octets).',
  },

  // ---- E2ED-CERT-23: strict DER ----
  {
    id: 'utctime-bad-encoding',
    title: 'notBefore UTCTime without seconds ("YYMMDDHHMMZ")',
    requirement: 'E2ED-CERT-23',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, leaf(pki, 'utctime-bad-encoding', { notBeforeDer: der.toDer(der.utcTime(utcNoSeconds(pki.endEntityValidity.notBefore))) })),
    opensslChecks: true,
    opensslNote: 'Fails as "format error in certificate\'s notBefore field".',
  },
  {
    id: 'utctime-with-offset',
    title: 'notAfter UTCTime with a local offset ("+0000") instead of Z',
    requirement: 'E2ED-CERT-23',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'utctime-with-offset', { notAfterDer: der.toDer(der.utcTime(utcWithOffset(pki.endEntityValidity.notAfter))) })),
    opensslChecks: true,
    opensslNote: 'Fails as "format error in certificate\'s notAfter field".',
  },
  {
    id: 'generalizedtime-before-2050',
    title: 'notAfter (before 2050) encoded as GeneralizedTime',
    requirement: 'E2ED-CERT-23',
    alert: 'bad_certificate',
    build: (pki) =>
      usual(pki, leaf(pki, 'generalizedtime-before-2050', { notAfterDer: der.toDer(der.generalizedTime(generalized(pki.endEntityValidity.notAfter))) })),
    opensslChecks: false,
    opensslNote: 'OpenSSL reads either Time form for any year; the 2050 switch is a rule for issuers (RFC 5280 4.1.2.5).',
  },
  {
    id: 'trailing-bytes',
    title: 'two octets (a DER NULL) after the end of the leaf certificate',
    requirement: 'E2ED-CERT-23',
    alert: 'bad_certificate',
    build: (pki) => usual(pki, Buffer.concat([leaf(pki, 'trailing-bytes'), Buffer.from([0x05, 0x00])])),
    opensslChecks: false,
    opensslNote: 'The PEM/DER reader stops after the first certificate and ignores what follows.',
  },
  {
    id: 'truncated-der',
    title: 'leaf certificate DER cut 16 octets short',
    requirement: 'E2ED-CERT-23',
    alert: 'bad_certificate',
    build: (pki) => {
      const full = leaf(pki, 'truncated-der');
      return usual(pki, full.subarray(0, full.length - 16));
    },
    opensslChecks: true,
    opensslNote: 'Fails before verification: the leaf does not load.',
  },

  // ---- E2ED-CERT-24: revocation ----
  {
    id: 'revoked',
    title: 'leaf serial is reported revoked by the IRP status',
    requirement: 'E2ED-CERT-24',
    alert: 'certificate_revoked',
    build: (pki) => {
      const spki = leafKey(pki).spki;
      return usual(pki, leaf(pki, 'revoked'), { revokedSerials: [deriveSerial(pki.seed, 'defect/revoked', spki).toString('hex')] });
    },
    opensslChecks: false,
    opensslNote: 'Revocation status comes from the IRP registry, not from a CRL or OCSP that OpenSSL could consult.',
  },
];

/**
 * A leaf like the catalogue's `revoked` one in every respect (the defect user, the users CA, valid)
 * but with its own serial, which no registry of the run ever learns: its IRP status is `unknown`
 * (E2ED-CERT-30) whatever the run's registry has been told about the catalogue's leaves. Kept out
 * of the catalogue: the certificate cases vouch for each catalogue leaf at the run's registry when
 * an implementation under test asks it, and a shared serial would make one case's answer another's.
 */
export function unissuedLeafCase(pki: TestPki): DefectCase {
  return usual(pki, leaf(pki, 'unissued'));
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function utcBody(d: Date): string {
  return (
    twoDigits(d.getUTCFullYear() % 100) +
    twoDigits(d.getUTCMonth() + 1) +
    twoDigits(d.getUTCDate()) +
    twoDigits(d.getUTCHours()) +
    twoDigits(d.getUTCMinutes())
  );
}

function utcNoSeconds(d: Date): string {
  return `${utcBody(d)}Z`;
}

function utcWithOffset(d: Date): string {
  return `${utcBody(d)}${twoDigits(d.getUTCSeconds())}+0000`;
}

function generalized(d: Date): string {
  return `${d.getUTCFullYear()}${utcBody(d).slice(2)}${twoDigits(d.getUTCSeconds())}Z`;
}

export function findDefect(id: string): Defect | undefined {
  return DEFECTS.find((d) => d.id === id);
}
