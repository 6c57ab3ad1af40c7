// Reads the state tables of docs/spec.md section 5.8 ("State machines"), so that the ordering
// family is generated from the spec itself and cannot drift from it: every state of both tables,
// and for each the messages the spec lists as acceptable there. A state or an acceptable message
// this reader does not know is an error, not a silent gap.

import { AdversaryDataError } from './data-error.js';

export type Acceptable = 'Hello role=initiator' | 'Hello role=responder' | 'CertificateVerify' | 'Finished' | 'records' | 'Alert';

export interface StateRow {
  role: 'initiator' | 'responder';
  state: string;
  acceptable: Acceptable[];
  /** The acceptable column as the spec writes it. */
  text: string;
}

export class StateTableError extends AdversaryDataError {}

export function readStateTables(specText: string): StateRow[] {
  const start = specText.indexOf('### 5.8 State machines');
  if (start < 0) throw new StateTableError('docs/spec.md has no section "5.8 State machines"');
  const end = specText.indexOf('\n### ', start + 10);
  const section = specText.slice(start, end < 0 ? undefined : end);
  // "In every state before Connected, a plaintext `Alert` is acceptable and moves to Closed"
  const alertBeforeConnected = /In every state before Connected, a\s+plaintext `Alert` is acceptable/.test(section);
  if (!alertBeforeConnected) throw new StateTableError('5.8 no longer says that a plaintext Alert is acceptable in every state before Connected');
  const rows: StateRow[] = [];
  let role: 'initiator' | 'responder' | undefined;
  for (const line of section.split('\n')) {
    if (line.startsWith('**Initiator**')) role = 'initiator';
    else if (line.startsWith('**Responder**')) role = 'responder';
    const cells = line.split('|').map((c) => c.trim());
    if (!role || cells.length < 6 || cells[1] === 'state' || /^-+$/.test(cells[1]!)) continue;
    const state = cells[1]!;
    if (state === '(start)' || state === 'Closed') continue;
    const text = cells[2]!;
    rows.push({ role, state, text, acceptable: acceptableIn(text, state, alertBeforeConnected) });
  }
  if (!rows.some((r) => r.role === 'initiator') || !rows.some((r) => r.role === 'responder')) {
    throw new StateTableError('5.8 does not have both state tables (Initiator and Responder)');
  }
  return rows;
}

function acceptableIn(text: string, state: string, alertBeforeConnected: boolean): Acceptable[] {
  const out = new Set<Acceptable>();
  let rest = text;
  const take = (re: RegExp, a: Acceptable): void => {
    if (re.test(rest)) {
      out.add(a);
      rest = rest.replace(re, '');
    }
  };
  take(/plaintext `Hello` with `role="initiator"`/, 'Hello role=initiator');
  take(/plaintext `Hello` with `role="responder"`/, 'Hello role=responder');
  take(/plaintext `CertificateVerify`/, 'CertificateVerify');
  take(/plaintext `Finished`/, 'Finished');
  take(/records carrying application messages( \(section 11\))?/, 'records');
  take(/a plaintext `Alert` until the first record from R has been accepted \(E2ED-HS-33\)/, 'Alert');
  const unknown = /`[^`]+`/.exec(rest);
  if (unknown) throw new StateTableError(`5.8, state ${state}: the acceptable column names ${unknown[0]}, which the ordering generator does not know`);
  if (state !== 'Connected' && alertBeforeConnected) out.add('Alert');
  return [...out];
}
