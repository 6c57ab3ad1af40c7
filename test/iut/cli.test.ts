// Bad input to `sixbench run --iut` (issue 8, "Bad input"): a clear message naming file, field
// and value, exit status 2, and nothing started (no report written, no case run).
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, referenceCommandUnavailable } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sixbench-iut-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const out = path.join(dir, 'reports');
const skip = referenceCommandUnavailable() ?? false;

function run(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'run', '--out', out, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

function nothingStarted(t: Test): void {
  t.notOk(existsSync(out) && readdirSync(out).length > 0, 'no report written');
}

t.test('bad iut.json, bad expectations, bad endpoint options', { skip }, async (t) => {
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ profile: 1, name: 'x', version: '1', command: [process.execPath, '{colour}'], capabilities: { roles: ['responder'], methods: ['x25519'], ciphers: ['AES-256-GCM'], level: 1 } }));
  let r = run(['--iut', bad]);
  t.equal(r.status, 2);
  t.match(r.stderr, `${bad}: /command/1 uses the unknown placeholder {colour} (value: "{colour}")`);
  nothingStarted(t);

  writeFileSync(bad, '{"profile": 1, "name": "x", "version": "1", "command": ["/nonexistent/prog"], "capabilities": {"roles": ["responder"], "methods": ["x25519"], "ciphers": ["AES-256-GCM"], "level": 1}}');
  r = run(['--iut', bad]);
  t.equal(r.status, 2);
  t.match(r.stderr, /\/command\/0 is not an executable file .*"\/nonexistent\/prog"/);
  nothingStarted(t);

  const exp = path.join(dir, 'exp.txt');
  writeFileSync(exp, 'interop.nothing.like.this@* reason\n');
  r = run(['--iut', path.join(REPO, 'examples', 'reference.json'), '--expectations', exp]);
  t.equal(r.status, 2);
  t.match(r.stderr, `${exp}:1: "interop.nothing.like.this@*" matches no case of this run`);
  nothingStarted(t);

  r = run(['--iut-endpoint', '[::1]:4605']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--iut-endpoint needs --iut-user/);
  nothingStarted(t);
});
