// The test certificate authority: one run's whole hierarchy, derived from a seed.
//
//   root CA (P-256, self-signed)
//   ├── users CA      (P-256, pathLen 0, rfc822 name constraints permitting the test domain)
//   │     └── one end entity per user (E2ED profile, docs/spec.md "Certificate profile")
//   ├── services CA   (P-256, pathLen 0)
//   │     ├── IRP registry signing certificate
//   │     └── IRP TLS server certificate (serverAuth, localhost, 127.0.0.1, ::1)
//   └── RSA CA        (RSA-2048, pathLen 0; signs the SHA-1 / MD5 defects)
//
// The same seed, domain, users and reference time give the same DER, byte for byte: keys come
// from keys.ts, serials are hashes of (seed, label, key), and validity dates are offsets from a
// fixed reference time, never Date.now().
import { createHash, type KeyObject } from 'node:crypto';
import { peerIncompatible } from '../protocol/errors.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  defaultSignatureAlgorithm,
  encodeTime,
  extKeyUsageExtension,
  keyIdentifier,
  keyUsageExtension,
  nameConstraintsExtension,
  signCertificate,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  testName,
  algorithmIdentifier,
  type Extension,
  type GeneralName,
  type KeyUsageBit,
  type SignatureAlgorithmName,
} from './cert-builder.js';
import { parseCsr } from './csr.js';
import { deriveKeyPair, isRsaKeyType, keySeed, type KeyPair, type KeyType } from './keys.js';
import { OID } from './oids.js';

export const DEFAULT_REFERENCE_TIME = new Date('2026-01-01T00:00:00Z');
export const DEFAULT_DOMAIN = 'example.com';

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** What a registry chooses when it issues a user certificate (IRP-ENROLL-4). */
export interface UserIssueOptions {
  /** serialNumber content octets: positive, at most 20 octets. */
  serial?: Buffer;
  validity?: Validity;
}

/** Everything a certificate can deviate in; unset fields take the profile's correct value. */
export interface IssueOverrides {
  /** Version field value; null omits the field (v1). Default 2 (v3). */
  version?: number | null;
  /** serialNumber content octets, written as is. */
  serial?: Buffer;
  /** issuer Name DER written into the certificate (default: the CA's subject). */
  issuerName?: Buffer;
  /** Raw DER of the Time fields (default: encodeTime of the validity). */
  notBeforeDer?: Buffer;
  notAfterDer?: Buffer;
  /** Algorithm the CA signs with (default: its key's usual algorithm). */
  algorithm?: SignatureAlgorithmName;
  /** Algorithm written inside the tbsCertificate (default: the one used). */
  innerAlgorithm?: SignatureAlgorithmName;
}

export interface IssueSpec extends IssueOverrides {
  /** Unique per certificate within a PKI; feeds the serial number. */
  label: string;
  subject: Buffer;
  spki: Buffer;
  validity: Validity;
  extensions: readonly Extension[] | undefined;
}

export interface CaOptions extends IssueOverrides {
  label: string;
  commonName: string;
  key: KeyPair;
  validity: Validity;
  pathLen?: number;
  permitted?: readonly string[];
  excluded?: readonly string[];
  /** Last word on the CA's extensions (defects remove or alter one). */
  editExtensions?: (extensions: Extension[]) => Extension[];
}

export interface EndEntityOptions extends IssueOverrides {
  label: string;
  spki: Buffer;
  /** Adds keyEncipherment to keyUsage (RSA keys, for rsa-oaep key transport; E2ED-CERT-11). */
  rsa: boolean;
  validity: Validity;
  /** The user ID written as the SAN rfc822Name; also the CN unless subject is given. */
  userId?: string;
  subject?: Buffer;
  /** SAN entries (default: one rfc822Name = userId). Empty: no SAN extension. */
  altNames?: readonly GeneralName[];
  extendedKeyUsage?: readonly string[];
  keyUsage?: readonly KeyUsageBit[];
  editExtensions?: (extensions: Extension[]) => Extension[];
}

/** Serial: 16 octets, positive and non-zero (E2ED-CERT-22), unique per (seed, label, key). */
export function deriveSerial(seed: string, label: string, spki: Buffer): Buffer {
  const serial = createHash('sha256').update(`sixbench serial v1\0${seed}\0${label}\0`).update(spki).digest().subarray(0, 16);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  return serial;
}

