// The transcript hash TH (brief, "Key schedule"): SHA-256 over the handshake frames exactly as
// sent on the wire, header included. Signatures and MACs cover wire bytes, never re-serialised XML.
import { createHash, type Hash } from 'node:crypto';
import { u16be } from './bytes.js';

export class Transcript {
  private readonly hashState: Hash;

  constructor(state?: Hash) {
    this.hashState = state ?? createHash('sha256');
  }

  add(frameWire: Uint8Array): void {
    this.hashState.update(frameWire);
  }

  /** SHA-256 of everything added so far; the transcript can keep growing afterwards. */
  hash(): Buffer {
    return this.hashState.copy().digest();
  }

  clone(): Transcript {
    return new Transcript(this.hashState.copy());
  }
}

/**
 * Version 0.9 binds only nonces and identities (docs/spec.md, section 6.3 "Version 0.9"):
 * B09 = SHA-256(nonce_I || nonce_R || u16 len || I's user ID || u16 len || R's user ID).
 */
export function binding09(nonceI: Uint8Array, nonceR: Uint8Array, initiatorId: string, responderId: string): Buffer {
  const idI = Buffer.from(initiatorId, 'utf8');
  const idR = Buffer.from(responderId, 'utf8');
  return createHash('sha256')
    .update(nonceI)
    .update(nonceR)
    .update(u16be(idI.length))
    .update(idI)
    .update(u16be(idR.length))
    .update(idR)
    .digest();
}
