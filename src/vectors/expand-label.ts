// vectors/expand-label.json: ExpandLabel (docs/spec.md, key schedule) with every label the
// schedule uses, edge lengths, and inputs ExpandLabel must refuse.
import { expandLabel } from '../protocol/keyschedule.js';
import { fromHex, toHex } from '../protocol/bytes.js';
import type { RandomSource } from '../protocol/random.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorTest } from './format.js';
import { field, sameOutcome } from './check-util.js';

const SCHEDULE_LABELS = ['r finished', 'i finished', 'master', 'i2r traffic', 'r2i traffic', 'key', 'iv', 'update', 'exporter'];
/** HKDF-Expand's limit with SHA-256 (RFC 5869): 255 * HashLen. */
const MAX_OKM = 255 * 32;

function compute(secret: Buffer, label: string, context: Buffer, length: number): Buffer | null {
  try {
    return expandLabel(secret, label, context, length);
  } catch {
    return null;
  }
}

function test(comment: string, secret: Buffer, label: string, context: Buffer, length: number): VectorTest {
  const okm = compute(secret, label, context, length);
  return {
    tcId: 0,
    comment,
    secret: toHex(secret),
    label,
    context: toHex(context),
    length,
    okm: okm ? toHex(okm) : '',
    result: okm ? 'valid' : 'invalid',
    flags: ['E2ED-KS-1'],
  };
}

export const expandLabelVectors: VectorKind = {
  file: 'expand-label.json',
  generate(seed: string, rng: RandomSource) {
    const tests: VectorTest[] = [];
    for (const label of SCHEDULE_LABELS) {
      for (const ctxLen of [0, 32]) {
        tests.push(test(`label "${label}", ${ctxLen}-byte context, 32 bytes out`, rng.bytes(32), label, rng.bytes(ctxLen), 32));
      }
    }
    tests.push(test('12-byte output (iv length)', rng.bytes(32), 'iv', Buffer.alloc(0), 12));
    tests.push(test('1-byte output', rng.bytes(32), 'key', Buffer.alloc(0), 1));
    tests.push(test('maximum output, 255 * 32 bytes', rng.bytes(32), 'key', Buffer.alloc(0), MAX_OKM));
    tests.push(test('secret shorter than the hash', rng.bytes(16), 'master', rng.bytes(32), 32));
    tests.push(test('context of 255 bytes (the uint8 maximum)', rng.bytes(32), 'exporter', rng.bytes(255), 32));
    tests.push(test('longest label: 250 bytes + "e2ed " = 255', rng.bytes(32), 'x'.repeat(250), Buffer.alloc(0), 32));
    tests.push(test('output longer than 255 * 32 bytes', rng.bytes(32), 'key', Buffer.alloc(0), MAX_OKM + 1));
    tests.push(test('label over 255 bytes with the prefix', rng.bytes(32), 'x'.repeat(251), Buffer.alloc(0), 32));
    tests.push(test('context over 255 bytes', rng.bytes(32), 'exporter', rng.bytes(256), 32));
    return makeVectorFile(
      'E2ED-ExpandLabel',
      'schemas/expand-label.schema.json',
      seed,
      {
        ExpandLabel: 'HKDF-Expand-SHA256(secret, info, length), info = uint16(length) || uint8(len(L)) || L || uint8(len(context)) || context, L = "e2ed " || label (ASCII). `label` is given without the prefix.',
        invalid: 'length over 255*32 = 8160, L over 255 bytes, or context over 255 bytes: ExpandLabel refuses (E2ED-KS-1); okm is empty.',
      },
      [{ type: 'ExpandLabelTest', tests }],
    );
  },
  verify(t) {
    const okm = compute(fromHex(field(t, 'secret')), field(t, 'label'), fromHex(field(t, 'context')), Number(t.length));
    return sameOutcome(t, okm, 'okm');
  },
};
