// Alert paths and closure (docs/spec.md chapters 2, 5.8, 8, 10, 12): which alert, in which frame
// type, sent once, and nothing processed after it; close_notify versus truncation; timers.
import t from 'tap';
import { Connection } from '../../src/protocol/engine.js';
import { encodeFrame } from '../../src/protocol/frame.js';
import { decodeE2ed, encodeE2ed, type E2edMessage } from '../../src/protocol/messages.js';
import { alertReceived, alertSent, closedHow, connect, eventsOf, frames, initiatorConfig, initiatorRecord, responderConfig } from './harness.js';
import { closeKindOf } from '../../src/ua/events.js';
import type { EngineEvent } from '../../src/protocol/handshake/events.js';

const plain = (msg: E2edMessage) => encodeFrame(0x01, encodeE2ed(msg));
const xml = (s: string) => encodeFrame(0x01, Buffer.from(s, 'utf8'));

/** Feed bytes to a fresh responder; return its output. */
function toFreshResponder(bytes: Buffer) {
  const r = new Connection(responderConfig());
  r.start();
  return r.receive(bytes);
}

function alertIn(out: { frames: Buffer[]; events: { type: string }[] }) {
  const e = out.events.find((x) => x.type === 'alert_sent') as { alert: string; requirement?: string } | undefined;
  return e?.alert;
}

t.test('framing and syntax faults before the handshake', async (t) => {
  t.equal(alertIn(toFreshResponder(Buffer.from([0, 0, 0, 2, 0x03, 0]))), 'decode_error', 'unknown frame type (E2ED-FRAME)');
  t.equal(alertIn(toFreshResponder(Buffer.from([0, 0x20, 0, 0, 0x01]))), 'record_overflow', 'length above 1 MiB, from the header alone');
  t.equal(alertIn(toFreshResponder(xml('<Hello xmlns="urn:sixchat:e2ed:1"'))), 'decode_error', 'broken XML');
  t.equal(alertIn(toFreshResponder(xml('<Nope xmlns="urn:sixchat:e2ed:1"/>'))), 'unexpected_message', 'unknown plaintext root');
  const small = new Connection(responderConfig({ maxFrameLength: 64 }));
  t.equal(alertIn(small.receive(Buffer.from([0, 0, 0, 65, 0x01]))), 'record_overflow', 'configured maximum');
});

t.test('state: messages that are not the awaited one are unexpected_message (E2ED-HS-31, E2ED-REC-5)', async (t) => {
  t.equal(alertIn(toFreshResponder(plain({ kind: 'Ping', id: 'p' }))), 'unexpected_message', 'application message in plaintext');
  t.equal(alertIn(toFreshResponder(plain({ kind: 'Finished', verifyData: Buffer.alloc(32) }))), 'unexpected_message', 'Finished first');
  t.equal(alertIn(toFreshResponder(Buffer.concat([Buffer.from([0, 0, 0, 18, 0x02]), Buffer.alloc(17)]))), 'unexpected_message', 'a record before Connected');
  const out = toFreshResponder(plain({ kind: 'Ping', id: 'p' }));
  const sent = frames(out.frames);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.type, 0x01, 'the alert travels in plaintext before Connected (E2ED-ALERT-4)');
  t.match(decodeE2ed(sent[0]!.payload), { kind: 'Alert', level: 'fatal', code: 'unexpected_message' });
  // A Hello with the other role at the initiator.
  const i = new Connection(initiatorConfig());
  const hello = i.start().frames[0]!;
  t.equal(alertIn(i.receive(hello)), 'unexpected_message', 'Hello_I echoed to the initiator');
});

t.test('after the handshake: plaintext frames, handshake messages in records, bad records', async (t) => {
  const p = connect();
  p.from('r', p.r.conn.receive(plain({ kind: 'Ping', id: 'x' })));
  t.equal(alertSent(p.r), 'unexpected_message', 'plaintext at a Connected responder (E2ED-REC-6)');
  t.equal(frames(p.r.sent).at(-1)!.type, 0x02, 'the alert travels in a record once Connected');

  const q = connect();
  q.from('r', q.r.conn.receive(initiatorRecord(q, { kind: 'Finished', verifyData: Buffer.alloc(32) })));
  t.equal(alertSent(q.r), 'unexpected_message', 'handshake message inside a record (E2ED-APP-12)');

  const m = connect();
  m.from('r', m.r.conn.receive(initiatorRecord(m, { kind: 'Ping', id: 'x' }, 1n)));
  t.equal(alertSent(m.r), 'bad_record_mac', 'a record out of sequence (E2ED-REC-3)');

  // E2ED-HS-33: the initiator takes a plaintext Alert until R's first record, then no more.
  const h = connect();
  h.from('r', h.r.conn.sendText('m', 'x', '2026-01-01T00:00:00Z'));
  h.pump();
  h.from('i', h.i.conn.receive(plain({ kind: 'Alert', level: 'fatal', code: 'decrypt_error' })));
  t.equal(alertSent(h.i), 'unexpected_message', 'plaintext Alert after the first record');
});

