// The verdict on a conversation: what each side did against the outcomes the case accepts.
// Pure: observation in, the list of mismatches out (empty: pass). tlsfuzzer's rule holds here too:
// an expected failure that does not happen is itself a failure.
import { SIDES, type ConversationExpectation, type ConversationObservation, type SideExpectation, type SideObservation } from './model.js';

/** Alerts that end a connection normally; "sends no alert" means none other than these. */
const CLOSURE_ALERTS = new Set(['close_notify', 'user_canceled']);

function fatal(alerts: readonly string[]): string[] {
  return alerts.filter((a) => !CLOSURE_ALERTS.has(a));
}

function said(list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(', ');
}

function checkAlerts(where: string, expected: string[] | null | undefined, got: readonly string[], out: string[]): void {
  if (expected === undefined) return;
  const f = fatal(got);
  if (expected === null) {
    if (f.length > 0) out.push(`${where}: expected no alert, got ${said(f)}`);
    return;
  }
  if (f.length === 0) out.push(`${where}: expected ${expected.join(' or ')}, got no alert`);
  else if (f.length > 1) out.push(`${where}: expected exactly one alert (${expected.join(' or ')}), got ${said(f)}`);
  else if (!expected.includes(f[0]!)) out.push(`${where}: expected ${expected.join(' or ')}, got ${f[0]}`);
}

function checkCount(where: string, expected: number | undefined, got: number, out: string[]): void {
  if (expected !== undefined && expected !== got) out.push(`${where}: expected ${expected}, got ${got}`);
}

export function judgeSide(side: string, e: SideExpectation, o: SideObservation): string[] {
  const out: string[] = [];
  if (e.connected !== undefined && e.connected !== o.connected) {
    out.push(`${side} Connected: expected ${e.connected ? 'yes' : 'no'}, got ${o.connected ? 'yes' : 'no'}`);
  }
  checkAlerts(`${side} alert sent`, e.alertSent, o.alertsSent, out);
  checkAlerts(`${side} alert received`, e.alertReceived, o.alertsReceived, out);
  if (e.closed !== undefined && (o.closed === undefined || !e.closed.includes(o.closed.how))) {
    out.push(`${side} end of connection: expected ${e.closed.join(' or ')}, got ${o.closed ? o.closed.how : 'still open'}`);
  }
  for (const field of ['version', 'method', 'cipher'] as const) {
    const accepted = e.negotiated?.[field];
    if (accepted === undefined) continue;
    const got = o.negotiated?.[field];
    if (got === undefined || !accepted.includes(got)) out.push(`${side} ${field}: expected ${accepted.join(' or ')}, got ${got ?? 'nothing negotiated'}`);
  }
  checkCount(`${side} messages delivered`, e.delivered, o.delivered, out);
  checkCount(`${side} receipts`, e.receipts, o.receipts, out);
  checkCount(`${side} pongs`, e.pongs, o.pongs, out);
  checkCount(`${side} receive key generation`, e.receiveGeneration, o.receiveGeneration, out);
  checkCount(`${side} send key generation`, e.sendGeneration, o.sendGeneration, out);
  return out;
}

export function judgeConversation(expect: ConversationExpectation, obs: ConversationObservation): string[] {
  const out: string[] = [];
  for (const side of SIDES) {
    const e = expect[side];
    if (e) out.push(...judgeSide(side, e, obs[side]));
  }
  if (expect.agree) {
    if (obs.exportersEqual !== true) out.push(`exporters: expected the same value on both sides, got ${obs.exportersEqual === false ? 'different values' : 'no value on one side'}`);
    const i = obs.initiator.negotiated;
    const r = obs.responder.negotiated;
    if (!i || !r || i.version !== r.version || i.method !== r.method || i.cipher !== r.cipher) {
      out.push(`parameters: expected the same on both sides, got ${JSON.stringify(i ?? null)} and ${JSON.stringify(r ?? null)}`);
    }
  }
  // Setup failures and time-outs are failures whatever was expected.
  for (const note of obs.notes) if (!note.startsWith('not run')) out.push(note);
  return out;
}
