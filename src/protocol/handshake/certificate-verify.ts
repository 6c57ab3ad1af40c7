// CertificateVerify (docs/spec.md, section 4.3 "CertificateVerify"; brief, "Key schedule"):
//   R signs "E2ED 1.0 responder signature" || 0x00 || TH(Hello_I, Hello_R);
//   I signs "E2ED 1.0 initiator signature" || 0x00 || TH(Hello_I .. Fin_R);
//   in 0.9 the "E2ED 0.9 ..." contexts over B09.
// "The algorithm must match the leaf key (else illegal_parameter); bad signature: decrypt_error."
import { peerMisbehaved } from '../errors.js';
import { signedContent, SIGNATURE_CONTEXT } from '../keyschedule.js';
import type { CertificateVerify } from '../messages.js';
import { sign, verify, type SignatureAlgorithm } from '../signature.js';
import type { Transcript } from '../transcript.js';
import { handshakeBinding, legacyBinding } from './binding.js';
import { flipLastBit, type HandshakeContext } from './context.js';
import type { Role } from './events.js';
import type { HandshakeSession } from './session.js';

function signatureContext(version: HandshakeSession['version'], signer: Role): string {
  if (version === '1.0') return signer === 'responder' ? SIGNATURE_CONTEXT.responder10 : SIGNATURE_CONTEXT.initiator10;
  return signer === 'responder' ? SIGNATURE_CONTEXT.responder09 : SIGNATURE_CONTEXT.initiator09;
}

function otherRole(role: Role): Role {
  return role === 'initiator' ? 'responder' : 'initiator';
}

function mismatchedAlgorithm(alg: SignatureAlgorithm): SignatureAlgorithm {
  return alg === 'ecdsa-p256-sha256' ? 'ed25519' : 'ecdsa-p256-sha256';
}

/** Our CertificateVerify over the transcript so far (the knobs of certificateVerify.* apply here). */
export function makeCertificateVerify(ctx: HandshakeContext, session: HandshakeSession, transcript: Transcript): CertificateVerify {
  const knobs = ctx.bugs.certificateVerify;
  const contextRole = knobs?.wrongContext ? otherRole(ctx.role) : ctx.role;
  const covered = knobs?.legacyBinding ? legacyBinding(session) : handshakeBinding(session, transcript);
  const content = signedContent(signatureContext(session.version, contextRole), covered);
  let signature = sign(ctx.signatureAlgorithm, ctx.privateKey, content, ctx.rng.signature);
  if (knobs?.corruptSignature) signature = flipLastBit(signature);
  const algorithm = knobs?.wrongAlgorithm ? mismatchedAlgorithm(ctx.signatureAlgorithm) : ctx.signatureAlgorithm;
  return { kind: 'CertificateVerify', algorithm, signature };
}

/** Check the peer's CertificateVerify against the transcript before it. */
export function checkCertificateVerify(
  ctx: HandshakeContext,
  msg: CertificateVerify,
  session: HandshakeSession,
  transcript: Transcript,
): void {
  // "The algorithm must match the leaf key (else illegal_parameter)".
  if (msg.algorithm !== session.peerSignatureAlgorithm) {
    throw peerMisbehaved(
      'illegal_parameter',
      `CertificateVerify algorithm ${msg.algorithm} does not match the peer's leaf key (${session.peerSignatureAlgorithm})`,
      'E2ED-HS-27',
    );
  }
  if (ctx.bugs.certificateVerify?.skipVerification) return;
  const signer = otherRole(ctx.role);
  const content = signedContent(signatureContext(session.version, signer), handshakeBinding(session, transcript));
  // "bad signature: decrypt_error".
  if (!verify(session.peerSignatureAlgorithm, session.peerPublicKey, content, msg.signature)) {
    throw peerMisbehaved('decrypt_error', `${signer}'s CertificateVerify signature does not verify`, 'E2ED-HS-28');
  }
}