export class CertificateAuthority {
  readonly ski: Buffer;

  constructor(
    readonly seed: string,
    readonly label: string,
    /** DER Name of this CA (its certificates' issuer). */
    readonly name: Buffer,
    readonly key: KeyPair,
    readonly der: Buffer,
  ) {
    this.ski = keyIdentifier(key.spki);
  }

  /** Issues a certificate whose every field is given or defaulted; signs with this CA's key. */
  issue(spec: IssueSpec): Buffer {
    const algorithm = spec.algorithm ?? defaultSignatureAlgorithm(this.key.privateKey);
    return signCertificate(
      {
        version: spec.version === null ? undefined : (spec.version ?? 2),
        serial: spec.serial ?? deriveSerial(this.seed, spec.label, spec.spki),
        signature: algorithmIdentifier(spec.innerAlgorithm ?? algorithm),
        issuer: spec.issuerName ?? this.name,
        notBefore: spec.notBeforeDer ?? encodeTime(spec.validity.notBefore),
        notAfter: spec.notAfterDer ?? encodeTime(spec.validity.notAfter),
        subject: spec.subject,
        spki: spec.spki,
        extensions: spec.extensions,
      },
      { algorithm, key: this.key.privateKey },
    );
  }

  /** A subordinate CA certificate and its authority. */
  issueCa(opts: CaOptions): CertificateAuthority {
    const name = testName(opts.commonName);
    const extensions = caExtensions(opts, this.ski);
    const derBytes = this.issue({
      ...opts,
      subject: name,
      spki: opts.key.spki,
      extensions: opts.editExtensions ? opts.editExtensions(extensions) : extensions,
    });
    return new CertificateAuthority(this.seed, opts.label, name, opts.key, derBytes);
  }

  /** An end-entity certificate in the E2ED user profile (or whatever the options change). */
  issueEndEntity(opts: EndEntityOptions): Buffer {
    const extensions = endEntityExtensions(opts, this.ski);
    return this.issue({
      ...opts,
      subject: opts.subject ?? testName(opts.userId ?? 'end entity'),
      extensions: opts.editExtensions ? opts.editExtensions(extensions) : extensions,
    });
  }
}

function caExtensions(opts: CaOptions, issuerSki: Buffer | undefined): Extension[] {
  const extensions: Extension[] = [subjectKeyIdentifierExtension(keyIdentifier(opts.key.spki))];
  if (issuerSki) extensions.push(authorityKeyIdentifierExtension(issuerSki));
  // E2ED-CERT-18: "every issuing certificate has basicConstraints cA TRUE (critical) and keyUsage keyCertSign".
  extensions.push(basicConstraintsExtension(true, opts.pathLen, true));
  extensions.push(keyUsageExtension(['keyCertSign', 'cRLSign'], true));
  if (opts.permitted?.length || opts.excluded?.length) {
    extensions.push(nameConstraintsExtension(opts.permitted ?? [], opts.excluded ?? []));
  }
  return extensions;
}

/**
 * The E2ED end-entity profile (docs/spec.md "Certificate profile"): basicConstraints cA FALSE
 * (E2ED-CERT-15), keyUsage digitalSignature, plus keyEncipherment for RSA (E2ED-CERT-10/11),
 * extendedKeyUsage clientAuth (E2ED-CERT-12), one SAN rfc822Name = user ID (E2ED-CERT-13),
 * SKI and AKI (E2ED-CERT-26).
 */
