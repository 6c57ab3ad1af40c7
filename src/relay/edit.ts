// The relay's handshake edits (src/relay/script.ts `Edit`): decode a plaintext frame with the
// core's codec (src/protocol/messages.ts), change fields, re-encode it in a frame of the same
// type. The encoder writes what it is given without judging it, so any change can be expressed.
import { encodeFrame, type Frame } from '../protocol/frame.js';
import { decodeE2ed, encodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { DOWNGRADE_SENTINEL } from '../protocol/handshake/selection.js';
import type { Edit } from './script.js';

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
