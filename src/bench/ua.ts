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

export interface UaBenchResult {
  handshakesPerSecond: number;
  tlsHandshakesPerSecond: number;
  messagesPerSecond: number;
  bulkMegabytesPerSecond: number;
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

async function timed(durationMs: number, once: () => Promise<void>): Promise<number> {
  // Warm-up: JIT, the validator's caches, the status cache.
  for (let i = 0; i < 20; i += 1) await once();
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    await once();
    count += 1;
  }
  return count / ((performance.now() - start) / 1000);
}

async function benchE2edHandshakes(pki: TestPki, durationMs: number): Promise<number> {
  const { alice, bob, bobPort } = await uaPair(pki);
  const accepted: UaConnection[] = [];
  bob.onConnection((c) => accepted.push(c));
  const bobChain = pki.user('bob@example.com').chain;
  const rate = await timed(durationMs, async () => {
    const conn = await alice.connectTo({ address: '127.0.0.1', port: bobPort, peerUserId: 'bob@example.com', peerCertificates: bobChain });
    const responder = accepted.shift();
    if (!responder) throw new Error('the responder did not report the connection');
    await responder.established;
    conn.abort();
    await Promise.all([conn.closed, responder.closed]);
  });
  await alice.close();
  await bob.close();
  return rate;
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
      ...common,
      key: user.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: pem(user.chain),
      ca,
      servername: 'localhost',
      rejectUnauthorized: true,
    },
  };
}

async function listenTls(server: tls.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

async function benchTlsHandshakes(pki: TestPki, durationMs: number): Promise<number> {
  const opts = tlsOptions(pki);
  const waiting: Array<(s: tls.TLSSocket) => void> = [];
  const server = tls.createServer(opts.server, (s) => {
    s.on('error', () => undefined);
    waiting.shift()?.(s);
  });
  server.on('tlsClientError', (err) => {
    throw err;
  });
  const port = await listenTls(server);
  const rate = await timed(durationMs, async () => {
    const serverSide = new Promise<tls.TLSSocket>((resolve) => waiting.push(resolve));
    const client = tls.connect({ ...opts.client, port, host: '127.0.0.1' });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', () => resolve());
      client.once('error', reject);
    });
    const s = await serverSide;
    if (!s.authorized) throw new Error(`node:tls server did not authorise the client: ${String(s.authorizationError)}`);
    client.destroy();
    s.destroy();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return rate;
}

/** Writes for `durationMs` honouring back-pressure; resolves with bytes/s once the receiver has all of it. */
async function pump(
  durationMs: number,
  chunkBytes: number,
  send: () => void,
  needsDrain: () => boolean,
  drained: () => Promise<void>,
  received: () => number,
  onReceive: (listener: () => void) => void,
): Promise<{ bytesPerSecond: number; chunksPerSecond: number }> {
  let sent = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    send();
    sent += chunkBytes;
    if (needsDrain()) await drained();
  }
  await new Promise<void>((resolve) => {
    if (received() >= sent) resolve();
    else onReceive(() => {
      if (received() >= sent) resolve();
    });
  });
  const seconds = (performance.now() - start) / 1000;
  return { bytesPerSecond: sent / seconds, chunksPerSecond: sent / chunkBytes / seconds };
}

async function benchE2edThroughput(pki: TestPki, durationMs: number, chars: number): Promise<{ bytesPerSecond: number; chunksPerSecond: number }> {
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
  let receivedChars = 0;
  const listeners: Array<() => void> = [];
  responder.on('message', (m: { text: string }) => {
    receivedChars += m.text.length;
    for (const l of listeners) l();
  });
  const text = 'x'.repeat(chars);
  const result = await pump(
    durationMs,
    chars,
    () => void conn.sendText(text),
    () => conn.needsDrain,
    () => conn.drained(),
    () => receivedChars,
    (l) => listeners.push(l),
  );
  await conn.close();
  await alice.close();
  await bob.close();
  return result;
}

async function benchTlsBulk(pki: TestPki, durationMs: number, chunkBytes: number): Promise<number> {
  const opts = tlsOptions(pki);
  let receivedBytes = 0;
  const listeners: Array<() => void> = [];
  const server = tls.createServer(opts.server, (s) => {
    s.on('data', (d: Buffer) => {
      receivedBytes += d.length;
      for (const l of listeners) l();
    });
    s.on('error', () => undefined);
  });
  const port = await listenTls(server);
  const client = tls.connect({ ...opts.client, port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
  const chunk = Buffer.alloc(chunkBytes, 0x78);
  const result = await pump(
    durationMs,
    chunkBytes,
    () => void client.write(chunk),
    () => client.writableNeedDrain,
    () => new Promise<void>((resolve) => client.once('drain', () => resolve())),
    () => receivedBytes,
    (l) => listeners.push(l),
  );
  client.destroy();
  server.close();
  return result.bytesPerSecond;
}

export async function benchUa(opts: UaBenchOptions = {}): Promise<UaBenchResult> {
  const durationMs = opts.durationMs ?? 3000;
  const log = opts.log ?? (() => undefined);
  const pki = createTestPki({ seed: 'sixbench ua bench', users: ['alice@example.com', 'bob@example.com'], keyType: 'p256' });
  log('E2ED handshakes');
  const handshakesPerSecond = await benchE2edHandshakes(pki, durationMs);
  log('node:tls handshakes');
  const tlsHandshakesPerSecond = await benchTlsHandshakes(pki, durationMs);
  log('E2ED 1 KiB Messages');
  const small = await benchE2edThroughput(pki, durationMs, SMALL_MESSAGE_CHARS);
  log('E2ED bulk');
  const bulk = await benchE2edThroughput(pki, durationMs, BULK_MESSAGE_CHARS);
  log('node:tls bulk');
  const tlsBulk = await benchTlsBulk(pki, durationMs, BULK_MESSAGE_CHARS);
  return {
    handshakesPerSecond,
    tlsHandshakesPerSecond,
    messagesPerSecond: small.chunksPerSecond,
    bulkMegabytesPerSecond: bulk.bytesPerSecond / MB,
    tlsBulkMegabytesPerSecond: tlsBulk / MB,
    bulkRecordBytes: BULK_MESSAGE_CHARS,
    cipher: 'AES-256-GCM',
  };
}
