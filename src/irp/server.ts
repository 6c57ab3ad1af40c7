// The IRP stub's transport: a node:tls server (TLS 1.2 or 1.3, the registry's TLS certificate from
// the test CA) carrying plaintext frames (docs/spec.md sections 14.1 and 14.2). Requests on one
// connection are answered in order, one at a time, so pipelined requests get their answers in the
// order sent. Everything the protocol says happens in src/irp/operations.ts; this file only moves
// frames and keeps one Session per connection.
//
// Malformed input never crashes the stub: an XML or message error gets an <Error> answer and the
// connection goes on; a framing error (length 0 or over the limit, unknown frame type) leaves the
// stream without a frame boundary to resume at, so it gets an <Error> answer and the connection closes.
//
// Hostile load (docs/spec.md 14.15): a connection must finish its TLS handshake within a deadline
// (IRP-LIM-1); connections are capped in total and per client address, and past the cap a new
// TCP connection is closed at once, before TLS (IRP-LIM-2); a frame must be complete within a
// deadline from its first byte, so a trickle of bytes cannot hold a connection (IRP-LIM-3).
import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { createTestPki, type TestPki } from '../pki/ca.js';
import { toPem } from '../pki/cert-builder.js';
import { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder, encodeFrame, FrameType } from '../protocol/frame.js';
import type { RegistryLies } from './adversary.js';
import {
  DEFAULT_SEED,
  IRP_DEFAULT_HOST,
  IRP_DEFAULT_PORT,
  IRP_FALLBACK_HOST,
  resolveLimits,
  resolveSeed,
  type IrpServerLimits,
  type LimitName,
  type IrpEvent,
  type IrpServerOptions,
} from './config.js';
import { Registry, Session } from './operations.js';
import { FileRegistryStore, MemoryRegistryStore, type RegistryStore } from './store.js';
import { IRP_TLS_CIPHERS, IRP_TLS_MIN_VERSION } from './tls-policy.js';

/**
 * After the stub ends a connection (close_notify and FIN), how long it waits for the client to
 * close its side before it destroys the socket: a client that never reads would otherwise keep
 * the connection, and what it sent, for ever.
 */
const CLOSE_GRACE_MS = 2_000;

/** Requests read ahead of the one being answered before the stub stops reading a connection. */
const MAX_QUEUED_REQUESTS = 256;

export class IrpServer {
  private readonly sockets = new Set<tls.TLSSocket>();
  /** Every accepted TCP connection until it closes, TLS handshakes included (IRP-LIM-2). */
  private readonly raw = new Set<Socket>();
  private readonly perAddress = new Map<string, number>();
  /** TCP connections the stub closed for a limit (so that their TLS hang-up is not reported twice). */
  readonly closedByLimit = new WeakSet<Socket>();
  /** IRP-LIM-1 deadlines of connections whose TLS handshake is still running, by remote address and port. */
  private readonly handshakeDeadlines = new Map<string, NodeJS.Timeout>();

  private constructor(
    private readonly server: tls.Server,
    readonly registry: Registry,
    readonly pki: TestPki,
    private readonly store: RegistryStore,
  ) {}

  private bound: AddressInfo | undefined;

  /** The address actually bound (with port 0, the ephemeral port chosen). */
  get host(): string {
    return this.bound?.address ?? '';
  }

  get port(): number {
    return this.bound?.port ?? 0;
  }

