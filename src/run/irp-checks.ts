// The irp suite: the stub's refusals and the client's refusals of a lying registry (docs/spec.md
// chapter 14), each over real TLS connections. A check returns what it saw and the mismatches
// against what the case accepts (empty: pass). Codes are compared, never message text (IRP-FRAME-7).
import { X509Certificate } from 'node:crypto';
import { IrpClient } from '../irp/client.js';
import type { IrpServer } from '../irp/server.js';
import type { RegistryLies } from '../irp/adversary.js';
import { serialOfCertificate } from '../irp/verify.js';
import { createCsr } from '../pki/csr.js';
import { validateChain } from '../pki/validator.js';
import { HandshakeFailedError, irpDirectory, type UaIdentity } from '../ua/agent.js';
import type { UaEvent } from '../ua/events.js';
import type { CaseEnvironment, Slot } from './environment.js';
import { CLIENT_CHECKS } from './irp-client-checks.js';
import { WIRE_CHECKS } from './irp-wire-checks.js';
import type { IrpCheckName } from './model.js';
import { irpOutcome as outcome } from './irp-outcome.js';
import { IrpWireRecorder } from './irp-capture.js';
import type { CaseWire } from './captures.js';

export interface CheckResult {
  observed: Record<string, unknown>;
  mismatches: string[];
}

interface CheckContext {
  env: CaseEnvironment;
  slot: Slot;
  seed: string;
}


function expectCode(what: string, expected: string, got: string, out: string[]): void {
  if (got !== expected) out.push(`${what}: expected ${expected}, got ${got}`);
}

