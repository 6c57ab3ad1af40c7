// The committed vectors agree with the code; generation is deterministic; and changing a
// single hex digit anywhere makes the check fail and name that vector.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAll, checkVectorFile, generateAll, VECTOR_KINDS, DEFAULT_VECTOR_SEED } from '../../src/vectors/all.js';
import '../../src/vectors/register-all.js';

const vectorDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors');

t.test('the committed vector files agree with the code', async (t) => {
  const report = await checkAll(vectorDir);
  t.same(report.mismatches, [], 'no vector differs');
  t.ok(report.checked > 100, `checked ${report.checked} vectors`);
  t.equal(report.files.length, VECTOR_KINDS.length);
});

t.test('generation is deterministic and matches the committed files', async (t) => {
  const first = generateAll(DEFAULT_VECTOR_SEED);
  const second = generateAll(DEFAULT_VECTOR_SEED);
  for (const [rel, text] of first) {
    t.equal(second.get(rel), text, `${rel} is identical on a second generation`);
    t.equal(readFileSync(path.join(vectorDir, rel), 'utf8'), text, `${rel} on disk is what the seed generates`);
  }
  const other = generateAll('another seed');
  t.not(other.get('record.json'), first.get('record.json'), 'a different seed gives different vectors');
});

/** Flips one hex digit at `at` (mod length) of the string; a different digit, still lower-case hex. */
function flipDigit(hex: string, at: number): string {
  const i = at % hex.length;
  const c = hex[i]!;
  const replacement = c === '0' ? '1' : '0';
  return hex.slice(0, i) + replacement + hex.slice(i + 1);
}

t.test('changing one hex digit in any test makes the check fail and name that test', async (t) => {
  for (const kind of VECTOR_KINDS) {
    const original = JSON.parse(readFileSync(path.join(vectorDir, kind.file), 'utf8'));
    let mutated = 0;
    for (const [g, group] of original.testGroups.entries()) {
      for (const [i, test] of group.tests.entries()) {
        const hexFields = Object.keys(test).filter((k) => typeof test[k] === 'string' && /^([0-9a-f]{2})+$/.test(test[k]));
        if (hexFields.length === 0) continue;
        // Cycle through the fields and positions so every field of the file is exercised.
        const fieldName = hexFields[(g + i) % hexFields.length]!;
        const copy = JSON.parse(JSON.stringify(original));
        copy.testGroups[g].tests[i][fieldName] = flipDigit(test[fieldName], 7 * i + 3);
        const { mismatches } = checkVectorFile(kind, copy);
        const named = mismatches.some((m) => m.tcId === test.tcId);
        if (!named) t.fail(`${kind.file} tcId ${test.tcId}: a changed digit in ${fieldName} went unnoticed`);
        mutated++;
      }
    }
    t.ok(mutated > 0, `${kind.file}: ${mutated} single-digit changes, each detected and named`);
  }
});
