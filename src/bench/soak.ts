// `npm run soak [-- MINUTES]`: the hostile-load probes of issue 13 (src/bench/listener.ts,
// src/bench/irp.ts) run round after round for a bounded time (default 5 minutes, at most 120),
// on loopback only. Each round prints its figures; at the end the process's resident memory
// after each round is compared with the first round's, so that a leak across rounds (sockets,
// timers, buffers a refused connection left behind) shows as growth. `npm test` runs the same
// probes once at small sizes; `npm run bench` once at the sizes. Exit status 1 when the
// memory grew by more than half of the first round's, 2 for a bad argument.
import { benchIrpHostile } from './irp.js';
import { benchListener, formatListenerBench } from './listener.js';

const MiB = 1024 * 1024;

function minutesFromArgs(argv: readonly string[]): number {
  const text = argv[0] ?? '5';
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 120) {
    process.stderr.write(`soak: the duration is a whole number of minutes from 1 to 120, got "${text}"\n`);
    process.exit(2);
  }
  return Number(text);
}

async function main(): Promise<void> {
  const minutes = minutesFromArgs(process.argv.slice(2));
  const deadline = Date.now() + minutes * 60_000;
  const rss: number[] = [];
  const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
  for (let round = 1; Date.now() < deadline; round++) {
    process.stdout.write(`\nround ${round} (${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left)\n`);
    process.stdout.write(`${formatListenerBench(await benchListener(log))}\n`);
    const irp = await benchIrpHostile({ log });
    process.stdout.write(`IRP stub: ${irp.silent.heldWithDefaults} of ${irp.silent.connections} silent connections held, ${irp.partialFrames.heldWithDefaults} of ${irp.partialFrames.connections} partial frames held; login flood ${irp.loginFlood.unauthenticated} checked / ${irp.loginFlood.rateLimited} rate_limited of ${irp.loginFlood.attempts}\n`);
    globalThis.gc?.();
    rss.push(process.memoryUsage().rss);
    process.stdout.write(`process RSS after the round: ${(rss[rss.length - 1]! / MiB).toFixed(1)} MiB\n`);
  }
  const first = rss[0]!;
  const last = rss[rss.length - 1]!;
  const grew = last - first;
  process.stdout.write(`\n${rss.length} rounds in ${minutes} min; RSS ${(first / MiB).toFixed(1)} MiB after the first, ${(last / MiB).toFixed(1)} MiB after the last (${grew >= 0 ? '+' : ''}${(grew / MiB).toFixed(1)} MiB)\n`);
  process.exitCode = rss.length > 1 && grew > first / 2 ? 1 : 0;
}

await main();
