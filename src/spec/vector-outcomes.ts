// docs/spec.md Appendix D, "Vector outcomes": a machine-readable table that binds requirements to
// the vector files, and the check that reads every vector's result and alert against the
// requirements it cites. The table is in the spec, so the spec states the outcome once; this
// module and its test read that table and the vectors and report every disagreement:
//   - a test for which a row's condition holds has the row's outcome;
//   - an invalid test cites at least one requirement, and its alert is one the cited
//     requirement states: a row of that requirement for that file whose condition holds, or,
//     when the requirement has no row for the file, an alert its text names;
//   - each row agrees with its requirement's text: the alert it expects is named there, and
//     every number and listed value its condition compares with appears there.
import type { Requirement } from './requirements.js';
import { isAlertName } from '../protocol/alerts.js';

export const OUTCOMES_HEADING = 'Appendix D. Vector outcomes';

/** One row: in `file`, every test for which `condition` holds has `outcome`. */
export interface OutcomeRow {
  requirement: string;
  file: string;
  condition: string;
  /** `valid`, `invalid` (refused without an alert), `none` (no vector may exist) or an alert name */
  outcome: string;
  line: number;
}

export interface VectorTestLike {
  tcId: number;
  comment?: string;
  result: string;
  alert?: unknown;
  flags?: unknown;
  [field: string]: unknown;
}

export interface OutcomeProblem {
  file: string;
  tcId: number | null;
  detail: string;
}

// ---- the table ---------------------------------------------------------------------------------

/** The rows of Appendix D, in order; throws when the appendix or a row is malformed. */
export function loadOutcomeRows(specText: string): OutcomeRow[] {
  const lines = specText.split(/\r?\n/);
  const start = lines.findIndex((l) => l.replace(/^#+\s*/, '') === OUTCOMES_HEADING && l.startsWith('## '));
  if (start < 0) throw new Error(`docs/spec.md has no "## ${OUTCOMES_HEADING}"`);
  const rows: OutcomeRow[] = [];
  let header: string[] | null = null;
  for (let i = start + 1; i < lines.length && !/^#{1,2}\s/.test(lines[i]!); i++) {
    const line = lines[i]!;
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim().replace(/^`(.*)`$/, '$1'));
    if (header === null) {
      header = cells;
      if (header.join(',') !== 'requirement,file,condition,outcome') throw new Error(`Appendix D line ${i + 1}: columns must be requirement, file, condition, outcome`);
      continue;
    }
    if (cells.every((c) => /^-+$/.test(c))) continue;
    const [requirement, file, condition, outcome] = cells as [string, string, string, string];
    if (!/^(E2ED|IRP)-[A-Z]+-[0-9]+$/.test(requirement)) throw new Error(`Appendix D line ${i + 1}: "${requirement}" is not a requirement id`);
    if (!['valid', 'invalid', 'none'].includes(outcome) && !isAlertName(outcome)) throw new Error(`Appendix D line ${i + 1}: unknown outcome "${outcome}"`);
    parseCondition(condition); // throws on a malformed condition
    rows.push({ requirement, file, condition, outcome, line: i + 1 });
  }
  if (rows.length === 0) throw new Error('Appendix D has no rows');
  return rows;
}

// ---- conditions --------------------------------------------------------------------------------
// condition := `any` | clause (`and` clause)*
// clause    := term op number | `root` `=` Name | `@`name (`in` | `not in`) `{` v, v `}`
// term      := field | `len(`field`)` (UTF-8 octets of a string) | `bytes(`field`)` (octets of hex), optionally `+ N`
// number    := N | 2^N

type Clause =
  | { kind: 'compare'; fn: 'field' | 'len' | 'bytes'; field: string; plus: bigint; op: string; value: bigint; literal: string }
  | { kind: 'root'; name: string }
  | { kind: 'attribute'; name: string; negated: boolean; values: string[] };

const COMPARE = /^(?:(len|bytes)\((\w+)\)|(\w+))(?:\s*\+\s*(\d+))?\s*(<=|>=|<|>|=)\s*(\d+(?:\^\d+)?)$/;
const ROOT = /^root\s*=\s*(\w+)$/;
const ATTRIBUTE = /^@(\w+)\s+(not in|in)\s+\{([^}]*)\}$/;

function number(literal: string): bigint {
  const [base, exp] = literal.split('^');
  return exp === undefined ? BigInt(base!) : BigInt(base!) ** BigInt(exp);
}

export function parseCondition(condition: string): Clause[] | 'any' {
  if (condition === 'any') return 'any';
  return condition.split(/\s+and\s+/).map((text): Clause => {
    const c = COMPARE.exec(text);
    if (c) {
      return { kind: 'compare', fn: (c[1] as 'len' | 'bytes' | undefined) ?? 'field', field: c[2] ?? c[3]!, plus: BigInt(c[4] ?? '0'), op: c[5]!, value: number(c[6]!), literal: c[6]! };
    }
    const r = ROOT.exec(text);
    if (r) return { kind: 'root', name: r[1]! };
    const a = ATTRIBUTE.exec(text);
    if (a) return { kind: 'attribute', name: a[1]!, negated: a[2] === 'not in', values: a[3]!.split(',').map((v) => v.trim()) };
    throw new Error(`malformed condition clause "${text}"`);
  });
}

