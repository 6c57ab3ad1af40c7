// Shared set-up of the IRP tests: a stub on an ephemeral loopback port, clients that trust its
// root, and users who enrol, authenticate and register through the real protocol.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Test } from 'tap';
import { createTestPki, type TestPki } from '../../src/pki/ca.js';
import { createCsr } from '../../src/pki/csr.js';
import { IrpClient } from '../../src/irp/client.js';
import type { IrpServerOptions } from '../../src/irp/config.js';
import { IrpServer } from '../../src/irp/server.js';

export const PASSWORDS: Record<string, string> = {
  'alice@example.com': 'alice-password',
  'bob@example.com': 'bob-password',
  'carol@example.com': 'carol-password',
};

let sharedPki: TestPki | undefined;
/** One PKI for every stub of a test file: building one costs a few hundred ms. */
export function testPki(): TestPki {
  sharedPki ??= createTestPki({ seed: 'irp-tests' });
  return sharedPki;
}

export async function startStub(t: Test, opts: IrpServerOptions = {}): Promise<IrpServer> {
  const server = await IrpServer.start({
    host: '127.0.0.1',
    port: 0,
    pki: opts.dataDir ? undefined : testPki(),
    accounts: Object.entries(PASSWORDS).map(([userId, password]) => ({ userId, password })),
    ...opts,
  });
  t.teardown(() => server.close());
  return server;
}

export async function connect(t: Test, server: IrpServer, now?: () => number): Promise<IrpClient> {
  const client = await IrpClient.connect({ host: '127.0.0.1', port: server.port, caCertificates: [server.rootCertificatePem], now });
  t.teardown(() => client.close());
  return client;
}

export interface EnrolledUser {
  userId: string;
  privateKey: KeyObject;
  chain: Buffer[];
}

/** Login + CSR enrolment with a fresh P-256 key. */
export async function enrol(client: IrpClient, userId: string): Promise<EnrolledUser> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await client.login(userId, PASSWORDS[userId]!);
  const chain = await client.enroll(createCsr(privateKey, userId));
  return { userId, privateKey, chain };
}

/** Enrol, authenticate with the new certificate, register an address. */
export async function enrolAndRegister(client: IrpClient, userId: string, address: string, port: number): Promise<EnrolledUser> {
  const user = await enrol(client, userId);
  await client.authenticate(userId, user.chain, user.privateKey);
  await client.register(address, port);
  return user;
}
