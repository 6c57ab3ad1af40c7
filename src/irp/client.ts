// The IRP client a User Agent uses (docs/spec.md chapter 14): one TLS connection, requests
// framed as XML, answers matched by id and checked before use. Signed answers (Lookup, Status)
// are verified with src/irp/verify.ts and never returned unverified.
//
// Requests may be pipelined (IRP-FRAME-4: "a client MAY send a request before the previous
// answer has arrived"); the registry answers in order, and each answer must carry the id of the
// oldest outstanding request (IRP-FRAME-8), else the connection is failed.
import { randomBytes, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { ProtocolError } from '../protocol/errors.js';
import { encodeFrame, FrameDecoder, FrameType, DEFAULT_MAX_FRAME_LENGTH } from '../protocol/frame.js';
import {
  clientAuthenticationSignedContent,
  decodeIrpResponse,
  encodeIrp,
  isIrpErrorCode,
  STATUS_NONCE_LENGTH,
  type CapabilitiesResponse,
  type IrpRequest,
  type IrpResponse,
} from '../protocol/irp-messages.js';
import { systemRandom } from '../protocol/random.js';
import { sign, signatureAlgorithmForKey } from '../protocol/signature.js';
import { IrpError } from './errors.js';
import { registryCertificateTrust, VerifiedRecordCache, verifyStatusResult, type TrustConfig, type VerifiedRecord, type VerifiedStatus } from './verify.js';
import { IRP_TLS_CIPHERS, IRP_TLS_MIN_VERSION } from './tls-policy.js';
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
   * The domain of the user IDs this client is about to act on: the registry must list it in its
   * Capabilities, or the client closes the connection (IRP-CAP-2). Unset: no domain is checked.
   */
  domain?: string;
}

interface Pending {
  id: string;
  expect: IrpResponse['kind'];
  resolve: (response: IrpResponse) => void;
  reject: (err: IrpError) => void;
  timer: NodeJS.Timeout;
}

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

export class IrpClient {
  private readonly pending: Pending[] = [];
  private readonly decoder: FrameDecoder;
  private nextId = 1;
  private failure: IrpError | undefined;
  private registryTrust: Promise<{ key: KeyObject; intermediates: Buffer[] }> | undefined;
  /** When the checked registry path is valid (ms since the epoch); outside it the certificate is checked again. */
  private registryWindow: { validFrom: number; validUntil: number } | undefined;
  /** IRP-LOOKUP-5: the newest verified timestamp per user, against rollback. */
  private readonly newestRecord = new Map<string, number>();
  private readonly verifiedRecords = new VerifiedRecordCache();
  private readonly closed: Promise<void>;
  /** The answer to the Capabilities request connect() sends first (IRP-CAP-1). */
  capabilitiesAnswer!: CapabilitiesResponse;

