// A reader that stops early (`sixbench pki defects | head -1`) must not make the command print a
// stack trace or fail: the pipe closing is the reader's choice, not an error (src/cli/run-main.ts).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const runMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'run-main.js');

// A command that writes far more than a pipe holds, through the CLI's own runMain.
const script = `
import { Command } from 'commander';
const { runMain } = await import(${JSON.stringify(pathToFileURL(runMain).href)});
const program = new Command('big');
program.action(async () => {
  const line = 'x'.repeat(1023) + '\\n';
  for (let i = 0; i < 4096; i++) if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once('drain', r));
});
await runMain(program, process.argv);
`;

t.test('output cut short by the reader', { skip: existsSync(runMain) ? false : 'dist/ is not built (npm install builds it)' }, async (t) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(runMain) });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Take the first chunk, then close our end, as `head -1` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  t.equal(stderr, '', 'nothing on stderr');
  t.equal(code, 0, 'exit status 0');
});
