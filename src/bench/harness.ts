// The measuring loop shared by the throughput and handshake benchmarks: subjects measured in
// alternating slices, repeated operations, and a back-pressured pump.
import type net from 'node:net';
import { performance } from 'node:perf_hooks';

/** A benchmark subject kept open across measuring slices. */
export interface Subject {
  /** Runs for about `ms` and reports how many units (handshakes, bytes, messages) it did, and in how long. */
  runFor(ms: number): Promise<{ units: number; seconds: number }>;
  close(): Promise<void>;
}

/**
 * The machine is shared, so load changes during a run. E2ED and its node:tls baseline are measured
 * in alternating slices, so all see the same load and the ratios are fair even when the absolute
 * figures move.
 */
export async function interleaved(subjects: Subject[], totalMs: number, rounds = 6): Promise<number[]> {
  for (const subject of subjects) await subject.runFor(Math.min(200, totalMs / 10)); // warm-up: JIT, caches
  const sums = subjects.map(() => ({ units: 0, seconds: 0 }));
  for (let r = 0; r < rounds; r += 1) {
    for (const [i, subject] of subjects.entries()) {
      const got = await subject.runFor(totalMs / rounds);
      sums[i]!.units += got.units;
      sums[i]!.seconds += got.seconds;
    }
  }
  for (const subject of subjects) await subject.close();
  return sums.map((sum) => sum.units / sum.seconds);
}

/** Repeats `once` for about `ms`. */
export async function repeatFor(ms: number, once: () => Promise<void>): Promise<{ units: number; seconds: number }> {
  let units = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await once();
    units += 1;
  }
  return { units, seconds: (performance.now() - start) / 1000 };
}

/** Counts what a receiver got; listeners are called after each arrival. */
export interface ReceivedCounter {
  count: number;
  listeners: Array<() => void>;
}

/** Writes for about `ms` honouring back-pressure; the time runs until the receiver has everything sent. */
export async function pumpFor(
  ms: number,
  chunkBytes: number,
  send: () => void,
  needsDrain: () => boolean,
  drained: () => Promise<void>,
  received: ReceivedCounter,
): Promise<{ seconds: number }> {
  const target = { bytes: received.count };
  const start = performance.now();
  while (performance.now() - start < ms) {
    send();
    target.bytes += chunkBytes;
    if (needsDrain()) await drained();
  }
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (received.count < target.bytes) return;
      received.listeners.length = 0;
      resolve();
    };
    received.listeners.push(check);
    check();
  });
  return { seconds: (performance.now() - start) / 1000 };
}

/** A subject that pumps `send` through one client socket (TCP or TLS) to a server counting into `received`. */
export function socketPumpSubject(client: net.Socket, server: net.Server, unitBytes: number, send: () => void, received: ReceivedCounter): Subject {
  return {
    runFor: async (ms) => {
      const before = received.count;
      const drained = (): Promise<void> => new Promise<void>((resolve) => client.once('drain', () => resolve()));
      const r = await pumpFor(ms, unitBytes, send, () => client.writableNeedDrain, drained, received);
      return { units: received.count - before, seconds: r.seconds };
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
