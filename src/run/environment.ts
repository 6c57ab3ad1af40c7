// What a run stands on, made from its seed: the test PKI, an in-process IRP stub on a loopback
// ephemeral port, and users enrolled through the stub with real IRP operations (Capabilities,
// Login, Enroll from a CSR, AuthBegin/AuthProve, and Register per case). Cases run in "slots", one
// per concurrent worker; each slot owns its users and their registry connections, so two cases
// running at the same time never register the same user's address.
import net from 'node:net';
import { IrpClient, type IrpConnectOptions } from '../irp/client.js';
import { IrpServer } from '../irp/server.js';
import type { IrpAccount, IrpServerOptions } from '../irp/config.js';
import { createTestPki, type TestPki } from '../pki/ca.js';
import { seededRandom } from '../protocol/random.js';
import { createCsr } from '../pki/csr.js';
import { UserAgent, type UaIdentity, type UserAgentOptions } from '../ua/agent.js';
import type { CaseScope } from './case-scope.js';

export interface EnrolledUser {
  identity: UaIdentity;
  /** This user's own registry connection, authenticated with its certificate (for Register). */
  registry: IrpClient;
}

/** The users one worker uses: a P-256 initiator, a P-256 responder, and an RSA responder (rsa-oaep). */
export interface Slot {
  index: number;
  initiator: EnrolledUser;
  responder: EnrolledUser;
  rsaResponder: EnrolledUser;
}

/** Accounts the IRP suite enrols on its own (src/run/irp-checks.ts), kept apart from the slots. */
export const IRP_SUITE_USERS = ['irp-a', 'irp-b', 'irp-c', 'irp-d', 'irp-e', 'irp-f', 'irp-g', 'irp-h', 'irp-i',
  'irp-k', 'irp-l', 'irp-m', 'irp-n', 'irp-o', 'irp-p', 'irp-q', 'irp-r'] as const;

export class RunEnvironment {
  private readonly enrolments = new Map<string, Promise<UaIdentity>>();

  private constructor(
    readonly seed: string,
    readonly pki: TestPki,
    readonly stub: IrpServer,
    /** The loopback address everything connects to: ::1 when the host has IPv6, else 127.0.0.1. */
    readonly host: string,
    readonly password: string,
    readonly slots: Slot[],
  ) {}

  /**
   * A reference UA for one side of a case: `seed` makes its bytes reproducible, and its clock is
   * the PKI's reference time (E2ED-CERT-27: "a test harness MAY configure a fixed time").
   */
  agent(identity: UaIdentity, seed: string, options: Omit<UserAgentOptions, 'identity' | 'seed' | 'now'> = {}): UserAgent {
    return new UserAgent({ identity, seed, now: () => this.pki.referenceTime, ...options });
  }

  /**
   * An IRP stub of this run: its PKI, on the loopback host at an ephemeral port, and on the UAs'
   * clock, so that what it issues and signs is current at the time the UAs validate it.
   */
  startStub(options: Omit<IrpServerOptions, 'port' | 'host' | 'pki' | 'now'> = {}): Promise<IrpServer> {
    return startRunStub(this.pki, this.host, options);
  }

  static async start(opts: { seed: string; slots: number }): Promise<RunEnvironment> {
    const pki = createTestPki({ seed: opts.seed });
    const password = `sixbench run ${opts.seed}`;
    const host = (await hasIpv6Loopback()) ? '::1' : '127.0.0.1';
    const accounts: IrpAccount[] = [];
    for (let s = 0; s < opts.slots; s++) for (const name of slotUserNames(s)) accounts.push({ userId: userIdOf(pki, name), password });
    for (const name of IRP_SUITE_USERS) accounts.push({ userId: userIdOf(pki, name), password });
    const stub = await startRunStub(pki, host, { accounts });
    const env = new RunEnvironment(opts.seed, pki, stub, host, password, []);
    try {
      for (let s = 0; s < opts.slots; s++) {
        const [i, r, rsa] = slotUserNames(s);
        env.slots.push({
          index: s,
          initiator: await env.enrolAndAuthenticate(i!, 'p256'),
          responder: await env.enrolAndAuthenticate(r!, 'p256'),
          rsaResponder: await env.enrolAndAuthenticate(rsa!, 'rsa2048'),
        });
      }
    } catch (err) {
      await env.close();
      throw err;
    }
    return env;
  }

