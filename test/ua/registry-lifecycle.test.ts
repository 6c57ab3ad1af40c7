// The registry connection's lifecycle under a listening UA (docs/spec.md 14.14, issue 12 §3):
// the registry closes an idle connection (IRP-CONN-1), restarts, or is unreachable for a while;
// the UA's client opens a new connection when the next status request needs one (IRP-CONN-2),
// backs off after a failed attempt (IRP-CONN-5), reports the outage (IRP-CONN-6), and refuses
// peers meanwhile with internal_error, never certificate_revoked (E2ED-CERT-30).
//
// No real waiting on the registry's idle limit: the stub is started with a short one and the test
// waits for the stub's own "closed" event; the client's back-off runs on an injected clock.
import t, { type Test } from 'tap';
import { EventEmitter, once } from 'node:events';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IrpClient } from '../../src/irp/client.js';
import type { IrpEvent, IrpServerOptions } from '../../src/irp/config.js';
import { IrpServer } from '../../src/irp/server.js';
import { createTestPki } from '../../src/pki/ca.js';
import { HandshakeFailedError, irpDirectory, UserAgent, type UaIdentity } from '../../src/ua/agent.js';
import type { UaEvent } from '../../src/ua/events.js';
import { enrol, PASSWORD, USERS, type Stub } from './helpers.js';

const pki = createTestPki({ seed: 'registry-lifecycle' });

interface Registry {
  server: IrpServer;
  events: IrpEvent[];
  bus: EventEmitter;
}

async function startRegistry(port: number, extra: IrpServerOptions = {}): Promise<Registry> {
  const events: IrpEvent[] = [];
  const bus = new EventEmitter();
  const server = await IrpServer.start({
    port,
    host: '::1',
    pki,
    accounts: USERS.map((userId) => ({ userId, password: PASSWORD })),
    onEvent: (e) => {
      events.push(e);
      bus.emit(e.event, e);
    },
    ...extra,
  });
  return { server, events, bus };
}

const asStub = (r: Registry): Stub => ({ server: r.server, pki, port: r.server.port, close: () => r.server.close() });

async function tempDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-irp-lifecycle-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Listener {
  ua: UserAgent;
  client: IrpClient;
  events: UaEvent[];
  port: number;
}

/** Bob listens with his own registry client (on `clock`), authenticated and registered, as `ua listen` does. */
async function listenAsBob(t: Test, registryPort: number, bob: UaIdentity, clock: () => number = Date.now): Promise<Listener> {
  const client = await IrpClient.connect({ host: '::1', port: registryPort, caCertificates: pki.anchors, clock });
  const events: UaEvent[] = [];
  const ua = new UserAgent({ identity: bob, directory: irpDirectory(client), onEvent: (e) => events.push(e) });
  const { address, port } = await ua.listen({ port: 0, host: '::1' });
  await client.authenticate(bob.userId, bob.chain, bob.privateKey);
  await client.register(address, port);
  t.teardown(async () => {
    await ua.close();
    await client.close();
  });
  return { ua, client, events, port };
}

/**
 * Alice calls bob at his address. She has no directory of her own: only bob's status check is
 * under test, and her refusal could not be told from his.
 */
async function call(t: Test, alice: UaIdentity, bob: Listener): Promise<{ ok: true } | { ok: false; alert: string | undefined; by: string | undefined }> {
  const ua = new UserAgent({ identity: alice });
  t.teardown(() => ua.close());
  try {
    const conn = await ua.connectTo({ address: '::1', port: bob.port, peerUserId: 'bob@example.com' });
    await conn.close();
    return { ok: true };
  } catch (err) {
    if (!(err instanceof HandshakeFailedError)) throw err;
    return { ok: false, alert: err.info.alert, by: err.info.by };
  }
}

async function identities(registry: Registry): Promise<{ alice: UaIdentity; bob: UaIdentity }> {
  const stub = asStub(registry);
  return { alice: await enrol(stub, 'alice@example.com'), bob: await enrol(stub, 'bob@example.com') };
}

