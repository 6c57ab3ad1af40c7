// docs/spec.md Appendix C, the requirement index: every requirement id with its level, its
// section, its first sentence and the conformance cases (suites/*.json) that cite it. Generated
// between two markers by `sixbench vectors generate` and checked by `sixbench vectors check` and
// test/spec/requirement-index.test.ts, so a reader of the spec alone can use it and it cannot go
// stale.
import type { Requirement } from './requirements.js';

export const INDEX_BEGIN = '<!-- BEGIN GENERATED: requirement-index -->';
export const INDEX_END = '<!-- END GENERATED: requirement-index -->';

/** A conformance case as the index needs it: its stable id and the requirements it cites. */
export interface CitingCase {
  id: string;
  requirements: readonly string[];
}

const MAX_SUMMARY = 160;

/** The first sentence of a requirement's text, shortened at a word to at most 160 characters. */
export function summary(text: string): string {
  const end = text.search(/[.](\s|$)/);
  let s = end < 0 ? text : text.slice(0, end + 1);
  if (s.length > MAX_SUMMARY) {
    s = s.slice(0, s.lastIndexOf(' ', MAX_SUMMARY - 1));
    if ((s.match(/`/g) ?? []).length % 2 === 1) s += '`'; // a cut inside code closes it
    s += ' …';
  }
  return s;
}

/** Case ids sharing everything up to their last dot are written once: `interop.x25519.{i2r, r2i}`. */
export function compactIds(ids: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const dot = id.lastIndexOf('.');
    const parent = dot < 0 ? '' : id.slice(0, dot);
    groups.set(parent, [...(groups.get(parent) ?? []), dot < 0 ? id : id.slice(dot + 1)]);
  }
  return [...groups]
    .map(([parent, leaves]) => (parent === '' ? leaves.map((l) => `\`${l}\``).join(', ') : leaves.length === 1 ? `\`${parent}.${leaves[0]}\`` : `\`${parent}.{${leaves.join(', ')}}\``))
    .join(', ');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderRequirementIndex(requirements: readonly Requirement[], cases: readonly CitingCase[]): string {
  const citing = new Map<string, string[]>();
  for (const c of cases) for (const id of new Set(c.requirements)) citing.set(id, [...(citing.get(id) ?? []), c.id]);
  const cited = requirements.filter((r) => citing.has(r.id)).length;
  const lines = [
    `${requirements.length} requirements; ${cited} are cited by at least one of the ${cases.length} conformance cases of \`suites/*.json\` (case ids as \`sixbench run --case\` takes them).`,
    '',
    '| id | level | section | requirement (first sentence) | cited by |',
    '|---|---|---|---|---|',
  ];
  for (const r of requirements) {
    const ids = [...(citing.get(r.id) ?? [])].sort();
    lines.push(`| ${r.id} | ${r.level} | ${cell(r.section)} | ${cell(summary(r.text))} | ${ids.length === 0 ? '—' : cell(compactIds(ids))} |`);
  }
  return lines.join('\n');
}

/** The spec text with the generated block replaced; throws when the markers are missing. */
export function withRequirementIndex(specText: string, rendered: string): string {
  const begin = specText.indexOf(INDEX_BEGIN);
  const end = specText.indexOf(INDEX_END);
  if (begin < 0 || end < begin) throw new Error('docs/spec.md lacks the requirement-index markers');
  return `${specText.slice(0, begin + INDEX_BEGIN.length)}\n${rendered}\n${specText.slice(end)}`;
}

/** The generated block currently in the spec, or null. */
export function currentRequirementIndex(specText: string): string | null {
  const begin = specText.indexOf(INDEX_BEGIN);
  const end = specText.indexOf(INDEX_END);
  if (begin < 0 || end < begin) return null;
  return specText.slice(begin + INDEX_BEGIN.length, end).trim();
}
