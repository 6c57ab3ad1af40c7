// The hostile-load probes of issue 13 section 2, against a reference UA listening on loopback:
// each one opens a bounded number of connections or sends a bounded number of bytes, stops by
// itself, closes everything it opened, and returns what it saw. test/bench/listener-probes.test.ts
// runs them small and checks the counts (never a time); `npm run bench` runs them at the sizes the
// issue reported and prints the figures (src/bench/main.ts, docs/performance.md).
//
//   connection flood   N connections each sending an almost-full frame and then waiting:
//                      how many the listener holds, how many it refuses, peak RSS per held
//                      connection, time from connect to the refusal (E2ED-LIM-7, -8)
//   slow registry      a valid Hello, then records as fast as the socket takes them while the
//                      status request hangs: bytes the listener holds (E2ED-LIM-7)
//   foreign Hellos     Hellos whose chain reaches no trust anchor: registry requests (E2ED-LIM-9)
//   reference frames   1 MiB frames of `&#x41;`: time and garbage per frame (E2ED-XML-9)
import net from 'node:net';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { createTestPki, type TestPki } from '../pki/ca.js';
import { Connection } from '../protocol/engine.js';
import { DEFAULT_MAX_FRAME_LENGTH, encodeFrame, frameHeader, FrameType } from '../protocol/frame.js';
import { decodeE2ed } from '../protocol/messages.js';
import { seededRandom } from '../protocol/random.js';
import { UserAgent, type PeerDirectory, type UaConnection, type UserAgentOptions } from '../ua/agent.js';
import type { UaEvent } from '../ua/events.js';

const MiB = 1024 * 1024;

export interface ProbePki {
  pki: TestPki;
  /** A CA the listener does not trust, with a user of the same ID. */
  foreign: TestPki;
}

export function probePki(): ProbePki {
  return {
    pki: createTestPki({ seed: 'listener probes', users: ['alice@example.com', 'bob@example.com'] }),
    foreign: createTestPki({ seed: 'listener probes, foreign CA', users: ['alice@example.com'] }),
  };
}

/** A directory that counts status requests and answers "good", at once or when released. */
function probeDirectory(hold: boolean): PeerDirectory & { requests: number; release(): void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  if (!hold) release();
  const dir = {
    requests: 0,
    release: () => release(),
    lookup: async (userId: string): Promise<never> => {
      throw new Error(`the probe directory has no address for ${userId}`);
    },
    isRevoked: async (): Promise<boolean> => {
      dir.requests += 1;
      await released;
      return false;
    },
  };
  return dir;
}

