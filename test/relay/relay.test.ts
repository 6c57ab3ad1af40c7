// The relay itself: exact frames whatever the TCP chunking, rules per direction and per frame,
// recording and the log (src/relay/relay.ts). A plain TCP target stands in for the responder.
import t from 'tap';
import net from 'node:net';
import { encodeFrame, FrameType } from '../../src/protocol/frame.js';
import { encodeE2ed } from '../../src/protocol/messages.js';
import { Relay } from '../../src/relay/relay.js';
import { checkRelayScript, type RelayScript } from '../../src/relay/script.js';
import { parseXml } from '../../src/protocol/xml.js';
import { E2ED_NAMESPACE } from '../../src/protocol/messages.js';
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

t.test('swapWithNext reorders, the mutator flipBit changes one bit, truncate ends the leg', async (t) => {
  const frames = [record(1), record(2), record(3)];
  const swapped = await through([{ match: { dir: 'i2r', frame: 'record', nth: 0 }, action: { do: 'swapWithNext' } }], frames, 5);
  t.same(swapped.received, Buffer.concat([frames[1]!, frames[0]!, frames[2]!]));
  const flipped = await through([{ match: { dir: 'i2r', frame: 'record', nth: 1 }, action: { do: 'mutate', mutate: [{ op: 'flipBit', at: -1, bit: 7 }] } }], frames, 5);
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

t.test("mutate: the adversary's tree, text and byte mutators on a plaintext frame; byte mutators only on a record", async (t) => {
  const ping = encodeFrame(FrameType.Plaintext, encodeE2ed({ kind: 'Ping', id: 'p1' }));
  const tree = await through([{ match: { dir: 'i2r', frame: 'Hello_I' }, action: { do: 'mutate', mutate: [{ op: 'set', path: '@id', value: 'p2' }, { op: 'addChild', name: 'Extra', critical: true }] } }], [ping], 3);
  const payload = tree.received.subarray(5);
  t.equal(tree.received.readUInt32BE(0), payload.length + 1, 'the header says the new length');
  const el = parseXml(payload, E2ED_NAMESPACE);
  t.same([el.name, el.attributes, el.children.map((c) => [c.name, c.attributes])], ['Ping', { id: 'p2' }, [['Extra', { critical: 'true' }]]], 'the XML as the mutators left it');
  t.match(tree.log[1] ?? '', /Hello_I mutate set path=@id value=p2, addChild name=Extra critical=true/);
  const text = await through([{ match: { dir: 'i2r', frame: 'Hello_I' }, action: { do: 'mutate', mutate: [{ op: 'inject', what: 'comment', where: 'inside' }, { op: 'prefix', hex: 'efbbbf' }] } }], [ping], 1000);
  t.match(text.received.subarray(5).toString('utf8'), /^\ufeff<Ping [^>]*><!-- sixbench --><\/Ping>$/, 'text mutators, then bytes');
  const sealed = await through([{ match: { dir: 'i2r', frame: 'record' }, action: { do: 'mutate', mutate: [{ op: 'set', path: '@id', value: 'x' }] } }], [record(7)], 1000);
  t.same(sealed.received, record(7), 'a tree mutator on a record cannot apply: the record passes unchanged');
  t.match(sealed.log[1] ?? '', /could not: a record's payload is sealed: only byte mutators apply to it, not set; forwarded unchanged/);
  const truncated = await through([{ match: { dir: 'i2r', frame: 'record' }, action: { do: 'mutate', mutate: [{ op: 'truncate', keep: 4 }] } }], [record(7)], 1000);
  t.same(truncated.received, encodeFrame(FrameType.Record, Buffer.alloc(4, 7)), 'a byte mutator shortens the sealed payload, header rewritten');
});

t.test("inject builds its frame as the adversary's send does", async (t) => {
  const frames = [record(1)];
  const alert = await through([{ match: { dir: 'i2r', frame: 'record' }, action: { do: 'inject', send: { message: 'Alert', fields: { level: 'warning', code: 'close_notify' } } } }], frames, 1000);
  const injected = alert.received.subarray(0, alert.received.length - frames[0]!.length);
  t.equal(injected[4], FrameType.Plaintext);
  t.same(parseXml(injected.subarray(5), E2ED_NAMESPACE).attributes, { level: 'warning', code: 'close_notify' }, 'the template with its fields');
  t.match(alert.log[1] ?? '', /inject Alert as plaintext before/);
  const forged = await through([{ match: { dir: 'i2r', frame: 'record' }, action: { do: 'inject', send: { raw: { hex: '0102' }, as: 'record', mutate: [{ op: 'extend', hex: '03' }] }, position: 'after' } }], frames, 1000);
  t.same(forged.received, Buffer.concat([frames[0]!, encodeFrame(FrameType.Record, Buffer.from('010203', 'hex'))]), 'a raw record after the frame');
});

t.test('the check of a script names the field it does not know', async (t) => {
  const rule = (action: unknown): unknown => [{ match: { dir: 'i2r', frame: 'Hello_I' }, action }];
  t.doesNotThrow(() => checkRelayScript(rule({ do: 'mutate', mutate: [{ op: 'flipBit', at: 3 }] })));
  t.doesNotThrow(() => checkRelayScript(rule({ do: 'inject', send: { message: 'Ping' } })));
  t.throws(() => checkRelayScript(rule({ do: 'flip', byte: 0 })), /^script\[0\]\.action\.do: unknown action "flip" \(known: pass, /);
  t.throws(() => checkRelayScript(rule({ do: 'mutate', mutate: [{ op: 'flipbit', at: 3 }] })), /^script\[0\]\.action\.mutate\[0\]\.op: unknown mutator "flipbit"/);
  t.throws(() => checkRelayScript(rule({ do: 'mutate', mutate: [{ op: 'flipBit', byte: 3 }] })), /^script\[0\]\.action\.mutate\[0\]\.at: the mutator flipBit needs it/);
  t.throws(() => checkRelayScript(rule({ do: 'mutate', mutate: [{ op: 'flipBit', at: 3, bits: 1 }] })), /mutate\[0\]\.bits: the mutator flipBit has no such field/);
  t.throws(() => checkRelayScript(rule({ do: 'drop', ms: 3 })), /^script\[0\]\.action\.ms: the action drop has no such field/);
  t.throws(() => checkRelayScript(rule({ do: 'inject', send: { message: 'Hello' } })), /action\.send\.message: "Hello" is not a message the relay can build without a session/);
  t.throws(() => checkRelayScript(rule({ do: 'inject', send: { message: 'Ping', as: 'record' } })), /action\.send\.as: the relay has no record keys/);
  t.throws(() => checkRelayScript(rule({ do: 'inject', send: { message: 'Ping', mutate: [{ op: 'shred' }] } })), /action\.send\.mutate\[0\]\.op: unknown mutator "shred"/);
  t.throws(() => checkRelayScript([{ match: { dir: 'i2x', frame: 'Hello_I' }, action: { do: 'pass' } }]), /^script\[0\]\.match\.dir: unknown direction "i2x"/);
});

/** A target keeping each accepted connection's bytes apart, in accept order. */
async function targets(): Promise<{ port: number; received: (n: number) => Buffer; accepted: (n: number) => Promise<void>; close: () => void }> {
  const conns: Buffer[][] = [];
  const waiters: Array<() => void> = [];
  const server = net.createServer((s) => {
    const chunks: Buffer[] = [];
    conns.push(chunks);
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => s.end());
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = async (n: number): Promise<void> => {
    while (conns.length <= n) await new Promise<void>((r) => waiters.push(r));
  };
  return { port: (server.address() as net.AddressInfo).port, received: (n) => Buffer.concat(conns[n] ?? []), accepted, close: () => server.close() };
}

t.test('moveTo: the moved record is the first record of the target session, whichever session is ahead', async (t) => {
  const handshake = [finished(1), finished(2), finished(3)];
  const script: RelayScript = [{ match: { session: 0, dir: 'i2r', frame: 'record', nth: 0 }, action: { do: 'moveTo', session: 1 } }];
  const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
  for (const order of ['source first', 'target first', 'source ends without a record'] as const) {
    const tgt = await targets();
    const relay = await Relay.start({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: tgt.port }, script });
    const connect = async (n: number): Promise<net.Socket> => {
      const s = net.connect(relay.address.port, '127.0.0.1');
      await new Promise<void>((r) => s.once('connect', () => r()));
      await tgt.accepted(n);
      return s;
    };
    const s0 = await connect(0);
    const s1 = await connect(1);
    s0.write(Buffer.concat(handshake));
    s1.write(Buffer.concat(handshake));
    if (order === 'source first') {
      s0.write(record(0xa0));
      await settle();
      s1.write(record(0xb1));
    } else if (order === 'target first') {
      // The second session's own record comes first: it is held until the moved one has gone ahead of it.
      s1.write(record(0xb1));
      await settle();
      t.same(tgt.received(1), Buffer.concat(handshake), `${order}: the own record waits for the moved one`);
      s0.write(record(0xa0));
    } else {
      s1.write(record(0xb1));
      await settle();
      s0.end();
    }
    const expected = Buffer.concat(order === 'source ends without a record' ? [...handshake, record(0xb1)] : [...handshake, record(0xa0), record(0xb1)]);
    // Waits on the bytes, not on a time: a bound only stops a hang.
    for (let i = 0; i < 500 && tgt.received(1).length < expected.length; i++) await settle(10);
    t.same(tgt.received(1), expected, `${order}: what the second session's receiver got`);
    t.same(tgt.received(0), Buffer.concat(handshake), `${order}: the moved record left the first session`);
    s0.destroy();
    s1.destroy();
    await relay.close();
    tgt.close();
  }
});
