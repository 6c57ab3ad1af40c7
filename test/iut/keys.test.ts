// Session keys of an IUT recomputed from the captured bytes and the bench side's own key material
// (src/run/iut-keys.ts, issue 8 §4): two engines talk in memory, one of them (the "bench") drawing
// its randomness as a seeded UA's connection does; what each sent is the capture. A conforming
// key log and conforming records pass; a wrong secret, lines keyed by the wrong nonce, a missing
// updated secret and records under a wrong key each fail with the secret or requirement named.
import t from 'tap';
import { parseBugs } from '../../src/protocol/bugs.js';
import type { TcpEvent } from '../../src/capture/pcap.js';
import type { KeyLogEntry } from '../../src/protocol/keylog.js';
import { parseKeyLog } from '../../src/protocol/keylog.js';
import { seededRandom } from '../../src/protocol/random.js';
import { connectionRandom } from '../../src/ua/agent.js';
import { checkSessionKeys, type BenchSideSecrets } from '../../src/run/iut-keys.js';
import { ALICE, BOB, CAROL_RSA, connect, eventsOf, user, type Pair, type SideOptions } from '../engine/harness.js';

const BENCH_SEED = 'keys-test/bench';
const CONNECTION_ID = 3;

interface Captured {
  events: TcpEvent[];
  iutLog: KeyLogEntry[];
  bench: BenchSideSecrets;
}

/**
 * A whole conversation: handshake, a Message each way, the bench asks for a key update (both
 * directions move to generation 1), a Message each way, close_notify both ways.
 */
function converse(benchSide: 'initiator' | 'responder', opts: { method?: 'x25519' | 'p256' | 'rsa-oaep'; iut?: SideOptions } = {}): Captured {
  const events: TcpEvent[] = [];
  const benchRng = connectionRandom(seededRandom(BENCH_SEED), CONNECTION_ID);
  const methods = opts.method ? { methods: [opts.method] } : {};
  const responderId = opts.method === 'rsa-oaep' ? CAROL_RSA : BOB;
  const iOpts: SideOptions = { ...methods, peerUserId: responderId, ...(opts.method === 'rsa-oaep' ? { peerCertificateForKeyTransport: user(CAROL_RSA).chain } : {}), ...(benchSide === 'initiator' ? { rng: benchRng } : opts.iut) };
  const rOpts: SideOptions = { ...methods, userId: responderId, ...(benchSide === 'responder' ? { rng: benchRng } : opts.iut) };
  const p: Pair = connect(iOpts, rOpts, {
    intercept: (dir, frame) => {
      events.push({ from: dir === 'i2r' ? 'client' : 'server', kind: 'data', bytes: frame });
      return frame;
    },
  });
  const bench = benchSide === 'initiator' ? 'i' : 'r';
  const iut = benchSide === 'initiator' ? 'r' : 'i';
  // A step after the connection ended (a broken IUT's record refused) is not taken.
  const act = (who: 'i' | 'r', step: () => ReturnType<Pair['i']['conn']['close']>): void => {
    try {
      p.from(who, step());
      p.pump();
    } catch {
      // not Connected any more
    }
  };
  act(bench, () => p[bench].conn.sendText('b1', 'from the bench', '2026-01-01T00:00:00Z'));
  act(iut, () => p[iut].conn.sendText('i1', 'from the IUT', '2026-01-01T00:00:00Z'));
  act(bench, () => p[bench].conn.keyUpdate(true));
  act(iut, () => p[iut].conn.sendText('i2', 'after the update', '2026-01-01T00:00:00Z'));
  act(bench, () => p[bench].conn.close());
  events.push({ from: 'client', kind: 'fin' }, { from: 'server', kind: 'fin' });
  const iutLog = parseKeyLog(eventsOf(p[iut], 'keylog').map((e) => e.line).join('\n')).entries;
  const privateKey = user(benchSide === 'initiator' ? ALICE : responderId).privateKey;
  return { events, iutLog, bench: { side: benchSide, seed: BENCH_SEED, connectionId: CONNECTION_ID, privateKey } };
}

