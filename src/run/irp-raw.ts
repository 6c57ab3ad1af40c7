// A raw IRP connection for the irp suite: TLS to the stub, frames written byte for byte and
// answers read back undecided, so that checks can send what src/irp/client.ts never would (a
// malformed frame, a request without an id, pipelined requests, an unknown root) and look at the
// answer exactly as the registry sent it (its id, its code, the signed bytes).
import tls from 'node:tls';
import { decodeIrpResponse, encodeIrp, type IrpMessage, type IrpResponse, type IrpUnknown } from '../protocol/irp-messages.js';
import { encodeFrame, FrameDecoder, FrameType } from '../protocol/frame.js';

export interface RawIrpOptions {
  host: string;
  port: number;
  /** Trust anchors, DER. */
  anchors: Buffer[];
  servername?: string;
  /** Extra node:tls options (version and cipher limits for the transport checks). */
  tls?: tls.ConnectionOptions;
  /** Receives each line of the connection's TLS secrets (NSS key log format), for the case's capture. */
  onTlsKeyLog?: ((line: Buffer) => void) | undefined;
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export class RawIrpConnection {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(f.payload);
      } catch {
        this.ended = true;
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static connect(opts: RawIrpOptions): Promise<RawIrpConnection> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({
        host: opts.host,
        port: opts.port,
        ca: opts.anchors.map(pem),
        servername: opts.servername,
        checkServerIdentity: (host, cert) => tls.checkServerIdentity(opts.servername ?? host, cert),
        ...opts.tls,
      });
      if (opts.onTlsKeyLog) s.on('keylog', opts.onTlsKeyLog);
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(new RawIrpConnection(s));
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes raw bytes (a frame, or a deliberately broken one). */
  writeBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes one type-0x01 frame carrying `xml`. */
  sendXml(xml: string | Buffer): void {
    this.writeBytes(encodeFrame(FrameType.Plaintext, typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml));
  }

  send(message: IrpMessage): void {
    this.writeBytes(encodeFrame(FrameType.Plaintext, encodeIrp(message)));
  }

  /** The next answer's payload, or null when the registry closed the connection first. */
  async nextPayload(): Promise<Buffer | null> {
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.ended) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The next answer decoded, or null when the registry closed the connection first. */
  async next(): Promise<IrpResponse | IrpUnknown | null> {
    const payload = await this.nextPayload();
    return payload === null ? null : decodeIrpResponse(payload);
  }

  /** Resolves once the registry has closed the connection (the case's time limit bounds the wait). */
  async waitClosed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  get isClosed(): boolean {
    return this.ended;
  }

  close(): void {
    this.socket.end();
  }
}

/** One line for the report: the kind of an answer, with its id and code. */
export function describeAnswer(a: IrpResponse | IrpUnknown | null): string {
  if (a === null) return 'closed';
  if (a.kind === 'Error') return `Error ${a.code}${a.id !== undefined ? ` id=${a.id}` : ' (no id)'}`;
  if (a.kind === 'Unknown') return `Unknown ${a.name}`;
  return `${a.kind} id=${a.id}`;
}
