// The IRP stub in a process of its own, for the hostile-load bench (src/bench/irp.ts): the RSS it
// reports is the stub's alone, not mixed with the attacking sockets of the bench process.
// Forked with one JSON argument (IrpServerOptions without functions); it sends
// { port, rootPem } once listening and answers every 'sample' (or 'sample-after-gc') message
// with a StubSample.
import { IrpServer } from '../irp/server.js';
import type { IrpServerOptions } from '../irp/config.js';

export interface StubSample {
  rss: number;
  connections: number;
  /** User and system CPU of the whole process so far (every thread), in microseconds. */
  cpuMicros: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as IrpServerOptions;
  const server = await IrpServer.start({ host: '127.0.0.1', port: 0, seed: 'bench-irp', ...options });
  process.on('message', (m: unknown) => {
    if (m === 'sample' || m === 'sample-after-gc') {
      // A collection first makes RSS figures comparable; it is not done for CPU samples, which it would distort.
      if (m === 'sample-after-gc') global.gc?.();
      const cpu = process.cpuUsage();
      const sample: StubSample = { rss: process.memoryUsage().rss, connections: server.connectionCount, cpuMicros: cpu.user + cpu.system };
      process.send?.(sample);
    } else if (m === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ port: server.port, rootPem: server.rootCertificatePem });
}

await main();
