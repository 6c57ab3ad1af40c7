// An implementation under test that enrols itself (iut.json `irpEnrolment`, docs/adapter.md
// "Enrolling itself"): the placeholders and their validation, the bench's check of the chain the
// IUT wrote (only the registry's issue for the case's account passes), the self-enrolling shim
// through whole cases in both roles with both key types, and IUTs that declare the capability but
// do not enrol, or pass off a chain the registry never issued.
import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadIutConfig } from '../../src/iut/config.js';
import { placeholderValues } from '../../src/iut/process.js';
import { pemOf } from '../../src/iut/credentials.js';
import { createCsr } from '../../src/pki/csr.js';
import { createTestPki } from '../../src/pki/ca.js';
import { RunEnvironment } from '../../src/run/environment.js';
import { EnrolmentError, openEnrolment, readEnrolledChain } from '../../src/run/iut-enrolment.js';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { runConformance } from '../../src/run/runner.js';
import { processImplementation } from '../../src/iut/process.js';
import { dummyCredentials, hostileIut, REPO, referenceCommandUnavailable } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-enrol-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const ENROLMENT_ARGS = [['--user', '{irp_user}'], ['--password', '{irp_password}'], ['--chain-out', '{enrolled_chain}']];

function configFile(name: string, command: unknown[], capabilities: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ profile: 1, name, version: '0', command: [process.execPath, ...command], capabilities: { roles: ['responder'], methods: ['p256'], ciphers: ['AES-256-GCM'], level: 1, ...capabilities } }));
  return file;
}

t.test('config: the enrolment placeholders need irpEnrolment, and irpEnrolment needs them', async (t) => {
  const ok = loadIutConfig(configFile('enrols', ['x.mjs', ...ENROLMENT_ARGS, ['--type', '{key_type}'], ['--key-out', '{enrolled_key}']], { irpEnrolment: true }));
  t.equal(ok.capabilities.irpEnrolment, true, 'a command with the account and the chain path loads');
  t.throws(() => loadIutConfig(configFile('no-chain', ['x.mjs', ['--user', '{irp_user}'], ['--password', '{irp_password}']], { irpEnrolment: true })), { name: 'IutConfigError', field: '/capabilities/irpEnrolment', message: /\{enrolled_chain\}/ }, 'irpEnrolment without {enrolled_chain}: refused, naming it');
  t.throws(() => loadIutConfig(configFile('not-declared', ['x.mjs', ...ENROLMENT_ARGS], {})), { name: 'IutConfigError', field: '/capabilities/irpEnrolment', message: /must be true when the command uses \{irp_user\}/ }, 'the placeholders without the capability: refused');
  t.throws(() => loadIutConfig(configFile('typo', ['x.mjs', ...ENROLMENT_ARGS, ['--u', '{irp_username}']], { irpEnrolment: true })), { name: 'IutConfigError', message: /unknown placeholder \{irp_username\}/ }, 'an unknown placeholder is still refused');
  const example = loadIutConfig(path.join(REPO, 'examples', 'reference-self-enrolling.json'));
  t.equal(example.capabilities.irpEnrolment, true, 'examples/reference-self-enrolling.json loads');
});

t.test('placeholders: an enrolling start gets its account, not the bench key and chain', async (t) => {
  const config = loadIutConfig(configFile('values', ['x.mjs', ...ENROLMENT_ARGS], { irpEnrolment: true }));
  const credentials = dummyCredentials(dir);
  const base = { caseId: 'c', role: 'responder' as const, workDir: dir, credentials, seed: 's' };
  const enrolment = { userId: 'iut-1@example.com', password: 'pw', keyType: 'rsa2048' as const, keyFile: '/w/k.pem', chainFile: '/w/c.pem' };
  const v = placeholderValues(config, { ...base, enrolment }, 0, undefined);
  t.same([v.user_id, v.irp_user, v.irp_password, v.key_type, v.enrolled_key, v.enrolled_chain, v.key, v.chain], ['iut-1@example.com', 'iut-1@example.com', 'pw', 'rsa2048', '/w/k.pem', '/w/c.pem', undefined, undefined]);
  const plain = placeholderValues(config, base, 0, undefined);
  t.same([plain.user_id, plain.irp_user, plain.enrolled_chain, plain.key], [credentials.userId, undefined, undefined, credentials.files.key], 'without enrolment: the bench-issued credentials, no account');
});

