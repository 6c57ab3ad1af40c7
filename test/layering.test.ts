// Dependencies point down (README, design habits): cli -> run/bench -> ua -> irp, pki, vectors ->
// protocol. The protocol core imports nothing above it; new rooms (the adversary, the relay,
// captures, reports) sit over the core and under the runner. This test reads every import of
// src/ and fails on one that points up.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** For each top-level folder of src/, the folders it may import from (itself always allowed). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  protocol: [],
  util: [],
  spec: ['protocol'],
  pki: ['protocol', 'util'],
  irp: ['pki', 'protocol', 'util'],
  vectors: ['pki', 'protocol', 'util', 'spec'],
  ua: ['irp', 'pki', 'protocol', 'util'],
  capture: ['protocol', 'util'],
  adversary: ['protocol', 'pki', 'util', 'capture'],
  relay: ['protocol', 'pki', 'util', 'capture', 'adversary'],
  iut: ['protocol', 'pki', 'irp', 'ua', 'util', 'spec'],
  report: ['protocol', 'util', 'spec'],
  run: ['protocol', 'pki', 'irp', 'ua', 'util', 'spec', 'vectors', 'capture', 'adversary', 'relay', 'iut', 'report'],
  bench: ['protocol', 'pki', 'irp', 'ua', 'util', 'spec', 'vectors', 'capture', 'adversary', 'relay', 'iut', 'report', 'run'],
  cli: ['protocol', 'pki', 'irp', 'ua', 'util', 'spec', 'vectors', 'capture', 'adversary', 'relay', 'iut', 'report', 'run', 'bench'],
};

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (name.endsWith('.ts')) yield full;
  }
}

function layerOf(file: string): string | undefined {
  const rel = path.relative(SRC, file);
  const parts = rel.split(path.sep);
  return parts.length === 1 ? undefined : parts[0];
}

t.test('every import in src/ points down the layers', async (t) => {
  let checked = 0;
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    if (from === undefined) continue; // src/cli.ts, the entry point, may import anything
    const allowed = MAY_IMPORT[from];
    t.ok(allowed, `src/${from}/ has a place in the layering table`);
    if (!allowed) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      const to = layerOf(target);
      if (to === undefined || to === from) continue;
      checked++;
      if (!allowed.includes(to)) t.fail(`${path.relative(SRC, file)} imports ${m[1]} (${from} -> ${to} points up)`);
    }
  }
  t.ok(checked > 50, `cross-layer imports were found and checked (${checked})`);
});
