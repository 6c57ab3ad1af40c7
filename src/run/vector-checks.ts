// The vectors suite: one vector file under vectors/ checked against the code (src/vectors/all.ts):
// its schema, its regeneration from the seed it records, and every test recomputed from its inputs.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkVectorFile, VECTOR_KINDS } from '../vectors/all.js';
import { REPO_ROOT } from './catalogue.js';
import type { CheckResult } from './irp-checks.js';

export const VECTORS_DIR = path.join(REPO_ROOT, 'vectors');

/** How many mismatches a failure quotes (the count is always complete). */
const QUOTED_MISMATCHES = 20;

export async function runVectorCheck(file: string, dir: string = VECTORS_DIR): Promise<CheckResult> {
  const kind = VECTOR_KINDS.find((k) => k.file === file);
  if (!kind) return { observed: {}, mismatches: [`no vector kind generates ${file}`] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { observed: {}, mismatches: [`${path.join(dir, file)}: ${code === 'ENOENT' ? 'file is missing' : `not valid JSON: ${(err as Error).message}`}`] };
  }
  const { checked, mismatches } = checkVectorFile(kind, parsed);
  const quoted = mismatches.slice(0, QUOTED_MISMATCHES).map((m) => `${m.file}${m.tcId !== null ? ` tcId ${m.tcId}` : ''}: ${m.detail}`);
  if (mismatches.length > QUOTED_MISMATCHES) quoted.push(`... and ${mismatches.length - QUOTED_MISMATCHES} more`);
  return { observed: { checked, mismatches: mismatches.length }, mismatches: quoted };
}
