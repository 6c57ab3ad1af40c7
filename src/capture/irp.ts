// One IRP connection read back from a capture (docs/spec.md 14.1, 14.2): its TLS records
// (src/capture/tls.ts, opened with an NSS key log), then inside the application data the IRP
// frames (section 2 framing, type 0x01) and the request or answer each carries, decoded with the
// protocol core's IRP decoder. Frames, records and bytes that cannot be read are listed with the
// reason, never dropped.
import { FrameDecoder, FrameType } from '../protocol/frame.js';
import { decodeIrpRequest, decodeIrpResponse, type IrpRequest, type IrpResponse, type IrpUnknown } from '../protocol/irp-messages.js';
import type { TcpStream } from './read.js';
import { CONTENT_TYPES, looksLikeTls, readTlsConnection, type TlsConnectionView, type TlsDirection, type TlsKeyLog, type TlsRecordView } from './tls.js';

export interface IrpFrameView {
  packet: number;
  direction: TlsDirection;
  /** The frame's L field. */
  length: number;
  message?: IrpRequest | IrpResponse | IrpUnknown;
  decodeError?: string;
}

export interface IrpConnectionView {
  stream: number;
  client: { address: string; port: number };
  server: { address: string; port: number };
  tls: TlsConnectionView;
  frames: IrpFrameView[];
  /** A framing fault ends the reading of that direction's application data. */
  framingFaults: { direction: TlsDirection; packet: number; error: string }[];
  end: { fin: { c2s: boolean; s2c: boolean }; reset: 'client' | 'server' | undefined };
}

function describeIrp(m: IrpRequest | IrpResponse | IrpUnknown): string {
  if (m.kind === 'Unknown') return `unknown root ${m.name}`;
  const id = 'id' in m && m.id !== undefined ? ` id=${m.id}` : ' (no id)';
  if (m.kind === 'Error') return `Error ${m.code}${id}`;
  return `${m.kind}${id}`;
}

/** The IRP view of one TCP stream (TLS first, IRP frames inside). */
export function viewIrpConnection(stream: TcpStream, log?: TlsKeyLog): IrpConnectionView {
  const tls = readTlsConnection(stream.chunks, log);
  const view: IrpConnectionView = {
    stream: stream.index,
    client: stream.client,
    server: stream.server,
    tls,
    frames: [],
    framingFaults: [],
    end: { fin: stream.fin, reset: stream.reset?.by },
  };
  const decoders = { c2s: new FrameDecoder(), s2c: new FrameDecoder() };
  const failed = { c2s: false, s2c: false };
  for (const a of tls.application) {
    if (failed[a.direction]) continue;
    let frames;
    try {
      frames = decoders[a.direction].push(a.bytes);
    } catch (err) {
      failed[a.direction] = true;
      view.framingFaults.push({ direction: a.direction, packet: a.packet, error: (err as Error).message });
      continue;
    }
    for (const f of frames) {
      const frame: IrpFrameView = { packet: a.packet, direction: a.direction, length: f.payload.length };
      if (f.type !== FrameType.Plaintext) {
        // IRP-FRAME-1: "IRP frames MUST follow section 2 with type 0x01".
        frame.decodeError = `frame type 0x${f.type.toString(16).padStart(2, '0')}: IRP frames are type 0x01 (IRP-FRAME-1)`;
        view.frames.push(frame);
        continue;
      }
      try {
        frame.message = a.direction === 'c2s' ? decodeIrpRequest(f.payload) : decodeIrpResponse(f.payload);
      } catch (err) {
        frame.decodeError = (err as Error).message;
      }
      view.frames.push(frame);
    }
  }
  return view;
}

function recordLine(r: TlsRecordView): string {
  const arrow = r.direction === 'c2s' ? 'C -> S' : 'S -> C';
  const what = r.state === 'undecrypted'
    ? `TLS record L=${r.length}: not decrypted (${r.error})`
    : `TLS ${CONTENT_TYPES[r.type!] ?? `type ${r.type}`}${r.state === 'decrypted' ? ` (${r.epoch} keys)` : ''} L=${r.length}${r.summary ? `: ${r.summary}` : ''}`;
  return `#${String(r.packet).padStart(4)} ${arrow} ${what}`;
}

