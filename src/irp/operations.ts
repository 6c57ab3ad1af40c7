// The registry's answer to each IRP request (docs/spec.md chapter 14, sections 14.2 to 14.11),
// plus the lies of src/irp/adversary.ts, each read where the answer it falsifies is produced.
// No sockets here: server.ts hands in one frame and a per-connection Session and writes back what
// this returns. Every failure is an <Error> answer (IRP has no alerts, section 14.2).
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { TestPki } from '../pki/ca.js';
import { testName } from '../pki/cert-builder.js';
import { parseCsr } from '../pki/csr.js';
import { validateChain } from '../pki/validator.js';
import { ProtocolError } from '../protocol/errors.js';
import { FrameType, type Frame } from '../protocol/frame.js';
import { canonicalUserId, sameUserId } from '../protocol/identity.js';
import {
  clientAuthenticationSignedContent,
  decodeIrpRequest,
  encodeIrp,
  encodeRecordDocument,
  encodeStatusDocument,
  IRP_OPERATIONS,
  readableRequestId,
  recordSignedContent,
  serialFromBytes,
  statusSignedContent,
  CHALLENGE_LENGTH,
  MAX_ERROR_TEXT_CHARS,
  type CaCertificate,
  type CertificateStatus,
  type IrpErrorCode,
  type IrpRecord,
  type IrpRequest,
  type IrpResponse,
} from '../protocol/irp-messages.js';
import { systemRandom, type RandomSource } from '../protocol/random.js';
import { sign, signatureAlgorithmForKey, verify, type SignatureAlgorithm } from '../protocol/signature.js';
import { corruptSignature, recordLieKey, type RegistryLies } from './adversary.js';
import { DEFAULT_IRP_LIMITS, type IrpAccount, type IrpServerLimits } from './config.js';
import { csrRfc822Names, CsrIdentityError } from './csr-identity.js';
import { LoginLimiter, type Clock } from './login-limiter.js';
import { PasswordChecker, type Hasher, type PasswordHash } from './password-check.js';
import type { IssuedCertificate, RegistryStore, SignedRecord, StoreChange, UserRecord } from './store.js';
import { IRP_REGISTRY_SIGNING_PURPOSE } from './verify.js';

/** IRP-AUTH-1: a challenge is "valid for one AuthProve within 60 seconds". */
export const CHALLENGE_LIFETIME_MS = 60_000;
/** IRP has one protocol version (IRP-CAP-3: "Version 1"). */
export const IRP_VERSION = 1;

/** What one connection has proved so far (IRP-TLS-4: state "belongs to one TLS connection"). */
export class Session {
  /** The client's address, for the per-address login limit (IRP-LOGIN-5). */
  constructor(readonly remoteAddress = '?') {}
  /** IRP-LOGIN-1: the user of the last successful Login, for enrolment only. */
  loggedInUser: string | undefined;
  challenge: { user: string; bytes: Buffer; expires: number } | undefined;
  /** IRP-AUTH-4: the user and certificate chain of a successful AuthProve. */
  authenticated: { user: string; serial: string; chain: Buffer[] } | undefined;
}

export interface Answer {
  bytes: Buffer;
  /** For events: what was asked and how it ended; never the password (IRP-LOGIN-4). */
  summary: { operation: string; id: string; user?: string; outcome: 'ok' | 'error'; code?: string };
}

interface Refusal {
  code: IrpErrorCode;
  text: string;
}

const refuse = (code: IrpErrorCode, text: string): Refusal => ({ code, text });
const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'code' in x && 'text' in x && !(x instanceof Error);

export interface RegistryOptions {
  pki: TestPki;
  store: RegistryStore;
  accounts: readonly IrpAccount[];
  lies: RegistryLies;
  now: Clock;
  rng?: RandomSource;
  /** How the slow lie waits; injected by tests so that they never wait for real time. */
  sleep?: (ms: number) => Promise<void>;
  /** The login and enrolment limits (section 14.15); the rest of IrpServerLimits is the transport's. */
  limits?: Partial<IrpServerLimits>;
  /** The password hash of Login checks (tests count its calls); default async scrypt. */
  hasher?: Hasher;
}