t.test('a Connected initiator before the responder\'s first record: a plaintext close_notify or user_canceled aborts, never a clean end (E2ED-HS-33, -ALERT-8, -ALERT-9)', async (t) => {
  for (const code of ['close_notify', 'user_canceled']) {
    const p = connect();
    const sentBefore = p.i.sent.length;
    p.from('i', p.i.conn.receive(plain({ kind: 'Alert', level: 'warning', code })));
    t.equal(p.i.sent.length, sentBefore, `${code}: nothing sent in answer (no close_notify of its own)`);
    t.equal(alertReceived(p.i), code, `${code}: reported as received`);
    const closed = eventsOf(p.i, 'closed')[0];
    t.equal(closed?.how, 'error', `${code}: the handshake is aborted by the peer, not ended cleanly`);
    t.equal(closed?.by, 'peer');
    t.match(closed?.reason ?? '', /aborted by the peer/);
  }
  // In a record, once the responder is Connected, close_notify is the clean end it always was.
  const c = connect();
  c.from('r', c.r.conn.close());
  c.pump();
  t.equal(closedHow(c.i), 'clean', 'close_notify in a record: a clean end');
});

t.test('received alerts: fatal closes without an answer; unknown codes and levels (E2ED-ALERT-3, -5)', async (t) => {
  const check = (alert: string, level: 'fatal' | 'warning', expectClosed: boolean) => {
    const r = new Connection(responderConfig());
    const out = r.receive(xml(`<Alert xmlns="urn:sixchat:e2ed:1" level="${level}" code="${alert}"/>`));
    t.equal(out.frames.length, 0, `${alert}/${level}: no alert in reply`);
    t.equal(out.closed, expectClosed, `${alert}/${level}: closed=${expectClosed}`);
    t.match(out.events[0], { type: 'alert_received', alert, level });
  };
  check('decrypt_error', 'fatal', true);
  check('decrypt_error', 'warning', true);
  check('no_such_alert', 'warning', true);
  check('close_notify', 'warning', true);
  check('user_canceled', 'warning', true);

  const after = connect();
  after.from('r', after.r.conn.receive(initiatorRecord(after, { kind: 'Alert', level: 'warning', code: 'user_canceled' })));
  t.equal(after.r.conn.state, 'Connected', 'user_canceled after the handshake is ignored (E2ED-ALERT-8)');
});

t.test('a fatal alert is sent once and everything after it is discarded (E2ED-ALERT-2)', async (t) => {
  const r = new Connection(responderConfig());
  const first = r.receive(Buffer.concat([plain({ kind: 'Ping', id: 'a' }), plain({ kind: 'Ping', id: 'b' })]));
  t.equal(first.frames.length, 1, 'one alert for two bad frames in one chunk');
  const later = r.receive(plain({ kind: 'Ping', id: 'c' }));
  t.same(later, { frames: [], events: [], closed: true });
  t.same(r.transportEnded(), { frames: [], events: [], closed: true });
});

t.test('close_notify: both sides end clean; data after it is discarded (E2ED-ALERT-7)', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.close());
  t.equal(p.i.conn.state, 'Closing', 'waiting for the answer');
  p.pump();
  t.equal(closedHow(p.i), 'clean');
  t.equal(closedHow(p.r), 'clean');
  t.equal(alertReceived(p.r), 'close_notify');
  t.equal(alertReceived(p.i), 'close_notify', 'the responder answered');
  t.equal(frames(p.r.sent).at(-1)!.type, 0x02, 'close_notify travels in a record');
  t.throws(() => p.i.conn.sendText('x', 'y', '2026-01-01T00:00:00Z'), 'nothing can be sent after close');
});

t.test('records that arrive while Closing are delivered but not answered', async (t) => {
  const p = connect();
  p.from('r', p.r.conn.sendText('late', 'still here', '2026-01-01T00:00:00Z'));
  p.from('i', p.i.conn.close());
  p.pump();
  t.match(eventsOf(p.i, 'message_received').map((e) => e.message), [{ kind: 'Message', id: 'late' }]);
  t.equal(frames(p.i.sent).length, 3 + 1, 'Fin flight + close_notify only: no Receipt after close_notify');
  t.equal(closedHow(p.i), 'clean');
});

