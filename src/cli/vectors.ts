// `sixbench vectors ...` commands.
import type { Command } from 'commander';

export function registerVectorsCommands(program: Command): void {
  void program;
}