async function listener(p: ProbePki, extra: Partial<UserAgentOptions>): Promise<{ ua: UserAgent; port: number; events: UaEvent[] }> {
  const bob = p.pki.user('bob@example.com');
  const events: UaEvent[] = [];
  const ua = new UserAgent({
    identity: { userId: bob.userId, privateKey: bob.privateKey, chain: bob.chain, trustAnchors: p.pki.anchors },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  const { port } = await ua.listen({ port: 0, host: '127.0.0.1' });
  return { ua, port, events };
}

/** The Hello_I a correct initiator with alice's chain from `from` sends to bob. */
export function probeHello(from: TestPki, chain?: Buffer[]): Buffer {
  const u = from.user('alice@example.com');
  const c = new Connection({
    role: 'initiator',
    userId: u.userId,
    certificateChain: chain ?? u.chain,
    privateKey: u.privateKey,
    peerUserId: 'bob@example.com',
    verifyPeer: () => ({ ok: false, alert: 'bad_certificate', reason: 'a probe never reads Hello_R' }),
    rng: seededRandom('listener probe hello'),
  });
  return Buffer.concat(c.start().frames);
}

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function closedOf(socket: net.Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Samples the process RSS every few milliseconds until stopped; returns the peak. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export interface FloodFigures {
  connections: number;
  frameBytes: number;
  /** Accepted connections the listener held at once (its own count). */
  held: number;
  refused: number;
  /** Refused connections the client saw closed (all of them, or the probe says so). */
  refusedClosed: number;
  /** Peak RSS above the level before the flood, whole process (clients in it too), per held connection. */
  peakRssPerHeldConnection: number;
  peakRssDelta: number;
  /** Median time from the client's connect to its seeing the refusal. */
  medianMsToRefuse: number;
}

/**
 * N clients each send the header of a frame of `frameBytes` and all of it but the last byte, then
 * wait. The listener runs with its default limits unless `limits` says otherwise.
 */
export async function probeConnectionFlood(
  p: ProbePki,
  opts: { connections: number; maxFrameLength?: number; limits?: Pick<UserAgentOptions, 'maxConnections' | 'maxHandshakes'> },
): Promise<FloodFigures> {
  const maxFrameLength = opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
  // A handshake timer longer than the probe: every close the clients see is a refusal.
  const { ua, port, events } = await listener(p, { maxFrameLength, handshakeTimeoutMs: 120_000, ...opts.limits });
  const almost = Buffer.concat([frameHeader(FrameType.Plaintext, maxFrameLength - 1), Buffer.alloc(maxFrameLength - 2, 0x20)]);
  const clients: net.Socket[] = [];
  const refusalTimes: number[] = [];
  const before = process.memoryUsage.rss();
  const sampler = rssSampler();
  let held = 0;
  let peak = before;
  let refusals: number[] = [];
  try {
    for (let i = 0; i < opts.connections; i++) {
      const started = performance.now();
      const socket = await connectRaw(port);
      clients.push(socket);
      let seenClosed = false;
      const done = (): void => {
        if (!seenClosed) refusalTimes.push(performance.now() - started);
        seenClosed = true;
      };
      socket.once('end', done);
      socket.once('close', done);
      socket.resume(); // read (and drop) whatever comes, so that the FIN is seen
      socket.write(almost);
      held = Math.max(held, ua.incomingCounts.connections);
    }
    // Let the writes land and the refusals arrive, then take the listener's count at rest.
    await until(() => refusalTimes.length >= opts.connections - ua.incomingCounts.connections, 5000);
    await new Promise((r) => setTimeout(r, 100));
    held = Math.max(held, ua.incomingCounts.connections);
  } finally {
    peak = sampler.stop();
    refusals = [...refusalTimes]; // before our own destroy() closes the held ones
    for (const c of clients) c.destroy();
    await Promise.all(clients.map(closedOf));
    await until(() => ua.incomingCounts.connections === 0, 5000);
    await ua.close();
  }
  const sorted = refusals.sort((x, y) => x - y);
  return {
    connections: opts.connections,
    frameBytes: almost.length,
    held,
    refused: events.filter((e) => e.event === 'connection_refused').length,
    refusedClosed: refusals.length,
    peakRssDelta: peak - before,
    peakRssPerHeldConnection: held > 0 ? (peak - before) / held : 0,
    medianMsToRefuse: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : 0,
  };
}

export interface SlowRegistryFigures {
  offeredBytes: number;
  /** What the listener held for the connection when the flood stopped. */
  heldBytes: number;
  ms: number;
  /** The alert the listener sent once the status came (records before the handshake). */
  alert: string | undefined;
}

/** A valid Hello, then records for `ms` (or `maxBytes`) while the status request hangs. */
export async function probeSlowRegistry(p: ProbePki, opts: { ms: number; maxBytes: number }): Promise<SlowRegistryFigures> {
  const directory = probeDirectory(true);
  // A handshake timer longer than the probe: the hold ends when the status comes, not before.
  const { ua, port } = await listener(p, { directory, handshakeTimeoutMs: opts.ms + 60_000 });
  const accepted = new Promise<UaConnection>((resolve) => ua.onConnection(resolve));
  const socket = await connectRaw(port);
  try {
    socket.write(probeHello(p.pki));
    const conn = await accepted;
    await until(() => directory.requests > 0, 2000);
    const record = encodeFrame(FrameType.Record, Buffer.alloc(64 * 1024 - 1));
    const start = performance.now();
    let offered = 0;
    while (offered < opts.maxBytes && performance.now() - start < opts.ms) {
      offered += record.length;
      if (!socket.write(record)) {
        const left = opts.ms - (performance.now() - start);
        const drained = await Promise.race([
          new Promise<boolean>((r) => socket.once('drain', () => r(true))),
          new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, left))),
        ]);
        if (!drained) break;
      }
    }
    const ms = performance.now() - start;
    const heldBytes = conn.heldInputBytes;
    directory.release();
    const closed = await conn.closed;
    return { offeredBytes: offered - socket.writableLength, heldBytes, ms, alert: closed.alert };
  } finally {
    socket.destroy();
    await ua.close();
  }
}

