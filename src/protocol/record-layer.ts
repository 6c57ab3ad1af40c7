// The record layer of one connection (docs/spec.md, sections 8.1 "Record format" and
// "Application messages" / KeyUpdate): one traffic secret, key, IV and sequence number per
// direction, and the key update that replaces a direction's secret with
// ExpandLabel(ts, "update", "", 32) and restarts its sequence at 0.
// Sealing and opening one record is record.ts; this file only keeps the per-direction state.
import type { Bugs } from './bugs.js';
import { ProtocolError } from './errors.js';
import type { Frame } from './frame.js';
import { nextTrafficSecret, trafficKeys } from './keyschedule.js';
import type { TrafficDirection } from './keylog.js';
import { decryptRecordUnauthenticated, openRecord, sealRecord, type CipherName } from './record.js';

const MAX_SEQUENCE = 0xffffffffffffffffn;
/** How far past the expected sequence number the record.skipSequenceCheck knob looks for one that opens. */
export const CARELESS_SEQUENCE_WINDOW = 16n;
/**
 * E2ED-REC-7: "A sender MUST NOT send more than 2^48 records under one traffic secret ... A sender
 * SHOULD send a KeyUpdate after 2^24 records under one key when the cipher is AES-256-GCM."
 */
export const KEY_UPDATE_THRESHOLD: Readonly<Record<CipherName, bigint>> = {
  'AES-256-GCM': 1n << 24n,
  'CHACHA20-POLY1305': 1n << 48n,
};

interface DirectionState {
  readonly direction: TrafficDirection;
  secret: Buffer;
  key: Buffer;
  iv: Buffer;
  seq: bigint;
  /** 0 for the secret from the handshake, +1 per key update (the key-log `n`). */
  generation: number;
}

function directionState(direction: TrafficDirection, secret: Buffer): DirectionState {
  // A private copy: the secret is erased when a key update replaces it (E2ED-KS-5).
  const own = Buffer.from(secret);
  const { key, iv } = trafficKeys(own);
  return { direction, secret: own, key, iv, seq: 0n, generation: 0 };
}

export interface SecretChange {
  direction: TrafficDirection;
  generation: number;
  secret: Buffer;
}

export class RecordLayer {
  private readonly sending: DirectionState;
  private readonly receiving: DirectionState;

  constructor(
    readonly cipher: CipherName,
    role: 'initiator' | 'responder',
    secrets: { i2r: Buffer; r2i: Buffer },
    private readonly bugs: Bugs = {},
  ) {
    const own: TrafficDirection = role === 'initiator' ? 'i2r' : 'r2i';
    const peer: TrafficDirection = role === 'initiator' ? 'r2i' : 'i2r';
    // "keys per direction": the knob protects our records with the peer's key and IV.
    const sendSecret = bugs.record?.reuseNonceAcrossDirections ? secrets[peer] : secrets[own];
    this.sending = directionState(own, sendSecret);
    this.receiving = directionState(peer, secrets[peer]);
  }

  get sendGeneration(): number {
    return this.sending.generation;
  }

  get receiveGeneration(): number {
    return this.receiving.generation;
  }

  get sendSecret(): Buffer {
    return this.sending.secret;
  }

  get receiveSecret(): Buffer {
    return this.receiving.secret;
  }

  /** True once the sending key has protected its share of records: the engine key-updates first. */
  get sendKeyWornOut(): boolean {
    return this.sending.seq >= KEY_UPDATE_THRESHOLD[this.cipher];
  }

  /** One plaintext XML element -> one whole record frame (type 0x02). */
  seal(plaintext: Uint8Array): Buffer {
    const s = this.sending;
    if (s.seq > MAX_SEQUENCE) {
      throw new ProtocolError('local', 'internal_error', 'sending sequence number exhausted', 'E2ED-REC-7');
    }
    const frame = sealRecord(this.cipher, s.key, s.iv, s.seq, plaintext);
    if (!this.bugs.record?.reuseSequence) s.seq += 1n;
    if (this.bugs.record?.corruptTag) frame[frame.length - 1] ^= 0x01;
    return frame;
  }

  /** Authenticate and decrypt one record frame; bad_record_mac (from record.ts) when it fails. */
  open(frame: Frame): Buffer {
    const r = this.receiving;
    if (r.seq > MAX_SEQUENCE) {
      throw new ProtocolError('peer-misbehaved', 'bad_record_mac', 'receiving sequence number exhausted', 'E2ED-REC-7');
    }
    // record.skipAuthentication: the deviation E2ED-REC-3 forbids (a tampered record is read as it is).
    if (this.bugs.record?.skipAuthentication) {
      const plaintext = decryptRecordUnauthenticated(this.cipher, r.key, r.iv, r.seq, frame);
      r.seq += 1n;
      return plaintext;
    }
    try {
      const plaintext = openRecord(this.cipher, r.key, r.iv, r.seq, frame);
      r.seq += 1n;
      return plaintext;
    } catch (err) {
      if (!this.bugs.record?.skipSequenceCheck) throw err;
      return this.openUnderAnySequence(frame, err);
    }
  }

  /**
   * record.skipSequenceCheck: the deviation E2ED-REC-2 and E2ED-REC-3 forbid. The record is opened
   * under any sequence number from 0 to CARELESS_SEQUENCE_WINDOW past the expected one, and the
   * receive sequence goes on after the one that worked: a dropped, reordered or replayed record
   * of the current key is accepted. A record no sequence opens still fails as `err`.
   */
  private openUnderAnySequence(frame: Frame, err: unknown): Buffer {
    const r = this.receiving;
    for (let seq = 0n; seq <= r.seq + CARELESS_SEQUENCE_WINDOW; seq++) {
      if (seq === r.seq) continue;
      try {
        const plaintext = openRecord(this.cipher, r.key, r.iv, seq, frame);
        r.seq = seq + 1n;
        return plaintext;
      } catch {
        // not this one
      }
    }
    throw err;
  }

  /**
   * "the sender switches its sending secret to ExpandLabel(ts, "update", "", 32) right after this
   * record, sequence back to 0". Returns the new secret (for the key log), or null under the
   * keyUpdate.dontSwitchKeys knob.
   */
  updateSending(): SecretChange | null {
    if (this.bugs.keyUpdate?.dontSwitchKeys) return null;
    return this.advance(this.sending, !this.bugs.keyUpdate?.dontResetSequence);
  }

  /** "the receiver switches its receiving secret after processing it". */
  updateReceiving(): SecretChange {
    return this.advance(this.receiving, true);
  }

  private advance(d: DirectionState, resetSequence: boolean): SecretChange {
    const previous = d.secret;
    d.secret = nextTrafficSecret(previous);
    // E2ED-KS-5: "erase ... a traffic secret once it has been replaced by a key update".
    previous.fill(0);
    const { key, iv } = trafficKeys(d.secret);
    d.key = key;
    d.iv = iv;
    if (resetSequence) d.seq = 0n;
    d.generation += 1;
    return { direction: d.direction, generation: d.generation, secret: d.secret };
  }
}
