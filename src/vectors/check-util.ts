// Small helpers shared by the vector verifiers.
import { toHex } from '../protocol/bytes.js';
import type { VectorTest } from './format.js';

/** A string field of a test; a missing or non-string field is itself a mismatch. */
export function field(t: Record<string, unknown>, name: string): string {
  const v = t[name];
  if (typeof v !== 'string') throw new Error(`field "${name}" is missing or not a string`);
  return v;
}

/**
 * Compares a recomputed output with the test's expectation: a valid test must produce exactly
 * `expectedField`; an invalid test must fail (computed === null).
 */
export function sameOutcome(t: VectorTest, computed: Buffer | null, expectedField: string): string | null {
  if (t.result === 'valid') {
    if (computed === null) return `the code refuses a vector marked valid`;
    const want = field(t, expectedField);
    const got = toHex(computed);
    return got === want ? null : `${expectedField} differs: file has ${want.slice(0, 32)}..., code computes ${got.slice(0, 32)}...`;
  }
  if (computed !== null) return 'the code accepts a vector marked invalid';
  return null;
}
