#!/usr/bin/env node
// The sixbench command line. Each command group lives in src/cli/<group>.ts and registers
// itself in src/cli/program.ts; every command has --help (commander adds it).
import { runMain } from './cli/run-main.js';

// `sixbench shim` is started once per case of a run through the adapter (examples/reference.json):
// it loads its own command only, not the modules of every other command (about 0.2 s of the 0.45 s
// a start took). Its options and help are the same in both programs.
async function programFor(argv: string[]): Promise<import('commander').Command> {
  if (argv[2] === 'shim') {
    const [{ programBase }, { registerShimCommand }] = await Promise.all([import('./cli/base.js'), import('./cli/shim.js')]);
    const program = programBase();
    registerShimCommand(program);
    return program;
  }
  return (await import('./cli/program.js')).buildProgram();
}

await runMain(await programFor(process.argv), process.argv);
