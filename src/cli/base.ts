// The program without its commands (name, description, version): what src/cli/program.ts adds
// every command group to, and what `sixbench shim` alone is built on (src/cli.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

/** The version in package.json of this installation (src/cli/ and dist/cli/ are both two levels down). */
export function benchVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** The program without its commands: name, description, version. */
export function programBase(): Command {
  return new Command()
    .name('sixbench')
    .description('Conformance and interop test bench for SixChat End2End Direct (E2ED) and IRP')
    .version(benchVersion(), '-V, --version', 'print the version of sixbench')
    .showHelpAfterError();
}

