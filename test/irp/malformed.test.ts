// Malformed input gets an <Error> answer or a closed connection, never a crash (IRP-FRAME-1,
// IRP-FRAME-5, IRP-FRAME-6). Raw TLS, hand-made frames.
import t, { type Test } from 'tap';
import tls from 'node:tls';
import { encodeFrame, FrameDecoder, FrameType } from '../../src/protocol/frame.js';
import { decodeIrpResponse, type IrpResponse } from '../../src/protocol/irp-messages.js';
import type { IrpServer } from '../../src/irp/server.js';
import { connect, startStub } from './fixtures.js';

const xml = (s: string): Buffer => encodeFrame(FrameType.Plaintext, Buffer.from(s, 'utf8'));
const NS = 'xmlns="urn:sixchat:irp:1"';

/** Sends raw bytes; resolves with the answers received and whether the stub closed the connection. */
async function exchange(server: IrpServer, bytes: Buffer, answers: number): Promise<{ responses: IrpResponse[]; closed: boolean }> {
  const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.rootCertificatePem, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const decoder = new FrameDecoder();
  const responses: IrpResponse[] = [];
  return new Promise((resolve) => {
    let closed = false;
    const done = (): void => {
      socket.destroy();
      resolve({ responses, closed });
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const response = decodeIrpResponse(frame.payload);
        if (response.kind !== 'Unknown') responses.push(response);
      }
      if (responses.length >= answers && !closed) {
        // Give the stub the chance to close: ask something more and see if it answers.
        socket.write(xml(`<Capabilities ${NS} id="probe"/>`));
      }
      if (responses.some((r) => r.id === 'probe')) done();
    });
    socket.on('end', () => {
      closed = true;
      done();
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

async function expectError(t: Test, server: IrpServer, bytes: Buffer, code: string, id: string | undefined, closes: boolean): Promise<void> {
  const { responses, closed } = await exchange(server, bytes, 1);
  const first = responses[0];
  t.equal(first?.kind, 'Error');
  if (first?.kind === 'Error') {
    t.equal(first.code, code);
    t.equal(first.id, id);
  }
  t.equal(closed, closes, closes ? 'the stub closes the connection' : 'the connection stays open');
}

t.test('malformed requests: Error answers; frame faults close the connection; the stub survives', async (t) => {
  const server = await startStub(t);
  await t.test('not XML', (t) => expectError(t, server, xml('hello'), 'bad_request', undefined, false));
  await t.test('DOCTYPE', (t) => expectError(t, server, xml(`<!DOCTYPE x><Capabilities ${NS} id="a"/>`), 'bad_request', undefined, false));
  await t.test('wrong namespace', (t) => expectError(t, server, xml('<Capabilities xmlns="urn:other" id="a"/>'), 'bad_request', undefined, false));
  await t.test('bad attribute, readable id', (t) => expectError(t, server, xml(`<Lookup ${NS} id="q1" user="not a user"/>`), 'bad_request', 'q1', false));
  await t.test('missing id', (t) => expectError(t, server, xml(`<Lookup ${NS} user="bob@example.com"/>`), 'bad_request', undefined, false));
  await t.test('bad register address', (t) => expectError(t, server, xml(`<Register ${NS} id="g" address="::0001" port="1"/>`), 'bad_request', 'g', false));
  await t.test('unknown operation', (t) => expectError(t, server, xml(`<Frobnicate ${NS} id="f1"/>`), 'unsupported', 'f1', false));
  await t.test('frame type 0x02', (t) => expectError(t, server, encodeFrame(FrameType.Record, Buffer.alloc(20)), 'bad_request', undefined, true));
  await t.test('unknown frame type', (t) => expectError(t, server, encodeFrame(0x07, Buffer.alloc(3)), 'bad_request', undefined, true));
  await t.test('length 0', (t) => expectError(t, server, Buffer.from([0, 0, 0, 0, 1]), 'bad_request', undefined, true));
  await t.test('length over 1 MiB', (t) => expectError(t, server, Buffer.from([0, 0x10, 0, 1, 1]), 'bad_request', undefined, true));
  await t.test('payload not UTF-8', (t) => expectError(t, server, encodeFrame(FrameType.Plaintext, Buffer.from([0x3c, 0xff, 0xfe])), 'bad_request', undefined, true));
  await t.test('pipelined requests are answered in order', async (t) => {
    const bytes = Buffer.concat([xml(`<Capabilities ${NS} id="one"/>`), xml('junk'), xml(`<Lookup ${NS} id="three" user="nobody@example.com"/>`)]);
    const { responses } = await exchange(server, bytes, 3);
    t.same(responses.slice(0, 3).map((r) => [r.kind, r.id]), [['Capabilities', 'one'], ['Error', undefined], ['Error', 'three']]);
  });
  const client = await connect(t, server);
  t.same((await client.capabilities()).versions, [1], 'the stub still serves');
});
