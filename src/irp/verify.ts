// Verification of the registry's signed answers (docs/spec.md 14.7, 14.9, 14.11): what a client
// checks before it uses a Lookup or Status answer. Pure: certificates, keys and times in, a
// verified value or a typed IrpError out. An answer that fails any check is never returned
// (IRP-LOOKUP-6: "MUST NOT connect to an address, or encrypt to a key, taken from an answer that
// failed any check").
import { X509Certificate, type KeyObject } from 'node:crypto';
import { hasKeyUsage, parseCertificate } from '../pki/cert-parse.js';
import { OID } from '../pki/oids.js';
import { validateChain } from '../pki/validator.js';
import { ProtocolError } from '../protocol/errors.js';
import { sameUserId } from '../protocol/identity.js';
import {
  decodeRecordDocument,
  decodeStatusDocument,
  recordSignedContent,
  serialFromBytes,
  statusSignedContent,
  type CertificateStatus,
  type LookupResultResponse,
  type StatusResultResponse,
} from '../protocol/irp-messages.js';
import { signatureAlgorithmForKey, verify } from '../protocol/signature.js';
import { IrpError } from './errors.js';

/**
 * The extendedKeyUsage purpose of the registry signing certificate (a sixbench private OID, on
 * the arc src/pki/oids.ts uses). With it as the only purpose, neither a user's clientAuth
 * certificate nor the registry's TLS serverAuth certificate can stand in for the signing key.
 */
export const IRP_REGISTRY_SIGNING_PURPOSE = OID.irpRegistrySigning;

/** IRP-LOOKUP-4 / IRP-STATUS-5: timestamps at most this far from the client's clock. */
export const MAX_CLOCK_SKEW_MS = 300_000;

export interface TrustConfig {
  /** DER of the configured trust anchors (IRP-CA-2: from configuration, never from the registry). */
  anchors: readonly Buffer[];
  /** DER of intermediates usable for path building (the registry's `intermediate` certificates). */
  intermediates: readonly Buffer[];
  time: Date;
}

/** A Lookup answer that passed IRP-LOOKUP-3 and IRP-LOOKUP-4. */
export interface VerifiedRecord {
  userId: string;
  address: string;
  port: number;
  /** DER, leaf first; the leaf names userId and chains to a trust anchor. */
  certificates: Buffer[];
  timestamp: string;
  serial: string;
}

/** A Status answer that passed IRP-STATUS-5. */
export interface VerifiedStatus {
  serial: string;
  status: CertificateStatus;
  timestamp: string;
}

/**
 * IRP-CA-3: the registry signing certificate "MUST chain to a configured trust anchor of the
 * domain, have keyUsage digitalSignature, not be a CA", within validity, with an acceptable key;
 * and it must carry the registry purpose. Returns its public key.
 */
export function checkRegistryCertificate(registryDer: Buffer, trust: TrustConfig): KeyObject {
  return registryCertificateTrust(registryDer, trust).key;
}

/** A registry signing key that passed IRP-CA-3, and the times between which its whole path is valid. */
export interface RegistryTrust {
  key: KeyObject;
  /** Milliseconds since the epoch: the latest notBefore and the earliest notAfter on the path. */
  validFrom: number;
  validUntil: number;
}

/**
 * IRP-CA-3 with the path's validity window, so that a client keeping the key for a connection
 * checks it again once its clock leaves the window ("a client MUST NOT verify registry
 * signatures with a certificate that fails these checks", E2ED-CERT-2 among them).
 */
export function registryCertificateTrust(registryDer: Buffer, trust: TrustConfig): RegistryTrust {
  const fail = (why: string): IrpError => new IrpError('untrusted_registry_certificate', `registry signing certificate: ${why}`, 'IRP-CA-3');
  // The path, validity, algorithms, key strength, CA constraints and the registry purpose are the
  // validator's RFC 5280 rules with purpose irpRegistrySigning; the rest of IRP-CA-3 is checked here.
  const result = validateChain([registryDer], {
    trustAnchors: trust.anchors,
    intermediates: trust.intermediates,
    time: trust.time,
    purpose: 'irpRegistrySigning',
    profile: 'rfc5280',
  });
  if (!result.ok) throw fail(`${result.detail} (${result.reason})`);
  const leaf = parseCertificate(registryDer);
  if (leaf.basicConstraints?.ca) throw fail('is a CA');
  if (!hasKeyUsage(leaf, 'digitalSignature')) throw fail('keyUsage lacks digitalSignature');
  if (!leaf.extKeyUsage?.includes(IRP_REGISTRY_SIGNING_PURPOSE)) throw fail('does not carry the registry signing purpose');
  if (signatureAlgorithmForKey(result.publicKey) === null) throw fail('its key is not acceptable for signatures');
  return {
    key: result.publicKey,
    validFrom: Math.max(...result.path.map((c) => Date.parse(c.validFrom))),
    validUntil: Math.min(...result.path.map((c) => Date.parse(c.validTo))),
  };
}

/** IRP-LOOKUP-3: the signature over the exact record bytes, with the algorithm of the registry key. */
function checkSignature(
  registryKey: KeyObject,
  answer: { algorithm: string; signature: Buffer },
  signedContent: Buffer,
  requirement: string,
): void {
  const algorithm = signatureAlgorithmForKey(registryKey);
  if (algorithm === null || answer.algorithm !== algorithm || !verify(algorithm, registryKey, signedContent, answer.signature)) {
    throw new IrpError('bad_signature', 'the registry signature does not verify; the answer is not used', requirement);
  }
}