t.test('the bench reads back the enrolled chain: only the registry issue for the account passes', async (t) => {
  const env = await RunEnvironment.start({ seed: 'enrol-check', slots: 1 });
  t.teardown(() => env.close());
  const slot = env.slots[0]!;
  const bench = [slot.initiator, slot.responder, slot.rsaResponder].map((u) => u.identity.chain);
  const work = path.join(dir, 'check');
  const enrolment = openEnrolment(env, work, 'responder', 'p256');
  t.equal(openEnrolment(env, work, 'responder', 'p256').userId, enrolment.userId, 'the account is derived from the seed and the case: reproducible');
  t.not(openEnrolment(env, work, 'initiator', 'p256').userId, enrolment.userId, 'each side has its own account');
  await mkdir(work, { recursive: true });

  await t.rejects(readEnrolledChain(env, enrolment, bench), { name: 'EnrolmentError', message: /wrote no chain to \{enrolled_chain\}/ }, 'no file');
  await writeFile(enrolment.chainFile, 'not pem');
  await t.rejects(readEnrolledChain(env, enrolment, bench), { name: 'EnrolmentError', message: /no certificate/ }, 'no certificate in it');
  await writeFile(enrolment.chainFile, pemOf(slot.responder.identity.chain));
  await t.rejects(readEnrolledChain(env, enrolment, bench), { message: /a certificate the bench issued/ }, "the bench's own chain passed off as enrolled");
  // The run's own CA naming the account's user, but never issued through the registry.
  await writeFile(enrolment.chainFile, pemOf(env.pki.issueUser(enrolment.userId).chain));
  await t.rejects(readEnrolledChain(env, enrolment, bench), { message: /the registry did not issue/ }, 'a chain from the run CA the registry never issued');
  await writeFile(enrolment.chainFile, pemOf(createTestPki({ seed: 'elsewhere' }).issueUser(enrolment.userId).chain));
  await t.rejects(readEnrolledChain(env, enrolment, bench), { message: /the registry did not issue/ }, 'a chain from another PKI');

  const enrolAs = async (userId: string, password: string, keyType: 'p256' | 'rsa2048', label: string): Promise<Buffer[]> => {
    const client = await env.connectRegistry();
    try {
      await client.login(userId, password);
      return await client.enroll(createCsr(env.pki.key(label, keyType).privateKey, userId));
    } finally {
      await client.close();
    }
  };
  const other = openEnrolment(env, path.join(dir, 'other'), 'responder', 'p256');
  await writeFile(enrolment.chainFile, pemOf(await enrolAs(other.userId, other.password, 'p256', 'enrol-test/other')));
  await t.rejects(readEnrolledChain(env, enrolment, bench), { message: /issued to iut-.*, not to its account/ }, "another account's certificate");
  const rsa = openEnrolment(env, path.join(dir, 'rsa'), 'responder', 'rsa2048');
  const wrongType = await enrolAs(rsa.userId, rsa.password, 'p256', 'enrol-test/rsa-as-p256');
  await writeFile(enrolment.chainFile, pemOf(wrongType));
  await t.rejects(readEnrolledChain(env, { ...rsa, chainFile: enrolment.chainFile }, bench), { message: /enrolled a p256 key where the case needs rsa2048/ }, 'the wrong key type');

  const issued = await enrolAs(enrolment.userId, enrolment.password, 'p256', 'enrol-test/good');
  await writeFile(enrolment.chainFile, pemOf(issued));
  const chain = await readEnrolledChain(env, enrolment, bench);
  t.ok(chain[0]!.equals(issued[0]!), "the registry's issue for the account is accepted");
  t.ok(new EnrolmentError('wrote nothing').message.startsWith('the IUT declares irpEnrolment but'), 'the error says whose problem it is');
});

const cases = (ids: string[]) => loadCatalogue().filter((c) => ids.includes(c.id));

