// Ready, then writes garbage to standard output without end (and hangs on the socket).
import { listen } from './common.mjs';
const junk = `${'garbage '.repeat(1024)}\n`;
const pump = () => { while (process.stdout.write(junk)) {} process.stdout.once('drain', pump); };
process.stdout.on('error', () => {});
listen((s) => s.on('data', () => {}), { then: pump });
