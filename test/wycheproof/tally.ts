// Helper for the Wycheproof agreement test: loading vector files, running one primitive over
// every test of a file, and counting agreement per result class (valid / invalid / acceptable).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const wycheproofDir = path.resolve(repoRoot, '../shared/external/wycheproof');

export function wycheproofAvailable(): boolean {
  return existsSync(path.join(wycheproofDir, 'README.txt'));
}

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: WycheproofResult;
  [field: string]: unknown;
}

export interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}

export interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

export function loadVectors(file: string): WycheproofFile {
  return JSON.parse(readFileSync(path.join(wycheproofDir, file), 'utf8')) as WycheproofFile;
}

/** What the core did with one vector; `skip` carries the reason it was not run. */
export type Outcome = 'accept' | 'reject' | { skip: string };

export interface Disagreement {
  tcId: number;
  expected: WycheproofResult;
  got: 'accept' | 'reject';
  comment: string;
  flags: string[];
}

export interface FileTally {
  file: string;
  declaredTotal: number;
  total: number;
  valid: { total: number; agreed: number };
  invalid: { total: number; agreed: number };
  acceptable: { accepted: number; rejected: number };
  /** Per flag of the acceptable vectors (a vector with two flags counts under both). */
  acceptableByFlag: Map<string, { accepted: number; rejected: number }>;
  skipped: { tcId: number; reason: string }[];
  disagreements: Disagreement[];
}

/**
 * Runs `run` on every test. A primitive that throws is counted as rejecting (the core's
 * contract is to refuse malformed input, by exception or by a false/null result).
 */
export function tallyFile(file: string, run: (group: WycheproofGroup, test: WycheproofTest) => Outcome): FileTally {
  const vectors = loadVectors(file);
  const tally: FileTally = {
    file,
    declaredTotal: vectors.numberOfTests,
    total: 0,
    valid: { total: 0, agreed: 0 },
    invalid: { total: 0, agreed: 0 },
    acceptable: { accepted: 0, rejected: 0 },
    acceptableByFlag: new Map(),
    skipped: [],
    disagreements: [],
  };
  for (const group of vectors.testGroups) {
    for (const test of group.tests) {
      tally.total++;
      let outcome: Outcome;
      try {
        outcome = run(group, test);
      } catch {
        outcome = 'reject';
      }
      if (typeof outcome === 'object') {
        tally.skipped.push({ tcId: test.tcId, reason: outcome.skip });
        continue;
      }
      if (test.result === 'acceptable') {
        tally.acceptable[outcome === 'accept' ? 'accepted' : 'rejected']++;
        for (const flag of test.flags.length ? test.flags : ['(no flag)']) {
          const entry = tally.acceptableByFlag.get(flag) ?? { accepted: 0, rejected: 0 };
          entry[outcome === 'accept' ? 'accepted' : 'rejected']++;
          tally.acceptableByFlag.set(flag, entry);
        }
        continue;
      }
      const bucket = test.result === 'valid' ? tally.valid : tally.invalid;
      bucket.total++;
      const agreed = (test.result === 'valid') === (outcome === 'accept');
      if (agreed) bucket.agreed++;
      else tally.disagreements.push({ tcId: test.tcId, expected: test.result, got: outcome, comment: test.comment, flags: test.flags });
    }
  }
  return tally;
}

export function describeTally(t: FileTally): string[] {
  const lines = [
    `${t.file}: total ${t.total}, valid agreed ${t.valid.agreed}/${t.valid.total}, invalid agreed ${t.invalid.agreed}/${t.invalid.total}, ` +
      `acceptable accepted ${t.acceptable.accepted} / rejected ${t.acceptable.rejected}, skipped ${t.skipped.length}`,
  ];
  for (const [flag, counts] of [...t.acceptableByFlag].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  acceptable ${flag}: accepted ${counts.accepted}, rejected ${counts.rejected}`);
  }
  const reasons = new Map<string, number[]>();
  for (const s of t.skipped) reasons.set(s.reason, [...(reasons.get(s.reason) ?? []), s.tcId]);
  for (const [reason, ids] of reasons) lines.push(`  skipped (${reason}): tcId ${ids.join(', ')}`);
  for (const d of t.disagreements) {
    lines.push(`  DISAGREE tcId ${d.tcId}: expected ${d.expected}, core ${d.got}ed (${d.comment}; ${d.flags.join(',')})`);
  }
  return lines;
}

export const hexField = (test: WycheproofTest | WycheproofGroup, field: string): Buffer => {
  const value = test[field];
  if (typeof value !== 'string') throw new Error(`vector field ${field} is not a string`);
  return Buffer.from(value, 'hex');
};