const ENROLLED_SERIAL_OCTETS = 16;
const CLOCK_SKEW_ALLOWANCE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** IRP-ENROLL-4: "a validity period it chooses (default 365 days)". */
const ENROLLED_VALIDITY_DAYS = 365;

/** The registry signing identity: a certificate issued by the services CA for the registry purpose. */
interface RegistrySigner {
  chain: Buffer[];
  privateKey: KeyObject;
  algorithm: SignatureAlgorithm;
}

export class Registry {
  /**
   * Certificates the domain CA issued outside enrolment (the test PKI's defect catalogue), whose
   * status the bench tells the registry so that an implementation under test that asks it gets
   * the case's answer (`revoked` for the revoked defect, `good` otherwise), as a real domain's
   * registry would for every certificate its CA issued. In memory only; never on the wire.
   */
  readonly vouched = new Map<string, 'good' | 'revoked'>();
  lies: RegistryLies;
  private readonly pki: TestPki;
  private readonly store: RegistryStore;
  private readonly now: Clock;
  private readonly rng: RandomSource;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly passwords = new Map<string, PasswordHash>();
  private readonly limiter: LoginLimiter;
  private readonly addressLimiter: LoginLimiter;
  readonly passwordChecker: PasswordChecker;
  private readonly maxCertificatesPerAccount: number;
  /** Certificates issued per canonical user ID, and serials per certified key: lookups that cost the same whatever the registry's size. */
  private readonly issuedPerUser = new Map<string, number>();
  private readonly serialsBySpki = new Map<string, string[]>();
  readonly signer: RegistrySigner;
  private readonly caCertificates: CaCertificate[];
  /** Falsified records, signed once per (lie setting, genuine record) and then served as-is. */
  private readonly lieCache = new Map<string, { bytes: Buffer; signature: Buffer }>();

  constructor(opts: RegistryOptions) {
    this.pki = opts.pki;
    this.store = opts.store;
    this.lies = { ...opts.lies };
    this.now = opts.now;
    this.rng = opts.rng ?? systemRandom;
    this.sleep = opts.sleep ?? delay;
    const limits = { ...DEFAULT_IRP_LIMITS, ...opts.limits };
    this.limiter = new LoginLimiter(this.now, limits.loginFailuresPerUser, limits.loginWindowMs);
    this.addressLimiter = new LoginLimiter(this.now, limits.loginFailuresPerAddress, limits.loginWindowMs);
    this.passwordChecker = new PasswordChecker({ maxPending: limits.maxPendingLogins, hasher: opts.hasher });
    this.maxCertificatesPerAccount = limits.maxCertificatesPerAccount;
    for (const account of opts.accounts) {
      this.passwords.set(canonicalUserId(account.userId), this.passwordChecker.hashSync(account.password));
    }
    for (const issued of Object.values(this.store.state.certificates)) this.indexCertificate(issued.serial, issued.userId, issued.spkiSha256);
    this.signer = issueRegistrySigner(this.pki);
    this.caCertificates = [
      { role: 'root', der: this.pki.root.der },
      { role: 'intermediate', der: this.pki.intermediates.users.der },
      { role: 'intermediate', der: this.pki.intermediates.services.der },
      { role: 'registry', der: this.signer.chain[0]! },
    ];
  }

  /**
   * A password account added while the registry runs: the bench opens a fresh enrolment account
   * per case for an implementation that enrols itself (docs/adapter.md, `irpEnrolment`), so that
   * no account reaches the IRP-ENROLL-6 limit however many cases a run has.
   */
  addAccount(account: IrpAccount): void {
    this.passwords.set(canonicalUserId(account.userId), this.passwordChecker.hashSync(account.password));
  }

  /** The certificate this registry issued with that serial (lower-case hex), if it issued one. */
  issuedCertificate(serialHex: string): IssuedCertificate | undefined {
    return this.store.state.certificates[serialHex.toLowerCase()];
  }

  /** IRP-FRAME-1: a frame fault is answered "with an Error of code bad_request without id". */
  framingError(err: unknown): Buffer {
    const text = err instanceof ProtocolError ? `framing: ${err.alert}` : 'framing error';
    return encodeIrp({ kind: 'Error', code: 'bad_request', text });
  }

