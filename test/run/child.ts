// Runs the sources of the bench in a child process (the TypeScript loader the tests run under), so a
// test sees today's code, never a stale dist/. Not a test file: helpers for tests that need a
// whole process (exit status, exiting by itself, signals).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The TypeScript loader of this test process (package.json `tap.node-arg`: tsx), for a child that runs .ts files. */
export function loaderArgs(): string[] {
  return process.execArgv.filter((a) => a === '--import=tsx');
}

export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the child was still running at the bound (then it was killed). */
  hung: boolean;
}

export interface ChildOptions {
  boundMs: number;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  /** Called with the child once it is spawned (to send it a signal, say). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

export function runSource(args: string[], opts: ChildOptions): Promise<ChildOutcome> {
  const child = spawn(process.execPath, [...loaderArgs(), ...args], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.stdin ?? '');
  opts.onSpawn?.(child);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, opts.boundMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}
