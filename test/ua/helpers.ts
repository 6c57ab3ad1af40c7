// Shared set-up for the UA tests: one IRP stub on loopback, users enrolled through it with
// password login and a CSR, agents that register their address and find peers by user ID.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { IrpClient } from '../../src/irp/client.js';
import { IrpServer } from '../../src/irp/server.js';
import { createTestPki, type TestPki } from '../../src/pki/ca.js';
import { createCsr } from '../../src/pki/csr.js';
import { irpDirectory, UserAgent, type UaConnection, type UaIdentity, type UserAgentOptions } from '../../src/ua/agent.js';
import type { UaEvent } from '../../src/ua/events.js';

export const PASSWORD = 'correct horse';
export const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com'];

export interface Stub {
  server: IrpServer;
  pki: TestPki;
  port: number;
  close(): Promise<void>;
}

export async function startStub(seed: string): Promise<Stub> {
  const pki = createTestPki({ seed });
  const server = await IrpServer.start({ port: 0, host: '::1', pki, accounts: USERS.map((userId) => ({ userId, password: PASSWORD })) });
  return { server, pki, port: server.port, close: () => server.close() };
}

export function registryClient(stub: Stub): Promise<IrpClient> {
  return IrpClient.connect({ host: '::1', port: stub.port, caCertificates: stub.pki.anchors });
}

export function newKey(type: 'p256' | 'rsa2048' | 'ed25519'): KeyObject {
  if (type === 'rsa2048') return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey;
  if (type === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** Password login and CSR enrolment through the stub. */
export async function enrol(stub: Stub, userId: string, keyType: 'p256' | 'rsa2048' | 'ed25519' = 'p256'): Promise<UaIdentity> {
  const client = await registryClient(stub);
  try {
    await client.login(userId, PASSWORD);
    const privateKey = newKey(keyType);
    const chain = await client.enroll(createCsr(privateKey, userId));
    return { userId, privateKey, chain, trustAnchors: stub.pki.anchors };
  } finally {
    await client.close();
  }
}

export interface TestAgent {
  ua: UserAgent;
  registry: IrpClient;
  events: UaEvent[];
  port: number;
  close(): Promise<void>;
}

/** An agent with its own registry connection that listens on ::1 and (unless told not to) registers its address. */
export async function startAgent(
  stub: Stub,
  identity: UaIdentity,
  extra: Partial<UserAgentOptions> = {},
  opts: { register?: boolean } = {},
): Promise<TestAgent> {
  const registry = await registryClient(stub);
  const events: UaEvent[] = [];
  const ua = new UserAgent({ identity, directory: irpDirectory(registry), onEvent: (e) => events.push(e), ...extra });
  const { address, port } = await ua.listen({ port: 0, host: '::1' });
  if (opts.register ?? true) {
    await registry.authenticate(identity.userId, identity.chain, identity.privateKey);
    await registry.register(address, port);
  }
  return {
    ua,
    registry,
    events,
    port,
    close: async () => {
      await ua.close();
      await registry.close();
    },
  };
}

/** The next connection the agent accepts. */
export function nextAccepted(agent: UserAgent): Promise<UaConnection> {
  return new Promise((resolve) => {
    const off = agent.onConnection((c) => {
      off();
      resolve(c);
    });
  });
}