export interface ForeignHelloFigures {
  hellos: number;
  registryRequests: number;
  /** The alerts the listener sent, by name. */
  alerts: Record<string, number>;
}

/** Hellos whose chains reach no trust anchor of the listener: a foreign CA's chain, its leaf alone, its root. */
export async function probeForeignHellos(p: ProbePki, opts: { hellos: number }): Promise<ForeignHelloFigures> {
  const directory = probeDirectory(false);
  const { ua, port } = await listener(p, { directory });
  const user = p.foreign.user('alice@example.com');
  const kinds = [probeHello(p.foreign), probeHello(p.foreign, [user.chain[0]!]), probeHello(p.foreign, [p.foreign.anchors[0]!])];
  const alerts: Record<string, number> = {};
  try {
    for (let i = 0; i < opts.hellos; i++) {
      const socket = await connectRaw(port);
      socket.write(kinds[i % kinds.length]!);
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      await closedOf(socket);
      const reply = Buffer.concat(chunks);
      let alert = 'none';
      try {
        const m = decodeE2ed(reply.subarray(5, 4 + reply.readUInt32BE(0)));
        alert = m.kind === 'Alert' ? m.code : m.kind;
      } catch {
        // no reply, or not a frame: counted as 'none'
      }
      alerts[alert] = (alerts[alert] ?? 0) + 1;
    }
    return { hellos: opts.hellos, registryRequests: directory.requests, alerts };
  } finally {
    await ua.close();
  }
}

export interface ReferenceFrameFigures {
  frames: number;
  msPerFrame: number;
  /** Bytes the garbage collector freed while the frames were decoded, per frame. */
  garbagePerFrame: number;
}

/** Decodes `frames` 1 MiB Messages whose text is `&#x41;` throughout (each refused: over 65536 characters). */
export function probeReferenceFrames(opts: { frames: number }): ReferenceFrameFigures {
  const head = '<Message xmlns="urn:sixchat:e2ed:1" id="a" timestamp="2026-01-01T00:00:00Z">';
  const tail = '</Message>';
  const doc = Buffer.from(head + '&#x41;'.repeat(Math.floor((MiB - 1 - head.length - tail.length) / 6)) + tail);
  const profiler = new v8.GCProfiler();
  profiler.start();
  const start = performance.now();
  for (let i = 0; i < opts.frames; i++) {
    try {
      decodeE2ed(doc);
    } catch {
      // refused as expected (E2ED-APP-1)
    }
  }
  const ms = performance.now() - start;
  const stats = profiler.stop()?.statistics ?? [];
  const freed = stats.reduce((sum, s) => sum + Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize), 0);
  return { frames: opts.frames, msPerFrame: ms / opts.frames, garbagePerFrame: freed / opts.frames };
}

export interface ReassemblyFigures {
  frameBytes: number;
  chunkBytes: number;
  /** Bytes allocated by Buffer.allocUnsafe and Buffer.concat while the frame was held. */
  allocatedBytes: number;
  cpuMs: number;
}

/**
 * A first frame of `frameBytes` arriving in chunks of `chunkBytes` while the listener holds input
 * back (it has a directory): what holding it costs. The chunks are handed to the accepted
 * connection's socket as 'data' events, so the chunking is exact (TCP would merge small writes).
 */
