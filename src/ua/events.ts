// The reference UA's structured events, one JSON object per line (docs/events.md, "UA-level events").
// The UA reports what the issue asks for: handshake started; parameters negotiated; peer identity
// verified; exporter value; alert sent/received with code; message received; closed clean or truncated.
import type { AlertLevel, AlertName } from '../protocol/alerts.js';
import { alertCode } from '../protocol/alerts.js';
import type { Writable } from 'node:stream';

export type Role = 'initiator' | 'responder';

/** How a connection ended. `truncated`: the transport ended after the handshake without close_notify. */
export type CloseKind = 'clean' | 'truncated' | 'alert-sent' | 'alert-received' | 'handshake-timeout' | 'idle-timeout' | 'transport-error';

export type UaEventBody =
  | { event: 'listening'; address: string; port: number }
  | { event: 'registered'; user: string; address: string; port: number }
  | { event: 'handshake_started'; role: Role; remote: string; peer?: string }
  | { event: 'parameters_negotiated'; version: string; method: string; cipher: string }
  | { event: 'peer_verified'; peer: string }
  | { event: 'exporter'; value: string }
  | { event: 'handshake_complete'; peer: string }
  | { event: 'alert_sent'; level: AlertLevel; alert: AlertName; code: number; reason?: string }
  | { event: 'alert_received'; level: AlertLevel; alert: AlertName; code: number }
  | { event: 'message_received'; from: string; id: string; timestamp: string; text: string }
  | { event: 'message_sent'; id: string; bytes: number }
  | { event: 'receipt_received'; id: string }
  | { event: 'key_update'; direction: 'sent' | 'received'; generation: number }
  | { event: 'unknown_element'; name: string }
  | { event: 'closed'; how: CloseKind; alert?: AlertName };

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
