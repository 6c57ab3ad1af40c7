// The E2ED connection engine: bytes in, frames and events out, for either role. Pure and
// synchronous: no sockets, timers or files (the UA around it owns those and calls transportEnded()
// and timeout()). Translates docs/spec.md chapters 5 (state machines), 8 (records), 10 (alerts and
// closure), 11 (application messages) and 12 (timers); docs/events.md lists the events.
//
// Errors: every check throws a ProtocolError carrying the alert its requirement names. run() is the
// ONE place that catches: it sends the fatal alert once (plaintext before we are Connected, a record
// after), moves to Closed, and everything after that is discarded.
import type { KeyObject } from 'node:crypto';
import { enabledKnobs, type Bugs } from './bugs.js';
import { ALERTS, alertCode, isAlertName, type AlertLevel, type AlertName } from './alerts.js';
import { peerMisbehaved, ProtocolError } from './errors.js';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from './frame.js';
import { emitKeyLog, randomStreams, type HandshakeContext } from './handshake/context.js';
import type { CloseHow, EngineEvent } from './handshake/events.js';
import { handleInitiator, startInitiator } from './handshake/initiator.js';
import type { VerifyPeer } from './handshake/peer-authentication.js';
import { handleResponder, startResponder } from './handshake/responder.js';
import { preferencesFrom } from './handshake/selection.js';
import {
  describeMessage,
  isHandshakeState,
  unexpectedMessage,
  type Closing,
  type Connected,
  type HandshakeState,
  type InitiatorHandshakeState,
  type ResponderHandshakeState,
  type State,
} from './handshake/states.js';
import { trafficSecretLabel } from './keylog.js';
import { element, serializeXml } from './xml.js';
import {
  decodeE2ed,
  E2ED_NAMESPACE,
  encodeE2ed,
  type Alert,
  type AppMessage,
  type E2edMessage,
  type Ping,
  type Pong,
  type Receipt,
  type UnknownMessage,
} from './messages.js';
import type { RandomSource } from './random.js';
import { signatureAlgorithmForKey } from './signature.js';

export type { CloseHow, EngineEvent, EngineEventType, ReceivedApplicationMessage, Role } from './handshake/events.js';
export type { PeerVerification, VerifyPeer } from './handshake/peer-authentication.js';

export interface EngineConfig {
  role: 'initiator' | 'responder';
  userId: string;
  certificateChain: Buffer[];
  privateKey: KeyObject;
  /** Initiator: the user it intends to reach (`to`). */
  peerUserId?: string;
  /** Default ['1.0']; '0.9' only when explicitly listed (E2ED-VER-1). */
  versions?: string[];
  /** Default ['x25519','p256','rsa-oaep']; the initiator's key material is for methods[0] (E2ED-HS-14). */
  methods?: string[];
  /** Default ['AES-256-GCM','CHACHA20-POLY1305']. */
  ciphers?: string[];
  /** Initiator using rsa-oaep: R's chain obtained from IRP (E2ED-HS-15). */
  peerCertificateForKeyTransport?: Buffer[];
  verifyPeer: VerifyPeer;
  /**
   * E2ED-ID-2: the UA remembers the nonces of the Hello_I it sent in handshakes not yet complete;
   * a responder refuses a Hello_I carrying one of them. Default: none (a lone connection).
   */
  isOwnPendingNonce?: (nonce: Buffer) => boolean;
  rng: RandomSource;
  maxFrameLength?: number;
  bugs?: Bugs;
}

export interface Output {
  frames: Buffer[];
  events: EngineEvent[];
  /** True once the connection is Closed: the owner ends the transport after sending `frames`. */
  closed: boolean;
}

export interface Negotiated {
  version: string;
  method: string;
  cipher: string;
  peerUserId: string;
  exporter: Buffer;
}

/** What the owner may send over an established connection. */
export type OutgoingMessage = AppMessage | Receipt | Ping | Pong | UnknownMessage;

type Established = Connected | Closing;

/** How many received Message ids a connection keeps to recognise duplicates (E2ED-APP-4). */
export const RECEIVED_IDS_REMEMBERED = 4096;