/** Counts of a connection's records: all, protected, opened. */
export function tlsRecordCounts(v: TlsConnectionView): { total: number; protected: number; decrypted: number } {
  const total = v.records.length;
  const decrypted = v.records.filter((r) => r.state === 'decrypted').length;
  const undecrypted = v.records.filter((r) => r.state === 'undecrypted').length;
  return { total, protected: decrypted + undecrypted, decrypted };
}

export function formatIrpConnection(v: IrpConnectionView): string {
  const lines = [
    `connection ${v.stream}: client ${v.client.address} port ${v.client.port} -> registry ${v.server.address} port ${v.server.port} (IRP over TLS)`,
    `  TLS: ${v.tls.version ? `${v.tls.version}, ${v.tls.suite}` : 'no ServerHello'}${v.tls.clientRandom ? `, client random ${v.tls.clientRandom}` : ''}`,
  ];
  // Records and the IRP frames they carry, in packet order (frames after the records of their packet).
  const items: { packet: number; order: number; line: string }[] = [];
  v.tls.records.forEach((r, n) => items.push({ packet: r.packet, order: n, line: recordLine(r) }));
  v.frames.forEach((f, n) =>
    items.push({
      packet: f.packet,
      order: 1e6 + n,
      line: `#${String(f.packet).padStart(4)} ${f.direction === 'c2s' ? 'C -> S' : 'S -> C'}   IRP frame L=${f.length}: ${f.message ? describeIrp(f.message) : `undecodable (${f.decodeError})`}`,
    }),
  );
  items.sort((a, b) => a.packet - b.packet || a.order - b.order);
  for (const i of items) lines.push(`  ${i.line}`);
  for (const f of v.framingFaults) lines.push(`  #${String(f.packet).padStart(4)} ${f.direction === 'c2s' ? 'C -> S' : 'S -> C'}   IRP framing fault: ${f.error}; the rest of this direction is not read as frames`);
  for (const g of v.tls.notTls) lines.push(`  #${String(g.packet).padStart(4)} ${g.direction === 'c2s' ? 'C -> S' : 'S -> C'} not a TLS record at byte ${g.offset} (${g.bytes} bytes shown as they are): the rest of this direction is not read as TLS`);
  const ends: string[] = [];
  if (v.end.fin.c2s) ends.push('client sent FIN');
  if (v.end.fin.s2c) ends.push('registry sent FIN');
  for (const d of ['c2s', 's2c'] as const) if (v.tls.trailing[d] > 0) ends.push(`${d === 'c2s' ? 'client' : 'registry'} stopped inside a TLS record (${v.tls.trailing[d]} bytes)`);
  if (v.end.reset) ends.push(`${v.end.reset === 'client' ? 'client' : 'registry'} reset the connection`);
  lines.push(`  end: ${ends.length > 0 ? ends.join('; ') : 'the capture stops with the connection open'}`);
  const c = tlsRecordCounts(v.tls);
  lines.push(`  records: ${c.total} TLS records, ${c.decrypted} of ${c.protected} protected records decrypted; ${v.frames.length} IRP frame(s)`);
  return `${lines.join('\n')}\n`;
}

/** JSON form: bytes left out, messages without Buffers. */
export function irpConnectionJson(v: IrpConnectionView): unknown {
  return {
    stream: v.stream,
    client: v.client,
    server: v.server,
    tls: {
      version: v.tls.version,
      suite: v.tls.suite,
      clientRandom: v.tls.clientRandom,
      records: v.tls.records.map(({ plaintext: _p, ...r }) => r),
      notTls: v.tls.notTls,
      trailing: v.tls.trailing,
    },
    frames: v.frames.map((f) => ({ packet: f.packet, direction: f.direction, length: f.length, ...(f.message ? { message: describeIrp(f.message) } : { decodeError: f.decodeError }) })),
    framingFaults: v.framingFaults,
    end: v.end,
  };
}

/** IRP's registered port (docs/spec.md 14.1). */
export const IRP_PORT = 4604;

/** A connection to read as IRP: to port 4604, or one whose client opened with a TLS record (an E2ED frame never starts so). */
export function isIrpStream(stream: TcpStream): boolean {
  if (stream.server.port === IRP_PORT) return true;
  const first = stream.chunks.find((c) => c.direction === 'c2s');
  return first !== undefined && looksLikeTls(first.bytes);
}
