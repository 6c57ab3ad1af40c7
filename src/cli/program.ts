// The sixbench command line as one commander program: every command group registers itself
// here, so the binary (src/cli.ts) and the tests parse exactly the same options.
import type { Command } from 'commander';
import { programBase } from './base.js';
import { registerVectorsCommands } from './vectors.js';
import { registerPkiCommands } from './pki.js';
import { registerUaCommands } from './ua.js';
import { registerIrpCommands } from './irp.js';
import { registerRunCommand } from './run.js';
import { registerPcapCommands } from './pcap.js';
import { registerReportCommands } from './report.js';
import { registerCoverageCommand } from './coverage.js';
import { registerShimCommand } from './shim.js';
import { registerMatrixCommand } from './matrix.js';

export function buildProgram(): Command {
  const program = programBase();
  registerVectorsCommands(program);
  registerPkiCommands(program);
  registerUaCommands(program);
  registerIrpCommands(program);
  registerRunCommand(program);
  registerPcapCommands(program);
  registerReportCommands(program);
  registerCoverageCommand(program);
  registerShimCommand(program);
  registerMatrixCommand(program);
  return program;
}