export class Connection {
  private st: State;
  private readonly ctx: HandshakeContext;
  private readonly decoder: FrameDecoder;
  private readonly bugs: Bugs;
  private negotiatedParams: Negotiated | undefined;
  private sentNonce: Buffer | undefined;
  /** Ids of the Messages and Pings we sent that are not yet acknowledged (E2ED-APP-5). */
  private readonly awaitingReceipt = new Set<string>();
  private readonly awaitingPong = new Set<string>();
  /** Ids of the Messages received, oldest first, to recognise a duplicate (E2ED-APP-4); at most RECEIVED_IDS_REMEMBERED. */
  private readonly receivedMessageIds = new Set<string>();
  /** The Output being built by the current call. */
  private out: Output = { frames: [], events: [], closed: false };

  constructor(cfg: EngineConfig) {
    this.bugs = cfg.bugs ?? {};
    const signatureAlgorithm = signatureAlgorithmForKey(cfg.privateKey);
    if (signatureAlgorithm === null) throw new RangeError('the private key cannot sign CertificateVerify (P-256, Ed25519 or RSA >= 2048)');
    if (cfg.certificateChain.length === 0) throw new RangeError('certificateChain must hold at least the leaf');
    if (cfg.role === 'initiator' && cfg.peerUserId === undefined) throw new RangeError('an initiator needs peerUserId');
    this.ctx = {
      role: cfg.role,
      userId: cfg.userId,
      certificateChain: cfg.certificateChain,
      privateKey: cfg.privateKey,
      signatureAlgorithm,
      peerUserId: cfg.peerUserId,
      peerCertificateForKeyTransport: cfg.peerCertificateForKeyTransport,
      prefs: preferencesFrom(cfg),
      verifyPeer: cfg.verifyPeer,
      isOwnPendingNonce: cfg.isOwnPendingNonce ?? (() => false),
      rng: randomStreams(cfg.rng),
      bugs: this.bugs,
      emit: (event) => this.out.events.push(event),
    };
    this.decoder = new FrameDecoder({ maxLength: cfg.maxFrameLength });
    this.st = cfg.role === 'initiator' ? { name: 'Idle' } : startResponder();
  }

  get state(): State['name'] {
    return this.st.name;
  }

  get role(): 'initiator' | 'responder' {
    return this.ctx.role;
  }

  /** Set once Connected (E2ED-ID-9: no peer identity is reported before). */
  get negotiated(): Negotiated | undefined {
    return this.negotiatedParams;
  }

  /** Initiator: the nonce of the Hello_I it sent (for the UA's pending-nonce registry, E2ED-ID-2). */
  get initiatorNonce(): Buffer | undefined {
    return this.sentNonce;
  }

  /** The knob ids this connection runs with (empty: conforming). */
  get knobs(): string[] {
    return enabledKnobs(this.bugs);
  }

  /** Initiator: sends Hello_I (E2ED-HS-11). Responder: nothing; it waits for Hello_I. */
  start(): Output {
    return this.run(() => {
      if (this.ctx.role === 'responder') return;
      if (this.st.name !== 'Idle') throw new Error('start() called twice');
      const { state, frames } = startInitiator(this.ctx);
      this.st = state;
      this.sentNonce = state.nonce;
      this.out.frames.push(...frames);
    });
  }

  /** Bytes from the transport, in any chunking. */
  receive(bytes: Uint8Array): Output {
    if (this.st.name === 'Idle') throw new Error('receive() before start() on an initiator');
    return this.run(
      () => {
        if (this.st.name === 'Closed') return;
        for (const frame of this.decoder.push(bytes)) {
          this.onFrame(frame);
          // E2ED-ALERT-2: "After sending or receiving a fatal alert, the UA MUST NOT process any
          // further frame of that connection"; likewise after close_notify (E2ED-ALERT-7).
          if (this.isClosed()) return;
        }
        // E2ED-FRAME-6: frames that arrive in one read are processed as if each had arrived alone,
        // so a framing fault behind good frames of the same read is raised now, not on the next read
        // (which a peer that waits for our answer never sends).
        this.decoder.throwIfFailed();
      },
      { peerDriven: true },
    );
  }

  send(msg: OutgoingMessage): Output {
    return this.run(() => this.sendApplication(this.connected('send'), msg));
  }

  sendText(id: string, text: string, timestamp: string): Output {
    return this.send({ kind: 'Message', id, timestamp, text });
  }

