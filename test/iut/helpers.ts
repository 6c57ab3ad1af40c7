// Implementations under test for the tests: the reference shim run from source (no build needed),
// and the hostile programs of test/iut/hostile/.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import type { ImplementationUnderTest, IutCredentials } from '../../src/iut/door.js';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const HOSTILE = path.join(HERE, 'hostile');

const DIST_CLI = path.join(REPO, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

/**
 * Why the reference command cannot be used: dist/ missing or older than src/ (the shim runs from
 * dist/cli.js as examples/reference.json says; starting it from the TypeScript sources takes
 * seconds per case). Undefined when it can.
 */
export function referenceCommandUnavailable(): string | undefined {
  if (!existsSync(DIST_CLI)) return 'dist/ is not built (npm run build)';
  if (statSync(DIST_CLI).mtimeMs < newestMtime(path.join(REPO, 'src'))) return 'dist/ is older than src/ (npm run build)';
  return undefined;
}

/** examples/reference.json as it is, with `extra` argv elements appended (e.g. a knob). */
export function referenceIutFile(dir: string, extra: string[] = [], name = 'reference.json'): string {
  const doc = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as { command: unknown[] };
  doc.command = [doc.command[0], DIST_CLI, ...doc.command.slice(2), ...extra];
  delete (doc as Record<string, unknown>)['$schema'];
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

export function hostileIutFile(dir: string, script: string, over: Record<string, unknown> = {}): string {
  const doc = {
    profile: 1,
    name: script.replace(/\.mjs$/, ''),
    version: '0',
    command: [process.execPath, path.join(HOSTILE, script), '{listen_host}', '{listen_port}'],
    startTimeoutMs: 5000,
    stopGraceMs: 300,
    capabilities: { roles: ['responder'], methods: ['x25519', 'p256'], ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'], level: 2 },
    ...over,
  };
  const file = path.join(dir, `${doc.name}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export function hostileIut(dir: string, script: string, over: Record<string, unknown> = {}): ImplementationUnderTest {
  return processImplementation(loadIutConfig(hostileIutFile(dir, script, over)));
}

/** Credentials that no hostile program reads. */
export function dummyCredentials(dir: string): IutCredentials {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { userId: 'hostile@example.com', privateKey, chain: [], trustAnchors: [], files: { key: path.join(dir, 'k'), chain: path.join(dir, 'c'), anchors: path.join(dir, 'a') } };
}

/** Running (a zombie, dead but not reaped, is not). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
