// Interop-suite checks of one reference UA against a peer that is not a UA: a TCP peer that never
// answers (the handshake timer, E2ED-LIM-3), one that hangs up after Hello_I (E2ED-ALERT-10), and
// a look-up and handshake with the peer's user ID spelled with an upper-case domain (E2ED-ID-8).
// Only seed-determined facts are observed (how each side ended, alerts, frame types).
// Each check's connections go through a recording relay (src/run/relay.ts), for the case's capture
// (docs/run.md "Captures").
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, FrameType } from '../protocol/frame.js';
import { HandshakeFailedError, irpDirectory } from '../ua/agent.js';
import type { UaEvent } from '../ua/events.js';
import type { CaseScope } from './case-scope.js';
import type { CaseEnvironment, Slot } from './environment.js';
import { recordingRelay, type RecordingRelay } from './relay.js';
import { relayedWire, type CaseWire } from './captures.js';

export interface UaCheckResult {
  observed: Record<string, unknown>;
  mismatches: string[];
  /** The relayed connections and key logs, for the case's capture (checks that relay). */
  wire?: CaseWire;
}

interface Ctx {
  env: CaseEnvironment;
  slot: Slot;
  seed: string;
}

/** Short, so the case stays fast; the requirement is that the timer fires, not its default length. */
const SHORT_HANDSHAKE_TIMEOUT_MS = 300;

/** A TCP peer that records what it receives and, after the first bytes, either stays silent or hangs up. */
async function fakePeer(scope: CaseScope, host: string, behaviour: 'silent' | 'hang-up') {
  const received: Buffer[] = [];
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (b: Buffer) => {
      received.push(b);
      if (behaviour === 'hang-up') s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => closed());
  });
  const close = (): Promise<void> => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  scope.adopt('a fake peer', server, close);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Resolves once the UA's connection to it has closed (or rejects when the case ends first). */
    done: handled(scope.wait(done, "the UA's connection to the fake peer to close")),
    frames: () => new FrameDecoder().push(Buffer.concat(received)),
    close,
  };
}

/** A recording relay in front of `port`, released with the case. */
async function relayTo(env: CaseEnvironment, port: number): Promise<RecordingRelay> {
  return env.scope.adopt('a recording relay', await recordingRelay(env.host, { address: env.host, port }), (r) => r.close());
}

/**
 * Key log files of the check's two UAs, for the case's capture (src/run/captures.ts); the checks
 * do not read them. A UA that derives no secret leaves only its header comment, which the case's
 * key log then shows (docs/run.md "Captures").
 */
