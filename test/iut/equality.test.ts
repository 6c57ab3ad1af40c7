// The reference through the adapter, as a command (sixbench shim started from src/cli.ts through
// an iut.json), gives the verdicts of the in-process run case for case (issue 8 §4), on a bounded,
// representative subset: every method, both AEADs, both directions, ping, version negotiation,
// knob cases of several forms, certificate defects on each side. The whole catalogue is compared
// by `npm run bench` and by hand (docs/adapter.md, "Proof"), which takes minutes.
// The command is dist/cli.js (examples/reference.json): without a current build the tests skip and say so.
// Then the same command with one knob set: the case made for that knob fails, and nothing else.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import { runConformance } from '../../src/run/runner.js';
import { referenceCommandUnavailable, referenceIutFile } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-equality-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const SUBSET = [
  'interop.x25519.aes-256-gcm.i2r',
  'interop.p256.chacha20-poly1305.r2i',
  'interop.rsa-oaep.aes-256-gcm.i2r',
  'interop.ping.r2i',
  'interop.version.legacy-0.9',
  'interop.method.none-supported',
  'knob.finished.corruptValue',
  'knob.hello.selectUnofferedCipher',
  'knob.keyUpdate.ignoreRequest',
  'knob.alert.skipCloseNotify',
  'knob.hello.offerNullCipher',
  'cert.expired',
  'cert.untrusted-root',
  'cert.revoked',
];

const skip = referenceCommandUnavailable() ?? false;

t.test('through the adapter, the verdicts of the in-process run, case for case', { skip }, async (t) => {
  const seed = 'equality';
  const inProcess = await runConformance({ seed, caseIds: SUBSET });
  const iut = processImplementation(loadIutConfig(referenceIutFile(dir)));
  const adapter = await runConformance({ seed, caseIds: SUBSET, iut });
  const verdictOf = new Map(inProcess.cases.map((c) => [c.id, c.verdict]));
  let compared = 0;
  for (const c of adapter.cases) {
    if (!c.iut || c.id.startsWith('sanity.')) continue;
    const want = verdictOf.get(c.iut.of);
    t.ok(want !== undefined, `${c.id} comes from a case of the in-process run`);
    t.equal(c.verdict, want, `${c.id}: ${c.verdict}${c.reason ? ` (${c.reason})` : ''}`);
    compared++;
  }
  t.ok(compared >= SUBSET.length, `${compared} adapter cases compared`);
  t.ok(inProcess.cases.every((c) => c.verdict === 'pass'), 'the in-process subset passes');
  t.same(adapter.iut?.sanity, { first: 'pass', last: 'pass' }, 'sanity first and last');
  t.equal(adapter.iut?.name, 'sixbench-reference');
  t.ok(adapter.cases.every((c) => c.verdict === 'pass'), 'so every adapter case passes');
  const keys = adapter.cases.filter((c) => c.id === 'interop.x25519.aes-256-gcm.i2r@responder')[0]?.iut;
  t.match(keys, { keys: { check: 'key-log' } }, 'session keys checked against the key log');
  t.ok((keys?.keys as { matched: number }).matched >= 5, 'every logged secret matched the bench derivation');
});

t.test('one knob on the reference command: the case made for it fails, nothing else', { skip }, async (t) => {
  const seed = 'equality-knob';
  const cases = ['interop.x25519.aes-256-gcm.i2r', 'interop.ping.r2i', 'knob.finished.corruptValue', 'knob.certificateVerify.corruptSignature', 'cert.expired'];
  // finished.skipVerification: the IUT does not check the peer's Finished. The case made to catch
  // that, turned around, is knob.finished.corruptValue with the IUT as the initiator.
  const iut = processImplementation(loadIutConfig(referenceIutFile(dir, ['--knobs', 'finished.skipVerification'], 'knobbed.json')));
  const report = await runConformance({ seed, caseIds: cases, iut });
  const failed = report.cases.filter((c) => c.verdict !== 'pass').map((c) => c.id);
  t.same(failed, ['knob.finished.corruptValue@initiator'], 'exactly the case made for the knob fails');
  const f = report.cases.find((c) => c.id === 'knob.finished.corruptValue@initiator');
  t.equal(f?.verdict, 'fail', 'a fail (judged), not an error');
  t.match(f?.reason, /alert|Connected/, `what happened: ${f?.reason}`);
});
