// The IRP client a User Agent uses (docs/spec.md chapter 14): requests framed as XML over one
// TLS connection at a time (src/irp/link.ts), answers matched by id and checked before use.
// Signed answers (Lookup, Status) are verified with src/irp/verify.ts and never returned
// unverified.
//
// The connection's lifecycle (section 14.14): the registry closes idle connections (IRP-CONN-1),
// so a client that lives longer than one connection opens a new one when the next request needs
// it (IRP-CONN-2), sends Capabilities first again (IRP-CAP-1), authenticates again before an
// operation that needs it (IRP-CONN-4), sends an idempotent request once more when the
// connection was lost under it (IRP-CONN-3), and after a failed attempt waits, doubling the wait
// up to a bound, before it tries again (IRP-CONN-5). Listeners learn when the registry becomes
// unreachable and reachable again (IRP-CONN-6).
import { randomBytes, type KeyObject } from 'node:crypto';
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/frame.js';
import {
  clientAuthenticationSignedContent,
  STATUS_NONCE_LENGTH,
  type CapabilitiesResponse,
  type IrpRequest,
  type IrpResponse,
} from '../protocol/irp-messages.js';
import { systemRandom } from '../protocol/random.js';
import { sign, signatureAlgorithmForKey } from '../protocol/signature.js';
import { IrpError } from './errors.js';
import { registryCertificateTrust, VerifiedRecordCache, verifyStatusResult, type TrustConfig, type VerifiedRecord, type VerifiedStatus } from './verify.js';
import { IrpLink } from './link.js';
import { sameDomain } from '../protocol/identity.js';

export { IrpError } from './errors.js';
export type { VerifiedRecord, VerifiedStatus } from './verify.js';

/** IRP-FRAME-9: "fail an operation that has had no answer within 10 seconds (configurable)". */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface IrpConnectOptions {
  host: string;
  port: number;
  /** Trust anchors, PEM (one or more blocks) or DER: for the TLS server certificate and the registry's signatures. */
  caCertificates: ReadonlyArray<string | Buffer>;
  /** The name the TLS certificate must carry (IRP-TLS-2: the SRV target); default the host when it is a name, else the IP. */
  servername?: string;
  timeoutMs?: number;
  maxFrameLength?: number;
  /** The client's clock (record timestamps, certificate validity); default Date.now. */
  now?: () => number;
  /**
   * IRP-CONN-5: after a failed connection attempt, no new attempt before this wait (doubled after
   * each further failure, up to maxDelayMs); requests in the meantime fail at once.
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * The clock of the reconnection back-off (ms, only differences matter); default Date.now.
   * Separate from `now`, which tests often fix at a reference time for certificate validity.
   */
  clock?: () => number;
  /**
   * The domain of the user IDs this client is about to act on: the registry must list it in its
   * Capabilities, or the client closes the connection (IRP-CAP-2). Unset: no domain is checked.
   */
  domain?: string;
  /** Receives each line of every connection's TLS secrets (NSS key log format): a test bench's captures decrypt with it. */
  onTlsKeyLog?: (line: Buffer) => void;
}

/** IRP-CONN-5: the first wait after a failed connection attempt, and the bound of its doubling. */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 1_000;
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 60_000;

/** IRP-CONN-6: what a client reports about its registry. */
export type RegistryAvailability =
  | { state: 'unreachable'; registry: string; reason: string; retryInMs: number }
  | { state: 'reachable'; registry: string; unreachableForMs: number };

