// Runs the CLI and turns failures into one clear sentence and a non-zero exit status.
import type { Command } from 'commander';
import { CommanderError } from 'commander';

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
function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export async function runMain(program: Command, argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
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
