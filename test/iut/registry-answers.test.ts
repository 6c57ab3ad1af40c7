// The run's registry answers an implementation under test per certificate, and one case's answer
// must never become another's: the certificate cases vouch for the catalogue's leaves at the run's
// registry (`revoked` for cert.revoked), so the adversary's "status unknown" case presents a leaf
// of its own that no registry learns (src/pki/defects.ts unissuedLeafCase). Before that, in a full
// run through the adapter, reflection.responder.status-unknown read `certificate_revoked` after
// cert.revoked had run, and passed alone.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import { runConformance } from '../../src/run/runner.js';
import { RunEnvironment } from '../../src/run/environment.js';
import { defectCase } from '../../src/run/conversation.js';
import { unissuedLeafCase } from '../../src/pki/defects.js';
import { referenceCommandUnavailable, referenceIutFile } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-registry-answers-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const skip = referenceCommandUnavailable() ?? false;

t.test('the unissued leaf is the revoked one in all but its serial', async (t) => {
  const env = await RunEnvironment.start({ seed: 'registry-answers', slots: 1 });
  t.teardown(() => env.close());
  const revoked = new X509Certificate(defectCase(env.pki, 'revoked').chain[0]!);
  const unissued = new X509Certificate(unissuedLeafCase(env.pki).chain[0]!);
  t.not(unissued.serialNumber, revoked.serialNumber, 'its own serial');
  t.equal(unissued.issuer, revoked.issuer, 'the same issuing CA');
  t.equal(unissued.subjectAltName, revoked.subjectAltName, 'the same user');
  t.ok(unissued.publicKey.equals(revoked.publicKey), 'the same key');
});

t.test('cert.revoked, then the status-unknown case, through the adapter: each gets its own answer', { skip }, async (t) => {
  const iut = processImplementation(loadIutConfig(referenceIutFile(dir)));
  const report = await runConformance({ seed: 'registry-answers', caseIds: ['cert.revoked', 'reflection.responder.status-unknown'], iut, concurrency: 1, caseTimeoutMs: 30_000 });
  const ids = report.cases.map((c) => c.id);
  t.ok(ids.indexOf('cert.revoked@responder') < ids.indexOf('reflection.responder.status-unknown'), 'the revoked leaf is vouched for first');
  t.same(report.cases.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}: ${c.reason}`), [], 'both pass');
});