t.test('IRP-CONN-1/2: idle past the registry limit, the next handshake still completes', async (t) => {
  const registry = await startRegistry(0, { limits: { idleTimeoutMs: 200 } });
  t.teardown(() => registry.server.close());
  const { alice, bob } = await identities(registry);
  const listener = await listenAsBob(t, registry.server.port, bob);
  // Wait until the registry has closed every connection for idleness (the enrolments' and bob's).
  while (registry.events.filter((e) => e.event === 'closed').length < registry.events.filter((e) => e.event === 'connection').length) {
    await once(registry.bus, 'closed');
  }
  t.equal(listener.client.connectionsOpened, 1, 'bob has used one registry connection so far');

  t.same(await call(t, alice, listener), { ok: true }, 'the handshake completes after the idle close');
  t.equal(listener.client.connectionsOpened, 2, 'the status request opened a new connection (IRP-CONN-2)');
  t.notOk(listener.events.some((e) => e.event === 'registry_unreachable'), 'an idle close is not an outage');
});

t.test('IRP-CONN-2: the registry restarted under a listening UA', async (t) => {
  const dir = await tempDir(t);
  const first = await startRegistry(0, { dataDir: dir });
  const port = first.server.port;
  const { alice, bob } = await identities(first);
  const listener = await listenAsBob(t, port, bob);
  t.same(await call(t, alice, listener), { ok: true }, 'before the restart');

  await first.server.close();
  const second = await startRegistry(port, { dataDir: dir });
  t.teardown(() => second.server.close());
  // The status cache would answer from memory: a new peer certificate needs a fresh status.
  const carol = await enrol(asStub(second), 'carol@example.com');
  t.same(await call(t, carol, listener), { ok: true }, 'a new peer after the restart');
  t.ok(second.events.some((e) => e.event === 'request' && e.operation === 'Status'), 'the status came from the restarted registry');
  t.notOk(listener.events.some((e) => e.event === 'registry_unreachable'), 'a restart between two requests is not an outage');
});

t.test('IRP-CONN-5/6, E2ED-CERT-30: unreachable for a while, then back', async (t) => {
  const dir = await tempDir(t);
  const first = await startRegistry(0, { dataDir: dir });
  const port = first.server.port;
  const { alice, bob } = await identities(first);
  let clock = 1_000_000;
  const listener = await listenAsBob(t, port, bob, () => clock);
  await first.server.close();

  // The registry is down: the status cannot be obtained, so alice is refused, with
  // internal_error (a local failure, E2ED-ALERT-12), not certificate_revoked.
  t.same(await call(t, alice, listener), { ok: false, alert: 'internal_error', by: 'peer' }, 'refused while unreachable');
  const sent = listener.events.filter((e) => e.event === 'alert_sent');
  t.match(sent, [{ alert: 'internal_error', requirement: 'E2ED-CERT-30' }], 'bob says why, citing E2ED-CERT-30');
  const down = listener.events.filter((e) => e.event === 'registry_unreachable');
  t.match(down, [{ event: 'registry_unreachable', registry: `[::1]:${port}`, retry_in_ms: 1000 }], 'the outage is reported once');

  // Within the back-off the client does not try again: even a registry that is back is not asked.
  const second = await startRegistry(port, { dataDir: dir });
  t.teardown(() => second.server.close());
  t.same(await call(t, alice, listener), { ok: false, alert: 'internal_error', by: 'peer' }, 'still refused within the back-off');
  t.equal(second.events.filter((e) => e.event === 'connection').length, 0, 'no connection attempt before the back-off ends (IRP-CONN-5)');
  t.equal(listener.events.filter((e) => e.event === 'registry_unreachable').length, 1, 'not reported again while it lasts');

  clock += 1_000;
  t.same(await call(t, alice, listener), { ok: true }, 'the handshake completes once the registry is back');
  t.match(listener.events.filter((e) => e.event === 'registry_reachable'), [{ registry: `[::1]:${port}`, unreachable_for_ms: 1000 }], 'the recovery is reported');
});

