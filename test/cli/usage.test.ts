// Issue 13 §4 and §1: usage errors exit 2 on every command (commander's default is 1, which CI
// cannot tell from a failed case), with a message naming the option; paths are checked before
// any work starts, naming the path and the problem.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sixbench } from './sixbench.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-usage-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
const aFile = path.join(dir, 'a-file');
await fs.writeFile(aFile, 'not a folder\n');

t.test('an unknown option exits 2 and names it, on the root and on subcommands', async (t) => {
  for (const args of [['--bogus'], ['run', '--bogus'], ['ua', 'send', '--to', 'a@b.c', '--text', 'x', '--dir', dir, '--bogus'], ['irp', 'serve', '--bogus'], ['vectors', 'check', '--bogus']]) {
    const r = await sixbench(args);
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, /unknown option '--bogus'/, `${args.join(' ')}: names the option`);
  }
});

t.test('a missing required option exits 2 and names it', async (t) => {
  const r = await sixbench(['ua', 'enroll']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /required option '--irp <HOST:PORT>' not specified/);
});

t.test('an unknown command and an invalid choice exit 2', async (t) => {
  t.equal((await sixbench(['nosuch'])).exitCode, 2);
  t.equal((await sixbench(['ua', 'enroll', '--irp', '[::1]:1', '--ca', 'x', '--user', 'a@b.c', '--password', 'p', '--dir', dir, '--key-type', 'dsa'])).exitCode, 2);
});

t.test('--help and --version exit 0; --version prints package.json\'s version', async (t) => {
  const pkg = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const v = await sixbench(['--version']);
  t.equal(v.exitCode, 0);
  t.equal(v.stdout, `${pkg.version}\n`);
  t.equal((await sixbench(['run', '--help'])).exitCode, 0);
});

t.test('run --out: a path that cannot be a report folder is refused before the run, exit 2', async (t) => {
  const cases: [string, RegExp][] = [
    [aFile, /^sixbench: the report folder .*a-file is a file, not a folder\.\n$/],
    [path.join(aFile, 'sub'), /^sixbench: cannot create the report folder .*a-file\/sub: .*a-file is a file\.\n$/],
    // Under /proc a recursive mkdir loops forever: this used to hang with no output.
    ['/proc/nope', /^sixbench: cannot create the report folder \/proc\/nope: no such file or folder\.\n$/],
    // A folder that exists but takes no new file (even for root).
    ['/proc/self', /^sixbench: cannot write in the report folder \/proc\/self: /],
  ];
  for (const [out, message] of cases) {
    const r = await sixbench(['run', '--suite', 'vectors', '--out', out]);
    t.equal(r.exitCode, 2, `${out}: exit 2`);
    t.match(r.stderr, message, `${out}: names the path and the problem`);
    t.equal(r.stdout, '', `${out}: no case ran`);
  }
});

t.test('vectors check --dir of a missing folder or a file: exit 2, the path named', async (t) => {
  const missing = await sixbench(['vectors', 'check', '--dir', path.join(dir, 'missing')]);
  t.equal(missing.exitCode, 2);
  t.match(missing.stderr, /^sixbench: the vector folder .*missing does not exist\.\n$/);
  const file = await sixbench(['vectors', 'check', '--dir', aFile]);
  t.equal(file.exitCode, 2);
  t.match(file.stderr, /is a file, not a folder/);
  const gen = await sixbench(['vectors', 'generate', '--out', '/proc/nope/vectors', '--no-spec']);
  t.equal(gen.exitCode, 2);
  t.match(gen.stderr, /cannot create the vector folder \/proc\/nope\/vectors: no such file or folder/);
});

t.test('irp serve --data of a file: exit 2 before anything listens', async (t) => {
  const r = await sixbench(['irp', 'serve', '--port', '0', '--data', aFile]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^sixbench: the data folder .*a-file is a file, not a folder\.\n$/);
  t.equal(r.stdout, '');
});

t.test('the binary builds `sixbench shim` alone (its fast start) with the help and options of the whole program', async (t) => {
  const { buildProgram } = await import('../../src/cli/program.js');
  const { runSource } = await import('../run/child.js');
  const whole = buildProgram().commands.find((c) => c.name() === 'shim')!;
  const alone = await runSource(['src/cli.ts', 'shim', '--help'], { boundMs: 60_000 });
  t.equal(alone.code, 0);
  t.equal(alone.stdout, whole.helpInformation(), 'the same help, option for option');
  const bad = await runSource(['src/cli.ts', 'shim', '--role', 'bystander'], { boundMs: 60_000 });
  t.equal(bad.code, 2, 'bad usage is still exit status 2');
  t.match(bad.stderr, /required option '--user-id <ID>' not specified/, 'named as the whole program names it');
});
