#!/usr/bin/env node
// The sixbench command line. Each command group lives in src/cli/<group>.ts and registers
// itself here; every command has --help (commander adds it).
import { Command } from 'commander';
import { registerVectorsCommands } from './cli/vectors.js';
import { registerPkiCommands } from './cli/pki.js';
import { registerUaCommands } from './cli/ua.js';
import { registerIrpCommands } from './cli/irp.js';
import { registerRunCommand } from './cli/run.js';
import { registerShimCommand } from './cli/shim.js';
import { registerMatrixCommand } from './cli/matrix.js';
import { runMain } from './cli/run-main.js';

const program = new Command();
program
  .name('sixbench')
  .description('Conformance and interop test bench for SixChat End2End Direct (E2ED) and IRP')
  .showHelpAfterError();
registerVectorsCommands(program);
registerPkiCommands(program);
registerUaCommands(program);
registerIrpCommands(program);
registerRunCommand(program);
registerShimCommand(program);
registerMatrixCommand(program);
await runMain(program, process.argv);
