// Runs the whole sixbench command line in this process (the program the binary builds, through
// runMain) and captures its exit status and output. Not a test file.
import { buildProgram } from '../../src/cli/program.js';
import { runMain } from '../../src/cli/run-main.js';

export interface Outcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function sixbench(args: string[], opts: { onStdout?: typeof process.stdout.write } = {}): Promise<Outcome> {
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
    await runMain(buildProgram(), ['node', 'sixbench', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = previous;
  return { exitCode, stdout, stderr };
}
