// The pure parts of judging an IUT: the expectations as far as a level and the echo model let
// them be checked (the key-log comparison is tested in test/iut/keys.test.ts).
import t from 'tap';
import { expectationsFor, fitsInitiatorScript } from '../../src/run/iut-conversation.js';
import type { ConversationExpectation } from '../../src/run/model.js';

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
