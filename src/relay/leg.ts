// One leg of a relayed session (initiator <-> relay, or relay <-> responder) with everything that
// crossed it recorded in order, as the relay's socket saw it: the peer's chunks, FIN and reset, and
// each chunk the relay wrote and its own FIN. The relay writes and ends a leg only through here, so
// the record holds the bytes the leg really carried, altered or not (docs/run.md "Captures").
import type net from 'node:net';
import type { TcpEvent } from '../capture/pcap.js';

export class Leg {
  /** client = the side that connected (the initiator on its leg, the relay on the responder's). */
  readonly events: TcpEvent[] = [];
  /** Whether the TCP connection was made (a leg whose connect failed carried nothing). */
  connected: boolean;
  private readonly relaySide: 'client' | 'server';
  private readonly peerSide: 'client' | 'server';
  private sentEnd = false;
  private peerEnded = false;

  constructor(
    readonly socket: net.Socket,
    /** Who connected: the relay accepted (the initiator's leg) or it connected (the responder's). */
    opened: 'accepted' | 'connected',
  ) {
    // Each frame the relay forwards goes out at once, as the parties wrote it: Nagle would hold a
    // small frame back for the peer's acknowledgement, and the record would show a delay no party made.
    socket.setNoDelay(true);
    this.relaySide = opened === 'accepted' ? 'server' : 'client';
    this.peerSide = opened === 'accepted' ? 'client' : 'server';
    this.connected = opened === 'accepted';
    if (!this.connected) socket.once('connect', () => (this.connected = true));
    // Registered before the relay's own listeners: the record sees each chunk before it is acted on.
    socket.on('data', (bytes: Buffer) => this.events.push({ from: this.peerSide, kind: 'data', bytes }));
    socket.on('end', () => {
      this.peerEnded = true;
      this.events.push({ from: this.peerSide, kind: 'fin' });
      // Without half-open, Node ends our side at once on the peer's FIN: that FIN is on the wire too.
      if (!socket.allowHalfOpen) this.noteEnd();
    });
    socket.on('close', (hadError: boolean) => {
      if (hadError && !this.peerEnded) this.events.push({ from: this.peerSide, kind: 'rst' });
    });
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  write(bytes: Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.events.push({ from: this.relaySide, kind: 'data', bytes });
    this.socket.write(bytes);
  }

  /** The relay ends its sending side (FIN). */
  end(): void {
    if (this.socket.destroyed) return;
    this.noteEnd();
    this.socket.end();
  }

  /** The relay closes the leg (the end of the case): on the wire, its FIN if none was sent yet. */
  destroy(): void {
    if (!this.socket.destroyed) this.noteEnd();
    this.socket.destroy();
  }

  private noteEnd(): void {
    if (this.sentEnd) return;
    this.sentEnd = true;
    this.events.push({ from: this.relaySide, kind: 'fin' });
  }
}
