#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command();
program.name('sixbench').description('Conformance and interop test bench for E2ED and IRP');
await program.parseAsync(process.argv);