  /** KeyUpdate (E2ED-REC-8): we switch our sending key right after it; request=true asks the peer to follow. */
  keyUpdate(request: boolean): Output {
    return this.run(() => this.sendKeyUpdate(this.connected('keyUpdate'), request));
  }

  /**
   * close_notify (E2ED-APP-9). Connected: the connection moves to Closing and ends cleanly when the
   * peer's close_notify arrives (E2ED-ALERT-7), or truncated if the transport ends first. Before
   * Connected: user_canceled in plaintext, and the connection is Closed (a failed handshake).
   */
  close(): Output {
    return this.run(() => this.closeLocally('close() called'));
  }

  /**
   * The transport ended (FIN, RST). E2ED-ALERT-9: "A connection that ends ... after the handshake
   * without a received close_notify MUST be reported as truncated"; E2ED-ALERT-10: one that ends
   * before the handshake completes is a failed handshake.
   */
  transportEnded(): Output {
    return this.run(
      () => {
        if (this.st.name === 'Closed') return;
        if (this.st.name === 'Connected' || this.st.name === 'Closing') {
          // record.acceptTruncation: the deviation E2ED-ALERT-9 forbids (a cut connection passes for a clean end).
          if (this.bugs.record?.acceptTruncation) this.closeWith('clean', { by: 'peer', reason: 'transport ended without close_notify, taken as a clean end (record.acceptTruncation)' });
          else this.closeWith('truncated', { by: 'peer', reason: 'transport ended without close_notify' });
        } else {
          this.closeWith('error', { by: 'peer', reason: `transport ended before the handshake completed (in ${this.st.name})` });
        }
      },
      { peerDriven: true },
    );
  }

  /**
   * Timers belong to the owner. E2ED-LIM-3: a UA not Connected in time "MUST send a fatal
   * handshake_timeout alert in a plaintext frame and close"; E2ED-LIM-5: an idle Connected UA
   * "MUST send close_notify and close".
   */
  timeout(kind: 'handshake' | 'idle'): Output {
    return this.run(
      () => {
        if (kind === 'handshake' && this.st.name === 'Idle') {
          this.closeWith('error', { by: 'local', reason: 'handshake timer expired before start()' });
          return;
        }
        if (kind === 'handshake' && isHandshakeState(this.st)) {
          throw new ProtocolError('local', 'handshake_timeout', `handshake not complete in time (in ${this.st.name})`, 'E2ED-LIM-3');
        }
        if (kind === 'idle' && this.st.name === 'Connected') this.closeLocally('idle timeout');
      },
      { peerDriven: true },
    );
  }

  // ---- the one place errors are caught -------------------------------------------------------

  /**
   * Runs one API call. A ProtocolError is the protocol's verdict: fatal alert, Closed. Any other
   * error while processing the peer's bytes or a timer is our own failure (internal_error), so the
   * peer still hears an alert; from start/send/keyUpdate/close it is API misuse and propagates.
   */
  private run(body: () => void, opts: { peerDriven: boolean } = { peerDriven: false }): Output {
    this.out = { frames: [], events: [], closed: false };
    try {
      body();
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(err);
      else if (opts.peerDriven) this.fail(new ProtocolError('local', 'internal_error', `internal error: ${String((err as Error)?.message ?? err)}`));
      else throw err;
    }
    const out = this.out;
    out.closed = this.isClosed();
    this.out = { frames: [], events: [], closed: out.closed };
    return out;
  }

  private isClosed(): boolean {
    return this.st.name === 'Closed';
  }

