// A broken key log around a working implementation: runs the command after the fault name with
// its --keylog pointed at a private file, and when that command ends writes the key log the bench
// reads, with one fault: `wrong-secret` (one byte of E2ED_MASTER_SECRET changed), `wrong-nonce`
// (every line keyed by another nonce_I), `omit-update` (no traffic secret of generation 1 or
// later). Used by test/iut/keylog-faults.test.ts; the session keys themselves are right.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [fault, command, ...args] = process.argv.slice(2);
const at = args.indexOf('--keylog');
const keylog = at >= 0 ? args[at + 1] : undefined;
if (keylog) args[at + 1] = `${keylog}.true`;

const lie = (line) => {
  const [label, nonce, secret] = line.split(' ');
  if (!secret) return line;
  if (fault === 'wrong-secret' && label === 'E2ED_MASTER_SECRET') return `${label} ${nonce} ${secret.slice(0, -2)}${secret.endsWith('00') ? '01' : '00'}`;
  if (fault === 'wrong-nonce') return `${label} ${'ab'.repeat(32)} ${secret}`;
  if (fault === 'omit-update' && /_TRAFFIC_SECRET_([1-9]\d*)$/.test(label)) return undefined;
  return line;
};

const child = spawn(command, args, { stdio: 'inherit' });
// The bench ends the whole process group; this one waits for the command to end, then writes.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => {
  if (keylog) {
    let text = '';
    try {
      text = readFileSync(`${keylog}.true`, 'utf8');
    } catch {
      // nothing logged
    }
    writeFileSync(keylog, text.split('\n').map(lie).filter((l) => l !== undefined).join('\n'));
  }
  process.exit(code ?? (signal ? 1 : 0));
});
