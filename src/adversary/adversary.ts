// The adversarial peer (issue 9): runs a Script over one Link, one explicit step at a time, on the
// core's codecs, transcript and key schedule and never on the engine's state machine, so that it
// can break every rule the engine keeps. Every step leaves a line of what happened; the first
// expectation that does not hold ends the script and is the case's mismatch.
import { X509Certificate } from 'node:crypto';
import { decodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { encodeFrame, FrameType } from '../protocol/frame.js';
import { constantTimeEqual, fromHex, toHex } from '../protocol/bytes.js';
import { applyMutators, type Mutator } from './mutators.js';
import { template, HANDSHAKE_NAMES, type Offer, type MessageName } from './templates.js';
import { writeXml } from './xml-tree.js';
import { expandValue } from './values.js';
import type { Link, LinkEvent } from './link.js';
import type { ExpectStep, Script, ScriptStep, SendStep } from './script.js';
import type { Session } from './session.js';

/** What came from the implementation, one item per frame or end. */
export type Observed =
  | { kind: 'message'; name: string; msg: E2edMessage; in: 'plaintext' | 'record'; size: number }
  | { kind: 'undecodable'; in: 'plaintext' | 'record'; why: string; size: number }
  | { kind: 'undecryptable'; size: number }
  | { kind: 'garbage'; why: string }
  | { kind: 'end'; how: 'fin' | 'reset'; pending: number };

export function describeObserved(o: Observed | undefined): string {
  if (!o) return 'nothing';
  switch (o.kind) {
    case 'message':
      if (o.msg.kind === 'Alert') return `Alert ${o.msg.level} ${o.msg.code} (${o.in})`;
      return `${o.name} (${o.in}, ${o.size} bytes)`;
    case 'undecodable':
      return `an undecodable ${o.in} frame (${o.why})`;
    case 'undecryptable':
      return `a record that does not open with the expected key (${o.size} bytes)`;
    case 'garbage':
      return `bytes that are not a frame (${o.why})`;
    case 'end':
      return `the connection ended (${o.how === 'fin' ? 'FIN' : 'reset'}${o.pending > 0 ? `, ${o.pending} bytes of an incomplete frame` : ''})`;
  }
}

/** The name a script uses for a decoded message. */
function nameOf(msg: E2edMessage): string {
  return msg.kind === 'Unknown' ? 'Unknown' : msg.kind;
}

export class ScriptFailure extends Error {}

export interface AdversaryOptions {
  session: Session;
  link: Link;
  peerUserId: string;
  offer: Offer;
  signal: AbortSignal;
  /** Default wait of an expectation (ms). */
  expectTimeoutMs?: number;
}

export class Adversary {
  readonly log: string[] = [];
  private readonly observed: Observed[] = [];
  private cursor = 0;
  private held: Buffer[] = [];
  private ended = false;

  constructor(private readonly o: AdversaryOptions) {}

  get session(): Session {
    return this.o.session;
  }

  /** Runs the steps; resolves with the mismatch (undefined: every expectation held). */
  async run(script: Script): Promise<string | undefined> {
    try {
      for (const [i, step] of script.steps.entries()) await this.step(step, i + 1);
      return undefined;
    } catch (err) {
      if (err instanceof ScriptFailure) return err.message;
      throw err;
    }
  }

  private async step(step: ScriptStep, n: number): Promise<void> {
    switch (step.do) {
      case 'send':
        return this.send(step, n);
      case 'expect': {
        const failure = await this.expect(step);
        if (failure !== undefined) throw new ScriptFailure(`step ${n} (${describeExpect(step)}): ${failure}`);
        return;
      }
      case 'refused': {
        const failure =
          (await this.expect({ do: 'expect', alert: step.alert, level: 'fatal', ...(step.in ? { in: step.in } : {}) })) ??
          (await this.expect({ do: 'expect', closed: 'any' }));
        if (failure !== undefined) throw new ScriptFailure(`step ${n} (refused with ${step.alert.join(' or ')}, then closed): ${failure}`);
        return;
      }
      case 'handshake':
        for (const s of handshakeSteps(this.session.role, step.until)) await this.step(s, n);
        return;
      case 'roundTrip': {
        const id = step.id ?? `rt${n}`;
        await this.send({ do: 'send', message: 'Ping', fields: { id } }, n);
        const failure = await this.expect({ do: 'expect', message: 'Pong', where: { id } });
        if (failure !== undefined) throw new ScriptFailure(`step ${n} (a Ping in a record answered by its Pong): ${failure}`);
        return;
      }
      case 'close':
        if (step.how === 'notify') {
          await this.send({ do: 'send', message: 'Alert', fields: { level: 'warning', code: 'close_notify' } }, n);
          this.o.link.end();
        } else if (step.how === 'fin') this.o.link.end();
        else this.o.link.reset();
        this.log.push(`close (${step.how})`);
        return;
      case 'wait':
        await new Promise((r) => setTimeout(r, step.ms));
        return;
    }
  }

  // ---- send ------------------------------------------------------------------------------------

  private async send(step: SendStep, n: number): Promise<void> {
    const s = this.session;
    let payload: Buffer;
    let transcriptPayload: Buffer | undefined;
    let label: string;
    if (step.raw) {
      const one = step.raw.hex !== undefined ? Buffer.from(step.raw.hex, 'hex') : Buffer.from(step.raw.text ?? '', 'utf8');
      payload = step.raw.repeat ? Buffer.concat(Array.from({ length: step.raw.repeat }, () => one)) : one;
      label = `raw payload`;
    } else {
      const name = step.message!;
      const fields = Object.fromEntries(Object.entries(step.fields ?? {}).map(([k, v]) => [k, typeof v === 'string' ? this.expandValue(v) : v]));
      const tree = template(name, { session: s, peerUserId: this.o.peerUserId, offer: this.o.offer, fields });
      const sets: Mutator[] = Object.entries(step.set ?? {}).map(([path, value]) => ({ op: 'set', path, value }));
      const mutators = [...sets, ...(step.mutate ?? [])].map((m) => ('value' in m && typeof m.value === 'string' ? { ...m, value: this.expandValue(m.value) } : m));
      payload = applyMutators(tree, mutators, writeXml);
      if (step.transcriptAs) {
        // What the adversary hashes differs from what it sent: a man in the middle's view (E2ED-VER-6).
        const extra = step.transcriptAs.mutate.map((m) => ('value' in m && typeof m.value === 'string' ? { ...m, value: this.expandValue(m.value) } : m));
        transcriptPayload = applyMutators(tree, [...mutators, ...extra], writeXml);
      }
      label = `${name}${mutators.length > 0 ? ` (${mutators.map((m) => m.op).join(', ')})` : ''}`;
    }
    const handshake = step.message !== undefined && HANDSHAKE_NAMES.includes(step.message);
    const asRecord = step.as ? step.as === 'record' : s.connected && !handshake && step.raw === undefined;
    let frame: Buffer;
    if (asRecord) {
      frame = s.seal(payload, step.record ?? {});
    } else {
      frame = encodeFrame(FrameType.Plaintext, payload);
    }
    const inTranscript = step.transcript ?? (handshake && !asRecord);
    if (inTranscript) {
      let decoded: E2edMessage | undefined;
      try {
        decoded = decodeE2ed(payload);
      } catch {
        decoded = undefined;
      }
      s.noteHandshake(transcriptPayload ? encodeFrame(FrameType.Plaintext, transcriptPayload) : frame, decoded, true);
      if (step.message === 'Finished' && s.role === 'initiator' && s.hs) s.deriveTraffic();
    }
    if (asRecord && step.message === 'KeyUpdate' && step.advance !== false) s.updateSending();
    if (step.frame) frame = reframe(frame, step.frame);
    this.held.push(frame);
    this.log.push(`send ${label} as ${asRecord ? 'a record' : 'plaintext'} (${frame.length} bytes${step.hold ? ', held' : ''})`);
    if (step.hold) return;
    const bytes = Buffer.concat(this.held);
    this.held = [];
    const cuts = step.split === 'bytes' ? Array.from({ length: bytes.length - 1 }, (_, i) => i + 1) : (step.split ?? []);
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut <= from || cut > bytes.length) continue;
      this.o.link.write(bytes.subarray(from, cut));
      from = cut;
    }
    void n;
  }

  expandValue(v: string): string {
    return expandValue(v, this.session, this.o.peerUserId);
  }

  // ---- receive ---------------------------------------------------------------------------------

  /** The next thing from the implementation, or undefined when nothing came within `ms`. */
  private async pull(ms: number): Promise<Observed | undefined> {
    if (this.cursor < this.observed.length) return this.observed[this.cursor++];
    if (this.ended) return undefined;
    const ev = await this.o.link.next(ms, this.o.signal);
    if (!ev) return undefined;
    const o = this.interpret(ev);
    this.observed.push(o);
    this.log.push(`received ${describeObserved(o)}`);
    this.cursor++;
    return o;
  }

  private interpret(ev: LinkEvent): Observed {
    const s = this.session;
    if (ev.kind === 'end') {
      this.ended = true;
      return { kind: 'end', how: ev.how, pending: ev.pending };
    }
    if (ev.kind === 'garbage') return { kind: 'garbage', why: ev.why };
    const f = ev.frame;
    let bytes: Buffer;
    let where: 'plaintext' | 'record';
    if (f.type === FrameType.Record) {
      const pt = s.open(f.wire);
      if (pt === null) return { kind: 'undecryptable', size: f.wire.length };
      bytes = pt;
      where = 'record';
    } else if (f.type === FrameType.Plaintext) {
      bytes = f.payload;
      where = 'plaintext';
    } else return { kind: 'undecodable', in: 'plaintext', why: `frame type 0x${f.type.toString(16)}`, size: f.wire.length };
    let msg: E2edMessage;
    try {
      msg = decodeE2ed(bytes);
    } catch (err) {
      return { kind: 'undecodable', in: where, why: (err as Error).message, size: f.wire.length };
    }
    if (where === 'plaintext' && (msg.kind === 'InitiatorHello' || msg.kind === 'ResponderHello' || msg.kind === 'CertificateVerify' || msg.kind === 'Finished')) {
      // Predicates on validity are computed before the frame enters the transcript.
      const o: Observed = { kind: 'message', name: nameOf(msg), msg, in: where, size: f.wire.length };
      (o as { valid?: boolean }).valid = this.validity(msg);
      s.noteHandshake(f.wire, msg, false);
      if (msg.kind === 'Finished' && s.role === 'responder' && s.hs) s.deriveTraffic();
      return o;
    }
    if (where === 'record' && msg.kind === 'KeyUpdate') s.updateReceiving();
    return { kind: 'message', name: nameOf(msg), msg, in: where, size: f.wire.length };
  }

  private validity(msg: E2edMessage): boolean | undefined {
    const s = this.session;
    if (msg.kind === 'CertificateVerify') return s.peerSignatureValid(msg.signature, msg.algorithm);
    if (msg.kind === 'Finished') {
      try {
        return constantTimeEqual(msg.verifyData, s.expectedPeerFinished());
      } catch {
        return false;
      }
    }
    return undefined;
  }

  /** Undefined when the expectation holds; else what happened instead. */
  private async expect(step: ExpectStep): Promise<string | undefined> {
    const timeout = step.timeoutMs ?? this.o.expectTimeoutMs ?? 3000;
    if (step.oneOf) {
      const start = this.cursor;
      const failures: string[] = [];
      for (const branch of step.oneOf) {
        this.cursor = start;
        let failure: string | undefined;
        for (const e of branch) {
          failure = await this.expect(e);
          if (failure !== undefined) break;
        }
        if (failure === undefined) return undefined;
        failures.push(failure);
      }
      return `no alternative matched: ${failures.join('; ')}`;
    }
    if (step.nothing !== undefined) {
      const o = await this.pull(step.nothing);
      return o === undefined ? undefined : `expected nothing for ${step.nothing} ms, got ${describeObserved(o)}`;
    }
    const o = await this.pull(timeout);
    if (!o) return `nothing arrived within ${timeout} ms`;
    if (step.closed !== undefined) {
      if (o.kind !== 'end') return `expected the connection to end, got ${describeObserved(o)}`;
      if (step.closed !== 'any' && o.how !== step.closed) return `expected the connection to end by ${step.closed}, got ${describeObserved(o)}`;
      return undefined;
    }
    if (step.alert !== undefined) {
      if (o.kind !== 'message' || o.msg.kind !== 'Alert') return `expected the alert ${step.alert.join(' or ')}, got ${describeObserved(o)}`;
      if (!step.alert.includes(o.msg.code)) return `expected the alert ${step.alert.join(' or ')}, got ${describeObserved(o)}`;
      if (step.level && o.msg.level !== step.level) return `expected level ${step.level}, got ${describeObserved(o)}`;
      if (step.in && o.in !== step.in) return `expected the alert in a ${step.in === 'record' ? 'record' : 'plaintext frame'}, got ${describeObserved(o)}`;
      return undefined;
    }
    if (step.message !== undefined) {
      if (o.kind !== 'message') return `expected ${step.message}, got ${describeObserved(o)}`;
      const want = step.message === 'Hello' ? (this.session.role === 'initiator' ? 'ResponderHello' : 'InitiatorHello') : step.message;
      if (want !== 'any' && o.name !== want) return `expected ${want}, got ${describeObserved(o)}`;
      if (step.in && o.in !== step.in) return `expected ${want} in a ${step.in === 'record' ? 'record' : 'plaintext frame'}, got ${describeObserved(o)}`;
      for (const [field, value] of Object.entries(step.where ?? {})) {
        const actual = field === 'valid' ? (o as { valid?: boolean }).valid : fieldOf(o.msg, field);
        if (String(actual) !== (typeof value === 'string' ? this.expandValue(value) : String(value))) return `${o.name} has ${field}=${String(actual)}, expected ${String(value)}`;
      }
      return undefined;
    }
    return undefined;
  }
}

