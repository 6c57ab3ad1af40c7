// vectors/record.json: record protection (docs/spec.md, record layer): nonce = iv XOR seq,
// AAD = the 5-byte frame header, for both AEADs, with frames a receiver must refuse.
import { fromHex, toHex } from '../protocol/bytes.js';
import { FrameDecoder } from '../protocol/frame.js';
import { CIPHERS, openRecord, sealRecord, type CipherName } from '../protocol/record.js';
import { ProtocolError } from '../protocol/errors.js';
import type { RandomSource } from '../protocol/random.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorGroup, type VectorTest } from './format.js';
import { field, sameOutcome } from './check-util.js';

/** What a Connected receiver at `seq` does with a whole frame: the plaintext, or the alert it sends and the requirement that names it. */
export function recordOutcome(cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, frameBytes: Buffer): { plaintext: Buffer } | { alert: string; requirement?: string } {
  try {
    const decoder = new FrameDecoder();
    const frames = decoder.push(frameBytes);
    decoder.end();
    if (frames.length !== 1) return { alert: 'decode_error', requirement: 'E2ED-FRAME-1' };
    const frame = frames[0]!;
    // E2ED-REC-6: "a plaintext frame received in Connected is unexpected_message".
    if (frame.type !== 0x02) return { alert: 'unexpected_message', requirement: 'E2ED-REC-6' };
    return { plaintext: openRecord(cipher, key, iv, seq, frame) };
  } catch (err) {
    if (err instanceof ProtocolError) return err.requirement ? { alert: err.alert, requirement: err.requirement } : { alert: err.alert };
    throw err;
  }
}

/** Opens a whole frame (header included) as a receiver would; null when it must be refused. */
export function openRecordFrame(cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, frameBytes: Buffer): Buffer | null {
  const outcome = recordOutcome(cipher, key, iv, seq, frameBytes);
  return 'plaintext' in outcome ? outcome.plaintext : null;
}

function flipBit(b: Buffer, index: number, bit = 0): Buffer {
  const copy = Buffer.from(b);
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}

const PLAINTEXTS = [
  '<Message xmlns="urn:sixchat:e2ed:1" id="m1" timestamp="2026-11-26T19:00:00Z">hello</Message>',
  '<Ping xmlns="urn:sixchat:e2ed:1" id="p1"/>',
  '<KeyUpdate xmlns="urn:sixchat:e2ed:1" request="true"/>',
  '<Alert xmlns="urn:sixchat:e2ed:1" level="warning" code="close_notify"/>',
];

/**
 * A test with its outcome recomputed by the receiver: `alert` and `flags` (the requirement that
 * names the alert) for a refused frame; `flags` E2ED-REC-1 (and E2ED-REC-7 at the sender's last
 * sequence number) for an accepted one.
 */
function vector(comment: string, cipher: CipherName, key: Buffer, iv: Buffer, seq: bigint, plaintext: Buffer, frame: Buffer, result: 'valid' | 'invalid'): VectorTest {
  const t: VectorTest = { tcId: 0, comment, cipher, key: toHex(key), iv: toHex(iv), seq: Number(seq), plaintext: toHex(plaintext), frame: toHex(frame), result };
  const outcome = recordOutcome(cipher, key, iv, seq, frame);
  if (result === 'valid') {
    t.flags = seq === LAST_SENDER_SEQ ? ['E2ED-REC-1', 'E2ED-REC-7'] : ['E2ED-REC-1'];
  } else if ('alert' in outcome) {
    t.alert = outcome.alert;
    t.flags = outcome.requirement ? [outcome.requirement] : [];
  }
  return t;
}

/** E2ED-REC-7: "A sender MUST NOT send more than 2^48 records under one traffic secret": its last sequence number. */
const LAST_SENDER_SEQ = 2n ** 48n - 1n;

