#!/usr/bin/env node
// The sixbench command line. Each command group lives in src/cli/<group>.ts and registers
// itself in src/cli/program.ts; every command has --help (commander adds it).
import { buildProgram } from './cli/program.js';
import { runMain } from './cli/run-main.js';

await runMain(buildProgram(), process.argv);