t.test('IRP-CONN-5: the back-off doubles up to its bound, and an attempt that fails again is not re-reported', async (t) => {
  const registry = await startRegistry(0);
  const port = registry.server.port;
  let clock = 0;
  const client = await IrpClient.connect({ host: '::1', port, caCertificates: pki.anchors, clock: () => clock, reconnect: { initialDelayMs: 100, maxDelayMs: 300 } });
  const reports: string[] = [];
  client.onAvailability((a) => reports.push(a.state === 'unreachable' ? `unreachable ${a.retryInMs}` : `reachable ${a.unreachableForMs}`));
  await registry.server.close();
  // Each step lands exactly where the previous wait ends: 100, then 200, then 300 (bounded), 300.
  for (const [step, wait] of [[0, 100], [100, 200], [200, 300], [300, 300], [300, 300]] as const) {
    clock += step;
    const err = await client.capabilities().then(() => undefined, (e: Error) => e);
    t.match(err?.message, /cannot reach the registry .*ECONNREFUSED/, `at ${clock}: a real attempt, refused by the transport`);
    // Within the wait: refused at once, with the time left.
    const again = await client.capabilities().then(() => undefined, (e: Error) => e);
    t.match(again?.message, new RegExp(`unreachable .*next attempt in ${wait} ms`), `at ${clock}: the next wait is ${wait} ms`);
  }
  t.same(reports, ['unreachable 100'], 'one report for the whole outage');
  const back = await startRegistry(port);
  t.teardown(() => back.server.close());
  const left = await client.capabilities().then(() => 'ok', (e: Error) => e.message);
  t.match(left, /next attempt in 300 ms/, 'the doubled wait is bounded by maxDelayMs');
  clock += 300;
  t.ok((await client.capabilities()).versions.includes(1), 'back');
  t.same(reports, ['unreachable 100', 'reachable 1200']);
  await client.close();
});

t.test('IRP-CONN-4: a Register on a new connection authenticates again', async (t) => {
  const registry = await startRegistry(0, { limits: { idleTimeoutMs: 200 } });
  t.teardown(() => registry.server.close());
  const { bob } = await identities(registry);
  const client = await IrpClient.connect({ host: '::1', port: registry.server.port, caCertificates: pki.anchors });
  t.teardown(() => client.close());
  await client.authenticate(bob.userId, bob.chain, bob.privateKey);
  await client.register('::1', 4605);
  while (registry.events.filter((e) => e.event === 'closed').length < registry.events.filter((e) => e.event === 'connection').length) {
    await once(registry.bus, 'closed');
  }
  await client.register('::1', 4606);
  const operations = registry.events.filter((e) => e.event === 'request').map((e) => (e as { operation: string }).operation);
  t.same(operations.slice(-4), ['Capabilities', 'AuthBegin', 'AuthProve', 'Register'], 'Capabilities first, then authentication again, then Register');
  t.equal((await client.lookup('bob@example.com')).port, 4606);
});

/**
 * A TCP relay in front of the registry that can cut a connection as the client's next bytes
 * arrive, or turn into a black hole: every connection cut, new ones accepted and never answered.
 */