function groupFor(cipher: CipherName, rng: RandomSource): VectorGroup {
  const tests: VectorTest[] = [];
  const key = rng.bytes(32);
  const iv = rng.bytes(12);
  const seqs = [0n, 1n, 2n, 255n, 65536n, 2n ** 32n + 7n, LAST_SENDER_SEQ];
  PLAINTEXTS.forEach((text, i) => {
    const pt = Buffer.from(text, 'utf8');
    const seq = seqs[i]!;
    tests.push(vector(`${text.slice(1, text.indexOf(' '))} at sequence ${seq}`, cipher, key, iv, seq, pt, sealRecord(cipher, key, iv, seq, pt), 'valid'));
  });
  for (const seq of seqs.slice(PLAINTEXTS.length)) {
    const pt = Buffer.from(PLAINTEXTS[0]!, 'utf8');
    const what = seq === LAST_SENDER_SEQ ? `the last sequence number a sender may use, 2^48 - 1 = ${seq} (E2ED-REC-7)` : `large sequence number ${seq}`;
    tests.push(vector(what, cipher, key, iv, seq, pt, sealRecord(cipher, key, iv, seq, pt), 'valid'));
  }
  const empty = Buffer.alloc(0);
  tests.push(vector('empty plaintext (tag only)', cipher, key, iv, 3n, empty, sealRecord(cipher, key, iv, 3n, empty), 'valid'));
  const big = Buffer.from(`<Message xmlns="urn:sixchat:e2ed:1" id="big" timestamp="2026-11-26T19:00:00Z">${'x'.repeat(4000)}</Message>`, 'utf8');
  tests.push(vector('4 KiB plaintext', cipher, key, iv, 9n, big, sealRecord(cipher, key, iv, 9n, big), 'valid'));

  const pt = Buffer.from(PLAINTEXTS[0]!, 'utf8');
  const good = sealRecord(cipher, key, iv, 5n, pt);
  tests.push(vector('last tag bit flipped', cipher, key, iv, 5n, pt, flipBit(good, good.length - 1, 7), 'invalid'));
  tests.push(vector('first tag bit flipped', cipher, key, iv, 5n, pt, flipBit(good, good.length - 16, 0), 'invalid'));
  tests.push(vector('ciphertext bit flipped', cipher, key, iv, 5n, pt, flipBit(good, 5, 0), 'invalid'));
  tests.push(vector('sealed at sequence 5, opened at 6 (wrong sequence number)', cipher, key, iv, 6n, pt, good, 'invalid'));
  tests.push(vector('sealed at sequence 5, opened at 4 (replayed/reordered)', cipher, key, iv, 4n, pt, good, 'invalid'));
  tests.push(vector('frame truncated by one byte (length field unchanged)', cipher, key, iv, 5n, pt, good.subarray(0, good.length - 1), 'invalid'));
  const shortened = Buffer.from(good.subarray(0, good.length - 1));
  shortened.writeUInt32BE(shortened.length - 4, 0);
  tests.push(vector('frame truncated by one byte, length field adjusted (tag cut)', cipher, key, iv, 5n, pt, shortened, 'invalid'));
  const typed = Buffer.from(good);
  typed[4] = 0x01;
  tests.push(vector('type byte 0x01 instead of 0x02 (plaintext frame)', cipher, key, iv, 5n, pt, typed, 'invalid'));
  const typed3 = Buffer.from(good);
  typed3[4] = 0x03;
  tests.push(vector('type byte 0x03 (unknown frame type)', cipher, key, iv, 5n, pt, typed3, 'invalid'));
  const longer = Buffer.concat([good, Buffer.from([0])]);
  longer.writeUInt32BE(longer.length - 4, 0);
  tests.push(vector('one byte appended, length adjusted (AAD no longer matches)', cipher, key, iv, 5n, pt, longer, 'invalid'));
  const tiny = Buffer.from([0, 0, 0, 16, 0x02, ...rng.bytes(15)]);
  tests.push(vector('payload shorter than the 16-byte tag', cipher, key, iv, 5n, empty, tiny, 'invalid'));
  const otherCipher: CipherName = cipher === 'AES-256-GCM' ? 'CHACHA20-POLY1305' : 'AES-256-GCM';
  tests.push(vector(`sealed with ${otherCipher}, opened with ${cipher}`, cipher, key, iv, 5n, pt, sealRecord(otherCipher, key, iv, 5n, pt), 'invalid'));
  return { type: 'RecordTest', cipherName: cipher, tests };
}

export const recordVectors: VectorKind = {
  file: 'record.json',
  generate(seed: string, rng: RandomSource) {
    return makeVectorFile(
      'E2ED-Record',
      'schemas/record.schema.json',
      seed,
      {
        record: 'frame = header || AEAD(key, nonce = iv XOR (0x00000000 || uint64be(seq)), aad = header, plaintext), header = uint32be(1 + len(ciphertext) + 16) || 0x02. `frame` is the whole frame as sent.',
        valid: 'a conforming receiver at sequence `seq` opens `frame` to `plaintext`. No vector seals at 2^48 or above: a sender never reaches it (E2ED-REC-7), so such a record is no conforming sender\'s output; a receiver has no such limit.',
        invalid: 'a Connected receiver at sequence `seq` must refuse `frame` with `alert`: bad_record_mac when authentication fails, a payload shorter than the tag included (E2ED-REC-3), decode_error for framing faults, unexpected_message for a plaintext frame (E2ED-REC-6); `flags` names the requirement; `plaintext` is what was originally sealed.',
      },
      CIPHERS.map((c) => groupFor(c, rng.fork(c))),
    );
  },
  verify(t) {
    const cipher = field(t, 'cipher') as CipherName;
    if (!CIPHERS.includes(cipher)) return `unknown cipher ${cipher}`;
    const outcome = recordOutcome(cipher, fromHex(field(t, 'key')), fromHex(field(t, 'iv')), BigInt(Number(t.seq)), fromHex(field(t, 'frame')));
    const opened = 'plaintext' in outcome ? outcome.plaintext : null;
    const differs = sameOutcome(t, opened, 'plaintext');
    if (differs !== null || 'plaintext' in outcome) return differs;
    return outcome.alert === t.alert ? null : `the receiver sends ${outcome.alert}, the file says ${String(t.alert)}`;
  },
};