  /** E2ED-ALERT-2: "A fatal alert is sent at most once per connection; after sending it the UA MUST send nothing more". */
  private fail(err: ProtocolError): void {
    if (this.st.name === 'Closed') return;
    // E2ED-ALERT-7 wins over E2ED-ALERT-1: "After sending close_notify a UA MUST NOT send
    // anything more", not even the alert the error names; the closed event says it was not sent.
    if (this.st.name === 'Closing') {
      this.closeWith('error', { by: 'local', unsentAlert: err.alert, reason: `${err.message}; no alert sent after our close_notify (E2ED-ALERT-7)` });
      return;
    }
    const level: AlertLevel = this.bugs.alert?.fatalAsWarning ? 'warning' : 'fatal';
    this.sendAlert(err.alert, level, err.message, err.requirement);
    if (this.bugs.alert?.sendDataAfterFatal) {
      const data = encodeE2ed({ kind: 'Message', id: 'after-fatal', timestamp: '2026-01-01T00:00:00Z', text: 'data after a fatal alert' });
      this.out.frames.push(this.st.name === 'Connected' ? this.st.recordLayer.seal(data) : encodeFrame(FrameType.Plaintext, data));
    }
    this.closeWith('error', { by: 'local', alert: err.alert, reason: err.message });
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onFrame(frame: Frame): void {
    const st = this.st;
    if (st.name === 'Idle' || st.name === 'Closed') return;
    if (frame.type === FrameType.Record) {
      // E2ED-REC-5: "a UA that is not Connected MUST reject a record with unexpected_message".
      if (isHandshakeState(st)) throw unexpectedMessage(st, 'record');
      const plaintext = st.recordLayer.open(frame);
      st.peerRecordSeen = true;
      this.onApplication(st, decodeE2ed(plaintext));
      return;
    }
    const msg = decodeE2ed(frame.payload);
    if (isHandshakeState(st)) {
      // E2ED-HS-31 state tables: "In every state before Connected, a plaintext Alert is acceptable".
      if (msg.kind === 'Alert') this.onAlert(msg);
      else this.onHandshakeMessage(st, msg, frame);
      return;
    }
    // E2ED-HS-33: "a Connected initiator MUST accept a plaintext Alert frame until it has accepted
    // the first record from the responder; any other plaintext frame, or a plaintext frame after
    // that record, is unexpected_message."
    if (msg.kind === 'Alert' && this.ctx.role === 'initiator' && !st.peerRecordSeen) {
      // "Such an Alert can only come from a responder that is not Connected (E2ED-ALERT-4), so a
      // close_notify or user_canceled among them aborts the handshake as E2ED-ALERT-8 says ...
      // never as a clean end (E2ED-ALERT-9)."
      if (msg.code === 'close_notify' || msg.code === 'user_canceled') {
        this.out.events.push(alertReceivedEvent(msg));
        this.closeWith('error', { by: 'peer', alert: msg.code, reason: `handshake aborted by the peer (plaintext ${msg.code} before its first record)` });
        return;
      }
      this.onAlert(msg);
      return;
    }
    // E2ED-REC-6: "a plaintext frame received in Connected is unexpected_message".
    throw peerMisbehaved('unexpected_message', `plaintext ${describeMessage(msg)} after the handshake`, 'E2ED-REC-6');
  }

  private onHandshakeMessage(st: HandshakeState, msg: E2edMessage, frame: Frame): void {
    const step =
      this.ctx.role === 'initiator'
        ? handleInitiator(this.ctx, st as InitiatorHandshakeState, msg, frame)
        : handleResponder(this.ctx, st as ResponderHandshakeState, msg, frame);
    this.st = step.state;
    this.out.frames.push(...step.frames);
    if (step.state.name === 'Connected') {
      const s = step.state.session;
      this.negotiatedParams = { version: s.version, method: s.method, cipher: s.cipher, peerUserId: s.peerUserId, exporter: step.state.exporter };
    }
  }

  /** Chapter 11. In Closing, messages are still delivered but nothing is answered (E2ED-ALERT-7). */
  private onApplication(st: Established, msg: E2edMessage): void {
    const canAnswer = st.name === 'Connected';
    switch (msg.kind) {
      case 'Message':
        // E2ED-APP-4: "treat a second Message with an id it has already received on the connection
        // as a duplicate: it sends the Receipt again but does not deliver the message twice."
        if (this.receivedMessageIds.has(msg.id)) {
          this.out.events.push({ type: 'duplicate_message_ignored', id: msg.id });
        } else {
          this.rememberReceivedMessage(msg.id);
          this.out.events.push({ type: 'message_received', message: msg });
        }
        // E2ED-APP-2: "A UA that accepts a Message MUST send a Receipt with the same id."
        if (canAnswer) this.sendApplication(st, { kind: 'Receipt', id: msg.id });
        return;
      case 'Ping':
        this.out.events.push({ type: 'message_received', message: msg });
        // E2ED-APP-6: "A UA that receives a Ping MUST answer with a Pong carrying the same id."
        if (canAnswer) this.sendApplication(st, { kind: 'Pong', id: msg.id });
        return;
      case 'Receipt':
      case 'Pong':
        // E2ED-APP-5: "A Receipt or Pong whose id matches nothing the UA sent MUST be ignored."
        if ((msg.kind === 'Receipt' ? this.awaitingReceipt : this.awaitingPong).delete(msg.id)) {
          this.out.events.push({ type: 'message_received', message: msg });
        }
        return;
      case 'KeyUpdate': {
        // E2ED-REC-9: "after processing that record, replace its receiving secret".
        const change = st.recordLayer.updateReceiving();
        emitKeyLog(this.ctx, trafficSecretLabel(change.direction, change.generation), st.session.nonceI, change.secret);
        this.out.events.push({ type: 'key_updated', direction: 'receive', trafficDirection: change.direction, generation: change.generation });
        // E2ED-REC-10: "A receiver of KeyUpdate with request="true" MUST send a KeyUpdate with
        // request="false" before it sends any other record".
        if (msg.request && canAnswer && !this.bugs.keyUpdate?.ignoreRequest) this.sendKeyUpdate(st as Connected, false);
        return;
      }
      case 'Alert':
        this.onAlert(msg);
        return;
      case 'Unknown':
        // E2ED-APP-12: "An unknown root element in a record MUST be ignored ... unless it carries
        // critical="true", which MUST be rejected with unsupported_extension."
        if (msg.critical) throw peerMisbehaved('unsupported_extension', `critical unknown element <${msg.name}>`, 'E2ED-APP-12');
        this.out.events.push({ type: 'unknown_message_ignored', name: msg.name });
        return;
      case 'InitiatorHello':
      case 'ResponderHello':
      case 'CertificateVerify':
      case 'Finished':
        // E2ED-APP-12: "A known handshake root (Hello, CertificateVerify, Finished) in a record is unexpected_message."
        throw peerMisbehaved('unexpected_message', `${describeMessage(msg)} inside a record`, 'E2ED-APP-12');
      default: {
        const never: never = msg;
        throw new Error(`unhandled message ${(never as { kind: string }).kind}`);
      }
    }
  }

  private onAlert(alert: Alert): void {
    const known = isAlertName(alert.code);
    this.out.events.push(alertReceivedEvent(alert));
    const established = this.st.name === 'Connected' || this.st.name === 'Closing';
    if (alert.code === 'close_notify' || alert.code === 'user_canceled') {
      if (!established) {
        // E2ED-ALERT-8: "received before the receiver is Connected aborts the handshake: the receiver
        // closes without sending an alert and reports the handshake as aborted by the peer."
        this.closeWith('error', { by: 'peer', alert: alert.code, reason: `handshake aborted by the peer (${alert.code})` });
        return;
      }
      // "After the handshake, user_canceled MUST be ignored (the sender follows it with close_notify)."
      if (alert.code === 'user_canceled') return;
      // E2ED-ALERT-7: "A UA that receives close_notify MUST send its own close_notify (unless it has
      // already sent one)".
      if (this.st.name === 'Connected' && !this.bugs.alert?.dontAnswerCloseNotify) this.sendAlert('close_notify', 'warning');
      this.closeWith('clean', { by: 'peer' });
      return;
    }
    // E2ED-ALERT-3: "A receiver MUST treat every code other than close_notify and user_canceled as
    // fatal whatever its level, and an unknown code as fatal." E2ED-ALERT-5: close, send nothing.
    if (known && !ALERTS[alert.code as AlertName].fatal) return;
    this.closeWith('error', { by: 'peer', alert: alert.code, reason: alert.reason });
  }

  /**
   * Memory is bounded: a peer sends as many Messages as it likes, so only the latest
   * RECEIVED_IDS_REMEMBERED ids are kept (a duplicate older than that is delivered again).
   */
  private rememberReceivedMessage(id: string): void {
    this.receivedMessageIds.add(id);
    if (this.receivedMessageIds.size > RECEIVED_IDS_REMEMBERED) {
      this.receivedMessageIds.delete(this.receivedMessageIds.values().next().value as string);
    }
  }

  // ---- sending ---------------------------------------------------------------------------------

  private connected(what: string): Connected {
    if (this.st.name !== 'Connected') throw new Error(`${what}() needs a Connected connection (state ${this.st.name})`);
    return this.st;
  }

  private sendApplication(st: Connected, msg: OutgoingMessage): void {
    // E2ED-REC-7: "A sender MUST NOT send more than 2^48 records under one traffic secret; it MUST
    // send a KeyUpdate before that."
    if (st.recordLayer.sendKeyWornOut) this.sendKeyUpdate(st, false);
    // Transient: the record is sealed from the codec's scratch memory before anything else encodes.
    this.out.frames.push(this.protect(st, encodeE2ed(msg, { transient: true })));
    if (msg.kind === 'Message') this.awaitingReceipt.add(msg.id);
    if (msg.kind === 'Ping') this.awaitingPong.add(msg.id);
  }

  private sendKeyUpdate(st: Connected, request: boolean): void {
    // E2ED-REC-8: "protect the KeyUpdate record with its current sending secret and then replace it".
    const keyUpdate = this.bugs.keyUpdate?.misspellRequest
      ? serializeXml(element('KeyUpdate', { request: 'yes' }), E2ED_NAMESPACE) // E2ED-REC-11, broken on purpose
      : encodeE2ed({ kind: 'KeyUpdate', request });
    this.out.frames.push(this.protect(st, keyUpdate));
    const change = st.recordLayer.updateSending();
    if (change === null) return;
    emitKeyLog(this.ctx, trafficSecretLabel(change.direction, change.generation), st.session.nonceI, change.secret);
    this.out.events.push({ type: 'key_updated', direction: 'send', trafficDirection: change.direction, generation: change.generation });
  }

  private protect(st: Connected, plaintext: Buffer): Buffer {
    // record.plaintextAfterHandshake: the deviation E2ED-APP-8 forbids.
    if (this.bugs.record?.plaintextAfterHandshake) return encodeFrame(FrameType.Plaintext, plaintext);
    return st.recordLayer.seal(plaintext);
  }

  private closeLocally(reason: string): void {
    const st = this.st;
    if (st.name === 'Closed' || st.name === 'Closing') return;
    if (this.bugs.alert?.skipCloseNotify) {
      this.closeWith(st.name === 'Connected' ? 'truncated' : 'error', { by: 'local', reason: `${reason}; close_notify skipped (alert.skipCloseNotify)` });
      return;
    }
    if (st.name === 'Connected') {
      this.sendAlert('close_notify', 'warning');
      this.st = { ...st, name: 'Closing' };
      return;
    }
    // Before Connected: user_canceled is "the local user aborts the handshake" (alert registry,
    // E2ED-ALERT-8); a responder that has not received Hello_I sends nothing (E2ED-HS-11).
    if (st.name !== 'Idle' && st.name !== 'ExpectInitiatorHello') this.sendAlert('user_canceled', 'warning');
    this.closeWith('error', { by: 'local', reason: `${reason} before the handshake completed` });
  }

  /** E2ED-ALERT-4: "Before its sender is Connected an Alert MUST travel in a plaintext frame; once the sender is Connected it MUST travel in a record." */
  private sendAlert(alert: AlertName, level: AlertLevel, reason?: string, requirement?: string): void {
    const bytes = encodeE2ed({ kind: 'Alert', level, code: alert });
    const st = this.st;
    this.out.frames.push(st.name === 'Connected' ? st.recordLayer.seal(bytes) : encodeFrame(FrameType.Plaintext, bytes));
    const event: EngineEvent = { type: 'alert_sent', alert, code: alertCode(alert), level };
    if (reason !== undefined) event.reason = reason;
    if (requirement !== undefined) event.requirement = requirement;
    this.out.events.push(event);
  }

  private closeWith(how: CloseHow, detail: { by: 'local' | 'peer'; alert?: string; unsentAlert?: string; reason?: string | undefined }): void {
    this.st = { name: 'Closed', how };
    const event: EngineEvent = { type: 'closed', how, by: detail.by };
    if (detail.alert !== undefined) event.alert = detail.alert;
    if (detail.unsentAlert !== undefined) event.unsentAlert = detail.unsentAlert;
    if (detail.reason !== undefined) event.reason = detail.reason;
    this.out.events.push(event);
  }
}

function alertReceivedEvent(alert: Alert): EngineEvent {
  const known = isAlertName(alert.code);
  const event: EngineEvent = { type: 'alert_received', alert: alert.code, code: known ? alertCode(alert.code as AlertName) : null, level: alert.level };
  if (alert.reason !== undefined) event.reason = alert.reason;
  return event;
}
