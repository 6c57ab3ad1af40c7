// Writes lines that are not events, events that are malformed, one over-long line, then ready; then hangs.
import { listen } from './common.mjs';
process.stdout.write('hello, I am not JSON\n');
process.stdout.write('{"event": 42}\n');
process.stdout.write('[1,2,3]\n');
process.stdout.write('{"event":"closed","how":"sideways"}\n');
process.stdout.write('{"event":"listening","port":"not a number"}\n');
process.stdout.write(`${'x'.repeat(70 * 1024)}\n`);
listen((s) => s.on('data', () => {}));
