// Two reference UAs over real loopback TCP, through the IRP stub: enrol (password + CSR), register
// the address, look the peer up by user ID (verified), handshake, exchange Messages and Receipts.
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseKeyLog } from '../../src/protocol/keylog.js';
import { UserAgent, HandshakeFailedError, irpDirectory, type UaConnection, type UaIdentity } from '../../src/ua/agent.js';
import { serialOfCertificate } from '../../src/irp/verify.js';
import { X509Certificate } from 'node:crypto';
import { enrol, nextAccepted, registryClient, startAgent, startStub, type Stub, type TestAgent } from './helpers.js';

const METHODS = ['x25519', 'p256', 'rsa-oaep'] as const;
const CIPHERS = ['AES-256-GCM', 'CHACHA20-POLY1305'] as const;

let stub: Stub;
const ids: Record<string, UaIdentity> = {};
const agents: Record<string, TestAgent> = {};

t.before(async () => {
  stub = await startStub('ua e2e test');
  // alice and bob hold P-256 certificates; carol and dave RSA-2048 ones (rsa-oaep key transport
  // needs the responder's RSA key with keyEncipherment).
  ids.alice = await enrol(stub, 'alice@example.com', 'p256');
  ids.bob = await enrol(stub, 'bob@example.com', 'p256');
  ids.carol = await enrol(stub, 'carol@example.com', 'rsa2048');
  ids.dave = await enrol(stub, 'dave@example.com', 'rsa2048');
  for (const name of ['alice', 'bob', 'carol', 'dave']) agents[name] = await startAgent(stub, ids[name]!);
});

t.teardown(async () => {
  for (const a of Object.values(agents)) await a.close();
  await stub.close();
});

async function converse(t: Test, from: TestAgent, to: TestAgent, offer: { methods?: string[]; ciphers?: string[] } = {}) {
  const accepted = nextAccepted(to.ua);
  const initiator = await from.ua.connect(to.ua.userId, offer);
  const responder = await accepted;
  await responder.established;
  return { initiator, responder };
}

for (const method of METHODS) {
  for (const cipher of CIPHERS) {
    const pairs: Array<[string, string]> = method === 'rsa-oaep' ? [['carol', 'dave'], ['dave', 'carol']] : [['alice', 'bob'], ['bob', 'alice']];
    for (const [from, to] of pairs) {
      t.test(`${method} x ${cipher}: ${from} -> ${to}`, async (t) => {
        const a = agents[from]!;
        const b = agents[to]!;
        const { initiator, responder } = await converse(t, a, b, { methods: [method], ciphers: [cipher] });
        for (const [side, conn] of [['initiator', initiator], ['responder', responder]] as const) {
          t.same(conn.negotiated, { version: '1.0', method, cipher }, `${side} reports the negotiated parameters`);
        }
        t.equal(initiator.peerUserId, b.ua.userId, 'the initiator verified the user it looked up');
        t.equal(responder.peerUserId, a.ua.userId, 'the responder verified the initiator');
        t.equal(initiator.exporter, responder.exporter, 'both ends derive the same exporter');
        t.match(initiator.exporter, /^[0-9a-f]{64}$/);

        const toB = new Promise<{ from: string; text: string }>((resolve) => responder.once('message', resolve));
        await initiator.sendAndConfirm(`hello ${to} over ${method}/${cipher}`);
        t.match(await toB, { from: a.ua.userId, text: `hello ${to} over ${method}/${cipher}` }, 'received with the verified sender');
        const toA = new Promise<{ from: string; text: string }>((resolve) => initiator.once('message', resolve));
        await responder.sendAndConfirm('and back <&>');
        t.match(await toA, { from: b.ua.userId, text: 'and back <&>' }, 'the reply arrives too, escaped correctly');

        const [mine, theirs] = await Promise.all([initiator.close(), responder.closed]);
        t.equal(mine.how, 'clean');
        t.equal(theirs.how, 'clean');
      });
    }
  }
}

t.test('Ping is answered by a Pong with the same id, both ways', async (t) => {
  const { initiator, responder } = await converse(t, agents.alice!, agents.bob!);
  for (const [from] of [[initiator], [responder]] as const) {
    const pong = new Promise<string>((resolve) => from.once('pong', resolve));
    const id = from.ping();
    t.equal(await pong, id);
  }
  await initiator.close();
});

