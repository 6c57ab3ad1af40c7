// The reference User Agent: the pure Connection engine (src/protocol/engine.ts) put on TCP.
// This file is the edge the engine is kept free of: sockets, the handshake and idle timers,
// the JSON-lines events, the key-log file, and the peer directory (IRP) that supplies peer
// addresses, certificates and revocation status.
//
// Requirements it carries (docs/spec.md): peers are found by user ID through verified IRP
// look-ups; peer chains are validated (profile e2ed, purpose clientAuth, expected user ID,
// revocation via IRP status); "handshake timeout 10 s (then handshake_timeout fatal alert,
// close); idle timeout 300 s (then close_notify)"; frame limit 1 MiB, configurable.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { Connection, type EngineConfig, type Output, type PeerVerification } from '../protocol/engine.js';
import { DEFAULT_MAX_FRAME_LENGTH, FRAME_HEADER_LENGTH, FrameType } from '../protocol/frame.js';
import type { EngineEvent, ReceivedApplicationMessage } from '../protocol/handshake/events.js';
import { seededRandom, systemRandom, type RandomSource } from '../protocol/random.js';
import { validateChain, type RevocationStatus } from '../pki/validator.js';
import type { IrpClient, RegistryAvailability } from '../irp/client.js';
import { serialOfCertificate } from '../irp/verify.js';
import type { Bugs } from '../protocol/bugs.js';
import { closeKindOf, engineEventToUa, type CloseKind, type EventSink, type Role, type UaEventBody } from './events.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const E2ED_PORT = 4605;

/** A verified look-up answer: where a user is and the chain the registry holds for them. */
export interface PeerRecord {
  userId: string;
  address: string;
  port: number;
  certificates: Buffer[];
}

/** Where the UA finds peers and certificate status: IRP in the reference UA (see irpDirectory). */
export interface PeerDirectory {
  /** A verified look-up; throws when the registry does not know the user or the answer fails verification. */
  lookup(userId: string): Promise<PeerRecord>;
  /**
   * The verified status of the certificate with this serial (IRP's hex spelling,
   * serialOfCertificate); throws when no verified answer can be had (E2ED-CERT-30).
   */
  status?(serialHex: string): Promise<'good' | 'revoked' | 'unknown'>;
  /** The older two-valued form, for directories without `status` (true: revoked, false: good). */
  isRevoked?(serialHex: string): Promise<boolean>;
  /** IRP-CONN-6: reports of the registry becoming unreachable and reachable again; returns a function that removes the listener. */
  onAvailability?(listener: (a: RegistryAvailability) => void): () => void;
}

export interface UaIdentity {
  userId: string;
  privateKey: KeyObject;
  /** DER, leaf first. */
  chain: Buffer[];
  /** DER trust anchors (the domain CA that IRP serves). */
  trustAnchors: Buffer[];
}

export interface UserAgentOptions {
  identity: UaIdentity;
  /** Peer look-ups and revocation status; without it, connect() by user ID is impossible and revocation is not checked. */
  directory?: PeerDirectory;
  versions?: string[];
  methods?: string[];
  ciphers?: string[];
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** How long close() waits for the peer's close_notify before ending the transport (default 5 s). */
  closeTimeoutMs?: number;
  maxFrameLength?: number;
  /** Where events go (JSON lines through jsonLinesSink, or any function). */
  onEvent?: EventSink;
  /** Append key-log lines to this file (docs/spec.md section 13, "Key log"). */
  keyLogFile?: string;
  bugs?: Bugs;
  /** Seeded mode: every random byte, message id and timestamp on the wire follows from the seed. */
  seed?: string;
  /** Certificate validation time (default: the wall clock). */
  now?: () => Date;
  /** How long a verified status answer is reused (default 60 s). */
  statusCacheMs?: number;
}

/** Per-connection offer, overriding the agent's (the initiator's preference order). */
export interface OfferOverrides {
  versions?: string[];
  methods?: string[];
  ciphers?: string[];
}

export interface ConnectTarget extends OfferOverrides {
  address: string;
  port: number;
  peerUserId: string;
  /** The responder's chain from the look-up (status prefetch; rsa-oaep key transport). */
  peerCertificates?: Buffer[];
}

export interface CloseInfo {
  how: CloseKind;
  /** The alert that ended the connection (as received when `by` is 'peer': possibly unregistered). */
  alert?: string;
  by?: 'local' | 'peer';
  reason?: string;
}

