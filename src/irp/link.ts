// One TLS connection to a registry (docs/spec.md 14.1, 14.2): requests framed as XML, answers
// matched by id in order. src/irp/client.ts keeps one of these at a time and opens a new one
// when it is gone (IRP-CONN-2); everything a connection knows (login, authentication, the
// checked registry certificate) dies with it (IRP-TLS-4).
//
// Requests may be pipelined (IRP-FRAME-4: "a client MAY send a request before the previous
// answer has arrived"); the registry answers in order, and each answer must carry the id of the
// oldest outstanding request (IRP-FRAME-8), else the connection is failed.
import { isIP } from 'node:net';
import tls from 'node:tls';
import { ProtocolError } from '../protocol/errors.js';
import { encodeFrame, FrameDecoder, FrameType } from '../protocol/frame.js';
import { decodeIrpResponse, encodeIrp, isIrpErrorCode, type IrpRequest, type IrpResponse } from '../protocol/irp-messages.js';
import { IrpError } from './errors.js';
import { IRP_TLS_CIPHERS, IRP_TLS_MIN_VERSION } from './tls-policy.js';

interface Pending {
  id: string;
  expect: IrpResponse['kind'];
  resolve: (response: IrpResponse) => void;
  reject: (err: IrpError) => void;
  timer: NodeJS.Timeout;
}

export interface LinkOptions {
  host: string;
  port: number;
  /** PEM trust anchors for the TLS server certificate. */
  ca: string[];
  servername: string | undefined;
  timeoutMs: number;
  maxFrameLength: number;
  /** Receives each line of the connection's TLS secrets (NSS key log format), for captures that decrypt. */
  onTlsKeyLog?: ((line: Buffer) => void) | undefined;
}

/**
 * Why a link is no longer usable. `lost`: the transport ended or failed without the client
 * asking (the registry's idle close, IRP-CONN-1, or a restart): an idempotent request that was
 * outstanding may be sent again on a new connection (IRP-CONN-3). `failed`: the client ended it
 * because the registry misbehaved (IRP-FRAME-8) or did not answer in time (IRP-FRAME-9): that
 * counts as a failed attempt (IRP-CONN-5). `closed`: the client's own close.
 */
export type LinkEnd = 'lost' | 'closed' | 'failed';

export class IrpLink {
  private readonly pending: Pending[] = [];
  private readonly decoder: FrameDecoder;
  private failure: IrpError | undefined;
  end: LinkEnd | undefined;
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: tls.TLSSocket,
    private readonly timeoutMs: number,
    maxFrameLength: number,
  ) {
    this.decoder = new FrameDecoder({ maxLength: maxFrameLength });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new IrpError('connection_failed', `IRP connection failed: ${err.message}`), 'lost'));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.fail(new IrpError('connection_failed', 'the registry closed the connection'), 'lost');
        resolve();
      }),
    );
  }

  /** Opens the TLS connection; the connect and the TLS handshake are bounded by `timeoutMs`. */
  static open(opts: LinkOptions): Promise<IrpLink> {
    return new Promise<IrpLink>((resolve, reject) => {
      const s = tls.connect({
        host: opts.host,
        port: opts.port,
        ca: opts.ca,
        servername: opts.servername ?? (isIP(opts.host) ? undefined : opts.host),
        // IRP-TLS-2: the name checked is the configured one, not the address connected to.
        checkServerIdentity: (host, cert) => tls.checkServerIdentity(opts.servername ?? host, cert),
        minVersion: IRP_TLS_MIN_VERSION,
        ciphers: IRP_TLS_CIPHERS,
      });
      // A request goes out at once: Nagle would hold a frame written behind TLS's own records.
      s.setNoDelay(true);
      if (opts.onTlsKeyLog) s.on('keylog', opts.onTlsKeyLog);
      const where = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
      // A registry that accepts TCP but never completes TLS must not hold a caller forever.
      const timer = setTimeout(() => {
        s.destroy();
        reject(new IrpError('connection_failed', `cannot reach the registry at ${where}: no TLS connection within ${opts.timeoutMs} ms`, 'IRP-CONN-2'));
      }, opts.timeoutMs);
      timer.unref();
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new IrpError('connection_failed', `cannot reach the registry at ${where}: ${err.message}`));
      };
      s.once('error', onError);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        resolve(new IrpLink(s, opts.timeoutMs, opts.maxFrameLength));
      });
    });
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Why the link ended, when it has. */
  get failureMessage(): string | undefined {
    return this.failure?.message;
  }

  request<K extends IrpResponse['kind']>(message: IrpRequest, expect: K): Promise<Extract<IrpResponse, { kind: K }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new IrpError('timeout', `no answer to ${message.kind} within ${this.timeoutMs} ms`, 'IRP-FRAME-9'), 'failed');
        this.socket.destroy();
      }, this.timeoutMs);
      timer.unref();
      this.pending.push({ id: message.id, expect, resolve: resolve as (r: IrpResponse) => void, reject, timer });
      this.socket.write(encodeFrame(FrameType.Plaintext, encodeIrp(message)));
    });
  }

  /** Ends the connection with a TLS close_notify (IRP-TLS-4) and waits for it to close. */
  async close(): Promise<void> {
    this.fail(new IrpError('connection_failed', 'the client closed the connection'), 'closed');
    this.socket.end();
    await this.closed;
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.badResponse(`framing: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.failure) return;
      const waiting = this.pending[0];
      if (!waiting) {
        this.badResponse('an answer nobody asked for');
        return;
      }
      if (frame.type !== FrameType.Plaintext) {
        this.badResponse(`frame type 0x${frame.type.toString(16)}`);
        return;
      }
      let response;
      try {
        response = decodeIrpResponse(frame.payload);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.badResponse(`the answer does not decode: ${err.message}`);
        return;
      }
      // IRP-FRAME-8: another id, or a root other than the operation's response or Error, fails
      // the connection; no data from it is used.
      if (response.kind === 'Error') {
        if (response.id !== undefined && response.id !== waiting.id) {
          this.badResponse(`an Error for id ${response.id} while ${waiting.id} was outstanding`);
          return;
        }
        this.pending.shift();
        clearTimeout(waiting.timer);
        // IRP-FRAME-7: "A client MUST treat an unknown code like internal."
        const code = isIrpErrorCode(response.code) ? response.code : 'internal';
        waiting.reject(new IrpError(code, `the registry refused the request: ${code}${response.text ? ` (${response.text})` : ''}`));
        // IRP-FRAME-1: an Error without id answers a frame fault; the registry closes next.
        if (response.id === undefined) this.fail(new IrpError('connection_failed', 'the registry reported a framing fault'), 'failed');
        continue;
      }
      if (response.kind === 'Unknown' || response.id !== waiting.id || response.kind !== waiting.expect) {
        this.badResponse(`expected ${waiting.expect} for ${waiting.id}, got ${response.kind}`);
        return;
      }
      this.pending.shift();
      clearTimeout(waiting.timer);
      waiting.resolve(response);
    }
  }

  private badResponse(why: string): void {
    this.fail(new IrpError('bad_response', `unusable answer from the registry: ${why}`, 'IRP-FRAME-8'), 'failed');
    this.socket.destroy();
  }

  /** Fails every outstanding and later request with `err` (the first failure wins). */
  private fail(err: IrpError, end: LinkEnd): void {
    if (this.failure === undefined) {
      this.failure = err;
      this.end = end;
    }
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
  }
}