t.test('looking up a user who never registered fails as a look-up', async (t) => {
  await t.rejects(agents.alice!.ua.connect('erin@example.com'), { name: 'LookupFailedError' });
});

t.test('clean close versus truncation', async (t) => {
  const clean = await converse(t, agents.alice!, agents.bob!);
  await clean.initiator.close();
  t.equal((await clean.responder.closed).how, 'clean', 'close_notify: reported clean');

  const cut = await converse(t, agents.alice!, agents.bob!);
  cut.initiator.abort();
  const info = await cut.responder.closed;
  t.equal(info.how, 'truncated', 'TCP end without close_notify after the handshake: reported truncated');
  t.ok(
    agents.bob!.events.some((e) => e.event === 'closed' && e.how === 'truncated'),
    'the truncation is in the event stream',
  );
});

t.test('key update in both directions, with and without request', async (t) => {
  const { initiator, responder } = await converse(t, agents.alice!, agents.bob!);
  const updates = (c: UaConnection) => {
    const seen: Array<{ direction: string; generation: number }> = [];
    c.on('event', (e: { type: string; direction?: string; generation?: number }) => {
      if (e.type === 'key_updated') seen.push({ direction: e.direction!, generation: e.generation! });
    });
    return seen;
  };
  const iSeen = updates(initiator);
  const rSeen = updates(responder);

  initiator.keyUpdate(true); // asks bob to update too
  await initiator.sendAndConfirm('after the initiator update');
  t.same(iSeen, [{ direction: 'send', generation: 1 }, { direction: 'receive', generation: 1 }]);
  t.same(rSeen, [{ direction: 'receive', generation: 1 }, { direction: 'send', generation: 1 }]);

  responder.keyUpdate(false);
  await responder.sendAndConfirm('after the responder update');
  t.same(rSeen.at(-1), { direction: 'send', generation: 2 });
  t.same(iSeen.at(-1), { direction: 'receive', generation: 2 });
  await initiator.sendAndConfirm('still fine');
  await initiator.close();
});

t.test('frame limit: over the limit is record_overflow', async (t) => {
  t.test('default 1 MiB: a record header announcing 1 MiB + 1', async (t) => {
    const { initiator, responder } = await converse(t, agents.alice!, agents.bob!);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1048576 + 1, 0);
    header[4] = 0x02;
    initiator.writeRaw(header);
    const info = await responder.closed;
    t.equal(info.alert, 'record_overflow');
    t.equal(info.by, 'local');
    t.equal((await initiator.closed).alert, 'record_overflow', 'the sender hears the alert');
  });

  t.test('configured 4096: a real Message over it', async (t) => {
    const small = await startAgent(stub, ids.bob!, { maxFrameLength: 4096 }, { register: false });
    t.teardown(() => small.close());
    const accepted = nextAccepted(small.ua);
    const initiator = await agents.alice!.ua.connectTo({ address: '::1', port: small.port, peerUserId: 'bob@example.com' });
    const responder = await accepted;
    await responder.established;
    await initiator.sendAndConfirm('x'.repeat(3000)); // fits
    initiator.sendText('x'.repeat(5000));
    t.equal((await responder.closed).alert, 'record_overflow');
  });

  t.test('exactly 1 MiB is not an overflow', async (t) => {
    const { initiator, responder } = await converse(t, agents.alice!, agents.bob!);
    // A bogus record of exactly the limit: accepted by the frame layer, then fails authentication.
    const frame = Buffer.alloc(4 + 1048576);
    frame.writeUInt32BE(1048576, 0);
    frame[4] = 0x02;
    initiator.writeRaw(frame);
    t.equal((await responder.closed).alert, 'bad_record_mac');
  });
});