  /**
   * This environment as one case sees it: every user agent, registry connection and stub the case
   * opens through it is adopted by the case's scope, so it is released however the case ends
   * (issue 13 §1); the agents end at once when the case's signal aborts. Run-wide state (the
   * slots, the IRP suite's enrolments) stays the run's.
   */
  forCase(scope: CaseScope): CaseEnvironment {
    const run = this;
    const view = Object.create(run) as CaseEnvironment & { scope: CaseScope };
    view.scope = scope;
    view.agent = (identity, seed, options = {}) =>
      scope.adopt('a user agent', run.agent(identity, seed, { ...options, signal: scope.signal }), (a) => a.close());
    view.connectRegistry = async (port, options) =>
      scope.adopt('a registry connection', await run.connectRegistry(port, options), (c) => c.close());
    view.startStub = async (options) => scope.adopt('an IRP stub', await run.startStub(options), (s) => s.close());
    // Enrolments are shared by the run's cases: one case's end must not cut another's.
    view.enrolled = (name) => run.enrolled(name);
    return view;
  }

  userId(name: string): string {
    return userIdOf(this.pki, name);
  }

  /**
   * A fresh, unauthenticated registry connection (Capabilities already asked by connect()) to the
   * run's stub or the one on `port`, trusting the run's anchors, on the UAs' clock.
   */
  connectRegistry(port = this.stub.port, options: Partial<Omit<IrpConnectOptions, 'host' | 'port'>> = {}): Promise<IrpClient> {
    return IrpClient.connect({ host: this.host, port, caCertificates: this.pki.anchors, now: () => this.pki.referenceTime.getTime(), ...options });
  }

  /** Password login and CSR enrolment; the key is derived from the run's seed. Returns the identity. */
  async enrol(name: string, keyType: 'p256' | 'rsa2048' = 'p256'): Promise<UaIdentity> {
    const userId = this.userId(name);
    const key = this.pki.key(`run/${userId}`, keyType);
    const client = await this.connectRegistry();
    try {
      await client.login(userId, this.password);
      const chain = await client.enroll(createCsr(key.privateKey, userId));
      return { userId, privateKey: key.privateKey, chain, trustAnchors: this.pki.anchors };
    } finally {
      await client.close();
    }
  }

  /** The identity of an IRP-suite user, enrolled once per run however many checks use it. */
  enrolled(name: (typeof IRP_SUITE_USERS)[number]): Promise<UaIdentity> {
    let identity = this.enrolments.get(name);
    if (!identity) this.enrolments.set(name, (identity = this.enrol(name)));
    return identity;
  }

  /** Enrols, then opens the user's own registry connection and authenticates it with the certificate. */
  async enrolAndAuthenticate(name: string, keyType: 'p256' | 'rsa2048'): Promise<EnrolledUser> {
    const identity = await this.enrol(name, keyType);
    const registry = await this.connectRegistry();
    try {
      await registry.authenticate(identity.userId, identity.chain, identity.privateKey);
    } catch (err) {
      await registry.close();
      throw err;
    }
    return { identity, registry };
  }

  async close(): Promise<void> {
    for (const slot of this.slots) {
      for (const u of [slot.initiator, slot.responder, slot.rsaResponder]) await u.registry.close().catch(() => undefined);
    }
    await this.stub.close();
  }
}

/** The environment one case sees (RunEnvironment.forCase): what it opens is released with the case. */
export interface CaseEnvironment extends RunEnvironment {
  readonly scope: CaseScope;
  /** Set when the case is recorded (src/run/irp-capture.ts): where the bench's own TLS sockets put their secrets. */
  readonly irpTlsKeyLog?: (line: Buffer) => void;
}

function slotUserNames(slot: number): [string, string, string] {
  return [`run-i${slot}`, `run-r${slot}`, `run-rsa${slot}`];
}

function userIdOf(pki: TestPki, name: string): string {
  return `${name}@${pki.domain}`;
}

function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

function startRunStub(pki: TestPki, host: string, options: Omit<IrpServerOptions, 'port' | 'host' | 'pki' | 'now'>): Promise<IrpServer> {
  // Seeded serials and challenges: the enrolled users' certificates, and so every captured Hello, follow from the seed.
  return IrpServer.start({ port: 0, host, pki, now: () => pki.referenceTime.getTime(), rng: seededRandom(`${pki.seed}/irp-stub`), ...options });
}
