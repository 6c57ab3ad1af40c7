// One E2ED connection read back from a capture, as a person reads it: each frame in the order it
// became readable, who sent it, in which state, the message it carries, records opened with the
// key log (docs/spec.md chapter 13) at their generation and sequence number, alerts and the end.
// Built on the protocol core (frame.ts, record.ts, keyschedule.ts, keylog.ts, messages.ts): the
// same decoder and the same AEAD the reference UA uses, no second implementation.
import { FrameDecoder, FrameType, type Frame } from '../protocol/frame.js';
import { parseKeyLog, trafficSecretLabel, type KeyLogEntry, type TrafficDirection } from '../protocol/keylog.js';
import { nextTrafficSecret, trafficKeys, trafficSecrets } from '../protocol/keyschedule.js';
import { decodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { CIPHERS, isCipherName, openRecord, type CipherName } from '../protocol/record.js';
import type { TcpStream } from './read.js';

export type Sender = 'initiator' | 'responder';

/** Where the sender stood when it sent the frame (a summary of the state tables of docs/spec.md 5.8). */
export type SenderState = 'handshake' | 'connected' | 'closing' | 'failed';

export interface ViewFrame {
  /** Packet whose arrival completed the frame. */
  packet: number;
  sender: Sender;
  direction: TrafficDirection;
  state: SenderState;
  type: 'plaintext' | 'record';
  /** The frame's L field. */
  length: number;
  /** The frame exactly as on the wire (not in JSON output). */
  wire: Buffer;
  /** The decoded message, plaintext frames and opened records. */
  message?: E2edMessage;
  /** The XML text (plaintext frames and opened records). */
  xml?: string;
  /** Why the payload did not decode as an E2ED message, and the requirement it breaks when known. */
  decodeError?: string;
  decodeRequirement?: string;
  record?: {
    generation: number;
    sequence: string;
    opened: boolean;
    cipher?: CipherName;
    /** Why it did not open. */
    failure?: string;
  };
}

export interface ConversationView {
  stream: number;
  initiator: { address: string; port: number };
  responder: { address: string; port: number };
  frames: ViewFrame[];
  /** nonce_I in hex (from Hello_I), the key of the key log lines. */
  nonceI?: string;
  cipher?: CipherName;
  records: { total: number; opened: number };
  /** Framing faults, capture gaps, key log problems. */
  notes: string[];
  /** Framing faults with the requirement each breaks (the direction is not decoded further). */
  faults: { sender: Sender; packet: number; requirement?: string; message: string }[];
  end: {
    fin: { initiator: boolean; responder: boolean };
    reset?: Sender;
    /** A byte stream that stopped inside a frame. */
    partialFrame: { initiator: number; responder: number };
  };
}

/** A parsed key log: entries per nonce_I. */
export interface KeyLog {
  entries: KeyLogEntry[];
  malformedLines: number[];
}

export class KeyLogError extends Error {
  readonly code = 'KEYLOG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'KeyLogError';
  }
}

/**
 * Reads a key log text. A file whose lines are all malformed is refused (it is not a key log); one
 * with only comments is a key log of connections that derived no secret (a refused Hello).
 */
export function readKeyLog(text: string): KeyLog {
  if (text.includes('\u0000')) throw new KeyLogError('not an E2ED key log: it holds binary data');
  const parsed = parseKeyLog(text);
  if (parsed.entries.length === 0 && parsed.malformedLines.length > 0) {
    throw new KeyLogError(`not an E2ED key log: line(s) ${parsed.malformedLines.slice(0, 5).join(', ')} are not LABEL NONCE SECRET`);
  }
  return parsed;
}

/** Candidate secrets of one label for one connection (two logs that disagree give two). */
function secretsFor(log: KeyLog | undefined, nonceI: string | undefined, label: string): Buffer[] {
  if (!log || !nonceI) return [];
  const out: Buffer[] = [];
  for (const e of log.entries) if (e.nonceI === nonceI && e.label === label && !out.some((b) => b.toString('hex') === e.secret)) out.push(Buffer.from(e.secret, 'hex'));
  return out;
}

/** The traffic secrets of a direction's generation: logged ones, else derived from MS or the previous generation. */
function trafficCandidates(log: KeyLog | undefined, nonceI: string | undefined, direction: TrafficDirection, generation: number, previous: Buffer[]): Buffer[] {
  const logged = secretsFor(log, nonceI, trafficSecretLabel(direction, generation));
  if (logged.length > 0) return logged;
  if (generation === 0) return secretsFor(log, nonceI, 'E2ED_MASTER_SECRET').map((ms) => trafficSecrets(ms)[direction]);
  return previous.map((s) => nextTrafficSecret(s));
}

function xmlText(b: Buffer): string {
  return b.toString('utf8');
}

function decode(payload: Buffer): { message?: E2edMessage; decodeError?: string; decodeRequirement?: string } {
  try {
    return { message: decodeE2ed(payload) };
  } catch (err) {
    const requirement = (err as { requirement?: unknown }).requirement;
    return { decodeError: (err as Error).message, ...(typeof requirement === 'string' ? { decodeRequirement: requirement } : {}) };
  }
}

