// The irp suite's checks of the registry on the wire (docs/spec.md chapter 14): framing faults,
// malformed and unknown requests, pipelining, Capabilities, CaCertificates, the exact signed bytes,
// the login rate limit, enrolment and authentication refusals, address syntax, per-connection
// state, the TLS transport, and the client's refusal of a rolled-back record. Requests the IRP
// client would never send go through src/run/irp-raw.ts. Codes are compared, never text.
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { IrpClient, IrpError } from '../irp/client.js';
import type { IrpEvent } from '../irp/config.js';
import { checkRegistryCertificate } from '../irp/verify.js';
import { createCsr } from '../pki/csr.js';
import {
  clientAuthenticationSignedContent,
  decodeRecordDocument,
  decodeStatusDocument,
  IRP_NAMESPACE,
  IRP_OPERATIONS,
  recordSignedContent,
  statusSignedContent,
  type IrpResponse,
  type IrpUnknown,
} from '../protocol/irp-messages.js';
import { frameHeader } from '../protocol/frame.js';
import { systemRandom } from '../protocol/random.js';
import { sign, signatureAlgorithmForKey, verify } from '../protocol/signature.js';
import type { UaIdentity } from '../ua/agent.js';
import type { CaseScope } from './case-scope.js';
import type { CaseEnvironment } from './environment.js';
import { describeAnswer, RawIrpConnection, type RawIrpOptions } from './irp-raw.js';
import { irpOutcome as outcome } from './irp-outcome.js';

export interface WireCheckResult {
  observed: Record<string, unknown>;
  mismatches: string[];
}

const NS = `xmlns="${IRP_NAMESPACE}"`;

function rawOptions(env: CaseEnvironment, extra: Partial<RawIrpOptions> = {}): RawIrpOptions & { scope: CaseScope } {
  return { host: env.host, port: env.stub.port, anchors: env.pki.anchors, scope: env.scope, onTlsKeyLog: env.irpTlsKeyLog, ...extra };
}

async function withRaw<T>(opts: RawIrpOptions & { scope: CaseScope }, body: (c: RawIrpConnection) => Promise<T>): Promise<T> {
  // Adopted once connected (a loopback TLS connect is short): the raw connection ends with the case.
  // Not through node:tls's `signal`: aborting a TLS socket that way crashes Node 20 (an assertion in stream_base.cc).
  const c = opts.scope.adopt('a raw IRP connection', await RawIrpConnection.connect(opts), (r) => r.socket.destroy());
  try {
    return await body(c);
  } finally {
    c.close();
  }
}


function expectAnswer(what: string, expected: string, got: IrpResponse | IrpUnknown | null, out: string[]): string {
  const said = describeAnswer(got);
  if (said !== expected) out.push(`${what}: expected ${expected}, got ${said}`);
  return said;
}

/** AuthBegin/AuthProve on a raw connection with the identity's own certificate and key. */
async function rawAuthenticate(c: RawIrpConnection, identity: UaIdentity, idPrefix: string): Promise<string> {
  c.send({ kind: 'AuthBegin', id: `${idPrefix}b`, user: identity.userId });
  const challenge = await c.next();
  if (challenge?.kind !== 'AuthChallenge') return describeAnswer(challenge);
  c.send(proveFor(identity, challenge.challenge, `${idPrefix}p`));
  return describeAnswer(await c.next());
}

function proveFor(identity: UaIdentity, challenge: Buffer, id: string, key: KeyObject = identity.privateKey): Parameters<RawIrpConnection['send']>[0] {
  const algorithm = signatureAlgorithmForKey(identity.privateKey)!;
  return { kind: 'AuthProve', id, algorithm, certificates: identity.chain, signature: sign(algorithm, key, clientAuthenticationSignedContent(challenge), systemRandom) };
}

/** A TLS 1.2 connection with ECDHE and an AEAD (GCM or ChaCha20-Poly1305) that got its Capabilities answered. */
const AEAD_TLS12 = /^TLSv1\.2 ECDHE-.*(GCM|CHACHA20).*: Capabilities id=t1$/;