  /** Answers one frame. `close` is set when the stream cannot go on (IRP-FRAME-1). */
  async handleFrame(session: Session, frame: Frame): Promise<Answer & { close: boolean }> {
    // IRP-FRAME-1: "frame faults (..., another type, payload not UTF-8) MUST be answered ... after
    // which the receiver closes the TLS connection".
    if (frame.type !== FrameType.Plaintext || !isUtf8(frame.payload)) {
      const what = frame.type !== FrameType.Plaintext ? `frame type 0x${frame.type.toString(16)}` : 'payload not UTF-8';
      return {
        bytes: encodeIrp({ kind: 'Error', code: 'bad_request', text: `framing: ${what}` }),
        summary: { operation: 'frame', id: '', outcome: 'error', code: 'bad_request' },
        close: true,
      };
    }
    const answer = await this.handlePayload(session, frame.payload);
    if (this.lies.slowMs) await this.sleep(this.lies.slowMs);
    return { ...answer, close: false };
  }

  private async handlePayload(session: Session, payload: Buffer): Promise<Answer> {
    let request: ReturnType<typeof decodeIrpRequest>;
    try {
      request = decodeIrpRequest(payload);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // IRP-FRAME-5: bad_request "carrying the request's id when it could be read"; an unknown
      // critical child is an option the registry does not support (section 14.2 `unsupported`).
      const id = readableRequestId(payload);
      const code: IrpErrorCode = err.alert === 'unsupported_extension' ? 'unsupported' : 'bad_request';
      return this.errorAnswer('?', id, refuse(code, err.message));
    }
    if (request.kind === 'Unknown') {
      // IRP-FRAME-6: "a request whose root element is not an operation ... unsupported".
      return this.errorAnswer(request.name, request.id, refuse('unsupported', `no operation ${request.name}`));
    }
    try {
      const response = await this.dispatch(session, request);
      return {
        bytes: encodeIrp(response),
        summary: { operation: operationName(request), id: request.id, user: userOf(request, session), outcome: 'ok' },
      };
    } catch (err) {
      if (isRefusal(err)) return this.errorAnswer(operationName(request), request.id, err, userOf(request, session));
      // A registry failure (a state write that did not complete, say): nothing was acknowledged.
      return this.errorAnswer(operationName(request), request.id, refuse('internal', 'registry failure'), userOf(request, session));
    }
  }

  private errorAnswer(operation: string, id: string | undefined, refusal: Refusal, user?: string): Answer {
    // IRP-FRAME-7: "at most 256 characters (Unicode code points ...)"; a registry MUST NOT send more.
    const text = [...refusal.text].slice(0, MAX_ERROR_TEXT_CHARS).join('');
    const bytes = encodeIrp(id === undefined ? { kind: 'Error', code: refusal.code, text } : { kind: 'Error', id, code: refusal.code, text });
    return { bytes, summary: { operation, id: id ?? '', user, outcome: 'error', code: refusal.code } };
  }

  private dispatch(session: Session, request: IrpRequest): Promise<IrpResponse> | IrpResponse {
    switch (request.kind) {
      case 'CapabilitiesRequest':
        // IRP-CAP-3: "every operation it implements, Version 1, and every domain it serves".
        return { kind: 'Capabilities', id: request.id, operations: [...IRP_OPERATIONS], versions: [IRP_VERSION], domains: [this.pki.domain] };
      case 'Login':
        return this.login(session, request.id, request.user, request.password);
      case 'Enroll':
        return this.enroll(session, request.id, request.csr);
      case 'AuthBegin':
        return this.authBegin(session, request.id, request.user);
      case 'AuthProve':
        return this.authProve(session, request);
      case 'Register':
        return this.register(session, request.id, request.address, request.port);
      case 'Lookup':
        return this.lookup(request.id, request.user);
      case 'CaCertificatesRequest':
        // IRP-CA-1: "every root and intermediate of the domain CA and the registry signing certificate".
        return { kind: 'CaCertificates', id: request.id, certificates: this.caCertificates };
      case 'Revoke':
        return this.revoke(session, request.id, request.serial);
      case 'StatusRequest':
        return this.status(request.id, request.serial, request.nonce);
      default: {
        const never: never = request;
        throw new Error(`unhandled request ${(never as IrpRequest).kind}`);
      }
    }
  }