  private constructor(
    private readonly socket: tls.TLSSocket,
    private readonly anchors: Buffer[],
    private readonly timeoutMs: number,
    private readonly now: () => number,
    maxFrameLength: number,
  ) {
    this.decoder = new FrameDecoder({ maxLength: maxFrameLength });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new IrpError('connection_failed', `IRP connection failed: ${err.message}`)));
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.fail(new IrpError('connection_failed', 'the registry closed the connection'));
      resolve();
    }));
  }

  /**
   * Opens the TLS connection, checks the registry's certificate against the trust anchors, and
   * asks Capabilities first (IRP-CAP-1); refuses a registry that does not speak version 1 (IRP-CAP-2).
   */
  static async connect(opts: IrpConnectOptions): Promise<IrpClient> {
    const anchors = certificatesFromPem(opts.caCertificates);
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        host: opts.host,
        port: opts.port,
        ca: anchors.map(toPem),
        servername: opts.servername ?? (isIP(opts.host) ? undefined : opts.host),
        // IRP-TLS-2: the name checked is the configured one, not the address connected to.
        checkServerIdentity: (host, cert) => tls.checkServerIdentity(opts.servername ?? host, cert),
        minVersion: IRP_TLS_MIN_VERSION,
        ciphers: IRP_TLS_CIPHERS,
      });
      const onError = (err: Error): void => reject(new IrpError('connection_failed', `cannot reach the registry at ${opts.host}:${opts.port}: ${err.message}`));
      s.once('error', onError);
      s.once('secureConnect', () => {
        s.off('error', onError);
        resolve(s);
      });
    });
    const client = new IrpClient(socket, anchors, opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, opts.now ?? Date.now, opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH);
    try {
      client.capabilitiesAnswer = await client.capabilities();
      if (!client.capabilitiesAnswer.versions.includes(1)) {
        throw new IrpError('unsupported_registry', 'the registry does not speak IRP version 1', 'IRP-CAP-2');
      }
      const domain = opts.domain;
      if (domain !== undefined && !client.capabilitiesAnswer.domains.some((d) => sameDomain(d, domain))) {
        throw new IrpError('unsupported_registry', `the registry does not serve the domain ${domain}`, 'IRP-CAP-2');
      }
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  async capabilities(): Promise<CapabilitiesResponse> {
    return this.request({ kind: 'CapabilitiesRequest', id: this.id() }, 'Capabilities');
  }

  async login(user: string, password: string): Promise<void> {
    await this.requireServedDomain(user);
    await this.request({ kind: 'Login', id: this.id(), user, password }, 'LoggedIn');
  }

  /** Sends a DER PKCS#10 request; returns the issued chain, leaf first. */
  async enroll(csrDer: Buffer): Promise<Buffer[]> {
    return (await this.request({ kind: 'Enroll', id: this.id(), csr: csrDer }, 'Enrolled')).certificates;
  }

  /** Challenge/response with the user's certificate key (section 14.6). */
  async authenticate(userId: string, chain: Buffer[], privateKey: KeyObject): Promise<void> {
    const algorithm = signatureAlgorithmForKey(privateKey);
    if (algorithm === null) throw new RangeError('the private key cannot sign IRP authentication');
    await this.requireServedDomain(userId);
    const { challenge } = await this.request({ kind: 'AuthBegin', id: this.id(), user: userId }, 'AuthChallenge');
    const signature = sign(algorithm, privateKey, clientAuthenticationSignedContent(challenge), systemRandom);
    await this.request({ kind: 'AuthProve', id: this.id(), algorithm, certificates: chain, signature }, 'Authenticated');
  }

  /** Registers the authenticated user's address; returns the registry's timestamp. */
  async register(address: string, port: number): Promise<string> {
    return (await this.request({ kind: 'Register', id: this.id(), address, port }, 'Registered')).timestamp;
  }

  /** A verified record (IRP-LOOKUP-3..5), or an IrpError; never an unverified answer. */
  async lookup(userId: string): Promise<VerifiedRecord> {
    await this.requireServedDomain(userId);
    const trust = await this.trust();
    const answer = await this.request({ kind: 'Lookup', id: this.id(), user: userId }, 'LookupResult');
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
    return (await this.request({ kind: 'CaCertificatesRequest', id: this.id() }, 'CaCertificates')).certificates;
  }

  async revoke(serial: string): Promise<void> {
    await this.request({ kind: 'Revoke', id: this.id(), serial }, 'Revoked');
  }

  /** A verified status with a fresh nonce (IRP-STATUS-4, IRP-STATUS-5). */
  async status(serial: string): Promise<VerifiedStatus> {
    const trust = await this.trust();
    const nonce = randomBytes(STATUS_NONCE_LENGTH);
    const answer = await this.request({ kind: 'StatusRequest', id: this.id(), serial, nonce }, 'StatusResult');
    return verifyStatusResult(answer, trust.key, { serial, nonce }, new Date(this.now()));
  }

  /** Ends the connection with a TLS close_notify (IRP-TLS-4) and waits for it to close. */
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

  async close(): Promise<void> {
    this.fail(new IrpError('connection_failed', 'the client closed the connection'));
    this.socket.end();
    await this.closed;
  }

  // ---- internals ----

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
    this.registryTrust ??= (async () => {
      const certificates = await this.caCertificates();
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

  private request<K extends IrpResponse['kind']>(message: IrpRequest, expect: K): Promise<Extract<IrpResponse, { kind: K }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new IrpError('timeout', `no answer to ${message.kind} within ${this.timeoutMs} ms`, 'IRP-FRAME-9'));
        this.socket.destroy();
      }, this.timeoutMs);
      timer.unref();
      this.pending.push({ id: message.id, expect, resolve: resolve as (r: IrpResponse) => void, reject, timer });
      this.socket.write(encodeFrame(FrameType.Plaintext, encodeIrp(message)));
    });
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
        if (response.id === undefined) this.fail(new IrpError('connection_failed', 'the registry reported a framing fault'));
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
    this.fail(new IrpError('bad_response', `unusable answer from the registry: ${why}`, 'IRP-FRAME-8'));
    this.socket.destroy();
  }

  /** Fails every outstanding and later request with `err` (the first failure wins). */
  private fail(err: IrpError): void {
    this.failure ??= err;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.failure);
    }
  }
}
