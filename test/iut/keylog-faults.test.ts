// Session keys through the adapter (issue 8 §4): the reference command with a lying key log
// (test/iut/hostile/keylog-liar.mjs) fails the key check with the secret named; the same command
// with its own key log passes (test/iut/equality.test.ts runs it unwrapped). The command is
// dist/cli.js: without a current build the test skips and says so.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import { runConformance } from '../../src/run/runner.js';
import { HOSTILE, REPO, referenceCommandUnavailable } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-keylog-faults-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const skip = referenceCommandUnavailable() ?? false;
// A case's time limit well above its usual second: the tests share two cores, and an IUT process
// starved of CPU must not read as what this file checks.
const CASE_TIME_MS = 30_000;

async function liarIut(fault: string) {
  const doc = JSON.parse(await readFile(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as { command: unknown[]; name: string };
  doc.command = [process.execPath, path.join(HOSTILE, 'keylog-liar.mjs'), fault, process.execPath, path.join(REPO, 'dist', 'cli.js'), ...doc.command.slice(2)];
  doc.name = `reference-${fault}`;
  delete (doc as Record<string, unknown>)['$schema'];
  const file = path.join(dir, `${fault}.json`);
  await writeFile(file, JSON.stringify(doc));
  return processImplementation(loadIutConfig(file));
}

const CASE = 'interop.x25519.aes-256-gcm.i2r';

t.test('a key log that lies fails the session-key check, naming the secret', { skip }, async (t) => {
  const expected: Record<string, { sanity: RegExp | 'pass'; iut?: RegExp }> = {
    'wrong-secret': { sanity: /the IUT's E2ED_MASTER_SECRET is not the value recomputed by the bench/ },
    'wrong-nonce': { sanity: /the IUT did not log E2ED_HANDSHAKE_SECRET under the nonce_I of the captured Hello_I/ },
    // The sanity case has no key update: it passes; the interop case has one in each direction.
    'omit-update': { sanity: 'pass', iut: /the IUT did not log E2ED_(I2R|R2I)_TRAFFIC_SECRET_1/ },
  };
  for (const [fault, want] of Object.entries(expected)) {
    const report = await runConformance({ seed: `keylog-${fault}`, caseIds: [CASE], iut: await liarIut(fault), concurrency: 1, caseTimeoutMs: CASE_TIME_MS });
    const sanity = report.cases[0]!;
    if (want.sanity === 'pass') t.equal(sanity.verdict, 'pass', `${fault}: sanity passes (${sanity.reason ?? ''})`);
    else {
      t.equal(sanity.verdict, 'fail', `${fault}: a judged failure, not an error`);
      t.match(sanity.reason, want.sanity, `${fault}: ${sanity.reason}`);
      t.match(sanity.iut, { keys: { check: 'key-log' } }, `${fault}: the key-log check ran`);
    }
    if (want.iut) {
      for (const side of ['initiator', 'responder']) {
        const c = report.cases.find((x) => x.id === `${CASE}@${side}`);
        t.equal(c?.verdict, 'fail', `${fault}, IUT as ${side}: fails`);
        t.match(c?.reason, want.iut, `${fault}, IUT as ${side}: ${c?.reason}`);
      }
    }
  }
});
