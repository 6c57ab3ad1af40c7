// `--shard I/N`: a stable, balanced share of the selected cases, the way CI matrices spread a long
// suite over machines. Within each suite the cases are ordered by a hash of their id and dealt
// round-robin, so every shard gets the same mix of expensive and cheap suites (at most one case
// more per suite than another shard), a case stays on its shard when others are added elsewhere,
// and the N shards together run each selected case exactly once. Results keep catalogue order.
import { createHash } from 'node:crypto';
import type { CaseSpec } from './model.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export class ShardSyntaxError extends Error {
  override name = 'ShardSyntaxError';
}

export function parseShard(text: string): Shard {
  const m = /^([1-9][0-9]{0,3})\/([1-9][0-9]{0,3})$/.exec(text);
  if (!m) throw new ShardSyntaxError(`--shard takes I/N with 1 <= I <= N, got "${text}".`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  if (shard.index > shard.count) throw new ShardSyntaxError(`--shard ${text}: the index ${shard.index} is beyond the ${shard.count} shards.`);
  return shard;
}

function rank(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** The shard's share of `cases`, in their original order. */
export function shardCases<T extends Pick<CaseSpec, 'id' | 'suite'>>(cases: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...cases];
  const mine = new Set<string>();
  const suites = [...new Set(cases.map((c) => c.suite))];
  for (const suite of suites) {
    const ordered = cases.filter((c) => c.suite === suite).sort((a, b) => (rank(a.id) < rank(b.id) ? -1 : 1));
    ordered.forEach((c, i) => {
      if (i % shard.count === shard.index - 1) mine.add(c.id);
    });
  }
  return cases.filter((c) => mine.has(c.id));
}
