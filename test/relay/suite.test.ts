// The relay suite's loader (src/run/relay-cases.ts, src/run/catalogue.ts): a script the relay does
// not know, an unknown action or mutator, stops the run before it starts, and the message names
// the file, the case and the field.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CatalogueError, loadCatalogue, SUITES_DIR } from '../../src/run/catalogue.js';
import { relayCaseData, RelaySuiteError, type RelaySuiteData } from '../../src/run/relay-cases.js';

const original = readFileSync(path.join(SUITES_DIR, 'relay.json'), 'utf8');
const withScript = (id: string, script: unknown): RelaySuiteData => {
  const data = JSON.parse(original) as RelaySuiteData;
  const c = data.cases.find((x) => x.id === id)!;
  (c as { script: unknown }).script = script;
  return data;
};

t.test('the suite as it is loads, in one spelling: no relay-only flip, no hex inject', async (t) => {
  const cases = relayCaseData(JSON.parse(original) as RelaySuiteData);
  t.ok(cases.length >= 80);
  const actions = cases.flatMap((c) => c.script.map((r) => r.action as unknown as Record<string, unknown>));
  t.notOk(actions.some((a) => a['do'] === 'flip' || 'hex' in a), 'byte flips are the mutator flipBit, injected bytes a send');
  t.ok(actions.some((a) => a['do'] === 'mutate'), 'mutate is used');
});

t.test('an unknown action or mutator is refused, naming the case and the field', async (t) => {
  const match = { dir: 'i2r', frame: 'record', nth: 0 };
  t.throws(() => relayCaseData(withScript('record.i2r.flip-byte0', [{ match, action: { do: 'flip', byte: 0 } }])), {
    name: 'RelaySuiteError',
    message: /^suites\/relay\.json, case record\.i2r\.flip-byte0, script\[0\]\.action\.do: unknown action "flip" \(known: /,
  });
  t.throws(() => relayCaseData(withScript('record.i2r.flip-byte0', [{ match, action: { do: 'mutate', mutate: [{ op: 'flipBits', at: 0 }] } }])), {
    message: /^suites\/relay\.json, case record\.i2r\.flip-byte0, script\[0\]\.action\.mutate\[0\]\.op: unknown mutator "flipBits" \(known: remove, /,
  });
  t.throws(() => relayCaseData(withScript('record.i2r.inject-forged', [{ match, action: { do: 'inject', send: { message: 'Finished' } } }])), RelaySuiteError);
});

t.test('the catalogue turns it into a CatalogueError: the run does not start', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-suite-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(SUITES_DIR, dir, { recursive: true });
  writeFileSync(path.join(dir, 'relay.json'), JSON.stringify(withScript('record.r2i.reorder', [{ match: { dir: 'r2i', frame: 'record' }, action: { do: 'mutate', mutate: [{ op: 'remove' }] } }])));
  t.throws(() => loadCatalogue(dir), CatalogueError);
  t.throws(() => loadCatalogue(dir), /case record\.r2i\.reorder, script\[0\]\.action\.mutate\[0\]\.path: the mutator remove needs it/);
});
