// One vector file: how to generate it from a seed, and how to re-verify one of its tests
// from that test's own inputs (independently of regeneration).
import type { RandomSource } from '../protocol/random.js';
import type { VectorFile, VectorTest } from './format.js';

export interface VectorKind {
  /** File name under vectors/. */
  file: string;
  generate(seed: string, rng: RandomSource): VectorFile;
  /** Recomputes the test from its inputs; returns what differs, or null when it agrees. */
  verify(test: VectorTest, group: Record<string, unknown>): string | null;
}