export function serialOfCertificate(cert: X509Certificate): string {
  const hex = cert.serialNumber.length % 2 ? `0${cert.serialNumber}` : cert.serialNumber;
  return serialFromBytes(Buffer.from(hex, 'hex'));
}

/** IRP-LOOKUP-3 and IRP-LOOKUP-4. */
export function verifyLookupResult(answer: LookupResultResponse, registryKey: KeyObject, expectedUser: string, trust: TrustConfig): VerifiedRecord {
  return verifyLookupWithValidity(answer, registryKey, expectedUser, trust).record;
}

/** The verified record and the period in which every certificate of its validated path is valid. */
function verifyLookupWithValidity(
  answer: LookupResultResponse,
  registryKey: KeyObject,
  expectedUser: string,
  trust: TrustConfig,
): { record: VerifiedRecord; validity: { from: number; to: number } } {
  checkSignature(registryKey, answer, recordSignedContent(answer.record), 'IRP-LOOKUP-3');
  const reject = (why: string): IrpError => new IrpError('record_rejected', `record for ${expectedUser} rejected: ${why}`, 'IRP-LOOKUP-4');
  let record;
  try {
    record = decodeRecordDocument(answer.record);
  } catch (err) {
    if (err instanceof ProtocolError) throw reject(`it does not decode (${err.message})`);
    throw err;
  }
  // IRP-LOOKUP-4: "user equals the user it asked for; timestamp is not more than 300 seconds in
  // the future; the chain validates under chapter 9 with the leaf's rfc822Name equal to user;
  // and serial equals the leaf's serial".
  if (!sameUserId(record.user, expectedUser)) throw reject(`it names ${record.user}`);
  if (Date.parse(record.timestamp) > trust.time.getTime() + MAX_CLOCK_SKEW_MS) throw reject('its timestamp is in the future');
  const chain = validateChain(record.certificates, {
    trustAnchors: trust.anchors,
    intermediates: trust.intermediates,
    time: trust.time,
    purpose: 'clientAuth',
    expectedUserId: expectedUser,
  });
  if (!chain.ok) throw reject(`its certificate fails validation (${chain.reason}: ${chain.detail})`);
  if (serialOfCertificate(chain.leaf) !== record.serial) throw reject('its serial is not the leaf certificate serial');
  const validity = {
    from: Math.max(...chain.path.map((c) => Date.parse(c.validFrom))),
    to: Math.min(...chain.path.map((c) => Date.parse(c.validTo))),
  };
  return {
    record: {
      userId: record.user,
      address: record.address,
      port: record.port,
      certificates: record.certificates,
      timestamp: record.timestamp,
      serial: record.serial,
    },
    validity,
  };
}

/**
 * Verified look-up answers by their exact bytes. The registry signs a record once and serves the
 * same bytes and signature on every look-up (IRP-LOOKUP-2), so an answer byte-identical to one
 * already verified with the same registry key needs no second signature check or path
 * validation; only the time-dependent checks run again (the timestamp bound of IRP-LOOKUP-4 and
 * the validity period of every certificate in the validated path).
 */
export class VerifiedRecordCache {
  private readonly entries = new Map<string, { record: Buffer; key: KeyObject; verified: VerifiedRecord; validity: { from: number; to: number } }>();

  constructor(private readonly capacity = 1024) {}

  verify(answer: LookupResultResponse, registryKey: KeyObject, expectedUser: string, trust: TrustConfig): VerifiedRecord {
    const cacheKey = `${expectedUser}\0${answer.algorithm}\0${answer.signature.toString('base64')}`;
    const hit = this.entries.get(cacheKey);
    if (hit && hit.key === registryKey && hit.record.equals(answer.record)) {
      const now = trust.time.getTime();
      const { from, to } = hit.validity;
      if (Date.parse(hit.verified.timestamp) <= now + MAX_CLOCK_SKEW_MS && from <= now && now <= to) {
        return copyRecord(hit.verified);
      }
    }
    const { record: verified, validity } = verifyLookupWithValidity(answer, registryKey, expectedUser, trust);
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, { record: Buffer.from(answer.record), key: registryKey, verified, validity });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return copyRecord(verified);
  }
}

function copyRecord(r: VerifiedRecord): VerifiedRecord {
  return {
    userId: r.userId,
    address: r.address,
    port: r.port,
    certificates: r.certificates.map((c) => Buffer.from(c)),
    timestamp: r.timestamp,
    serial: r.serial,
  };
}

/** IRP-STATUS-5. */
export function verifyStatusResult(
  answer: StatusResultResponse,
  registryKey: KeyObject,
  request: { serial: string; nonce: Buffer },
  time: Date,
): VerifiedStatus {
  checkSignature(registryKey, answer, statusSignedContent(answer.status), 'IRP-STATUS-5');
  const reject = (why: string): IrpError => new IrpError('status_rejected', `status of ${request.serial} rejected: ${why}`, 'IRP-STATUS-5');
  let status;
  try {
    status = decodeStatusDocument(answer.status);
  } catch (err) {
    if (err instanceof ProtocolError) throw reject(`it does not decode (${err.message})`);
    throw err;
  }
  if (status.serial !== request.serial) throw reject('it names another serial');
  if (!status.nonce.equals(request.nonce)) throw reject('it carries another nonce (a replay)');
  if (Math.abs(Date.parse(status.timestamp) - time.getTime()) > MAX_CLOCK_SKEW_MS) throw reject('its timestamp is not current');
  return { serial: status.serial, status: status.status, timestamp: status.timestamp };
}
