// Ready, then dies by a signal as soon as a peer sends anything.
import { listen } from './common.mjs';
listen((s) => s.on('data', () => process.kill(process.pid, 'SIGSEGV')));
