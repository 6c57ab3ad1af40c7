// Classic libpcap files (the "pcap" format of tcpdump and Wireshark: 24-byte global header, then
// one 16-byte record header per packet) with Ethernet/IPv4-or-IPv6/TCP headers synthesised around
// the bytes that really crossed a socket. Pure functions over recorded events: no sockets, no
// clock. Timestamps come from a logical clock, sequence numbers from the seed, so a seed gives
// byte-identical files run after run.
import { createHash } from 'node:crypto';
import net from 'node:net';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 262144;
/** The logical clock starts here (2026-01-01T00:00:00Z) and moves 1 ms per packet. */
export const LOGICAL_EPOCH_SECONDS = 1767225600;
const TICK_MICROSECONDS = 1000;
/** Payload per synthesised segment: big enough that a frame rarely splits, small enough for any IPv4 packet. */
export const SEGMENT_PAYLOAD = 32768;

export interface Endpoint {
  /** Textual IPv4 or IPv6 address; both ends of one connection use the same family. */
  address: string;
  port: number;
}

/** What one end of a TCP connection did, in the order the recorder saw it. */
export type TcpEvent =
  | { from: 'client' | 'server'; kind: 'data'; bytes: Buffer }
  /** The end sent FIN (half-close). */
  | { from: 'client' | 'server'; kind: 'fin' }
  /** The end reset the connection, or the socket failed: nothing more flows either way. */
  | { from: 'client' | 'server'; kind: 'rst' };

export interface TcpConversation {
  client: Endpoint;
  server: Endpoint;
  events: TcpEvent[];
}

export interface Packet {
  /** Microseconds since the Unix epoch. */
  timestampMicros: bigint;
  /** The link-layer frame (Ethernet). */
  data: Buffer;
}

const FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;
const MAC = { client: Buffer.from('020000000001', 'hex'), server: Buffer.from('020000000002', 'hex') };

/** A 32-bit initial sequence number derived from the seed and the end (deterministic, well spread). */
export function initialSequence(seed: string, who: 'client' | 'server'): number {
  return createHash('sha256').update(`${seed}/${who}`).digest().readUInt32BE(0);
}

function ipBytes(address: string): Buffer {
  const family = net.isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family === 6) {
    const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
    const parse = (s: string | undefined): number[] => (s ? s.split(':').filter((x) => x !== '').map((h) => parseInt(h, 16)) : []);
    let groups = parse(head);
    if (tail !== undefined) {
      const after = parse(tail);
      groups = [...groups, ...new Array<number>(8 - groups.length - after.length).fill(0), ...after];
    }
    if (groups.length !== 8 || address.includes('.')) throw new RangeError(`unsupported IPv6 address ${address}`);
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
    return b;
  }
  throw new RangeError(`not an IP address: ${address}`);
}

/** RFC 1071 ones' complement sum, folded. */
function onesComplement(parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) sum += part.readUInt16BE(i);
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Segment {
  from: 'client' | 'server';
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

/** The Ethernet frame of one TCP segment. */
function frameOf(conv: TcpConversation, s: Segment): Buffer {
  const src = s.from === 'client' ? conv.client : conv.server;
  const dst = s.from === 'client' ? conv.server : conv.client;
  const srcIp = ipBytes(src.address);
  const dstIp = ipBytes(dst.address);
  if (srcIp.length !== dstIp.length) throw new RangeError(`mixed address families: ${src.address} and ${dst.address}`);
  const tcp = Buffer.alloc(20 + s.payload.length);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp.writeUInt32BE(s.flags & FLAG.ACK ? s.ack >>> 0 : 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = s.flags;
  tcp.writeUInt16BE(65535, 14);
  s.payload.copy(tcp, 20);
  const v6 = srcIp.length === 16;
  const pseudo = v6
    ? Buffer.concat([srcIp, dstIp, Buffer.from([0, 0, tcp.length >>> 8, tcp.length & 0xff, 0, 0, 0, 6])])
    : Buffer.concat([srcIp, dstIp, Buffer.from([0, 6, tcp.length >>> 8, tcp.length & 0xff])]);
  tcp.writeUInt16BE(onesComplement([pseudo, tcp]), 16);
  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(tcp.length, 4);
    ip[6] = 6;
    ip[7] = 64;
    srcIp.copy(ip, 8);
    dstIp.copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + tcp.length, 2);
    ip.writeUInt16BE(0x4000, 6); // don't fragment
    ip[8] = 64;
    ip[9] = 6;
    srcIp.copy(ip, 12);
    dstIp.copy(ip, 16);
    ip.writeUInt16BE(onesComplement([ip]), 10);
  }
  const eth = Buffer.alloc(14);
  MAC[s.from === 'client' ? 'server' : 'client'].copy(eth, 0);
  MAC[s.from].copy(eth, 6);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip, tcp]);
}

