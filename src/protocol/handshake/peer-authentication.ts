// Authenticating the peer from its Hello (brief, "Identity and certificates"): the chain is
// validated by the caller's verifyPeer (the validator, src/pki/validator.ts), the identity it
// names must be the one expected, and its leaf key must be one the protocol accepts for
// CertificateVerify. The validation.* knobs are read here, where the verdict is taken.
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Bugs } from '../bugs.js';
import type { AlertName } from '../alerts.js';
import { peerIncompatible, peerMisbehaved, ProtocolError } from '../errors.js';
import { sameUserId } from '../identity.js';
import { signatureAlgorithmForKey, type SignatureAlgorithm } from '../signature.js';

export type PeerVerification =
  | { ok: true; userId: string; publicKey: KeyObject }
  | { ok: false; alert: AlertName; reason: string; requirement?: string };

export type VerifyPeer = (
  chain: Buffer[],
  ctx: { expectedUserId?: string; requireKeyEncipherment: boolean },
) => PeerVerification;

export interface AuthenticatedPeer {
  userId: string;
  publicKey: KeyObject;
  signatureAlgorithm: SignatureAlgorithm;
}

function acceptedDespite(alert: AlertName, bugs: Bugs): boolean {
  const v = bugs.validation;
  return (
    (alert === 'certificate_expired' && v?.acceptExpired === true) ||
    (alert === 'unknown_ca' && v?.acceptUnknownCa === true) ||
    (alert === 'certificate_revoked' && v?.acceptRevoked === true)
  );
}

/**
 * `expectedUserId`: whom the certificate must name. At the responder: the initiator's `from`
 * ("R checks I's From against I's certificate"); at the initiator: the `to` it asked for ("I checks
 * R's certificate names the To it asked for"). Mismatch: identity_mismatch.
 */
export function authenticatePeer(
  verifyPeer: VerifyPeer,
  chain: Buffer[],
  opts: { expectedUserId: string; requireKeyEncipherment: boolean },
  bugs: Bugs,
): AuthenticatedPeer {
  const checkIdentity = !bugs.validation?.skipIdentityCheck;
  const verdict = verifyPeer(chain, {
    expectedUserId: checkIdentity ? opts.expectedUserId : undefined,
    requireKeyEncipherment: opts.requireKeyEncipherment,
  });
  let userId: string;
  let publicKey: KeyObject;
  if (verdict.ok) {
    userId = verdict.userId;
    publicKey = verdict.publicKey;
  } else if (acceptedDespite(verdict.alert, bugs)) {
    userId = opts.expectedUserId;
    publicKey = leafPublicKey(chain);
  } else {
    throw new ProtocolError('certificate', verdict.alert, verdict.reason, verdict.requirement);
  }
  if (checkIdentity && !sameUserId(userId, opts.expectedUserId)) {
    throw peerMisbehaved('identity_mismatch', `certificate names ${userId}, expected ${opts.expectedUserId}`, 'E2ED-CERT-14');
  }
  const signatureAlgorithm = signatureAlgorithmForKey(publicKey);
  // "Signatures by certificate key: ECDSA P-256/SHA-256, Ed25519, RSA-PSS/SHA-256 (RSA at least
  // 2048 bits) ... a weaker key must be refused (insufficient_security)".
  if (signatureAlgorithm === null) {
    throw peerIncompatible('insufficient_security', `peer leaf key (${publicKey.asymmetricKeyType}) cannot sign CertificateVerify`, 'E2ED-CERT-8');
  }
  return { userId, publicKey, signatureAlgorithm };
}

function leafPublicKey(chain: Buffer[]): KeyObject {
  try {
    return new X509Certificate(chain[0]!).publicKey;
  } catch {
    throw new ProtocolError('certificate', 'bad_certificate', 'leaf certificate does not parse', 'E2ED-HS-7');
  }
}
