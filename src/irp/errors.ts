// The typed errors an IRP client raises. `code` is either the registry's Error code (section
// 14.2 of docs/spec.md; an unknown one becomes `internal`, IRP-FRAME-7) or one of the client's own
// verdicts on an answer it refused to use (IRP-FRAME-8, IRP-LOOKUP-3/4/5, IRP-STATUS-5, IRP-CA-3).
import type { IrpErrorCode } from '../protocol/irp-messages.js';

export type IrpClientFailure =
  /** The TLS connection could not be made or was lost. */
  | 'connection_failed'
  /** No answer within the client's timeout (IRP-FRAME-9). */
  | 'timeout'
  /** An answer that does not decode, carries another id or another root (IRP-FRAME-8). */
  | 'bad_response'
  /** The registry does not list what the client needs (IRP-CAP-1, IRP-CAP-2). */
  | 'unsupported_registry'
  /** The registry signing certificate fails IRP-CA-3 (chain, keyUsage, CA flag, registry purpose). */
  | 'untrusted_registry_certificate'
  /** A Lookup or Status signature that does not verify (IRP-LOOKUP-3, IRP-STATUS-5). */
  | 'bad_signature'
  /** A verified Record that fails IRP-LOOKUP-4 (user, timestamp, chain, serial). */
  | 'record_rejected'
  /** A verified Record older than one already seen for the user (IRP-LOOKUP-5). */
  | 'rollback'
  /** A verified Status document that fails IRP-STATUS-5 (serial, nonce, value, timestamp). */
  | 'status_rejected';

export type IrpErrorKind = IrpErrorCode | IrpClientFailure;

export class IrpError extends Error {
  readonly code: IrpErrorKind;
  /** The requirement id of docs/spec.md the refusal enforces, when one applies. */
  readonly requirement: string | undefined;

  constructor(code: IrpErrorKind, message: string, requirement?: string) {
    super(message);
    this.name = 'IrpError';
    this.code = code;
    this.requirement = requirement;
  }
}