t.test('IUTs that declare irpEnrolment but do not enrol: error, with the reason', async (t) => {
  const over = (script: string) => ({
    command: [process.execPath, path.join(REPO, 'test', 'iut', 'hostile', script), '{listen_host}', '{listen_port}', '{anchors}', '{enrolled_chain}', ['--user', '{irp_user}'], ['--password', '{irp_password}']],
    capabilities: { roles: ['responder'], methods: ['x25519', 'p256'], ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'], level: 2, irpEnrolment: true },
  });
  for (const [script, reason] of [
    ['declares-enrolment.mjs', /the IUT declares irpEnrolment but wrote no chain to \{enrolled_chain\}/],
    ['enrols-falsely.mjs', /the IUT declares irpEnrolment but wrote a leaf to enrolled-chain\.pem that the registry did not issue/],
  ] as const) {
    const report = await runConformance({ seed: 'enrol-hostile', iut: hostileIut(dir, script, over(script)), cases: cases(['interop.x25519.aes-256-gcm.i2r']), caseTimeoutMs: 5000, concurrency: 1 });
    const first = report.cases[0]!;
    t.equal(first.verdict, 'error', `${script}: error, not fail`);
    t.match(first.reason, reason, `${script}: the reason names the problem`);
  }
});

t.test('the self-enrolling shim passes the interop cases, both roles, both key types', { skip: referenceCommandUnavailable() ?? false }, async (t) => {
  const doc = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference-self-enrolling.json'), 'utf8')) as { command: unknown[] };
  doc.command = [doc.command[0], path.join(REPO, 'dist', 'cli.js'), ...doc.command.slice(2)];
  const file = path.join(dir, 'self-enrolling.json');
  writeFileSync(file, JSON.stringify(doc));
  const iut = processImplementation(loadIutConfig(file));
  const ids = ['interop.x25519.aes-256-gcm.i2r', 'interop.rsa-oaep.chacha20-poly1305.r2i', 'interop.p256.chacha20-poly1305.i2r'];
  const report = await runConformance({ seed: 'enrol-shim', iut, cases: cases(ids), concurrency: 2 });
  t.equal(report.cases.length, ids.length * 2 + 2, 'each case in both roles, and the sanity case twice');
  for (const c of report.cases) {
    t.equal(c.verdict, 'pass', `${c.id}: ${c.reason ?? 'pass'}`);
    // The rsa-oaep responder needs an RSA key ({key_type} rsa2048); every other start a P-256 one.
    const keyType = c.id === 'interop.rsa-oaep.chacha20-poly1305.r2i@responder' ? 'rsa2048' : 'p256';
    t.ok(c.iut?.checks.some((x) => new RegExp(`the IUT enrolled itself as iut-[0-9a-f]{16}@\\S+ \\(a ${keyType} key\\)`).test(x)), `${c.id}: rests on the ${keyType} chain the IUT enrolled`);
  }
});

t.test('shim: an account needs --enrol, --enrol needs the whole account, no account needs --key and --chain', { skip: referenceCommandUnavailable() ?? false }, async (t) => {
  const shim = (args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'shim', '--role', 'responder', '--user-id', 'u@example.com', '--anchors', '/dev/null', ...args], { encoding: 'utf8' });
  for (const [args, message] of [
    [['--irp-user', 'a@example.com'], /--irp-user is an enrolment account: give --enrol too/],
    [['--enrol', '--irp-user', 'a@example.com'], /--enrol with --irp-user needs --irp-password/],
    [['--enrol'], /needs --key and --chain, or --enrol with an account/],
  ] as const) {
    const r = shim([...args]);
    t.equal(r.status, 2, `${args.join(' ')}: usage error`);
    t.match(r.stderr, message, `${args.join(' ')}: says what is missing`);
  }
});

t.test('reproducible: the serial of an enrolment does not depend on what other connections drew from the registry before', async (t) => {
  const leaves: Buffer[] = [];
  for (const drawFirst of [false, true]) {
    const env = await RunEnvironment.start({ seed: 'enrol-repro', slots: 1 });
    try {
      if (drawFirst) {
        // A challenge (IRP-AUTH-1) drawn from the registry's randomness before the enrolment.
        const other = await env.connectRegistry();
        await other.authenticate(env.slots[0]!.responder.identity.userId, env.slots[0]!.responder.identity.chain, env.slots[0]!.responder.identity.privateKey);
        await other.close();
      }
      const enrolment = openEnrolment(env, path.join(dir, 'repro'), 'initiator', 'p256');
      const client = await env.connectRegistry();
      await client.login(enrolment.userId, enrolment.password);
      leaves.push((await client.enroll(createCsr(env.pki.key('enrol-test/repro', 'p256').privateKey, enrolment.userId)))[0]!);
      await client.close();
    } finally {
      await env.close();
    }
  }
  t.ok(leaves[0]!.equals(leaves[1]!), 'the same account and key get the same certificate');
});
