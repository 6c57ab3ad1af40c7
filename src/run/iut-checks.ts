// The timer and hang-up checks of the interop suite turned on an implementation under test
// (issue 8 §2): the bench plays a TCP peer that is not a UA, and watches the wire (every level)
// and the IUT's events (level 2 and up).
// - handshake-timer (E2ED-LIM-3), both roles: a peer that never completes the handshake; the IUT
//   must send a fatal handshake_timeout Alert in a plaintext frame and close, 10 s (its default)
//   after the TCP connection. The case allows 10 s + a margin.
// - peer-hangs-up (E2ED-ALERT-10), as initiator: the peer reads Hello_I and closes without an
//   alert; the IUT must report a failed handshake (level 2), send nothing more, and end.
// The connection goes through a recording relay (src/run/relay.ts) for the case's capture, with the
// IUT's key log when it declares one (docs/run.md "Captures").
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { FrameDecoder, FrameType, type Frame } from '../protocol/frame.js';
import type { ImplementationUnderTest, IutExit, IutInstance, IutStartRequest } from '../iut/door.js';
import { issueCredentials, pemOf } from '../iut/credentials.js';
import { IutStartError } from '../iut/errors.js';
import type { UaEvent } from '../ua/events.js';
import type { RunEnvironment, Slot } from './environment.js';
import { EnrolmentError, openEnrolment, readEnrolledChain } from './iut-enrolment.js';
import type { Side } from './model.js';
import { recordingRelay, type RecordingRelay } from './relay.js';
import { relayedWire, type CaseWire } from './captures.js';

/** The spec's default handshake timer, and the margin the bench allows on top of it. */
export const HANDSHAKE_TIMER_MS = 10_000;
export const TIMER_MARGIN_MS = 3_000;
/** The case time the timer check needs. */
export const TIMER_CASE_MS = HANDSHAKE_TIMER_MS + TIMER_MARGIN_MS + 2_000;

export interface IutCheckContext {
  env: RunEnvironment;
  slot: Slot;
  seed: string;
  signal: AbortSignal;
  iut: ImplementationUnderTest;
  side: Side;
  workDir: string;
}

export interface IutCheckRecord {
  observed: Record<string, unknown>;
  mismatches: string[];
  checks: string[];
  error?: string;
  unsupported?: string;
  exit?: IutExit;
  diagnostics?: unknown;
  /** The relayed connection and the IUT's key log; absent when no connection was made. */
  wire?: CaseWire;
}

function describeFrames(frames: Frame[]): string[] {
  return frames.map((f) => {
    if (f.type !== FrameType.Plaintext) return 'record';
    const text = f.payload.toString('utf8');
    const alert = /<Alert[^>]*>([^<]*)<\/Alert>|description="([^"]+)"|handshake_timeout/.exec(text);
    if (text.includes('<Hello')) return 'plaintext Hello';
    if (text.includes('handshake_timeout')) return 'plaintext handshake_timeout';
    return alert ? `plaintext alert ${alert[1] ?? alert[2] ?? ''}`.trim() : 'plaintext';
  });
}

async function baseRequest(ctx: IutCheckContext): Promise<IutStartRequest> {
  await mkdir(ctx.workDir, { recursive: true });
  const caFile = path.join(ctx.workDir, 'irp-ca.pem');
  await writeFile(caFile, pemOf(ctx.env.pki.anchors));
  const user = ctx.side === 'initiator' ? ctx.slot.initiator : ctx.slot.responder;
  return {
    caseId: ctx.seed,
    role: ctx.side,
    drive: ctx.iut.capabilities.level >= 3 ? 'control' : 'script',
    workDir: ctx.workDir,
    credentials: await issueCredentials(path.join(ctx.workDir, 'credentials'), user.identity),
    registry: { host: ctx.env.host, port: ctx.env.stub.port, caFile, ca: ctx.env.pki.anchors },
    ...(ctx.iut.capabilities.irpEnrolment ? { enrolment: openEnrolment(ctx.env, ctx.workDir, ctx.side, 'p256') } : {}),
    now: ctx.env.pki.referenceTime,
    seed: `${ctx.seed}/${ctx.side}`,
  };
}

