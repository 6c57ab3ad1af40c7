// Full handshakes between two conforming Connections in memory: every method x cipher in 1.0,
// 0.9 when both enable it, every signature key type, any chunking, and byte-identical replays.
import t, { type Test } from 'tap';
import { parseKeyLog } from '../../src/protocol/keylog.js';
import { seededRandom } from '../../src/protocol/random.js';
import { ALICE, BOB, CAROL_RSA, DAVE_ED25519, connect, eventsOf, plaintextMessages, user, type Pair } from './harness.js';

const METHODS = ['x25519', 'p256', 'rsa-oaep'] as const;
const CIPHERS = ['AES-256-GCM', 'CHACHA20-POLY1305'] as const;

/** Both sides Connected with the same parameters and exporter, and a message and its receipt cross. */
function assertWorking(t: Test, p: Pair, expect: { version: string; method: string; cipher: string }): void {
  t.equal(p.i.conn.state, 'Connected', 'initiator connected');
  t.equal(p.r.conn.state, 'Connected', 'responder connected');
  for (const s of [p.i, p.r]) t.match(s.conn.negotiated, expect);
  t.ok(p.i.conn.negotiated!.exporter.equals(p.r.conn.negotiated!.exporter), 'both sides derive the same exporter');
  p.from('i', p.i.conn.sendText('m-1', 'hello bob', '2026-11-26T19:00:00Z'));
  p.from('r', p.r.conn.sendText('m-2', 'hello alice', '2026-11-26T19:00:01Z'));
  p.pump();
  t.same(
    eventsOf(p.r, 'message_received').map((e) => e.message),
    [{ kind: 'Message', id: 'm-1', timestamp: '2026-11-26T19:00:00Z', text: 'hello bob' }, { kind: 'Receipt', id: 'm-2' }],
  );
  t.same(
    eventsOf(p.i, 'message_received').map((e) => e.message),
    // R's Message was queued before its Receipt for m-1.
    [{ kind: 'Message', id: 'm-2', timestamp: '2026-11-26T19:00:01Z', text: 'hello alice' }, { kind: 'Receipt', id: 'm-1' }],
  );
  t.equal(eventsOf(p.i, 'alert_sent').length + eventsOf(p.r, 'alert_sent').length, 0, 'no alerts');
}

function configFor(method: string, cipher: string) {
  const rsa = method === 'rsa-oaep';
  const responder = rsa ? CAROL_RSA : BOB;
  return {
    i: {
      peerUserId: responder,
      methods: [method],
      ciphers: [cipher],
      ...(rsa ? { peerCertificateForKeyTransport: user(CAROL_RSA).chain } : {}),
    },
    r: { userId: responder },
  };
}

t.test('1.0: every method x cipher completes and carries messages', async (t) => {
  for (const method of METHODS) {
    for (const cipher of CIPHERS) {
      t.test(`${method} / ${cipher}`, async (t) => {
        const c = configFor(method, cipher);
        const p = connect(c.i, c.r);
        assertWorking(t, p, { version: '1.0', method, cipher });
      });
    }
  }
});

t.test('0.9 is negotiated when both sides enable only it, for every method', async (t) => {
  for (const method of METHODS) {
    const c = configFor(method, 'AES-256-GCM');
    const p = connect({ ...c.i, versions: ['0.9'] }, { ...c.r, versions: ['0.9'] });
    assertWorking(t, p, { version: '0.9', method, cipher: 'AES-256-GCM' });
    // A responder that does not support 1.0 does not set the sentinel (E2ED-VER-4).
    const helloR = plaintextMessages(p.r.sent)[0];
    t.equal(helloR !== 'record' && helloR?.kind, 'ResponderHello');
    if (helloR !== 'record' && helloR?.kind === 'ResponderHello') t.not(helloR.nonce.subarray(24).toString('latin1'), 'E2EDDOWN');
  }
});

t.test('1.0 is preferred when both enable 1.0 and 0.9', async (t) => {
  const p = connect({ versions: ['1.0', '0.9'] }, { versions: ['1.0', '0.9'] });
  assertWorking(t, p, { version: '1.0', method: 'x25519', cipher: 'AES-256-GCM' });
});