/** The handshake did not complete: the alert says why, `by` says which side raised it. */
export class HandshakeFailedError extends Error {
  constructor(readonly info: CloseInfo) {
    super(describeClose(info));
    this.name = 'HandshakeFailedError';
  }
}

/** The directory could not give a verified record for the peer; `cause` is the directory's error. */
export class LookupFailedError extends Error {
  constructor(
    readonly peerUserId: string,
    override readonly cause: unknown,
  ) {
    super(`looking up ${peerUserId} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'LookupFailedError';
  }
}

export function describeClose(info: CloseInfo): string {
  if (info.alert !== undefined) {
    const side = info.by === 'peer' ? 'the peer sent' : 'we sent';
    return `${side} alert ${info.alert}${info.reason ? ` (${info.reason})` : ''}`;
  }
  return `the connection ended (${info.how})${info.reason ? `: ${info.reason}` : ''}`;
}

/** A received Message with the sender's verified user ID. */
export interface ReceivedText {
  from: string;
  id: string;
  timestamp: string;
  text: string;
}

const CERTIFICATE_OPEN = Buffer.from('<Certificate>');
const CERTIFICATE_CLOSE = Buffer.from('</Certificate>');

/** The DER inside the first <Certificate>...</Certificate> of an XML payload, if any. */
function locateFirstCertificate(payload: Buffer): Buffer | undefined {
  const open = payload.indexOf(CERTIFICATE_OPEN);
  if (open < 0) return undefined;
  const from = open + CERTIFICATE_OPEN.length;
  const close = payload.indexOf(CERTIFICATE_CLOSE, from);
  if (close < 0) return undefined;
  const der = Buffer.from(payload.toString('latin1', from, close), 'base64');
  return der.length > 0 ? der : undefined;
}

/** The fixed clock of seeded mode: message timestamps advance one second per message from here. */
const SEEDED_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * Revocation status per certificate serial, fetched asynchronously from the directory before the
 * (synchronous) chain validation runs, and reused for a short while ("revocation via IRP status
 * with a small cache"; IRP-STATUS-6 allows reusing a `good` answer). A serial with no fresh
 * verified answer is `unavailable`: the UA refuses the certificate (fail closed, E2ED-CERT-30)
 * with internal_error, not certificate_revoked: nobody said it is revoked. A failed fetch is not
 * cached, so the next handshake asks again (the IRP client's back-off, IRP-CONN-5, decides whether
 * that touches the network).
 */
class StatusCache {
  /** Keyed by the leaf's DER (base64): a hit costs no certificate parse on the handshake path. */
  private readonly entries = new Map<string, { status: Exclude<RevocationStatus, 'unavailable'>; fetchedAt: number }>();
  private static readonly MAX_ENTRIES = 256;

  constructor(
    private readonly directory: PeerDirectory,
    private readonly ttlMs: number,
    /** How long a fetch may take: less than the handshake timer, so that a registry that does not answer is internal_error, not handshake_timeout (IRP-CONN-6). */
    private readonly fetchDeadlineMs: number,
  ) {}

  private fresh(key: string): { status: RevocationStatus } | undefined {
    const e = this.entries.get(key);
    return e !== undefined && Date.now() - e.fetchedAt < this.ttlMs ? e : undefined;
  }

  /** Starts fetching the leaf's status; undefined when a fresh answer is already cached (or the DER does not parse). */
  prefetch(leafDer: Buffer): Promise<void> | undefined {
    const key = leafDer.toString('base64');
    if (this.fresh(key)) return undefined;
    let serial: string;
    try {
      serial = serialOfCertificate(new X509Certificate(leafDer));
    } catch {
      return undefined; // unparseable: the validator rejects it with its own reason
    }
    return this.fetch(key, serial);
  }

  private async fetch(key: string, serial: string): Promise<void> {
    try {
      const d = this.directory;
      if (!d.status && !d.isRevoked) throw new Error('the directory gives no certificate status');
      const asked: Promise<'good' | 'revoked' | 'unknown'> = d.status
        ? d.status(serial)
        : d.isRevoked!(serial).then((revoked) => (revoked ? 'revoked' : 'good'));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no status within ${this.fetchDeadlineMs} ms`)), this.fetchDeadlineMs);
        timer.unref();
      });
      asked.catch(() => undefined); // a late failure after the deadline is nobody's concern
      const status = await Promise.race([asked, deadline]).finally(() => clearTimeout(timer));
      this.entries.delete(key);
      if (this.entries.size >= StatusCache.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { status, fetchedAt: Date.now() });
    } catch {
      // No verified answer: status() below says `unavailable`, and the handshake fails closed.
      this.entries.delete(key);
    }
  }

  status(leaf: X509Certificate): RevocationStatus {
    return this.fresh(leaf.raw.toString('base64'))?.status ?? 'unavailable';
  }
}