/** Builds the view of one reassembled TCP stream; the client (SYN sender) is the initiator. */
export function viewConversation(stream: TcpStream, log?: KeyLog): ConversationView {
  const view: ConversationView = {
    stream: stream.index,
    initiator: stream.client,
    responder: stream.server,
    frames: [],
    records: { total: 0, opened: 0 },
    notes: [],
    faults: [],
    end: { fin: { initiator: stream.fin.c2s, responder: stream.fin.s2c }, partialFrame: { initiator: 0, responder: 0 } },
  };
  if (stream.reset) view.end.reset = stream.reset.by === 'client' ? 'initiator' : 'responder';
  for (const d of ['c2s', 's2c'] as const) if (stream.missing[d] > 0) view.notes.push(`${d === 'c2s' ? 'initiator' : 'responder'} stream: ${stream.missing[d]} byte(s) missing from the capture`);
  const decoders = { initiator: new FrameDecoder(), responder: new FrameDecoder() };
  const broken = { initiator: false, responder: false };
  const state: Record<Sender, SenderState> = { initiator: 'handshake', responder: 'handshake' };
  const keys: Record<TrafficDirection, { generation: number; seq: bigint; secrets: Buffer[]; working?: { cipher: CipherName; key: Buffer; iv: Buffer; secret: Buffer } }> = {
    i2r: { generation: 0, seq: 0n, secrets: [] },
    r2i: { generation: 0, seq: 0n, secrets: [] },
  };
  if (log && log.malformedLines.length > 0) view.notes.push(`key log: line(s) ${log.malformedLines.join(', ')} malformed (ignored)`);
  let loggedNonceWarned = false;

  const openOne = (frame: Frame, direction: TrafficDirection): NonNullable<ViewFrame['record']> & { plaintext?: Buffer } => {
    const k = keys[direction];
    const seq = k.seq;
    k.seq++;
    if (!log) return { generation: k.generation, sequence: seq.toString(), opened: false, failure: 'no key log' };
    if (k.secrets.length === 0) k.secrets = trafficCandidates(log, view.nonceI, direction, k.generation, []);
    if (k.secrets.length === 0) {
      if (!loggedNonceWarned && view.nonceI && !log.entries.some((e) => e.nonceI === view.nonceI)) {
        view.notes.push(`key log: no line for this connection (nonce_I ${view.nonceI})`);
        loggedNonceWarned = true;
      }
      return { generation: k.generation, sequence: seq.toString(), opened: false, failure: `no ${trafficSecretLabel(direction, k.generation)} secret in the key log` };
    }
    const ciphers = view.cipher ? [view.cipher] : [...CIPHERS];
    for (const secret of k.secrets) {
      const { key, iv } = trafficKeys(secret);
      for (const cipher of ciphers) {
        try {
          const plaintext = openRecord(cipher, key, iv, seq, frame);
          k.working = { cipher, key, iv, secret };
          return { generation: k.generation, sequence: seq.toString(), opened: true, cipher, plaintext };
        } catch {
          // try the next candidate
        }
      }
    }
    return { generation: k.generation, sequence: seq.toString(), opened: false, failure: `does not open with ${trafficSecretLabel(direction, k.generation)} at sequence ${seq}` };
  };

  for (const chunk of stream.chunks) {
    const sender: Sender = chunk.direction === 'c2s' ? 'initiator' : 'responder';
    const direction: TrafficDirection = sender === 'initiator' ? 'i2r' : 'r2i';
    if (broken[sender]) continue;
    let frames: Frame[];
    try {
      frames = decoders[sender].push(chunk.bytes);
    } catch (err) {
      broken[sender] = true;
      const requirement = (err as { requirement?: unknown }).requirement;
      view.faults.push({ sender, packet: chunk.packet, message: (err as Error).message, ...(typeof requirement === 'string' ? { requirement } : {}) });
      view.notes.push(`${sender} stream: framing fault at packet ${chunk.packet}: ${(err as Error).message}; the rest of this direction is not decoded`);
      continue;
    }
    for (const frame of frames) {
      const vf: ViewFrame = {
        packet: chunk.packet,
        sender,
        direction,
        state: state[sender],
        type: frame.type === FrameType.Record ? 'record' : 'plaintext',
        length: frame.header.readUInt32BE(0),
        wire: frame.wire,
      };
      if (frame.type === FrameType.Plaintext) {
        vf.xml = xmlText(frame.payload);
        Object.assign(vf, decode(frame.payload));
        const m = vf.message;
        if (m?.kind === 'InitiatorHello' && view.nonceI === undefined) view.nonceI = m.nonce.toString('hex');
        if (m?.kind === 'ResponderHello' && isCipherName(m.cipher)) view.cipher = m.cipher;
        if (m?.kind === 'Finished' && sender === 'initiator') state.initiator = 'connected';
        if (m?.kind === 'Finished' && sender === 'responder' && state.initiator === 'connected') state.responder = 'connected';
      } else {
        view.records.total++;
        // The responder is Connected once it verified Fin_I: its first record shows it.
        if (sender === 'responder' && state.responder === 'handshake') vf.state = state.responder = 'connected';
        const r = openOne(frame, direction);
        const { plaintext, ...record } = r;
        vf.record = record;
        if (plaintext) {
          view.records.opened++;
          vf.xml = xmlText(plaintext);
          Object.assign(vf, decode(plaintext));
          if (vf.message?.kind === 'KeyUpdate') {
            // E2ED-REC-8: the KeyUpdate record is the last under the old secret.
            const k = keys[direction];
            k.secrets = trafficCandidates(log, view.nonceI, direction, k.generation + 1, k.working ? [k.working.secret] : k.secrets);
            k.generation++;
            k.seq = 0n;
            k.working = undefined;
          }
        }
      }
      if (vf.message?.kind === 'Alert') {
        if (vf.message.code === 'close_notify') state[sender] = 'closing';
        else if (vf.message.code !== 'user_canceled') state[sender] = 'failed';
      }
      view.frames.push(vf);
    }
  }
  for (const s of ['initiator', 'responder'] as const) if (!broken[s]) view.end.partialFrame[s] = decoders[s].bufferedBytes;
  return view;
}

