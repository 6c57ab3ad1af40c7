// MUST coverage (docs/run.md "Coverage"): for each MUST of docs/spec.md, the cases that cite it,
// and whether one of them can fail on it: a case that ran (not skipped) and is not part of the
// positive interop matrix (method x cipher x direction), which only shows that a conforming pair
// talks. Every MUST no such case verifies must be explained in docs/spec.md Appendix E; one that
// is not is "unexplained".
import type { Requirement } from '../spec/requirements.js';

/** The positive interop matrix: conforming pairs talking, which verifies no rule on its own. */
export const POSITIVE_MATRIX = /^interop\.(x25519|p256|rsa-oaep)\./;
/** A family's self-test runs against a deliberately broken reference: it verifies the bench, not the implementation. */
export const SELF_TEST = /\.selftest$/;

export interface CoverageArea {
  /** The id prefix: E2ED-FRAME, E2ED-XML, IRP-LOGIN, ... */
  area: string;
  musts: number;
  cited: number;
  verified: number;
}

export interface MustCoverage {
  musts: number;
  cited: number;
  verified: number;
  areas: CoverageArea[];
  /** MUSTs verified by no case, with the reason Appendix E gives (undefined: unexplained). */
  uncovered: { id: string; reason: string | undefined }[];
}

/** Appendix E of docs/spec.md: requirement id -> why no case verifies it. */
export function readUncoveredReasons(specText: string): Map<string, string> {
  const out = new Map<string, string>();
  const start = specText.indexOf('## Appendix E.');
  if (start < 0) return out;
  for (const line of specText.slice(start).split('\n')) {
    const m = /^\|\s*([A-Z0-9]+-[A-Z0-9]+-\d+)\s*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export function areaOf(id: string): string {
  return id.replace(/-\d+$/, '');
}

export function mustCoverage(
  requirements: readonly Requirement[],
  cases: readonly { id: string; requirements: readonly string[]; verdict?: string }[],
  reasons: ReadonlyMap<string, string>,
): MustCoverage {
  const musts = requirements.filter((r) => r.level === 'MUST');
  const ran = cases.filter((c) => c.verdict !== 'skip');
  const cited = new Set(musts.filter((r) => cases.some((c) => c.requirements.includes(r.id))).map((r) => r.id));
  const verified = new Set(musts.filter((r) => ran.some((c) => !POSITIVE_MATRIX.test(c.id) && !SELF_TEST.test(c.id) && c.requirements.includes(r.id))).map((r) => r.id));
  const areas = new Map<string, CoverageArea>();
  for (const r of musts) {
    const a = areas.get(areaOf(r.id)) ?? { area: areaOf(r.id), musts: 0, cited: 0, verified: 0 };
    a.musts += 1;
    if (cited.has(r.id)) a.cited += 1;
    if (verified.has(r.id)) a.verified += 1;
    areas.set(a.area, a);
  }
  return {
    musts: musts.length,
    cited: cited.size,
    verified: verified.size,
    areas: [...areas.values()],
    uncovered: musts.filter((r) => !verified.has(r.id)).map((r) => ({ id: r.id, reason: reasons.get(r.id) })),
  };
}

export function formatCoverage(c: MustCoverage): string {
  const lines = [`MUST coverage: ${c.cited} / ${c.musts} cited by a case; ${c.verified} / ${c.musts} verified by a case that can fail on them`, ''];
  const width = Math.max(...c.areas.map((a) => a.area.length));
  lines.push(`${'area'.padEnd(width)}  musts  cited  verified`);
  for (const a of c.areas) lines.push(`${a.area.padEnd(width)}  ${String(a.musts).padStart(5)}  ${String(a.cited).padStart(5)}  ${String(a.verified).padStart(8)}`);
  lines.push('', `not verified (${c.uncovered.length}):`);
  for (const u of c.uncovered) lines.push(`  ${u.id}: ${u.reason ?? 'UNEXPLAINED (add it to docs/spec.md Appendix E, or a case)'}`);
  return `${lines.join('\n')}\n`;
}
