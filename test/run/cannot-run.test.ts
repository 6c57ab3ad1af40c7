// Issue 11 §4: exit status 3 when the bench itself could not run (here: its environment does not
// start). In a file of its own: the mock of the environment must reach a module graph that no
// static import of this file loaded first.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runMain } from '../../src/cli/run-main.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-cannot-run-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

t.test('the runner: an environment that does not start is BenchCannotRunError, with its reason', async (t) => {
  const runner = await t.mockImport<typeof import('../../src/run/runner.js')>('../../src/run/runner.js', {
    '../../src/run/environment.js': {
      RunEnvironment: { start: () => Promise.reject(new Error('listen EADDRNOTAVAIL: address not available ::1')) },
    },
  });
  await t.rejects(runner.runConformance({ suites: ['irp'] }), {
    name: 'BenchCannotRunError',
    message: "the run's environment (IRP stub and enrolled users) did not start: listen EADDRNOTAVAIL: address not available ::1",
  });
});

t.test('the command line: the bench could not run is exit 3 with the reason', async (t) => {
  const actual = await import('../../src/run/runner.js');
  const { registerRunCommand } = await t.mockImport<typeof import('../../src/cli/run.js')>('../../src/cli/run.js', {
    '../../src/run/runner.js': {
      ...actual,
      runConformance: () => Promise.reject(new actual.BenchCannotRunError("the run's environment (IRP stub and enrolled users) did not start: listen EADDRNOTAVAIL")),
    },
  });
  const program = new Command().name('sixbench');
  registerRunCommand(program);
  let stderr = '';
  const err = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  const previous = process.exitCode;
  try {
    await runMain(program, ['node', 'sixbench', 'run', '--suite', 'irp', '--out', dir]);
  } finally {
    process.stderr.write = err;
  }
  const code = process.exitCode;
  process.exitCode = previous;
  t.equal(code, 3);
  t.match(stderr, /^sixbench: the bench could not run: the run's environment \(IRP stub and enrolled users\) did not start: listen EADDRNOTAVAIL/);
});
