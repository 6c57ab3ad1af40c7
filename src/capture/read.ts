// Reading a capture back: pcap-parser for the file, then link, IP and TCP headers decoded here,
// and each TCP connection reassembled per direction by sequence number, so out-of-order,
// retransmitted and overlapping segments give the bytes the receiving socket saw, once, in order.
// Works on any classic pcap of E2ED, ours or tcpdump's (Ethernet, Linux cooked, raw IP, BSD loopback).
import { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';

export class CaptureError extends Error {
  constructor(
    readonly code: 'CAPTURE_NOT_PCAP' | 'CAPTURE_TRUNCATED' | 'CAPTURE_LINKTYPE' | 'CAPTURE_UNREADABLE',
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export interface RawPacket {
  /** 1-based, as Wireshark numbers them. */
  number: number;
  timestampMicros: bigint;
  data: Buffer;
}

/** Parses a whole pcap file held in memory; a truncated or foreign file is a CaptureError, never a partial result. */
export function parsePcap(bytes: Buffer): Promise<{ linkType: number; packets: RawPacket[] }> {
  if (bytes.length < 24) return Promise.reject(new CaptureError('CAPTURE_NOT_PCAP', `${bytes.length} bytes: too short for a pcap global header (24 bytes)`));
  const magic = bytes.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xd4c3b2a1) {
    const hint = magic === 0x0a0d0d0a ? ' (this is pcapng: save it as classic pcap, e.g. `editcap -F pcap`)' : magic === 0xa1b23c4d || magic === 0x4d3cb2a1 ? ' (nanosecond pcap is not supported)' : '';
    return Promise.reject(new CaptureError('CAPTURE_NOT_PCAP', `not a classic pcap file: magic number ${bytes.subarray(0, 4).toString('hex')}${hint}`));
  }
  return new Promise((resolve, reject) => {
    const parser = pcapParser.parse(Readable.from([bytes]));
    const packets: RawPacket[] = [];
    let linkType = -1;
    let consumed = 24;
    let failed = false;
    parser.on('globalHeader', (h) => {
      linkType = h.linkLayerType;
    });
    parser.on('packet', (p) => {
      consumed += 16 + p.header.capturedLength;
      packets.push({
        number: packets.length + 1,
        timestampMicros: BigInt(p.header.timestampSeconds) * 1_000_000n + BigInt(p.header.timestampMicroseconds),
        data: Buffer.from(p.data),
      });
    });
    parser.on('error', (err) => {
      failed = true;
      reject(new CaptureError('CAPTURE_UNREADABLE', err.message));
    });
    parser.on('end', () => {
      if (failed) return;
      if (linkType < 0) reject(new CaptureError('CAPTURE_UNREADABLE', 'no pcap global header'));
      // pcap-parser ends quietly on a partial last record; a capture cut short is an error here.
      else if (consumed !== bytes.length) reject(new CaptureError('CAPTURE_TRUNCATED', `truncated capture: ${bytes.length - consumed} byte(s) after packet ${packets.length} do not make a whole packet record`));
      else resolve({ linkType, packets });
    });
  });
}

export interface TcpSegment {
  packet: number;
  timestampMicros: bigint;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: { syn: boolean; ack: boolean; fin: boolean; rst: boolean; psh: boolean };
  payload: Buffer;
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}

/** The IP packet inside one link-layer frame, or undefined for a frame that carries none. */
function ipPayload(linkType: number, data: Buffer): Buffer | undefined {
  switch (linkType) {
    case 1: {
      // Ethernet, possibly one 802.1Q tag.
      if (data.length < 14) return undefined;
      let type = data.readUInt16BE(12);
      let off = 14;
      if (type === 0x8100 && data.length >= 18) {
        type = data.readUInt16BE(16);
        off = 18;
      }
      return type === 0x0800 || type === 0x86dd ? data.subarray(off) : undefined;
    }
    case 0: // BSD loopback: 4-byte family in host order
      return data.length > 4 ? data.subarray(4) : undefined;
    case 101: // raw IP
      return data;
    case 113: // Linux cooked (SLL)
      return data.length >= 16 && [0x0800, 0x86dd].includes(data.readUInt16BE(14)) ? data.subarray(16) : undefined;
    case 276: // Linux cooked v2 (SLL2)
      return data.length >= 20 && [0x0800, 0x86dd].includes(data.readUInt16BE(0)) ? data.subarray(20) : undefined;
    default:
      throw new CaptureError('CAPTURE_LINKTYPE', `link type ${linkType} is not supported (Ethernet, Linux cooked, raw IP and BSD loopback are)`);
  }
}

/** The TCP segments of a capture, in file order; packets that are not TCP over IP are left out. */
export function tcpSegments(linkType: number, packets: readonly RawPacket[]): TcpSegment[] {
  const out: TcpSegment[] = [];
  for (const p of packets) {
    const ip = ipPayload(linkType, p.data);
    if (!ip || ip.length < 20) continue;
    const version = ip[0]! >> 4;
    let src: Buffer;
    let dst: Buffer;
    let tcp: Buffer;
    if (version === 4) {
      const ihl = (ip[0]! & 0x0f) * 4;
      const total = ip.readUInt16BE(2);
      if (ip[9] !== 6 || ihl < 20 || total < ihl || total > ip.length) continue;
      if ((ip.readUInt16BE(6) & 0x3fff) !== 0) continue; // fragments: not reassembled
      src = ip.subarray(12, 16);
      dst = ip.subarray(16, 20);
      tcp = ip.subarray(ihl, total);
    } else if (version === 6) {
      if (ip.length < 40 || ip[6] !== 6) continue; // extension headers: not followed
      const payloadLength = ip.readUInt16BE(4);
      if (40 + payloadLength > ip.length) continue;
      src = ip.subarray(8, 24);
      dst = ip.subarray(24, 40);
      tcp = ip.subarray(40, 40 + payloadLength);
    } else continue;
    if (tcp.length < 20) continue;
    const dataOffset = (tcp[12]! >> 4) * 4;
    if (dataOffset < 20 || dataOffset > tcp.length) continue;
    const f = tcp[13]!;
    out.push({
      packet: p.number,
      timestampMicros: p.timestampMicros,
      src: ipText(src),
      dst: ipText(dst),
      srcPort: tcp.readUInt16BE(0),
      dstPort: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      ack: tcp.readUInt32BE(8),
      flags: { fin: (f & 1) !== 0, syn: (f & 2) !== 0, rst: (f & 4) !== 0, psh: (f & 8) !== 0, ack: (f & 16) !== 0 },
      payload: Buffer.from(tcp.subarray(dataOffset)),
    });
  }
  return out;
}

/** Bytes that became readable in order on one direction at one packet. */
export interface StreamChunk {
  direction: 'c2s' | 's2c';
  /** The packet whose arrival made these bytes contiguous. */
  packet: number;
  bytes: Buffer;
}

export interface TcpStream {
  index: number;
  /** The end that sent the SYN (or, without one, the first sender seen). */
  client: { address: string; port: number };
  server: { address: string; port: number };
  /** Both directions' in-order bytes, interleaved by the packet that completed them. */
  chunks: StreamChunk[];
  /** FIN seen per direction, and whether either end reset. */
  fin: { c2s: boolean; s2c: boolean };
  reset: { by: 'client' | 'server'; packet: number } | undefined;
  /** Bytes that never became contiguous (a gap in the capture), per direction. */
  missing: { c2s: number; s2c: number };
  retransmittedBytes: number;
  outOfOrderSegments: number;
}

class DirectionAssembler {
  private base: number | undefined;
  /** Offset (from the initial sequence + 1) of the next byte expected. */
  private next = 0;
  private readonly pending = new Map<number, Buffer>();
  retransmitted = 0;
  outOfOrder = 0;
  finAt: number | undefined;

  constructor(private readonly emit: (packet: number, bytes: Buffer) => void) {}

  syn(seq: number): void {
    if (this.base === undefined) this.base = (seq + 1) >>> 0;
  }

  private offset(seq: number): number {
    // Sequence numbers wrap at 2^32; offsets stay small for any one capture.
    return ((seq - this.base!) >>> 0) > 0x7fffffff ? ((seq - this.base!) >>> 0) - 0x100000000 : (seq - this.base!) >>> 0;
  }

  segment(seq: number, payload: Buffer, fin: boolean, packet: number): void {
    if (this.base === undefined) this.base = seq; // capture started mid-connection
    const off = this.offset(seq);
    if (fin) this.finAt = off + payload.length;
    if (payload.length === 0) return;
    if (off + payload.length <= this.next) {
      this.retransmitted += payload.length;
      return;
    }
    if (off > this.next) {
      this.outOfOrder++;
      const held = this.pending.get(off);
      if (!held || held.length < payload.length) this.pending.set(off, payload);
      return;
    }
    if (off < this.next) this.retransmitted += this.next - off;
    let data = payload.subarray(this.next - off);
    this.next += data.length;
    const out = [data];
    // Held segments that now join on.
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const [o, b] of [...this.pending]) {
        if (o > this.next) continue;
        this.pending.delete(o);
        if (o + b.length <= this.next) {
          this.retransmitted += b.length;
          continue;
        }
        if (o < this.next) this.retransmitted += this.next - o;
        data = b.subarray(this.next - o);
        this.next += data.length;
        out.push(data);
        progressed = true;
      }
    }
    this.emit(packet, Buffer.concat(out));
  }

  get missingBytes(): number {
    let missing = 0;
    let at = this.next;
    for (const o of [...this.pending.keys()].sort((a, b) => a - b)) {
      if (o > at) missing += o - at;
      at = Math.max(at, o + this.pending.get(o)!.length);
    }
    if (this.finAt !== undefined && this.finAt > at) missing += this.finAt - at;
    return missing;
  }
}

