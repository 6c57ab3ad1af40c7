// Whether the tests can run real tshark (.ci/run installs it from Debian); the tests that need it
// skip with this reason where it is absent, never silently.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** undefined when tshark runs; otherwise the reason to skip. */
export async function tsharkAvailable(): Promise<string | undefined> {
  try {
    await run('tshark', ['--version']);
    return undefined;
  } catch {
    return 'tshark is not installed (.ci/run installs it: apt-get install tshark)';
  }
}
