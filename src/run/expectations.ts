// --expectations FILE (issue 8 §3, tlsfuzzer's -x/-X, BoGo's disabled tests): the cases an
// implementation is known to fail, each with the reason, so that CI gates on change. One entry
// per line: a case id or glob (`*` any run of characters, `?` one), white space, the reason;
// `#` starts a comment. An expected failure (fail or error) does not fail the run; an expected
// failure that passes does (the baseline must be updated); an entry matching no case of the run
// is an error before anything starts.
import { readFileSync } from 'node:fs';
import type { CaseResult } from './model.js';

export interface Expectation {
  pattern: string;
  reason: string;
  line: number;
  regex: RegExp;
}

export class ExpectationsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectationsError';
  }
}

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function parseExpectations(text: string, file: string): Expectation[] {
  const out: Expectation[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) throw new ExpectationsError(`${file}:${i + 1}: "${line}" has no reason (write: <case id or glob> <why it is expected to fail>)`);
    out.push({ pattern: m[1]!, reason: m[2]!.trim(), line: i + 1, regex: globToRegExp(m[1]!) });
  });
  return out;
}

export function loadExpectations(file: string): Expectation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ExpectationsError(`${file}: cannot be read: ${(err as Error).message}`);
  }
  return parseExpectations(text, file);
}

/** Every entry must match a case of the run (before anything starts). */
export function checkExpectations(expectations: readonly Expectation[], caseIds: readonly string[], file: string): void {
  for (const e of expectations) {
    if (!caseIds.some((id) => e.regex.test(id))) throw new ExpectationsError(`${file}:${e.line}: "${e.pattern}" matches no case of this run`);
  }
}

/** Marks each result: an expected failure keeps its verdict and carries the reason; an expected failure that passed is flagged. */
export function applyExpectations(results: CaseResult[], expectations: readonly Expectation[]): void {
  for (const r of results) {
    const e = expectations.find((x) => x.regex.test(r.id));
    if (!e) continue;
    if (r.verdict === 'fail' || r.verdict === 'error') r.expectedFailure = e.reason;
    else if (r.verdict === 'pass') {
      r.unexpectedPass = true;
      r.expectedFailure = e.reason;
    }
  }
}
