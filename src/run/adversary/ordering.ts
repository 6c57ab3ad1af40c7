// The handshake-ordering family (docs/spec.md 5.8, E2ED-HS-31): every state of both state tables,
// read from the spec itself (state-tables.ts), times every message the adversary can send there
// that the table does not list as acceptable, each with the alert and closure the spec requires.
// The messages are data (suites/adversary.json "ordering.messages"); the verdict rule is here.
import { handshakeSteps } from '../../adversary/adversary.js';
import type { ScriptStep, SendStep } from '../../adversary/script.js';
import type { CaseSpec } from '../model.js';
import { adversaryCase, type Ending } from './cases.js';
import { AdversaryDataError } from './data-error.js';
import type { StateRow } from './state-tables.js';

export type OrderingClass = 'handshake' | 'application' | 'unknown' | 'unknown-critical' | 'record' | 'alert';
export type AlertKind = 'fatal' | 'close_notify' | 'user_canceled' | 'unknown-code' | 'fatal-as-warning';

export interface OrderingMessage {
  title: string;
  class: OrderingClass;
  /** Handshake messages: the name the state tables use for it. */
  matches?: string;
  alert?: AlertKind;
  send: SendStep;
}

export interface OrderingData {
  messages: Record<string, OrderingMessage>;
}

const other = (r: 'initiator' | 'responder'): 'initiator' | 'responder' => (r === 'initiator' ? 'responder' : 'initiator');

export function orderingCases(rows: readonly StateRow[], data: OrderingData): CaseSpec[] {
  const cases: CaseSpec[] = [];
  for (const row of rows) {
    const iutRole = row.role;
    const advRole = other(iutRole);
    let prefix: ScriptStep[];
    try {
      prefix = handshakeSteps(advRole, row.state);
    } catch (err) {
      throw new AdversaryDataError(`docs/spec.md 5.8, ${iutRole} table: ${(err as Error).message}`);
    }
    for (const [key, m] of Object.entries(data.messages)) {
      if (row.state !== 'Connected') {
        const ending = beforeConnected(row, m);
        if (!ending) continue;
        const send: SendStep = { ...m.send, as: 'plaintext' };
        if (m.class === 'record') delete send.as;
        cases.push(
          adversaryCase({
            id: `ordering.${iutRole}.${row.state}.${key}`,
            suite: 'ordering',
            title: `The ${iutRole} in ${row.state} receives ${m.title}`,
            requirements: ['E2ED-HS-31', ...ending.requirements],
            script: { role: advRole, steps: [...prefix, send] },
            ending: ending.ending,
          }),
        );
        continue;
      }
      // Connected: the message in a plaintext frame, and (for what can be) inside a record.
      if (m.class !== 'record') {
        const p = connectedPlaintext(row, m);
        if (p) {
          cases.push(
            adversaryCase({
              id: `ordering.${iutRole}.Connected.plaintext.${key}`,
              suite: 'ordering',
              title: `The ${iutRole}, Connected, receives ${m.title} in a plaintext frame`,
              requirements: p.requirements,
              script: { role: advRole, steps: [...prefix, { ...m.send, as: 'plaintext' }] },
              ending: p.ending,
            }),
          );
        }
        if (iutRole === 'initiator' && m.class === 'alert') {
          // E2ED-HS-33: "any other plaintext frame, or a plaintext frame after that record, is unexpected_message".
          cases.push(
            adversaryCase({
              id: `ordering.initiator.Connected.afterFirstRecord.plaintext.${key}`,
              suite: 'ordering',
              title: `The initiator, Connected and past the responder's first record, receives ${m.title} in a plaintext frame`,
              requirements: ['E2ED-HS-33', 'E2ED-REC-6'],
              script: { role: advRole, steps: [...prefix, { do: 'roundTrip', id: 'first' }, { ...m.send, as: 'plaintext' }] },
              ending: { refused: 'frame.plaintextAfterHandshake', in: 'record' },
            }),
          );
        }
        const r = connectedRecord(m);
        if (r) {
          cases.push(
            adversaryCase({
              id: `ordering.${iutRole}.Connected.record.${key}`,
              suite: 'ordering',
              title: `The ${iutRole}, Connected, receives ${m.title} inside a record`,
              requirements: r.requirements,
              script: { role: advRole, steps: [...prefix, { ...m.send, as: 'record' }] },
              ending: r.ending,
            }),
          );
        }
      }
    }
  }
  return cases;
}

