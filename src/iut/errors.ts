// Why an implementation could not be brought up for a case. `unsupported` (exit status 127, the
// QUIC interop runner's rule) makes the case a skip; anything else makes it an `error` verdict.
import type { IutDiagnostics } from './door.js';

export type IutStartProblem = 'unsupported' | 'not-started' | 'not-ready' | 'exited';

export class IutStartError extends Error {
  constructor(
    readonly problem: IutStartProblem,
    message: string,
    readonly diagnostics?: IutDiagnostics,
  ) {
    super(message);
    this.name = 'IutStartError';
  }
}