function fieldOf(msg: E2edMessage, field: string): unknown {
  // Computed fields: the downgrade sentinel in a Hello nonce (E2ED-VER-4), and the method of a key share.
  if (field === 'sentinel') return 'nonce' in msg ? msg.nonce.subarray(24).equals(Buffer.from('E2EDDOWN', 'ascii')) : undefined;
  if (field === 'keyShareMethod') return 'keyShare' in msg ? msg.keyShare?.method : undefined;
  // E2ED-HS-14: the key material is for the first Method listed.
  if (field === 'keyMaterialFirst') return msg.kind === 'InitiatorHello' ? (msg.keyShare?.method ?? (msg.encryptedPremaster ? 'rsa-oaep' : undefined)) === msg.methods[0] : undefined;
  // E2ED-CERT-28: intermediates in issuing order after the leaf (each certificate issued by the next).
  if (field === 'chainInOrder') return 'certificates' in msg ? issuingOrder(msg.certificates) : undefined;
  if (field === 'chainLength') return 'certificates' in msg ? msg.certificates.length : undefined;
  const v = (msg as unknown as Record<string, unknown>)[field];
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (field === 'keyShare' && v && typeof v === 'object') return (v as { publicKey: Buffer }).publicKey.toString('hex');
  return v;
}

function issuingOrder(chain: Buffer[]): boolean {
  try {
    const certs = chain.map((c) => new X509Certificate(c));
    return certs.every((c, i) => i === certs.length - 1 || c.checkIssued(certs[i + 1]!));
  } catch {
    return false;
  }
}

