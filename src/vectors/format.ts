// The vector-file layout, after Wycheproof: { algorithm, numberOfTests, notes, testGroups:
// [ { ..., tests: [ { tcId, comment, ..., result } ] } ] }. Byte strings are lower-case hex.
// Two fields are ours: `schema` names the JSON Schema in vectors/schemas/, and `generator`
// records the seed the file was generated from, so `vectors check` can regenerate it.

export type VectorResult = 'valid' | 'invalid';

export interface VectorTest {
  tcId: number;
  comment: string;
  result: VectorResult;
  [field: string]: unknown;
}

export interface VectorGroup {
  type: string;
  tests: VectorTest[];
  [field: string]: unknown;
}

export interface VectorFile {
  algorithm: string;
  schema: string;
  generator: { tool: 'sixbench'; seed: string };
  numberOfTests: number;
  notes: Record<string, string>;
  testGroups: VectorGroup[];
}

/** A vector that does not agree with the code, named so a person can find it. */
export interface VectorMismatch {
  file: string;
  tcId: number | null;
  comment: string;
  detail: string;
}

export function makeVectorFile(
  algorithm: string,
  schema: string,
  seed: string,
  notes: Record<string, string>,
  testGroups: VectorGroup[],
): VectorFile {
  let tcId = 0;
  for (const group of testGroups) for (const test of group.tests) test.tcId = ++tcId;
  return {
    algorithm,
    schema,
    generator: { tool: 'sixbench', seed },
    numberOfTests: tcId,
    notes,
    testGroups,
  };
}

/** Deterministic JSON text: two-space indent, insertion order, trailing newline. */
export function vectorJson(file: unknown): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
