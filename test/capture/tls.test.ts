// TLS records read back (src/capture/tls.ts) from real connections OpenSSL made, one per suite
// IRP-TLS-1 allows (test/fixtures/tls/make-fixtures.ts), and the IRP view on top (src/capture/irp.ts).
import t from 'tap';
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hkdfExpandLabel, isNssKeyLog, readTlsConnection, readTlsKeyLog, TlsKeyLogError, tls12Prf, type TlsDirection } from '../../src/capture/tls.js';
import { viewIrpConnection, formatIrpConnection } from '../../src/capture/irp.js';
import type { TcpStream } from '../../src/capture/read.js';

interface Fixture {
  name: string;
  keylog: string;
  clientSent: string;
  serverSent: string;
  events: { from: 'client' | 'server'; kind: string; hex?: string }[];
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = JSON.parse(readFileSync(path.join(HERE, '..', 'fixtures', 'tls', 'tls-connections.json'), 'utf8')) as Fixture[];

type Chunk = { direction: TlsDirection; packet: number; bytes: Buffer };

function chunksOf(f: Fixture): Chunk[] {
  return f.events.flatMap((e, n) => (e.kind === 'data' ? [{ direction: e.from === 'client' ? ('c2s' as const) : ('s2c' as const), packet: n + 1, bytes: Buffer.from(e.hex!, 'hex') }] : []));
}

function sent(chunks: { direction: TlsDirection; bytes: Buffer }[], d: TlsDirection): string {
  return Buffer.concat(chunks.filter((c) => c.direction === d).map((c) => c.bytes)).toString();
}

/** The same key log with every secret's first hex digit changed. */
function wrongSecrets(keylog: string): string {
  return keylog.replace(/ ([0-9a-f]{64}) ([0-9a-f])/g, (_m, r: string, c: string) => ` ${r} ${c === '0' ? '1' : '0'}`);
}

const EXPECTED = {
  'tls13-aes128gcm': ['TLS 1.3', 'TLS_AES_128_GCM_SHA256'],
  'tls13-aes256gcm': ['TLS 1.3', 'TLS_AES_256_GCM_SHA384'],
  'tls13-chacha20': ['TLS 1.3', 'TLS_CHACHA20_POLY1305_SHA256'],
  'tls12-aes128gcm': ['TLS 1.2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  'tls12-aes256gcm': ['TLS 1.2', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  'tls12-chacha20': ['TLS 1.2', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
} as Record<string, [string, string]>;

t.test('RFC 8446 §7.3 traffic key and IV from a traffic secret (RFC 8448 simple 1-RTT, server handshake keys)', async (t) => {
  const secret = Buffer.from('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', 'hex');
  t.equal(hkdfExpandLabel('sha256', secret, 'key', 16).toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  t.equal(hkdfExpandLabel('sha256', secret, 'iv', 12).toString('hex'), '5d313eb2671276ee13000b30');
});

t.test('RFC 5246 PRF: P_SHA256 output is as long as asked and its prefix does not depend on the length', async (t) => {
  const a = tls12Prf('sha256', Buffer.alloc(48, 1), 'key expansion', Buffer.alloc(64, 2), 40);
  const b = tls12Prf('sha256', Buffer.alloc(48, 1), 'key expansion', Buffer.alloc(64, 2), 104);
  t.equal(a.length, 40);
  t.equal(b.length, 104);
  t.same(b.subarray(0, 40), a);
});

for (const f of FIXTURES) {
  t.test(`${f.name}: every protected record of a real connection decrypts, and the application data is what each side sent`, async (t) => {
    const view = readTlsConnection(chunksOf(f), readTlsKeyLog(f.keylog));
    t.same([view.version, view.suite], EXPECTED[f.name]);
    const prot = view.records.filter((r) => r.state !== 'plaintext');
    t.ok(prot.length >= 4, `${prot.length} protected records`);
    t.same(prot.filter((r) => r.state === 'undecrypted').map((r) => r.error), [], 'none left undecrypted');
    t.equal(sent(view.application, 'c2s'), f.clientSent);
    t.equal(sent(view.application, 's2c'), f.serverSent);
    t.ok(view.records.some((r) => r.summary === 'Finished' && r.state === 'decrypted'), 'the Finished messages are read inside the protected records');
  });

  t.test(`${f.name}: one byte at a time gives the same records`, async (t) => {
    const bytewise = chunksOf(f).flatMap((c) => [...c.bytes].map((b) => ({ ...c, bytes: Buffer.from([b]) })));
    const view = readTlsConnection(bytewise, readTlsKeyLog(f.keylog));
    t.equal(sent(view.application, 'c2s'), f.clientSent);
    t.equal(sent(view.application, 's2c'), f.serverSent);
  });

  t.test(`${f.name}: a wrong secret opens nothing and says so for every protected record`, async (t) => {
    const right = readTlsConnection(chunksOf(f), readTlsKeyLog(f.keylog));
    const view = readTlsConnection(chunksOf(f), readTlsKeyLog(wrongSecrets(f.keylog)));
    t.equal(view.records.length, right.records.length, 'no record dropped');
    const prot = view.records.filter((r) => r.state !== 'plaintext');
    t.equal(prot.length, right.records.filter((r) => r.state !== 'plaintext').length);
    t.ok(prot.every((r) => r.state === 'undecrypted' && /tag does not verify/.test(r.error!)), prot.map((r) => r.error).join('; '));
    t.same(view.application, []);
  });

  t.test(`${f.name}: without a key log, or with another connection's, protected records are listed with the reason`, async (t) => {
    const none = readTlsConnection(chunksOf(f));
    const prot = none.records.filter((r) => r.state === 'undecrypted');
    t.ok(prot.length >= 4);
    t.ok(prot.every((r) => r.error === 'no TLS key log given'));
    const other = FIXTURES.find((o) => o.name !== f.name && o.name.slice(0, 5) === f.name.slice(0, 5))!;
    const foreign = readTlsConnection(chunksOf(f), readTlsKeyLog(other.keylog));
    t.ok(foreign.records.filter((r) => r.state === 'undecrypted').every((r) => /the key log has no (CLIENT_RANDOM|\w+_SECRET) for client random/.test(r.error!)));
  });
}

t.test('an altered record fails alone: the records after it still open', async (t) => {
  const f = FIXTURES.find((x) => x.name === 'tls13-chacha20')!;
  const chunks = chunksOf(f);
  const view = readTlsConnection(chunks, readTlsKeyLog(f.keylog));
  const firstApp = view.records.find((r) => r.type === 23 && r.direction === 'c2s')!;
  // Flip the last byte (the tag) of the chunk that completed the client's first application record.
  const altered = chunks.map((c) => (c.packet === firstApp.packet ? { ...c, bytes: Buffer.concat([c.bytes.subarray(0, -1), Buffer.from([c.bytes.at(-1)! ^ 1])]) } : c));
  const broken = readTlsConnection(altered, readTlsKeyLog(f.keylog));
  const failed = broken.records.filter((r) => r.state === 'undecrypted');
  t.equal(failed.length, 1);
  t.match(failed[0]!.error, /application keys, record 0: the tag does not verify/);
  t.equal(sent(broken.application, 's2c'), f.serverSent, 'the server side still reads');
});

/** A TLS 1.3 record sealed with ChaCha20-Poly1305 under `secret` at sequence `seq` (RFC 8446 §5.2, §5.3). */
function seal13(secret: Buffer, seq: bigint, type: number, content: Buffer): Buffer {
  const key = hkdfExpandLabel('sha256', secret, 'key', 32);
  const nonce = hkdfExpandLabel('sha256', secret, 'iv', 12);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= s[i]!;
  const inner = Buffer.concat([content, Buffer.from([type])]);
  const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(header, { plaintextLength: inner.length });
  return Buffer.concat([header, c.update(inner), c.final(), c.getAuthTag()]);
}

t.test('TLS 1.3 KeyUpdate: the records after it open with the next application secret (RFC 8446 §7.2)', async (t) => {
  const f = FIXTURES.find((x) => x.name === 'tls13-chacha20')!;
  const log = readTlsKeyLog(f.keylog);
  const before = readTlsConnection(chunksOf(f), log);
  const s0 = [...log.values()][0]!.get('CLIENT_TRAFFIC_SECRET_0')!;
  const used = BigInt(before.records.filter((r) => r.direction === 'c2s' && r.epoch === 'application').length);
  const s1 = hkdfExpandLabel('sha256', s0, 'traffic upd', 32);
  const extra: Chunk[] = [
    { direction: 'c2s', packet: 900, bytes: seal13(s0, used, 22, Buffer.from([24, 0, 0, 1, 0])) },
    { direction: 'c2s', packet: 901, bytes: seal13(s1, 0n, 23, Buffer.from('after the update')) },
  ];
  const view = readTlsConnection([...chunksOf(f), ...extra], log);
  const last = view.records.slice(-2);
  t.same(last.map((r) => [r.state, r.epoch, r.summary]), [['decrypted', 'application', 'KeyUpdate'], ['decrypted', 'application 1', undefined]]);
  t.equal(sent(view.application, 'c2s'), `${f.clientSent}after the update`);
});

t.test('bytes that are not TLS are reported where they start, not dropped', async (t) => {
  const garbage = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  const view = readTlsConnection([{ direction: 'c2s', packet: 4, bytes: garbage }]);
  t.same(view.notTls, [{ direction: 'c2s', packet: 4, offset: 0, bytes: garbage.length }]);
  t.same(view.records, []);
});

t.test('NSS key logs: read, told apart from E2ED key logs, bad lines refused with their number', async (t) => {
  const nss = `# a comment\nCLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\n`;
  t.ok(isNssKeyLog(nss));
  t.same(readTlsKeyLog(nss).get('ab'.repeat(32))?.get('CLIENT_RANDOM'), Buffer.from('cd'.repeat(48), 'hex'));
  const e2ed = `# sixbench key log\nE2ED_HANDSHAKE_SECRET ${'01'.repeat(32)} ${'fe'.repeat(32)}\n`;
  t.notOk(isNssKeyLog(e2ed));
  t.throws(() => readTlsKeyLog(e2ed), TlsKeyLogError);
  t.throws(() => readTlsKeyLog(`${nss}CLIENT_RANDOM zz\n`), /line 3 is not an NSS key log line/);
});

t.test('IRP view: application data that is not IRP framing is reported as a framing fault, per direction', async (t) => {
  const f = FIXTURES.find((x) => x.name === 'tls13-aes128gcm')!;
  // The fixture carries text, not IRP frames: the view reports a framing fault rather than dropping it.
  const stream: TcpStream = {
    index: 0,
    client: { address: '::1', port: 50000 },
    server: { address: '::1', port: 4604 },
    chunks: chunksOf(f),
    fin: { c2s: true, s2c: true },
    reset: undefined,
    missing: { c2s: 0, s2c: 0 },
    retransmittedBytes: 0,
    outOfOrderSegments: 0,
  };
  const view = viewIrpConnection(stream, readTlsKeyLog(f.keylog));
  t.equal(view.framingFaults.length, 2, 'both directions are text, not IRP frames');
  const text = formatIrpConnection(view);
  t.match(text, /TLS 1\.3, TLS_AES_128_GCM_SHA256/);
  t.match(text, /IRP framing fault/);
  t.match(text, /of \d+ protected records decrypted/);
});