async function withClient<T>(env: CaseEnvironment, body: (c: IrpClient) => Promise<T>): Promise<T> {
  const client = await env.connectRegistry();
  try {
    return await body(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function authenticated<T>(env: CaseEnvironment, identity: UaIdentity, body: (c: IrpClient) => Promise<T>): Promise<T> {
  return withClient(env, async (c) => {
    await c.authenticate(identity.userId, identity.chain, identity.privateKey);
    return body(c);
  });
}

function serialOf(identity: UaIdentity): string {
  return serialOfCertificate(new X509Certificate(identity.chain[0]!));
}

/** A second, lying stub over the same PKI and accounts, for one check; the run's own stub stays honest. */
async function withLyingStub<T>(env: CaseEnvironment, lies: RegistryLies, body: (stub: IrpServer, connect: () => Promise<IrpClient>) => Promise<T>): Promise<T> {
  const stub = await env.startStub({ lies });
  const connect = (): Promise<IrpClient> => env.connectRegistry(stub.port);
  try {
    return await body(stub, connect);
  } finally {
    await stub.close();
  }
}

const CHECKS: Record<IrpCheckName, (ctx: CheckContext) => Promise<CheckResult>> = {
  ...WIRE_CHECKS,
  ...CLIENT_CHECKS,
  async 'enrol-register-lookup'({ env }) {
    const i = await env.enrolled('irp-i');
    const mismatches: string[] = [];
    const validation = validateChain(i.chain, {
      trustAnchors: env.pki.anchors,
      time: env.pki.referenceTime,
      purpose: 'clientAuth',
      profile: 'e2ed',
      expectedUserId: i.userId,
      requireKeyEncipherment: false,
    });
    if (!validation.ok) mismatches.push(`the issued chain does not validate: ${validation.alert} (${validation.reason})`);
    const registered = await authenticated(env, i, (client) => client.register('::1', 4605));
    const observed = await withClient(env, async (client) => {
      const record = await client.lookup(i.userId);
      return {
        chainValidates: validation.ok,
        address: record.address,
        port: record.port,
        sameChain: record.certificates.length === i.chain.length && record.certificates.every((c, n) => c.equals(i.chain[n]!)),
        status: (await client.status(serialOf(i))).status as string,
      };
    });
    if (typeof registered !== 'string') mismatches.push('Register answered no timestamp');
    if (observed.address !== '::1' || observed.port !== 4605) mismatches.push(`Lookup: expected ::1 port 4605, got ${observed.address} port ${observed.port}`);
    if (!observed.sameChain) mismatches.push('Lookup: the record does not carry the chain the user authenticated with');
    if (observed.status !== 'good') mismatches.push(`Status of the new certificate: expected good, got ${observed.status}`);
    return { observed, mismatches };
  },

  async 'enrol-without-login'({ env }) {
    const key = env.pki.key('run/enrol-without-login', 'p256');
    const code = await withClient(env, (c) => outcome(c.enroll(createCsr(key.privateKey, env.userId('irp-a')))));
    const mismatches: string[] = [];
    expectCode('Enroll without Login', 'unauthenticated', code, mismatches);
    return { observed: { enroll: code }, mismatches };
  },

  async 'wrong-password'({ env }) {
    const code = await withClient(env, (c) => outcome(c.login(env.userId('irp-a'), `${env.password} but wrong`)));
    const mismatches: string[] = [];
    expectCode('Login with a wrong password', 'unauthenticated', code, mismatches);
    return { observed: { login: code }, mismatches };
  },

  async 'unknown-user'({ env }) {
    const code = await withClient(env, (c) => outcome(c.login(env.userId('nobody-enrolled'), env.password)));
    const mismatches: string[] = [];
    expectCode('Login as an unknown user', 'unauthenticated', code, mismatches);
    return { observed: { login: code }, mismatches };
  },

  async 'register-without-authentication'({ env }) {
    const observed = await withClient(env, async (c) => ({
      login: await outcome(c.login(env.userId('irp-a'), env.password)),
      register: await outcome(c.register('::1', 4605)),
    }));
    const mismatches: string[] = [];
    expectCode('Login', 'ok', observed.login, mismatches);
    expectCode('Register after a password login only', 'unauthenticated', observed.register, mismatches);
    return { observed, mismatches };
  },

  async 'authenticate-with-other-users-certificate'({ env }) {
    const b = await env.enrolled('irp-b');
    const c = await env.enrolled('irp-c');
    const observed = await withClient(env, async (client) => ({
      authenticate: await outcome(client.authenticate(c.userId, b.chain, b.privateKey)),
      register: await outcome(client.register('::1', 4605)),
    }));
    const mismatches: string[] = [];
    expectCode(`AuthBegin as ${c.userId}, AuthProve with ${b.userId}'s certificate`, 'unauthenticated', observed.authenticate, mismatches);
    expectCode('Register afterwards', 'unauthenticated', observed.register, mismatches);
    return { observed, mismatches };
  },

  async 'register-changes-only-own-record'({ env }) {
    const b = await env.enrolled('irp-b');
    const c = await env.enrolled('irp-c');
    await authenticated(env, c, (client) => client.register('::1', 2222));
    await authenticated(env, b, async (client) => {
      await client.register('::1', 1111);
      await client.register('::1', 3333);
    });
    const observed = await withClient(env, async (client) => ({
      other: (await client.lookup(c.userId)).port,
      own: (await client.lookup(b.userId)).port,
    }));
    const mismatches: string[] = [];
    if (observed.other !== 2222) mismatches.push(`look-up of ${c.userId}: expected port 2222 (its own registration), got ${observed.other}`);
    if (observed.own !== 3333) mismatches.push(`look-up of ${b.userId}: expected port 3333 (its latest registration), got ${observed.own}`);
    return { observed, mismatches };
  },

  async 'revoke-other-users-certificate'({ env }) {
    const d = await env.enrolled('irp-d');
    const e = await env.enrolled('irp-e');
    const serial = serialOf(e);
    const revoke = await authenticated(env, d, (client) => outcome(client.revoke(serial)));
    const status = await withClient(env, async (client) => (await client.status(serial)).status);
    const mismatches: string[] = [];
    expectCode(`Revoke of ${e.userId}'s certificate by ${d.userId}`, 'forbidden', revoke, mismatches);
    if (status !== 'good') mismatches.push(`Status of that certificate afterwards: expected good, got ${status}`);
    return { observed: { revoke, status }, mismatches };
  },

  async 'tampered-lookup-signature'({ env }) {
    const f = await env.enrolled('irp-f');
    const observed = await withLyingStub(env, { badSignature: true }, async (_stub, connect) => {
      const registrant = await connect();
      try {
        await registrant.authenticate(f.userId, f.chain, f.privateKey);
        await registrant.register('::1', 4605);
      } finally {
        await registrant.close().catch(() => undefined);
      }
      const client = await connect();
      try {
        return { lookup: await outcome(client.lookup(f.userId)) };
      } finally {
        await client.close().catch(() => undefined);
      }
    });
    const mismatches: string[] = [];
    expectCode('Lookup answered with a tampered signature', 'bad_signature', observed.lookup, mismatches);
    return { observed, mismatches };
  },

  async 'tampered-status-signature'({ env }) {
    const f = await env.enrolled('irp-f');
    const observed = await withLyingStub(env, { badSignature: true }, async (_stub, connect) => {
      const client = await connect();
      try {
        return { status: await outcome(client.status(serialOf(f))) };
      } finally {
        await client.close().catch(() => undefined);
      }
    });
    const mismatches: string[] = [];
    expectCode('Status answered with a tampered signature', 'bad_signature', observed.status, mismatches);
    return { observed, mismatches };
  },

  async 'revoked-certificate-status'({ env }) {
    const g = await env.enrolled('irp-g');
    const serial = serialOf(g);
    const revoke = await authenticated(env, g, async (client) => {
      await client.register('::1', 4605);
      return outcome(client.revoke(serial));
    });
    const observed = await withClient(env, async (client) => ({
      revoke,
      status: (await client.status(serial)).status as string,
      lookup: await outcome(client.lookup(g.userId)),
    }));
    const mismatches: string[] = [];
    expectCode('Revoke of its own certificate', 'ok', observed.revoke, mismatches);
    if (observed.status !== 'revoked') mismatches.push(`Status afterwards: expected revoked, got ${observed.status}`);
    expectCode('Lookup afterwards', 'not_found', observed.lookup, mismatches);
    return { observed, mismatches };
  },

  async 'revoked-peer-refused'({ env, slot, seed }) {
    const h = await env.enrolled('irp-h');
    await authenticated(env, h, (client) => client.revoke(serialOf(h)));
    const responderEvents: UaEvent[] = [];
    const conforming = env.agent(slot.responder.identity, `${seed}/responder`, {
      directory: irpDirectory(slot.responder.registry),
      onEvent: (e) => responderEvents.push(e),
    });
    const lookups = await env.connectRegistry();
    const revokedPeer = env.agent(h, `${seed}/initiator`, { directory: irpDirectory(lookups) });
    let initiator: string;
    try {
      const { address, port } = await conforming.listen({ port: 0, host: env.host });
      await slot.responder.registry.register(address, port);
      try {
        const conn = await revokedPeer.connect(slot.responder.identity.userId);
        initiator = 'connected';
        await conn.close();
      } catch (err) {
        if (!(err instanceof HandshakeFailedError)) throw err;
        initiator = `refused: ${err.info.alert ?? err.info.how} by ${err.info.by ?? 'nobody'}`;
      }
    } finally {
      await revokedPeer.close();
      await conforming.close();
      await lookups.close().catch(() => undefined);
    }
    const sent = responderEvents.flatMap((e) => (e.event === 'alert_sent' ? [e.alert] : []));
    const mismatches: string[] = [];
    if (sent.length !== 1 || sent[0] !== 'certificate_revoked') {
      mismatches.push(`the conforming responder's alert: expected certificate_revoked, got ${sent.length === 0 ? 'none' : sent.join(', ')}`);
    }
    return { observed: { responderAlerts: sent, initiator }, mismatches };
  },
};

/** Runs one check; `record`: through recording relays, returning the case's wire (leg irp and its TLS key log). */
export async function runIrpCheck(name: IrpCheckName, ctx: CheckContext, record = false): Promise<CheckResult & { wire?: CaseWire }> {
  if (!record) return CHECKS[name](ctx);
  const recorder = new IrpWireRecorder(ctx.env);
  const result = await CHECKS[name]({ ...ctx, env: await recorder.environment() });
  return { ...result, wire: await recorder.wire() };
}