  /** Builds (or loads, with dataDir) the registry and listens. Resolves once the port is bound. */
  static async start(opts: IrpServerOptions = {}): Promise<IrpServer> {
    const limits = resolveLimits(opts.limits);
    const seed = opts.dataDir ? await resolveSeed(opts.dataDir, opts.seed) : (opts.seed ?? DEFAULT_SEED);
    const pki = opts.pki ?? createTestPki({ seed, domain: opts.domain });
    const store: RegistryStore = opts.dataDir
      ? await FileRegistryStore.open(opts.dataDir, opts.writeHooks)
      : new MemoryRegistryStore();
    const emit = opts.onEvent ?? ((): void => undefined);
    const registry = new Registry({
      pki,
      store,
      accounts: opts.accounts ?? [],
      lies: opts.lies ?? {},
      now: opts.now ?? Date.now,
      sleep: opts.sleep,
      ...(opts.rng ? { rng: opts.rng } : {}),
      limits,
    });
    const maxLength = opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    const server = tls.createServer({
      key: pki.irpTls.privateKey.export({ format: 'pem', type: 'pkcs8' }),
      cert: pki.irpTls.chain.map((der) => toPem(der)).join(''),
      minVersion: IRP_TLS_MIN_VERSION,
      ciphers: IRP_TLS_CIPHERS,
      honorCipherOrder: true,
    });
    const instance = new IrpServer(server, registry, pki, store);
    server.on('connection', (raw: Socket) => {
      // An answer goes out at once: Nagle would hold a frame written behind TLS's own records.
      raw.setNoDelay(true);
      instance.admit(raw, limits, emit);
    });
    server.on('secureConnection', (socket) => {
      instance.handshakeDone(socket);
      instance.serve(socket, maxLength, limits, emit);
    });
    // A failed TLS handshake is the client's problem, not the stub's: report it, and close the
    // connection whatever node:tls would do with it.
    server.on('tlsClientError', (err, socket) => {
      instance.handshakeDone(socket);
      // A connection the stub itself closed (a limit) was reported then; node:tls reports it
      // again as a hang-up (`_parent` is the TCP socket under the TLS one).
      const parent = (socket as unknown as { _parent?: Socket })._parent;
      if (parent === undefined || !instance.closedByLimit.has(parent)) emit({ event: 'refused', remote: remoteOf(socket), reason: err.message });
      socket.destroy();
    });

    const port = opts.port ?? IRP_DEFAULT_PORT;
    let host = opts.host ?? IRP_DEFAULT_HOST;
    try {
      await listen(server, host, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (opts.host !== undefined || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err;
      host = IRP_FALLBACK_HOST;
      await listen(server, host, port);
    }
    instance.bound = server.address() as AddressInfo;
    emit({ event: 'listening', host: instance.host, port: instance.port, domain: pki.domain });
    return instance;
  }

  /** The root CA certificate (PEM) a client must trust, for TLS and for the registry's signatures. */
  get rootCertificatePem(): string {
    return toPem(this.pki.root.der);
  }

  /** Writes the root CA certificate PEM to a file (the CLI's --ca-out). */
  async writeRootCertificate(file: string): Promise<void> {
    await fs.writeFile(file, this.rootCertificatePem);
  }

  get lies(): Readonly<RegistryLies> {
    return this.registry.lies;
  }

  /** Tells the registry the status of a certificate its CA issued outside enrolment (serial in IRP's hex spelling). */
  vouchFor(serialHex: string, status: 'good' | 'revoked'): void {
    this.registry.vouched.set(serialHex.toLowerCase(), status);
  }

  /** Replaces the adversarial settings; `{}` makes the registry honest again. Applies to the next answer. */
  setLies(lies: RegistryLies): void {
    this.registry.lies = { ...lies };
  }

  /** Stops listening, ends open connections, and waits for pending state writes. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    for (const raw of this.raw) raw.destroy();
    for (const timer of this.handshakeDeadlines.values()) clearTimeout(timer);
    this.handshakeDeadlines.clear();
    await closed;
    await this.store.close();
  }

  /** Open TCP connections, TLS handshakes included (for tests and the bench). */
  get connectionCount(): number {
    return this.raw.size;
  }

  /**
   * IRP-LIM-2: past the cap (total or per address) a new TCP connection is closed at once, before
   * any TLS: nothing of it is read, nothing is allocated for it. IRP-LIM-1: otherwise its TLS
   * handshake must complete within the deadline.
   */
  private admit(raw: Socket, limits: IrpServerLimits, emit: (e: IrpEvent) => void): void {
    const address = raw.remoteAddress ?? '?';
    const remote = remoteOf(raw);
    const refuse = (limit: LimitName, reason: string): void => {
      emit({ event: 'refused', remote, reason, limit });
      this.closedByLimit.add(raw);
      raw.destroy();
    };
    if (this.raw.size >= limits.maxConnections) return refuse('maxConnections', `connection limit (${limits.maxConnections}) reached`);
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= limits.maxConnectionsPerAddress) {
      return refuse('maxConnectionsPerAddress', `connection limit per address (${limits.maxConnectionsPerAddress}) reached`);
    }
    this.raw.add(raw);
    this.perAddress.set(address, fromAddress + 1);
    const key = `${address}|${raw.remotePort ?? 0}`;
    const deadline = setTimeout(() => {
      this.handshakeDeadlines.delete(key);
      refuse('handshakeTimeoutMs', `no TLS connection within ${limits.handshakeTimeoutMs} ms`);
    }, limits.handshakeTimeoutMs);
    this.handshakeDeadlines.set(key, deadline);
    raw.once('close', () => {
      this.raw.delete(raw);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
      const timer = this.handshakeDeadlines.get(key);
      if (timer !== undefined) {
        clearTimeout(timer);
        this.handshakeDeadlines.delete(key);
      }
    });
  }

  /** The TLS handshake of this connection is over (done or failed): its IRP-LIM-1 deadline ends. */
  private handshakeDone(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void {
    const key = `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`;
    const timer = this.handshakeDeadlines.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.handshakeDeadlines.delete(key);
    }
  }

  private serve(socket: tls.TLSSocket, maxLength: number, limits: IrpServerLimits, emit: (e: IrpEvent) => void): void {
    const remote = remoteOf(socket);
    this.sockets.add(socket);
    emit({ event: 'connection', remote });
    const session = new Session(socket.remoteAddress ?? '?');
    const decoder = new FrameDecoder({ maxLength });
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    let closing = false;

    const finish = (): void => {
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    const send = (payload: Buffer): void => {
      if (!socket.destroyed) socket.write(encodeFrame(FrameType.Plaintext, payload));
    };
    const enqueue = (work: () => Promise<void>): void => {
      queued++;
      if (queued >= MAX_QUEUED_REQUESTS) socket.pause();
      // A connection with thousands of requests queued (a Login flood, say) must not keep every
      // other connection waiting (issue 13 §3): the loop turns every SLICE_MS of work.
      queue = queue
        .then(yieldToOthers)
        .then(work)
        .catch((err: unknown) => {
          // operations.ts answers every protocol failure itself; reaching here is a stub bug.
          emit({ event: 'refused', remote, reason: `internal: ${(err as Error).message}` });
          socket.destroy();
        })
        .finally(() => {
          queued--;
          if (queued < MAX_QUEUED_REQUESTS && !closing) socket.resume();
        });
    };

    // IRP-CONN-1: an idle connection is closed with a TLS close_notify; the client opens a new
    // one when it needs it (IRP-CONN-2).
    socket.setTimeout(limits.idleTimeoutMs, () => {
      emit({ event: 'refused', remote, reason: `idle for ${limits.idleTimeoutMs} ms`, limit: 'idleTimeoutMs' });
      finish();
    });
    // IRP-LIM-3: runs from the first byte of a frame until the frame is complete; unlike the idle
    // timer, bytes arriving do not reset it.
    let frameDeadline: NodeJS.Timeout | undefined;
    const stopFrameDeadline = (): void => {
      if (frameDeadline !== undefined) clearTimeout(frameDeadline);
      frameDeadline = undefined;
    };
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        closing = true;
        stopFrameDeadline();
        socket.pause();
        enqueue(async () => {
          send(this.registry.framingError(err));
          emit({ event: 'refused', remote, reason: (err as Error).message });
          finish();
        });
        return;
      }
      if (decoder.bufferedBytes === 0) stopFrameDeadline();
      else if (frames.length > 0 || frameDeadline === undefined) {
        // A new frame began in this chunk: its own deadline starts now.
        stopFrameDeadline();
        frameDeadline = setTimeout(() => {
          frameDeadline = undefined;
          if (closing) return;
          closing = true;
          socket.pause();
          enqueue(async () => {
            // IRP-FRAME-1's answer to a frame fault: bad_request without id, then close.
            send(this.registry.framingError(new Error(`frame not complete within ${limits.frameTimeoutMs} ms`)));
            emit({ event: 'refused', remote, reason: `frame not complete within ${limits.frameTimeoutMs} ms`, limit: 'frameTimeoutMs' });
            finish();
          });
        }, limits.frameTimeoutMs);
      }
      for (const frame of frames) {
        enqueue(async () => {
          if (closing) return;
          const answer = await this.registry.handleFrame(session, frame);
          emit({ event: 'request', remote, ...answer.summary });
          send(answer.bytes);
          if (answer.close) {
            closing = true;
            finish();
          }
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      stopFrameDeadline();
      this.sockets.delete(socket);
      emit({ event: 'closed', remote });
    });
  }
}

/** How long requests may run back to back before the stub lets the event loop turn. */
const SLICE_MS = 2;
let sliceStartedAt: number | undefined;

/**
 * Lets the event loop turn once requests have run for SLICE_MS since it last did, so that one
 * connection with thousands of requests queued cannot keep the others waiting; below that, no
 * cost (a yield per request cost pipelined look-ups a third of their rate).
 */
function yieldToOthers(): Promise<void> | undefined {
  const now = performance.now();
  if (sliceStartedAt === undefined) {
    sliceStartedAt = now;
    setImmediate(() => {
      sliceStartedAt = undefined;
    });
    return undefined;
  }
  if (now - sliceStartedAt < SLICE_MS) return undefined;
  return new Promise((resolve) => setImmediate(resolve));
}

function remoteOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  const address = socket.remoteAddress ?? '?';
  return address.includes(':') ? `[${address}]:${socket.remotePort ?? 0}` : `${address}:${socket.remotePort ?? 0}`;
}

function listen(server: tls.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Shorthand for tests and the UA: an in-memory stub on an ephemeral loopback port. */
export function startIrpServer(opts: IrpServerOptions = {}): Promise<IrpServer> {
  return IrpServer.start(opts);
}