/**
 * The segments of one connection: three-way handshake, each recorded chunk as one or more
 * segments (PSH on the last) acknowledged by the other end, FIN exchange or RST as recorded.
 * `seed` picks the initial sequence numbers; `startTick` places the first packet on the logical clock.
 */
export function synthesiseTcp(conv: TcpConversation, seed: string, startTick = 0): Packet[] {
  const next = { client: initialSequence(seed, 'client'), server: initialSequence(seed, 'server') };
  const finSent = { client: false, server: false };
  const segments: Segment[] = [];
  const other = (w: 'client' | 'server'): 'client' | 'server' => (w === 'client' ? 'server' : 'client');
  const push = (from: 'client' | 'server', flags: number, payload: Buffer = Buffer.alloc(0)): void => {
    segments.push({ from, seq: next[from], ack: next[other(from)], flags, payload });
    next[from] = (next[from] + payload.length + (flags & (FLAG.SYN | FLAG.FIN) ? 1 : 0)) >>> 0;
  };
  push('client', FLAG.SYN);
  segments.push({ from: 'server', seq: next.server, ack: next.client, flags: FLAG.SYN | FLAG.ACK, payload: Buffer.alloc(0) });
  next.server = (next.server + 1) >>> 0;
  push('client', FLAG.ACK);
  let reset = false;
  for (const ev of conv.events) {
    if (reset) break;
    if (ev.kind === 'data') {
      if (ev.bytes.length === 0 || finSent[ev.from]) continue;
      for (let off = 0; off < ev.bytes.length; off += SEGMENT_PAYLOAD) {
        const part = ev.bytes.subarray(off, off + SEGMENT_PAYLOAD);
        push(ev.from, FLAG.ACK | (off + SEGMENT_PAYLOAD >= ev.bytes.length ? FLAG.PSH : 0), part);
      }
      push(other(ev.from), FLAG.ACK);
    } else if (ev.kind === 'fin') {
      if (finSent[ev.from]) continue;
      finSent[ev.from] = true;
      push(ev.from, FLAG.FIN | FLAG.ACK);
      push(other(ev.from), FLAG.ACK);
    } else {
      push(ev.from, FLAG.RST | FLAG.ACK);
      reset = true;
    }
  }
  return segments.map((s, i) => {
    const micros = BigInt(LOGICAL_EPOCH_SECONDS) * 1_000_000n + BigInt((startTick + i) * TICK_MICROSECONDS);
    return { timestampMicros: micros, data: frameOf(conv, s) };
  });
}

/** A classic pcap file (microsecond timestamps, big-endian magic as written, Ethernet link type). */
export function writePcap(packets: readonly Packet[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32BE(PCAP_MAGIC, 0);
  header.writeUInt16BE(2, 4);
  header.writeUInt16BE(4, 6);
  header.writeInt32BE(0, 8);
  header.writeUInt32BE(0, 12);
  header.writeUInt32BE(PCAP_SNAPLEN, 16);
  header.writeUInt32BE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [header];
  let previous = -1n;
  for (const p of packets) {
    if (p.timestampMicros < previous) throw new RangeError('packet timestamps must not go backwards');
    previous = p.timestampMicros;
    if (p.data.length > PCAP_SNAPLEN) throw new RangeError(`packet of ${p.data.length} bytes exceeds the snapshot length`);
    const rec = Buffer.alloc(16);
    rec.writeUInt32BE(Number(p.timestampMicros / 1_000_000n), 0);
    rec.writeUInt32BE(Number(p.timestampMicros % 1_000_000n), 4);
    rec.writeUInt32BE(p.data.length, 8);
    rec.writeUInt32BE(p.data.length, 12);
    parts.push(rec, p.data);
  }
  return Buffer.concat(parts);
}

/** Several connections in one file, one after the other on the logical clock. */
export function capturePcap(conversations: readonly { conversation: TcpConversation; seed: string }[]): Buffer {
  const packets: Packet[] = [];
  for (const c of conversations) packets.push(...synthesiseTcp(c.conversation, c.seed, packets.length));
  return writePcap(packets);
}