/** Groups segments into connections and reassembles each. A new SYN on a known 4-tuple starts a new connection. */
export function reassemble(segments: readonly TcpSegment[]): TcpStream[] {
  const streams: (TcpStream & { asm: { c2s: DirectionAssembler; s2c: DirectionAssembler } })[] = [];
  const open = new Map<string, (typeof streams)[number]>();
  const key = (a: string, ap: number, b: string, bp: number): string => `${a}|${ap}|${b}|${bp}`;
  for (const s of segments) {
    let st = open.get(key(s.src, s.srcPort, s.dst, s.dstPort)) ?? open.get(key(s.dst, s.dstPort, s.src, s.srcPort));
    const isNewSyn = s.flags.syn && !s.flags.ack;
    if (st && isNewSyn && st.client.address === s.src && st.client.port === s.srcPort && st.chunks.length > 0) st = undefined;
    if (!st) {
      const created = {
        index: streams.length,
        client: { address: s.src, port: s.srcPort },
        server: { address: s.dst, port: s.dstPort },
        chunks: [] as StreamChunk[],
        fin: { c2s: false, s2c: false },
        reset: undefined as TcpStream['reset'],
        missing: { c2s: 0, s2c: 0 },
        retransmittedBytes: 0,
        outOfOrderSegments: 0,
      };
      // A SYN-ACK seen first means the capture missed the SYN: its sender is the server.
      if (s.flags.syn && s.flags.ack) {
        created.client = { address: s.dst, port: s.dstPort };
        created.server = { address: s.src, port: s.srcPort };
      }
      const asm = {
        c2s: new DirectionAssembler((packet, bytes) => created.chunks.push({ direction: 'c2s', packet, bytes })),
        s2c: new DirectionAssembler((packet, bytes) => created.chunks.push({ direction: 's2c', packet, bytes })),
      };
      st = Object.assign(created, { asm });
      streams.push(st);
      open.set(key(created.client.address, created.client.port, created.server.address, created.server.port), st);
    }
    const dir = s.src === st.client.address && s.srcPort === st.client.port ? 'c2s' : 's2c';
    const asm = st.asm[dir];
    if (s.flags.syn) {
      asm.syn(s.seq);
      continue;
    }
    if (s.flags.rst) {
      st.reset ??= { by: dir === 'c2s' ? 'client' : 'server', packet: s.packet };
      continue;
    }
    asm.segment(s.seq, s.payload, s.flags.fin, s.packet);
    if (s.flags.fin) st.fin[dir] = true;
  }
  return streams.map(({ asm, ...st }) => ({
    ...st,
    missing: { c2s: asm.c2s.missingBytes, s2c: asm.s2c.missingBytes },
    retransmittedBytes: asm.c2s.retransmitted + asm.s2c.retransmitted,
    outOfOrderSegments: asm.c2s.outOfOrder + asm.s2c.outOfOrder,
  }));
}

export async function readTcpStreams(bytes: Buffer): Promise<TcpStream[]> {
  const { linkType, packets } = await parsePcap(bytes);
  return reassemble(tcpSegments(linkType, packets));
}
