// Records and application messages after the handshake (docs/spec.md 8.2, chapter 11): key update
// in both directions with request semantics, Ping/Pong, Receipts, unknown elements.
import t, { type Test } from 'tap';
import { alertSent, connect, eventsOf, frames, initiatorRecord, type Pair } from './harness.js';

function exchange(t: Test, p: Pair, label: string): void {
  const before = { i: eventsOf(p.i, 'message_received').length, r: eventsOf(p.r, 'message_received').length };
  const id = label.replace(/[^A-Za-z0-9]+/g, '-');
  p.from('i', p.i.conn.sendText(`${id}-i`, 'to bob', '2026-11-26T19:00:00Z'));
  p.from('r', p.r.conn.sendText(`${id}-r`, 'to alice', '2026-11-26T19:00:00Z'));
  p.pump();
  t.equal(eventsOf(p.r, 'message_received').length - before.r, 2, `${label}: responder got the message and the receipt`);
  t.equal(eventsOf(p.i, 'message_received').length - before.i, 2, `${label}: initiator got the message and the receipt`);
  t.equal(alertSent(p.i) ?? alertSent(p.r), undefined, `${label}: no alert`);
}

const generations = (s: Pair['i']) => eventsOf(s, 'key_updated').map((e) => `${e.direction}:${e.trafficDirection}:${e.generation}`);

t.test('KeyUpdate request="false" from either side moves one direction only (E2ED-REC-8, -9, -10)', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.keyUpdate(false));
  p.pump();
  t.same(generations(p.i), ['send:i2r:1']);
  t.same(generations(p.r), ['receive:i2r:1'], 'request="false" is not answered');
  exchange(t, p, 'after I update');
  p.from('r', p.r.conn.keyUpdate(false));
  p.pump();
  t.same(generations(p.r), ['receive:i2r:1', 'send:r2i:1']);
  t.same(generations(p.i), ['send:i2r:1', 'receive:r2i:1']);
  exchange(t, p, 'after R update');
});

t.test('KeyUpdate request="true" is answered with request="false" before any other record', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.keyUpdate(true));
  p.from('i', p.i.conn.send({ kind: 'Ping', id: 'p1' }));
  p.pump();
  t.same(generations(p.r), ['receive:i2r:1', 'send:r2i:1']);
  t.same(generations(p.i), ['send:i2r:1', 'receive:r2i:1']);
  t.match(eventsOf(p.i, 'message_received').map((e) => e.message), [{ kind: 'Pong', id: 'p1' }], 'the Pong came under the new key');
  // Several updates in a row, both ways, keep the connection working.
  for (let n = 0; n < 3; n++) {
    p.from('r', p.r.conn.keyUpdate(true));
    p.pump();
  }
  t.equal(eventsOf(p.i, 'key_updated').filter((e) => e.direction === 'send').length, 4);
  exchange(t, p, 'after four updates');
  const logLabels = eventsOf(p.i, 'keylog').map((e) => e.label);
  t.ok(logLabels.includes('E2ED_I2R_TRAFFIC_SECRET_4') && logLabels.includes('E2ED_R2I_TRAFFIC_SECRET_4'), 'key log follows the generations');
});

t.test('the initiator may key-update right after Fin_I (E2ED-REC-12)', async (t) => {
  const p = connect({}, {}, { start: false });
  p.from('i', p.i.conn.start());
  // Deliver R's flight to I, let I answer, and before R has seen Fin_I queue a KeyUpdate from I.
  p.pump();
  p.from('i', p.i.conn.keyUpdate(true));
  p.pump();
  t.same(generations(p.r), ['receive:i2r:1', 'send:r2i:1']);
});

t.test('Ping is answered with Pong; Message with Receipt; Receipt and Pong are reported', async (t) => {
  const p = connect();
  p.from('r', p.r.conn.send({ kind: 'Ping', id: 'ping-1' }));
  p.from('r', p.r.conn.sendText('msg-1', '', '2026-11-26T19:00:00Z'));
  p.pump();
  t.same(eventsOf(p.r, 'message_received').map((e) => e.message), [{ kind: 'Pong', id: 'ping-1' }, { kind: 'Receipt', id: 'msg-1' }]);
  t.same(eventsOf(p.i, 'message_received').map((e) => e.message), [
    { kind: 'Ping', id: 'ping-1' },
    { kind: 'Message', id: 'msg-1', timestamp: '2026-11-26T19:00:00Z', text: '' },
  ]);
});

t.test('unknown elements in records: ignored unless critical="true" (E2ED-APP-12)', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.send({ kind: 'Unknown', name: 'Typing', critical: false }));
  p.pump();
  t.same(eventsOf(p.r, 'unknown_message_ignored'), [{ type: 'unknown_message_ignored', name: 'Typing' }]);
  t.equal(p.r.conn.state, 'Connected');
  p.from('i', p.i.conn.send({ kind: 'Unknown', name: 'MustUnderstand', critical: true }));
  p.pump();
  t.equal(alertSent(p.r), 'unsupported_extension');
  t.equal(eventsOf(p.r, 'alert_sent')[0]?.requirement, 'E2ED-APP-12');
});

