// `sixbench ua ...` commands.
import type { Command } from 'commander';

export function registerUaCommands(program: Command): void {
  void program;
}
