// Where a report comes from: the bench's version and git commit, the Node and OpenSSL versions,
// and the title and status line of docs/spec.md, so a report read months later says what produced it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Provenance } from './types.js';

/** The spec's title (first heading) and version (the `Status:` line's draft or version word). */
export function specVersion(specText: string): { title: string; version: string } {
  const title = /^# (.+)$/m.exec(specText)?.[1]?.trim() ?? 'unknown';
  const status = /^Status: (?:draft )?([^\s.]+(?:\.[^\s.]+)*)/m.exec(specText)?.[1] ?? 'unknown';
  return { title, version: status };
}

function gitCommit(repoRoot: string): string | null {
  if (process.env.SIXBENCH_COMMIT && /^[0-9a-f]{7,40}$/.test(process.env.SIXBENCH_COMMIT)) return process.env.SIXBENCH_COMMIT;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

export function provenance(repoRoot: string, specPath: string): Provenance {
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // a bench without its package.json still reports the rest
  }
  let spec = { title: 'unknown', version: 'unknown' };
  try {
    spec = specVersion(readFileSync(specPath, 'utf8'));
  } catch {
    // the run itself refuses to start without the spec; here unknown is enough
  }
  return {
    bench: { name: 'sixbench', version, commit: gitCommit(repoRoot) },
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    spec,
  };
}
