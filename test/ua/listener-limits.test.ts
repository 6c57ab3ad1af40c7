// The listener under hostile input (issue 13 section 2): lengths refused from the first bytes
// (E2ED-FRAME-3), input held per connection bounded while a status is fetched (E2ED-LIM-7),
// limits on simultaneous connections and handshakes (E2ED-LIM-8), no registry request for a chain
// that does not reach a trust anchor (E2ED-LIM-9), and the idle timer on a fake clock (E2ED-LIM-5).
// Loopback only; every wait is bounded by an event or a short timer.
import t, { type Test } from 'tap';
import net from 'node:net';
import { probeHello } from '../../src/bench/listener.js';
import { createTestPki } from '../../src/pki/ca.js';
import { encodeFrame, FrameDecoder, FrameType } from '../../src/protocol/frame.js';
import { decodeE2ed } from '../../src/protocol/messages.js';
import { HandshakeFailedError, UserAgent, type PeerDirectory, type UaConnection, type UaTimer, type UaTimers, type UserAgentOptions } from '../../src/ua/agent.js';
import type { UaEvent } from '../../src/ua/events.js';

const pki = createTestPki({ seed: 'ua listener limits', users: ['alice@example.com', 'bob@example.com'] });
// The same user IDs under a CA the listener does not trust.
const foreign = createTestPki({ seed: 'ua listener limits, foreign CA', users: ['alice@example.com'] });

/** A directory that counts status requests and answers "good" once `release` is called (at once by default). */
function countingDirectory(opts: { hold?: boolean } = {}): PeerDirectory & { requests: number; release(): void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  if (!opts.hold) release();
  const dir = {
    requests: 0,
    release: () => release(),
    lookup: async (userId: string) => {
      throw new Error(`no address for ${userId}`);
    },
    isRevoked: async () => {
      dir.requests += 1;
      await released;
      return false;
    },
  };
  return dir;
}

function bob(t: Test, extra: Partial<UserAgentOptions> = {}): { ua: UserAgent; events: UaEvent[] } {
  const u = pki.user('bob@example.com');
  const events: UaEvent[] = [];
  const ua = new UserAgent({
    identity: { userId: u.userId, privateKey: u.privateKey, chain: u.chain, trustAnchors: pki.anchors },
    directory: countingDirectory(),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  t.teardown(() => ua.close());
  return { ua, events };
}

function alice(t: Test, extra: Partial<UserAgentOptions> = {}): UserAgent {
  const u = pki.user('alice@example.com');
  const ua = new UserAgent({
    identity: { userId: u.userId, privateKey: u.privateKey, chain: u.chain, trustAnchors: pki.anchors },
    directory: countingDirectory(),
    ...extra,
  });
  t.teardown(() => ua.close());
  return ua;
}

/** The Hello_I a correct initiator with this chain sends to bob (the bench's probe builds the same). */
const helloI = probeHello;

/** A raw TCP client: the first plaintext frame the listener sends, decoded (Alert or Hello), or 'closed'. */
async function rawClient(t: Test, port: number): Promise<{ socket: net.Socket; firstReply: Promise<string> }> {
  const socket = net.connect({ host: '::1', port });
  socket.on('error', () => undefined);
  t.teardown(() => void socket.destroy());
  const decoder = new FrameDecoder();
  const firstReply = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        if (f.type !== FrameType.Plaintext) continue;
        const m = decodeE2ed(f.payload);
        resolve(m.kind === 'Alert' ? m.code : m.kind);
      }
    });
    socket.on('close', () => resolve('closed'));
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, firstReply };
}

function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

t.test('a length prefix over the limit gets record_overflow at once, not the handshake timer (E2ED-FRAME-3)', async (t) => {
  // The listener has a directory, so it holds the first frame back to fetch a status: that path
  // waited for 5 bytes before looking at the length.
  const b = bob(t, { handshakeTimeoutMs: 3000 });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  for (const prefix of ['ffffffff', 'ff', '0011']) {
    const c = await rawClient(t, port);
    c.socket.write(Buffer.from(prefix, 'hex'));
    t.equal(await c.firstReply, 'record_overflow', `prefix ${prefix}, then silence`);
  }
});

