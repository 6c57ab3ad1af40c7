// `sixbench irp ...` commands.
import type { Command } from 'commander';

export function registerIrpCommands(program: Command): void {
  void program;
}
