// The reference User Agent: the pure Connection engine (src/protocol/engine.ts) put on TCP.
// This file is the edge the engine is kept free of: sockets, the handshake and idle timers,
// the JSON-lines events, the key-log file, and the peer directory (IRP) that supplies peer
// addresses, certificates and revocation status.
//
// Requirements it carries (docs/spec.md): peers are found by user ID through verified IRP
// look-ups; peer chains are validated (profile e2ed, purpose clientAuth, expected user ID,
// revocation via IRP status); "handshake timeout 10 s (then handshake_timeout fatal alert,
// close); idle timeout 300 s (then close_notify)"; frame limit 1 MiB, configurable; the listener
// limits of E2ED-LIM-7 to -9 (input held per connection, simultaneous connections and handshakes,
// no registry request for an unauthenticated chain).
import { X509Certificate, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { Connection, type EngineConfig, type Output, type PeerVerification } from '../protocol/engine.js';
import { checkLengthPrefix, DEFAULT_MAX_FRAME_LENGTH, FRAME_HEADER_LENGTH, FrameType } from '../protocol/frame.js';
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
/** E2ED-LIM-8: incoming connections a listener keeps at once, and how many of them may be in the handshake. */
export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_MAX_HANDSHAKES = 64;
/** A refused connection is destroyed once our FIN is flushed, or after this long at the latest. */
const REFUSED_LINGER_MS = 1_000;

/** A running timer: Node's Timeout has both. */
export interface UaTimer {
  refresh(): unknown;
}

/** The timers a UA runs on (handshake, idle, close): Node's by default; tests inject a fake clock. */
export interface UaTimers {
  setTimeout(callback: () => void, ms: number): UaTimer;
  clearTimeout(timer: UaTimer | undefined): void;
}

const NODE_TIMERS: UaTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

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
  /**
   * When aborted, the agent ends at once: it stops listening, ends every connection's transport
   * without close_notify, and refuses to listen or connect from then on (a bench case that ran out
   * of time must not leave a socket behind, issue 13 §1).
   */
  signal?: AbortSignal;
  /** E2ED-LIM-8: incoming connections kept at once (default 256); more are closed unread. */
  maxConnections?: number;
  /** E2ED-LIM-8: incoming connections not yet Connected at once (default 64); more are closed unread. */
  maxHandshakes?: number;
  /** The clock of the handshake, idle and close timers (default: Node's timers). */
  timers?: UaTimers;
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
  /** An error detected after our own close_notify: the alert it names, which was not sent (E2ED-ALERT-7). */
  unsentAlert?: string;
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
  if (info.unsentAlert !== undefined) return `error after our close_notify, alert ${info.unsentAlert} not sent${info.reason ? ` (${info.reason})` : ''}`;
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

/** "certificates in a Hello: 1..8" (E2ED-CERT-25): a Hello with more is refused by the engine anyway. */
const MAX_HELLO_CERTIFICATES = 8;

/**
 * The DER inside each <Certificate>...</Certificate> of an XML payload, leaf first, or undefined
 * when there is none or more than a Hello may carry.
 */
function locateCertificates(payload: Buffer): Buffer[] | undefined {
  const chain: Buffer[] = [];
  for (let open = payload.indexOf(CERTIFICATE_OPEN); open >= 0; open = payload.indexOf(CERTIFICATE_OPEN, open + 1)) {
    if (chain.length === MAX_HELLO_CERTIFICATES) return undefined;
    const from = open + CERTIFICATE_OPEN.length;
    const close = payload.indexOf(CERTIFICATE_CLOSE, from);
    if (close < 0) break;
    const der = Buffer.from(payload.toString('latin1', from, close), 'base64');
    if (der.length === 0) break;
    chain.push(der);
  }
  return chain.length > 0 ? chain : undefined;
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
 * Leaf certificates (DER) that were presented on a path reaching a trust anchor within the last
 * `ttlMs`, so that a handshake with a known peer costs no second path validation before its
 * status look-up. Bounded like the status cache: the oldest entry goes first.
 */
class AnchoredLeaves {
  private readonly seen = new Map<string, number>();
  private static readonly MAX_ENTRIES = 256;

  constructor(private readonly ttlMs: number) {}

  has(leafDer: Buffer, now: number): boolean {
    const at = this.seen.get(leafDer.toString('base64'));
    return at !== undefined && now - at < this.ttlMs;
  }

  add(leafDer: Buffer, now: number): void {
    const key = leafDer.toString('base64');
    this.seen.delete(key);
    if (this.seen.size >= AnchoredLeaves.MAX_ENTRIES) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, now);
  }
}

/**
 * The reference UA's directory: verified IRP look-ups and verified status answers. The client
 * reconnects on demand (IRP-CONN-2); its reports of the registry becoming unreachable and
 * reachable again are passed on (IRP-CONN-6).
 */
/**
 * The random source a UA hands its connection `id` (UaConnection.id; the first is 1). Seeded, it is
 * a contract like the engine's stream labels (src/protocol/handshake/context.ts): from the UA's
 * seed the bench re-derives the ephemeral key or premaster its reference side drew, and with it
 * recomputes the key schedule of a captured connection without the engine (src/run/iut-keys.ts).
 */
export function connectionRandom(uaRandom: RandomSource, id: number): RandomSource {
  return uaRandom.fork(`connection ${id}`);
}

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
  /** Leaves whose chain reached a trust anchor lately: the registry may be asked about them (E2ED-LIM-9). */
  private readonly anchoredLeaves: AnchoredLeaves;
  private readonly connections = new Set<UaConnection>();
  /** Accepted (responder) connections, and how many of them are not yet Connected (E2ED-LIM-8). */
  private incoming = 0;
  private incomingHandshakes = 0;
  private server: net.Server | undefined;
  private nextConnectionId = 1;
  private keyLogFd: number | undefined;
  private readonly connectionListeners: Array<(c: UaConnection) => void> = [];
  /** Set by close() or an aborted signal: no new listener or connection after that. */
  private ended = false;
  /** The listener an aborted signal closed: close() still waits for it. */
  private serverClosing: Promise<void> | undefined;
  private readonly stopAvailability: (() => void) | undefined;

  constructor(opts: UserAgentOptions) {
    this.opts = opts;
    opts.signal?.addEventListener('abort', () => this.abortAll(), { once: true });
    if (opts.signal?.aborted) this.abortAll();
    this.userId = opts.identity.userId;
    this.rng = opts.seed !== undefined ? seededRandom(opts.seed) : systemRandom;
    this.anchoredLeaves = new AnchoredLeaves(opts.statusCacheMs ?? 60_000);
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
    this.refuseWhenEnded('listen');
    const maxConnections = this.opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const maxHandshakes = this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
    const server = net.createServer((socket) => {
      if (this.ended) return void socket.destroy();
      // E2ED-LIM-8: past either limit the connection is closed before anything is read from it,
      // so a flood of connections costs a socket each for a moment, not a frame buffer each.
      if (this.incoming >= maxConnections) return this.refuse(socket, 'connections', maxConnections);
      if (this.incomingHandshakes >= maxHandshakes) return this.refuse(socket, 'handshakes', maxHandshakes);
      this.incoming += 1;
      this.incomingHandshakes += 1;
      const conn = this.attach(socket, 'responder', {});
      let handshaking = true;
      const handshakeOver = (): void => {
        if (handshaking) this.incomingHandshakes -= 1;
        handshaking = false;
      };
      conn.once('connected', handshakeOver);
      void conn.closed.then(() => {
        handshakeOver();
        this.incoming -= 1;
      });
      for (const l of [...this.connectionListeners]) l(conn);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const closedFirst = (): void => reject(new Error('this user agent was closed before it was listening'));
      server.once('error', reject);
      server.once('close', closedFirst);
      server.listen(opts.port ?? E2ED_PORT, opts.host ?? '::1', () => {
        server.off('error', reject);
        server.off('close', closedFirst);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    this.emit({ event: 'listening', address: a.address, port: a.port });
    return { address: a.address, port: a.port };
  }

  /**
   * E2ED-LIM-8: an incoming connection past a limit is closed at once: nothing is read from it
   * and nothing is sent but a FIN (E2ED-ALERT-11), no alert: the handshake has not started. The
   * initiator reports a failed handshake (E2ED-ALERT-10).
   */
  private refuse(socket: net.Socket, limit: 'connections' | 'handshakes', max: number): void {
    this.emit({ event: 'connection_refused', remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`, limit, max });
    socket.on('error', () => undefined);
    // Our FIN first; then the socket is closed with the peer's bytes unread (the kernel may add a
    // reset): reading them to be polite would let a flood of refused connections cost read time.
    socket.end(() => socket.destroy());
    const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
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
    this.refuseWhenEnded('connect');
    const socket = net.connect({ host: target.address, port: target.port, noDelay: true, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    if (this.ended) {
      socket.destroy();
      this.refuseWhenEnded('connect');
    }
    const conn = this.attach(socket, 'initiator', target);
    await conn.established;
    return conn;
  }

  /** Stops accepting, closes every connection cleanly and the key-log file. */
  async close(): Promise<void> {
    this.ended = true;
    const server = this.server;
    this.server = undefined;
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : (this.serverClosing ?? Promise.resolve());
    await Promise.all([...this.connections].map((c) => c.close()));
    await closing;
    this.stopAvailability?.();
    if (this.keyLogFd !== undefined) {
      fs.closeSync(this.keyLogFd);
      this.keyLogFd = undefined;
    }
  }

  private refuseWhenEnded(what: string): void {
    if (this.ended) throw new Error(`this user agent was closed: it cannot ${what}`);
  }

  /** The aborted signal's end: nothing kept open, no close_notify awaited. */
  private abortAll(): void {
    this.ended = true;
    const server = this.server;
    this.server = undefined;
    if (server) this.serverClosing = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.abort();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Accepted connections open now, and how many of them are still in the handshake (E2ED-LIM-8). */
  get incomingCounts(): { connections: number; handshakes: number } {
    return { connections: this.incoming, handshakes: this.incomingHandshakes };
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
      rng: connectionRandom(this.rng, id),
      maxFrameLength: o.maxFrameLength,
      bugs: o.bugs,
    };
    const conn = new UaConnection(id, role, socket, new Connection(config), {
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      closeTimeoutMs: o.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      maxFrameLength: o.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      timers: o.timers ?? NODE_TIMERS,
      emit: (body) => this.emit(body, id),
      keyLog: (line) => {
        if (this.keyLogFd !== undefined) fs.writeSync(this.keyLogFd, `${line}\n`);
      },
      // Each side learns the peer's chain from the peer's Hello: fetch the leaf's status before
      // the engine validates it (for the initiator usually a cache hit: the look-up's chain was
      // prefetched in connectTo). E2ED-LIM-9: the registry is asked only about a chain that
      // reaches a trust anchor, so an unauthenticated peer (a self-signed leaf, a foreign CA)
      // cannot make this UA send requests; any other chain goes to the engine, which rejects it
      // with its own alert without a status.
      prefetchStatus: statusCache
        ? (chain) => {
            const leaf = chain[0]!;
            // A leaf seen on a valid path a moment ago is not validated again on every handshake
            // (the engine validates the chain in full anyway; this only decides whether the
            // registry may be asked). prefetch() is a map look-up when the status is fresh.
            if (!this.anchoredLeaves.has(leaf, Date.now())) {
              const path = validateChain(chain, {
                trustAnchors: o.identity.trustAnchors,
                time: now(),
                purpose: 'clientAuth',
                profile: 'e2ed',
              });
              if (!path.ok) return undefined;
              this.anchoredLeaves.add(leaf, Date.now());
            }
            return statusCache.prefetch(leaf);
          }
        : undefined,
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
  timers: UaTimers;
  emit: (body: UaEventBody) => void;
  keyLog: (line: string) => void;
  /** Starts fetching the status of the chain's leaf (DER, leaf first); undefined when nothing is to be awaited. */
  prefetchStatus: ((chain: Buffer[]) => Promise<void> | undefined) | undefined;
  messageIds: string;
  seeded: boolean;
  peerUserId: string | undefined;
}

/**
 * One TCP connection and its engine. Bytes from the socket go to the engine; the frames the
 * engine returns go to the socket; its events become UA events. The handshake timer runs from
 * the start until the handshake completes; the idle timer from then on, reset by every frame
 * received (E2ED-LIM-5: "has received no frame").
 *
 * Memory (E2ED-LIM-7): the engine holds at most one incomplete frame; bytes held back while a
 * status is fetched are at most the peer's first frame and the rest of the read that completed
 * it, because reading stops (socket paused, TCP flow control) until the status is known; and
 * reading also stops while our own writes are not drained, so a peer that sends without reading
 * our Receipts and Pongs cannot make us queue them without end.
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
  private handshakeTimer: UaTimer | undefined;
  private idleTimer: UaTimer | undefined;
  private closeTimer: UaTimer | undefined;
  private messageCounter = 0;
  private pingCounter = 0;
  private readonly pendingReceipts = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  /**
   * Bytes held back until the status of the leaf in the peer's Hello is known: `held` has room
   * to spare and doubles when full, so each byte is copied O(1) times whatever the chunking
   * (joining on every chunk was quadratic).
   */
  private held: Buffer | undefined;
  private heldBytes = 0;
  private fetchingStatus = false;
  /** Why reading is paused: a status fetch, our own unsent output, or both. */
  private readonly pausedFor = new Set<'status' | 'drain'>();

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
    this.handshakeTimer = settings.timers.setTimeout(() => this.apply(this.engine.timeout('handshake')), settings.handshakeTimeoutMs);
    if (settings.prefetchStatus) this.held = Buffer.allocUnsafe(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.resumeFor('drain'));
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
    return id;
  }

  keyUpdate(request: boolean): void {
    this.apply(this.engine.keyUpdate(request));
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
    this.closeTimer = this.settings.timers.setTimeout(() => this.socket.destroy(), this.settings.closeTimeoutMs);
  }

  /** Bytes received and not yet given to the engine (held back during a status fetch; E2ED-LIM-7). */
  get heldInputBytes(): number {
    return this.heldBytes;
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
    if (this.held !== undefined) {
      this.hold(chunk);
      if (!this.fetchingStatus) this.inspectHeldBack();
      return;
    }
    // E2ED-LIM-5 counts received frames; bytes are the nearest the UA sees of them (a frame in
    // progress is traffic too, and its own deadline is the frame limit, not this timer).
    this.touch();
    this.apply(this.engine.receive(chunk));
    // E2ED-LIM-7: a peer that sends without reading our answers (Receipts, Pongs) stops being read
    // once they pile up past two frames' worth; an application that honours needsDrain never
    // gets near that, so two such UAs cannot both stop reading while their own Messages queue.
    if (this.socket.writableLength > 2 * this.settings.maxFrameLength) this.pauseFor('drain');
  }

  private hold(chunk: Buffer): void {
    let held = this.held!;
    if (this.heldBytes + chunk.length > held.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.heldBytes + chunk.length, held.length * 2, 4096));
      held.copy(grown, 0, 0, this.heldBytes);
      this.held = held = grown;
    }
    chunk.copy(held, this.heldBytes);
    this.heldBytes += chunk.length;
  }

  /**
   * The chain validator checks revocation synchronously, so the UA fetches the status of the
   * peer's leaf before handing the engine the peer's Hello. The chain is only located here (the
   * <Certificate> elements of the first plaintext frame), not decoded or trusted: the engine parses
   * and validates the Hello itself, and a Hello this scan misreads only finds no fresh status,
   * which fails closed. Bytes that are no Hello go to the engine as soon as that is known (a
   * length over the limit from the first byte that proves it, E2ED-FRAME-3), which raises the
   * alert the spec names for them.
   */
  private inspectHeldBack(): void {
    const held = this.held!.subarray(0, this.heldBytes);
    let malformed = false;
    try {
      checkLengthPrefix(held, held.length, this.settings.maxFrameLength);
    } catch {
      malformed = true;
    }
    if (!malformed && held.length < FRAME_HEADER_LENGTH) return;
    const length = malformed ? 0 : held.readUInt32BE(0);
    malformed ||= held[4] !== FrameType.Plaintext;
    // The first frame is not complete yet: what is held is part of one frame within the limit.
    if (!malformed && held.length < 4 + length) return;
    const chain = malformed ? undefined : locateCertificates(held.subarray(FRAME_HEADER_LENGTH, 4 + length));
    const fetching = chain === undefined ? undefined : this.settings.prefetchStatus!(chain);
    if (fetching === undefined) {
      this.releaseHeldBack();
      return;
    }
    this.fetchingStatus = true;
    // E2ED-LIM-7: nothing more is read until the status is known.
    this.pauseFor('status');
    const release = (): void => {
      this.releaseHeldBack();
      this.resumeFor('status');
    };
    void fetching.then(release, release);
  }

  private releaseHeldBack(): void {
    const bytes = this.held?.subarray(0, this.heldBytes);
    this.held = undefined;
    this.heldBytes = 0;
    this.fetchingStatus = false;
    if (bytes !== undefined && bytes.length > 0) this.onData(bytes);
  }

  private pauseFor(reason: 'status' | 'drain'): void {
    this.pausedFor.add(reason);
    this.socket.pause();
  }

  private resumeFor(reason: 'status' | 'drain'): void {
    if (!this.pausedFor.delete(reason) || this.pausedFor.size > 0 || this.isClosed) return;
    this.socket.resume();
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
      this.idleTimer = this.settings.timers.setTimeout(() => {
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
        this.settings.timers.clearTimeout(this.handshakeTimer);
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
        this.finish({ how: closeKindOf(ev), alert: ev.alert, unsentAlert: ev.unsentAlert, by: ev.by, reason: ev.reason });
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
    this.settings.timers.clearTimeout(this.handshakeTimer);
    this.settings.timers.clearTimeout(this.idleTimer);
    this.settings.timers.clearTimeout(this.closeTimer);
    if (!this.socket.destroyed) {
      this.socket.end();
      // The closed connection no longer counts against the listener's limits (E2ED-LIM-8), so it
      // must not linger: whatever the peer still sends is read and dropped (onData ignores it),
      // so that its FIN or reset is seen even if reading was paused, and a peer that keeps the
      // connection open anyway loses it after closeTimeoutMs.
      this.pausedFor.clear();
      this.socket.resume();
      const linger = setTimeout(() => this.socket.destroy(), this.settings.closeTimeoutMs);
      linger.unref();
      this.socket.once('close', () => clearTimeout(linger));
    }
    if (!this.isConnected) this.rejectEstablished(new HandshakeFailedError(info));
    for (const [id, waiter] of this.pendingReceipts) waiter.reject(new Error(`the connection closed before the Receipt for ${id}`));
    this.pendingReceipts.clear();
    this.resolveClosed(info);
    this.emit('closed', info);
  }
}
