// tap's `t.throws(fn, wanted)` matches any property of the thrown error at run time, but its
// types only name Error's own fields; this gives the ProtocolError match a type.
import type { ErrorMatch } from '@tapjs/asserts';
import type { AlertName } from '../../src/protocol/alerts.js';

/** Matches a ProtocolError carrying exactly this alert. */
export function withAlert(alert: AlertName, requirement?: string): ErrorMatch {
  return (requirement === undefined ? { alert } : { alert, requirement }) as unknown as ErrorMatch;
}
