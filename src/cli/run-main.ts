// Runs the CLI and turns failures into one clear sentence and a non-zero exit status.
import type { Command } from 'commander';
import { CommanderError } from 'commander';

/**
 * Exit statuses of every command (docs/run.md): 0 success (every case passed), 1 a case failed
 * (or a check found a difference), 2 bad usage, 3 the bench could not run, 70 a defect of sixbench.
 */
export const USAGE_EXIT = 2;
export const CANNOT_RUN_EXIT = 3;

/** An error meant for the person at the terminal: its message is printed as is. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/**
 * A reader that stops early (`sixbench pki defects | head`) closes the pipe: the rest of the output
 * has nowhere to go, which is not an error of ours. Anything else on stdout is.
 */
let pipeWatched = false;
function exitQuietlyOnClosedPipe(): void {
  // Once per process: runMain may run more than once in one process (tests).
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export async function runMain(program: Command, argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  // On every command, not only the root: a subcommand's own parse error would otherwise call process.exit(1).
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with commander's 0. Every other commander error is bad usage
      // (unknown option or command, missing required option, missing or invalid value): exit 2,
      // which CI tells apart from a failed case (1); commander's own default would be 1.
      process.exitCode = err.exitCode === 0 ? 0 : USAGE_EXIT;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`sixbench: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sixbench: internal error: ${message}\n`);
    if (process.env.SIXBENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 70;
  }
}
