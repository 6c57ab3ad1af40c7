// The judge: alternatives, "no alert", exactly one fatal alert, closure kinds, counters, agreement.
import t from 'tap';
import { judgeConversation, judgeSide } from '../../src/run/judge.js';
import type { ConversationObservation, SideObservation } from '../../src/run/model.js';

function side(over: Partial<SideObservation> = {}): SideObservation {
  return { connected: false, alertsSent: [], alertsReceived: [], delivered: 0, receipts: 0, pongs: 0, receiveGeneration: 0, sendGeneration: 0, ...over };
}

t.test('an alert among the alternatives passes; another, none or two fail', async (t) => {
  t.same(judgeSide('r', { alertSent: ['decode_error', 'illegal_parameter'] }, side({ alertsSent: ['illegal_parameter'] })), []);
  t.equal(judgeSide('r', { alertSent: ['decode_error'] }, side({ alertsSent: ['illegal_parameter'] })).length, 1);
  t.equal(judgeSide('r', { alertSent: ['decode_error'] }, side()).length, 1);
  t.equal(judgeSide('r', { alertSent: ['decode_error'] }, side({ alertsSent: ['decode_error', 'decode_error'] })).length, 1);
});

t.test('"no alert" allows close_notify and user_canceled only', async (t) => {
  t.same(judgeSide('i', { alertSent: null, alertReceived: null }, side({ alertsSent: ['close_notify'], alertsReceived: ['user_canceled'] })), []);
  t.equal(judgeSide('i', { alertSent: null }, side({ alertsSent: ['bad_record_mac'] })).length, 1);
});

t.test('closure, negotiation and counters', async (t) => {
  t.same(judgeSide('i', { closed: ['truncated'] }, side({ closed: { how: 'truncated' } })), []);
  t.equal(judgeSide('i', { closed: ['truncated'] }, side({ closed: { how: 'clean' } })).length, 1);
  t.equal(judgeSide('i', { closed: ['clean'] }, side()).length, 1, 'still open is not a clean end');
  t.equal(judgeSide('i', { negotiated: { version: ['0.9'] } }, side({ negotiated: { version: '1.0', method: 'x25519', cipher: 'AES-256-GCM' } })).length, 1);
  t.equal(judgeSide('i', { delivered: 2, receiveGeneration: 1 }, side({ delivered: 1, receiveGeneration: 0 })).length, 2);
  t.equal(judgeSide('i', { connected: true }, side()).length, 1);
});

t.test('agreement needs equal exporters and parameters; set-up notes fail the case', async (t) => {
  const params = { version: '1.0', method: 'p256', cipher: 'CHACHA20-POLY1305' };
  const obs: ConversationObservation = { initiator: side({ negotiated: params }), responder: side({ negotiated: params }), exportersEqual: true, notes: [] };
  t.same(judgeConversation({ agree: true }, obs), []);
  t.equal(judgeConversation({ agree: true }, { ...obs, exportersEqual: false }).length, 1);
  t.equal(judgeConversation({ agree: true }, { ...obs, responder: side({ negotiated: { ...params, cipher: 'AES-256-GCM' } }) }).length, 1);
  t.same(judgeConversation({}, { ...obs, notes: ['not run (the connection had ended): close from the initiator'] }), []);
  t.equal(judgeConversation({}, { ...obs, notes: ['timed out waiting for the Receipt'] }).length, 1);
});