  // ---- 14.4 Login ----

  private async login(session: Session, id: string, user: string, password: string): Promise<IrpResponse> {
    const key = canonicalUserId(user);
    // IRP-LOGIN-3: after 5 failures within 60 s "every further Login for that user" is
    // rate_limited, "even with the right password"; those refusals do not count as failures.
    // IRP-LOGIN-5: the same from one client address, whatever the user IDs it tries.
    if (this.limiter.isLimited(key) || this.addressLimiter.isLimited(session.remoteAddress)) {
      throw refuse('rate_limited', 'too many failed logins; try again later');
    }
    // IRP-LOGIN-2: a wrong password and an unknown user are answered indistinguishably; the
    // unknown user's check costs no scrypt but takes as long (src/irp/password-check.ts).
    const verdict = await this.passwordChecker.check(password, this.passwords.get(key));
    // IRP-LOGIN-6: too many checks running or waiting registry-wide.
    if (verdict === 'busy') throw refuse('rate_limited', 'too many logins in progress; try again later');
    if (verdict !== 'match') {
      this.limiter.recordFailure(key);
      this.addressLimiter.recordFailure(session.remoteAddress);
      throw refuse('unauthenticated', 'login failed');
    }
    session.loggedInUser = user;
    return { kind: 'LoggedIn', id, user };
  }

  private indexCertificate(serial: string, userId: string, spkiSha256: string | undefined): void {
    const user = canonicalUserId(userId);
    this.issuedPerUser.set(user, (this.issuedPerUser.get(user) ?? 0) + 1);
    if (spkiSha256 !== undefined) this.serialsBySpki.set(spkiSha256, [...(this.serialsBySpki.get(spkiSha256) ?? []), serial]);
  }

  // ---- 14.5 Enrolment ----

