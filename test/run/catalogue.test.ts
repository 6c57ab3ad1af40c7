// The case catalogue: stable, unique ids; one case per knob, defect and vector file; every cited
// requirement exists in docs/spec.md, and a case citing an unknown id stops the run before it starts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFECTS } from '../../src/pki/defects.js';
import { KNOBS } from '../../src/protocol/bugs.js';
import { VECTOR_KINDS } from '../../src/vectors/all.js';
import { loadRequirements } from '../../src/spec/requirements.js';
import { checkRequirementIds, loadCatalogue, REPO_ROOT, selectCases, SelectionError, UnknownRequirementError } from '../../src/run/catalogue.js';
import type { CaseSpec } from '../../src/run/model.js';
import { runConformance } from '../../src/run/runner.js';

const catalogue = loadCatalogue();
const known = new Set(loadRequirements(readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8')).map((r) => r.id));

t.test('ids are unique, dotted and name-derived', async (t) => {
  t.equal(new Set(catalogue.map((c) => c.id)).size, catalogue.length);
  for (const c of catalogue) t.match(c.id, /^(interop|knob|cert|vectors|irp|relay|ordering|syntax|records|limits|reflection|key-transport)\.[A-Za-z0-9.-]+$/, c.id);
  t.ok(catalogue.some((c) => c.id === 'interop.x25519.aes-256-gcm.i2r'));
  t.ok(catalogue.some((c) => c.id === 'knob.finished.corruptValue'));
  t.ok(catalogue.some((c) => c.id === 'cert.expired'));
});

t.test('every knob, defect and vector file has its case', async (t) => {
  for (const k of KNOBS) {
    const c = catalogue.find((x) => x.id === `knob.${k.id}`);
    t.ok(c, `knob ${k.id}`);
    t.ok(c?.form, `knob ${k.id} says its form`);
  }
  for (const d of DEFECTS) {
    const c = catalogue.find((x) => x.id === `cert.${d.id}`);
    t.ok(c?.requirements.includes(d.requirement), `defect ${d.id} cites ${d.requirement}`);
    t.match(c?.action, { kind: 'conversation', conversation: { expect: {} } });
  }
  for (const v of VECTOR_KINDS) t.ok(catalogue.some((x) => x.id === `vectors.${v.file.replace(/\.json$/, '')}`), v.file);
  for (const m of ['x25519', 'p256', 'rsa-oaep']) {
    for (const cipher of ['aes-256-gcm', 'chacha20-poly1305']) {
      for (const dir of ['i2r', 'r2i']) t.ok(catalogue.some((x) => x.id === `interop.${m}.${cipher}.${dir}`), `${m} ${cipher} ${dir}`);
    }
  }
});

t.test('every requirement the catalogue cites exists in docs/spec.md', async (t) => {
  t.doesNotThrow(() => checkRequirementIds(catalogue, known));
  for (const c of catalogue) t.ok(c.requirements.length > 0, `${c.id} cites at least one requirement`);
});

t.test('a case citing an unknown requirement id is refused at start-up', async (t) => {
  const bogus: CaseSpec = { ...catalogue.find((c) => c.id === 'vectors.expand-label')!, id: 'vectors.bogus', requirements: ['E2ED-KS-1', 'E2ED-NOPE-7'] };
  t.throws(() => checkRequirementIds([bogus], known), UnknownRequirementError);
  await t.rejects(runConformance({ seed: 'catalogue', cases: [bogus] }), UnknownRequirementError);
  try {
    checkRequirementIds([bogus], known);
  } catch (err) {
    t.same((err as UnknownRequirementError).unknown, [{ caseId: 'vectors.bogus', requirement: 'E2ED-NOPE-7' }]);
  }
});

t.test('selection by suite and by case id; unknown names are refused', async (t) => {
  t.ok(selectCases(catalogue, { suites: ['vectors'] }).every((c) => c.suite === 'vectors'));
  t.same(selectCases(catalogue, { caseIds: ['cert.expired'] }).map((c) => c.id), ['cert.expired']);
  const both = selectCases(catalogue, { suites: ['vectors'], caseIds: ['cert.expired'] });
  t.ok(both.some((c) => c.id === 'cert.expired') && both.some((c) => c.suite === 'vectors'), 'suites and cases are a union');
  t.equal(selectCases(catalogue, {}).length, catalogue.length);
  t.throws(() => selectCases(catalogue, { suites: ['nosuch'] }), SelectionError);
  t.throws(() => selectCases(catalogue, { caseIds: ['knob.nosuch'] }), SelectionError);
});
