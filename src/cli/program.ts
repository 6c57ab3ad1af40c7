// The sixbench command line as one commander program: every command group registers itself
// here, so the binary (src/cli.ts) and the tests parse exactly the same options.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
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

/** The version in package.json of this installation (src/cli/ and dist/cli/ are both two levels down). */
export function benchVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sixbench')
    .description('Conformance and interop test bench for SixChat End2End Direct (E2ED) and IRP')
    .version(benchVersion(), '-V, --version', 'print the version of sixbench')
    .showHelpAfterError();
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