t.test('while a status is fetched, input is read no further than the first frame (E2ED-LIM-7)', async (t) => {
  const directory = countingDirectory({ hold: true });
  const maxFrameLength = 64 * 1024;
  const b = bob(t, { directory, maxFrameLength });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const accepted = new Promise<UaConnection>((resolve) => b.ua.onConnection(resolve));
  const c = await rawClient(t, port);
  c.socket.write(helloI(pki));
  const conn = await accepted;
  await until(() => directory.requests === 1, 'the status request');
  // Then 16 MiB of records, as fast as the socket takes them, for at most 2 s or until it stalls.
  const record = encodeFrame(FrameType.Record, Buffer.alloc(maxFrameLength - 1));
  let sent = 0;
  const deadline = Date.now() + 2000;
  while (sent < 16 * 1024 * 1024 && Date.now() < deadline) {
    sent += record.length;
    if (!c.socket.write(record)) {
      const drained = await Promise.race([new Promise((r) => c.socket.once('drain', () => r(true))), new Promise((r) => setTimeout(() => r(false), 300))]);
      if (!drained) break;
    }
  }
  t.ok(conn.heldInputBytes <= maxFrameLength + 64 * 1024, `held ${conn.heldInputBytes} bytes after ${sent} sent (bound: a frame and one read)`);
  // Once the status is known the held bytes go to the engine: Hello_R, then unexpected_message
  // for a record before the handshake (E2ED-REC-5); nothing is lost or reordered on the way.
  directory.release();
  t.equal(await c.firstReply, 'ResponderHello');
  const closed = await conn.closed;
  t.match(closed, { alert: 'unexpected_message', by: 'local' });
});

t.test('no status request for a chain that does not reach a trust anchor (E2ED-LIM-9)', async (t) => {
  const directory = countingDirectory();
  const b = bob(t, { directory });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const foreignUser = foreign.user('alice@example.com');
  for (const [what, hello] of [
    ['a chain from a CA bob does not trust', helloI(foreign)],
    ['that leaf alone', helloI(foreign, [foreignUser.chain[0]!])],
    ['a self-signed root as the leaf', helloI(foreign, [foreign.anchors[0]!])],
  ] as const) {
    const c = await rawClient(t, port);
    c.socket.write(hello);
    const reply = await c.firstReply;
    t.not(reply, 'ResponderHello', `${what}: refused (${reply})`);
    t.equal(directory.requests, 0, `${what}: the registry was not asked`);
  }
  const c = await rawClient(t, port);
  c.socket.write(helloI(pki));
  t.equal(await c.firstReply, 'ResponderHello', 'a chain bob trusts is answered');
  t.equal(directory.requests, 1, 'after one status request');
});

t.test('past maxHandshakes, new connections are closed unread, and accepted again once one ends (E2ED-LIM-8)', async (t) => {
  const b = bob(t, { maxHandshakes: 3 });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(await rawClient(t, port));
  await until(() => b.ua.incomingCounts.handshakes === 3, 'three handshakes');
  const refused = [await rawClient(t, port), await rawClient(t, port)];
  for (const r of refused) t.equal(await r.firstReply, 'closed', 'the fourth and fifth are closed without an alert');
  t.same(b.ua.incomingCounts, { connections: 3, handshakes: 3 });
  t.same(
    b.events.filter((e) => e.event === 'connection_refused').map((e) => ({ ...e, remote: undefined })),
    [1, 2].map(() => ({ event: 'connection_refused', limit: 'handshakes', max: 3, remote: undefined })),
  );
  clients[0]!.socket.destroy();
  await until(() => b.ua.incomingCounts.handshakes === 2, 'one handshake to end');
  const again = await rawClient(t, port);
  again.socket.write(helloI(pki));
  t.equal(await again.firstReply, 'ResponderHello', 'a new connection is served');
});

