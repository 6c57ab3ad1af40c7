// UA events: one JSON object per line, fixed key order, and the engine-to-UA mapping.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { closeKindOf, engineEventToUa, formatEvent, jsonLinesSink } from '../../src/ua/events.js';

t.test('formatEvent: one line, time and connection first, undefined fields dropped', async (t) => {
  const line = formatEvent({ event: 'closed', how: 'clean', by: 'peer', alert: undefined, connection: 3, time: '2026-11-26T19:00:00.000Z' });
  t.equal(line, '{"time":"2026-11-26T19:00:00.000Z","connection":3,"event":"closed","how":"clean","by":"peer"}\n');
});

t.test('key-log events never reach the event stream', async (t) => {
  t.equal(engineEventToUa({ type: 'keylog', label: 'E2ED_MASTER_SECRET', secretHex: 'aa', line: 'E2ED_MASTER_SECRET x aa' }, undefined), undefined);
});

t.test('engine events map to the UA events the issue lists', async (t) => {
  t.same(engineEventToUa({ type: 'negotiated', version: '1.0', method: 'p256', cipher: 'AES-256-GCM' }, undefined), {
    event: 'parameters_negotiated',
    version: '1.0',
    method: 'p256',
    cipher: 'AES-256-GCM',
  });
  t.same(engineEventToUa({ type: 'alert_sent', alert: 'record_overflow', code: 22, level: 'fatal' }, undefined), {
    event: 'alert_sent',
    level: 'fatal',
    alert: 'record_overflow',
    code: 22,
    reason: undefined,
    requirement: undefined,
  });
  t.match(
    engineEventToUa({ type: 'message_received', message: { kind: 'Message', id: 'm1', timestamp: '2026-11-26T19:00:00Z', text: 'hi' } }, 'alice@example.com'),
    { event: 'message_received', from: 'alice@example.com', id: 'm1', text: 'hi' },
  );
  t.match(engineEventToUa({ type: 'closed', how: 'truncated', by: 'peer' }, undefined), { event: 'closed', how: 'truncated' });
  t.match(engineEventToUa({ type: 'closed', how: 'error', by: 'local', alert: 'handshake_timeout' }, undefined), { how: 'handshake-timeout' });
  t.match(engineEventToUa({ type: 'closed', how: 'error', by: 'peer', alert: 'decrypt_error' }, undefined), { how: 'alert-received', alert: 'decrypt_error' });
});

t.test('jsonLinesSink writes parseable lines with a timestamp', async (t) => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const sink = jsonLinesSink(stream);
  sink({ event: 'listening', address: '::1', port: 4605 });
  sink({ event: 'connected', peer: 'bob@example.com', connection: 1 });
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(lines.length, 2);
  t.match(lines[0], { event: 'listening', port: 4605 });
  t.match(lines[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.match(lines[1], { connection: 1, event: 'connected' });
});

t.test('a transport that ends during the handshake is a transport error, not an alert', async (t) => {
  t.equal(closeKindOf({ type: 'closed', how: 'error', by: 'peer', reason: 'transport ended during the handshake' }), 'transport-error');
  t.equal(closeKindOf({ type: 'closed', how: 'error', by: 'peer', alert: 'decode_error' }), 'alert-received');
  t.equal(closeKindOf({ type: 'closed', how: 'error', by: 'local', alert: 'bad_certificate' }), 'alert-sent');
});
