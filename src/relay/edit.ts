// What the relay changes in a frame, and the frames it builds (src/relay/script.ts):
// - `edit`: decode a plaintext frame with the core's codec (src/protocol/messages.ts), change
//   fields, re-encode it in a frame of the same type. The encoder writes what it is given without
//   judging it, so any change can be expressed.
// - `mutate`: the adversary's mutators (src/adversary/mutators.ts) on the frame's XML tree, text
//   and payload bytes, written as the adversary writes (src/adversary/xml-tree.ts).
// - `inject` with `send`: a frame built as the adversary's `send` builds it, from a template that
//   needs no session or from a raw payload.
import { applyByteMutators, applyMutators, isByteMutator, type Mutator } from '../adversary/mutators.js';
import { sessionlessTemplate, type SessionlessName } from '../adversary/templates.js';
import { node, writeXml, type XNode } from '../adversary/xml-tree.js';
import { encodeFrame, FrameType, type Frame } from '../protocol/frame.js';
import { decodeE2ed, E2ED_NAMESPACE, encodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { DOWNGRADE_SENTINEL } from '../protocol/handshake/selection.js';
import { parseXml, type XmlElement } from '../protocol/xml.js';
import type { Edit, RelaySend } from './script.js';

/** Named certificate chains the relay may substitute (DER, leaf first): another valid user's, the attacker's. */
export type ChainTable = Readonly<Record<string, Buffer[]>>;

export class EditError extends Error {}

function flip(buf: Buffer | undefined, bit: number, what: string): Buffer {
  if (!buf || buf.length === 0) throw new EditError(`the message has no ${what} to flip`);
  const out = Buffer.from(buf);
  const byte = Math.floor(bit / 8) % out.length;
  out[byte] = out[byte]! ^ (1 << (bit % 8));
  return out;
}

function applyEdit(msg: E2edMessage, e: Edit, chains: ChainTable): void {
  const m = msg as unknown as Record<string, unknown>;
  const need = (field: string): void => {
    if (!(field in m)) throw new EditError(`a ${msg.kind} has no ${field}`);
  };
  if ('sentinel' in e) {
    if (msg.kind !== 'ResponderHello' && msg.kind !== 'InitiatorHello') throw new EditError(`a ${msg.kind} has no nonce`);
    msg.nonce = e.sentinel
      ? Buffer.concat([msg.nonce.subarray(0, 24), DOWNGRADE_SENTINEL])
      : Buffer.concat([msg.nonce.subarray(0, 24), Buffer.from(msg.nonce.subarray(24)).map((b) => b ^ 0xff)]);
    return;
  }
  if ('chain' in e) {
    const chain = chains[e.chain];
    if (!chain) throw new EditError(`no chain named ${e.chain}`);
    need('certificates');
    m.certificates = chain.map((c) => Buffer.from(c));
    return;
  }
  if ('flipBit' in e) {
    switch (e.field) {
      case 'nonce':
        need('nonce');
        m.nonce = flip(m.nonce as Buffer, e.flipBit, 'nonce');
        return;
      case 'keyShare': {
        const ks = m.keyShare as { method: string; publicKey: Buffer } | undefined;
        if (!ks) throw new EditError(`the ${msg.kind} has no KeyShare`);
        m.keyShare = { method: ks.method, publicKey: flip(ks.publicKey, e.flipBit, 'KeyShare') };
        return;
      }
      case 'encryptedPremaster':
        m.encryptedPremaster = flip(m.encryptedPremaster as Buffer | undefined, e.flipBit, 'EncryptedPremaster');
        return;
      case 'signature':
        need('signature');
        m.signature = flip(m.signature as Buffer, e.flipBit, 'signature');
        return;
      case 'finished':
        need('verifyData');
        m.verifyData = flip(m.verifyData as Buffer, e.flipBit, 'Finished value');
        return;
    }
  }
  if (e.field === 'keyShareMethod') {
    const ks = m.keyShare as { method: string; publicKey: Buffer } | undefined;
    if (!ks) throw new EditError(`the ${msg.kind} has no KeyShare`);
    m.keyShare = { method: e.set, publicKey: ks.publicKey };
    return;
  }
  need(e.field);
  m[e.field] = Array.isArray(e.set) ? [...e.set] : e.set;
}

/** The frame with the edits applied to its decoded message. Throws EditError when an edit does not fit the message. */
export function editFrame(frame: Frame, edits: readonly Edit[], chains: ChainTable): Buffer {
  const msg = decodeE2ed(frame.payload);
  for (const e of edits) applyEdit(msg, e, chains);
  return encodeFrame(frame.type, encodeE2ed(msg));
}

/** The core parser's element as the adversary's tree (the root keeps its `xmlns` as its first attribute, as the templates write it). */
function treeOf(el: XmlElement, root: boolean): XNode {
  const attrs: Record<string, string> = root ? { xmlns: E2ED_NAMESPACE, ...el.attributes } : { ...el.attributes };
  const n = node(el.name, attrs, el.children.length > 0 ? el.children.map((c) => treeOf(c, false)) : el.text);
  return n;
}

/**
 * The frame after the adversary's mutators. Tree and text mutators need the XML of a plaintext
 * frame; on a record (sealed) only byte mutators apply. Throws EditError when a mutator does not fit.
 */
export function mutateFrame(frame: Frame, mutators: readonly Mutator[]): Buffer {
  const structural = mutators.filter((m) => !isByteMutator(m));
  if (structural.length === 0) return encodeFrame(frame.type, applyByteMutators(frame.payload, mutators));
  if (frame.type === FrameType.Record) {
    throw new EditError(`a record's payload is sealed: only byte mutators apply to it, not ${structural.map((m) => m.op).join(', ')}`);
  }
  let tree: XNode;
  try {
    tree = treeOf(parseXml(frame.payload, E2ED_NAMESPACE), true);
  } catch (err) {
    throw new EditError(`the payload is no XML the mutators can work on (${(err as Error).message})`);
  }
  try {
    return encodeFrame(frame.type, applyMutators(tree, mutators, writeXml));
  } catch (err) {
    throw new EditError((err as Error).message);
  }
}

/** A whole frame built from a `send` (src/relay/script.ts RelaySend): plaintext unless `as: "record"` with a raw payload. */
export function buildSendFrame(send: RelaySend): Buffer {
  let payload: Buffer;
  if (send.raw) {
    const one = send.raw.hex !== undefined ? Buffer.from(send.raw.hex, 'hex') : Buffer.from(send.raw.text ?? '', 'utf8');
    payload = Buffer.concat(Array.from({ length: send.raw.repeat ?? 1 }, () => one));
    payload = applyByteMutators(payload, send.mutate ?? []);
  } else {
    const tree = sessionlessTemplate(send.message as SessionlessName, send.fields ?? {});
    const sets: Mutator[] = Object.entries(send.set ?? {}).map(([path, value]) => ({ op: 'set', path, value }));
    payload = applyMutators(tree, [...sets, ...(send.mutate ?? [])], writeXml);
  }
  return encodeFrame(send.as === 'record' ? FrameType.Record : FrameType.Plaintext, payload);
}
