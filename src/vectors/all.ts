// Generation and checking of every vector file under vectors/.
//   generate: deterministic from a seed; running it twice writes identical bytes.
//   check:    for each file, (1) validate it against its schema, (2) regenerate it from the seed it
//             records and compare test by test, (3) recompute each test from its own inputs. A vector
//             that fails any of these is named (file and tcId).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../protocol/random.js';
import type { VectorFile, VectorMismatch, VectorTest } from './format.js';
import { vectorJson } from './format.js';
import type { VectorKind } from './kind.js';
import { SCHEMAS, validateSchema } from './schema.js';
import { expandLabelVectors } from './expand-label.js';
import { recordVectors } from './record.js';
import { framingVectors } from './framing.js';
import { keyScheduleVectors } from './key-schedule.js';
import { xmlVectors } from './xml.js';
import { handshakeVectors } from './handshake.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const DEFAULT_VECTOR_SEED = 'sixbench-vectors-1';

export const VECTOR_KINDS: VectorKind[] = [expandLabelVectors, keyScheduleVectors, recordVectors, framingVectors, xmlVectors, handshakeVectors];

export function registerVectorKind(kind: VectorKind): void {
  if (!VECTOR_KINDS.some((k) => k.file === kind.file)) VECTOR_KINDS.push(kind);
}

function schemaName(file: string): string {
  return file.replace(/\.json$/, '');
}

export function generateVectorFile(kind: VectorKind, seed: string): VectorFile {
  return kind.generate(seed, seededRandom(`${seed}/${kind.file}`));
}

/** Every file's bytes, keyed by its path relative to vectors/. */
export function generateAll(seed: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of VECTOR_KINDS) {
    out.set(kind.file, vectorJson(generateVectorFile(kind, seed)));
    const schema = SCHEMAS[schemaName(kind.file)];
    if (schema) out.set(`schemas/${schemaName(kind.file)}.schema.json`, vectorJson(schema));
  }
  return out;
}

export async function writeAll(dir: string, seed: string): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, text] of generateAll(seed)) {
    await writeFileAtomic(path.join(dir, rel), text);
    written.push(rel);
  }
  return written;
}

function allTests(file: VectorFile): { test: VectorTest; group: Record<string, unknown> }[] {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ test, group: group as Record<string, unknown> })));
}

