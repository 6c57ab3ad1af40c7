// vectors/framing.json: the frame decoder (docs/spec.md, framing). Input bytes, then either the
// frames they decode to or the alert a receiver sends. The check feeds every input whole and
// one byte at a time: both must give the same outcome.
import { fromHex, toHex } from '../protocol/bytes.js';
import { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder, encodeFrame } from '../protocol/frame.js';
import { ProtocolError } from '../protocol/errors.js';
import type { RandomSource } from '../protocol/random.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorTest } from './format.js';
import { field } from './check-util.js';

export interface FramingOutcome {
  frames: { type: number; payload: string }[];
  alert: string | null;
  /** The requirement the refusal enforces (docs/spec.md), when the decoder names one. */
  requirement?: string;
}

/** Decodes `input` in chunks of `chunk` bytes (0 = whole), then signals end of stream. */
export function decodeFraming(input: Buffer, maxLength: number, chunk: number): FramingOutcome {
  const decoder = new FrameDecoder({ maxLength });
  const frames: { type: number; payload: string }[] = [];
  try {
    const step = chunk > 0 ? chunk : Math.max(1, input.length);
    for (let i = 0; i < input.length; i += step) {
      for (const f of decoder.push(input.subarray(i, i + step))) frames.push({ type: f.type, payload: toHex(f.payload) });
      decoder.throwIfFailed();
    }
    decoder.end();
    return { frames, alert: null };
  } catch (err) {
    if (err instanceof ProtocolError) return err.requirement ? { frames, alert: err.alert, requirement: err.requirement } : { frames, alert: err.alert };
    throw err;
  }
}

function test(comment: string, input: Buffer, maxLength = DEFAULT_MAX_FRAME_LENGTH): VectorTest {
  const outcome = decodeFraming(input, maxLength, 0);
  return outcome.alert === null
    ? { tcId: 0, comment, input: toHex(input), maxLength, frames: outcome.frames, result: 'valid' }
    : { tcId: 0, comment, flags: outcome.requirement ? [outcome.requirement] : [], input: toHex(input), maxLength, frames: outcome.frames, alert: outcome.alert, result: 'invalid' };
}

const hello = Buffer.from('<Ping xmlns="urn:sixchat:e2ed:1" id="a"/>', 'utf8');

function header(length: number, type: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(length, 0);
  h[4] = type;
  return h;
}

export const framingVectors: VectorKind = {
  file: 'framing.json',
  generate(seed: string, rng: RandomSource) {
    const record = Buffer.concat([header(1 + 40, 0x02), rng.bytes(40)]);
    const tests = [
      test('one plaintext frame', encodeFrame(1, hello)),
      test('one record frame', record),
      test('two frames back to back', Buffer.concat([encodeFrame(1, hello), record])),
      test('empty payload (L = 1, type only)', header(1, 0x01)),
      test('no input at all', Buffer.alloc(0)),
      test('frame exactly at a small maximum (L = max)', encodeFrame(1, Buffer.alloc(99, 0x41)), 100),
      test('L = 0', header(0, 0x01)),
      test('L = 0 followed by bytes', Buffer.concat([header(0, 0x01), hello])),
      test('type 0x00', encodeFrame(0x00, hello)),
      test('type 0x03', encodeFrame(0x03, hello)),
      test('type 0xff', encodeFrame(0xff, hello)),
      test('valid frame, then a frame of unknown type', Buffer.concat([encodeFrame(1, hello), encodeFrame(0x7f, hello)])),
      test('L over the 1 MiB maximum, header only (refused before any body byte)', header(DEFAULT_MAX_FRAME_LENGTH + 1, 0x02)),
      test('L = 0xffffffff, header only', header(0xffffffff, 0x01)),
      test('L over the maximum with the length bytes alone', header(DEFAULT_MAX_FRAME_LENGTH + 1, 0x01).subarray(0, 4)),
      test('frame one byte over a small maximum', encodeFrame(1, Buffer.alloc(100, 0x41)), 100),
      test('stream ends inside the header', header(10, 0x01).subarray(0, 3)),
      test('stream ends inside the body', encodeFrame(1, hello).subarray(0, 20)),
      test('valid frame, then a partial one', Buffer.concat([encodeFrame(1, hello), encodeFrame(1, hello).subarray(0, 7)])),
    ];
    return makeVectorFile(
      'E2ED-Framing',
      'schemas/framing.schema.json',
      seed,
      {
        framing: 'uint32be L || type || payload (L - 1 bytes); L counts type + payload. `input` is a byte stream that ends after its last byte; `maxLength` is the receiver\'s limit on L.',
        valid: '`frames` lists every frame in order (type as a number, payload as hex).',
        invalid: '`flags` names the requirement of docs/spec.md the refusal enforces; `frames` are those complete before the fault; `alert` is what the receiver sends: decode_error (L = 0, unknown type, stream ending mid-frame) or record_overflow (L over the maximum, decided from the length bytes alone).',
      },
      [{ type: 'FramingTest', tests }],
    );
  },
  verify(t) {
    const input = fromHex(field(t, 'input'));
    const maxLength = Number(t.maxLength);
    const whole = decodeFraming(input, maxLength, 0);
    const bytewise = decodeFraming(input, maxLength, 1);
    if (JSON.stringify(whole) !== JSON.stringify(bytewise)) return 'decoding one byte at a time differs from decoding the whole input';
    if (t.result === 'valid') {
      if (whole.alert !== null) return `the code raises ${whole.alert} on a vector marked valid`;
      return JSON.stringify(whole.frames) === JSON.stringify(t.frames) ? null : 'decoded frames differ';
    }
    if (whole.alert !== t.alert) return `expected alert ${String(t.alert)}, the code gives ${whole.alert ?? 'no alert'}`;
    if (JSON.stringify(whole.requirement ? [whole.requirement] : []) !== JSON.stringify(t.flags ?? [])) return `flags ${JSON.stringify(t.flags)} differ from the requirement the code enforces (${whole.requirement ?? 'none'})`;
    return JSON.stringify(whole.frames) === JSON.stringify(t.frames) ? null : 'frames decoded before the fault differ';
  },
};
