// Reference-UA benchmarks beside node:tls (TLS 1.3), both ends in one process over loopback,
// with the same key types (ECDSA P-256 certificates from the test PKI, x25519 key exchange,
// AES-256-GCM). Reported by src/bench/main.ts; docs/performance.md explains the method.
//
// Every figure is sequential and client-driven so the two protocols do the same work:
// - handshakes: connect, both sides complete (E2ED: both Finished verified, both chains validated
//   with validateChain; TLS: 'secureConnect' and 'secureConnection' with requestCert and
//   rejectUnauthorized), then the TCP connection is destroyed; no session resumption.
// - throughput: one connection, the sender writes for a fixed time honouring back-pressure; the
//   rate is what the receiver got divided by the time until it got the last byte.
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { createTestPki, type TestPki, type TestUser } from '../pki/ca.js';
import { UserAgent, type PeerDirectory, type UaConnection } from '../ua/agent.js';
import { FrameDecoder } from '../protocol/frame.js';
import { decodeE2ed, encodeE2ed } from '../protocol/messages.js';
import { openRecord, sealRecord } from '../protocol/record.js';
import { aeadFloorStream } from './aead-floor.js';
import { interleaved, pumpFor, repeatFor, socketPumpSubject, type Subject } from './harness.js';

export interface UaBenchResult {
  handshakesPerSecond: number;
  tlsHandshakesPerSecond: number;
  messagesPerSecond: number;
  bulkMegabytesPerSecond: number;
  /** The floor under the bulk figure (src/bench/aead-floor.ts): node:crypto AEAD records and Receipt-sized records back, nothing else. */
  aeadFloorMegabytesPerSecond: number;
  /** The floor plus the text work no E2ED implementation can skip (UTF-8 both ways, both character checks). */
  aeadFloorWithTextMegabytesPerSecond: number;
  tlsBulkMegabytesPerSecond: number;
  bulkRecordBytes: number;
  cipher: string;
}

export interface UaBenchOptions {
  /** Measuring time per figure (default 3000 ms). */
  durationMs?: number;
  log?: (line: string) => void;
}

const BULK_MESSAGE_CHARS = 64 * 1024 - 1024; // under the 65536-character Message text limit
const SMALL_MESSAGE_CHARS = 1024;
const MB = 1024 * 1024;

function pem(ders: readonly Buffer[]): string {
  return ders.map((d) => new X509Certificate(d).toString()).join('');
}

/** A directory that knows the two bench users and says "good" for every status (no IRP round trip). */
function staticDirectory(users: TestUser[]): PeerDirectory {
  return {
    lookup: async (userId) => {
      throw new Error(`the bench directory has no address for ${userId} (users: ${users.map((u) => u.userId).join(', ')})`);
    },
    isRevoked: async () => false,
  };
}

async function uaPair(pki: TestPki): Promise<{ alice: UserAgent; bob: UserAgent; bobPort: number }> {
  const [aliceUser, bobUser] = [pki.user('alice@example.com'), pki.user('bob@example.com')];
  const common = {
    directory: staticDirectory(pki.users),
    methods: ['x25519'],
    ciphers: ['AES-256-GCM'],
  };
  const alice = new UserAgent({
    identity: { userId: aliceUser.userId, privateKey: aliceUser.privateKey, chain: aliceUser.chain, trustAnchors: pki.anchors },
    ...common,
  });
  const bob = new UserAgent({
    identity: { userId: bobUser.userId, privateKey: bobUser.privateKey, chain: bobUser.chain, trustAnchors: pki.anchors },
    ...common,
  });
  const { port } = await bob.listen({ port: 0, host: '127.0.0.1' });
  return { alice, bob, bobPort: port };
}

