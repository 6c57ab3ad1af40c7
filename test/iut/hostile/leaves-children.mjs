// Starts a child in its own process group (the default), reports the child's pid, is ready, then hangs.
import { spawn } from 'node:child_process';
import { listen } from './common.mjs';
const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
process.stderr.write(`child ${child.pid}\n`);
process.stdout.write(`${JSON.stringify({ event: 'child', pid: child.pid })}\n`);
listen((s) => s.on('data', () => {}));
