// The adversary's end of one TCP connection: bytes out exactly as the script cuts them (one write
// per chunk), frames in as the peer sends them, and how the connection ended (FIN or reset). The
// addresses are the caller's (a recording forwarder can sit in between), and everything that
// crosses the connection, each chunk written or read, each FIN and reset either way, is reported to
// an optional tap in the order it happened (the capture's hook, src/run/captures.ts).
import net from 'node:net';
import { FRAME_HEADER_LENGTH } from '../protocol/frame.js';

export interface RawFrame {
  type: number;
  /** header || payload as received. */
  wire: Buffer;
  payload: Buffer;
}

export type LinkEvent =
  | { kind: 'frame'; frame: RawFrame }
  /** Bytes that cannot be a frame of ours (a length of 0 or beyond any limit), then nothing more is read. */
  | { kind: 'garbage'; bytes: Buffer; why: string }
  | { kind: 'end'; how: 'fin' | 'reset'; pending: number };

/** What crossed the connection: bytes, a FIN (that side ended its sending), or a reset. */
export type TapEvent = { kind: 'data'; bytes: Buffer } | { kind: 'fin' } | { kind: 'rst' };
/** `out`: the adversary did it; `in`: the peer did. */
export type ChunkTap = (direction: 'out' | 'in', event: TapEvent) => void;

/** The most a frame from the peer may claim before the adversary stops reading it as frames (the peer is bound by 1 MiB, E2ED-FRAME-5). */
const READ_LIMIT = 16 * 1048576;

export class Link {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly queue: LinkEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private broken = false;
  /** Whether our sending side has ended (FIN sent or the connection reset), so the tap hears it once. */
  private sentEnd = false;

  private constructor(
    readonly socket: net.Socket,
    private readonly tap: ChunkTap | undefined,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      tap?.('in', { kind: 'data', bytes: chunk });
      this.onData(chunk);
    });
    let errored = false;
    socket.on('error', () => {
      errored = true;
    });
    socket.on('end', () => {
      tap?.('in', { kind: 'fin' });
      // Without half-open, Node ends our side at once on the peer's FIN: that FIN is on the wire too.
      if (!socket.allowHalfOpen) this.noteSentEnd('fin');
      this.finish('fin');
    });
    socket.on('close', () => {
      // Closed by an error before the peer's FIN: it reset the connection (or the socket failed).
      if (!this.ended && errored) tap?.('in', { kind: 'rst' });
      this.finish(errored ? 'reset' : 'fin');
    });
  }

  static connect(to: { host: string; port: number }, tap?: ChunkTap, signal?: AbortSignal): Promise<Link> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: to.host, port: to.port });
      const onAbort = (): void => {
        socket.destroy();
        reject(new Error('aborted while connecting'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(new Link(socket, tap));
      });
      socket.once('error', (err) => reject(err));
    });
  }

  /** A listening socket whose first connection becomes the link. */
  static async listen(at: { host: string; port: number }, tap?: ChunkTap): Promise<{ address: { host: string; port: number }; accepted: Promise<Link>; close(): void }> {
    const server = net.createServer();
    let resolveLink!: (l: Link) => void;
    const accepted = new Promise<Link>((r) => (resolveLink = r));
    server.once('connection', (socket) => {
      server.close();
      resolveLink(new Link(socket, tap));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    const addr = server.address() as net.AddressInfo;
    return { address: { host: at.host, port: addr.port }, accepted, close: () => server.close() };
  }

  write(chunk: Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.tap?.('out', { kind: 'data', bytes: chunk });
    this.socket.write(chunk);
  }

  /** Ends our sending side (FIN). */
  end(): void {
    if (this.socket.destroyed) return;
    this.noteSentEnd('fin');
    this.socket.end();
  }

  /** Resets the connection (RST). */
  reset(): void {
    if (!this.socket.destroyed) this.noteSentEnd('rst');
    this.socket.resetAndDestroy();
  }

  /** Closes the socket at the end of the case: on the wire, our FIN if none was sent yet. */
  destroy(): void {
    if (!this.socket.destroyed) this.noteSentEnd('fin');
    this.socket.destroy();
  }

  private noteSentEnd(kind: 'fin' | 'rst'): void {
    if (this.sentEnd) return;
    this.sentEnd = true;
    this.tap?.('out', { kind });
  }

  /** The next event, or undefined when nothing came within `ms`. */
  async next(ms: number, signal?: AbortSignal): Promise<LinkEvent | undefined> {
    if (this.queue.length > 0) return this.queue.shift();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      this.waiter = done;
      signal?.addEventListener('abort', done, { once: true });
    });
    this.waiter = undefined;
    return this.queue.shift();
  }

  private push(ev: LinkEvent): void {
    this.queue.push(ev);
    this.waiter?.();
  }

  private onData(chunk: Buffer): void {
    if (this.broken) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= FRAME_HEADER_LENGTH) {
      const length = this.buffered.readUInt32BE(0);
      if (length === 0 || length > READ_LIMIT) {
        this.broken = true;
        this.push({ kind: 'garbage', bytes: this.buffered, why: `a frame length of ${length}` });
        this.buffered = Buffer.alloc(0);
        return;
      }
      if (this.buffered.length < 4 + length) return;
      const wire = this.buffered.subarray(0, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      this.push({ kind: 'frame', frame: { type: wire[4]!, wire: Buffer.from(wire), payload: Buffer.from(wire.subarray(FRAME_HEADER_LENGTH)) } });
    }
  }

  private finish(how: 'fin' | 'reset'): void {
    if (this.ended) {
      // 'close' after 'end': upgrade to reset only if an error came in between (already decided by 'end').
      return;
    }
    this.ended = true;
    this.push({ kind: 'end', how, pending: this.buffered.length });
  }
}
