// How long one run's whole test PKI takes to build: root, intermediates, 10 users, the IRP
// certificates and every defect chain. The RSA keys are derived once before timing (they are
// cached per seed, in memory and on disk); every timed run derives its P-256 and Ed25519 keys
// and signs every certificate afresh. The issue bounds this at "well under a second".
import { performance } from 'node:perf_hooks';
import { createTestPki } from '../pki/ca.js';
import { buildValidCase, DEFECTS } from '../pki/defects.js';
import { forgetCheapKeys } from '../pki/keys.js';

const USERS = Array.from({ length: 10 }, (_, i) => `user${i}@example.com`);
const SEED = 'sixbench bench pki';
const RUNS = 5;

function buildWholePki(): void {
  const pki = createTestPki({ seed: SEED, users: USERS });
  buildValidCase(pki);
  for (const defect of DEFECTS) defect.build(pki);
}

export async function benchPkiBuild(): Promise<{ ms: number }> {
  buildWholePki(); // fills the RSA key cache
  let total = 0;
  for (let i = 0; i < RUNS; i++) {
    forgetCheapKeys();
    const start = performance.now();
    buildWholePki();
    total += performance.now() - start;
  }
  return { ms: total / RUNS };
}