  private async enroll(session: Session, id: string, csr: Buffer): Promise<IrpResponse> {
    const user = session.loggedInUser;
    if (user === undefined) throw refuse('unauthenticated', 'Enroll needs a Login on this connection (IRP-ENROLL-1)');
    let spki: Buffer;
    let names: string[];
    try {
      spki = parseCsr(csr).spki;
      names = csrRfc822Names(csr);
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof CsrIdentityError) throw refuse('bad_request', `CSR refused: ${err.message}`);
      throw err;
    }
    // IRP-ENROLL-2: "bad_request when ... the SAN is missing or malformed, and forbidden when the
    // rfc822Name is not the logged-in user".
    if (names.length !== 1) throw refuse('bad_request', `the CSR must ask for exactly one rfc822Name, not ${names.length}`);
    if (!sameUserId(names[0]!, user)) throw refuse('forbidden', 'the CSR names another user than the one logged in');
    // IRP-ENROLL-6: at most so many certificates per account, revoked ones included (each stays
    // in the status database for good).
    if ((this.issuedPerUser.get(canonicalUserId(user)) ?? 0) >= this.maxCertificatesPerAccount) {
      throw refuse('conflict', `the account already has ${this.maxCertificatesPerAccount} certificates, the registry's limit`);
    }
    const spkiHash = createHash('sha256').update(spki).digest('hex');
    // IRP-ENROLL-5: "If the CSR's public key is already certified for another user, or was
    // certified before and that certificate has been revoked, ... conflict".
    const certificates = this.store.state.certificates;
    const certified = (this.serialsBySpki.get(spkiHash) ?? []).map((serial) => certificates[serial]!).filter((c) => c !== undefined);
    if (certified.some((c) => !sameUserId(c.userId, user))) throw refuse('conflict', 'this key is already certified for another user');
    if (certified.some((c) => c.revoked)) throw refuse('conflict', 'this key was certified and revoked; enrol a new key');
    // IRP-ENROLL-4: "a random positive serial of at most 20 octets ... a validity period it
    // chooses (default 365 days)". Sixteen octets from the registry's randomness source, the first
    // below 0x80 so the INTEGER is positive and not below 0x10 so it needs no leading zero. The period starts an hour back, so that a peer
    // whose clock lags a little does not see a certificate from the future.
    // Drawn from a stream of its own per user and key: with a seeded source the serial then does not
    // depend on how many challenges and signatures other connections drew before (a run is reproducible).
    const serialBytes = this.rng.fork(`enroll\0${canonicalUserId(user)}\0${spkiHash}`).bytes(ENROLLED_SERIAL_OCTETS);
    serialBytes[0] = (serialBytes[0]! & 0x7f) | 0x10;
    const notBefore = this.now() - CLOCK_SKEW_ALLOWANCE_MS;
    let chain: Buffer[];
    try {
      // The identity written into the certificate is the logged-in user's, never the CSR's.
      chain = this.pki.signCsr(csr, {
        userId: user,
        serial: serialBytes,
        validity: { notBefore: new Date(notBefore), notAfter: new Date(notBefore + ENROLLED_VALIDITY_DAYS * DAY_MS) },
      });
    } catch (err) {
      if (err instanceof ProtocolError) throw refuse('bad_request', `CSR refused: ${err.message}`);
      throw err;
    }
    const serial = serialOf(chain[0]!);
    const issued = {
      serial,
      userId: canonicalUserId(user),
      certificate: chain[0]!.toString('base64'),
      revoked: false,
      spkiSha256: spkiHash,
    };
    // The account's count is taken before the write, so that concurrent enrolments on several
    // connections cannot pass IRP-ENROLL-6 together; a failed write gives it back.
    const account = canonicalUserId(user);
    this.issuedPerUser.set(account, (this.issuedPerUser.get(account) ?? 0) + 1);
    try {
      await this.store.commit(() => [{ kind: 'certificate', certificate: issued }]);
    } catch (err) {
      this.issuedPerUser.set(account, (this.issuedPerUser.get(account) ?? 1) - 1);
      throw err;
    }
    this.issuedPerUser.set(account, (this.issuedPerUser.get(account) ?? 1) - 1);
    this.indexCertificate(serial, account, spkiHash);
    return { kind: 'Enrolled', id, certificates: chain };
  }

  // ---- 14.6 Authentication ----

  private authBegin(session: Session, id: string, user: string): IrpResponse {
    // IRP-AUTH-1: "32 fresh random bytes ... bound to the connection and the named user, valid for
    // one AuthProve within 60 seconds, and replaced by a later AuthBegin".
    const bytes = this.rng.bytes(CHALLENGE_LENGTH);
    session.challenge = { user, bytes, expires: this.now() + CHALLENGE_LIFETIME_MS };
    return { kind: 'AuthChallenge', id, challenge: bytes };
  }

  private authProve(session: Session, request: Extract<IrpRequest, { kind: 'AuthProve' }>): IrpResponse {
    const challenge = session.challenge;
    // IRP-AUTH-3: "Any failure MUST be answered with unauthenticated and consumes the challenge."
    session.challenge = undefined;
    if (!challenge || challenge.expires < this.now()) throw refuse('unauthenticated', 'no pending challenge (send AuthBegin first)');
    const result = validateChain(request.certificates, {
      trustAnchors: this.pki.anchors,
      time: new Date(this.now()),
      purpose: 'clientAuth',
      expectedUserId: challenge.user,
      // "using its own revocation database"
      isRevoked: (leaf) => this.isRevoked(serialOfX509(leaf)),
    });
    if (!result.ok) throw refuse('unauthenticated', `certificate refused: ${result.reason}`);
    if (signatureAlgorithmForKey(result.publicKey) !== request.algorithm) {
      throw refuse('unauthenticated', `algorithm ${request.algorithm} does not match the certificate key`);
    }
    if (!verify(request.algorithm, result.publicKey, clientAuthenticationSignedContent(challenge.bytes), request.signature)) {
      throw refuse('unauthenticated', 'the challenge signature does not verify');
    }
    session.authenticated = { user: challenge.user, serial: serialOfX509(result.leaf), chain: request.certificates };
    return { kind: 'Authenticated', id: request.id, user: challenge.user };
  }

  /** IRP-AUTH-4: authenticated "until it closes or that certificate is revoked". */
  private authenticatedUser(session: Session): { user: string; serial: string; chain: Buffer[] } {
    const auth = session.authenticated;
    if (auth && this.isRevoked(auth.serial)) session.authenticated = undefined;
    if (!session.authenticated) throw refuse('unauthenticated', 'this operation needs AuthBegin/AuthProve with a certificate');
    return session.authenticated;
  }

  private isRevoked(serial: string): boolean {
    return this.store.state.certificates[serial]?.revoked === true;
  }

  // ---- 14.8 Register ----

  private async register(session: Session, id: string, address: string, port: number): Promise<IrpResponse> {
    // IRP-REG-1/2: only a certificate-authenticated connection, and only its own user's record.
    const auth = this.authenticatedUser(session);
    const key = canonicalUserId(auth.user);
    // A newer registration always carries a later timestamp than the one it replaces, even within
    // one millisecond: clients detect rollback by timestamp (IRP-LOOKUP-4).
    const replaced = this.store.state.records[key];
    const notBefore = replaced ? Date.parse(replaced.timestamp) + 1 : 0;
    const timestamp = rfc3339(Math.max(this.now(), notBefore));
    const record: IrpRecord = { user: auth.user, address, port, timestamp, serial: auth.serial, certificates: auth.chain };
    // Signed once, here; every Lookup serves these bytes and this signature as they are.
    const signed = this.signRecord(record);
    await this.store.commit((state) => {
      const previous = state.records[key];
      const entry: UserRecord = { ...signed };
      if (previous) {
        const { previous: _older, ...withoutHistory } = previous;
        entry.previous = withoutHistory;
      }
      return [{ kind: 'record', key, record: entry }];
    });
    // IRP-REG-4: acknowledged only now that the record is stored (durably, with --data).
    return { kind: 'Registered', id, timestamp };
  }

  private signRecord(record: IrpRecord): SignedRecord {
    const bytes = encodeRecordDocument(record);
    const signature = sign(this.signer.algorithm, this.signer.privateKey, recordSignedContent(bytes), this.rng);
    return {
      userId: record.user,
      address: record.address,
      port: record.port,
      timestamp: record.timestamp,
      serial: record.serial,
      certificates: record.certificates.map((c) => c.toString('base64')),
      recordBytes: bytes.toString('base64'),
      signature: signature.toString('base64'),
    };
  }

  // ---- 14.7 Lookup ----

  private lookup(id: string, user: string): IrpResponse {
    const stored = this.store.state.records[canonicalUserId(user)];
    // IRP-LOOKUP-1: "not_found for a user without a current record".
    if (!stored) throw refuse('not_found', `no record for ${user}`);
    let { bytes, signature } = this.falsifiedRecord(stored) ?? {
      bytes: Buffer.from(stored.recordBytes, 'base64'),
      signature: Buffer.from(stored.signature, 'base64'),
    };
    if (this.lies.badSignature) signature = corruptSignature(signature);
    return { kind: 'LookupResult', id, record: bytes, algorithm: this.signer.algorithm, signature };
  }

  /** The record as the lie settings falsify it, validly signed (once per setting and record), or null. */
  private falsifiedRecord(stored: UserRecord): { bytes: Buffer; signature: Buffer } | null {
    const lieKey = recordLieKey(this.lies);
    if (lieKey === null) return null;
    const cacheKey = `${lieKey}|${stored.signature}`;
    const cached = this.lieCache.get(cacheKey);
    if (cached) return cached;
    let base: SignedRecord = stored;
    let timestamp = stored.timestamp;
    if (this.lies.staleAddress) {
      // Replay the previous registration when there is one, else move the timestamp back.
      if (stored.previous) {
        base = stored.previous;
        timestamp = base.timestamp;
      } else {
        timestamp = rfc3339(Date.parse(stored.timestamp) - this.lies.staleAddress.seconds * 1000);
      }
    }
    const record: IrpRecord = {
      user: stored.userId,
      address: base.address,
      port: base.port,
      timestamp,
      serial: base.serial,
      certificates: base.certificates.map((c) => Buffer.from(c, 'base64')),
    };
    if (this.lies.wrongAddress) {
      record.address = this.lies.wrongAddress.address;
      record.port = this.lies.wrongAddress.port ?? record.port;
    }
    if (this.lies.wrongCertificate) {
      const chain = this.otherUsersChain(stored.userId, this.lies.wrongCertificate.user);
      record.certificates = chain;
      record.serial = serialOf(chain[0]!);
    }
    const signed = this.signRecord(record);
    const result = { bytes: Buffer.from(signed.recordBytes, 'base64'), signature: Buffer.from(signed.signature, 'base64') };
    this.lieCache.set(cacheKey, result);
    return result;
  }

  /** The chain of `other` (or of any user but `user`): its current record's, else a test certificate the CA issues for it. */
  private otherUsersChain(user: string, other: string | undefined): Buffer[] {
    const records = Object.values(this.store.state.records);
    const found = other !== undefined
      ? records.find((r) => sameUserId(r.userId, other))
      : records.find((r) => !sameUserId(r.userId, user));
    if (found) return found.certificates.map((c) => Buffer.from(c, 'base64'));
    return this.pki.issueUser(other ?? `mallory@${this.pki.domain}`).chain;
  }

  // ---- 14.10 Revoke ----

  private async revoke(session: Session, id: string, serial: string): Promise<IrpResponse> {
    const auth = this.authenticatedUser(session);
    const issued = this.store.state.certificates[serial];
    // IRP-REVOKE-1: "a certificate the registry issued (else not_found) to the authenticated user (else forbidden)".
    if (!issued) throw refuse('not_found', `no certificate with serial ${serial} was issued here`);
    if (!sameUserId(issued.userId, auth.user)) throw refuse('forbidden', 'that certificate belongs to another user');
    await this.store.commit((state) => {
      const certificate = state.certificates[serial]!;
      const changes: StoreChange[] = [];
      if (!certificate.revoked) changes.push({ kind: 'certificate', certificate: { ...certificate, revoked: true, revokedAt: rfc3339(this.now()) } });
      // IRP-REVOKE-3: "When the certificate of a user's current record is revoked, the registry
      // MUST remove that record".
      const key = canonicalUserId(issued.userId);
      if (state.records[key]?.serial === serial) changes.push({ kind: 'removeRecord', key });
      return changes;
    });
    return { kind: 'Revoked', id, serial };
  }

  // ---- 14.11 Status ----

  private status(id: string, serial: string, nonce: Buffer): IrpResponse {
    const issued = this.store.state.certificates[serial];
    // IRP-STATUS-2: "good (issued by the registry and not revoked)": revocation only, as in OCSP;
    // an expired certificate is still good here, and its expiry the relying party's check.
    const vouched = this.vouched.get(serial.toLowerCase());
    let status: CertificateStatus = issued !== undefined ? (issued.revoked ? 'revoked' : 'good') : vouched !== undefined ? vouched : 'unknown';
    if (this.lies.revokedStatus) status = 'revoked';
    // IRP-STATUS-2/3: the requester's serial and nonce, the time of the answer, signed each time
    // (the nonce makes every answer unique).
    const bytes = encodeStatusDocument({ serial, status, nonce, timestamp: rfc3339(this.now()) });
    let signature = sign(this.signer.algorithm, this.signer.privateKey, statusSignedContent(bytes), this.rng);
    if (this.lies.badSignature) signature = corruptSignature(signature);
    return { kind: 'StatusResult', id, status: bytes, algorithm: this.signer.algorithm, signature };
  }
}

/** The registry signing certificate is the test PKI's (IRP-CA-3: the registry purpose, digitalSignature only). */
function issueRegistrySigner(pki: TestPki): RegistrySigner {
  const algorithm = signatureAlgorithmForKey(pki.irpSigning.privateKey);
  if (algorithm === null) throw new Error('the registry signing key has no signature algorithm');
  return { chain: pki.irpSigning.chain, privateKey: pki.irpSigning.privateKey, algorithm };
}

/** The serial syntax of section 14.10 for a DER certificate. */
export function serialOf(der: Buffer): string {
  return serialOfX509(new X509Certificate(der));
}

function serialOfX509(cert: X509Certificate): string {
  return serialFromBytes(Buffer.from(cert.serialNumber.length % 2 ? `0${cert.serialNumber}` : cert.serialNumber, 'hex'));
}

/** RFC 3339 UTC with milliseconds, as the encodings section allows. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function operationName(request: IrpRequest): string {
  return request.kind.replace(/Request$/, '');
}

function userOf(request: IrpRequest, session: Session): string | undefined {
  if ('user' in request) return request.user;
  return session.authenticated?.user ?? session.loggedInUser;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