t.test('the responder follows the initiator preference order for ciphers', async (t) => {
  const p = connect({ ciphers: ['CHACHA20-POLY1305', 'AES-256-GCM'] }, { ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'] });
  assertWorking(t, p, { version: '1.0', method: 'x25519', cipher: 'CHACHA20-POLY1305' });
});

t.test('Ed25519 and RSA-PSS signers authenticate both ways', async (t) => {
  const p1 = connect({ userId: DAVE_ED25519, peerUserId: CAROL_RSA }, { userId: CAROL_RSA });
  assertWorking(t, p1, { version: '1.0', method: 'x25519', cipher: 'AES-256-GCM' });
  const cvI = plaintextMessages(p1.i.sent).find((m) => m !== 'record' && m.kind === 'CertificateVerify');
  const cvR = plaintextMessages(p1.r.sent).find((m) => m !== 'record' && m.kind === 'CertificateVerify');
  t.match(cvI, { algorithm: 'ed25519' });
  t.match(cvR, { algorithm: 'rsa-pss-sha256' });
  const p2 = connect({ userId: CAROL_RSA, peerUserId: DAVE_ED25519, methods: ['p256'] }, { userId: DAVE_ED25519 });
  assertWorking(t, p2, { version: '1.0', method: 'p256', cipher: 'AES-256-GCM' });
});

t.test('one byte at a time, both directions', async (t) => {
  const p = connect({}, {}, { chunk: 1 });
  assertWorking(t, p, { version: '1.0', method: 'x25519', cipher: 'AES-256-GCM' });
});

t.test('events: order and content on both sides', async (t) => {
  const p = connect();
  const types = (s: typeof p.i) => s.events.map((e) => e.type).filter((x) => x !== 'keylog');
  t.same(types(p.i), ['handshake_started', 'negotiated', 'peer_verified', 'exporter', 'connected']);
  t.same(types(p.r), ['handshake_started', 'negotiated', 'peer_verified', 'exporter', 'connected']);
  t.same(eventsOf(p.i, 'peer_verified'), [{ type: 'peer_verified', userId: BOB }]);
  t.same(eventsOf(p.r, 'peer_verified'), [{ type: 'peer_verified', userId: ALICE }]);
  t.equal(eventsOf(p.i, 'exporter')[0]!.hex, p.i.conn.negotiated!.exporter.toString('hex'));
});

t.test('key log: both roles log the same secrets under nonce_I, in the spec format', async (t) => {
  const p = connect();
  const lines = (s: typeof p.i) => eventsOf(s, 'keylog').map((e) => e.line);
  t.same(lines(p.i), lines(p.r), 'identical lines at both ends');
  const parsed = parseKeyLog(lines(p.i).join('\n'));
  t.same(parsed.malformedLines, []);
  t.same(
    parsed.entries.map((e) => e.label),
    ['E2ED_HANDSHAKE_SECRET', 'E2ED_MASTER_SECRET', 'E2ED_I2R_TRAFFIC_SECRET_0', 'E2ED_R2I_TRAFFIC_SECRET_0', 'E2ED_EXPORTER'],
  );
  t.ok(parsed.entries.every((e) => e.nonceI === p.i.conn.initiatorNonce!.toString('hex')));
  t.equal(parsed.entries[4]!.secret, p.i.conn.negotiated!.exporter.toString('hex'));
});

t.test('determinism: the same seeds give a byte-identical conversation', async (t) => {
  for (const method of METHODS) {
    const run = () => {
      const c = configFor(method, 'AES-256-GCM');
      const p = connect(
        { ...c.i, rng: seededRandom(`det I ${method}`) },
        { ...c.r, rng: seededRandom(`det R ${method}`) },
      );
      p.from('i', p.i.conn.sendText('m', 'x', '2026-11-26T19:00:00Z'));
      p.from('i', p.i.conn.keyUpdate(true));
      p.pump();
      p.from('i', p.i.conn.close());
      p.pump();
      return Buffer.concat([...p.i.sent, Buffer.from('|'), ...p.r.sent]);
    };
    const a = run();
    const b = run();
    t.ok(a.equals(b), `${method}: identical bytes run to run`);
    const other = (() => {
      const c = configFor(method, 'AES-256-GCM');
      const p = connect({ ...c.i, rng: seededRandom(`other I ${method}`) }, { ...c.r, rng: seededRandom(`det R ${method}`) });
      return Buffer.concat(p.i.sent);
    })();
    t.notOk(a.subarray(0, other.length).equals(other), `${method}: another seed gives other bytes`);
  }
});
