// docs/spec.md Appendix D against vectors/*.json: every vector's result and alert agree with the
// requirements it cites (src/spec/vector-outcomes.ts). The second half feeds the check the
// contradictions of issue 12 section 1 as they were, and each must be reported.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRequirements } from '../../src/spec/requirements.js';
import { checkRows, checkVectorOutcomes, loadOutcomeRows, type VectorTestLike } from '../../src/spec/vector-outcomes.js';
import { VECTOR_KINDS } from '../../src/vectors/all.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const spec = readFileSync(path.join(root, 'docs', 'spec.md'), 'utf8');
const requirements = loadRequirements(spec);
const rows = loadOutcomeRows(spec);

function testsOf(file: string): VectorTestLike[] {
  const parsed = JSON.parse(readFileSync(path.join(root, 'vectors', file), 'utf8')) as { testGroups: { tests: VectorTestLike[] }[] };
  return parsed.testGroups.flatMap((g) => g.tests);
}
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const details = (problems: { tcId: number | null; detail: string }[]) => problems.map((p) => `tc ${p.tcId}: ${p.detail}`);

t.test('Appendix D agrees with the requirement texts it cites', async (t) => {
  t.same(details(checkRows(rows, requirements)), []);
  for (const file of new Set(rows.map((r) => r.file))) t.ok(VECTOR_KINDS.some((k) => k.file === file), `${file} is a vector file`);
});

for (const kind of VECTOR_KINDS) {
  t.test(`vectors/${kind.file}: every result and alert agrees with the requirements it cites`, async (t) => {
    t.same(details(checkVectorOutcomes(kind.file, testsOf(kind.file), rows, requirements)), []);
  });
}

t.test('the check reports the contradictions of issue 12 section 1', async (t) => {
  t.test('a KeyUpdate request outside true/false answered decode_error (E2ED-REC-11)', async (t) => {
    const tests = copy(testsOf('xml.json'));
    const tc = tests.find((x) => String(x.comment).startsWith('KeyUpdate request neither'))!;
    tc.alert = 'decode_error';
    t.match(details(checkVectorOutcomes('xml.json', tests, rows, requirements)), [/E2ED-REC-11 says illegal_parameter/]);
    tc.flags = [];
    t.match(details(checkVectorOutcomes('xml.json', tests, rows, requirements)).join('\n'), /cites no requirement/, 'and an invalid vector citing nothing');
  });

  t.test('the spec text limiting Length to 255 (E2ED-KS-1) against the 8160-byte vector', async (t) => {
    const appendixD = spec.indexOf('## Appendix D.');
    const old = spec.slice(0, appendixD)
      .replace('`Length` is at most 8160 (255 × 32, the HKDF-Expand limit with\n  SHA-256; every length this specification derives is 32 or 12), and', '`Length` is at most 255 and')
      + spec.slice(appendixD).replace(/length (>|<=) 8160/g, 'length $1 255');
    t.not(old, spec, 'the old text was put back');
    const oldRequirements = loadRequirements(old);
    t.same(details(checkRows(loadOutcomeRows(old), oldRequirements)).filter((d) => d.includes('8160')), [], 'the old table row agrees with the old text');
    t.match(details(checkVectorOutcomes('expand-label.json', testsOf('expand-label.json'), loadOutcomeRows(old), oldRequirements)).join('\n'), /is valid, but E2ED-KS-1 says invalid when length > 255 .*maximum output/);
    t.match(details(checkRows(rows, oldRequirements)).join('\n'), /uses 8160, which its text does not state/, 'the new row against the old text');
  });

  t.test('records sealed above 2^48 presented as valid (E2ED-REC-7)', async (t) => {
    const tests = copy(testsOf('record.json'));
    const tc = tests.find((x) => x.result === 'valid' && x.seq === 2 ** 48 - 1)!;
    tc.seq = 4503599627370499;
    t.match(details(checkVectorOutcomes('record.json', tests, rows, requirements)), [/no vector may satisfy "seq >= 2\^48"/]);
  });

  t.test('an alert the cited requirement does not name', async (t) => {
    const tests = copy(testsOf('framing.json'));
    const tc = tests.find((x) => x.result === 'invalid' && (x.flags as string[])[0] === 'E2ED-FRAME-2')!;
    tc.alert = 'illegal_parameter';
    t.match(details(checkVectorOutcomes('framing.json', tests, rows, requirements)), [/expects illegal_parameter, which none of E2ED-FRAME-2 states/]);
  });
});
