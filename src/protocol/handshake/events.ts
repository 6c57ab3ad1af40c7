// What a Connection reports to its owner (docs/events.md, "Engine events"). The engine never
// logs or prints: it returns these with the frames to send, and the UA around it turns them into
// its JSON-lines events, the bench into verdicts.
import type { AlertLevel, AlertName } from '../alerts.js';
import type { KeyLogLabel, TrafficDirection } from '../keylog.js';
import type { AppMessage, Ping, Pong, Receipt } from '../messages.js';

export type Role = 'initiator' | 'responder';

/** How a connection ended: `truncated` is a transport end after the handshake without close_notify. */
export type CloseHow = 'clean' | 'truncated' | 'error';

export type ReceivedApplicationMessage = AppMessage | Receipt | Ping | Pong;

export type EngineEvent =
  | { type: 'handshake_started'; role: Role }
  | { type: 'negotiated'; version: string; method: string; cipher: string }
  | { type: 'peer_verified'; userId: string }
  | { type: 'connected'; peerUserId: string }
  | { type: 'exporter'; hex: string }
  | { type: 'alert_sent'; alert: AlertName; code: number; level: AlertLevel; reason?: string; requirement?: string }
  /** `alert` is the name as received (an unknown one is kept, and is fatal); `code` its registry number, null if unknown. */
  | { type: 'alert_received'; alert: string; code: number | null; level: AlertLevel; reason?: string }
  | { type: 'message_received'; message: ReceivedApplicationMessage }
  | { type: 'key_updated'; direction: 'send' | 'receive'; trafficDirection: TrafficDirection; generation: number }
  | { type: 'keylog'; label: KeyLogLabel; secretHex: string; line: string }
  | { type: 'unknown_message_ignored'; name: string }
  /** A Message whose id was already received (E2ED-APP-4): answered with a Receipt again, not delivered. */
  | { type: 'duplicate_message_ignored'; id: string }
  /**
   * `alert`: the alert sent (by local) or received (by peer). `unsentAlert`: the alert an error
   * detected after our own close_notify names, which E2ED-ALERT-7 forbids sending (E2ED-ALERT-1).
   */
  | { type: 'closed'; how: CloseHow; by: 'local' | 'peer'; alert?: string; unsentAlert?: string; reason?: string };

export type EngineEventType = EngineEvent['type'];