export function checkVectorFile(kind: VectorKind, file: unknown): { checked: number; mismatches: VectorMismatch[] } {
  const mismatches: VectorMismatch[] = [];
  const miss = (tcId: number | null, comment: string, detail: string) => mismatches.push({ file: kind.file, tcId, comment, detail });
  const schema = SCHEMAS[schemaName(kind.file)];
  const schemaErrors = schema ? validateSchema(schema, file) : [];
  if (schemaErrors.length > 0) {
    for (const e of schemaErrors.slice(0, 20)) miss(null, '', `schema: ${e}`);
    return { checked: 0, mismatches };
  }
  const vf = file as VectorFile;
  const tests = allTests(vf);
  if (vf.numberOfTests !== tests.length) miss(null, '', `numberOfTests is ${vf.numberOfTests}, the file has ${tests.length} tests`);

  const regenerated = generateVectorFile(kind, vf.generator.seed);
  const expectedById = new Map(allTests(regenerated).map(({ test, group }) => [test.tcId, { test, group }]));
  const seen = new Set<number>();
  for (const { test, group } of tests) {
    if (seen.has(test.tcId)) miss(test.tcId, test.comment, 'duplicate tcId');
    seen.add(test.tcId);
    const expected = expectedById.get(test.tcId);
    if (!expected) {
      miss(test.tcId, test.comment, 'the code generates no test with this tcId');
      continue;
    }
    const differing = Object.keys({ ...expected.test, ...test }).filter(
      (k) => JSON.stringify(expected.test[k]) !== JSON.stringify(test[k]),
    );
    if (differing.length > 0) miss(test.tcId, test.comment, `differs from the code in: ${differing.join(', ')}`);
    const groupDiff = Object.keys({ ...expected.group, ...group }).filter(
      (k) => k !== 'tests' && JSON.stringify(expected.group[k]) !== JSON.stringify(group[k]),
    );
    if (groupDiff.length > 0) miss(test.tcId, test.comment, `its group differs from the code in: ${groupDiff.join(', ')}`);
    let verdict: string | null;
    try {
      verdict = kind.verify(test, group);
    } catch (err) {
      verdict = `cannot be recomputed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (verdict) miss(test.tcId, test.comment, verdict);
  }
  for (const id of expectedById.keys()) if (!seen.has(id)) miss(id, expectedById.get(id)!.test.comment, 'missing from the file');
  if (JSON.stringify(vf.notes) !== JSON.stringify(regenerated.notes)) miss(null, '', 'notes differ from the code');
  return { checked: tests.length, mismatches };
}

export interface CheckReport {
  files: { file: string; checked: number; mismatches: number }[];
  checked: number;
  mismatches: VectorMismatch[];
}

export async function checkAll(dir: string): Promise<CheckReport> {
  const report: CheckReport = { files: [], checked: 0, mismatches: [] };
  for (const kind of VECTOR_KINDS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path.join(dir, kind.file), 'utf8'));
    } catch (err) {
      const detail = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file is missing' : `not valid JSON: ${(err as Error).message}`;
      report.mismatches.push({ file: kind.file, tcId: null, comment: '', detail });
      report.files.push({ file: kind.file, checked: 0, mismatches: 1 });
      continue;
    }
    const { checked, mismatches } = checkVectorFile(kind, parsed);
    report.files.push({ file: kind.file, checked, mismatches: mismatches.length });
    report.checked += checked;
    report.mismatches.push(...mismatches);
  }
  return report;
}

/** docs/spec.md's Appendix A against vectors/handshake.json: null when they agree. */
export async function checkSpecAppendix(specPath: string, vectorDir: string): Promise<string | null> {
  const { currentWalkthrough, renderWalkthrough } = await import('./appendix.js');
  const spec = await readFile(specPath, 'utf8');
  const current = currentWalkthrough(spec);
  if (current === null) return `${specPath} lacks the handshake-walkthrough markers`;
  const file = JSON.parse(await readFile(path.join(vectorDir, 'handshake.json'), 'utf8')) as VectorFile;
  return current === renderWalkthrough(file).trim() ? null : `${specPath} Appendix A differs from ${path.join(vectorDir, 'handshake.json')}`;
}

/** Rewrites docs/spec.md's Appendix A from the handshake vectors in `vectorDir`. */
export async function writeSpecAppendix(specPath: string, vectorDir: string): Promise<boolean> {
  const { renderWalkthrough, withWalkthrough } = await import('./appendix.js');
  const spec = await readFile(specPath, 'utf8');
  const file = JSON.parse(await readFile(path.join(vectorDir, 'handshake.json'), 'utf8')) as VectorFile;
  const updated = withWalkthrough(spec, renderWalkthrough(file));
  if (updated === spec) return false;
  await writeFileAtomic(specPath, updated);
  return true;
}

/** Every vector's result and alert against the requirements it cites (docs/spec.md Appendix D). */
export async function checkSpecOutcomes(specPath: string, vectorDir: string): Promise<VectorMismatch[]> {
  const { loadRequirements } = await import('../spec/requirements.js');
  const { checkRows, checkVectorOutcomes, loadOutcomeRows } = await import('../spec/vector-outcomes.js');
  const spec = await readFile(specPath, 'utf8');
  const requirements = loadRequirements(spec);
  const rows = loadOutcomeRows(spec);
  const problems = checkRows(rows, requirements);
  for (const kind of VECTOR_KINDS) {
    let file: VectorFile;
    try {
      file = JSON.parse(await readFile(path.join(vectorDir, kind.file), 'utf8')) as VectorFile;
    } catch {
      continue; // checkAll names a missing or broken file
    }
    problems.push(...checkVectorOutcomes(kind.file, file.testGroups.flatMap((g) => g.tests), rows, requirements));
  }
  return problems.map((p) => ({ file: p.file, tcId: p.tcId, comment: '', detail: `Appendix D: ${p.detail}` }));
}
