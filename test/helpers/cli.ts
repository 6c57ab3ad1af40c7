// Runs sixbench commands in-process (as test/run/cli.test.ts does): stdout, stderr and the exit status.
import { Command } from 'commander';
import { runMain } from '../../src/cli/run-main.js';

export interface Outcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function sixbenchWith(register: ((program: Command) => void)[], args: string[]): Promise<Outcome> {
  const program = new Command().name('sixbench');
  for (const r of register) r(program);
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const previous = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await runMain(program, ['node', 'sixbench', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = previous;
  return { exitCode, stdout, stderr };
}