/** A TCP server that records what it gets and, after the first frame, stays silent or hangs up. */
function silentOrHangingPeer(host: string, behaviour: 'silent' | 'hang-up'): Promise<{ port: number; received: Buffer[]; closed: Promise<void>; close(): void }> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (b: Buffer) => {
      received.push(b);
      if (behaviour === 'hang-up' && new FrameDecoder().push(Buffer.concat(received)).length > 0) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => onClosed());
  });
  return new Promise((resolve) => {
    server.listen(0, host, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received,
        closed,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    );
  });
}

function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** How long the relay's two legs may take to close after the check saw its end. */
const RELAY_SETTLE_MS = 1_000;

export async function runIutCheck(check: 'handshake-timer' | 'peer-hangs-up', ctx: IutCheckContext): Promise<IutCheckRecord> {
  const level = ctx.iut.capabilities.level;
  const events: UaEvent[] = [];
  let instance: IutInstance | undefined;
  const checks: string[] = ['the wire, as the bench\'s TCP peer saw it'];
  checks.push(level >= 2 ? `the IUT's events (level ${level})` : 'not checked: what the IUT reports (level 1: no events)');
  const mismatches: string[] = [];
  let observed: Record<string, unknown> = {};
  let error: string | undefined;
  let unsupported: string | undefined;
  const request = await baseRequest(ctx);
  const keyLogFile = ctx.iut.capabilities.keyLog ? path.join(ctx.workDir, 'iut.keylog') : undefined;
  let relay: RecordingRelay | undefined;
  const start = async (extra: Partial<IutStartRequest>): Promise<IutInstance> => {
    const inst = await ctx.iut.start({ ...request, ...(keyLogFile ? { keyLogFile } : {}), ...extra }, ctx.signal);
    instance = inst;
    inst.onEvent((e) => events.push(e));
    return inst;
  };
  try {
    if (ctx.side === 'responder') {
      // handshake-timer only: a client that connects and never sends a Hello.
      const inst = await start({ listen: { host: ctx.env.host, port: 0 } });
      relay = await recordingRelay(ctx.env.host, { address: inst.listening!.host, port: inst.listening!.port });
      const received: Buffer[] = [];
      const t0 = Date.now();
      const socket = net.connect({ host: ctx.env.host, port: relay.port });
      socket.on('data', (b: Buffer) => received.push(b));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      const outcome = await Promise.race([closed.then(() => 'closed' as const), aborted(ctx.signal), sleep(HANDSHAKE_TIMER_MS + TIMER_MARGIN_MS).then(() => 'late' as const)]);
      const elapsed = Date.now() - t0;
      socket.destroy();
      const frames = describeFrames(new FrameDecoder().push(Buffer.concat(received)));
      observed = { frames, closedByIut: outcome === 'closed' };
      if (outcome !== 'closed') mismatches.push(`no end of the connection within ${(HANDSHAKE_TIMER_MS + TIMER_MARGIN_MS) / 1000} s of a client that never spoke`);
      else if (elapsed < HANDSHAKE_TIMER_MS - 1000) checks.push(`note: it closed after ${Math.round(elapsed / 1000)} s, before the default 10 s`);
      if (frames.join(', ') !== 'plaintext handshake_timeout') mismatches.push(`what it sent a client that never spoke: expected one plaintext handshake_timeout Alert, got ${frames.join(', ') || 'nothing'}`);
    } else {
      const peer = await silentOrHangingPeer(ctx.env.host, check === 'handshake-timer' ? 'silent' : 'hang-up');
      try {
        relay = await recordingRelay(ctx.env.host, { address: ctx.env.host, port: peer.port });
        const inst = await start({ connect: { host: ctx.env.host, port: relay.port, peerUserId: ctx.slot.responder.identity.userId, peerChain: ctx.slot.responder.identity.chain }, messages: ['never delivered'] });
        const limit = check === 'handshake-timer' ? HANDSHAKE_TIMER_MS + TIMER_MARGIN_MS : 5_000;
        const outcome = await Promise.race([peer.closed.then(() => 'closed' as const), aborted(ctx.signal), sleep(limit).then(() => 'late' as const)]);
        // The initiator's own end: its events (level 2) or its exit (level 1, script).
        await Promise.race([inst.exited, sleep(1000)]);
        if (level >= 2) await sleep(200);
        const frames = describeFrames(new FrameDecoder().push(Buffer.concat(peer.received)));
        observed = { frames };
        if (check === 'handshake-timer') {
          if (outcome !== 'closed') mismatches.push(`no end of the connection within ${limit / 1000} s of a responder that never answered`);
          if (frames.join(', ') !== 'plaintext Hello, plaintext handshake_timeout') mismatches.push(`what it sent a responder that never answered: expected Hello_I then a plaintext handshake_timeout Alert, got ${frames.join(', ') || 'nothing'}`);
          if (level >= 2) {
            const closed = events.find((e) => e.event === 'closed');
            observed.closed = closed && closed.event === 'closed' ? closed.how : 'not reported';
            if (observed.closed !== 'handshake-timeout') mismatches.push(`it reported the end as ${observed.closed}, expected handshake-timeout`);
          }
        } else {
          if (frames[0] !== 'plaintext Hello') mismatches.push(`expected Hello_I first, got ${frames[0] ?? 'nothing'}`);
          if (frames.length > 1) mismatches.push(`after the peer hung up it sent ${frames.slice(1).join(', ')}`);
          if (level >= 2) {
            const connected = events.some((e) => e.event === 'connected');
            const alerts = events.flatMap((e) => (e.event === 'alert_sent' && e.alert !== 'close_notify' ? [e.alert] : []));
            const closed = events.find((e) => e.event === 'closed');
            observed.iut = { connected, alerts, closed: closed && closed.event === 'closed' ? closed.how : 'not reported' };
            if (connected) mismatches.push('it reported Connected');
            if (alerts.length > 0) mismatches.push(`it reported sending ${alerts.join(', ')}`);
            if (!closed || closed.event !== 'closed' || !['transport-error', 'alert-received'].includes(closed.how)) {
              mismatches.push(`E2ED-ALERT-10: expected the end reported as a failed handshake (transport-error), got ${closed && closed.event === 'closed' ? closed.how : 'no closed event'}`);
            }
          }
        }
      } finally {
        peer.close();
      }
    }
  } catch (err) {
    if (err instanceof IutStartError) {
      if (err.problem === 'unsupported') unsupported = err.message;
      else error = `the IUT could not be brought up: ${err.message}`;
    } else error = `the case could not be run: ${(err as Error).message}`;
  }
  const exit = instance ? await instance.stop() : undefined;
  // An IUT that enrols itself did so before it listened or connected: what it wrote must be the registry's issue.
  if (request.enrolment && instance && !error && !unsupported && !exit?.unsupported) {
    try {
      await readEnrolledChain(ctx.env, request.enrolment, [ctx.slot.initiator, ctx.slot.responder, ctx.slot.rsaResponder].map((u) => u.identity.chain));
      checks.push(`the IUT enrolled itself as ${request.enrolment.userId} (a ${request.enrolment.keyType} key): the chain it wrote was issued by the registry to that account`);
    } catch (err) {
      if (!(err instanceof EnrolmentError)) throw err;
      error = err.message;
    }
  }
  let wire: CaseWire | undefined;
  if (relay) {
    // Both legs' ends are in the capture when they came; a leg still open is cut, as the case ends.
    await Promise.race([relay.closed(relay.connections.length), sleep(RELAY_SETTLE_MS)]);
    await relay.close();
    const keyLog = keyLogFile ? await readFile(keyLogFile, 'utf8').catch(() => '') : '';
    if (relay.connections.length > 0) wire = relayedWire(relay.connections, [keyLog]);
  }
  return {
    observed,
    mismatches,
    checks,
    ...(error ? { error } : {}),
    ...(unsupported ? { unsupported } : {}),
    ...(exit ? { exit } : {}),
    ...(instance?.diagnostics ? { diagnostics: instance.diagnostics() } : {}),
    ...(wire ? { wire } : {}),
  };
}