/**
 * The reference UA's directory: verified IRP look-ups and verified status answers. The client
 * reconnects on demand (IRP-CONN-2); its reports of the registry becoming unreachable and
 * reachable again are passed on (IRP-CONN-6).
 */
export function irpDirectory(client: IrpClient): PeerDirectory {
  return {
    lookup: (userId) => client.lookup(userId),
    status: async (serial) => (await client.status(serial)).status,
    onAvailability: (listener) => client.onAvailability(listener),
  };
}

export class UserAgent {
  readonly userId: string;
  private readonly opts: UserAgentOptions;
  private readonly rng: RandomSource;
  private readonly statusCache: StatusCache | undefined;
  private readonly connections = new Set<UaConnection>();
  private server: net.Server | undefined;
  private nextConnectionId = 1;
  private keyLogFd: number | undefined;
  private readonly connectionListeners: Array<(c: UaConnection) => void> = [];
  private readonly stopAvailability: (() => void) | undefined;

  constructor(opts: UserAgentOptions) {
    this.opts = opts;
    this.userId = opts.identity.userId;
    this.rng = opts.seed !== undefined ? seededRandom(opts.seed) : systemRandom;
    const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.statusCache = opts.directory
      ? new StatusCache(opts.directory, opts.statusCacheMs ?? 60_000, Math.max(1, Math.floor(handshakeTimeoutMs / 2)))
      : undefined;
    // IRP-CONN-6: while the registry is unreachable every peer is refused (E2ED-CERT-30); the
    // events say why, once when it happens and once when it is over.
    this.stopAvailability = opts.directory?.onAvailability?.((a) => {
      if (a.state === 'unreachable') this.emit({ event: 'registry_unreachable', registry: a.registry, reason: a.reason, retry_in_ms: a.retryInMs });
      else this.emit({ event: 'registry_reachable', registry: a.registry, unreachable_for_ms: a.unreachableForMs });
    });
    if (opts.keyLogFile !== undefined) {
      const isNew = !fs.existsSync(opts.keyLogFile);
      this.keyLogFd = fs.openSync(opts.keyLogFile, 'a', 0o600);
      if (isNew) fs.writeSync(this.keyLogFd, `# sixbench E2ED key log (${this.userId})\n`);
    }
  }

  /** Called for every accepted (responder) connection; returns a function that removes the listener. */
  onConnection(listener: (c: UaConnection) => void): () => void {
    this.connectionListeners.push(listener);
    return () => {
      const i = this.connectionListeners.indexOf(listener);
      if (i >= 0) this.connectionListeners.splice(i, 1);
    };
  }

  emit(body: UaEventBody, connection?: number): void {
    this.opts.onEvent?.(connection === undefined ? body : { connection, ...body });
  }