t.test('a revoked peer certificate is refused (status through IRP)', async (t) => {
  const fresh = await enrol(stub, 'erin@example.com', 'p256');
  const erin = await startAgent(stub, fresh);
  t.teardown(() => erin.close());
  const serial = serialOfCertificate(new X509Certificate(fresh.chain[0]!));
  await erin.registry.revoke(serial);
  // A new agent: its status cache is empty.
  const registry = await registryClient(stub);
  const alice = new UserAgent({ identity: ids.alice!, directory: irpDirectory(registry) });
  t.teardown(async () => {
    await alice.close();
    await registry.close();
  });
  // The registry no longer hands out a record for the revoked certificate ...
  await t.rejects(alice.connect('erin@example.com'), { name: 'LookupFailedError' });
  // ... and an address known from before leads to a certificate the status check refuses.
  const err = await alice.connectTo({ address: '::1', port: erin.port, peerUserId: 'erin@example.com' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, HandshakeFailedError);
  t.match((err as HandshakeFailedError).info, { alert: 'certificate_revoked', by: 'local' });

  // And as responder: erin calls bob, bob refuses her revoked certificate.
  const accepted = nextAccepted(agents.bob!.ua);
  const refused = await erin.ua.connect('bob@example.com').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match((refused as HandshakeFailedError).info, { alert: 'certificate_revoked', by: 'peer' });
  t.match(await (await accepted).closed, { alert: 'certificate_revoked', by: 'local' });
});

t.test('key log: one line per secret, keyed by the initiator nonce', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-keylog-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.log');
  const registry = await registryClient(stub);
  const alice = new UserAgent({ identity: ids.alice!, directory: irpDirectory(registry), keyLogFile: file });
  const conn = await alice.connect('bob@example.com');
  conn.keyUpdate(false);
  await conn.sendAndConfirm('logged');
  await conn.close();
  await alice.close();
  await registry.close();
  const text = await fs.readFile(file, 'utf8');
  const { entries, malformedLines } = parseKeyLog(text);
  t.same(malformedLines, []);
  const labels = entries.map((e) => e.label).sort();
  t.same(labels, [
    'E2ED_EXPORTER',
    'E2ED_HANDSHAKE_SECRET',
    'E2ED_I2R_TRAFFIC_SECRET_0',
    'E2ED_I2R_TRAFFIC_SECRET_1',
    'E2ED_MASTER_SECRET',
    'E2ED_R2I_TRAFFIC_SECRET_0',
  ]);
  t.equal(new Set(entries.map((e) => e.nonceI)).size, 1, 'every line carries the same initiator nonce');
  t.equal(entries.find((e) => e.label === 'E2ED_EXPORTER')!.secret, conn.exporter);
  t.equal((await fs.stat(file)).mode & 0o777, 0o600, 'the key log is private');
});

/** A TCP relay that records what flows each way. */
async function recordingRelay(targetPort: number): Promise<{ port: number; wire: { i2r: Buffer[]; r2i: Buffer[] }; close(): Promise<void> }> {
  const wire = { i2r: [] as Buffer[], r2i: [] as Buffer[] };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '::1', port: targetPort });
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      wire.i2r.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      wire.r2i.push(d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    wire,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

t.test('seeded mode: every byte on the wire is reproducible', async (t) => {
  const run = async (seed: string): Promise<{ i2r: Buffer; r2i: Buffer }> => {
    const bob = new UserAgent({ identity: ids.bob!, seed: `${seed}/bob` });
    const alice = new UserAgent({ identity: ids.alice!, seed: `${seed}/alice` });
    const { port } = await bob.listen({ port: 0, host: '::1' });
    const relay = await recordingRelay(port);
    const accepted = nextAccepted(bob);
    const conn = await alice.connectTo({ address: '::1', port: relay.port, peerUserId: 'bob@example.com', methods: ['p256'] });
    const responder = await accepted;
    await responder.established;
    await conn.sendAndConfirm('same bytes every time');
    conn.keyUpdate(true);
    await responder.sendAndConfirm('and back');
    await conn.close();
    await responder.closed;
    await alice.close();
    await bob.close();
    await relay.close();
    return { i2r: Buffer.concat(relay.wire.i2r), r2i: Buffer.concat(relay.wire.r2i) };
  };
  const first = await run('s1');
  const second = await run('s1');
  const other = await run('s2');
  t.ok(first.i2r.length > 0 && first.r2i.length > 0);
  t.ok(first.i2r.equals(second.i2r), 'initiator -> responder bytes identical');
  t.ok(first.r2i.equals(second.r2i), 'responder -> initiator bytes identical');
  t.notOk(first.i2r.equals(other.i2r), 'another seed gives other bytes');
});