async function relay(t: Test, target: number): Promise<{ port: number; cutNext: () => void; blackHole: () => void }> {
  let cut = false;
  let hole = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    open.add(inbound);
    inbound.on('close', () => open.delete(inbound));
    inbound.on('error', () => undefined);
    if (hole) return;
    const outbound = net.connect({ host: '::1', port: target });
    open.add(outbound);
    outbound.on('close', () => open.delete(outbound));
    inbound.on('data', (chunk) => {
      if (cut) {
        cut = false;
        inbound.destroy();
        outbound.destroy();
        return;
      }
      outbound.write(chunk);
    });
    outbound.pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  t.teardown(() => {
    for (const s of open) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cutNext: () => (cut = true),
    blackHole: () => {
      hole = true;
      for (const s of open) s.destroy();
    },
  };
}

t.test('IRP-CONN-3: a request lost under way is sent once more when idempotent, never when not', async (t) => {
  const registry = await startRegistry(0);
  t.teardown(() => registry.server.close());
  const { bob } = await identities(registry);
  const via = await relay(t, registry.server.port);
  const client = await IrpClient.connect({ host: '::1', port: via.port, caCertificates: pki.anchors });
  t.teardown(() => client.close());
  await client.authenticate(bob.userId, bob.chain, bob.privateKey);
  await client.register('::1', 4605);

  // CaCertificates (inside lookup) is cut after it was sent: sent again on a new connection.
  via.cutNext();
  t.equal((await client.lookup('bob@example.com')).port, 4605, 'the lookup succeeds');
  t.equal(client.connectionsOpened, 2, 'on a second connection');

  // A Register cut after it was sent may or may not have been applied: not repeated, reported.
  via.cutNext();
  await t.rejects(client.register('::1', 4606), { code: 'connection_failed' }, 'a lost Register fails');
  t.equal(client.connectionsOpened, 2, 'no new connection for it');
});

t.test('E2ED-CERT-30: a leaf the registry never issued (status unknown) is bad_certificate', async (t) => {
  const registry = await startRegistry(0);
  t.teardown(() => registry.server.close());
  const { bob } = await identities(registry);
  const listener = await listenAsBob(t, registry.server.port, bob);
  // Issued by the domain CA outside the registry: valid chain, but no Status but `unknown`.
  const stranger = pki.issueUser('dave@example.com');
  const dave: UaIdentity = { userId: stranger.userId, privateKey: stranger.privateKey, chain: stranger.chain, trustAnchors: pki.anchors };
  t.same(await call(t, dave, listener), { ok: false, alert: 'bad_certificate', by: 'peer' });
  t.match(listener.events.filter((e) => e.event === 'alert_sent'), [{ alert: 'bad_certificate', requirement: 'E2ED-CERT-30' }]);
});

t.test('IRP-CONN-5: a connection the client failed itself (no answer in time) counts as a failed attempt', async (t) => {
  const registry = await startRegistry(0);
  t.teardown(() => registry.server.close());
  let clock = 0;
  const client = await IrpClient.connect({ host: '::1', port: registry.server.port, caCertificates: pki.anchors, clock: () => clock, timeoutMs: 200 });
  t.teardown(() => client.close());
  const reports: string[] = [];
  client.onAvailability((a) => reports.push(a.state));
  registry.server.setLies({ slowMs: 2_000 });
  await t.rejects(client.capabilities(), { code: 'timeout', requirement: 'IRP-FRAME-9' });
  registry.server.setLies({});
  await t.rejects(client.capabilities(), { code: 'connection_failed', message: /next attempt in 1000 ms/ }, 'not at once to the registry that did not answer');
  t.equal(client.connectionsOpened, 1);
  t.same(reports, ['unreachable']);
  clock += 1000;
  t.ok((await client.capabilities()).versions.includes(1), 'after the wait, a new connection');
  t.same(reports, ['unreachable', 'reachable']);
});

t.test('IRP-CONN-6, E2ED-CERT-30: a registry that accepts and never answers is internal_error, not handshake_timeout', async (t) => {
  const registry = await startRegistry(0);
  t.teardown(() => registry.server.close());
  const { alice, bob } = await identities(registry);
  const via = await relay(t, registry.server.port);
  const client = await IrpClient.connect({ host: '::1', port: via.port, caCertificates: pki.anchors, timeoutMs: 2_000 });
  const events: UaEvent[] = [];
  const ua = new UserAgent({ identity: bob, directory: irpDirectory(client), onEvent: (e) => events.push(e), handshakeTimeoutMs: 1_000 });
  const { port } = await ua.listen({ port: 0, host: '::1' });
  t.teardown(async () => {
    await ua.close();
    await client.close();
  });
  via.blackHole();
  t.same(await call(t, alice, { ua, client, events, port }), { ok: false, alert: 'internal_error', by: 'peer' }, 'bob gives up on the status before his handshake timer');
  t.notOk(events.some((e) => e.event === 'alert_sent' && e.alert === 'handshake_timeout'));
});