function endEntityExtensions(opts: EndEntityOptions, issuerSki: Buffer): Extension[] {
  const altNames = opts.altNames ?? (opts.userId !== undefined ? [{ rfc822: opts.userId }] : []);
  const extensions: Extension[] = [
    subjectKeyIdentifierExtension(keyIdentifier(opts.spki)),
    authorityKeyIdentifierExtension(issuerSki),
    basicConstraintsExtension(false, undefined, true),
    keyUsageExtension(opts.keyUsage ?? (opts.rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'])),
    extKeyUsageExtension(opts.extendedKeyUsage ?? [OID.clientAuth]),
  ];
  if (altNames.length) extensions.push(subjectAltNameExtension(altNames));
  return extensions;
}

/** A self-signed root CA. */
export function createRootCa(
  seed: string,
  label: string,
  commonName: string,
  key: KeyPair,
  validity: Validity,
  editExtensions?: (extensions: Extension[]) => Extension[],
): CertificateAuthority {
  const name = testName(commonName);
  // A root has no issuer to point at: SKI, basicConstraints and keyUsage only.
  const extensions = caExtensions({ label, commonName, key, validity }, undefined);
  const selfIssuer = new CertificateAuthority(seed, label, name, key, Buffer.alloc(0));
  const derBytes = selfIssuer.issue({
    label,
    subject: name,
    spki: key.spki,
    validity,
    extensions: editExtensions ? editExtensions(extensions) : extensions,
  });
  return new CertificateAuthority(seed, label, name, key, derBytes);
}

// ---- the run's PKI -------------------------------------------------------------------------

export interface IssuedCertificate {
  der: Buffer;
  /** Leaf first, then the intermediates up to (not including) the root. */
  chain: Buffer[];
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyType: KeyType;
}

export interface TestUser extends IssuedCertificate {
  userId: string;
}

export interface TestPkiOptions {
  seed: string;
  /** The users' domain; the users CA's name constraints permit it (default example.com). */
  domain?: string;
  /** User IDs to issue at creation (default none). */
  users?: readonly string[];
  /** Key type of those users (default p256). */
  keyType?: KeyType;
  /** The fixed time every validity period is derived from (default 2026-01-01T00:00:00Z). */
  referenceTime?: Date;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export class TestPki {
  readonly seed: string;
  readonly domain: string;
  readonly referenceTime: Date;
  readonly root: CertificateAuthority;
  readonly intermediates: { users: CertificateAuthority; services: CertificateAuthority; rsa: CertificateAuthority };
  /** DER of the trust anchors a validator should be configured with: the root. */
  readonly anchors: Buffer[];
  readonly users: TestUser[] = [];
  readonly irpSigning: IssuedCertificate;
  readonly irpTls: IssuedCertificate;

  constructor(opts: TestPkiOptions) {
    this.seed = opts.seed;
    this.domain = opts.domain ?? DEFAULT_DOMAIN;
    this.referenceTime = new Date((opts.referenceTime ?? DEFAULT_REFERENCE_TIME).getTime());
    this.root = createRootCa(this.seed, 'root', 'sixbench root CA', this.key('root', 'p256'), this.validity(-5, 15));
    const caValidity = this.validity(-4, 10);
    this.intermediates = {
      users: this.root.issueCa({
        label: 'users-ca',
        commonName: `sixbench users CA (${this.domain})`,
        key: this.key('users-ca', 'p256'),
        validity: caValidity,
        pathLen: 0,
        permitted: [this.domain, `.${this.domain}`],
      }),
      services: this.root.issueCa({
        label: 'services-ca',
        commonName: 'sixbench services CA',
        key: this.key('services-ca', 'p256'),
        validity: caValidity,
        pathLen: 0,
      }),
      rsa: this.root.issueCa({
        label: 'rsa-ca',
        commonName: 'sixbench RSA CA',
        key: this.key('rsa-ca', 'rsa2048'),
        validity: caValidity,
        pathLen: 0,
      }),
    };
    this.anchors = [this.root.der];
    for (const userId of opts.users ?? []) this.users.push(this.issueUser(userId, { keyType: opts.keyType }));
    // IRP-CA-3: the registry purpose as the only extendedKeyUsage, so that no user or TLS
    // certificate can pass for the registry's signing key.
    this.irpSigning = this.issueService('irp-signing', `sixbench IRP registry signing (${this.domain})`, {
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID.irpRegistrySigning],
      altNames: [],
    });
    this.irpTls = this.issueService('irp-tls', 'localhost', {
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID.serverAuth],
      altNames: [{ dns: 'localhost' }, { ip: Buffer.from([127, 0, 0, 1]) }, { ip: Buffer.alloc(16, 0).fill(1, 15) }],
    });
  }

  /** The key this PKI's seed gives for a label and type (cached; RSA cached on disk too). */
  key(label: string, type: KeyType | 'rsa1024'): KeyPair {
    return deriveKeyPair(type, keySeed(this.seed, `${label}/${type}`));
  }

  /** Validity from `fromYears` to `toYears` around the reference time. */
  validity(fromYears: number, toYears: number): Validity {
    const t = this.referenceTime.getTime();
    return { notBefore: new Date(t + fromYears * YEAR_MS), notAfter: new Date(t + toYears * YEAR_MS) };
  }

  /**
   * The usual end-entity validity: one year before to ten years after the reference time, as long
   * as the intermediates. Long because some checks cannot take the fixed clock: node:tls checks the
   * IRP stub's TLS certificate, and a person's UA checks a peer's, against the real time.
   */
  get endEntityValidity(): Validity {
    return this.validity(-1, 10);
  }

  /** A user created with the PKI (throws for an unknown user ID). */
  user(userId: string): TestUser {
    const found = this.users.find((u) => u.userId === userId);
    if (!found) throw new RangeError(`no test user ${userId}`);
    return found;
  }

  /** Issues (deterministically) a certificate and key for a user ID. */
  issueUser(userId: string, opts: { keyType?: KeyType | undefined; label?: string } = {}): TestUser {
    const keyType = opts.keyType ?? 'p256';
    const key = this.key(opts.label ?? `user/${userId}`, keyType);
    const chain = this.issueUserCertificate(userId, key.spki, keyType);
    return { userId, der: chain[0]!, chain, privateKey: key.privateKey, publicKey: key.publicKey, keyType };
  }

  /**
   * A user certificate for a public key the caller holds the private half of. The serial and
   * validity default to the test PKI's derived ones; a registry enrolling users passes its own.
   */
  issueUserCertificate(userId: string, spki: Buffer, keyType: KeyType, issue: UserIssueOptions = {}): Buffer[] {
    const leaf = this.intermediates.users.issueEndEntity({
      label: `user/${userId}`,
      userId,
      spki,
      rsa: isRsaKeyType(keyType),
      validity: issue.validity ?? this.endEntityValidity,
      ...(issue.serial !== undefined ? { serial: issue.serial } : {}),
    });
    return [leaf, this.intermediates.users.der];
  }

  /**
   * Enrolment: verifies a PKCS#10 request's self-signature and issues a user certificate for
   * its key. The identity comes from the authenticated user, never from the CSR's subject or
   * requested extensions. Returns the chain, leaf first.
   */
  signCsr(csrDer: Buffer, opts: { userId: string } & UserIssueOptions): Buffer[] {
    const csr = parseCsr(csrDer);
    const keyType = acceptableKeyType(csr.publicKey);
    return this.issueUserCertificate(opts.userId, csr.spki, keyType, opts);
  }

  private issueService(
    label: string,
    commonName: string,
    profile: Pick<EndEntityOptions, 'keyUsage' | 'extendedKeyUsage' | 'altNames'>,
  ): IssuedCertificate {
    const key = this.key(label, 'p256');
    const leaf = this.intermediates.services.issueEndEntity({
      label,
      subject: testName(commonName),
      spki: key.spki,
      rsa: false,
      validity: this.endEntityValidity,
      ...profile,
    });
    return {
      der: leaf,
      chain: [leaf, this.intermediates.services.der],
      privateKey: key.privateKey,
      publicKey: key.publicKey,
      keyType: 'p256',
    };
  }
}

/** The profile's key types (E2ED-CERT-8, E2ED-CERT-9); anything else cannot be enrolled. */
function acceptableKeyType(key: KeyObject): KeyType {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details?.namedCurve === 'prime256v1') return 'p256';
      break;
    case 'ed25519':
      return 'ed25519';
    case 'rsa': {
      // E2ED-CERT-8: "RSA 2048..8192 bits with exponent 65537".
      const bits = details?.modulusLength ?? 0;
      if (details?.publicExponent === 65537n && bits >= 2048 && bits <= 8192) return bits >= 3072 ? 'rsa3072' : 'rsa2048';
      break;
    }
    default:
      throw peerIncompatible('unsupported_certificate', `CSR key type ${key.asymmetricKeyType} is not supported`, 'E2ED-CERT-9');
  }
  throw peerIncompatible('insufficient_security', 'CSR key is too weak for the profile', 'E2ED-CERT-8');
}

export function createTestPki(opts: TestPkiOptions): TestPki {
  return new TestPki(opts);
}
