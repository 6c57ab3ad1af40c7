// Runs sixbench commands in-process: stdout, stderr and the exit status. Not a test file.
import { Command } from 'commander';
import { runMain } from '../../src/cli/run-main.js';

export interface Outcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `program` through runMain with `args`, capturing what it writes and the exit status it sets. */
export async function runProgram(program: Command, args: string[], opts: { onStdout?: typeof process.stdout.write } = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const previous = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    opts.onStdout?.(chunk);
    return true;
  }) as typeof process.stdout.write;
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

/** A program with only the given command groups registered; commander's own messages are dropped. */
export function sixbenchWith(register: ((program: Command) => void)[], args: string[]): Promise<Outcome> {
  const program = new Command().name('sixbench');
  for (const r of register) r(program);
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  return runProgram(program, args);
}