/** The root element and its attributes, read from `messageHex` without the reference decoder. */
function rootOf(t: VectorTestLike): { name: string; attributes: Map<string, string> } | null {
  const hex = t.messageHex;
  if (typeof hex !== 'string') return null;
  const text = Buffer.from(hex, 'hex').toString('utf8');
  const start = /<([A-Za-z_][\w.-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(text.replace(/<\?xml[^>]*\?>/, ''));
  if (!start) return null;
  const attributes = new Map<string, string>();
  for (const m of start[2]!.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes.set(m[1]!, m[2] ?? m[3] ?? '');
  return { name: start[1]!, attributes };
}

function termValue(t: VectorTestLike, clause: Extract<Clause, { kind: 'compare' }>): bigint | null {
  const v = t[clause.field];
  let n: bigint;
  if (clause.fn === 'len') {
    if (typeof v !== 'string') return null;
    n = BigInt(Buffer.byteLength(v, 'utf8'));
  } else if (clause.fn === 'bytes') {
    if (typeof v !== 'string') return null;
    n = BigInt(v.length / 2);
  } else {
    if (typeof v !== 'number' && typeof v !== 'string') return null;
    n = BigInt(v);
  }
  return n + clause.plus;
}

/** Whether `condition` holds for test `t` (a clause about a field the test lacks does not hold). */
export function conditionHolds(condition: string, t: VectorTestLike): boolean {
  const clauses = parseCondition(condition);
  if (clauses === 'any') return true;
  return clauses.every((c) => {
    if (c.kind === 'compare') {
      const v = termValue(t, c);
      if (v === null) return false;
      switch (c.op) {
        case '<': return v < c.value;
        case '<=': return v <= c.value;
        case '>': return v > c.value;
        case '>=': return v >= c.value;
        default: return v === c.value;
      }
    }
    const root = rootOf(t);
    if (root === null) return false;
    if (c.kind === 'root') return root.name === c.name;
    const value = root.attributes.get(c.name);
    if (value === undefined) return false;
    return c.values.includes(value) !== c.negated;
  });
}

// ---- the check ---------------------------------------------------------------------------------

function outcomeOf(t: VectorTestLike): string {
  if (t.result === 'valid') return 'valid';
  return typeof t.alert === 'string' ? t.alert : 'invalid';
}

function flagsOf(t: VectorTestLike): string[] {
  return Array.isArray(t.flags) ? t.flags.filter((f): f is string => typeof f === 'string') : [];
}

/** Problems of the table itself against the requirement texts. */
export function checkRows(rows: readonly OutcomeRow[], requirements: readonly Requirement[]): OutcomeProblem[] {
  const byId = new Map(requirements.map((r) => [r.id, r]));
  const problems: OutcomeProblem[] = [];
  for (const row of rows) {
    const where = { file: `docs/spec.md line ${row.line}`, tcId: null };
    const req = byId.get(row.requirement);
    if (!req) {
      problems.push({ ...where, detail: `${row.requirement} is not a requirement of the spec` });
      continue;
    }
    if (isAlertName(row.outcome) && !req.alerts.includes(row.outcome)) {
      problems.push({ ...where, detail: `${row.requirement} expects ${row.outcome}, which its text does not name (it names ${req.alerts.join(', ') || 'no alert'})` });
    }
    const clauses = parseCondition(row.condition);
    if (clauses === 'any') continue;
    for (const c of clauses) {
      const quoted = c.kind === 'compare' ? [c.literal] : c.kind === 'attribute' ? c.values : [];
      for (const q of quoted) {
        const inText = c.kind === 'compare' ? new RegExp(`(^|[^0-9^])${q.replace('^', '\\^')}(?![0-9])`).test(req.text) : req.text.includes(`\`${q}\``);
        if (!inText) problems.push({ ...where, detail: `${row.requirement}: the condition "${row.condition}" uses ${q}, which its text does not state` });
      }
    }
  }
  return problems;
}

/** Problems of one vector file's tests against the table and the requirement texts. */
export function checkVectorOutcomes(
  file: string,
  tests: readonly VectorTestLike[],
  rows: readonly OutcomeRow[],
  requirements: readonly Requirement[],
): OutcomeProblem[] {
  const byId = new Map(requirements.map((r) => [r.id, r]));
  const fileRows = rows.filter((r) => r.file === file);
  const problems: OutcomeProblem[] = [];
  for (const t of tests) {
    const miss = (detail: string) => problems.push({ file, tcId: t.tcId, detail: `${detail}${t.comment ? ` (${t.comment})` : ''}` });
    const outcome = outcomeOf(t);
    const flags = flagsOf(t);
    for (const id of flags) if (!byId.has(id)) miss(`cites ${id}, which the spec does not define`);
    // Rows whose condition is about the test's fields apply whatever it cites; `any` rows apply
    // to the tests that cite their requirement.
    const applicable = fileRows.filter((r) => (r.condition === 'any' ? flags.includes(r.requirement) : conditionHolds(r.condition, t)));
    for (const row of applicable) {
      if (row.outcome === 'none') miss(`no vector may satisfy "${row.condition}" (${row.requirement}, docs/spec.md line ${row.line})`);
      else if (row.outcome !== outcome) miss(`is ${outcome}, but ${row.requirement} says ${row.outcome} when ${row.condition} (docs/spec.md line ${row.line})`);
    }
    if (t.result !== 'invalid') continue;
    if (flags.length === 0) {
      miss('is invalid but cites no requirement in flags');
      continue;
    }
    if (typeof t.alert !== 'string') continue; // refused without an alert (ExpandLabel): rows above judge it
    const backed = flags.some((id) => {
      const own = fileRows.filter((r) => r.requirement === id);
      if (own.length > 0) return applicable.some((r) => r.requirement === id && r.outcome === t.alert);
      return byId.get(id)?.alerts.includes(t.alert as never) ?? false;
    });
    if (!backed) miss(`expects ${t.alert}, which none of ${flags.join(', ')} states for it`);
  }
  return problems;
}