function reframe(frame: Buffer, f: NonNullable<SendStep['frame']>): Buffer {
  let out: Buffer = Buffer.from(frame);
  if (f.length !== undefined) out.writeUInt32BE(f.length >>> 0, 0);
  if (f.type !== undefined) out[4] = f.type;
  for (const m of f.mutate ?? []) out = byteMutate(out, m);
  if (f.cut !== undefined) out = out.subarray(0, f.cut);
  return out;
}

function byteMutate(b: Buffer, m: import('./mutators.js').ByteMutator): Buffer {
  // the payload-level byte mutators, applied to the whole frame
  switch (m.op) {
    case 'flipBit': {
      const out = Buffer.from(b);
      const at = m.at < 0 ? out.length + m.at : m.at;
      out[at] = out[at]! ^ (1 << (m.bit ?? 0));
      return out;
    }
    case 'truncate':
      return Buffer.from(m.keep < 0 ? b.subarray(0, Math.max(0, b.length + m.keep)) : b.subarray(0, m.keep));
    case 'extend':
      return Buffer.concat([b, fromHex(m.hex)]);
    case 'prefix':
      return Buffer.concat([fromHex(m.hex), b]);
    case 'overwrite': {
      const out = Buffer.from(b);
      fromHex(m.hex).copy(out, m.at < 0 ? out.length + m.at : m.at);
      return out;
    }
  }
}