t.test('application records are type 0x02 and their plaintext never appears on the wire', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.sendText('secret-id', 'the secret text', '2026-11-26T19:00:00Z'));
  const wire = Buffer.concat(p.i.sent);
  t.equal(wire.includes(Buffer.from('the secret text')), false);
  t.equal(frames(p.i.sent).at(-1)!.type, 0x02);
});

t.test('a Receipt or Pong that matches nothing sent is ignored (E2ED-APP-5)', async (t) => {
  const p = connect();
  p.from('r', p.r.conn.receive(initiatorRecord(p, { kind: 'Receipt', id: 'never-sent' }, 0n)));
  p.from('r', p.r.conn.receive(initiatorRecord(p, { kind: 'Pong', id: 'never-pinged' }, 1n)));
  t.same(eventsOf(p.r, 'message_received'), []);
  t.equal(p.r.conn.state, 'Connected');
  // A matching one is reported once; its duplicate is not.
  p.from('r', p.r.conn.send({ kind: 'Ping', id: 'p1' }));
  p.from('r', p.r.conn.receive(initiatorRecord(p, { kind: 'Pong', id: 'p1' }, 2n)));
  p.from('r', p.r.conn.receive(initiatorRecord(p, { kind: 'Pong', id: 'p1' }, 3n)));
  t.same(eventsOf(p.r, 'message_received').map((e) => e.message), [{ kind: 'Pong', id: 'p1' }]);
});

t.test('long Messages (built in the codec scratch memory) arrive intact however sends interleave', async (t) => {
  const p = connect();
  const texts = { i: ['a', 'b', 'c'].map((c, k) => `${c.repeat(2000 + k)}é`), r: ['x', 'y'].map((c, k) => `${c.repeat(70000 / 2 + k)}𝄞`) };
  // Every send is encoded (into the shared scratch area) before any of the frames is delivered.
  p.from('i', p.i.conn.sendText('long-i-0', texts.i[0]!, '2026-11-26T19:00:00Z'));
  p.from('r', p.r.conn.sendText('long-r-0', texts.r[0]!, '2026-11-26T19:00:00Z'));
  p.from('i', p.i.conn.sendText('long-i-1', texts.i[1]!, '2026-11-26T19:00:00Z'));
  p.from('r', p.r.conn.sendText('long-r-1', texts.r[1]!, '2026-11-26T19:00:00Z'));
  p.from('i', p.i.conn.sendText('long-i-2', texts.i[2]!, '2026-11-26T19:00:00Z'));
  p.pump();
  const got = (s: Pair['i']) => eventsOf(s, 'message_received').map((e) => e.message).filter((m) => m.kind === 'Message').map((m) => (m as { text: string }).text);
  t.same(got(p.r), texts.i, 'the responder got each of the initiator\'s texts exactly');
  t.same(got(p.i), texts.r, 'the initiator got each of the responder\'s texts exactly');
  t.equal(alertSent(p.i) ?? alertSent(p.r), undefined);
});

t.test('a Message repeating an id is answered with a Receipt again but not delivered twice (E2ED-APP-4)', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.sendText('dup-1', 'first', '2026-11-26T19:00:00Z'));
  p.pump();
  const sentBefore = p.r.sent.length;
  p.from('i', p.i.conn.sendText('dup-1', 'again', '2026-11-26T19:00:01Z'));
  p.from('i', p.i.conn.sendText('dup-2', 'other', '2026-11-26T19:00:02Z'));
  p.pump();
  const delivered = eventsOf(p.r, 'message_received').map((e) => (e.message as { id: string; text: string }));
  t.same(delivered.map((m) => `${m.id}:${m.text}`), ['dup-1:first', 'dup-2:other'], 'the repeat is not delivered');
  t.same(eventsOf(p.r, 'duplicate_message_ignored'), [{ type: 'duplicate_message_ignored', id: 'dup-1' }]);
  t.equal(p.r.sent.length - sentBefore, 2, 'a Receipt for the repeat and one for dup-2');
  t.equal(alertSent(p.i) ?? alertSent(p.r), undefined);
});

t.test('the memory of received ids is bounded: the oldest is forgotten first', async (t) => {
  const p = connect();
  const { RECEIVED_IDS_REMEMBERED } = await import('../../src/protocol/engine.js');
  for (let n = 0; n <= RECEIVED_IDS_REMEMBERED; n++) p.from('i', p.i.conn.sendText(`m-${n}`, '', '2026-11-26T19:00:00Z'));
  p.pump();
  t.equal(eventsOf(p.r, 'message_received').length, RECEIVED_IDS_REMEMBERED + 1);
  p.from('i', p.i.conn.sendText('m-0', 'forgotten, so delivered again', '2026-11-26T19:00:00Z'));
  p.from('i', p.i.conn.sendText(`m-${RECEIVED_IDS_REMEMBERED}`, 'still remembered', '2026-11-26T19:00:00Z'));
  p.pump();
  t.equal(eventsOf(p.r, 'message_received').length, RECEIVED_IDS_REMEMBERED + 2);
  t.same(eventsOf(p.r, 'duplicate_message_ignored').map((e) => e.id), [`m-${RECEIVED_IDS_REMEMBERED}`]);
});
