// Signed IRP look-ups per second over ONE TLS connection (never a timed test; run by
// src/bench/main.ts). An in-process stub on loopback; one user enrolled and registered; then the
// client keeps PIPELINE look-ups outstanding on the one connection (IRP-FRAME-4 allows it) until
// LOOKUPS have been answered. Every answer is fully verified by the client (registry signature,
// record decoding, the user's certificate chain), so the figure is what a User Agent gets.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { IrpClient } from '../irp/client.js';
import { IrpServer } from '../irp/server.js';
import type { IrpServerLimits } from '../irp/config.js';
import { FileRegistryStore, type IssuedCertificate } from '../irp/store.js';
import { createCsr } from '../pki/csr.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StubSample } from './irp-stub-process.js';

export interface IrpBenchOptions {
  lookups?: number;
  /** Look-ups kept in flight on the connection; 1 means strictly sequential. */
  pipeline?: number;
  log?: (line: string) => void;
}

export interface IrpBenchResult {
  lookupsPerSecond: number;
  lookups: number;
  pipeline: number;
}

export async function benchIrpLookups(opts: IrpBenchOptions = {}): Promise<IrpBenchResult> {
  const lookups = opts.lookups ?? 20_000;
  const pipeline = opts.pipeline ?? 32;
  const userId = 'alice@example.com';
  const server = await IrpServer.start({ host: '127.0.0.1', port: 0, seed: 'bench-irp', accounts: [{ userId, password: 'bench' }] });
  const client = await IrpClient.connect({ host: '127.0.0.1', port: server.port, caCertificates: [server.rootCertificatePem] });
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await client.login(userId, 'bench');
    const chain = await client.enroll(createCsr(privateKey, userId));
    await client.authenticate(userId, chain, privateKey);
    await client.register('::1', 4605);

    // Warm-up: the registry certificate check, parser caches and JIT.
    for (let i = 0; i < 500; i++) await client.lookup(userId);

    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < lookups) {
        started++;
        await client.lookup(userId);
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: pipeline }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const lookupsPerSecond = lookups / seconds;
    opts.log?.(`${lookups} verified look-ups, ${pipeline} in flight on one TLS connection: ${lookupsPerSecond.toFixed(0)}/s`);
    return { lookupsPerSecond, lookups, pipeline };
  } finally {
    await client.close();
    await server.close();
  }
}

// ---- the stub under hostile load (issue 13 §3; docs/spec.md 14.15) ----
//
// The probes of the security review, bounded (counts and deadlines fixed, loopback only, each
// stops by itself), with the figures `npm run bench` prints and docs/performance.md keeps. For
// the memory figures the stub runs in a process of its own (src/bench/irp-stub-process.ts), so
// its RSS is not mixed with the attacking sockets'.

export interface IrpHostileResult {
  /** Silent TCP connections (no TLS hello): per-connection RSS with caps raised; held and refused with the default caps. */
  silent: { connections: number; rssPerConnectionKiB: number; heldWithDefaults: number; refusedWithDefaults: number; refuseMs: number; closedAfterMs: number };
  /** TLS connections each holding an almost-full 1 MiB frame. */
  partialFrames: { connections: number; rssPerConnectionKiB: number; heldWithDefaults: number; peakRssDefaultsMiB: number; closedAfterMs: number };
  /** Logins with distinct unknown user IDs from one address, and another client's Capabilities meanwhile. */
  loginFlood: { attempts: number; unauthenticated: number; rateLimited: number; seconds: number; otherClientMs: number };
  /** Wrong-password Logins for a known user against unknown users, alternated (per-address limit raised). */
  loginTiming: { knownMedianMs: number; unknownMedianMs: number; knownCpuMs: number; unknownCpuMs: number; samples: number };
  /** fsynced commits per second on a small and a large registry. */
  store: { smallCertificates: number; smallCommitsPerSecond: number; largeCertificates: number; largeCommitsPerSecond: number };
}

const MiB = 1024 * 1024;

/** A stub in its own process: its port, its RSS and connection count on demand, and a stop. */
async function stubProcess(
  limits: Partial<IrpServerLimits>,
  options: { accounts?: { userId: string; password: string }[] } = {},
): Promise<{ port: number; rootPem: string; sample(afterGc?: boolean): Promise<StubSample>; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./irp-stub-process.js', import.meta.url));
  const child: ChildProcess = fork(script, [JSON.stringify({ limits, ...options })], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // Each awaited answer listens for the exit too, and lets go of that listener once answered, so
  // that a stub sampled many times does not pile up exit listeners.
  const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the stub process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
  const { port, rootPem } = await next<{ port: number; rootPem: string }>();
  return {
    port,
    rootPem,
    sample: (afterGc = false) => {
      const reply = next<StubSample>();
      child.send(afterGc ? 'sample-after-gc' : 'sample');
      return reply;
    },
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send('stop');
    }),
  };
}