  /** Accepts connections (responder role). Port 0 picks a free port; the bound address is returned. */
  async listen(opts: { port?: number; host?: string } = {}): Promise<{ address: string; port: number }> {
    if (this.server) throw new Error('this user agent is already listening');
    const server = net.createServer((socket) => {
      const conn = this.attach(socket, 'responder', {});
      for (const l of [...this.connectionListeners]) l(conn);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? E2ED_PORT, opts.host ?? '::1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    this.emit({ event: 'listening', address: a.address, port: a.port });
    return { address: a.address, port: a.port };
  }

  /** Looks the peer up through the directory (verified), then connects and completes the handshake. */
  async connect(peerUserId: string, offer: OfferOverrides = {}): Promise<UaConnection> {
    const directory = this.opts.directory;
    if (!directory) throw new Error('no peer directory (IRP) is configured, so peers cannot be looked up');
    let record: PeerRecord;
    try {
      record = await directory.lookup(peerUserId);
    } catch (err) {
      throw new LookupFailedError(peerUserId, err);
    }
    this.emit({ event: 'looked_up', peer: record.userId, address: record.address, port: record.port });
    return this.connectTo({ address: record.address, port: record.port, peerUserId, peerCertificates: record.certificates, ...offer });
  }

  /** Connects to a known address (the look-up already done) and completes the handshake. */
  async connectTo(target: ConnectTarget): Promise<UaConnection> {
    // The responder's chain from IRP: its status is fetched now so validation can check it.
    if (this.statusCache && target.peerCertificates?.[0]) await this.statusCache.prefetch(target.peerCertificates[0]);
    const socket = net.connect({ host: target.address, port: target.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const conn = this.attach(socket, 'initiator', target);
    await conn.established;
    return conn;
  }

  /** Stops accepting, closes every connection cleanly and the key-log file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await Promise.all([...this.connections].map((c) => c.close()));
    await closing;
    this.stopAvailability?.();
    if (this.keyLogFd !== undefined) {
      fs.closeSync(this.keyLogFd);
      this.keyLogFd = undefined;
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private attach(socket: net.Socket, role: Role, target: Partial<ConnectTarget>): UaConnection {
    const id = this.nextConnectionId++;
    const o = this.opts;
    const statusCache = this.statusCache;
    const now = o.now ?? (() => new Date());
    const verifyPeer = (chain: Buffer[], ctx: { expectedUserId?: string; requireKeyEncipherment: boolean }): PeerVerification => {
      const result = validateChain(chain, {
        trustAnchors: o.identity.trustAnchors,
        time: now(),
        purpose: 'clientAuth',
        profile: 'e2ed',
        expectedUserId: ctx.expectedUserId,
        requireKeyEncipherment: ctx.requireKeyEncipherment,
        revocationStatus: statusCache ? (leaf) => statusCache.status(leaf) : undefined,
      });
      if (result.ok) {
        return { ok: true, userId: result.userId ?? ctx.expectedUserId ?? '', publicKey: result.publicKey };
      }
      return { ok: false, alert: result.alert, reason: `${result.reason}: ${result.detail}`, requirement: result.requirement };
    };
    const config: EngineConfig = {
      role,
      userId: o.identity.userId,
      certificateChain: o.identity.chain,
      privateKey: o.identity.privateKey,
      peerUserId: target.peerUserId,
      versions: target.versions ?? o.versions,
      methods: target.methods ?? o.methods,
      ciphers: target.ciphers ?? o.ciphers,
      peerCertificateForKeyTransport: target.peerCertificates,
      verifyPeer,
      rng: this.rng.fork(`connection ${id}`),
      maxFrameLength: o.maxFrameLength,
      bugs: o.bugs,
    };
    const conn = new UaConnection(id, role, socket, new Connection(config), {
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      closeTimeoutMs: o.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      maxFrameLength: o.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      emit: (body) => this.emit(body, id),
      keyLog: (line) => {
        if (this.keyLogFd !== undefined) fs.writeSync(this.keyLogFd, `${line}\n`);
      },
      // Each side learns the peer's chain from the peer's Hello: fetch the leaf's status before
      // the engine validates it (for the initiator usually a cache hit: the look-up's chain was
      // prefetched in connectTo).
      prefetchStatus: statusCache ? (leaf) => statusCache.prefetch(leaf) : undefined,
      messageIds: this.rng.fork(`message ids ${id}`).bytes(4).toString('hex'),
      seeded: o.seed !== undefined,
      peerUserId: target.peerUserId,
    });
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
    return conn;
  }
}

interface ConnectionSettings {
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  maxFrameLength: number;
  emit: (body: UaEventBody) => void;
  keyLog: (line: string) => void;
  prefetchStatus: ((leafDer: Buffer) => Promise<void> | undefined) | undefined;
  messageIds: string;
  seeded: boolean;
  peerUserId: string | undefined;
}

/**
 * One TCP connection and its engine. Bytes from the socket go to the engine; the frames the
 * engine returns go to the socket; its events become UA events. The handshake timer runs from
 * the start until the handshake completes; the idle timer from then on, reset by traffic.
 */
export class UaConnection extends EventEmitter {
  readonly established: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  peerUserId: string | undefined;
  negotiated: { version: string; method: string; cipher: string } | undefined;
  exporter: string | undefined;

  private resolveEstablished!: () => void;
  private rejectEstablished!: (err: Error) => void;
  private resolveClosed!: (info: CloseInfo) => void;
  private isConnected = false;
  private isClosed = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private messageCounter = 0;
  private pingCounter = 0;
  private readonly pendingReceipts = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  /** Bytes held back until the status of the leaf in the peer's Hello is known. */
  private heldBack: Buffer | undefined;
  private fetchingStatus = false;

  constructor(
    readonly id: number,
    readonly role: Role,
    private readonly socket: net.Socket,
    private readonly engine: Connection,
    private readonly settings: ConnectionSettings,
  ) {
    super();
    this.established = new Promise((resolve, reject) => {
      this.resolveEstablished = resolve;
      this.rejectEstablished = reject;
    });
    this.established.catch(() => undefined); // observed through `closed` when nobody awaits it
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    socket.setNoDelay(true);
    this.settings.emit({
      event: 'handshake_started',
      role,
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      ...(settings.peerUserId !== undefined ? { peer: settings.peerUserId } : {}),
    });
    this.handshakeTimer = setTimeout(() => this.apply(this.engine.timeout('handshake')), settings.handshakeTimeoutMs);
    if (settings.prefetchStatus) this.heldBack = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onTransportEnd());
    socket.on('error', (err) => this.onTransportEnd(err));
    socket.on('close', () => this.onTransportEnd());
    if (role === 'initiator') this.apply(engine.start());
  }

  /** Established and not yet closed: Messages can be sent. */
  get connected(): boolean {
    return this.isConnected && !this.isClosed;
  }

  /** Sends a Message; returns its id (the peer's Receipt carries the same id). */
  sendText(text: string): string {
    if (!this.isConnected || this.isClosed) throw new Error('the connection is not established');
    this.messageCounter += 1;
    const id = `${this.settings.messageIds}-${this.messageCounter}`;
    const time = this.settings.seeded ? new Date(SEEDED_EPOCH_MS + this.messageCounter * 1000) : new Date();
    this.apply(this.engine.sendText(id, text, time.toISOString()));
    this.settings.emit({ event: 'message_sent', id, length: text.length });
    this.touch();
    return id;
  }

  /** Resolves when the peer's Receipt for message `id` arrives; rejects if the connection ends first. */
  receipt(id: string): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error(`the connection closed before the Receipt for ${id}`));
    return new Promise((resolve, reject) => this.pendingReceipts.set(id, { resolve, reject }));
  }

  /** Sends a Message and waits for its Receipt. */
  async sendAndConfirm(text: string): Promise<string> {
    const id = this.sendText(text);
    await this.receipt(id);
    return id;
  }

  /** Sends a Ping; returns its id. The peer's Pong (same id) is emitted as a 'pong' event with the id. */
  ping(): string {
    if (!this.connected) throw new Error('the connection is not established');
    this.pingCounter += 1;
    const id = `${this.settings.messageIds}-p${this.pingCounter}`;
    this.apply(this.engine.send({ kind: 'Ping', id }));
    this.touch();
    return id;
  }

  keyUpdate(request: boolean): void {
    this.apply(this.engine.keyUpdate(request));
    this.touch();
  }

  /** Clean close: close_notify, then wait for the peer's close_notify or the end of the transport. */
  close(): Promise<CloseInfo> {
    if (!this.isClosed) {
      this.apply(this.engine.close());
      this.awaitPeerCloseNotify();
    }
    return this.closed;
  }

  /**
   * After our close_notify the session ends cleanly only when the peer's close_notify arrives
   * (E2ED-ALERT-7); a peer that never answers must not hold the connection open for ever, so the
   * transport is ended after closeTimeoutMs and the engine reports the end as truncated.
   */
  private awaitPeerCloseNotify(): void {
    if (this.isClosed || this.closeTimer) return;
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.settings.closeTimeoutMs);
  }

  /** True while the socket's write buffer is over its high-water mark (back-pressure for bulk senders). */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Resolves when the socket's write buffer has drained (or the connection closed). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Ends the transport without close_notify (the peer must report truncation). For tests and the adversary. */
  abort(): void {
    this.socket.destroy();
  }

  /** Writes bytes straight to the socket, bypassing the engine. For tests and the adversary. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    if (this.heldBack !== undefined) {
      this.heldBack = Buffer.concat([this.heldBack, chunk]);
      if (!this.fetchingStatus) this.inspectHeldBack();
      return;
    }
    this.touch();
    this.apply(this.engine.receive(chunk));
  }

  /**
   * The chain validator checks revocation synchronously, so the UA fetches the status of the
   * peer's leaf before handing the engine the peer's Hello. The leaf is only located here (the
   * first <Certificate> of the first plaintext frame), not decoded or trusted: the engine parses
   * and validates the Hello itself, and a Hello this scan misreads only finds no fresh status,
   * which fails closed. Bytes that are no Hello go to the engine as they are, which raises the
   * alert the spec names for them.
   */
  private inspectHeldBack(): void {
    const held = this.heldBack!;
    if (held.length < FRAME_HEADER_LENGTH) return;
    const length = held.readUInt32BE(0);
    const malformed = length === 0 || length > this.settings.maxFrameLength || held[4] !== FrameType.Plaintext;
    if (!malformed && held.length < 4 + length) return; // the first frame is not complete yet
    const leaf = malformed ? undefined : locateFirstCertificate(held.subarray(FRAME_HEADER_LENGTH, 4 + length));
    const release = (): void => {
      const bytes = this.heldBack ?? Buffer.alloc(0);
      this.heldBack = undefined;
      this.fetchingStatus = false;
      if (bytes.length > 0) this.onData(bytes);
    };
    const fetching = leaf === undefined ? undefined : this.settings.prefetchStatus!(leaf);
    if (fetching === undefined) {
      release();
      return;
    }
    this.fetchingStatus = true;
    void fetching.then(release, release);
  }

  private onTransportEnd(err?: Error): void {
    if (this.isClosed) return;
    this.apply(this.engine.transportEnded());
    if (!this.isClosed) {
      this.finish({ how: err ? 'transport-error' : this.isConnected ? 'truncated' : 'transport-error', reason: err?.message });
    }
  }

  private touch(): void {
    if (!this.isConnected || this.isClosed) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.apply(this.engine.timeout('idle'));
        this.awaitPeerCloseNotify();
      }, this.settings.idleTimeoutMs);
    }
  }

  private apply(out: Output): void {
    if (out.frames.length > 0 && !this.socket.destroyed) {
      // One flight (e.g. Hello, CertificateVerify, Finished) leaves in one write.
      if (out.frames.length > 1) this.socket.cork();
      for (const frame of out.frames) this.socket.write(frame);
      if (out.frames.length > 1) this.socket.uncork();
    }
    for (const ev of out.events) this.onEngineEvent(ev);
    if (out.closed && !this.isClosed) this.finish({ how: 'clean' });
  }

  private onEngineEvent(ev: EngineEvent): void {
    switch (ev.type) {
      case 'keylog':
        this.settings.keyLog(ev.line);
        return;
      case 'negotiated':
        this.negotiated = { version: ev.version, method: ev.method, cipher: ev.cipher };
        break;
      case 'peer_verified':
        this.peerUserId = ev.userId;
        break;
      case 'exporter':
        this.exporter = ev.hex;
        break;
      case 'connected':
        this.peerUserId = ev.peerUserId;
        this.isConnected = true;
        clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        this.touch();
        this.resolveEstablished();
        // Synchronous, unlike `established`: a listener attached here sees a Message that came in
        // the same chunk as the Finished.
        this.emit('connected');
        break;
      case 'message_received':
        this.onApplicationMessage(ev.message);
        break;
      case 'closed': {
        const body = engineEventToUa(ev, this.peerUserId);
        if (body) this.settings.emit(body);
        this.finish({ how: closeKindOf(ev), alert: ev.alert, by: ev.by, reason: ev.reason });
        return;
      }
      default:
        break;
    }
    const body = engineEventToUa(ev, this.peerUserId);
    if (body) this.settings.emit(body);
    this.emit('event', ev);
  }

  private onApplicationMessage(msg: ReceivedApplicationMessage): void {
    if (msg.kind === 'Message') {
      const received: ReceivedText = { from: this.peerUserId ?? '', id: msg.id, timestamp: msg.timestamp, text: msg.text };
      this.emit('message', received);
    } else if (msg.kind === 'Receipt') {
      const waiter = this.pendingReceipts.get(msg.id);
      this.pendingReceipts.delete(msg.id);
      waiter?.resolve();
    } else if (msg.kind === 'Pong') {
      this.emit('pong', msg.id);
    }
  }

  private finish(info: CloseInfo): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.closeTimer);
    if (!this.socket.destroyed) this.socket.end();
    if (!this.isConnected) this.rejectEstablished(new HandshakeFailedError(info));
    for (const [id, waiter] of this.pendingReceipts) waiter.reject(new Error(`the connection closed before the Receipt for ${id}`));
    this.pendingReceipts.clear();
    this.resolveClosed(info);
    this.emit('closed', info);
  }
}
