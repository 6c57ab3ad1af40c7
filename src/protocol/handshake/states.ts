// The connection's states, one per awaited message (STYLE.md, rustls's Expect* states).
//   initiator: ExpectResponderHello -> ExpectResponderCertificateVerify -> ExpectResponderFinished -> Connected -> Closed
//   responder: ExpectInitiatorHello -> ExpectInitiatorCertificateVerify -> ExpectInitiatorFinished -> Connected -> Closed
// Each state holds only what its handler needs; a handler consumes its state and returns the next.
import { peerMisbehaved, type ProtocolError } from '../errors.js';
import type { E2edMessage } from '../messages.js';
import type { RecordLayer } from '../record-layer.js';
import type { Transcript } from '../transcript.js';
import type { CloseHow } from './events.js';
import type { InitiatorOffer } from './selection.js';
import type { HandshakeSession } from './session.js';

/** An initiator before start(): nothing sent, nothing can be received. */
export interface Idle {
  name: 'Idle';
}

export interface ExpectResponderHello {
  name: 'ExpectResponderHello';
  nonce: Buffer;
  offer: InitiatorOffer;
  /** The `to` of our Hello: whom the responder's certificate must name. */
  peerUserId: string;
  /** The `from` of our Hello as sent (ID_I of the 0.9 binding). */
  sentFrom: string;
  /** ECDHE private key of our key share, or the premaster for rsa-oaep. */
  ecdhePrivateKey?: Buffer;
  premaster?: Buffer;
  /** rsa-oaep: the SubjectPublicKeyInfo the premaster was encrypted to (E2ED-HS-26). */
  keyTransportSpki?: Buffer;
  transcript: Transcript;
}

export interface ExpectResponderCertificateVerify {
  name: 'ExpectResponderCertificateVerify';
  session: HandshakeSession;
  transcript: Transcript;
}

export interface ExpectResponderFinished {
  name: 'ExpectResponderFinished';
  session: HandshakeSession;
  transcript: Transcript;
}

export interface ExpectInitiatorHello {
  name: 'ExpectInitiatorHello';
}

export interface ExpectInitiatorCertificateVerify {
  name: 'ExpectInitiatorCertificateVerify';
  session: HandshakeSession;
  transcript: Transcript;
}

export interface ExpectInitiatorFinished {
  name: 'ExpectInitiatorFinished';
  session: HandshakeSession;
  transcript: Transcript;
}

export interface Connected {
  name: 'Connected';
  session: HandshakeSession;
  recordLayer: RecordLayer;
  exporter: Buffer;
  /** Until the peer's first record, the initiator still accepts a plaintext Alert (the responder
   *  may refuse our CertificateVerify/Finished before it has traffic keys). */
  peerRecordSeen: boolean;
}

/**
 * We sent close_notify and wait for the peer's: "The session ends cleanly only when a close_notify
 * has been received" (E2ED-ALERT-7). Records are still opened and delivered; nothing is sent.
 */
export interface Closing extends Omit<Connected, 'name'> {
  name: 'Closing';
}

export interface Closed {
  name: 'Closed';
  how: CloseHow;
}

export type InitiatorHandshakeState = ExpectResponderHello | ExpectResponderCertificateVerify | ExpectResponderFinished;
export type ResponderHandshakeState = ExpectInitiatorHello | ExpectInitiatorCertificateVerify | ExpectInitiatorFinished;
export type HandshakeState = InitiatorHandshakeState | ResponderHandshakeState;
export type State = Idle | HandshakeState | Connected | Closing | Closed;
export type StateName = State['name'];

/** What each state awaits, in the words of the spec, for the unexpected_message error. */
const AWAITED: Record<HandshakeState['name'], string> = {
  ExpectResponderHello: 'Hello (role="responder")',
  ExpectResponderCertificateVerify: "the responder's CertificateVerify",
  ExpectResponderFinished: "the responder's Finished",
  ExpectInitiatorHello: 'Hello (role="initiator")',
  ExpectInitiatorCertificateVerify: "the initiator's CertificateVerify",
  ExpectInitiatorFinished: "the initiator's Finished",
};

export function describeMessage(msg: E2edMessage | 'record'): string {
  if (msg === 'record') return 'a protected record';
  if (msg.kind === 'InitiatorHello') return 'Hello (role="initiator")';
  if (msg.kind === 'ResponderHello') return 'Hello (role="responder")';
  if (msg.kind === 'Unknown') return `unknown element <${msg.name}>`;
  return msg.kind;
}

/**
 * THE place that refuses a message that is not the awaited one ("Unknown root element:
 * unexpected_message"; "a record arriving at R before I's Finished: unexpected_message").
 */
export function unexpectedMessage(state: HandshakeState, got: E2edMessage | 'record'): ProtocolError {
  return peerMisbehaved('unexpected_message', `expected ${AWAITED[state.name]}, got ${describeMessage(got)}`, 'E2ED-HS-31');
}

/** Narrow `msg` to the awaited kind, or throw unexpected_message via the one helper above. */
export function expectKind<K extends E2edMessage['kind']>(
  state: HandshakeState,
  msg: E2edMessage,
  kind: K,
): Extract<E2edMessage, { kind: K }> {
  if (msg.kind !== kind) throw unexpectedMessage(state, msg);
  return msg as Extract<E2edMessage, { kind: K }>;
}

export function isHandshakeState(s: State): s is HandshakeState {
  return s.name !== 'Idle' && s.name !== 'Connected' && s.name !== 'Closing' && s.name !== 'Closed';
}
