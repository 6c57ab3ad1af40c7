// The timer and hang-up checks against an IUT (src/run/iut-checks.ts): a conforming reference
// passes both roles; an implementation that never times out fails (judged), it is not an error.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { referenceImplementation } from '../../src/iut/reference.js';
import { runConformance } from '../../src/run/runner.js';
import { hostileIut } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-iut-checks-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const caseIds = ['interop.timer.handshake-timeout', 'interop.close.hang-up-before-handshake'];

t.test('the reference (its timer shortened) passes both', async (t) => {
  const report = await runConformance({ seed: 'iut-checks', caseIds, iut: referenceImplementation({ handshakeTimeoutMs: 300 }) });
  t.same(report.cases.map((c) => `${c.id} ${c.verdict}`), [
    'sanity.first pass',
    'interop.timer.handshake-timeout@initiator pass',
    'interop.timer.handshake-timeout@responder pass',
    'interop.close.hang-up-before-handshake@initiator pass',
    'sanity.last pass',
  ]);
  const r = report.cases.find((c) => c.id === 'interop.timer.handshake-timeout@responder');
  t.same((r?.observed as { frames: string[] }).frames, ['plaintext handshake_timeout']);
  t.match(r?.iut?.checks.join('\n'), /closed after 0 s, before the default 10 s/, 'an early timer is noted');
});

t.test('a responder that never times out fails the timer check', async (t) => {
  // Level 2 with no events: the sanity case cannot pass, so run the check alone through its plan.
  const iut = hostileIut(dir, 'hangs.mjs', { capabilities: { roles: ['responder'], methods: ['x25519'], ciphers: ['AES-256-GCM'], level: 1 } });
  const { runIutCheck } = await import('../../src/run/iut-checks.js');
  const { RunEnvironment } = await import('../../src/run/environment.js');
  const env = await RunEnvironment.start({ seed: 'iut-checks-hang', slots: 1 });
  try {
    const r = await runIutCheck('handshake-timer', { env, slot: env.slots[0]!, seed: 's', signal: new AbortController().signal, iut, side: 'responder', workDir: path.join(dir, 'hang') });
    t.equal(r.error, undefined, 'not an error: the process behaved, the protocol did not');
    t.match(r.mismatches[0], /no end of the connection within 13 s/);
    t.equal(r.exit?.how, 'killed', 'stopped at the end');
  } finally {
    await env.close();
  }
});
