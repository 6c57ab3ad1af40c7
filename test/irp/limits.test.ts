// The stub under hostile load (docs/spec.md 14.15, issue 13 §3): handshake deadline (IRP-LIM-1),
// connection caps (IRP-LIM-2), partial-frame deadline (IRP-LIM-3), login limits across user IDs
// and per address (IRP-LOGIN-5, IRP-LOGIN-6), enrolments per account (IRP-ENROLL-6).
//
// Bounded: a few dozen loopback connections, limits set to fractions of a second; every wait is
// on an event, with a generous bound so that a regression fails instead of hanging. No speed is
// asserted: the figures are the bench's (npm run bench, docs/performance.md).
import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import { createCsr } from '../../src/pki/csr.js';
import { encodeFrame, FrameDecoder, FrameType } from '../../src/protocol/frame.js';
import { decodeIrpResponse, encodeIrp, type IrpResponse } from '../../src/protocol/irp-messages.js';
import type { IrpEvent } from '../../src/irp/config.js';
import { PasswordChecker } from '../../src/irp/password-check.js';
import type { IrpServer } from '../../src/irp/server.js';
import { connect, PASSWORDS, startStub } from './fixtures.js';

/** Resolves when the socket closes, or rejects after `ms` (a bound against hanging, not a speed check). */
function closedWithin(socket: net.Socket, ms: number, what: string): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The client side sees a close before the stub has run its own close handlers: let them run (bounded). */
async function settled(server: IrpServer): Promise<void> {
  for (let i = 0; i < 1000 && server.connectionCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

function rawConnect(server: IrpServer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

function tlsConnect(server: IrpServer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.rootCertificatePem, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

function events(t: Test): { list: IrpEvent[]; onEvent: (e: IrpEvent) => void } {
  const list: IrpEvent[] = [];
  return { list, onEvent: (e) => list.push(e) };
}

t.test('IRP-LIM-1: TCP connections that never send a TLS hello are closed at the deadline', async (t) => {
  const seen = events(t);
  const server = await startStub(t, { limits: { handshakeTimeoutMs: 300, maxConnectionsPerAddress: 100 }, onEvent: seen.onEvent });
  const sockets = await Promise.all(Array.from({ length: 20 }, () => rawConnect(server)));
  await Promise.all(sockets.map((s, i) => closedWithin(s, 10_000, `silent connection ${i}`)));
  await settled(server);
  t.equal(server.connectionCount, 0, 'none held after the deadline');
  t.equal(seen.list.filter((e) => e.event === 'refused' && e.limit === 'handshakeTimeoutMs').length, 20, 'each reported with its limit');
});

t.test('IRP-LIM-1: a hello begun and never finished is closed at the same deadline, bytes or not', async (t) => {
  const server = await startStub(t, { limits: { handshakeTimeoutMs: 300 } });
  const socket = await rawConnect(server);
  // A TLS handshake record header announcing 512 bytes, then a byte now and then: never complete.
  socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
  const drip = setInterval(() => socket.write(Buffer.from([0x01])), 50);
  t.teardown(() => clearInterval(drip));
  await closedWithin(socket, 10_000, 'a connection trickling its TLS hello');
  clearInterval(drip);
  await settled(server);
  t.equal(server.connectionCount, 0);
});

t.test('IRP-LIM-2: past the cap, a new connection is closed before TLS; a freed slot is used again', async (t) => {
  const seen = events(t);
  const server = await startStub(t, { limits: { maxConnections: 5, maxConnectionsPerAddress: 100 }, onEvent: seen.onEvent });
  const held = await Promise.all(Array.from({ length: 5 }, () => tlsConnect(server)));
  const extra = await rawConnect(server);
  await closedWithin(extra, 10_000, 'the connection past the cap');
  t.match(seen.list.filter((e) => e.event === 'refused'), [{ limit: 'maxConnections' }], 'refused with its limit');
  t.equal(server.connectionCount, 5);
  await Promise.all(held.map((s) => s.end()));
  await Promise.all(held.map((s) => closedWithin(s, 10_000, 'closing a held connection')));
  await settled(server);
  const client = await connect(t, server);
  t.ok((await client.capabilities()).versions.includes(1), 'a connection after the others closed is served');
});

t.test('IRP-LIM-2: the cap per client address', async (t) => {
  const seen = events(t);
  const server = await startStub(t, { limits: { maxConnections: 100, maxConnectionsPerAddress: 3 }, onEvent: seen.onEvent });
  const held = await Promise.all(Array.from({ length: 3 }, () => tlsConnect(server)));
  t.teardown(() => held.forEach((s) => s.destroy()));
  const extra = await rawConnect(server);
  await closedWithin(extra, 10_000, 'the fourth connection from one address');
  t.match(seen.list.filter((e) => e.event === 'refused'), [{ limit: 'maxConnectionsPerAddress' }]);
});

t.test('IRP-LIM-3: a frame trickled one byte at a time is cut at its deadline, though the idle timer never fires', async (t) => {
  const server = await startStub(t, { limits: { frameTimeoutMs: 400, idleTimeoutMs: 300_000 } });
  const socket = await tlsConnect(server);
  const frame = encodeFrame(FrameType.Plaintext, encodeIrp({ kind: 'CapabilitiesRequest', id: 'c1' }));
  const decoder = new FrameDecoder();
  const answers: IrpResponse[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) answers.push(decodeIrpResponse(f.payload) as IrpResponse);
  });
  let sent = 0;
  const trickle = setInterval(() => {
    if (sent < frame.length - 1 && !socket.destroyed) socket.write(frame.subarray(sent, ++sent));
  }, 50);
  t.teardown(() => clearInterval(trickle));
  await closedWithin(socket, 10_000, 'a trickling connection');
  clearInterval(trickle);
  t.ok(sent < frame.length, 'the frame was never completed');
  t.match(answers, [{ kind: 'Error', code: 'bad_request', id: undefined }], 'answered like a frame fault (IRP-FRAME-1), then closed');
});

t.test('IRP-LIM-3: a complete frame stops the deadline; the next frame gets its own', async (t) => {
  const server = await startStub(t, { limits: { frameTimeoutMs: 300 } });
  const client = await connect(t, server);
  for (let i = 0; i < 3; i++) {
    t.ok((await client.capabilities()).versions.includes(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.equal(client.connectionsOpened, 1, 'complete frames spaced beyond the deadline keep the connection');
});

t.test('IRP-LOGIN-5: failures from one address across user IDs rate-limit that address, even for a right password', async (t) => {
  let now = 1_000_000;
  const server = await startStub(t, { now: () => now, limits: { loginFailuresPerAddress: 6, loginFailuresPerUser: 5 } });
  const client = await connect(t, server);
  for (let i = 0; i < 6; i++) await t.rejects(client.login(`nobody${i}@example.com`, 'guess'), { code: 'unauthenticated' }, `unknown user ${i}`);
  await t.rejects(client.login('alice@example.com', PASSWORDS['alice@example.com']!), { code: 'rate_limited' }, 'the address is limited');
  now += 60_001;
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  t.pass('allowed again once the window has passed');
});

t.test('IRP-LOGIN-2: an unknown user costs no scrypt and is answered like a wrong password', async (t) => {
  const server = await startStub(t);
  const client = await connect(t, server);
  const checker = server.registry.passwordChecker;
  const before = checker.hashes;
  const unknown = await client.login('nobody@example.com', 'guess').then(() => undefined, (e: Error) => e);
  t.equal(checker.hashes, before, 'no scrypt for an unknown user');
  const wrong = await client.login('bob@example.com', 'guess').then(() => undefined, (e: Error) => e);
  t.equal(checker.hashes, before + 1, 'one scrypt for a known user');
  t.match(unknown, { code: 'unauthenticated' });
  t.equal(unknown?.message, wrong?.message, 'the same code and text');
});

t.test('IRP-LOGIN-6: checks beyond the registry-wide bound are refused without work', async (t) => {
  const release: Array<() => void> = [];
  const checker = new PasswordChecker({
    maxPending: 3,
    concurrency: 1,
    hasher: () => new Promise((resolve) => release.push(() => resolve(Buffer.alloc(32)))),
  });
  const stored = { salt: Buffer.alloc(16), hash: Buffer.alloc(32, 1) };
  const running = [checker.check('a', stored), checker.check('b', stored), checker.check('c', stored)];
  t.equal(await checker.check('d', stored), 'busy', 'the fourth is refused at once');
  t.equal(checker.pending, 3);
  // One check at a time (concurrency 1): let each finish in turn.
  for (let done = 0; done < 3; ) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = release.shift();
    if (next) {
      next();
      done++;
    }
  }
  t.same(await Promise.all(running), ['mismatch', 'mismatch', 'mismatch']);
  t.equal(checker.pending, 0);
});

t.test('IRP-LOGIN-5/6 under load: a flood of unknown user IDs does not starve another client', async (t) => {
  const server = await startStub(t);
  const flooder = await connect(t, server);
  const flood = Array.from({ length: 500 }, (_, i) => flooder.login(`nobody${i}@example.com`, 'guess').then(() => 'ok', (e: { code: string }) => e.code));
  const other = await connect(t, server);
  t.ok((await other.capabilities()).versions.includes(1), 'another client is answered during the flood');
  const outcomes = await Promise.all(flood);
  t.equal(outcomes.filter((o) => o === 'unauthenticated').length, 20, 'twenty failures from the address (IRP-LOGIN-5 default) ...');
  t.equal(outcomes.filter((o) => o === 'rate_limited').length, 480, '... then rate_limited without any check');
});

t.test('IRP-ENROLL-6: enrolments per account are bounded', async (t) => {
  const server = await startStub(t, { limits: { maxCertificatesPerAccount: 2 } });
  const client = await connect(t, server);
  await client.login('carol@example.com', PASSWORDS['carol@example.com']!);
  const csr = (): Buffer => createCsr(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, 'carol@example.com');
  await client.enroll(csr());
  await client.enroll(csr());
  await t.rejects(client.enroll(csr()), { code: 'conflict' }, 'the third is refused');
  await client.login('alice@example.com', PASSWORDS['alice@example.com']!);
  t.ok((await client.enroll(createCsr(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, 'alice@example.com'))).length > 0, 'other accounts are not affected');
});

t.test('limits are checked when the stub starts', async (t) => {
  await t.rejects(startStub(t, { limits: { maxConnections: 0 } }), { name: 'ConfigError', message: /maxConnections/ });
  await t.rejects(startStub(t, { limits: { frameTimeoutMs: 1.5 } }), { name: 'ConfigError', message: /frameTimeoutMs/ });
});


t.test('IRP-LIM-3: a client that never reads is not kept once the stub has ended the connection', async (t) => {
  const server = await startStub(t, { limits: { frameTimeoutMs: 200 } });
  const socket = await tlsConnect(server);
  t.teardown(() => socket.destroy());
  socket.pause(); // never reads the stub's Error or its close_notify, never closes its side
  socket.write(Buffer.from([0x00, 0x00, 0x01, 0x00, 0x01]));
  for (let i = 0; i < 2000 && server.connectionCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(server.connectionCount, 0, 'the stub destroyed it after its grace period');
});

t.test('the event loop turns every few ms of work: a connection with many requests queued does not hold up another', async (t) => {
  // Every answer costs 5 ms of CPU (the slow lie with a busy "sleep"): a chain of 100 answers
  // processed without yielding would hold the stub for 0.5 s, and another client would wait.
  const server = await startStub(t, {
    sleep: async (ms) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    },
  });
  const other = await connect(t, server);
  const flooder = await tlsConnect(server);
  t.teardown(() => flooder.destroy());
  const decoder = new FrameDecoder();
  let floodAnswers = 0;
  flooder.on('data', (chunk: Buffer) => (floodAnswers += decoder.push(chunk).length));
  server.setLies({ slowMs: 5 });
  const frames = Array.from({ length: 100 }, (_, i) => encodeFrame(FrameType.Plaintext, encodeIrp({ kind: 'CapabilitiesRequest', id: `f${i}` })));
  flooder.write(Buffer.concat(frames)); // one write: the stub reads the 100 requests at once
  await new Promise((resolve) => setTimeout(resolve, 20));
  await other.capabilities();
  t.ok(floodAnswers < 100, `the other client was answered while the flood was still being served (${floodAnswers} of 100 flood answers had arrived)`);
  while (floodAnswers < 100) await new Promise((resolve) => setTimeout(resolve, 10));
});
