// The typed reasons a certificate chain is rejected for, and ONE table mapping each to exactly one
// alert and one requirement id of docs/spec.md, section "Certificate profile" (E2ED-CERT-n).
// The validator never picks an alert: it names a reason, and this table says what is sent.
import type { AlertName } from '../protocol/alerts.js';

export const REASONS = {
  // E2ED-CERT-25: "the Hello carries the chain leaf first, at most 8 certificates, each at most 16 KiB DER"
  'empty-chain': { alert: 'decode_error', requirement: 'E2ED-CERT-25', summary: 'no certificate presented' },
  'chain-too-long': { alert: 'decode_error', requirement: 'E2ED-CERT-25', summary: 'more than 8 certificates presented' },
  'certificate-too-large': { alert: 'decode_error', requirement: 'E2ED-CERT-25', summary: 'a certificate exceeds 16 KiB of DER' },
  'unparseable-certificate': { alert: 'bad_certificate', requirement: 'E2ED-CERT-25', summary: 'the DER does not parse as a certificate' },
  // E2ED-CERT-23: strict DER, canonical validity times
  'non-der-encoding': { alert: 'bad_certificate', requirement: 'E2ED-CERT-23', summary: 'BER that DER forbids, or bytes after the certificate' },
  'bad-time-encoding': { alert: 'bad_certificate', requirement: 'E2ED-CERT-23', summary: 'validity time not in its one RFC 5280 form' },
  'unsupported-version': { alert: 'bad_certificate', requirement: 'E2ED-CERT-1', summary: 'not an X.509 v3 certificate' },
  expired: { alert: 'certificate_expired', requirement: 'E2ED-CERT-2', summary: 'validation time after notAfter' },
  'not-yet-valid': { alert: 'certificate_expired', requirement: 'E2ED-CERT-2', summary: 'validation time before notBefore' },
  'unknown-issuer': { alert: 'unknown_ca', requirement: 'E2ED-CERT-3', summary: 'no path to a trust anchor' },
  'self-signed-leaf': { alert: 'unknown_ca', requirement: 'E2ED-CERT-3', summary: 'self-signed end-entity certificate that is not trusted' },
  'path-building-limit': { alert: 'unknown_ca', requirement: 'E2ED-CERT-3', summary: 'path building budget exhausted' },
  'key-identifier-mismatch': { alert: 'unknown_ca', requirement: 'E2ED-CERT-4', summary: "AKI keyIdentifier differs from the issuer's SKI" },
  'bad-signature': { alert: 'bad_certificate', requirement: 'E2ED-CERT-5', summary: "signature does not verify under the issuer's key" },
  'signature-algorithm-mismatch': { alert: 'bad_certificate', requirement: 'E2ED-CERT-6', summary: 'tbsCertificate.signature differs from signatureAlgorithm' },
  'weak-signature-algorithm': { alert: 'insufficient_security', requirement: 'E2ED-CERT-7', summary: 'signature algorithm refused (MD5, SHA-1, unknown)' },
  'weak-key': { alert: 'insufficient_security', requirement: 'E2ED-CERT-8', summary: 'public key too weak or on a refused curve' },
  'unsupported-key-type': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-9', summary: 'public key type not supported' },
  'missing-digital-signature': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-10', summary: 'end-entity keyUsage absent or lacking a required bit' },
  'missing-key-encipherment': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-11', summary: 'RSA key transport certificate without keyEncipherment' },
  'wrong-extended-key-usage': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-12', summary: 'extendedKeyUsage lacks the required purpose' },
  'anchor-has-eku': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-12', summary: 'self-signed root carries extendedKeyUsage (CA/B Forum 7.1.2.1.2)' },
  'missing-user-id': { alert: 'bad_certificate', requirement: 'E2ED-CERT-13', summary: 'no single valid rfc822Name user ID in subjectAltName' },
  'bad-subject-alt-name': { alert: 'bad_certificate', requirement: 'E2ED-CERT-13', summary: 'subjectAltName criticality inconsistent with the subject' },
  'identity-mismatch': { alert: 'identity_mismatch', requirement: 'E2ED-CERT-14', summary: 'rfc822Name differs from the expected user ID' },
  'leaf-is-ca': { alert: 'bad_certificate', requirement: 'E2ED-CERT-15', summary: 'end-entity basicConstraints cA TRUE' },
  'keycertsign-without-ca': { alert: 'bad_certificate', requirement: 'E2ED-CERT-15', summary: 'keyCertSign asserted without basicConstraints cA' },
  'unknown-critical-extension': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-16', summary: 'unrecognised critical extension' },
  // Profile rfc5280 only: profile e2ed processes no policy extension (E2ED-CERT-16).
  'bad-policy-extension': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-16', summary: 'malformed policy extension (profile rfc5280: RFC 5280 4.2.1.4/4.2.1.5/4.2.1.11/4.2.1.14)' },
  'no-valid-policy': { alert: 'unsupported_certificate', requirement: 'E2ED-CERT-16', summary: 'explicit policy required, none valid for the path (profile rfc5280: RFC 5280 6.1)' },
  'duplicate-extension': { alert: 'bad_certificate', requirement: 'E2ED-CERT-17', summary: 'an extension OID appears twice' },
  'issuer-not-ca': { alert: 'bad_certificate', requirement: 'E2ED-CERT-18', summary: 'issuing certificate without critical basicConstraints cA TRUE' },
  'issuer-missing-keycertsign': { alert: 'bad_certificate', requirement: 'E2ED-CERT-18', summary: 'issuing certificate keyUsage lacks keyCertSign' },
  'ca-empty-subject': { alert: 'bad_certificate', requirement: 'E2ED-CERT-18', summary: 'issuing certificate with an empty subject' },
  'path-length-exceeded': { alert: 'bad_certificate', requirement: 'E2ED-CERT-19', summary: 'pathLenConstraint violated' },
  'name-constraints-violated': { alert: 'bad_certificate', requirement: 'E2ED-CERT-20', summary: 'a name lies outside the permitted or inside an excluded subtree' },
  'name-constraints-invalid': { alert: 'bad_certificate', requirement: 'E2ED-CERT-20', summary: 'malformed or unprocessable name constraints' },
  'name-constraints-too-complex': { alert: 'bad_certificate', requirement: 'E2ED-CERT-20', summary: 'names x constraints above the processing bound' },
  'path-too-long': { alert: 'bad_certificate', requirement: 'E2ED-CERT-21', summary: 'path longer than the maximum depth' },
  'bad-serial-number': { alert: 'bad_certificate', requirement: 'E2ED-CERT-22', summary: 'serialNumber zero, negative or longer than 20 octets' },
  revoked: { alert: 'certificate_revoked', requirement: 'E2ED-CERT-24', summary: 'certificate revoked' },
  // E2ED-CERT-30: "unknown" is the registry's verified answer about a serial it never issued; a
  // status that cannot be obtained is a local failure (the registry, or the way to it), not the
  // peer's: internal_error (E2ED-ALERT-12), never certificate_revoked, which would say it is revoked.
  'status-unknown': { alert: 'bad_certificate', requirement: 'E2ED-CERT-30', summary: 'the registry did not issue the leaf (status unknown)' },
  'status-unavailable': { alert: 'internal_error', requirement: 'E2ED-CERT-30', summary: 'the status of the leaf could not be obtained' },
  'bad-revocation-data': { alert: 'certificate_revoked', requirement: 'E2ED-CERT-24', summary: 'revocation data (CRL) invalid, so status cannot be established' },
  'bad-key-identifier': { alert: 'bad_certificate', requirement: 'E2ED-CERT-26', summary: 'AKI/SKI missing or malformed (enforced by profile rfc5280 only)' },
} as const satisfies Record<string, { alert: AlertName; requirement: string; summary: string }>;

export type ValidationFailureReason = keyof typeof REASONS;

export const REASON_NAMES = Object.keys(REASONS) as ValidationFailureReason[];

export function reasonAlert(r: ValidationFailureReason): AlertName {
  return REASONS[r].alert;
}

export function reasonRequirement(r: ValidationFailureReason): string {
  return REASONS[r].requirement;
}