for (const [benchSide, method] of [['responder', 'x25519'], ['initiator', 'p256'], ['responder', 'rsa-oaep'], ['initiator', 'rsa-oaep']] as const) {
  t.test(`a conforming IUT, the bench as ${benchSide}, ${method}: every secret recomputed and matched, every record opened`, async (t) => {
    const c = converse(benchSide, { method });
    const withLog = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: c.iutLog, requireAll: true });
    t.same(withLog.mismatches, []);
    t.same(withLog.notChecked, []);
    t.equal(withLog.derived, 7, 'HS, MS, the exporter, both traffic secrets of generations 0 and 1');
    t.equal(withLog.matched, 7, 'each logged as recomputed');
    t.ok(withLog.records >= 4, `the IUT's records were captured (${withLog.records})`);
    t.equal(withLog.opened, withLog.records, 'and each opened under the recomputed keys');
    const noLog = await checkSessionKeys({ events: c.events, bench: c.bench, requireAll: true });
    t.same(noLog.mismatches, [], 'without a key log: the records alone');
    t.equal(noLog.opened, noLog.records);
  });
}

t.test('a wrong logged secret is named', async (t) => {
  const c = converse('responder');
  const log = c.iutLog.map((e) => (e.label === 'E2ED_MASTER_SECRET' ? { ...e, secret: `${e.secret.slice(0, -2)}00` } : e));
  const r = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: log, requireAll: true });
  t.same(r.mismatches, ["key log: the IUT's E2ED_MASTER_SECRET is not the value recomputed by the bench over the captured transcript (E2ED-KEYLOG-4)"]);
});

t.test('lines keyed by another nonce than the captured Hello_I\'s', async (t) => {
  const c = converse('initiator');
  const log = c.iutLog.map((e) => ({ ...e, nonceI: 'ab'.repeat(32) }));
  const r = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: log, requireAll: true });
  t.ok(r.mismatches.includes('key log: the IUT did not log E2ED_HANDSHAKE_SECRET under the nonce_I of the captured Hello_I (E2ED-KEYLOG-3)'), 'the secret it did not log for this connection');
  t.ok(r.mismatches.some((m) => /logged E2ED_MASTER_SECRET under nonce_I abababababababab\.\.\., not the captured Hello_I's \(E2ED-KEYLOG-2\)/.test(m)), 'the line under the wrong nonce');
  t.equal(r.matched, 0);
});

t.test('the updated secrets missing after the key update', async (t) => {
  const c = converse('responder');
  const log = c.iutLog.filter((e) => !e.label.endsWith('_1'));
  const r = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: log, requireAll: true });
  t.same(r.mismatches.sort(), [
    'key log: the IUT did not log E2ED_I2R_TRAFFIC_SECRET_1 under the nonce_I of the captured Hello_I (E2ED-KEYLOG-3)',
    'key log: the IUT did not log E2ED_R2I_TRAFFIC_SECRET_1 under the nonce_I of the captured Hello_I (E2ED-KEYLOG-3)',
  ]);
  const early = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: log, requireAll: false });
  t.same(early.mismatches, [], 'before both are Connected, only what it logged is compared');
  const extra = await checkSessionKeys({ events: c.events, bench: c.bench, iutKeyLog: [...c.iutLog, { ...c.iutLog[0]!, label: 'E2ED_I2R_TRAFFIC_SECRET_2' }], requireAll: true });
  t.same(extra.mismatches, ['key log: the IUT logged E2ED_I2R_TRAFFIC_SECRET_2, a secret the captured connection never reached']);
});

t.test('records under a wrong key fail, named by requirement', async (t) => {
  const c = converse('responder', { iut: { bugs: parseBugs(['keySchedule.wrongLabel']) } });
  const noLog = await checkSessionKeys({ events: c.events, bench: c.bench, requireAll: true });
  t.ok(noLog.records >= 1, 'the IUT sent records');
  t.equal(noLog.opened, 0, 'none opened under the recomputed keys');
  t.match(noLog.mismatches, [/^session keys: E2ED-(KS|REC)-\d+: the IUT's /], `named by requirement: ${noLog.mismatches.join('; ')}`);
});

t.test('a capture without the Hellos: nothing recomputed, said so', async (t) => {
  const c = converse('responder');
  const r = await checkSessionKeys({ events: [], bench: c.bench, iutKeyLog: c.iutLog, requireAll: false });
  t.same(r.notChecked, ['no secret to recompute: the capture holds no Hello_I and Hello_R']);
  t.ok(r.mismatches.every((m) => /not the captured Hello_I's|capture holds no Hello_I/.test(m)), 'every logged line is for a connection the capture does not hold');
});

t.test('a bench seed other than the one the bench side used: its own records do not open, a bench fault', async (t) => {
  const c = converse('responder');
  const r = await checkSessionKeys({ events: c.events, bench: { ...c.bench, seed: 'another seed' }, requireAll: true });
  t.match(r.mismatches.join('\n'), /of the bench's own \d+ records do not open under the keys it recomputed/);
});
