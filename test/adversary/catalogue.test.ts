// The adversary's catalogue: at least 400 cases, each with requirement ids and a stable name-derived
// id; every alert of the fault table registered; and a script or suite file that names something
// unknown stops the run before it starts, naming the file, the case and the field.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAULT_ALERTS, unregisteredAlerts } from '../../src/adversary/alert-rules.js';
import { CatalogueError, loadCatalogue, REPO_ROOT, SUITES_DIR } from '../../src/run/catalogue.js';
import { adversaryCases, checkScript } from '../../src/run/adversary/catalogue.js';
import { FAMILIES } from '../../src/run/adversary/cases.js';
import { ADVERSARY_SUITES } from '../../src/run/model.js';

const spec = readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8');
const cases = adversaryCases(SUITES_DIR, spec);

t.test('at least 400 cases, each citing requirements, with stable dotted ids, each family between its sanity conversations', async (t) => {
  const real = cases.filter((c) => !/\.(sanity\.(before|after)|selftest)$/.test(c.id));
  t.ok(real.length >= 400, `${real.length} cases`);
  t.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'unique ids');
  for (const c of cases) {
    t.ok(c.requirements.length > 0, `${c.id} cites requirements`);
    t.notMatch(c.id, /\.\d+$|\.case\d+/, `${c.id} is not positional`);
  }
  for (const f of FAMILIES) {
    const ids = cases.filter((c) => c.suite === f).map((c) => c.id);
    t.equal(ids[0], `${f}.sanity.before`);
    t.equal(ids.at(-1), `${f}.sanity.after`);
    t.ok(ids.length > 3, `${f} has cases`);
  }
  t.same([...ADVERSARY_SUITES], [...FAMILIES], 'every family is a suite of sixbench run');
  t.same(adversaryCases(SUITES_DIR, spec).map((c) => c.id), cases.map((c) => c.id), 'the same ids every time');
});

t.test('the fault table names only registered alerts', async (t) => {
  t.same(unregisteredAlerts(), []);
  t.equal(FAULT_ALERTS['keyUpdate.request'].alert, 'illegal_parameter', 'E2ED-REC-11 as the spec says today');
});

t.test('a script that names something unknown is refused, naming the case, the step and the field', async (t) => {
  t.throws(() => checkScript('x.case', [{ do: 'send', message: 'Helo' as never }]), /case x\.case, step 1, field "message": unknown message "Helo"/);
  t.throws(() => checkScript('x.case', [{ do: 'send', message: 'Ping', mutate: [{ op: 'shuffle' } as never] }]), /field "mutate\[0\]\.op": unknown mutator "shuffle"/);
  t.throws(() => checkScript('x.case', [{ do: 'send', message: 'Ping', mutate: [{ op: 'set', path: 'x' } as never] }]), /field "mutate\[0\]\.value": the mutator set needs it/);
  t.throws(() => checkScript('x.case', [{ do: 'send', message: 'Ping', fields: { colour: 'red' } }]), /field "fields\.colour": unknown template field/);
  t.throws(() => checkScript('x.case', [{ do: 'expect', alert: ['bad_mood'] }]), /field "alert": unknown alert "bad_mood"/);
  t.throws(() => checkScript('x.case', [{ do: 'refused', alert: ['decode_eror'] }]), /unknown alert "decode_eror"/);
  t.throws(() => checkScript('x.case', [{ do: 'expect', oneOf: [[{ do: 'expect', alert: ['nope'] }]] }]), /unknown alert "nope"/);
  t.throws(() => checkScript('x.case', [{ do: 'handshake', until: 'Somewhere' }]), /field "until": unknown state "Somewhere"/);
  t.throws(() => checkScript('x.case', [{ do: 'dance' } as never]), /field "do": unknown step "dance"/);
  t.throws(() => checkScript('x.case', [{ do: 'send', message: 'Ping', colour: 1 } as never]), /field "colour": unknown field/);
});

t.test('a malformed or inconsistent suite file stops the run before it starts', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sixbench-suites-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(SUITES_DIR, dir, { recursive: true });
  const file = path.join(dir, 'adversary.json');
  const original = readFileSync(file, 'utf8');
  const edit = (f: (d: Record<string, any>) => void): void => {
    const d = JSON.parse(original);
    f(d);
    writeFileSync(file, JSON.stringify(d));
  };
  writeFileSync(file, '{ "ordering": ');
  t.throws(() => loadCatalogue(dir), CatalogueError);
  t.throws(() => loadCatalogue(dir), /adversary\.json/);
  edit((d) => (d.colours = {}));
  t.throws(() => loadCatalogue(dir), /unknown field "colours" at the top level/);
  edit((d) => delete d.limits);
  t.throws(() => loadCatalogue(dir), /the family "limits" is missing/);
  edit((d) => (d.records['wrong-tag'].steps[0].message = 'Pingg'));
  t.throws(() => loadCatalogue(dir), /case records\.responder\.aes\.wrong-tag, step \d+, field "message": unknown message "Pingg"/);
  edit((d) => (d.records['wrong-tag'].ending.refused = 'record.nosuch'));
  t.throws(() => loadCatalogue(dir), /records\.wrong-tag: ending\.refused names unknown fault "record\.nosuch"/);
  edit((d) => (d.syntax.messages.Ping.fields['@id'].mutations.outOfSet = { value: 'x', fault: 'xml.nosuch' }));
  t.throws(() => loadCatalogue(dir), /syntax\.messages\.Ping\.fields\.@id\.mutations\.outOfSet: unknown fault "xml\.nosuch"/);
  edit((d) => (d.limits['depth-at-limit'].steps[0].mutate[0].op = 'nest'));
  t.throws(() => loadCatalogue(dir), /limits\.(responder|initiator)\.depth-at-limit, step \d+, field "mutate\[0\]\.op": unknown mutator "nest"/);
  edit((d) => (d.disabled['records.nosuch'] = 'why'));
  t.throws(() => loadCatalogue(dir), /disabled: there is no case "records\.nosuch"/);
  edit((d) => (d.reflection['from-is-responder'].from = 'Elsewhere'));
  t.throws(() => loadCatalogue(dir), /reflection\.from-is-responder: from: .*Elsewhere/);
});
