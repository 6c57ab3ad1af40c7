// The reference UA's structured events, one JSON object per line (docs/events.md, "UA-level events").
// The UA reports what the issue asks for: handshake started; parameters negotiated; peer identity
// verified; exporter value; alert sent/received with code; message received; closed clean or truncated.
import type { AlertLevel, AlertName } from '../protocol/alerts.js';
import { alertCode } from '../protocol/alerts.js';
import type { Writable } from 'node:stream';
import type { EngineEvent } from '../protocol/handshake/events.js';

export type Role = 'initiator' | 'responder';

/** How a connection ended. `truncated`: the transport ended after the handshake without close_notify. */
export type CloseKind = 'clean' | 'truncated' | 'alert-sent' | 'alert-received' | 'error-after-close-notify' | 'handshake-timeout' | 'transport-error';

export type UaEventBody =
  | { event: 'listening'; address: string; port: number }
  /** An incoming connection past a listener limit (E2ED-LIM-8): closed at once, nothing read or sent. */
  | { event: 'connection_refused'; remote: string; limit: 'connections' | 'handshakes'; max: number }
  | { event: 'registered'; user: string; address: string; port: number }
  | { event: 'looked_up'; peer: string; address: string; port: number }
  /** IRP-CONN-6: the registry could not be reached; peers are refused until it can (E2ED-CERT-30). */
  | { event: 'registry_unreachable'; registry: string; reason: string; retry_in_ms: number }
  | { event: 'registry_reachable'; registry: string; unreachable_for_ms: number }
  | { event: 'handshake_started'; role: Role; remote: string; peer?: string }
  | { event: 'parameters_negotiated'; version: string; method: string; cipher: string }
  | { event: 'peer_verified'; peer: string }
  | { event: 'exporter'; value: string }
  | { event: 'connected'; peer: string }
  | { event: 'alert_sent'; level: AlertLevel; alert: AlertName; code: number; reason?: string; requirement?: string }
  /** `alert` as received: an unregistered name is kept, with code null. */
  | { event: 'alert_received'; level: AlertLevel; alert: string; code: number | null; reason?: string }
  | { event: 'message_received'; from: string; id: string; timestamp: string; text: string }
  | { event: 'message_sent'; id: string; length: number }
  | { event: 'receipt_received'; id: string }
  | { event: 'ping_received'; id: string }
  | { event: 'pong_received'; id: string }
  | { event: 'key_update'; direction: 'send' | 'receive'; generation: number }
  | { event: 'unknown_element'; name: string }
  | { event: 'duplicate_message'; id: string }
  | { event: 'closed'; how: CloseKind; alert?: string; unsentAlert?: string; by?: 'local' | 'peer'; reason?: string };

/** An event with the connection it belongs to (absent for agent-wide events such as `listening`). */
export type UaEvent = UaEventBody & { connection?: number; time?: string };

export type UaEventName = UaEventBody['event'];

export function alertFields(name: AlertName): { alert: AlertName; code: number } {
  return { alert: name, code: alertCode(name) };
}

/**
 * One event as one JSON line. Key order is fixed (`time`, `connection`, `event`, then the body)
 * so lines from two runs can be compared with diff.
 */
export function formatEvent(ev: UaEvent): string {
  const { time, connection, event, ...rest } = ev as UaEvent & Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  if (time !== undefined) ordered.time = time;
  if (connection !== undefined) ordered.connection = connection;
  ordered.event = event;
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) ordered[k] = v;
  return `${JSON.stringify(ordered)}\n`;
}

export type EventSink = (ev: UaEvent) => void;

/** A sink that writes JSON lines to a stream, stamping each with the wall-clock time unless told not to. */
export function jsonLinesSink(stream: Writable, opts: { timestamps?: boolean } = {}): EventSink {
  const timestamps = opts.timestamps ?? true;
  return (ev) => {
    stream.write(formatEvent(timestamps ? { time: new Date().toISOString(), ...ev } : ev));
  };
}

/**
 * The UA event for an engine event, `peer` being the verified peer user ID when known.
 * Key-log events have no UA event: secrets go to the key-log file only, never to the event stream.
 */
export function engineEventToUa(ev: EngineEvent, peer: string | undefined): UaEventBody | undefined {
  switch (ev.type) {
    case 'handshake_started':
    case 'keylog':
      return undefined; // the UA reports handshake_started itself, with the remote address
    case 'negotiated':
      return { event: 'parameters_negotiated', version: ev.version, method: ev.method, cipher: ev.cipher };
    case 'peer_verified':
      return { event: 'peer_verified', peer: ev.userId };
    case 'connected':
      return { event: 'connected', peer: ev.peerUserId };
    case 'exporter':
      return { event: 'exporter', value: ev.hex };
    case 'alert_sent':
      return { event: 'alert_sent', level: ev.level, alert: ev.alert, code: ev.code, reason: ev.reason, requirement: ev.requirement };
    case 'alert_received':
      return { event: 'alert_received', level: ev.level, alert: ev.alert, code: ev.code, reason: ev.reason };
    case 'message_received': {
      const m = ev.message;
      switch (m.kind) {
        case 'Message':
          return { event: 'message_received', from: peer ?? '', id: m.id, timestamp: m.timestamp, text: m.text };
        case 'Receipt':
          return { event: 'receipt_received', id: m.id };
        case 'Ping':
          return { event: 'ping_received', id: m.id };
        case 'Pong':
          return { event: 'pong_received', id: m.id };
        default:
          return undefined;
      }
    }
    case 'key_updated':
      return { event: 'key_update', direction: ev.direction, generation: ev.generation };
    case 'unknown_message_ignored':
      return { event: 'unknown_element', name: ev.name };
    case 'duplicate_message_ignored':
      return { event: 'duplicate_message', id: ev.id };
    case 'closed':
      return { event: 'closed', how: closeKindOf(ev), alert: ev.alert, unsentAlert: ev.unsentAlert, by: ev.by, reason: ev.reason };
    default: {
      const unreachable: never = ev;
      return unreachable;
    }
  }
}

export function closeKindOf(ev: Extract<EngineEvent, { type: 'closed' }>): CloseKind {
  if (ev.how === 'clean' || ev.how === 'truncated') return ev.how;
  if (ev.alert === 'handshake_timeout' && ev.by !== 'peer') return 'handshake-timeout';
  // E2ED-ALERT-7 over E2ED-ALERT-1: an error after our close_notify, its alert not sent.
  if (ev.unsentAlert !== undefined) return 'error-after-close-notify';
  // No alert at all: the transport ended during the handshake (a hang-up, not an alert).
  if (ev.alert === undefined) return 'transport-error';
  return ev.by === 'peer' ? 'alert-received' : 'alert-sent';
}