// E2ED-ALERT-7 wins over E2ED-ALERT-1: an error after our own close_notify sends nothing, and the
// closed event says which alert was not sent instead of naming it as sent.
t.test('an error detected after our close_notify: no alert, and the events say so (E2ED-ALERT-1, -7)', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.close());
  const sentBefore = p.i.sent.length;
  const good = p.r.conn.sendText('late', 'x', '2026-01-01T00:00:00Z').frames[0]!;
  const bad = Buffer.from(good);
  bad[bad.length - 1]! ^= 1;
  const out = p.i.conn.receive(bad);
  t.same(out.frames, [], 'nothing sent, not even bad_record_mac');
  t.equal(out.events.filter((e) => e.type === 'alert_sent').length, 0, 'no alert_sent event');
  t.match(out.events, [{ type: 'closed', how: 'error', by: 'local', unsentAlert: 'bad_record_mac' }]);
  t.notOk(out.events.some((e) => e.type === 'closed' && 'alert' in e), 'closed names no alert as sent');
  t.equal(p.i.sent.length, sentBefore);
  t.equal(closeKindOf(out.events.find((e) => e.type === 'closed') as Extract<EngineEvent, { type: 'closed' }>), 'error-after-close-notify', 'the UA reports it as such');
  t.equal(alertSent({ ...p.i, events: [...p.i.events, ...out.events] }), 'close_notify', 'the only alert sent is close_notify');
});

t.test('truncation: the transport ends after the handshake without close_notify (E2ED-ALERT-9, -10)', async (t) => {
  const p = connect();
  t.match(p.r.conn.transportEnded().events, [{ type: 'closed', how: 'truncated' }]);
  const q = connect();
  q.from('i', q.i.conn.close());
  t.match(q.i.conn.transportEnded().events, [{ type: 'closed', how: 'truncated' }], 'close_notify sent but never answered');
  const r = new Connection(responderConfig());
  t.match(r.transportEnded().events, [{ type: 'closed', how: 'error' }], 'before the handshake: a failed handshake');
});

t.test('close before the handshake: user_canceled from the initiator, silence from a responder without Hello_I', async (t) => {
  const i = new Connection(initiatorConfig());
  i.start();
  const out = i.close();
  t.match(decodeE2ed(frames(out.frames)[0]!.payload), { kind: 'Alert', level: 'warning', code: 'user_canceled' });
  t.equal(out.closed, true);
  const r = new Connection(responderConfig());
  t.same(r.close().frames, [], 'E2ED-HS-11: nothing before Hello_I');
});

t.test('timers: handshake_timeout in plaintext before Connected, close_notify when idle (E2ED-LIM-3, -5)', async (t) => {
  const i = new Connection(initiatorConfig());
  i.start();
  const out = i.timeout('handshake');
  t.match(decodeE2ed(frames(out.frames)[0]!.payload), { kind: 'Alert', level: 'fatal', code: 'handshake_timeout' });
  t.equal(out.closed, true);
  const p = connect();
  t.same(p.i.conn.timeout('handshake').frames, [], 'no handshake timeout once Connected');
  p.from('i', p.i.conn.timeout('idle'));
  p.pump();
  t.equal(closedHow(p.i), 'clean');
  t.equal(alertReceived(p.r), 'close_notify');
});

t.test('API misuse is an exception, not a protocol event', async (t) => {
  const i = new Connection(initiatorConfig());
  t.throws(() => i.receive(Buffer.alloc(1)), /before start/);
  i.start();
  t.throws(() => i.start(), /twice/);
  t.throws(() => i.sendText('a', 'b', '2026-01-01T00:00:00Z'), /Connected/);
  t.throws(() => i.keyUpdate(false), /Connected/);
  t.throws(() => new Connection(initiatorConfig({ peerUserId: undefined })), RangeError);
});

t.test('configuration errors are thrown at construction', async (t) => {
  t.throws(() => new Connection(initiatorConfig({ versions: ['0.9', '1.0'] })), /1\.0 before 0\.9/, 'E2ED-HS-13 order');
  t.throws(() => new Connection(initiatorConfig({ ciphers: ['NULL'] })), RangeError);
  t.throws(() => new Connection(initiatorConfig({ methods: [] })), RangeError);
  const idle = new Connection(initiatorConfig());
  t.match(idle.timeout('handshake'), { frames: [], closed: true }, 'a timer before start() sends nothing');
});
