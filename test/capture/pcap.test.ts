// The capture core without sockets: the pcap writer and TCP synthesiser (headers, checksums,
// sequence numbers, determinism), the reader (pcap-parser, truncated and foreign files), and TCP
// reassembly of a hand-built capture with out-of-order, retransmitted and overlapping segments.
import t, { type Test } from 'tap';
import pcapParser from 'pcap-parser';
import { Readable } from 'node:stream';
import { capturePcap, synthesiseTcp, writePcap, type Packet, type TcpConversation } from '../../src/capture/pcap.js';
import { CaptureError, parsePcap, readTcpStreams, reassemble, tcpSegments } from '../../src/capture/read.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.js';

const hello = encodeFrame(1, Buffer.from('<Hello xmlns="urn:sixchat:e2ed:1" role="initiator"/>'));
const reply = encodeFrame(1, Buffer.from('<Hello xmlns="urn:sixchat:e2ed:1" role="responder"/>'));
const record = encodeFrame(2, Buffer.alloc(40, 7));

function conversation(address: string): TcpConversation {
  return {
    client: { address, port: 50000 },
    server: { address, port: 4605 },
    events: [
      { from: 'client', kind: 'data', bytes: hello },
      { from: 'server', kind: 'data', bytes: Buffer.concat([reply, record.subarray(0, 7)]) },
      { from: 'server', kind: 'data', bytes: record.subarray(7) },
      { from: 'client', kind: 'fin' },
      { from: 'server', kind: 'fin' },
    ],
  };
}

/** RFC 1071: a header with its checksum in place sums to 0xffff. */
function sums(parts: Buffer[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.length; i += 2) sum += p.readUInt16BE(i);
    if (p.length % 2) sum += p[p.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function checkChecksums(t: Test, packet: Packet): void {
  const eth = packet.data;
  const type = eth.readUInt16BE(12);
  const ip = eth.subarray(14);
  if (type === 0x0800) {
    t.equal(sums([ip.subarray(0, 20)]), 0xffff, 'IPv4 header checksum');
    const tcp = ip.subarray(20, ip.readUInt16BE(2));
    const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 6, tcp.length >> 8, tcp.length & 0xff])]);
    t.equal(sums([pseudo, tcp]), 0xffff, 'TCP checksum (IPv4)');
  } else {
    t.equal(type, 0x86dd);
    const tcp = ip.subarray(40, 40 + ip.readUInt16BE(4));
    const pseudo = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, tcp.length >> 8, tcp.length & 0xff, 0, 0, 0, 6])]);
    t.equal(sums([pseudo, tcp]), 0xffff, 'TCP checksum (IPv6)');
  }
}

for (const address of ['127.0.0.1', '::1']) {
  t.test(`synthesised ${address} connection: handshake, data, FIN; valid checksums; reassembles to the exact bytes`, async (t) => {
    const packets = synthesiseTcp(conversation(address), 'seed-1');
    for (const p of packets) checkChecksums(t, p);
    const file = writePcap(packets);
    const { packets: raw, linkType } = await parsePcap(file);
    t.equal(linkType, 1);
    t.equal(raw.length, packets.length);
    const segs = tcpSegments(linkType, raw);
    t.same(segs.slice(0, 3).map((s) => [s.flags.syn, s.flags.ack]), [[true, false], [true, true], [false, true]], 'SYN, SYN-ACK, ACK');
    t.equal(segs[1]!.ack, (segs[0]!.seq + 1) >>> 0, 'the SYN-ACK acknowledges the SYN');
    // Every segment acknowledges exactly what the other end has sent so far.
    let sent = { c: (segs[0]!.seq + 1) >>> 0, s: (segs[1]!.seq + 1) >>> 0 };
    for (const s of segs.slice(2)) {
      const fromClient = s.srcPort === 50000;
      t.equal(s.seq, fromClient ? sent.c : sent.s, `seq of packet ${s.packet}`);
      t.equal(s.ack, fromClient ? sent.s : sent.c, `ack of packet ${s.packet}`);
      const advance = (s.seq + s.payload.length + (s.flags.fin ? 1 : 0)) >>> 0;
      sent = fromClient ? { ...sent, c: advance } : { ...sent, s: advance };
    }
    const times = raw.map((p) => p.timestampMicros);
    t.ok(times.every((x, i) => i === 0 || x > times[i - 1]!), 'timestamps strictly increase');
    const [stream] = reassemble(segs);
    t.same(stream!.client, { address, port: 50000 });
    t.same(Buffer.concat(stream!.chunks.filter((c) => c.direction === 'c2s').map((c) => c.bytes)), hello);
    t.same(Buffer.concat(stream!.chunks.filter((c) => c.direction === 's2c').map((c) => c.bytes)), Buffer.concat([reply, record]));
    t.same(stream!.fin, { c2s: true, s2c: true });
    // pcap-parser itself (not only our wrapper) reads the file.
    const count = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const parser = pcapParser.parse(Readable.from([file]));
      parser.on('packet', () => n++);
      parser.on('end', () => resolve(n));
      parser.on('error', reject);
    });
    t.equal(count, packets.length);
  });
}

