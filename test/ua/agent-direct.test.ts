// The UserAgent over real loopback TCP with an in-memory directory (no registry): the socket,
// timer and event plumbing around the engine. The registry-backed tests are in e2e.test.ts.
import t, { type Test } from 'tap';
import net from 'node:net';
import { createTestPki } from '../../src/pki/ca.js';
import { encodeFrame, FrameDecoder, FrameType } from '../../src/protocol/frame.js';
import { decodeE2ed } from '../../src/protocol/messages.js';
import { UserAgent, type PeerDirectory, type UaConnection } from '../../src/ua/agent.js';
import type { UaEvent } from '../../src/ua/events.js';

const pki = createTestPki({ seed: 'ua agent-direct test', users: ['alice@example.com', 'bob@example.com'] });

function directory(revoked: Set<string> = new Set()): PeerDirectory {
  return {
    lookup: async (userId) => {
      throw new Error(`no address for ${userId}`);
    },
    isRevoked: async (serial) => revoked.has(serial),
  };
}

function agent(userId: string, extra: Partial<ConstructorParameters<typeof UserAgent>[0]> = {}): { ua: UserAgent; events: UaEvent[] } {
  const u = pki.user(userId);
  const events: UaEvent[] = [];
  const ua = new UserAgent({
    identity: { userId, privateKey: u.privateKey, chain: u.chain, trustAnchors: pki.anchors },
    directory: directory(),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { ua, events };
}

async function pair(t: Test, aliceExtra = {}, bobExtra = {}) {
  const a = agent('alice@example.com', aliceExtra);
  const b = agent('bob@example.com', bobExtra);
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const accepted = new Promise<UaConnection>((resolve) => b.ua.onConnection(resolve));
  const initiator = await a.ua.connectTo({ address: '::1', port, peerUserId: 'bob@example.com', peerCertificates: pki.user('bob@example.com').chain });
  const responder = await accepted;
  await responder.established;
  t.teardown(async () => {
    await a.ua.close();
    await b.ua.close();
  });
  return { a, b, initiator, responder, port };
}

/** Reads frames from a raw socket until one decodes to an Alert; resolves with its code. */
function readAlert(socket: net.Socket): Promise<string> {
  const decoder = new FrameDecoder();
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.type !== FrameType.Plaintext) continue;
        const m = decodeE2ed(f.payload);
        if (m.kind === 'Alert') resolve(m.code);
      }
    });
    socket.on('close', () => reject(new Error('closed without an alert')));
  });
}

t.test('handshake, message with Receipt, clean close on both sides', async (t) => {
  const { initiator, responder, a, b } = await pair(t);
  t.equal(initiator.peerUserId, 'bob@example.com');
  t.equal(responder.peerUserId, 'alice@example.com');
  t.equal(initiator.exporter, responder.exporter, 'both ends report the same exporter');
  const got = new Promise<{ from: string; text: string }>((resolve) => responder.once('message', resolve));
  await initiator.sendAndConfirm('hello bob');
  t.match(await got, { from: 'alice@example.com', text: 'hello bob' });
  const [mine, theirs] = await Promise.all([initiator.close(), responder.closed]);
  t.equal(mine.how, 'clean');
  t.equal(theirs.how, 'clean');
  const names = a.events.map((e) => e.event);
  for (const n of ['handshake_started', 'parameters_negotiated', 'peer_verified', 'exporter', 'connected', 'closed']) t.ok(names.includes(n as never), `alice reported ${n}`);
  t.ok(b.events.some((e) => e.event === 'message_received' && e.from === 'alice@example.com'), 'bob reported the message with the verified sender');
});

t.test('a transport end without close_notify is truncation', async (t) => {
  const { initiator, responder } = await pair(t);
  initiator.abort();
  const info = await responder.closed;
  t.equal(info.how, 'truncated');
});

t.test('a frame over the limit before the handshake gets record_overflow', async (t) => {
  const b = agent('bob@example.com');
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  t.teardown(() => b.ua.close());
  const socket = net.connect({ host: '::1', port });
  const alert = readAlert(socket);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1048576 + 1, 0);
  header[4] = FrameType.Plaintext;
  socket.write(header);
  t.equal(await alert, 'record_overflow');
  socket.destroy();
});

t.test('handshake timeout sends handshake_timeout', async (t) => {
  const b = agent('bob@example.com', { handshakeTimeoutMs: 50 });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  t.teardown(() => b.ua.close());
  const socket = net.connect({ host: '::1', port });
  t.equal(await readAlert(socket), 'handshake_timeout');
  socket.destroy();
  void encodeFrame;
});

t.test('idle timeout: close_notify, answered, clean on both sides', async (t) => {
  const { initiator, responder } = await pair(t, { idleTimeoutMs: 50 });
  const [mine, theirs] = await Promise.all([initiator.closed, responder.closed]);
  t.match(mine, { how: 'clean' });
  t.match(theirs, { how: 'clean', by: 'peer' });
});

t.test('close() towards a peer that never answers close_notify ends as truncated after the close timeout', async (t) => {
  const a = agent('alice@example.com', { closeTimeoutMs: 50 });
  const b = agent('bob@example.com');
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  // A relay that, once told to, swallows everything from bob, his FIN included.
  let silenceBob = false;
  const relay = net.createServer((client) => {
    const upstream = net.connect({ host: '::1', port });
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (!silenceBob) client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => undefined);
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => relay.listen(0, '::1', () => resolve()));
  t.teardown(async () => {
    await a.ua.close();
    await b.ua.close();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  });
  const initiator = await a.ua.connectTo({ address: '::1', port: (relay.address() as net.AddressInfo).port, peerUserId: 'bob@example.com' });
  silenceBob = true;
  const info = await initiator.close();
  t.equal(info.how, 'truncated', 'no close_notify came back: not a clean end');
});
