// The pure parts of judging an IUT: the key-log comparison against the bench's derivation, and
// the expectations as far as a level and the echo model let them be checked.
import t from 'tap';
import { compareKeyLogs, expectationsFor, fitsInitiatorScript } from '../../src/run/iut-conversation.js';
import type { ConversationExpectation } from '../../src/run/model.js';

const N = 'a'.repeat(64);
const M = 'b'.repeat(64);
const e = (label: string, secret: string, nonceI = N) => ({ label, nonceI, secret });

t.test('key logs', async (t) => {
  const ref = [e('E2ED_HANDSHAKE_SECRET', '01'), e('E2ED_I2R_TRAFFIC_SECRET_0', '02'), e('E2ED_R2I_TRAFFIC_SECRET_0', '03')];
  t.same(compareKeyLogs(ref, ref, true), { matched: 3, mismatches: [] });
  t.same(compareKeyLogs([e('E2ED_I2R_TRAFFIC_SECRET_0', 'ff')], ref, false).mismatches, ["key log: the IUT's E2ED_I2R_TRAFFIC_SECRET_0 differs from the bench's derivation over the same transcript"]);
  t.same(compareKeyLogs([e('E2ED_I2R_TRAFFIC_SECRET_0', '02', M)], ref, false).mismatches, ['key log: the IUT logged E2ED_I2R_TRAFFIC_SECRET_0 for a session or generation the reference never derived'], 'keyed by the session nonce');
  t.same(compareKeyLogs([e('E2ED_I2R_TRAFFIC_SECRET_1', '09')], ref, false).mismatches.length, 1, 'a generation that never happened');
  t.same(compareKeyLogs(ref.slice(0, 2), ref, true).mismatches, ['key log: the IUT did not log E2ED_R2I_TRAFFIC_SECRET_0'], 'complete once both are Connected');
  t.same(compareKeyLogs(ref.slice(0, 2), ref, false).mismatches, [], 'not before');
});

t.test('expectations by level and echo', async (t) => {
  const expect: ConversationExpectation = {
    initiator: { connected: true, delivered: 1, receipts: 2 },
    responder: { connected: true, delivered: 2, receipts: 1 },
    agree: true,
  };
  const l1 = expectationsFor(expect, 'responder', 1, true);
  t.same(l1.expect, { initiator: { connected: true, delivered: 3, receipts: 2 } }, 'level 1: the IUT side and the agreement dropped; one echo per Receipt');
  t.match(l1.checks.join('\n'), /not checked: the responder \(IUT\) side and the exporter agreement \(level 1: no events\)/);
  const l2 = expectationsFor(expect, 'responder', 2, true);
  t.same(l2.expect.responder, { connected: true, delivered: 2, receipts: 3 }, 'level 2 echo: the IUT gets a Receipt per echo');
  t.equal(l2.expect.agree, true);
  const l3 = expectationsFor(expect, 'initiator', 3, false);
  t.same(l3.expect, expect, 'level 3: the case as written');
  t.same(expect.initiator, { connected: true, delivered: 1, receipts: 2 }, 'the case itself is not changed');
});

t.test('which conversations fit the level 1 initiator script', async (t) => {
  const conv = (steps: unknown[]) => ({ initiator: {}, responder: {}, steps, expect: {} }) as never;
  t.equal(fitsInitiatorScript(conv([{ do: 'handshake' }])), 0);
  t.equal(fitsInitiatorScript(conv([{ do: 'handshake' }, { do: 'message', from: 'initiator', count: 2 }, { do: 'close', from: 'initiator' }])), 2);
  t.equal(fitsInitiatorScript(conv([{ do: 'handshake' }, { do: 'message', from: 'responder' }])), undefined);
  t.equal(fitsInitiatorScript(conv([{ do: 'handshake' }, { do: 'close', from: 'initiator' }, { do: 'message', from: 'initiator' }])), undefined);
  t.equal(fitsInitiatorScript(conv([{ do: 'handshake' }, { do: 'ping', from: 'initiator' }])), undefined);
});
