// The on-disk identity: atomic writes, a private key file of mode 0600, round trip, clear errors.
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestPki } from '../../src/pki/ca.js';
import {
  IDENTITY_FILES,
  IdentityStoreError,
  loadIdentity,
  parseHostPort,
  saveIdentity,
} from '../../src/ua/identity-store.js';

const pki = createTestPki({ seed: 'ua identity-store test', users: ['alice@example.com'] });
const alice = pki.user('alice@example.com');

async function tmpDir(t: Test): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-identity-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const stored = {
  userId: 'alice@example.com',
  privateKeyPem: alice.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  chain: alice.chain,
  trustAnchors: pki.anchors,
  registry: { host: '::1', port: 4604 },
};

t.test('save then load gives back the same identity', async (t) => {
  const dir = path.join(await tmpDir(t), 'alice');
  await saveIdentity(dir, stored);
  const loaded = await loadIdentity(dir);
  t.equal(loaded.userId, 'alice@example.com');
  t.same(loaded.registry, { host: '::1', port: 4604 });
  t.ok(loaded.chain.every((der, i) => der.equals(alice.chain[i]!)), 'chain, leaf first, byte for byte');
  t.ok(loaded.trustAnchors[0]!.equals(pki.anchors[0]!));
  t.equal(loaded.privateKey.asymmetricKeyType, 'ec');
});

t.test('the key file is 0600 and no temporary file is left behind', async (t) => {
  const dir = await tmpDir(t);
  const old = process.umask(0o000); // even with a permissive umask
  try {
    await saveIdentity(dir, stored);
  } finally {
    process.umask(old);
  }
  t.equal((await fs.stat(path.join(dir, IDENTITY_FILES.key))).mode & 0o777, 0o600);
  t.same((await fs.readdir(dir)).sort(), Object.values(IDENTITY_FILES).sort());
  // Saving again replaces the files atomically (rename over the old ones).
  await saveIdentity(dir, { ...stored, registry: { host: 'registry.example.com', port: 14604 } });
  t.same((await loadIdentity(dir)).registry, { host: 'registry.example.com', port: 14604 });
  t.same((await fs.readdir(dir)).sort(), Object.values(IDENTITY_FILES).sort());
});

t.test('a missing or damaged identity is a clear error', async (t) => {
  const dir = await tmpDir(t);
  await t.rejects(loadIdentity(path.join(dir, 'nobody')), IdentityStoreError);
  await saveIdentity(dir, stored);
  await fs.writeFile(path.join(dir, IDENTITY_FILES.key), 'not a key');
  await t.rejects(loadIdentity(dir), { name: 'IdentityStoreError', message: /private key/ });
  await saveIdentity(dir, stored);
  await fs.writeFile(path.join(dir, IDENTITY_FILES.chain), '');
  await t.rejects(loadIdentity(dir), { name: 'IdentityStoreError', message: /no PEM certificate/ });
});

t.test('HOST:PORT parsing', async (t) => {
  t.same(parseHostPort('[::1]:4604'), { host: '::1', port: 4604 });
  t.same(parseHostPort('127.0.0.1:9'), { host: '127.0.0.1', port: 9 });
  t.same(parseHostPort('::1', 4605), { host: '::1', port: 4605 }, 'a bare IPv6 address takes the default port');
  t.same(parseHostPort('registry.example.com', 4604), { host: 'registry.example.com', port: 4604 });
  t.throws(() => parseHostPort('host:0'), IdentityStoreError);
  t.throws(() => parseHostPort('host:65536'), IdentityStoreError);
  t.throws(() => parseHostPort('host'), IdentityStoreError, 'no port and no default');
  t.throws(() => parseHostPort(':4604'), IdentityStoreError);
});
