// What both roles know once the Hellos are exchanged: the negotiated parameters, the nonces, the
// identities and the handshake secret (docs/spec.md, section 7 "Key schedule"). The states after the
// Hellos carry one of these, so each later handler has exactly what it needs.
import type { KeyObject } from 'node:crypto';
import type { CipherName } from '../record.js';
import type { SignatureAlgorithm } from '../signature.js';
import type { MethodName, Version } from './selection.js';

export interface HandshakeSession {
  readonly version: Version;
  readonly method: MethodName;
  readonly cipher: CipherName;
  readonly nonceI: Buffer;
  readonly nonceR: Buffer;
  /** `from` of the initiator's Hello. */
  readonly initiatorId: string;
  /** `from` of the responder's Hello. */
  readonly responderId: string;
  /** HS = HKDF-Extract(salt = nonce_I || nonce_R, IKM = Z). */
  readonly hs: Buffer;
  /** The verified peer (its leaf key signs the peer's CertificateVerify). */
  readonly peerUserId: string;
  readonly peerPublicKey: KeyObject;
  readonly peerSignatureAlgorithm: SignatureAlgorithm;
}
