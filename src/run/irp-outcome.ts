// The outcome of an IRP client operation as the IRP checks compare it.
import { IrpError } from '../irp/errors.js';

/** 'ok', or the IrpError code the operation failed with; any other error propagates. */
export async function irpOutcome(op: Promise<unknown>): Promise<string> {
  try {
    await op;
    return 'ok';
  } catch (err) {
    if (err instanceof IrpError) return err.code;
    throw err;
  }
}