function describeMessage(m: E2edMessage): string {
  switch (m.kind) {
    case 'InitiatorHello':
      return `Hello_I from=${m.from} to=${m.to} versions=${m.versions.join(',')} methods=${m.methods.join(',')} ciphers=${m.ciphers.join(',')} nonce=${m.nonce.toString('hex')} certificates=${m.certificates.length}`;
    case 'ResponderHello':
      return `Hello_R from=${m.from} to=${m.to} version=${m.version} method=${m.method} cipher=${m.cipher} nonce=${m.nonce.toString('hex')} certificates=${m.certificates.length}`;
    case 'CertificateVerify':
      return `CertificateVerify ${m.algorithm} (${m.signature.length}-byte signature)`;
    case 'Finished':
      return `Finished ${m.verifyData.toString('hex')}`;
    case 'Alert':
      return `Alert ${m.code} (${m.level})${m.reason ? ` "${m.reason}"` : ''}`;
    case 'Message':
      return `Message id=${m.id} "${m.text.length > 60 ? `${m.text.slice(0, 57)}...` : m.text}"`;
    case 'Receipt':
      return `Receipt id=${m.id}`;
    case 'Ping':
      return `Ping id=${m.id}`;
    case 'Pong':
      return `Pong id=${m.id}`;
    case 'KeyUpdate':
      return `KeyUpdate request=${m.request}`;
    case 'Unknown':
      return `unknown element <${m.name}>${m.critical ? ' critical' : ''}`;
  }
}

/** One line per frame: what a reviewer reads. */
export function frameLine(f: ViewFrame): string {
  const arrow = f.sender === 'initiator' ? 'I -> R' : 'R -> I';
  const where = `#${String(f.packet).padStart(4)} ${arrow} [${f.state}]`;
  let what: string;
  if (f.type === 'record') {
    const r = f.record!;
    const head = `record gen ${r.generation} seq ${r.sequence} L=${f.length}`;
    what = r.opened ? `${head}: ${f.message ? describeMessage(f.message) : `undecodable plaintext (${f.decodeError})`}` : `${head}: not decrypted (${r.failure})`;
  } else {
    what = `plaintext L=${f.length}: ${f.message ? describeMessage(f.message) : `undecodable (${f.decodeError})`}`;
  }
  return `${where} ${what}`;
}

export function formatConversation(v: ConversationView): string {
  const lines = [
    `connection ${v.stream}: initiator ${v.initiator.address} port ${v.initiator.port} -> responder ${v.responder.address} port ${v.responder.port}`,
    ...(v.nonceI ? [`  nonce_I ${v.nonceI}${v.cipher ? `, cipher ${v.cipher}` : ''}`] : []),
    ...v.frames.map((f) => `  ${frameLine(f)}`),
  ];
  const ends: string[] = [];
  for (const s of ['initiator', 'responder'] as const) {
    if (v.end.fin[s]) ends.push(`${s} sent FIN`);
    if (v.end.partialFrame[s] > 0) ends.push(`${s} stopped inside a frame (${v.end.partialFrame[s]} bytes)`);
  }
  if (v.end.reset) ends.push(`${v.end.reset} reset the connection`);
  lines.push(`  end: ${ends.length > 0 ? ends.join('; ') : 'the capture stops with the connection open'}`);
  lines.push(`  records: ${v.records.opened} of ${v.records.total} decrypted`);
  for (const n of v.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** JSON form: bytes as hex, messages without Buffers. */
export function conversationJson(v: ConversationView): unknown {
  return JSON.parse(
    JSON.stringify(v, (key, value: unknown) => {
      if (key === 'wire') return undefined;
      if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
        return Buffer.from((value as { data: number[] }).data).toString('hex');
      }
      return value;
    }),
  );
}
