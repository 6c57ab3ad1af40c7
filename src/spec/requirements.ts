// Reads the requirement bullets of docs/spec.md (section 1.2 "Requirement language"):
// each requirement is a bullet or paragraph that starts with its id in bold and its level,
// `- **E2ED-FRAME-1** MUST: ...`, possibly continued on indented lines. The conformance
// runner uses this list to check that every MUST is covered by a case.
import { isAlertName, type AlertName } from '../protocol/alerts.js';

export type RequirementLevel = 'MUST' | 'SHOULD' | 'MAY';

export interface Requirement {
  /** e.g. `E2ED-FRAME-1` */
  id: string;
  level: RequirementLevel;
  /** e.g. `E2ED-FRAME`: the id without its number */
  area: string;
  /** the number within the area, from 1 */
  number: number;
  /** the requirement text after `LEVEL:`, continuation lines joined by single spaces */
  text: string;
  /** the nearest heading above the requirement, without the `#` marks */
  section: string;
  /** 1-based line number of the requirement's first line in the spec */
  line: number;
  /** alert names quoted in backticks in the text, in order of first appearance */
  alerts: AlertName[];
}

export const REQUIREMENT_LEVELS: readonly RequirementLevel[] = ['MUST', 'SHOULD', 'MAY'];

/** "Identifiers have the form `E2ED-<AREA>-<N>` or `IRP-<AREA>-<N>`; N counts from 1." */
export const REQUIREMENT_ID_PATTERN = /^(E2ED|IRP)-([A-Z]+)-([1-9][0-9]*)$/;

/** One problem found while reading the spec, with the line it is on. */
export interface SpecFormatProblem {
  line: number;
  message: string;
}

export class SpecFormatError extends Error {
  readonly problems: readonly SpecFormatProblem[];

  constructor(problems: SpecFormatProblem[]) {
    super(`docs/spec.md: ${problems.length} malformed requirement(s):\n` +
      problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n'));
    this.name = 'SpecFormatError';
    this.problems = problems;
  }
}

const HEADING = /^(#{1,6})\s+(.+?)\s*$/;
// A bold, hyphenated token at the start of a bullet or paragraph is a requirement id
// candidate; the strict id pattern is applied afterwards so that a typo is reported,
// not silently skipped.
const CANDIDATE = /^(?:[-*]\s+)?\*\*([A-Za-z0-9]+-[A-Za-z0-9-]*)\*\*(.*)$/;
const LEVEL_PREFIX = /^\s+(MUST|SHOULD|MAY)\s*:\s*(.*)$/;
const FENCE = /^\s*(```|~~~)/;
const BACKTICKED = /`([a-z_]+)`/g;

/**
 * Returns every requirement of the spec in document order. Throws SpecFormatError listing
 * all malformed candidates (bad id, missing level, duplicate id) at once.
 */
export function loadRequirements(specText: string): Requirement[] {
  const lines = specText.split(/\r?\n/);
  const requirements: Requirement[] = [];
  const problems: SpecFormatProblem[] = [];
  const seen = new Map<string, number>();
  let section = '';
  let inFence = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const heading = HEADING.exec(line);
    if (heading) {
      section = heading[2];
      continue;
    }
    const candidate = CANDIDATE.exec(line);
    if (!candidate) continue;

    const lineNumber = i + 1;
    const id = candidate[1];
    const idMatch = REQUIREMENT_ID_PATTERN.exec(id);
    if (!idMatch) {
      problems.push({ line: lineNumber, message: `malformed requirement id "${id}"` });
      continue;
    }
    const level = LEVEL_PREFIX.exec(candidate[2]);
    if (!level) {
      problems.push({ line: lineNumber, message: `${id} does not state a level (MUST, SHOULD or MAY) followed by ":"` });
      continue;
    }
    const previous = seen.get(id);
    if (previous !== undefined) {
      problems.push({ line: lineNumber, message: `${id} duplicates the id on line ${previous}` });
      continue;
    }
    seen.set(id, lineNumber);

    const bullet = /^[-*]\s/.test(line);
    const parts = [level[2].trim()];
    // Continuation: indented lines for a bullet, any non-blank lines for a paragraph;
    // both end at a blank line, a heading or the next bullet.
    while (i + 1 < lines.length) {
      const next = lines[i + 1];
      if (next.trim() === '' || HEADING.test(next) || FENCE.test(next)) break;
      if (/^\s*[-*]\s/.test(next) && !/^\s{2,}/.test(next)) break;
      if (bullet && !/^\s/.test(next)) break;
      if (!bullet && CANDIDATE.test(next)) break;
      parts.push(next.trim());
      i++;
    }
    const text = parts.filter((p) => p !== '').join(' ');

    requirements.push({
      id,
      level: level[1] as RequirementLevel,
      area: `${idMatch[1]}-${idMatch[2]}`,
      number: Number(idMatch[3]),
      text,
      section,
      line: lineNumber,
      alerts: alertsIn(text),
    });
  }

  if (problems.length > 0) throw new SpecFormatError(problems);
  return requirements;
}

function alertsIn(text: string): AlertName[] {
  const found: AlertName[] = [];
  for (const m of text.matchAll(BACKTICKED)) {
    const name = m[1];
    if (isAlertName(name) && !found.includes(name)) found.push(name);
  }
  return found;
}