/** A TLS connection with these client limits, then Capabilities: "<protocol> <cipher>: <answer>", or "refused". */
async function tlsAttempt(env: CaseEnvironment, extra: RawIrpOptions['tls']): Promise<string> {
  try {
    return await withRaw(rawOptions(env, { tls: extra }), async (c) => {
      const protocol = c.socket.getProtocol() ?? '?';
      const cipher = c.socket.getCipher().name;
      c.sendXml(`<Capabilities ${NS} id="t1"/>`);
      return `${protocol} ${cipher}: ${describeAnswer(await c.next())}`;
    });
  } catch {
    return 'refused';
  }
}

export const WIRE_CHECKS = {
  /** IRP-FRAME-1: each frame fault gets Error bad_request without id, then the registry closes. */
  async 'frame-faults'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const capabilities = Buffer.from(`<Capabilities ${NS} id="f1"/>`, 'utf8');
    const faults: Record<string, Buffer> = {
      'L = 0': Buffer.from([0, 0, 0, 0, 0x01]),
      'L above 1 MiB': frameHeader(0x01, 1048576 + 1),
      'frame type 0x02': Buffer.concat([frameHeader(0x02, capabilities.length), capabilities]),
      'payload not UTF-8': Buffer.concat([frameHeader(0x01, 4), Buffer.from([0x3c, 0xff, 0xfe, 0x3e])]),
    };
    const observed: Record<string, unknown> = {};
    const mismatches: string[] = [];
    for (const [fault, bytes] of Object.entries(faults)) {
      observed[fault] = await withRaw(rawOptions(env), async (c) => {
        c.writeBytes(bytes);
        const answer = expectAnswer(fault, 'Error bad_request (no id)', await c.next(), mismatches);
        await c.waitClosed();
        return `${answer}, then closed`;
      });
    }
    return { observed, mismatches };
  },

  /** IRP-FRAME-2, IRP-FRAME-3, IRP-FRAME-5: bad_request (with the id when readable), the connection stays open. */
  async 'malformed-requests'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const requests: [string, string, string][] = [
      ['not well-formed XML', `<Capabilities ${NS} id="m1"`, 'Error bad_request (no id)'],
      ['a DOCTYPE', `<!DOCTYPE Capabilities><Capabilities ${NS} id="m2"/>`, 'Error bad_request'],
      ['another namespace', `<Capabilities xmlns="urn:sixchat:e2ed:1" id="m3"/>`, 'Error bad_request'],
      ['a request root without id', `<Capabilities ${NS}/>`, 'Error bad_request (no id)'],
      ['an id that is not an identifier', `<Capabilities ${NS} id="not an id"/>`, 'Error bad_request (no id)'],
      ['Login without password', `<Login ${NS} id="m6" user="${env.userId('irp-a')}"/>`, 'Error bad_request id=m6'],
      ['Lookup of a user ID without @', `<Lookup ${NS} id="m7" user="nobody"/>`, 'Error bad_request id=m7'],
      ['then a valid Capabilities', `<Capabilities ${NS} id="m8"/>`, 'Capabilities id=m8'],
    ];
    const mismatches: string[] = [];
    const observed: Record<string, string> = {};
    await withRaw(rawOptions(env), async (c) => {
      for (const [what, xml, expected] of requests) {
        c.sendXml(xml);
        const answer = await c.next();
        // A DOCTYPE or another namespace may leave the id unread: both spellings are bad_request.
        const said = describeAnswer(answer);
        observed[what] = said;
        const ok = expected === 'Error bad_request' ? said.startsWith('Error bad_request') : said === expected;
        if (!ok) mismatches.push(`${what}: expected ${expected}, got ${said}`);
      }
    });
    return { observed, mismatches };
  },

  /** IRP-FRAME-6: an operation the registry does not implement, or an unknown critical element: unsupported. */
  async 'unsupported-requests'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const mismatches: string[] = [];
    const observed = await withRaw(rawOptions(env), async (c) => {
      c.sendXml(`<Frobnicate ${NS} id="u1"/>`);
      const unknownRoot = expectAnswer('an unknown request root', 'Error unsupported id=u1', await c.next(), mismatches);
      c.sendXml(`<Lookup ${NS} id="u2" user="${env.userId('irp-a')}"><Extra critical="true"/></Lookup>`);
      const critical = expectAnswer('an unknown element marked critical', 'Error unsupported id=u2', await c.next(), mismatches);
      return { unknownRoot, critical };
    });
    return { observed, mismatches };
  },

  /** IRP-FRAME-3, IRP-FRAME-4: pipelined requests get exactly one answer each, in order, with their ids. */
  async 'pipelined-requests'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const mismatches: string[] = [];
    const expected = ['Capabilities id=p1', 'Error not_found id=p2', 'CaCertificates id=p3', 'StatusResult id=p4', 'LoggedIn id=p5'];
    const answers = await withRaw(rawOptions(env), async (c) => {
      c.writeBytes(
        Buffer.concat(
          [
            `<Capabilities ${NS} id="p1"/>`,
            `<Lookup ${NS} id="p2" user="${env.userId('nobody-enrolled')}"/>`,
            `<CaCertificates ${NS} id="p3"/>`,
            `<Status ${NS} id="p4" serial="ff" nonce="${'ab'.repeat(32)}"/>`,
            `<Login ${NS} id="p5" user="${env.userId('irp-a')}" password="${env.password}"/>`,
          ].map((x) => {
            const b = Buffer.from(x, 'utf8');
            return Buffer.concat([frameHeader(0x01, b.length), b]);
          }),
        ),
      );
      const got: string[] = [];
      for (let i = 0; i < expected.length; i++) got.push(describeAnswer(await c.next()));
      // One answer per request: nothing more arrives before the answer to a sixth request.
      c.sendXml(`<Capabilities ${NS} id="p6"/>`);
      got.push(describeAnswer(await c.next()));
      return got;
    });
    expected.push('Capabilities id=p6');
    if (answers.join('; ') !== expected.join('; ')) mismatches.push(`answers: expected ${expected.join('; ')}, got ${answers.join('; ')}`);
    return { observed: { answers }, mismatches };
  },

  /** IRP-CAP-3: Capabilities, before any login, lists every operation, Version 1 and the domain. */
  async 'capabilities-lists-operations'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const mismatches: string[] = [];
    const answer = await withRaw(rawOptions(env), async (c) => {
      c.sendXml(`<Capabilities ${NS} id="c1"/>`);
      return c.next();
    });
    if (answer?.kind !== 'Capabilities') {
      mismatches.push(`Capabilities: got ${describeAnswer(answer)}`);
      return { observed: { answer: describeAnswer(answer) }, mismatches };
    }
    const missing = IRP_OPERATIONS.filter((op) => !answer.operations.includes(op));
    if (missing.length > 0) mismatches.push(`operations not listed: ${missing.join(', ')}`);
    if (!answer.versions.includes(1)) mismatches.push(`Version 1 not listed (got ${answer.versions.join(', ')})`);
    if (!answer.domains.includes(env.pki.domain)) mismatches.push(`domain ${env.pki.domain} not listed (got ${answer.domains.join(', ')})`);
    return { observed: { operations: answer.operations, versions: answer.versions, domainListed: answer.domains.includes(env.pki.domain) }, mismatches };
  },

  /** IRP-CA-1, IRP-CA-3: CaCertificates without login: the configured root, the intermediates, a registry certificate that passes IRP-CA-3. */
  async 'ca-certificates'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const mismatches: string[] = [];
    const answer = await withRaw(rawOptions(env), async (c) => {
      c.sendXml(`<CaCertificates ${NS} id="k1"/>`);
      return c.next();
    });
    if (answer?.kind !== 'CaCertificates') {
      mismatches.push(`CaCertificates: got ${describeAnswer(answer)}`);
      return { observed: { answer: describeAnswer(answer) }, mismatches };
    }
    const roles = answer.certificates.map((c) => c.role);
    const roots = answer.certificates.filter((c) => c.role === 'root');
    const intermediates = answer.certificates.filter((c) => c.role === 'intermediate').map((c) => c.der);
    const registry = answer.certificates.filter((c) => c.role === 'registry');
    if (answer.certificates.length < 1 || answer.certificates.length > 16) mismatches.push(`${answer.certificates.length} certificates, expected 1..16`);
    if (!roots.some((r) => env.pki.anchors.some((a) => a.equals(r.der)))) mismatches.push('no root certificate equal to the configured trust anchor');
    if (intermediates.length === 0) mismatches.push('no intermediate certificate');
    let registryAccepted = false;
    if (registry.length !== 1) mismatches.push(`expected one registry certificate, got ${registry.length}`);
    else {
      try {
        checkRegistryCertificate(registry[0]!.der, { anchors: env.pki.anchors, intermediates, time: env.pki.referenceTime });
        registryAccepted = true;
      } catch (err) {
        if (!(err instanceof IrpError)) throw err;
        mismatches.push(`the registry signing certificate fails IRP-CA-3: ${err.message}`);
      }
    }
    return { observed: { roles, registryAccepted }, mismatches };
  },

  /** IRP-LOOKUP-2, IRP-STATUS-1, IRP-STATUS-3, IRP-CA-4: the signatures cover the exact base64-decoded bytes, with the registry key's algorithm; Status needs serial and a 32-byte nonce. */
  async 'signed-bytes'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const p = await env.enrolled('irp-p');
    const mismatches: string[] = [];
    const observed = await withRaw(rawOptions(env), async (c) => {
      const auth = await rawAuthenticate(c, p, 'a');
      c.sendXml(`<Register ${NS} id="g1" address="::1" port="4605"/>`);
      const registered = describeAnswer(await c.next());
      c.sendXml(`<CaCertificates ${NS} id="k1"/>`);
      const ca = await c.next();
      const registryDer = ca?.kind === 'CaCertificates' ? ca.certificates.find((x) => x.role === 'registry')?.der : undefined;
      const key = registryDer ? createPublicKey(new X509Certificate(registryDer).publicKey.export({ format: 'pem', type: 'spki' })) : undefined;
      const keyAlgorithm = key ? signatureAlgorithmForKey(key) : null;
      c.sendXml(`<Lookup ${NS} id="q1" user="${p.userId}"/>`);
      const lookup = await c.next();
      const serial = new X509Certificate(p.chain[0]!).serialNumber.toLowerCase().replace(/^(00)+(?=..)/, '');
      const nonce = 'c3'.repeat(32);
      c.sendXml(`<Status ${NS} id="s1" serial="${serial}" nonce="${nonce}"/>`);
      const status = await c.next();
      c.sendXml(`<Status ${NS} id="s2" serial="${serial}"/>`);
      const withoutNonce = describeAnswer(await c.next());
      c.sendXml(`<Status ${NS} id="s3" serial="${serial}" nonce="${'c3'.repeat(16)}"/>`);
      const shortNonce = describeAnswer(await c.next());
      c.sendXml(`<Status ${NS} id="s4" nonce="${nonce}"/>`);
      const withoutSerial = describeAnswer(await c.next());
      const out: Record<string, unknown> = { auth, registered, keyAlgorithm, withoutNonce, shortNonce, withoutSerial };
      if (auth !== 'Authenticated id=ap' || registered !== 'Registered id=g1') mismatches.push(`set-up: ${auth}, ${registered}`);
      if (!key || keyAlgorithm !== 'ecdsa-p256-sha256') mismatches.push(`registry signing key: expected a P-256 key (ecdsa-p256-sha256), got ${keyAlgorithm ?? 'none'}`);
      if (lookup?.kind !== 'LookupResult') mismatches.push(`Lookup: got ${describeAnswer(lookup)}`);
      else if (key) {
        out.lookupAlgorithm = lookup.algorithm;
        out.lookupVerifies = verify(lookup.algorithm, key, recordSignedContent(lookup.record), lookup.signature);
        out.recordUser = decodeRecordDocument(lookup.record).user;
        if (lookup.algorithm !== keyAlgorithm) mismatches.push(`Lookup signature algorithm: expected ${keyAlgorithm}, got ${lookup.algorithm}`);
        if (out.lookupVerifies !== true) mismatches.push('the Lookup signature does not verify over the exact decoded Record bytes');
        if (out.recordUser !== p.userId) mismatches.push(`the Record's user: expected ${p.userId}, got ${String(out.recordUser)}`);
      }
      if (status?.kind !== 'StatusResult') mismatches.push(`Status without login: got ${describeAnswer(status)}`);
      else if (key) {
        const doc = decodeStatusDocument(status.status);
        out.statusAlgorithm = status.algorithm;
        out.statusVerifies = verify(status.algorithm, key, statusSignedContent(status.status), status.signature);
        out.status = doc.status;
        if (status.algorithm !== keyAlgorithm) mismatches.push(`Status signature algorithm: expected ${keyAlgorithm}, got ${status.algorithm}`);
        if (out.statusVerifies !== true) mismatches.push('the Status signature does not verify over the exact decoded Status bytes');
        if (doc.serial !== serial || doc.nonce.toString('hex') !== nonce) mismatches.push('the Status document does not echo the serial and nonce asked for');
      }
      for (const [what, got] of [['Status without nonce', withoutNonce], ['Status with a 16-byte nonce', shortNonce], ['Status without serial', withoutSerial]] as const) {
        if (!got.startsWith('Error bad_request')) mismatches.push(`${what}: expected Error bad_request, got ${got}`);
      }
      return out;
    });
    return { observed, mismatches };
  },

  /** IRP-LOGIN-3, IRP-LOGIN-4: five failures lock the user out (rate_limited, even with the right password); the password is never echoed or logged. */
  async 'login-rate-limit'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const userId = env.userId('irp-limited');
    const password = `${env.password} for the rate limit`;
    const wrong = 'Wrong-Password-Sentinel-4711';
    const events: IrpEvent[] = [];
    // A stub of its own: the lock-out lasts 60 seconds and must not touch the run's stub.
    const stub = await env.startStub({ accounts: [{ userId, password }], onEvent: (e) => events.push(e) });
    const mismatches: string[] = [];
    const texts: string[] = [];
    let observed: Record<string, unknown>;
    try {
      observed = await withRaw(rawOptions(env, { port: stub.port }), async (c) => {
        const codes: string[] = [];
        for (let i = 1; i <= 7; i++) {
          const pw = i <= 5 ? wrong : password;
          c.sendXml(`<Login ${NS} id="l${i}" user="${userId}" password="${pw}"/>`);
          const a = await c.next();
          codes.push(a?.kind === 'Error' ? a.code : describeAnswer(a));
          if (a?.kind === 'Error') texts.push(a.text);
        }
        return { codes };
      });
    } finally {
      await stub.close();
    }
    const codes = observed.codes as string[];
    const expected = ['unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated', 'rate_limited', 'rate_limited'];
    if (codes.join(',') !== expected.join(',')) mismatches.push(`Login answers: expected ${expected.join(', ')}, got ${codes.join(', ')}`);
    const leaks = [...texts, ...events.map((e) => JSON.stringify(e))].filter((t) => t.includes(wrong) || t.includes(password));
    observed.passwordEchoedOrLogged = leaks.length > 0;
    if (leaks.length > 0) mismatches.push(`the password appears in an answer or a registry event: ${leaks[0]}`);
    return { observed, mismatches };
  },

  /** IRP-ENROLL-2, IRP-ENROLL-3: CSRs that do not parse, fail their signature, name another user or carry a weak or other key are refused. */
  async 'enrol-refusals'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const k = env.userId('irp-k');
    const own = env.pki.key('run/enrol-refusals', 'p256').privateKey;
    const good = createCsr(own, k);
    const badSignature = Buffer.from(good);
    badSignature[badSignature.length - 1]! ^= 0x01;
    const cases: [string, Buffer, string][] = [
      ['bytes that are not a CSR', Buffer.from('not a certification request'), 'bad_request'],
      ['a CSR whose signature fails', badSignature, 'bad_request'],
      ['a CSR for another user', createCsr(env.pki.key('run/enrol-refusals-other', 'p256').privateKey, env.userId('irp-a')), 'forbidden'],
      ['a CSR with an RSA 1024 key', createCsr(env.pki.key('run/enrol-refusals-rsa1024', 'rsa1024').privateKey, k), 'bad_request'],
    ];
    const mismatches: string[] = [];
    const observed: Record<string, string> = {};
    const client = await env.connectRegistry();
    try {
      await client.login(k, env.password);
      for (const [what, csr, expected] of cases) {
        observed[what] = await outcome(client.enroll(csr));
        if (observed[what] !== expected) mismatches.push(`Enroll with ${what}: expected ${expected}, got ${observed[what]}`);
      }
    } finally {
      await client.close().catch(() => undefined);
    }
    return { observed, mismatches };
  },

  /** IRP-ENROLL-5: a key certified for another user, or certified before and revoked, is never certified again. */
  async 'enrol-conflict'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const b = await env.enrolled('irp-b');
    const m = await env.enrolled('irp-m');
    const l = env.userId('irp-l');
    const revoke = await outcome(
      (async () => {
        const c = await env.connectRegistry();
        try {
          await c.authenticate(m.userId, m.chain, m.privateKey);
          await c.revoke(new X509Certificate(m.chain[0]!).serialNumber.toLowerCase().replace(/^(00)+(?=..)/, ''));
        } finally {
          await c.close().catch(() => undefined);
        }
      })(),
    );
    const observed: Record<string, string> = { revoke };
    const c = await env.connectRegistry();
    try {
      await c.login(l, env.password);
      observed.otherUsersKey = await outcome(c.enroll(createCsr(b.privateKey, l)));
      await c.login(m.userId, env.password);
      observed.revokedKey = await outcome(c.enroll(createCsr(m.privateKey, m.userId)));
    } finally {
      await c.close().catch(() => undefined);
    }
    const mismatches: string[] = [];
    if (revoke !== 'ok') mismatches.push(`set-up: Revoke answered ${revoke}`);
    if (observed.otherUsersKey !== 'conflict') mismatches.push(`Enroll with the key of ${b.userId}'s certificate: expected conflict, got ${observed.otherUsersKey}`);
    if (observed.revokedKey !== 'conflict') mismatches.push(`Enroll with a key whose certificate was revoked: expected conflict, got ${observed.revokedKey}`);
    return { observed, mismatches };
  },

  /** IRP-AUTH-1, IRP-AUTH-3: fresh 32-byte challenges, replaced by a later AuthBegin, consumed by a failed AuthProve. */
  async 'auth-challenge'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const n = await env.enrolled('irp-n');
    const mismatches: string[] = [];
    const observed = await withRaw(rawOptions(env), async (c) => {
      const challenge = async (id: string): Promise<Buffer | null> => {
        c.send({ kind: 'AuthBegin', id, user: n.userId });
        const a = await c.next();
        return a?.kind === 'AuthChallenge' ? a.challenge : null;
      };
      c.send(proveFor(n, Buffer.alloc(32), 'x0'));
      const withoutChallenge = describeAnswer(await c.next());
      const c1 = await challenge('b1');
      const c2 = await challenge('b2');
      if (!c1 || !c2) return { withoutChallenge, challenges: 'no AuthChallenge' };
      c.send(proveFor(n, c1, 'x1'));
      const replaced = describeAnswer(await c.next());
      const c3 = await challenge('b3');
      if (!c3) return { withoutChallenge, challenges: 'no AuthChallenge' };
      const other = env.pki.key('run/auth-challenge-wrong-key', 'p256').privateKey;
      c.send(proveFor(n, c3, 'x2', other));
      const badSignature = describeAnswer(await c.next());
      c.send(proveFor(n, c3, 'x3'));
      const consumed = describeAnswer(await c.next());
      const c4 = await challenge('b4');
      if (!c4) return { withoutChallenge, challenges: 'no AuthChallenge' };
      c.send(proveFor(n, c4, 'x4'));
      const good = describeAnswer(await c.next());
      const all = [c1, c2, c3, c4];
      return {
        withoutChallenge,
        challengeLengths: all.map((x) => x.length),
        allDistinct: new Set(all.map((x) => x.toString('hex'))).size === all.length,
        replaced,
        badSignature,
        consumed,
        good,
      };
    });
    const expect = (what: string, got: unknown, want: unknown): void => {
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    };
    expect('AuthProve with no challenge pending', observed.withoutChallenge, 'Error unauthenticated id=x0');
    expect('challenge lengths', observed.challengeLengths, [32, 32, 32, 32]);
    expect('four challenges all different', observed.allDistinct, true);
    expect('AuthProve over a challenge replaced by a later AuthBegin', observed.replaced, 'Error unauthenticated id=x1');
    expect('AuthProve signed by another key', observed.badSignature, 'Error unauthenticated id=x2');
    expect('a correct AuthProve over the challenge the failure consumed', observed.consumed, 'Error unauthenticated id=x3');
    expect('a correct AuthProve over a fresh challenge', observed.good, 'Authenticated id=x4');
    return { observed, mismatches };
  },

  /** IRP-AUTH-2: an AuthProve without Signature, or without Certificate, is malformed (bad_request); a well-formed one still succeeds afterwards. */
  async 'auth-prove-syntax'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const n = await env.enrolled('irp-n');
    const leaf = n.chain[0]!.toString('base64');
    const mismatches: string[] = [];
    const observed = await withRaw(rawOptions(env), async (c) => {
      const out: Record<string, string> = {};
      c.send({ kind: 'AuthBegin', id: 'b1', user: n.userId });
      out.begin = describeAnswer(await c.next());
      c.sendXml(`<AuthProve ${NS} id="y1" algorithm="ecdsa-p256-sha256"><Certificate>${leaf}</Certificate></AuthProve>`);
      out.withoutSignature = expectAnswer('AuthProve without Signature', 'Error bad_request id=y1', await c.next(), mismatches);
      c.sendXml(`<AuthProve ${NS} id="y2" algorithm="ecdsa-p256-sha256"><Signature>${Buffer.alloc(70, 1).toString('base64')}</Signature></AuthProve>`);
      out.withoutCertificate = expectAnswer('AuthProve without Certificate', 'Error bad_request id=y2', await c.next(), mismatches);
      out.afterwards = await rawAuthenticate(c, n, 'z');
      if (out.afterwards !== 'Authenticated id=zp') mismatches.push(`a well-formed AuthBegin/AuthProve afterwards: expected Authenticated id=zp, got ${out.afterwards}`);
      return out;
    });
    return { observed, mismatches };
  },

  /** IRP-REG-3: Register with a non-canonical address or a port out of range: bad_request. */
  async 'register-address-syntax'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const o = await env.enrolled('irp-o');
    const attempts: [string, string, string][] = [
      ['upper-case IPv6', '2001:DB8::7', '4605'],
      ['IPv6 with leading zeros', '2001:0db8::7', '4605'],
      ['IPv6 not compressed', '2001:db8:0:0:0:0:0:7', '4605'],
      ['IPv4 with a leading zero', '192.0.2.07', '4605'],
      ['a host name', 'localhost', '4605'],
      ['port 0', '::1', '0'],
      ['port 65536', '::1', '65536'],
      ['port with a sign', '::1', '+4605'],
    ];
    const mismatches: string[] = [];
    const observed = await withRaw(rawOptions(env), async (c) => {
      const auth = await rawAuthenticate(c, o, 'a');
      const out: Record<string, string> = { auth };
      if (auth !== 'Authenticated id=ap') mismatches.push(`set-up: ${auth}`);
      let i = 0;
      for (const [what, address, port] of attempts) {
        const id = `g${++i}`;
        c.sendXml(`<Register ${NS} id="${id}" address="${address}" port="${port}"/>`);
        out[what] = expectAnswer(`Register with ${what}`, `Error bad_request id=${id}`, await c.next(), mismatches);
      }
      c.sendXml(`<Register ${NS} id="ok" address="2001:db8::7" port="65535"/>`);
      out.canonical = expectAnswer('Register with a canonical address and port 65535', 'Registered id=ok', await c.next(), mismatches);
      return out;
    });
    return { observed, mismatches };
  },

  /** IRP-TLS-4: login and authentication belong to one TLS connection. */
  async 'state-per-connection'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const r = await env.enrolled('irp-r');
    const first = await env.connectRegistry();
    const second = await env.connectRegistry();
    const observed: Record<string, string> = {};
    try {
      observed.login = await outcome(first.login(r.userId, env.password));
      observed.authenticate = await outcome(first.authenticate(r.userId, r.chain, r.privateKey));
      observed.enrollOnAnother = await outcome(second.enroll(createCsr(env.pki.key('run/state-per-connection', 'p256').privateKey, r.userId)));
      observed.registerOnAnother = await outcome(second.register('::1', 4605));
    } finally {
      await first.close().catch(() => undefined);
      await second.close().catch(() => undefined);
    }
    const mismatches: string[] = [];
    if (observed.login !== 'ok' || observed.authenticate !== 'ok') mismatches.push(`set-up: login ${observed.login}, authenticate ${observed.authenticate}`);
    if (observed.enrollOnAnother !== 'unauthenticated') mismatches.push(`Enroll on a second connection of a logged-in user: expected unauthenticated, got ${observed.enrollOnAnother}`);
    if (observed.registerOnAnother !== 'unauthenticated') mismatches.push(`Register on a second connection of an authenticated user: expected unauthenticated, got ${observed.registerOnAnother}`);
    return { observed, mismatches };
  },

  /** IRP-TLS-1, IRP-TLS-3: no TLS below 1.2; TLS 1.2 negotiates ECDHE with an AEAD; no client certificate required. */
  async 'tls-transport'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const observed = {
      default: await tlsAttempt(env, {}),
      tls12: await tlsAttempt(env, { maxVersion: 'TLSv1.2' }),
      tls11: await tlsAttempt(env, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    };
    const mismatches: string[] = [];
    if (!/^TLSv1\.3 .*: Capabilities id=t1$/.test(observed.default) && !AEAD_TLS12.test(observed.default)) {
      mismatches.push(`a default connection without a client certificate: expected TLS 1.3 (or 1.2 ECDHE+AEAD) and a Capabilities answer, got ${observed.default}`);
    }
    if (!AEAD_TLS12.test(observed.tls12)) mismatches.push(`a TLS 1.2 client: expected ECDHE with an AEAD, got ${observed.tls12}`);
    if (observed.tls11 !== 'refused') mismatches.push(`a client offering at most TLS 1.1: expected the handshake refused, got ${observed.tls11}`);
    return { observed, mismatches };
  },

  /** IRP-TLS-1: "with TLS 1.2 MUST use only ECDHE key exchange with an AEAD cipher suite": a client offering only CBC suites is refused. */
  async 'tls12-aead-only'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const cbc = await tlsAttempt(env, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA' });
    const mismatches: string[] = [];
    if (cbc !== 'refused') mismatches.push(`a TLS 1.2 client offering only ECDHE-ECDSA CBC suites: expected the handshake refused, got ${cbc}`);
    return { observed: { cbc }, mismatches };
  },

  /** IRP-TLS-2: a TLS certificate that does not carry the configured registry name: the client aborts and sends no request. */
  async 'tls-server-name'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const events: IrpEvent[] = [];
    const stub = await env.startStub({ onEvent: (e) => events.push(e) });
    const observed: Record<string, unknown> = {};
    try {
      const connect = (servername: string): Promise<string> =>
        outcome(env.connectRegistry(stub.port, { servername }).then((c) => c.close()));
      observed.wrongName = await connect('registry.wrong-domain.invalid');
      observed.requestsAfterWrongName = events.filter((e) => e.event === 'request').length;
      observed.rightName = await connect('localhost');
      observed.requestsAfterRightName = events.filter((e) => e.event === 'request').length;
    } finally {
      await stub.close();
    }
    const mismatches: string[] = [];
    if (observed.wrongName !== 'connection_failed') mismatches.push(`a client expecting another name: expected connection_failed, got ${String(observed.wrongName)}`);
    if (observed.requestsAfterWrongName !== 0) mismatches.push(`requests the registry saw from that client: expected 0, got ${String(observed.requestsAfterWrongName)}`);
    if (observed.rightName !== 'ok') mismatches.push(`a client expecting the registry's name (localhost): expected to connect, got ${String(observed.rightName)}`);
    return { observed, mismatches };
  },

  /** IRP-LOOKUP-5: a verified but older record after a newer one is refused as a rollback. */
  async 'lookup-rollback'({ env }: { env: CaseEnvironment }): Promise<WireCheckResult> {
    const q = await env.enrolled('irp-q');
    const stub = await env.startStub();
    const observed: Record<string, unknown> = {};
    try {
      const connect = (): Promise<IrpClient> => env.connectRegistry(stub.port);
      const registrant = await connect();
      const client = await connect();
      try {
        await registrant.authenticate(q.userId, q.chain, q.privateKey);
        await registrant.register('::1', 1111);
        await registrant.register('::1', 2222);
        observed.first = (await client.lookup(q.userId)).port;
        // From now on the stub answers the previous registration, validly signed.
        stub.setLies({ staleAddress: { seconds: 3600 } });
        observed.second = await outcome(client.lookup(q.userId));
        const fresh = await connect();
        try {
          observed.freshClient = (await fresh.lookup(q.userId)).port;
        } finally {
          await fresh.close().catch(() => undefined);
        }
      } finally {
        await registrant.close().catch(() => undefined);
        await client.close().catch(() => undefined);
      }
    } finally {
      await stub.close();
    }
    const mismatches: string[] = [];
    if (observed.first !== 2222) mismatches.push(`first look-up: expected port 2222, got ${String(observed.first)}`);
    if (observed.second !== 'rollback') mismatches.push(`an older record after the newer one: expected rollback, got ${String(observed.second)}`);
    // Control: the older record is itself valid; only its age relative to what was seen makes it a rollback.
    if (observed.freshClient !== 1111) mismatches.push(`the stale record to a client that saw nothing before: expected port 1111, got ${String(observed.freshClient)}`);
    return { observed, mismatches };
  },
};

export type WireCheckName = keyof typeof WIRE_CHECKS;
