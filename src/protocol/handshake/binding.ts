// What the signatures and Finished MACs cover (docs/spec.md, sections 5.5, 5.6 and 6.3):
// in 1.0 the transcript hash TH over the handshake frames as sent; in 0.9 the binding
// B09 = SHA-256(nonce_I || nonce_R || ids) "in place of TH(...) everywhere".
import { binding09, type Transcript } from '../transcript.js';
import type { HandshakeSession } from './session.js';

export function handshakeBinding(session: HandshakeSession, transcript: Transcript): Buffer {
  return session.version === '1.0' ? transcript.hash() : legacyBinding(session);
}

export function legacyBinding(session: HandshakeSession): Buffer {
  return binding09(session.nonceI, session.nonceR, session.initiatorId, session.responderId);
}
