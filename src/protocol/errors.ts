// Errors typed by who is at fault (STYLE.md: rustls's PeerMisbehaved / PeerIncompatible /
// InvalidMessage split). Every error carries exactly one alert; the alert is chosen where
// the error is classified, never by the code that later sends it.
import type { AlertName } from './alerts.js';

/**
 * - `invalid-message`: the bytes do not parse as the spec defines (framing, XML, encodings).
 * - `peer-misbehaved`: well-formed, but the peer broke a rule (order, signature, identity).
 * - `peer-incompatible`: well-formed and honest, but no common version/method/cipher.
 * - `certificate`: the peer's certificate chain failed validation.
 * - `local`: our own failure (internal_error); never the peer's fault.
 */
export type Fault = 'invalid-message' | 'peer-misbehaved' | 'peer-incompatible' | 'certificate' | 'local';

export class ProtocolError extends Error {
  readonly fault: Fault;
  readonly alert: AlertName;
  /** Requirement id in docs/spec.md that the check enforces, when one applies. */
  readonly requirement: string | undefined;

  constructor(fault: Fault, alert: AlertName, message: string, requirement?: string) {
    super(message);
    this.name = 'ProtocolError';
    this.fault = fault;
    this.alert = alert;
    this.requirement = requirement;
  }
}

export const invalidMessage = (alert: AlertName, message: string, requirement?: string): ProtocolError =>
  new ProtocolError('invalid-message', alert, message, requirement);
export const peerMisbehaved = (alert: AlertName, message: string, requirement?: string): ProtocolError =>
  new ProtocolError('peer-misbehaved', alert, message, requirement);
export const peerIncompatible = (alert: AlertName, message: string, requirement?: string): ProtocolError =>
  new ProtocolError('peer-incompatible', alert, message, requirement);
