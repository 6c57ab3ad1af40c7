import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { registerPkiCommands } from '../../src/cli/pki.js';
import { DEFECTS } from '../../src/pki/defects.js';
import { createTestPki } from '../../src/pki/ca.js';
import { exportCatalogue, ExportRefusedError, type Manifest } from '../../src/pki/export.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sixbench-export-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const pemCount = (file: string): number => (readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;

t.test('export writes every case as PEM with a manifest', async (t) => {
  const dir = path.join(tmp, 'fresh');
  const manifest = exportCatalogue(dir, { seed: 'export' });
  const onDisk = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  t.same(onDisk, JSON.parse(JSON.stringify(manifest)));
  t.equal(manifest.defects.length, DEFECTS.length);
  t.same(manifest.defects.map((d) => d.id), DEFECTS.map((d) => d.id));
  const pki = createTestPki({ seed: 'export' });
  for (const d of manifest.defects) {
    const def = DEFECTS.find((x) => x.id === d.id)!;
    t.equal(d.requirement, def.requirement);
    t.equal(d.alert, def.alert);
    t.equal(d.opensslChecks, def.opensslChecks);
    t.ok(existsSync(path.join(dir, d.files.leaf)) && existsSync(path.join(dir, d.files.anchors)), `${d.id} files`);
    if (d.files.chain) t.ok(pemCount(path.join(dir, d.files.chain)) >= 1);
    // docs/pki.md: presented.pem is leaf.pem followed by chain.pem, exactly the chain as presented.
    const presented = readFileSync(path.join(dir, d.files.presented), 'utf8');
    const parts = readFileSync(path.join(dir, d.files.leaf), 'utf8') + (d.files.chain ? readFileSync(path.join(dir, d.files.chain), 'utf8') : '');
    t.equal(presented, parts, `${d.id}: presented.pem = leaf.pem + chain.pem`);
    t.equal(pemCount(path.join(dir, d.files.presented)), def.build(pki).chain.length, `${d.id}: every presented certificate`);
  }
  t.notOk(readFileSync(path.join(dir, manifest.valid.files.chain!), 'utf8').includes(readFileSync(path.join(dir, manifest.valid.files.leaf), 'utf8').trim()), 'chain.pem holds no leaf');
  // The valid case: leaf + users CA, anchored at the root, parseable PEM.
  t.equal(pemCount(path.join(dir, manifest.valid.files.chain!)), 1);
  const leaf = new X509Certificate(readFileSync(path.join(dir, manifest.valid.files.leaf)));
  t.equal(leaf.subjectAltName, 'email:alice@example.com');
  t.equal(manifest.valid.attime, Date.parse('2026-01-01T00:00:00Z') / 1000);
  // The leaf-only case has no chain file; the revoked case lists its serial.
  t.equal(manifest.defects.find((d) => d.id === 'missing-intermediate')!.files.chain, null);
  const revoked = manifest.defects.find((d) => d.id === 'revoked')!;
  t.equal(revoked.revokedSerials.length, 1);
  t.equal(
    new X509Certificate(readFileSync(path.join(dir, revoked.files.leaf))).serialNumber.toLowerCase(),
    revoked.revokedSerials[0],
  );
  const leftovers = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
  t.same(leftovers, [], 'no temporary files left behind');
});

t.test('export overwrites an earlier export but refuses any other non-empty directory', async (t) => {
  const dir = path.join(tmp, 'again');
  exportCatalogue(dir, { seed: 'a' });
  const first = readFileSync(path.join(dir, 'valid', 'leaf.pem'), 'utf8');
  exportCatalogue(dir, { seed: 'b' });
  t.not(readFileSync(path.join(dir, 'valid', 'leaf.pem'), 'utf8'), first, 're-export with another seed replaced the files');

  const foreign = path.join(tmp, 'foreign');
  mkdirSync(foreign);
  writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  t.throws(() => exportCatalogue(foreign, { seed: 'x' }), ExportRefusedError);
  t.same(readdirSync(foreign), ['notes.txt'], 'nothing written');

  const fakeManifest = path.join(tmp, 'fake');
  mkdirSync(fakeManifest);
  writeFileSync(path.join(fakeManifest, 'manifest.json'), '{"generator":"something else"}');
  t.throws(() => exportCatalogue(fakeManifest, { seed: 'x' }), ExportRefusedError);

  const file = path.join(tmp, 'a-file');
  writeFileSync(file, '');
  t.throws(() => exportCatalogue(file, { seed: 'x' }), ExportRefusedError);

  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  t.doesNotThrow(() => exportCatalogue(empty, { seed: 'x' }), 'an empty directory is fine');
});

async function runCli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerPkiCommands(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'sixbench', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

t.test('`pki defects --json` lists the catalogue; the table has one line per defect', async (t) => {
  const list = JSON.parse(await runCli(['pki', 'defects', '--json'])) as { id: string; requirement: string; alert: string }[];
  t.same(
    list.map((d) => [d.id, d.requirement, d.alert]),
    DEFECTS.map((d) => [d.id, d.requirement, d.alert]),
  );
  const table = await runCli(['pki', 'defects']);
  for (const d of DEFECTS) t.match(table, new RegExp(`^${d.id} +${d.requirement} +${d.alert} `, 'm'));
});

t.test('`pki export DIR --seed S` writes the export; a foreign directory is a usage error', async (t) => {
  const dir = path.join(tmp, 'cli');
  await runCli(['pki', 'export', dir, '--seed', 'cli']);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  t.equal(manifest.seed, 'cli');
  const foreign = path.join(tmp, 'cli-foreign');
  mkdirSync(foreign);
  writeFileSync(path.join(foreign, 'x'), '');
  await t.rejects(runCli(['pki', 'export', foreign]), { name: 'UsageError' });
});
