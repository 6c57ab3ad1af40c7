// The run report as the formatters read it: the JSON form of docs/run-report.schema.json, typed
// structurally so that src/report needs nothing from the runner (layering: report sits under run).
export interface ReportEvidence {
  requirements: { id: string; text: string }[];
  expected: string;
  mismatches: string[];
  observed?: unknown;
  events?: { initiator: string[]; responder: string[] };
}

export interface ReportCaptureLinks {
  /** leg: initiator, responder, adversary or irp (docs/run.md "Captures"). */
  pcaps: { leg: string; path: string; connections: number }[];
  keylog?: string;
  tlsKeylog?: string;
  inspect?: string;
  /** Why the case has no capture (it opened no connection, or its files could not be written). */
  none?: string;
}

export interface ReportCase {
  id: string;
  suite: string;
  title: string;
  requirements: string[];
  form?: string;
  /** pass, fail, skip (and whatever verdicts later versions add: shown as they are). */
  verdict: string;
  reason?: string;
  observed?: unknown;
  evidence?: ReportEvidence;
  seeds?: Record<string, string>;
  captures?: ReportCaptureLinks;
}

export interface Provenance {
  bench: { name: string; version: string; commit: string | null };
  node: string;
  openssl: string;
  spec: { title: string; version: string };
}

export interface IutInfo {
  name: string;
  version?: string;
  capabilities?: unknown;
}

export interface ReportData {
  format: string;
  tool: { name: string; version: string };
  seed: string;
  started: string;
  summary: {
    total: number;
    passed: number;
    failed: number;
    skipped: number;
    suites: Partial<Record<string, Record<string, number>>>;
    knobs: { detected: number; total: number; tolerated: number; tolerateTotal: number };
  };
  cases: ReportCase[];
  coverage: { musts: number; covered: number; byRequirement: Record<string, string[]>; uncovered: string[] };
  timings: { totalMs: number; setupMs: number; cases: Record<string, number> };
  provenance?: Provenance;
  iut?: IutInfo;
  shard?: { index: number; count: number };
  captures?: { mode: string };
}

/** Seconds with millisecond precision, for JUnit's time attributes. */
export function seconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

/** The first line a failure is summed up by: its requirement ids and its first mismatch. */
export function failureHeadline(c: ReportCase): string {
  const ids = c.requirements.join(', ');
  const first = c.evidence?.mismatches[0] ?? c.reason ?? 'failed';
  return `${ids}: ${first}`;
}
