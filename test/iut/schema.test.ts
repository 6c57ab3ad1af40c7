// iut.json (adapter profile 1): every examples/*.json is valid against the shipped schema; the
// schema uses only what the validator implements; bad files are refused naming file, field, value.
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { iutSchema, IutConfigError, loadIutConfig, expandArgv, PLACEHOLDERS, placeholdersIn } from '../../src/iut/config.js';
import { unsupportedKeywords, validate } from '../../src/iut/schema.js';
import { REPO } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-schema-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('the schema stays within what the validator implements', async (t) => {
  t.same(unsupportedKeywords(iutSchema()), []);
  t.same(unsupportedKeywords({ type: 'object', properties: { a: { oneOf: [] } } }), ['/properties/a/oneOf'], 'and the check does find one');
});

t.test('every examples/*.json is valid and loads', async (t) => {
  const files = readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.json'));
  t.ok(files.length >= 1);
  for (const f of files) {
    const doc = JSON.parse(readFileSync(path.join(REPO, 'examples', f), 'utf8'));
    t.same(validate(iutSchema(), doc), [], `${f} is valid against schemas/iut.schema.json`);
    const cfg = loadIutConfig(path.join(REPO, 'examples', f));
    for (const el of cfg.command.flat()) for (const p of placeholdersIn(el)) t.ok(p in PLACEHOLDERS, `${f}: {${p}} is documented`);
  }
});

t.test('validator rules', async (t) => {
  const s = iutSchema();
  const good = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8'));
  const bad = (mutate: (d: Record<string, any>) => void): string[] => {
    const d = structuredClone(good);
    mutate(d);
    return validate(s, d).map((e) => `${e.pointer} ${e.message}`);
  };
  t.match(bad((d) => (d.colour = 'blue')), ['/colour is not a known field']);
  t.match(bad((d) => delete d.name), ['/name is required']);
  t.match(bad((d) => (d.profile = 2)), ['/profile must be 1']);
  t.match(bad((d) => (d.capabilities.level = 4)), ['/capabilities/level must be one of 1, 2, 3']);
  t.match(bad((d) => (d.capabilities.methods = ['x448'])), [/\/capabilities\/methods\/0 must be one of/]);
  t.match(bad((d) => (d.command = [])), ['/command must have at least 1 item(s)']);
  t.match(bad((d) => (d.command = [3])), [/\/command\/0 matches none of the allowed forms/]);
  t.match(bad((d) => (d.name = 'has space')), [/\/name must match/]);
  t.match(bad((d) => (d.startTimeoutMs = 1.5)), [/\/startTimeoutMs must be of type integer/]);
});

async function refused(t: Test, doc: unknown, field: string, value: RegExp | undefined, problem: RegExp): Promise<void> {
  const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  try {
    loadIutConfig(file);
    t.fail('accepted');
  } catch (err) {
    t.ok(err instanceof IutConfigError, 'an IutConfigError');
    const e = err as IutConfigError;
    t.equal(e.field, field, `field ${field}`);
    t.match(e.message, file, 'the message names the file');
    t.match(e.message, problem);
    if (value) t.match(JSON.stringify(e.value), value, 'and the value');
  }
}

t.test('bad iut.json: file, field, value', async (t) => {
  const base = { profile: 1, name: 'x', version: '1', command: [process.execPath, '{role}'], capabilities: { roles: ['responder'], methods: ['x25519'], ciphers: ['AES-256-GCM'], level: 1 } };
  await refused(t, '{ not json', '', undefined, /is not JSON/);
  await refused(t, { ...base, colour: 'blue' }, '/colour', /blue/, /is not a known field/);
  await refused(t, { ...base, command: [process.execPath, '--port', '{lisen_port}'] }, '/command/2', /lisen_port/, /unknown placeholder \{lisen_port\}/);
  await refused(t, { ...base, command: [process.execPath, ['--x', '{nope}']] }, '/command/1/1', /nope/, /unknown placeholder \{nope\}/);
  await refused(t, { ...base, env: { A: '{what}' } }, '/env/A', /what/, /unknown placeholder/);
  await refused(t, { ...base, command: [path.join(dir, 'missing-program')] }, '/command/0', /missing-program/, /is not an executable/);
  await refused(t, { ...base, command: [path.join(REPO, 'README.md')] }, '/command/0', /README/, /is not an executable/);
  await refused(t, { ...base, command: [process.execPath, ['--keylog', '{keylog}']] }, '/capabilities/keyLog', undefined, /must be true when the command uses \{keylog\}/);
  await refused(t, { ...base, capabilities: { ...base.capabilities, roles: ['server'] } }, '/capabilities/roles/0', /server/, /must be one of/);
});

t.test('argv: optional groups are left out when a placeholder has no value; a bare one is an error', async (t) => {
  const tpl = ['prog', '--role', '{role}', ['--connect', '{connect_host}:{connect_port}'], ['--keylog', '{keylog}']];
  t.same(expandArgv(tpl, { role: 'initiator', connect_host: '::1', connect_port: '5' }), ['prog', '--role', 'initiator', '--connect', '::1:5']);
  t.same(expandArgv(tpl, { role: 'responder' }), ['prog', '--role', 'responder']);
  t.throws(() => expandArgv(['prog', '{connect_host}'], { role: 'responder' }), /needs connect_host/);
});
