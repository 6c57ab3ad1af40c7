// `sixbench irp serve`: option errors are clear sentences (UsageError), before anything listens.
import t from 'tap';
import { Command } from 'commander';
import { registerIrpCommands } from '../../src/cli/irp.js';

function program(): Command {
  const p = new Command();
  p.exitOverride();
  registerIrpCommands(p);
  return p;
}

const serve = (...args: string[]): Promise<unknown> => program().parseAsync(['node', 'sixbench', 'irp', 'serve', ...args]);

t.test('refuses unknown lies, malformed accounts and ports with a UsageError', async (t) => {
  await t.rejects(serve('--lie', 'nonsense'), { name: 'UsageError', message: /unknown lie "nonsense"/ });
  await t.rejects(serve('--lie', 'slow'), { name: 'UsageError' });
  await t.rejects(serve('--user', 'alice@example.com'), { name: 'UsageError', message: /ID:PASSWORD/ });
  await t.rejects(serve('--user', 'not-a-user:pw'), { name: 'UsageError' });
  await t.rejects(serve('--port', '70000'), { name: 'UsageError', message: /--port/ });
  await t.rejects(serve('--users', '/nonexistent/users.txt'), { name: 'UsageError', message: /users file/ });
});