t.test('one seed gives byte-identical files; another seed other sequence numbers', async (t) => {
  const a = capturePcap([{ conversation: conversation('::1'), seed: 's' }]);
  const b = capturePcap([{ conversation: conversation('::1'), seed: 's' }]);
  const c = capturePcap([{ conversation: conversation('::1'), seed: 'other' }]);
  t.ok(a.equals(b));
  t.notOk(a.equals(c));
});

t.test('a reset ends the synthesised connection: nothing after it', async (t) => {
  const conv = conversation('127.0.0.1');
  conv.events = [{ from: 'client', kind: 'data', bytes: hello }, { from: 'server', kind: 'rst' }, { from: 'client', kind: 'data', bytes: hello }];
  const streams = await readTcpStreams(capturePcap([{ conversation: conv, seed: 'r' }]));
  t.same(streams[0]!.reset?.by, 'server');
  t.equal(Buffer.concat(streams[0]!.chunks.map((c) => c.bytes)).length, hello.length);
});

t.test('a large chunk is split into several segments and joined again', async (t) => {
  const big = encodeFrame(1, Buffer.alloc(100_000, 0x41));
  const conv: TcpConversation = { client: { address: '::1', port: 1 }, server: { address: '::1', port: 4605 }, events: [{ from: 'client', kind: 'data', bytes: big }] };
  const packets = synthesiseTcp(conv, 'big');
  t.ok(packets.length > 5);
  const [stream] = await readTcpStreams(writePcap(packets));
  t.same(Buffer.concat(stream!.chunks.map((c) => c.bytes)), big);
});