async function keyLogFiles(name: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sixbench-${name}-`));
  const files = { initiator: path.join(dir, 'initiator.keylog'), responder: path.join(dir, 'responder.keylog') };
  return {
    ...files,
    /** Both texts (a missing file reads as ''), then the folder is removed. */
    async collect(): Promise<string[]> {
      const texts = await Promise.all([files.initiator, files.responder].map((f) => readFile(f, 'utf8').catch(() => '')));
      await rm(dir, { recursive: true, force: true });
      return texts;
    },
  };
}

/** A promise some checks never await: its rejection at the end of the case is expected, not unhandled. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function refusal(op: Promise<{ close(): Promise<unknown> }>): Promise<{ how: string; alert?: string; by?: string }> {
  try {
    const conn = await op;
    await conn.close();
    return { how: 'connected' };
  } catch (err) {
    if (!(err instanceof HandshakeFailedError)) throw err;
    return { how: err.info.how, ...(err.info.alert !== undefined ? { alert: err.info.alert } : {}), ...(err.info.by !== undefined ? { by: err.info.by } : {}) };
  }
}

/** Nonce and key share of the first (plaintext) frame of one direction: a Hello. */
function helloValues(chunks: Buffer[]): { nonce: string; keyShareMethod: string; keyShare: string; selectedMethod: string } {
  const first = new FrameDecoder().push(Buffer.concat(chunks))[0];
  const xml = first && first.type === FrameType.Plaintext ? first.payload.toString('utf8') : '';
  const keyShare = /<KeyShare method="([^"]+)">([^<]+)<\/KeyShare>/.exec(xml);
  return {
    nonce: /<Nonce>([^<]+)<\/Nonce>/.exec(xml)?.[1] ?? '',
    keyShareMethod: keyShare?.[1] ?? '',
    keyShare: keyShare?.[2] ?? '',
    selectedMethod: /<Hello [^>]*\bmethod="([^"]+)"/.exec(xml)?.[1] ?? '',
  };
}

export const UA_CHECK_FUNCTIONS = {
  /**
   * E2ED-HS-12, E2ED-HS-21, E2ED-KS-10: the same two UAs connect three times (x25519, p256, x25519);
   * every Hello_I and Hello_R nonce and every key share differs from all others, and each side's
   * key share is for the selected method.
   */
  async 'fresh-handshakes'({ env, slot, seed }: Ctx): Promise<UaCheckResult> {
    // Key logs for the case's capture (src/run/captures.ts); the check itself does not read them.
    const logDir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-fresh-'));
    const logs = { initiator: path.join(logDir, 'initiator.keylog'), responder: path.join(logDir, 'responder.keylog') };
    const responder = env.agent(slot.responder.identity, `${seed}/responder`, { directory: irpDirectory(slot.responder.registry), keyLogFile: logs.responder });
    const lookups = await env.connectRegistry();
    const initiator = env.agent(slot.initiator.identity, `${seed}/initiator`, { directory: irpDirectory(lookups), keyLogFile: logs.initiator });
    const methods = [['x25519'], ['p256'], ['x25519']];
    let relay: RecordingRelay | undefined;
    try {
      const listening = await responder.listen({ port: 0, host: env.host });
      relay = env.scope.adopt('a recording relay', await recordingRelay(env.host, listening), (r) => r.close());
      await slot.responder.registry.register(listening.address, relay.port);
      for (const [n, m] of methods.entries()) {
        const conn = await initiator.connect(slot.responder.identity.userId, { methods: m });
        await conn.close();
        await env.scope.wait(relay.closed(n + 1), 'the relayed connection to close');
      }
    } finally {
      await initiator.close();
      await responder.close();
      await lookups.close().catch(() => undefined);
      await relay?.close();
    }
    const keyLogs = await Promise.all([logs.initiator, logs.responder].map((f) => readFile(f, 'utf8').catch(() => '')));
    await rm(logDir, { recursive: true, force: true });
    const hellos = relay.connections.map((c) => ({ i: helloValues(c.i2r), r: helloValues(c.r2i) }));
    const mismatches: string[] = [];
    const nonces = hellos.flatMap((h) => [h.i.nonce, h.r.nonce]);
    const shares = hellos.flatMap((h) => [h.i.keyShare, h.r.keyShare]);
    if (nonces.some((x) => !/^[0-9a-f]{64}$/.test(x))) mismatches.push('a Hello without a 64-hex-digit Nonce');
    if (new Set(nonces).size !== nonces.length) mismatches.push('a nonce was used twice across the three connections');
    if (shares.some((x) => x === '') || new Set(shares).size !== shares.length) mismatches.push('a key share is missing or was used twice across the three connections');
    hellos.forEach((h, n) => {
      const expected = methods[n]![0]!;
      if (h.r.selectedMethod !== expected || h.i.keyShareMethod !== expected || h.r.keyShareMethod !== expected) {
        mismatches.push(`connection ${n + 1}: expected ${expected} selected and both key shares for it, got selected ${h.r.selectedMethod}, shares ${h.i.keyShareMethod} and ${h.r.keyShareMethod}`);
      }
    });
    const observed = {
      connections: hellos.length,
      distinctNonces: new Set(nonces).size,
      distinctKeyShares: new Set(shares).size,
      methods: hellos.map((h) => [h.r.selectedMethod, h.i.keyShareMethod, h.r.keyShareMethod]),
    };
    if (hellos.length !== methods.length) mismatches.push(`expected ${methods.length} captured connections, got ${hellos.length}`);
    return { observed, mismatches, wire: relayedWire(relay.connections, keyLogs) };
  },

  /** E2ED-LIM-3: a peer that never completes the handshake: handshake_timeout, fatal, in a plaintext frame, and the connection closed; as initiator and as responder. */
  async 'handshake-timer'({ env, slot, seed }: Ctx): Promise<UaCheckResult> {
    const mismatches: string[] = [];
    // The initiator facing a silent responder.
    const logs = await keyLogFiles('handshake-timer');
    const peer = await fakePeer(env.scope, env.host, 'silent');
    const toPeer = await relayTo(env, peer.port);
    const initiator = env.agent(slot.initiator.identity, `${seed}/initiator`, { handshakeTimeoutMs: SHORT_HANDSHAKE_TIMEOUT_MS, keyLogFile: logs.initiator });
    let asInitiator;
    try {
      asInitiator = await refusal(initiator.connectTo({ address: env.host, port: toPeer.port, peerUserId: slot.responder.identity.userId }));
      await peer.done;
      await env.scope.wait(toPeer.closed(1), 'the relayed connection to the silent peer to close');
    } finally {
      await initiator.close();
      await peer.close();
      await toPeer.close();
    }
    const initiatorFrames = peer.frames();
    const initiatorLast = initiatorFrames[initiatorFrames.length - 1];
    const initiatorAlertFrame = initiatorLast ? `${initiatorLast.type === FrameType.Plaintext ? 'plaintext' : 'record'}${initiatorLast.payload.includes('handshake_timeout') ? ' handshake_timeout' : ''}` : 'none';

    // The responder facing a client that connects and sends nothing.
    const events: UaEvent[] = [];
    const responder = env.agent(slot.responder.identity, `${seed}/responder`, { handshakeTimeoutMs: SHORT_HANDSHAKE_TIMEOUT_MS, onEvent: (e) => events.push(e), keyLogFile: logs.responder });
    const received: Buffer[] = [];
    let toResponder: RecordingRelay | undefined;
    try {
      const { port } = await responder.listen({ port: 0, host: env.host });
      toResponder = await relayTo(env, port);
      const relayPort = toResponder.port;
      await new Promise<void>((resolve) => {
        const s = env.scope.adopt('a silent client', net.connect({ host: env.host, port: relayPort }), (c) => c.destroy());
        s.on('data', (b: Buffer) => received.push(b));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
      await env.scope.wait(toResponder.closed(1), 'the relayed connection from the silent client to close');
    } finally {
      await responder.close();
      await toResponder?.close();
    }
    const responderFrames = new FrameDecoder().push(Buffer.concat(received));
    const responderAlertFrame = responderFrames.map((f) => `${f.type === FrameType.Plaintext ? 'plaintext' : 'record'}${f.payload.includes('handshake_timeout') ? ' handshake_timeout' : ''}`).join(', ') || 'none';
    const responderSent = events.flatMap((e) => (e.event === 'alert_sent' ? [e.alert] : []));
    const observed = { asInitiator, initiatorAlertFrame, responderAlertFrame, responderSent };
    if (asInitiator.how !== 'handshake-timeout' || asInitiator.alert !== 'handshake_timeout' || asInitiator.by !== 'local') {
      mismatches.push(`initiator facing a silent responder: expected handshake-timeout with handshake_timeout sent, got ${JSON.stringify(asInitiator)}`);
    }
    if (initiatorAlertFrame !== 'plaintext handshake_timeout') mismatches.push(`the initiator's last frame: expected a plaintext handshake_timeout Alert, got ${initiatorAlertFrame}`);
    if (responderAlertFrame !== 'plaintext handshake_timeout') mismatches.push(`what the responder sent a client that never spoke: expected one plaintext handshake_timeout Alert, got ${responderAlertFrame}`);
    if (responderSent.join(',') !== 'handshake_timeout') mismatches.push(`the responder's alerts: expected handshake_timeout, got ${responderSent.join(', ') || 'none'}`);
    // The key log holds the header comments only: neither UA derives a secret before its timer fires.
    return { observed, mismatches, wire: relayedWire([...toPeer.connections, ...toResponder.connections], await logs.collect()) };
  },

  /** E2ED-ALERT-10: the responder hangs up after Hello_I without an alert: a failed handshake, no alert invented. */
  async 'peer-hangs-up'({ env, slot, seed }: Ctx): Promise<UaCheckResult> {
    const logs = await keyLogFiles('peer-hangs-up');
    const peer = await fakePeer(env.scope, env.host, 'hang-up');
    const toPeer = await relayTo(env, peer.port);
    const events: UaEvent[] = [];
    const initiator = env.agent(slot.initiator.identity, `${seed}/initiator`, { onEvent: (e) => events.push(e), keyLogFile: logs.initiator });
    let outcome;
    try {
      outcome = await refusal(initiator.connectTo({ address: env.host, port: toPeer.port, peerUserId: slot.responder.identity.userId }));
      await env.scope.wait(toPeer.closed(1), 'the relayed connection to the hanging-up peer to close');
    } finally {
      await initiator.close();
      await peer.close();
      await toPeer.close();
    }
    const connectedEvents = events.filter((e) => e.event === 'connected').length;
    const mismatches: string[] = [];
    if (outcome.how === 'connected' || outcome.alert !== undefined) mismatches.push(`expected a failed handshake without alert, got ${JSON.stringify(outcome)}`);
    if (connectedEvents !== 0) mismatches.push(`the initiator reported Connected ${connectedEvents} time(s)`);
    // The key log holds the header comment only: no Hello_R came to derive a secret from.
    return { observed: { outcome, connectedEvents }, mismatches, wire: relayedWire(toPeer.connections, await logs.collect()) };
  },

  /** E2ED-ID-8: the peer's user ID with the domain in upper case: the same user (look-up, Hello `to`, leaf SAN comparison). */
  async 'user-id-domain-case'({ env, slot, seed }: Ctx): Promise<UaCheckResult> {
    const responderEvents: UaEvent[] = [];
    const logs = await keyLogFiles('domain-case');
    const responder = env.agent(slot.responder.identity, `${seed}/responder`, {
      directory: irpDirectory(slot.responder.registry),
      onEvent: (e) => responderEvents.push(e),
      keyLogFile: logs.responder,
    });
    const lookups = await env.connectRegistry();
    const initiator = env.agent(slot.initiator.identity, `${seed}/initiator`, { directory: irpDirectory(lookups), keyLogFile: logs.initiator });
    const [local, domain] = slot.responder.identity.userId.split('@') as [string, string];
    const spelled = `${local}@${domain.toUpperCase()}`;
    let outcome: string;
    let delivered = 0;
    let relay: RecordingRelay | undefined;
    try {
      const listening = await responder.listen({ port: 0, host: env.host });
      relay = await relayTo(env, listening.port);
      await slot.responder.registry.register(listening.address, relay.port);
      try {
        const conn = await initiator.connect(spelled);
        await conn.sendAndConfirm('to an upper-case domain');
        delivered = 1;
        await conn.close();
        outcome = 'connected';
      } catch (err) {
        if (err instanceof HandshakeFailedError) outcome = `refused: ${err.info.alert ?? err.info.how} by ${err.info.by ?? 'nobody'}`;
        else outcome = `failed: ${(err as Error).name}`;
      }
      if (relay.connections.length > 0) await env.scope.wait(relay.closed(relay.connections.length), 'the relayed connection to close');
    } finally {
      await initiator.close();
      await responder.close();
      await lookups.close().catch(() => undefined);
      await relay?.close();
    }
    const keyLogs = await logs.collect();
    const responderAlerts = responderEvents.flatMap((e) => (e.event === 'alert_sent' && e.alert !== 'close_notify' ? [e.alert] : []));
    const mismatches: string[] = [];
    if (outcome !== 'connected' || delivered !== 1) mismatches.push(`connecting to ${local}@<DOMAIN IN UPPER CASE>: expected Connected and a confirmed Message, got ${outcome}`);
    if (responderAlerts.length > 0) mismatches.push(`the responder sent ${responderAlerts.join(', ')}`);
    return { observed: { outcome, delivered, responderAlerts }, mismatches, wire: relayedWire(relay.connections, keyLogs) };
  },
};