/** DER certificates from PEM text (any number of blocks) or DER buffers. */
export function certificatesFromPem(inputs: ReadonlyArray<string | Buffer>): Buffer[] {
  const out: Buffer[] = [];
  for (const input of inputs) {
    const text = typeof input === 'string' ? input : input.subarray(0, 11).toString('latin1') === '-----BEGIN ' ? input.toString('latin1') : null;
    if (text === null) {
      out.push(Buffer.from(input as Buffer));
      continue;
    }
    const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
    if (blocks.length === 0) throw new IrpError('connection_failed', 'no certificate found in the trust anchor PEM');
    for (const block of blocks) out.push(Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** How an operation may be retried and what it needs on a new connection. */
interface OperationTraits {
  /** IRP-CONN-3: sending it twice has the effect of sending it once. */
  idempotent: boolean;
  /** IRP-CONN-4: needs the certificate authentication of section 14.6 on the connection. */
  needsAuthentication: boolean;
}

const READ: OperationTraits = { idempotent: true, needsAuthentication: false };
const WRITE: OperationTraits = { idempotent: false, needsAuthentication: false };
const AUTHENTICATED_WRITE: OperationTraits = { idempotent: false, needsAuthentication: true };

interface Credentials {
  userId: string;
  chain: Buffer[];
  privateKey: KeyObject;
}

export class IrpClient {
  private nextId = 1;
  private link: IrpLink | undefined;
  private opening: Promise<IrpLink> | undefined;
  private closedByUser = false;
  /** IRP-CONN-5: consecutive failed attempts and when the next one may start. */
  private backoff: { failures: number; nextAttemptAt: number; since: number; reason: string } | undefined;
  /** IRP-CONN-4: the certificate credentials of the last successful authenticate(). */
  private credentials: Credentials | undefined;
  private linkAuthenticated = false;
  private readonly availabilityListeners: Array<(a: RegistryAvailability) => void> = [];
  private registryTrust: Promise<{ key: KeyObject; intermediates: Buffer[] }> | undefined;
  /** The connection on which registryTrust was checked (undefined while the check runs). */
  private trustCheckedOn: IrpLink | undefined;
  /** When the checked registry path is valid (ms since the epoch); outside it the certificate is checked again. */
  private registryWindow: { validFrom: number; validUntil: number } | undefined;
  /** IRP-LOOKUP-5: the newest verified timestamp per user, against rollback (kept across connections). */
  private readonly newestRecord = new Map<string, number>();
  private readonly verifiedRecords = new VerifiedRecordCache();
  /** The answer to the Capabilities request each connection sends first (IRP-CAP-1). */
  capabilitiesAnswer!: CapabilitiesResponse;
  /** Connections opened so far (the first included): for events and tests. */
  connectionsOpened = 0;

  private readonly anchors: Buffer[];
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly clock: () => number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  private constructor(private readonly opts: IrpConnectOptions) {
    this.anchors = certificatesFromPem(opts.caCertificates);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
    this.clock = opts.clock ?? Date.now;
    this.initialDelayMs = opts.reconnect?.initialDelayMs ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS;
    this.maxDelayMs = Math.max(this.initialDelayMs, opts.reconnect?.maxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS);
  }

  /**
   * Opens the TLS connection, checks the registry's certificate against the trust anchors, and
   * asks Capabilities first (IRP-CAP-1); refuses a registry that does not speak version 1 (IRP-CAP-2).
   * A failure here is final: the caller learns at once that the registry is unusable.
   */
  static async connect(opts: IrpConnectOptions): Promise<IrpClient> {
    const client = new IrpClient(opts);
    client.link = await client.openLink();
    return client;
  }

  /** `host:port` of the registry, as events name it. */
  get registry(): string {
    return `${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${this.opts.port}`;
  }

  /** IRP-CONN-6: called when the registry becomes unreachable and when it is reachable again; returns a function that removes the listener. */
  onAvailability(listener: (a: RegistryAvailability) => void): () => void {
    this.availabilityListeners.push(listener);
    return () => {
      const i = this.availabilityListeners.indexOf(listener);
      if (i >= 0) this.availabilityListeners.splice(i, 1);
    };
  }

  async capabilities(): Promise<CapabilitiesResponse> {
    return this.call((id) => ({ kind: 'CapabilitiesRequest', id }), 'Capabilities', READ);
  }

  async login(user: string, password: string): Promise<void> {
    await this.requireServedDomain(user);
    await this.call((id) => ({ kind: 'Login', id, user, password }), 'LoggedIn', WRITE);
  }

  /** Sends a DER PKCS#10 request; returns the issued chain, leaf first. */
  async enroll(csrDer: Buffer): Promise<Buffer[]> {
    return (await this.call((id) => ({ kind: 'Enroll', id, csr: csrDer }), 'Enrolled', WRITE)).certificates;
  }

  /**
   * Challenge/response with the user's certificate key (section 14.6). The credentials are kept
   * so that a later Register or Revoke on a new connection authenticates again (IRP-CONN-4).
   */
  async authenticate(userId: string, chain: Buffer[], privateKey: KeyObject): Promise<void> {
    if (signatureAlgorithmForKey(privateKey) === null) throw new RangeError('the private key cannot sign IRP authentication');
    await this.requireServedDomain(userId);
    const link = await this.currentLink();
    await this.authenticateOn(link, { userId, chain, privateKey });
  }

  /** Registers the authenticated user's address; returns the registry's timestamp. */
  async register(address: string, port: number): Promise<string> {
    return (await this.call((id) => ({ kind: 'Register', id, address, port }), 'Registered', AUTHENTICATED_WRITE)).timestamp;
  }

  /** A verified record (IRP-LOOKUP-3..5), or an IrpError; never an unverified answer. */
  async lookup(userId: string): Promise<VerifiedRecord> {
    await this.requireServedDomain(userId);
    const trust = await this.trust();
    const answer = await this.call((id) => ({ kind: 'Lookup', id, user: userId }), 'LookupResult', READ);
    const record = this.verifiedRecords.verify(answer, trust.key, userId, this.trustConfig(trust.intermediates));
    const key = userId.toLowerCase();
    const time = Date.parse(record.timestamp);
    const newest = this.newestRecord.get(key);
    // IRP-LOOKUP-5: "MUST NOT replace it with a verified record whose timestamp is older".
    if (newest !== undefined && time < newest) {
      throw new IrpError('rollback', `the registry answered an older record for ${userId} than one already seen`, 'IRP-LOOKUP-5');
    }
    this.newestRecord.set(key, time);
    return record;
  }

  /** The registry's CA certificates (root, intermediates, registry), unverified: use roots only when they equal a trust anchor (IRP-CA-2). */
  async caCertificates(): Promise<{ role: string; der: Buffer }[]> {
    return (await this.call((id) => ({ kind: 'CaCertificatesRequest', id }), 'CaCertificates', READ)).certificates;
  }

  async revoke(serial: string): Promise<void> {
    await this.call((id) => ({ kind: 'Revoke', id, serial }), 'Revoked', AUTHENTICATED_WRITE);
  }

  /** A verified status with a fresh nonce (IRP-STATUS-4, IRP-STATUS-5); a retry asks with a new nonce. */
  async status(serial: string): Promise<VerifiedStatus> {
    const trust = await this.trust();
    let nonce = Buffer.alloc(0); // set by each attempt: a resent Status carries a fresh nonce (IRP-STATUS-1)
    const answer = await this.call(
      (id) => {
        nonce = randomBytes(STATUS_NONCE_LENGTH);
        return { kind: 'StatusRequest', id, serial, nonce };
      },
      'StatusResult',
      READ,
    );
    return verifyStatusResult(answer, trust.key, { serial, nonce }, new Date(this.now()));
  }

  /**
   * IRP-CAP-2: "A client MUST close the connection without further requests if the answer does
   * not list ... the domain of the user IDs it is about to act on."
   */
  private async requireServedDomain(userId: string): Promise<void> {
    const at = userId.lastIndexOf('@');
    const domain = at < 0 ? '' : userId.slice(at + 1);
    if (this.capabilitiesAnswer.domains.some((d) => sameDomain(d, domain))) return;
    await this.close();
    throw new IrpError('unsupported_registry', `the registry does not serve the domain of ${userId}`, 'IRP-CAP-2');
  }

  /** Ends the connection with a TLS close_notify (IRP-TLS-4); the client opens no new one. */
  async close(): Promise<void> {
    this.closedByUser = true;
    const opening = this.opening;
    const link = this.link;
    this.link = undefined;
    await link?.close();
    await opening?.then((l) => l.close(), () => undefined);
  }

  // ---- the connection's lifecycle (section 14.14) ----

  private async openLink(): Promise<IrpLink> {
    const link = await IrpLink.open({
      host: this.opts.host,
      port: this.opts.port,
      ca: this.anchors.map(toPem),
      servername: this.opts.servername,
      timeoutMs: this.timeoutMs,
      maxFrameLength: this.opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      onTlsKeyLog: this.opts.onTlsKeyLog,
    });
    this.connectionsOpened++;
    try {
      const capabilities = await link.request({ kind: 'CapabilitiesRequest', id: this.id() }, 'Capabilities');
      if (!capabilities.versions.includes(1)) {
        throw new IrpError('unsupported_registry', 'the registry does not speak IRP version 1', 'IRP-CAP-2');
      }
      const domain = this.opts.domain;
      if (domain !== undefined && !capabilities.domains.some((d) => sameDomain(d, domain))) {
        throw new IrpError('unsupported_registry', `the registry does not serve the domain ${domain}`, 'IRP-CAP-2');
      }
      this.capabilitiesAnswer = capabilities;
    } catch (err) {
      await link.close();
      throw err;
    }
    this.linkAuthenticated = false;
    return link;
  }

  /**
   * The usable connection, opened on demand (IRP-CONN-2). During the back-off after a failed
   * attempt (IRP-CONN-5) it fails at once, without touching the network.
   */
  private currentLink(): Promise<IrpLink> {
    if (this.closedByUser) return Promise.reject(new IrpError('connection_failed', 'the client closed the connection'));
    if (this.link?.usable) return Promise.resolve(this.link);
    const ended = this.link;
    this.link = undefined;
    if (this.opening) return this.opening;
    const now = this.clock();
    // IRP-CONN-5: a connection the client had to fail (a bad answer, IRP-FRAME-8; no answer in
    // time, IRP-FRAME-9) counts as a failed attempt: no new connection at once to that registry.
    if (ended?.end === 'failed') this.attemptFailed(ended.failureMessage ?? 'the connection failed', now);
    const backoff = this.backoff;
    if (backoff !== undefined && now < backoff.nextAttemptAt) {
      return Promise.reject(
        new IrpError(
          'connection_failed',
          `the registry at ${this.registry} is unreachable (${backoff.reason}); next attempt in ${backoff.nextAttemptAt - now} ms`,
          'IRP-CONN-5',
        ),
      );
    }
    const opening = this.openLink().then(
      (link) => {
        this.opening = undefined;
        if (this.closedByUser) {
          void link.close();
          throw new IrpError('connection_failed', 'the client closed the connection');
        }
        this.link = link;
        if (backoff !== undefined) {
          this.backoff = undefined;
          this.announce({ state: 'reachable', registry: this.registry, unreachableForMs: this.clock() - backoff.since });
        }
        return link;
      },
      (err: unknown) => {
        this.opening = undefined;
        this.attemptFailed(err instanceof Error ? err.message : String(err), now);
        throw err;
      },
    );
    this.opening = opening;
    return opening;
  }

  /** IRP-CONN-5: one more consecutive failure; the wait before the next attempt doubles, up to its bound. */
  private attemptFailed(reason: string, startedAt: number): void {
    const failures = (this.backoff?.failures ?? 0) + 1;
    const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(failures - 1, 30));
    const first = this.backoff === undefined;
    this.backoff = { failures, nextAttemptAt: this.clock() + delay, since: this.backoff?.since ?? startedAt, reason };
    // IRP-CONN-6: reported once when the registry becomes unreachable, not on every retry.
    if (first) this.announce({ state: 'unreachable', registry: this.registry, reason, retryInMs: delay });
  }

  private announce(a: RegistryAvailability): void {
    for (const l of [...this.availabilityListeners]) l(a);
  }

  private async authenticateOn(link: IrpLink, credentials: Credentials): Promise<void> {
    const algorithm = signatureAlgorithmForKey(credentials.privateKey);
    if (algorithm === null) throw new RangeError('the private key cannot sign IRP authentication');
    const { challenge } = await link.request({ kind: 'AuthBegin', id: this.id(), user: credentials.userId }, 'AuthChallenge');
    const signature = sign(algorithm, credentials.privateKey, clientAuthenticationSignedContent(challenge), systemRandom);
    await link.request({ kind: 'AuthProve', id: this.id(), algorithm, certificates: credentials.chain, signature }, 'Authenticated');
    if (link === this.link) {
      this.credentials = credentials;
      this.linkAuthenticated = true;
    }
  }

  /**
   * One operation on the current connection. IRP-CONN-3: an idempotent request whose connection
   * was lost before its answer is sent once more on a new connection; any other request is not
   * repeated (its outcome is unknown), and the error says so.
   */
  private async call<K extends IrpResponse['kind']>(
    build: (id: string) => IrpRequest,
    expect: K,
    traits: OperationTraits,
  ): Promise<Extract<IrpResponse, { kind: K }>> {
    for (let attempt = 0; ; attempt++) {
      const link = await this.currentLink();
      // IRP-CONN-4: authentication belongs to the connection (IRP-TLS-4); a new one needs it again.
      if (traits.needsAuthentication && !this.linkAuthenticated && this.credentials !== undefined) {
        await this.authenticateOn(link, this.credentials);
      }
      try {
        return await link.request(build(this.id()), expect);
      } catch (err) {
        if (link.end === 'lost' && traits.idempotent && attempt === 0 && !this.closedByUser) continue;
        throw err;
      }
    }
  }

  private id(): string {
    return `r${this.nextId++}`;
  }

  private trustConfig(intermediates: Buffer[]): TrustConfig {
    return { anchors: this.anchors, intermediates, time: new Date(this.now()) };
  }

  /**
   * The registry signing key, checked once per connection (IRP-CA-3), and again whenever the
   * client's clock has left the time window in which the checked path is valid.
   */
  private trust(): Promise<{ key: KeyObject; intermediates: Buffer[] }> {
    const now = this.now();
    if (this.registryWindow !== undefined && (now < this.registryWindow.validFrom || now > this.registryWindow.validUntil)) {
      this.registryTrust = undefined;
      this.registryWindow = undefined;
    }
    // IRP-CA-3 is checked once per connection: a registry restarted behind the same address may
    // sign with another certificate, so a new connection checks again.
    if (this.trustCheckedOn !== undefined && (this.trustCheckedOn !== this.link || !this.trustCheckedOn.usable)) {
      this.registryTrust = undefined;
      this.registryWindow = undefined;
      this.trustCheckedOn = undefined;
    }
    this.registryTrust ??= (async () => {
      this.trustCheckedOn = undefined;
      const certificates = await this.caCertificates();
      this.trustCheckedOn = this.link;
      const intermediates = certificates.filter((c) => c.role === 'intermediate').map((c) => c.der);
      const registry = certificates.filter((c) => c.role === 'registry');
      if (registry.length === 0) throw new IrpError('untrusted_registry_certificate', 'the registry sent no signing certificate', 'IRP-CA-1');
      const errors: IrpError[] = [];
      for (const candidate of registry) {
        try {
          const checked = registryCertificateTrust(candidate.der, this.trustConfig(intermediates));
          this.registryWindow = { validFrom: checked.validFrom, validUntil: checked.validUntil };
          return { key: checked.key, intermediates };
        } catch (err) {
          if (!(err instanceof IrpError)) throw err;
          errors.push(err);
        }
      }
      throw errors[0]!;
    })();
    // A failed check is not cached: the next call asks again.
    this.registryTrust.catch(() => {
      this.registryTrust = undefined;
    });
    return this.registryTrust;
  }
}