t.test('hand-built capture: out-of-order, retransmitted and overlapping segments reassemble once, in order', async (t) => {
  const data = Buffer.concat([hello, record]);
  const conv: TcpConversation = { client: { address: '10.0.0.1', port: 40000 }, server: { address: '10.0.0.2', port: 4605 }, events: [] };
  // Build each segment by hand: a synthesised connection per piece gives correct headers; we
  // rewrite sequence numbers to place each piece where we want it.
  const isn = 1000;
  const piece = (offset: number, length: number): Buffer => data.subarray(offset, offset + length);
  const segment = (seq: number, payload: Buffer, flags = 0x18): Packet => {
    const one = synthesiseTcp({ ...conv, events: [{ from: 'client', kind: 'data', bytes: payload.length > 0 ? payload : Buffer.from([0]) }] }, 'x')[3]!;
    const frame = Buffer.from(one.data);
    const tcp = frame.subarray(14 + 20);
    tcp.writeUInt32BE(seq >>> 0, 4);
    tcp[13] = flags;
    const trimmed = payload.length > 0 ? frame : frame.subarray(0, frame.length - 1);
    trimmed.writeUInt16BE(trimmed.length - 14, 14 + 2);
    return { timestampMicros: 0n, data: trimmed };
  };
  const syn = segment(isn, Buffer.alloc(0), 0x02);
  const s1 = segment(isn + 1, piece(0, 20));
  const s3 = segment(isn + 1 + 50, piece(50, data.length - 50));
  const s2 = segment(isn + 1 + 20, piece(20, 30));
  const retrans = segment(isn + 1, piece(0, 20));
  const overlap = segment(isn + 1 + 10, piece(10, 50));
  const packets = [syn, s1, s3, retrans, s2, overlap].map((p, i) => ({ ...p, timestampMicros: BigInt(i) }));
  const [stream] = reassemble(tcpSegments(1, (await parsePcap(writePcap(packets))).packets));
  const bytes = Buffer.concat(stream!.chunks.map((c) => c.bytes));
  t.same(bytes, data, 'the stream is the bytes sent, once, in order');
  t.equal(stream!.outOfOrderSegments, 1);
  t.equal(stream!.retransmittedBytes, 20 + 50);
  t.same(stream!.missing, { c2s: 0, s2c: 0 });
  const frames = new FrameDecoder().push(bytes);
  t.same(frames.map((f) => f.type), [1, 2], 'the frames decode from the reassembled stream');
  // The held segment joins on as soon as the gap before it is filled (no later segment needed).
  const [joined] = reassemble(tcpSegments(1, (await parsePcap(writePcap([syn, s3, s1, s2].map((p, i) => ({ ...p, timestampMicros: BigInt(i) }))))).packets));
  t.same(Buffer.concat(joined!.chunks.map((c) => c.bytes)), data);
  t.same(joined!.chunks.map((c) => c.packet), [3, 4], 'the bytes become readable at the packets that fill the gaps');
  // Without the middle segment the gap is reported, and only the bytes before it are given.
  const [gapped] = reassemble(tcpSegments(1, (await parsePcap(writePcap([syn, s1, s3].map((p, i) => ({ ...p, timestampMicros: BigInt(i) }))))).packets));
  t.equal(Buffer.concat(gapped!.chunks.map((c) => c.bytes)).length, 20);
  t.equal(gapped!.missing.c2s, 30);
});

t.test('bad input: a specific CaptureError, never a partial result', async (t) => {
  const good = capturePcap([{ conversation: conversation('::1'), seed: 'e' }]);
  await t.rejects(parsePcap(good.subarray(0, good.length - 3)), { code: 'CAPTURE_TRUNCATED' });
  await t.rejects(parsePcap(good.subarray(0, 10)), { code: 'CAPTURE_NOT_PCAP' });
  await t.rejects(parsePcap(Buffer.from('hello, this is not a capture at all')), { code: 'CAPTURE_NOT_PCAP' });
  await t.rejects(parsePcap(Buffer.concat([Buffer.from('0a0d0d0a', 'hex'), Buffer.alloc(40)])), { code: 'CAPTURE_NOT_PCAP', message: /pcapng/ });
  const otherLink = Buffer.from(good);
  otherLink.writeUInt32BE(147, 20); // a user link type
  await t.rejects(readTcpStreams(otherLink), CaptureError);
  // A little-endian classic pcap (what tcpdump writes on x86) is read as well.
  const le = Buffer.from(good);
  le.writeUInt32LE(0xa1b2c3d4, 0);
  le.writeUInt16LE(2, 4);
  le.writeUInt16LE(4, 6);
  le.writeUInt32LE(262144, 16);
  le.writeUInt32LE(1, 20);
  for (let off = 24; off < le.length; ) {
    const rec = good.subarray(off, off + 16);
    const len = rec.readUInt32BE(8);
    for (const k of [0, 4, 8, 12]) le.writeUInt32LE(rec.readUInt32BE(k), off + k);
    off += 16 + len;
  }
  const streams = await readTcpStreams(le);
  t.equal(streams.length, 1);
});
