// The relay itself: exact frames whatever the TCP chunking, rules per direction and per frame,
// recording and the log (src/relay/relay.ts). A plain TCP target stands in for the responder.
import t from 'tap';
import net from 'node:net';
import { encodeFrame, FrameType } from '../../src/protocol/frame.js';
import { encodeE2ed } from '../../src/protocol/messages.js';
import { Relay } from '../../src/relay/relay.js';
import type { RelayScript } from '../../src/relay/script.js';
import type { TcpEvent } from '../../src/capture/pcap.js';

const finished = (byte: number): Buffer => encodeFrame(FrameType.Plaintext, encodeE2ed({ kind: 'Finished', verifyData: Buffer.alloc(32, byte) }));
const record = (byte: number): Buffer => encodeFrame(FrameType.Record, Buffer.alloc(20, byte));

async function target(): Promise<{ port: number; received: () => Buffer; ended: Promise<void>; close: () => void }> {
  const chunks: Buffer[] = [];
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const server = net.createServer((s) => {
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => {
      s.end();
      resolveEnded();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received: () => Buffer.concat(chunks), ended, close: () => server.close() };
}

async function through(script: RelayScript, frames: Buffer[], chunk: number): Promise<{ received: Buffer; log: string[]; legs: { initiator: TcpEvent[]; responder: TcpEvent[] } }> {
  const tgt = await target();
  const relay = await Relay.start({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: tgt.port }, script });
  const sock = net.connect(relay.address.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const bytes = Buffer.concat(frames);
  for (let i = 0; i < bytes.length; i += chunk) {
    sock.write(bytes.subarray(i, i + chunk));
    await new Promise((r) => setImmediate(r));
  }
  sock.end();
  await tgt.ended;
  sock.destroy();
  // Both legs closed (the target's FIN reached the relay), or a moment for the rules that cut a leg.
  await Promise.race([relay.sessions[0]!.closed, new Promise((r) => setTimeout(r, 500))]);
  await relay.close();
  tgt.close();
  const session = relay.sessions[0]!;
  return { received: tgt.received(), log: relay.log.map((e) => `${e.dir ?? '-'} ${e.frame ?? '-'} ${e.action}`), legs: { initiator: session.down!.events, responder: session.up.events } };
}

t.test('frames are exact whatever the chunking, and rules act per frame', async (t) => {
  const frames = [finished(1), finished(2), record(3), record(4), record(5)];
  const script: RelayScript = [
    { match: { dir: 'i2r', frame: 'record', nth: 0 }, action: { do: 'drop' } },
    { match: { dir: 'i2r', frame: 'record', nth: 1 }, action: { do: 'duplicate' } },
  ];
  for (const chunk of [1, 3, 7, 1000]) {
    const { received, log } = await through(script, frames, chunk);
    t.same(received, Buffer.concat([frames[0]!, frames[1]!, frames[3]!, frames[3]!, frames[4]!]), `chunks of ${chunk}`);
    t.same(log.filter((l) => l.startsWith('i2r ') && !l.includes('FIN')), ['i2r Hello_I pass', 'i2r CV_I pass', 'i2r record #0 drop', 'i2r record #1 duplicate', 'i2r record #2 pass']);
  }
});

t.test('swapWithNext reorders, flip changes one bit, truncate ends the leg', async (t) => {
  const frames = [record(1), record(2), record(3)];
  const swapped = await through([{ match: { dir: 'i2r', frame: 'record', nth: 0 }, action: { do: 'swapWithNext' } }], frames, 5);
  t.same(swapped.received, Buffer.concat([frames[1]!, frames[0]!, frames[2]!]));
  const flipped = await through([{ match: { dir: 'i2r', frame: 'record', nth: 1 }, action: { do: 'flip', byte: -1, bit: 7 } }], frames, 5);
  const expected = Buffer.concat(frames);
  expected[expected.length - frames[2]!.length - 1] ^= 0x80;
  t.same(flipped.received, expected);
  const cut = await through([{ match: { dir: 'i2r', frame: 'record', nth: 1 }, action: { do: 'truncate', keep: 4 } }], frames, 100);
  t.same(cut.received, Buffer.concat([frames[0]!, frames[1]!.subarray(0, 4)]));
});

t.test('each leg records the bytes it really carried, and the FINs (the captures of a relay case)', async (t) => {
  const frames = [finished(1), record(2), record(3)];
  const { received, legs } = await through([{ match: { dir: 'i2r', frame: 'record', nth: 0 }, action: { do: 'drop' } }], frames, 7);
  const sent = (events: TcpEvent[], from: 'client' | 'server'): Buffer => Buffer.concat(events.flatMap((e) => (e.kind === 'data' && e.from === from ? [e.bytes] : [])));
  t.same(sent(legs.initiator, 'client'), Buffer.concat(frames), 'the initiator leg: everything the initiator sent');
  t.same(sent(legs.responder, 'client'), received, 'the responder leg: what the relay forwarded, the dropped record missing');
  t.same(received, Buffer.concat([frames[0]!, frames[2]!]));
  const ends = (events: TcpEvent[]): string[] => events.filter((e) => e.kind !== 'data').map((e) => `${e.from} ${e.kind}`);
  t.same(ends(legs.initiator), ['client fin', 'server fin'], 'the initiator\'s FIN and the relay\'s on its leg');
  t.same(ends(legs.responder), ['client fin', 'server fin'], 'the relay\'s FIN and the target\'s on the responder leg');
});

t.test('an edit re-encodes the decoded handshake message', async (t) => {
  const { received, log } = await through([{ match: { dir: 'i2r', frame: 'Hello_I' }, action: { do: 'edit', edits: [{ field: 'finished', flipBit: 0 }] } }], [finished(0)], 2);
  t.not(received.toString('hex'), finished(0).toString('hex'));
  t.equal(received.toString('hex'), encodeFrame(FrameType.Plaintext, encodeE2ed({ kind: 'Finished', verifyData: Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]) })).toString('hex'));
  t.match(log[1] ?? '', /Hello_I edit finished bit 0 flipped/);
});
