// tap's `t.throws(fn, wanted)` matches any property of the thrown error at run time, but its
// types only name Error's own fields; this gives the ProtocolError match a type.
import type { ErrorMatch } from '@tapjs/asserts';
import type { AlertName } from '../../src/protocol/alerts.js';
import { ProtocolError } from '../../src/protocol/errors.js';

/** Matches a ProtocolError carrying exactly this alert. */
export function withAlert(alert: AlertName, requirement?: string): ErrorMatch {
  return (requirement === undefined ? { alert } : { alert, requirement }) as unknown as ErrorMatch;
}

/** The alert of the ProtocolError `fn` throws, or undefined when it returns; other errors propagate. */
export function alertOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.alert;
    throw err;
  }
  return undefined;
}