export async function e2edHandshakes(pki: TestPki): Promise<Subject> {
  const { alice, bob, bobPort } = await uaPair(pki);
  const accepted: UaConnection[] = [];
  bob.onConnection((c) => accepted.push(c));
  const bobChain = pki.user('bob@example.com').chain;
  return {
    runFor: (ms) =>
      repeatFor(ms, async () => {
        const conn = await alice.connectTo({ address: '127.0.0.1', port: bobPort, peerUserId: 'bob@example.com', peerCertificates: bobChain });
        const responder = accepted.shift();
        if (!responder) throw new Error('the responder did not report the connection');
        await responder.established;
        conn.abort();
        await Promise.all([conn.closed, responder.closed]);
      }),
    close: async () => {
      await alice.close();
      await bob.close();
    },
  };
}

function tlsOptions(pki: TestPki): { server: tls.TlsOptions; client: tls.ConnectionOptions } {
  const user = pki.user('alice@example.com');
  const ca = pem(pki.anchors);
  const common = { minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const, ecdhCurve: 'X25519', ciphersuites: 'TLS_AES_256_GCM_SHA384' };
  return {
    server: {
      ...common,
      key: pki.irpTls.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: pem(pki.irpTls.chain),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    client: {
      // One SecureContext for every connection, as a real client keeps one: key, chain and
      // trust store are parsed once, like the UA's KeyObject and DER buffers.
      secureContext: tls.createSecureContext({
        ...common,
        key: user.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        cert: pem(user.chain),
        ca,
      }),
      ...common,
      servername: 'localhost',
      rejectUnauthorized: true,
    },
  };
}

async function listenTls(server: tls.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

async function tlsHandshakes(pki: TestPki): Promise<Subject> {
  const opts = tlsOptions(pki);
  const waiting: Array<(s: tls.TLSSocket) => void> = [];
  const server = tls.createServer(opts.server, (s) => {
    s.on('error', () => undefined);
    waiting.shift()?.(s);
  });
  const port = await listenTls(server);
  return {
    runFor: (ms) =>
      repeatFor(ms, async () => {
        const serverSide = new Promise<tls.TLSSocket>((resolve) => waiting.push(resolve));
        const client = tls.connect({ ...opts.client, port, host: '127.0.0.1' });
        await new Promise<void>((resolve, reject) => {
          client.once('secureConnect', () => resolve());
          client.once('error', reject);
        });
        client.on('error', () => undefined);
        const s = await serverSide;
        if (!s.authorized) throw new Error(`node:tls server did not authorise the client: ${String(s.authorizationError)}`);
        client.destroy();
        s.destroy();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One E2ED connection pumping Messages of `chars` characters; units are bytes of text. */
export async function e2edStream(pki: TestPki, chars: number): Promise<Subject> {
  const { alice, bob, bobPort } = await uaPair(pki);
  const accepted = new Promise<UaConnection>((resolve) => bob.onConnection(resolve));
  const conn = await alice.connectTo({
    address: '127.0.0.1',
    port: bobPort,
    peerUserId: 'bob@example.com',
    peerCertificates: pki.user('bob@example.com').chain,
  });
  const responder = await accepted;
  await responder.established;
  const received = { count: 0, listeners: [] as Array<() => void> };
  responder.on('message', (m: { text: string }) => {
    received.count += m.text.length;
    for (const l of [...received.listeners]) l();
  });
  const text = 'x'.repeat(chars);
  return {
    runFor: async (ms) => {
      const before = received.count;
      const r = await pumpFor(ms, chars, () => void conn.sendText(text), () => conn.needsDrain, () => conn.drained(), received);
      return { units: received.count - before, seconds: r.seconds };
    },
    close: async () => {
      await conn.close();
      await alice.close();
      await bob.close();
    },
  };
}

/** One node:tls connection pumping `chunkBytes` writes; units are bytes. */
export async function tlsStream(pki: TestPki, chunkBytes: number): Promise<Subject> {
  const opts = tlsOptions(pki);
  const received = { count: 0, listeners: [] as Array<() => void> };
  const server = tls.createServer(opts.server, (s) => {
    s.on('data', (d: Buffer) => {
      received.count += d.length;
      for (const l of [...received.listeners]) l();
    });
    s.on('error', () => undefined);
  });
  const port = await listenTls(server);
  const client = tls.connect({ ...opts.client, port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
  const chunk = Buffer.alloc(chunkBytes, 0x78);
  return socketPumpSubject(client, server, chunkBytes, () => void client.write(chunk), received);
}

export async function benchUa(opts: UaBenchOptions = {}): Promise<UaBenchResult> {
  const durationMs = opts.durationMs ?? 3000;
  const log = opts.log ?? (() => undefined);
  const pki = createTestPki({ seed: 'sixbench ua bench', users: ['alice@example.com', 'bob@example.com'], keyType: 'p256' });
  log('handshakes: E2ED and node:tls, interleaved');
  const [handshakesPerSecond, tlsHandshakesPerSecond] = (await interleaved([await e2edHandshakes(pki), await tlsHandshakes(pki)], durationMs * 2)) as [number, number];
  log('E2ED 1 KiB Messages');
  const small = await e2edStream(pki, SMALL_MESSAGE_CHARS);
  await small.runFor(200);
  const smallRun = await small.runFor(durationMs);
  await small.close();
  log('bulk: E2ED, its record layer alone and node:tls, interleaved');
  const [bulk, aeadFloor, aeadFloorWithText, tlsBulk] = (await interleaved(
    [
      await e2edStream(pki, BULK_MESSAGE_CHARS),
      await aeadFloorStream(BULK_MESSAGE_CHARS),
      await aeadFloorStream(BULK_MESSAGE_CHARS, { text: true }),
      await tlsStream(pki, BULK_MESSAGE_CHARS),
    ],
    durationMs * 4,
  )) as [number, number, number, number];
  return {
    handshakesPerSecond,
    tlsHandshakesPerSecond,
    messagesPerSecond: smallRun.units / SMALL_MESSAGE_CHARS / smallRun.seconds,
    bulkMegabytesPerSecond: bulk / MB,
    aeadFloorMegabytesPerSecond: aeadFloor / MB,
    aeadFloorWithTextMegabytesPerSecond: aeadFloorWithText / MB,
    tlsBulkMegabytesPerSecond: tlsBulk / MB,
    bulkRecordBytes: BULK_MESSAGE_CHARS,
    cipher: 'AES-256-GCM',
  };
}

/** Microseconds per 63 KiB Message for each step of the E2ED data path, one function at a time. */
export interface MessagePathCosts {
  encodeMicros: number;
  decodeMicros: number;
  sealMicros: number;
  openMicros: number;
  framingMicros: number;
}

function microsPerCall(durationMs: number, f: () => void): number {
  for (let i = 0; i < 50; i += 1) f();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    f();
    n += 1;
  }
  return ((performance.now() - start) * 1000) / n;
}

/** Where a bulk Message's time goes (docs/performance.md, "Bulk"). */
export function benchMessagePath(durationMs = 500): MessagePathCosts {
  const msg = { kind: 'Message' as const, id: 'm1', timestamp: '2026-01-01T00:00:00Z', text: 'x'.repeat(BULK_MESSAGE_CHARS) };
  const bytes = encodeE2ed(msg);
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(12, 9);
  const frame = sealRecord('AES-256-GCM', key, iv, 0n, bytes);
  const decoded = new FrameDecoder().push(frame)[0]!;
  const quarter = Math.floor(frame.length / 4);
  return {
    encodeMicros: microsPerCall(durationMs, () => encodeE2ed(msg, { transient: true })), // as the engine sends
    decodeMicros: microsPerCall(durationMs, () => decodeE2ed(bytes)),
    sealMicros: microsPerCall(durationMs, () => sealRecord('AES-256-GCM', key, iv, 0n, bytes)),
    openMicros: microsPerCall(durationMs, () => openRecord('AES-256-GCM', key, iv, 0n, decoded)),
    framingMicros: microsPerCall(durationMs, () => {
      const d = new FrameDecoder();
      for (let i = 0; i < 4; i += 1) d.push(frame.subarray(i * quarter, i === 3 ? frame.length : (i + 1) * quarter));
    }),
  };
}
