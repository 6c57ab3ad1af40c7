// Runs the whole sixbench command line in this process (the program the binary builds, through
// runMain) and captures its exit status and output. Not a test file.
import { buildProgram } from '../../src/cli/program.js';
import { runProgram, type Outcome } from '../helpers/cli.js';

export type { Outcome };

export function sixbench(args: string[], opts: { onStdout?: typeof process.stdout.write } = {}): Promise<Outcome> {
  return runProgram(buildProgram(), args, opts);
}