function describeExpect(e: ExpectStep): string {
  if (e.oneOf) return `one of ${e.oneOf.length} alternatives`;
  if (e.nothing !== undefined) return `nothing for ${e.nothing} ms`;
  if (e.closed) return `the connection closed (${e.closed})`;
  if (e.alert) return `alert ${e.alert.join(' or ')}`;
  return `${e.message ?? 'a message'}${e.where ? ` where ${JSON.stringify(e.where)}` : ''}`;
}

/** The states of docs/spec.md 5.8 the adversary knows how to bring the implementation to, by the implementation's role. */
export const REACHABLE_STATES = {
  responder: ['ExpectInitiatorHello', 'ExpectInitiatorCertificateVerify', 'ExpectInitiatorFinished', 'Connected'],
  initiator: ['ExpectResponderHello', 'ExpectResponderCertificateVerify', 'ExpectResponderFinished', 'Connected'],
} as const;

/** The conforming steps that bring the implementation (in the role opposite to `adversaryRole`) to `until` (default: Connected). */
export function handshakeSteps(adversaryRole: 'initiator' | 'responder', until = 'Connected'): ScriptStep[] {
  const full: [string, ScriptStep[]][] =
    adversaryRole === 'initiator'
      ? [
          ['ExpectInitiatorHello', []],
          ['ExpectInitiatorCertificateVerify', [
            { do: 'send', message: 'Hello' },
            { do: 'expect', message: 'Hello', in: 'plaintext' },
            { do: 'expect', message: 'CertificateVerify', in: 'plaintext' },
            { do: 'expect', message: 'Finished', in: 'plaintext' },
          ]],
          ['ExpectInitiatorFinished', [{ do: 'send', message: 'CertificateVerify' }]],
          ['Connected', [{ do: 'send', message: 'Finished' }]],
        ]
      : [
          ['ExpectResponderHello', [{ do: 'expect', message: 'Hello', in: 'plaintext' }]],
          ['ExpectResponderCertificateVerify', [{ do: 'send', message: 'Hello' }]],
          ['ExpectResponderFinished', [{ do: 'send', message: 'CertificateVerify' }]],
          ['Connected', [
            { do: 'send', message: 'Finished' },
            { do: 'expect', message: 'CertificateVerify', in: 'plaintext' },
            { do: 'expect', message: 'Finished', in: 'plaintext' },
          ]],
        ];
  const steps: ScriptStep[] = [];
  for (const [state, s] of full) {
    steps.push(...s);
    if (state === until) return steps;
  }
  throw new Error(`the adversary cannot bring a ${adversaryRole === 'initiator' ? 'responder' : 'initiator'} to state ${until}`);
}