t.test('past maxConnections an initiator sees a failed handshake; Connected ones do not count as handshakes (E2ED-LIM-8)', async (t) => {
  const b = bob(t, { maxConnections: 2, maxHandshakes: 1 });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const a = alice(t);
  const target = { address: '::1', port, peerUserId: 'bob@example.com', peerCertificates: pki.user('bob@example.com').chain };
  await a.connectTo(target);
  await a.connectTo(target);
  await until(() => b.ua.incomingCounts.connections === 2 && b.ua.incomingCounts.handshakes === 0, 'two established');
  const third = await a.connectTo(target).then(
    () => 'connected',
    (err: unknown) => err,
  );
  t.type(third, HandshakeFailedError);
  t.match((third as HandshakeFailedError).info, { how: 'transport-error' });
  t.match(b.events.filter((e) => e.event === 'connection_refused'), [{ limit: 'connections', max: 2 }]);
});

/** A clock the test moves by hand: timers fire only in advance(). */
class FakeTimers implements UaTimers {
  now = 0;
  private readonly pending = new Set<{ due: number; ms: number; callback: () => void }>();
  setTimeout(callback: () => void, ms: number): UaTimer {
    const timer = { due: this.now + ms, ms, callback };
    this.pending.add(timer);
    return Object.assign(timer, {
      refresh: () => {
        timer.due = this.now + ms;
        this.pending.add(timer);
      },
    });
  }
  clearTimeout(timer: UaTimer | undefined): void {
    this.pending.delete(timer as never);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const timer of [...this.pending].sort((x, y) => x.due - y.due)) {
      if (timer.due > this.now) continue;
      this.pending.delete(timer);
      timer.callback();
    }
  }
}

t.test('idle timer: 300 s without a received frame, counted from the last one, then close_notify (E2ED-LIM-5)', async (t) => {
  const clock = new FakeTimers();
  const b = bob(t, { timers: clock }); // the default idle timeout: 300 s
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const accepted = new Promise<UaConnection>((resolve) => b.ua.onConnection(resolve));
  const a = alice(t);
  const initiator = await a.connectTo({ address: '::1', port, peerUserId: 'bob@example.com', peerCertificates: pki.user('bob@example.com').chain });
  const responder = await accepted;
  await responder.established;
  const closeNotifySent = (): boolean => b.events.some((e) => e.event === 'alert_sent' && e.alert === 'close_notify');
  clock.advance(299_999);
  t.notOk(closeNotifySent(), 'nothing sent 1 ms before 300 s');
  const got = new Promise((resolve) => responder.once('message', resolve));
  initiator.sendText('still here');
  await got;
  clock.advance(299_999);
  t.notOk(closeNotifySent(), 'a received frame starts the 300 s again');
  // Our own sending is not receiving: a Message sent does not restart the timer. (Its Receipt
  // would, so the peer is made unable to answer first: alice stops reading.)
  (initiator as unknown as { socket: net.Socket }).socket.pause();
  responder.sendText('into the void');
  clock.advance(1);
  t.ok(closeNotifySent(), '300 s after the last received frame: close_notify sent');
  if (!closeNotifySent()) return; // the teardown closes both ends
  (initiator as unknown as { socket: net.Socket }).socket.resume();
  t.match(await initiator.closed, { how: 'clean', by: 'peer' }, 'the peer got close_notify and answered');
  t.match(await responder.closed, { how: 'clean' });
});

t.test('a closed connection does not linger: a peer that keeps it open loses it after closeTimeoutMs (E2ED-LIM-8)', async (t) => {
  // A closed connection no longer counts against the limits; before this, one whose peer never
  // sent its FIN stayed open for ever, engine and partial frame included.
  const b = bob(t, { handshakeTimeoutMs: 50, closeTimeoutMs: 200 });
  const { port } = await b.ua.listen({ port: 0, host: '::1' });
  const socket = net.connect({ host: '::1', port, allowHalfOpen: true });
  socket.on('error', () => undefined);
  t.teardown(() => void socket.destroy());
  let closed = false;
  socket.on('close', () => (closed = true));
  let ended = false;
  socket.on('end', () => (ended = true));
  socket.resume();
  await until(() => ended, 'the handshake_timeout and FIN');
  t.equal(b.ua.incomingCounts.connections, 0, 'no longer counted');
  // Half-open from here: the peer keeps writing and never closes.
  const drip = setInterval(() => socket.write(Buffer.from([0x00])), 20);
  t.teardown(() => clearInterval(drip));
  await until(() => closed, 'the listener to drop the connection', 3000).catch(() => undefined);
  t.ok(closed, 'dropped after closeTimeoutMs');
});