interface Outcome {
  ending: Ending;
  requirements: string[];
}

const silently = (requirements: string[]): Outcome => ({ ending: { silentClose: true }, requirements });

function alertBeforeConnected(kind: AlertKind): Outcome {
  switch (kind) {
    case 'fatal':
      return silently(['E2ED-ALERT-5', 'E2ED-ALERT-6']);
    case 'close_notify':
    case 'user_canceled':
      return silently(['E2ED-ALERT-8', 'E2ED-ALERT-6']);
    case 'unknown-code':
    case 'fatal-as-warning':
      return silently(['E2ED-ALERT-3', 'E2ED-ALERT-5']);
  }
}

function beforeConnected(row: StateRow, m: OrderingMessage): Outcome | undefined {
  switch (m.class) {
    case 'handshake':
      if (row.acceptable.includes(m.matches as never)) return undefined; // the normal path
      return { ending: { refused: 'state.unexpected', in: 'plaintext' }, requirements: ['E2ED-HS-31', ...(m.matches?.startsWith('Hello') ? ['E2ED-HS-34'] : [])] };
    case 'application':
      // Refused, so not acknowledged: nothing is delivered before Connected (a Receipt would be the proof of delivery).
      return { ending: { refused: 'app.inPlaintext', in: 'plaintext' }, requirements: ['E2ED-ID-9', 'E2ED-APP-10'] };
    case 'unknown':
    case 'unknown-critical':
      return { ending: { refused: 'xml.unknownPlaintextRoot', in: 'plaintext' }, requirements: [] };
    case 'record':
      return { ending: { refused: 'frame.recordBeforeConnected', in: 'plaintext' }, requirements: row.state.startsWith('ExpectInitiatorFinished') ? ['E2ED-HS-32'] : [] };
    case 'alert':
      if (!row.acceptable.includes('Alert')) return { ending: { refused: 'state.unexpected', in: 'plaintext' }, requirements: [] };
      return alertBeforeConnected(m.alert!);
  }
}

function connectedPlaintext(row: StateRow, m: OrderingMessage): Outcome | undefined {
  if (m.class === 'alert' && row.acceptable.includes('Alert')) {
    // E2ED-HS-33: a Connected initiator accepts a plaintext Alert until the responder's first record.
    // A close_notify or user_canceled there "aborts the handshake as E2ED-ALERT-8 says: the initiator
    // closes without sending an alert ... never as a clean end": no close_notify of its own.
    if (m.alert === 'close_notify' || m.alert === 'user_canceled') return silently(['E2ED-HS-33', 'E2ED-ALERT-8']);
    return silently(['E2ED-HS-33', 'E2ED-ALERT-5']);
  }
  return {
    ending: { refused: 'frame.plaintextAfterHandshake', in: 'record' },
    requirements: ['E2ED-ALERT-4', ...(m.class === 'application' ? ['E2ED-APP-8'] : []), ...(m.class === 'handshake' ? ['E2ED-HS-34'] : [])],
  };
}

function connectedRecord(m: OrderingMessage): Outcome | undefined {
  const alive: ScriptStep[] = [{ do: 'roundTrip', id: 'after' }];
  switch (m.class) {
    case 'handshake':
      return { ending: { refused: 'record.handshakeInside', in: 'record' }, requirements: ['E2ED-HS-31', 'E2ED-HS-34'] };
    case 'application':
      return undefined; // acceptable: the records family and the sanity conversation cover them
    case 'unknown':
      return { ending: { goesOn: alive }, requirements: ['E2ED-APP-12', 'E2ED-XML-19'] };
    case 'unknown-critical':
      return { ending: { refused: 'xml.criticalUnknownRoot', in: 'record' }, requirements: [] };
    case 'record':
      return undefined;
    case 'alert':
      switch (m.alert!) {
        case 'fatal':
          return silently(['E2ED-ALERT-5']);
        case 'unknown-code':
        case 'fatal-as-warning':
          return silently(['E2ED-ALERT-3', 'E2ED-ALERT-5']);
        case 'close_notify':
          return {
            ending: { goesOn: [{ do: 'expect', alert: ['close_notify'], level: 'warning', in: 'record' }, { do: 'expect', closed: 'any' }] },
            requirements: ['E2ED-ALERT-7', 'E2ED-ALERT-6', 'E2ED-ALERT-3'],
          };
        case 'user_canceled':
          return { ending: { goesOn: alive }, requirements: ['E2ED-ALERT-8'] };
      }
  }
}
