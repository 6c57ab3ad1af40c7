// Issue 11 §4: exit status 3 when the bench itself could not run (here: its environment does not
// start, as on a host where no loopback address can be listened on). The fault is real to the
// code under test: every server's listen() fails with EADDRNOTAVAIL for the length of a test, and
// the runner and the command line meet it through their own IRP stub start-up.
import t from 'tap';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runMain } from '../../src/cli/run-main.js';
import { registerRunCommand } from '../../src/cli/run.js';
import { runConformance } from '../../src/run/runner.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-cannot-run-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));

/** Makes every listen() of this process fail as an unusable address does, until the test ends. */
function noAddressToListenOn(t: { teardown: (fn: () => void) => void }): void {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server) {
    process.nextTick(() => this.emit('error', Object.assign(new Error('listen EADDRNOTAVAIL: address not available ::1'), { code: 'EADDRNOTAVAIL', syscall: 'listen' })));
    return this;
  } as typeof listen;
  t.teardown(() => {
    net.Server.prototype.listen = listen;
  });
}

t.test('the runner: an environment that does not start is BenchCannotRunError, with its reason', async (t) => {
  noAddressToListenOn(t);
  await t.rejects(runConformance({ suites: ['irp'] }), {
    name: 'BenchCannotRunError',
    message: "the run's environment (IRP stub and enrolled users) did not start: listen EADDRNOTAVAIL: address not available ::1",
  });
});

t.test('the command line: the bench could not run is exit 3 with the reason', async (t) => {
  noAddressToListenOn(t);
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
