// docs/spec.md Appendix C (the requirement index) is exactly what the spec and suites/*.json
// render to: every requirement, its section, its first sentence and the cases citing it.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRequirements } from '../../src/spec/requirements.js';
import { compactIds, currentRequirementIndex, renderRequirementIndex, summary } from '../../src/spec/requirement-index.js';
import { expectedRequirementIndex, regenerateRequirementIndex, staleRequirementIndex } from '../../src/run/requirement-index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const spec = readFileSync(path.join(root, 'docs', 'spec.md'), 'utf8');

t.test('Appendix C is current (run `sixbench vectors generate` after changing the spec or suites/)', async (t) => {
  t.equal(staleRequirementIndex(spec), null);
  t.equal(regenerateRequirementIndex(spec), spec, 'regenerating changes nothing');
});

t.test('Appendix C lists every requirement once, with its section', async (t) => {
  const index = currentRequirementIndex(spec)!;
  const rows = index.split('\n').filter((l) => /^\| (E2ED|IRP)-/.test(l));
  const requirements = loadRequirements(spec);
  t.same(rows.map((r) => r.split(' | ')[0]!.slice(2)), requirements.map((r) => r.id));
  const rec11 = rows.find((r) => r.startsWith('| E2ED-REC-11 |'))!;
  t.match(rec11, /\| 8\.2 Key update \| The `request` attribute MUST be `true` or `false`; another value is `illegal_parameter`, a missing one `decode_error`\. \|/);
});

t.test('a case added to suites/ or a requirement added to the spec makes Appendix C stale', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sixbench-index-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync(path.join(root, 'suites'))) copyFileSync(path.join(root, 'suites', f), path.join(dir, f));
  t.equal(staleRequirementIndex(spec, dir), null, 'a copy of the suites gives the same index');
  const interop = JSON.parse(readFileSync(path.join(dir, 'interop.json'), 'utf8'));
  interop.checkCases[0].requirements.push('E2ED-FRAME-5');
  writeFileSync(path.join(dir, 'interop.json'), JSON.stringify(interop));
  t.match(staleRequirementIndex(spec, dir), /stale/);
  t.match(expectedRequirementIndex(spec, dir), new RegExp(`\\| E2ED-FRAME-5 \\|[^\\n]*\`${interop.checkCases[0].id.replace(/\./g, '\\.')}\``));
  const added = spec.replace('- **E2ED-FRAME-10** SHOULD:', '- **E2ED-FRAME-11** MAY: A receiver MAY count frames.\n- **E2ED-FRAME-10** SHOULD:');
  t.match(staleRequirementIndex(added), /stale/);
});

t.test('summary and compactIds', async (t) => {
  t.equal(summary('One sentence. Two.'), 'One sentence.');
  t.equal(summary('1 MiB = 1048576 bytes.'), '1 MiB = 1048576 bytes.');
  t.ok(summary(`word `.repeat(50)).endsWith(' …'));
  t.equal((summary(`a ${'b '.repeat(70)}\`c d e f\` g.`).match(/`/g) ?? []).length % 2, 0, 'a cut inside code is closed');
  t.equal(compactIds(['interop.a.i2r', 'interop.a.r2i', 'cert.expired']), '`interop.a.{i2r, r2i}`, `cert.expired`');
  t.equal(renderRequirementIndex([], []).split('\n')[0], '0 requirements; 0 are cited by at least one of the 0 conformance cases of `suites/*.json` (case ids as `sixbench run --case` takes them).');
});