function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A raw TCP connection and the time it is closed, counted from its own connect. */
function openRaw(port: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    let connectedAt = performance.now();
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - connectedAt)));
    socket.once('connect', () => {
      connectedAt = performance.now();
      resolve({ socket, closed });
    });
    socket.once('close', () => resolve({ socket, closed }));
  });
}

function closeOf(s: net.Socket): Promise<void> {
  // Nothing more to send: the stub closes at the frame deadline, the caps close at once.
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function silentConnections(log: (s: string) => void): Promise<IrpHostileResult['silent']> {
  const n = 200;
  // Caps raised, deadline long: what one held connection costs the stub.
  const a = await stubProcess({ maxConnections: 1000, maxConnectionsPerAddress: 1000, handshakeTimeoutMs: 60_000 });
  const before = await a.sample(true);
  const held = await Promise.all(Array.from({ length: n }, () => openRaw(a.port)));
  await settle(300);
  const after = await a.sample(true);
  const rssPerConnectionKiB = (after.rss - before.rss) / 1024 / Math.max(1, after.connections);
  held.forEach((h) => h.socket.destroy());
  await a.stop();

  // The default caps and a 1 s deadline: how many are held, how fast the rest are refused.
  const deadline = 1_000;
  const b = await stubProcess({ handshakeTimeoutMs: deadline });
  const opened = await Promise.all(Array.from({ length: n }, () => openRaw(b.port)));
  await settle(100);
  const heldWithDefaults = (await b.sample()).connections;
  // At the cap: one more connection at a time, each refused before TLS.
  const refusals: number[] = [];
  for (let i = 0; i < 20; i++) refusals.push(await (await openRaw(b.port)).closed);
  const lifetimes = await Promise.all(opened.map((o) => o.closed));
  const closedAfterMs = Math.max(...lifetimes);
  await b.stop();
  const refused = n - heldWithDefaults;
  log(`${n} silent TCP connections: ${rssPerConnectionKiB.toFixed(1)} KiB of stub RSS each when held; with the default caps ${heldWithDefaults} held until the ${deadline} ms deadline and ${refused} refused; one more at the cap refused ${median(refusals).toFixed(2)} ms after its connect (median of 20); the longest lived ${closedAfterMs.toFixed(0)} ms`);
  return { connections: n, rssPerConnectionKiB, heldWithDefaults, refusedWithDefaults: refused, refuseMs: median(refusals), closedAfterMs };
}

async function partialFrames(log: (s: string) => void): Promise<IrpHostileResult['partialFrames']> {
  const n = 100;
  const almostFull = (): Buffer => {
    const frame = Buffer.alloc(5 + MiB - 16);
    frame.writeUInt32BE(MiB, 0); // L: type byte + payload, the whole 1 MiB limit announced
    frame[4] = 0x01;
    return frame;
  };
  const openHolding = (port: number): Promise<tls.TLSSocket> =>
    new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        s.write(almostFull(), () => resolve(s));
      });
      s.resume(); // reads what the stub says (its Error, its close_notify), as a real client would
      s.on('error', () => resolve(s));
      s.once('close', () => resolve(s));
    });
  const measure = async (limits: Partial<IrpServerLimits>): Promise<{ perKiB: number; held: number; peakMiB: number; closedAfterMs: number }> => {
    const stub = await stubProcess(limits);
    const before = await stub.sample(true);
    const t0 = performance.now();
    const sockets: tls.TLSSocket[] = [];
    for (let i = 0; i < n; i += 10) sockets.push(...(await Promise.all(Array.from({ length: 10 }, () => openHolding(stub.port)))));
    await settle(300);
    const after = await stub.sample(true);
    if (limits.frameTimeoutMs === undefined) sockets.forEach((s) => s.destroy());
    await Promise.all(sockets.map((s) => closeOf(s)));
    const closedAfterMs = performance.now() - t0;
    await stub.stop();
    const grown = after.rss - before.rss;
    return { perKiB: grown / 1024 / Math.max(1, after.connections), held: after.connections, peakMiB: grown / MiB, closedAfterMs };
  };
  const raised = await measure({ maxConnections: 1000, maxConnectionsPerAddress: 1000 });
  const defaults = await measure({ frameTimeoutMs: 3_000 });
  log(`${n} TLS connections holding an almost-full 1 MiB frame: ${raised.perKiB.toFixed(0)} KiB of stub RSS each (${raised.held} held, caps raised); with the default caps ${defaults.held} held, stub RSS +${defaults.peakMiB.toFixed(1)} MiB; all closed ${defaults.closedAfterMs.toFixed(0)} ms after the first opened (frame deadline 3 s)`);
  return { connections: n, rssPerConnectionKiB: raised.perKiB, heldWithDefaults: defaults.held, peakRssDefaultsMiB: defaults.peakMiB, closedAfterMs: defaults.closedAfterMs };
}