export async function probeHeldReassembly(p: ProbePki, opts: { frameBytes: number; chunkBytes: number }): Promise<ReassemblyFigures> {
  const { ua, port } = await listener(p, { directory: probeDirectory(true) });
  const accepted = new Promise<UaConnection>((resolve) => ua.onConnection(resolve));
  const client = await connectRaw(port);
  try {
    const conn = await accepted;
    const socket = (conn as unknown as { socket: net.Socket }).socket; // the probe feeds it directly
    const frame = Buffer.concat([frameHeader(FrameType.Plaintext, opts.frameBytes - 5), Buffer.alloc(opts.frameBytes - 5, 0x20)]);
    // All but the last byte: the frame stays held, nothing reaches the engine.
    const chunks: Buffer[] = [];
    for (let at = 0; at < frame.length - 1; at += opts.chunkBytes) chunks.push(frame.subarray(at, Math.min(frame.length - 1, at + opts.chunkBytes)));
    let allocated = 0;
    const { allocUnsafe, concat } = Buffer;
    Buffer.allocUnsafe = (size: number) => ((allocated += size), allocUnsafe(size));
    Buffer.concat = (list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      allocated += out.length;
      return out;
    };
    const cpu = process.cpuUsage();
    try {
      for (const c of chunks) socket.emit('data', c);
    } finally {
      Buffer.allocUnsafe = allocUnsafe;
      Buffer.concat = concat;
    }
    const used = process.cpuUsage(cpu);
    return { frameBytes: frame.length, chunkBytes: opts.chunkBytes, allocatedBytes: allocated, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    client.destroy();
    await ua.close();
  }
}

export interface ListenerBenchResult {
  flood: FloodFigures;
  slowRegistry: SlowRegistryFigures;
  foreignHellos: ForeignHelloFigures;
  referenceFrames: ReferenceFrameFigures;
  reassemblyOneWrite: ReassemblyFigures;
  reassemblySmallWrites: ReassemblyFigures;
}

/** The probes at the sizes issue 13 reported (`npm run bench`). */
export async function benchListener(log: (line: string) => void = () => undefined): Promise<ListenerBenchResult> {
  const p = probePki();
  log('listener: 1,000 connections each sending an almost-full 1 MiB frame');
  const flood = await probeConnectionFlood(p, { connections: 1000 });
  log('listener: 10 s of records behind a status request that never answers');
  const slowRegistry = await probeSlowRegistry(p, { ms: 10_000, maxBytes: 1024 * MiB });
  log('listener: 300 Hellos whose chains reach no trust anchor');
  const foreignHellos = await probeForeignHellos(p, { hellos: 300 });
  log('listener: twenty 1 MiB frames of character references');
  const referenceFrames = probeReferenceFrames({ frames: 20 });
  log('listener: a 1 MiB first frame held in one write and in 1 KiB writes');
  const reassemblyOneWrite = await probeHeldReassembly(p, { frameBytes: MiB, chunkBytes: MiB });
  const reassemblySmallWrites = await probeHeldReassembly(p, { frameBytes: MiB, chunkBytes: 1024 });
  return { flood, slowRegistry, foreignHellos, referenceFrames, reassemblyOneWrite, reassemblySmallWrites };
}

/** The figures as `npm run bench` prints them. */
export function formatListenerBench(r: ListenerBenchResult): string {
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  const f = r.flood;
  const s = r.slowRegistry;
  const h = r.foreignHellos;
  const x = r.referenceFrames;
  const [one, small] = [r.reassemblyOneWrite, r.reassemblySmallWrites];
  return [
    `E2ED listener under hostile load (loopback, default limits: 256 connections, 64 handshakes, 1 MiB frames):`,
    `  connection flood      ${f.connections} connections x ${mib(f.frameBytes)} almost-full frame: held ${f.held}, refused ${f.refused} (${f.refusedClosed} saw the close),`,
    `                        peak RSS +${mib(f.peakRssDelta)} (${mib(f.peakRssPerHeldConnection)} per held connection), median ${f.medianMsToRefuse.toFixed(1)} ms to refuse`,
    `  slow registry         ${mib(s.offeredBytes)} taken by the socket in ${(s.ms / 1000).toFixed(1)} s while the status hangs: ${s.heldBytes} bytes held; then ${s.alert ?? 'no alert'}`,
    `  foreign Hellos        ${h.hellos} Hellos: ${h.registryRequests} registry requests; alerts ${Object.entries(h.alerts).map(([a, n]) => `${a} ${n}`).join(', ')}`,
    `  reference frames      ${x.frames} x 1 MiB of &#x41;: ${x.msPerFrame.toFixed(1)} ms and ${mib(x.garbagePerFrame)} of garbage per frame`,
    `  held first frame      1 MiB in one write: ${mib(one.allocatedBytes)} allocated, ${one.cpuMs.toFixed(1)} ms CPU; in 1 KiB writes: ${mib(small.allocatedBytes)}, ${small.cpuMs.toFixed(1)} ms`,
  ].join('\n');
}