async function loginFlood(log: (s: string) => void): Promise<IrpHostileResult['loginFlood']> {
  const attempts = 5_000;
  const stub = await stubProcess({}, { accounts: [{ userId: 'alice@example.com', password: 'bench' }] });
  const flooder = await IrpClient.connect({ host: '127.0.0.1', port: stub.port, caCertificates: [stub.rootPem] });
  const other = await IrpClient.connect({ host: '127.0.0.1', port: stub.port, caCertificates: [stub.rootPem] });
  try {
    const t0 = performance.now();
    const flood = Array.from({ length: attempts }, (_, i) => flooder.login(`nobody${i}@example.com`, 'guess').then(() => 'ok', (e: { code: string }) => e.code));
    // Asked once the flood is on the wire, on another connection.
    await settle(20);
    const c0 = performance.now();
    await other.capabilities();
    const otherClientMs = performance.now() - c0;
    const outcomes = await Promise.all(flood);
    const seconds = (performance.now() - t0) / 1000;
    const unauthenticated = outcomes.filter((o) => o === 'unauthenticated').length;
    const rateLimited = outcomes.filter((o) => o === 'rate_limited').length;
    log(`${attempts} Logins with distinct unknown user IDs from one address: ${unauthenticated} checked, ${rateLimited} rate_limited, in ${seconds.toFixed(2)} s; another client's Capabilities meanwhile ${otherClientMs.toFixed(1)} ms`);
    return { attempts, unauthenticated, rateLimited, seconds, otherClientMs };
  } finally {
    await flooder.close();
    await other.close();
    await stub.stop();
  }
}

async function loginTiming(log: (s: string) => void): Promise<IrpHostileResult['loginTiming']> {
  const samples = 200;
  const stub = await stubProcess(
    { loginFailuresPerAddress: 1_000_000, loginFailuresPerUser: 1_000_000 },
    { accounts: [{ userId: 'alice@example.com', password: 'bench' }] },
  );
  const client = await IrpClient.connect({ host: '127.0.0.1', port: stub.port, caCertificates: [stub.rootPem] });
  const known: number[] = [];
  const unknown: number[] = [];
  const cpuBefore = await stub.sample();
  let knownCpu = 0;
  let unknownCpu = 0;
  try {
    let last = cpuBefore.cpuMicros;
    for (let i = 0; i < samples * 2; i++) {
      const isKnown = i % 2 === 0;
      const t0 = performance.now();
      await client.login(isKnown ? 'alice@example.com' : `nobody${i}@example.com`, 'wrong').catch(() => undefined);
      const ms = performance.now() - t0;
      // The stub's CPU (all its threads: scrypt runs on the thread pool).
      const now = (await stub.sample()).cpuMicros;
      const cpuMs = (now - last) / 1000;
      last = now;
      if (isKnown) {
        known.push(ms);
        knownCpu += cpuMs;
      } else {
        unknown.push(ms);
        unknownCpu += cpuMs;
      }
    }
  } finally {
    await client.close();
    await stub.stop();
  }
  const r = { knownMedianMs: median(known), unknownMedianMs: median(unknown), knownCpuMs: knownCpu / samples, unknownCpuMs: unknownCpu / samples, samples };
  log(`Login answer time, median of ${samples} each: wrong password ${r.knownMedianMs.toFixed(2)} ms (stub CPU ${r.knownCpuMs.toFixed(2)} ms), unknown user ${r.unknownMedianMs.toFixed(2)} ms (stub CPU ${r.unknownCpuMs.toFixed(2)} ms)`);
  return r;
}

async function storeCommits(log: (s: string) => void): Promise<IrpHostileResult['store']> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-bench-store-'));
  const certificate = (serial: string): IssuedCertificate => ({ serial, userId: 'alice@example.com', certificate: 'A'.repeat(700), revoked: false });
  const rate = async (size: number): Promise<number> => {
    const sub = path.join(dir, String(size));
    const store = await FileRegistryStore.open(sub);
    // Filled in one commit: the size is what matters, not how it was reached.
    await store.commit(() => Array.from({ length: size }, (_, i) => ({ kind: 'certificate' as const, certificate: certificate(`f${i.toString(16)}`) })));
    const commits = 200;
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) await store.commit(() => [{ kind: 'certificate', certificate: certificate(`c${i.toString(16)}`) }]);
    const perSecond = commits / ((performance.now() - t0) / 1000);
    await store.close();
    return perSecond;
  };
  try {
    const small = await rate(100);
    const large = await rate(20_000);
    log(`fsynced commits: ${small.toFixed(0)}/s with 100 certificates, ${large.toFixed(0)}/s with 20 000`);
    return { smallCertificates: 100, smallCommitsPerSecond: small, largeCertificates: 20_000, largeCommitsPerSecond: large };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function benchIrpHostile(opts: { log?: (line: string) => void } = {}): Promise<IrpHostileResult> {
  const log = opts.log ?? ((): void => undefined);
  return {
    silent: await silentConnections(log),
    partialFrames: await partialFrames(log),
    loginFlood: await loginFlood(log),
    loginTiming: await loginTiming(log),
    store: await storeCommits(log),
  };
}
