// Runs one conversation between two reference User Agents over loopback TCP and records what each
// side did (src/run/model.ts SideObservation). The script is the case's steps; every step waits on
// events, never on time: it settles when what it asked for happened, or when the connection ended
// (then it waits until both sides have ended). The only timer is the runner's per-case timeout,
// which arrives here as an aborted signal.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { caseTime, defectUserId, findDefect, type DefectCase } from '../pki/defects.js';
import type { TestPki } from '../pki/ca.js';
import { HandshakeFailedError, irpDirectory, UserAgent, type PeerDirectory, type UaConnection, type UaIdentity } from '../ua/agent.js';
import { parseBugs } from '../protocol/bugs.js';
import type { UaEvent } from '../ua/events.js';
import type { EnrolledUser, RunEnvironment, Slot } from './environment.js';
import { sameOnBothLegs, type CaseWire } from './captures.js';
import { recordingRelay, type RecordingRelay } from './relay.js';
import { otherSide, SIDES, type Conversation, type ConversationObservation, type PeerSetup, type Side, type SideObservation, type Step } from './model.js';

export interface ConversationContext {
  env: RunEnvironment;
  slot: Slot;
  /** `${run seed}/${case id}`: seeds both UAs, so the wire follows from the run's seed. */
  seed: string;
  signal: AbortSignal;
  /** Put a recording relay in front of the responder and give both UAs a key log (captures). */
  record?: boolean;
}

export interface ConversationRecord {
  observation: ConversationObservation;
  /** Every UA event of each side, one line each (failure evidence). */
  events: Record<Side, string[]>;
  /** What crossed the wire, when the context asked to record. */
  wire?: CaseWire;
}

/** The case ran out of time while waiting: `waitingFor` says on what. */
export class Aborted extends Error {
  constructor(readonly waitingFor: string) {
    super(`timed out waiting for ${waitingFor}`);
  }
}

/**
 * Resolves when `done()` holds, re-checked each time a listener of `listeners` is called (on every
 * event of either side); rejects with Aborted when the case's signal fires first.
 */
export function waitUntil(listeners: Set<() => void>, signal: AbortSignal, waitingFor: string, done: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (signal.aborted) {
        listeners.delete(check);
        reject(new Aborted(waitingFor));
      } else if (done()) {
        listeners.delete(check);
        resolve();
      }
    };
    listeners.add(check);
    signal.addEventListener('abort', check, { once: true });
    check();
  });
}

/** One side: its observation, built from its UA's events, and its connection once known. */
export class SideWatch {
  readonly obs: SideObservation = {
    connected: false,
    alertsSent: [],
    alertsReceived: [],
    delivered: 0,
    receipts: 0,
    pongs: 0,
    receiveGeneration: 0,
    sendGeneration: 0,
  };
  readonly events: string[] = [];
  exporter: string | undefined;
  connection: UaConnection | undefined;

  constructor(private readonly changed: () => void) {}

  get closed(): boolean {
    return this.obs.closed !== undefined;
  }

  readonly onEvent = (ev: UaEvent): void => {
    const o = this.obs;
    switch (ev.event) {
      case 'parameters_negotiated':
        o.negotiated = { version: ev.version, method: ev.method, cipher: ev.cipher };
        break;
      case 'exporter':
        this.exporter = ev.value;
        break;
      case 'connected':
        o.connected = true;
        break;
      case 'alert_sent':
        o.alertsSent.push(ev.alert);
        break;
      case 'alert_received':
        o.alertsReceived.push(ev.alert);
        break;
      case 'message_received':
        o.delivered += 1;
        break;
      case 'receipt_received':
        o.receipts += 1;
        break;
      case 'pong_received':
        o.pongs += 1;
        break;
      case 'key_update':
        if (ev.direction === 'send') o.sendGeneration = ev.generation;
        else o.receiveGeneration = ev.generation;
        break;
      case 'closed':
        this.markClosed({ how: ev.how, alert: ev.alert, by: ev.by });
        break;
      default:
        break;
    }
    this.events.push(describeEvent(ev));
    this.changed();
  };

  markClosed(info: { how: NonNullable<SideObservation['closed']>['how']; alert?: string | undefined; by?: 'local' | 'peer' | undefined }): void {
    if (this.obs.closed) return;
    this.obs.closed = { how: info.how, ...(info.alert !== undefined ? { alert: info.alert } : {}), ...(info.by !== undefined ? { by: info.by } : {}) };
    this.changed();
  }

  watch(conn: UaConnection): void {
    this.connection = conn;
    // The UA reports `closed` as an event; the promise covers an end it reports no event for.
    void conn.closed.then((info) => this.markClosed(info));
  }
}

/** Both sides' observations as they stand (a copy), and whether their exporters agree. */
export function observationOf(watch: Record<Side, SideWatch>, notes: string[]): ConversationObservation {
  return {
    initiator: structuredClone(watch.initiator.obs),
    responder: structuredClone(watch.responder.obs),
    exportersEqual:
      watch.initiator.exporter !== undefined && watch.responder.exporter !== undefined ? watch.initiator.exporter === watch.responder.exporter : null,
    notes,
  };
}

/** A stable one-line form of a UA event: no times, ports or message ids. */
export function describeEvent(ev: UaEvent): string {
  switch (ev.event) {
    case 'parameters_negotiated':
      return `parameters_negotiated ${ev.version} ${ev.method} ${ev.cipher}`;
    case 'alert_sent':
    case 'alert_received':
      return `${ev.event} ${ev.alert} ${ev.level}${ev.reason ? ` (${ev.reason})` : ''}`;
    case 'key_update':
      return `key_update ${ev.direction} ${ev.generation}`;
    case 'closed':
      return `closed ${ev.how}${ev.alert ? ` ${ev.alert}` : ''}${ev.by ? ` by ${ev.by}` : ''}${ev.reason ? ` (${ev.reason})` : ''}`;
    case 'handshake_started':
      return `handshake_started ${ev.role}`;
    case 'peer_verified':
    case 'connected':
      return `${ev.event} ${ev.peer}`;
    case 'exporter':
      return 'exporter';
    default:
      return ev.event;
  }
}

/** A defect chain's case, built once per PKI. */
const defectCache = new WeakMap<TestPki, Map<string, DefectCase>>();

export function defectCase(pki: TestPki, id: string): DefectCase {
  let cache = defectCache.get(pki);
  if (!cache) defectCache.set(pki, (cache = new Map()));
  let built = cache.get(id);
  if (!built) {
    const defect = findDefect(id);
    if (!defect) throw new Error(`unknown defect ${id}`);
    built = defect.build(pki);
    cache.set(id, built);
  }
  return built;
}

/** The defect holder signs with the key of its leaf when the run's PKI has it, else any valid key (the chain is refused before any signature is checked). */
export function defectHolderKey(pki: TestPki, chain: Buffer[]): KeyObject {
  const candidates = [pki.key('defect/leaf', 'p256'), pki.key('defect/rsa-leaf', 'rsa2048')];
  try {
    const leafSpki = new X509Certificate(chain[0]!).publicKey.export({ format: 'der', type: 'spki' });
    const match = candidates.find((c) => c.spki.equals(leafSpki));
    if (match) return match.privateKey;
  } catch {
    // unparseable leaf: any key will do
  }
  return candidates[0]!.privateKey;
}

/** The directory of a UA facing a defect holder: the case's revoked serials are revoked, everything else good. */
export function staticDirectory(revokedSerials: readonly string[]): PeerDirectory {
  const revoked = new Set(revokedSerials.map((s) => s.toLowerCase()));
  return {
    lookup: (userId) => Promise.reject(new Error(`no look-up in a certificate case (${userId})`)),
    isRevoked: (serial) => Promise.resolve(revoked.has(serial.toLowerCase())),
  };
}

export interface Party {
  identity: UaIdentity;
  /** The enrolled user (undefined for a defect holder, who is not registered). */
  user: EnrolledUser | undefined;
  defect: DefectCase | undefined;
}

export function partyFor(env: RunEnvironment, slot: Slot, side: Side, setup: PeerSetup): Party {
  const id = setup.identity ?? 'p256';
  if (typeof id === 'object') {
    const dc = defectCase(env.pki, id.defect);
    const userId = dc.expectedUserId ?? defectUserId(env.pki);
    const identity: UaIdentity = { userId, privateKey: defectHolderKey(env.pki, dc.chain), chain: dc.chain, trustAnchors: env.pki.anchors };
    return { identity, user: undefined, defect: dc };
  }
  const user = id === 'rsa' ? slot.rsaResponder : side === 'initiator' ? slot.initiator : slot.responder;
  return { identity: user.identity, user, defect: undefined };
}

export async function runConversation(conv: Conversation, ctx: ConversationContext): Promise<ConversationRecord> {
  const { env, slot } = ctx;
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };
  const watch: Record<Side, SideWatch> = { initiator: new SideWatch(changed), responder: new SideWatch(changed) };
  const notes: string[] = [];
  const parties: Record<Side, Party> = {
    initiator: partyFor(env, slot, 'initiator', conv.initiator),
    responder: partyFor(env, slot, 'responder', conv.responder),
  };
  const setups: Record<Side, PeerSetup> = { initiator: conv.initiator, responder: conv.responder };

  const agents = {} as Record<Side, UserAgent>;
  // Aborted by cleanUp(), after the observation is taken: the agents then end everything they
  // opened at once, and a step still running in the background cannot open anything new (issue 13 §1).
  const teardown = new AbortController();
  const keyLogDir = ctx.record ? await mkdtemp(path.join(os.tmpdir(), 'sixbench-case-')) : undefined;
  let relay: RecordingRelay | undefined;
  for (const side of SIDES) {
    const setup = setups[side];
    const facing = parties[otherSide(side)];
    const user = parties[side].user;
    agents[side] = new UserAgent({
      identity: facing.defect ? { ...parties[side].identity, trustAnchors: facing.defect.anchors } : parties[side].identity,
      directory: facing.defect ? staticDirectory(facing.defect.revokedSerials ?? []) : user ? irpDirectory(user.registry) : staticDirectory([]),
      ...(setup.versions ? { versions: setup.versions } : {}),
      ...(setup.methods ? { methods: setup.methods } : {}),
      ...(setup.ciphers ? { ciphers: setup.ciphers } : {}),
      bugs: parseBugs(setup.knobs ?? []),
      seed: `${ctx.seed}/${side}`,
      // E2ED-CERT-27: "a test harness MAY configure a fixed time": the PKI's reference time, or the defect case's.
      now: facing.defect ? () => caseTime(env.pki, facing.defect!) : () => env.pki.referenceTime,
      onEvent: watch[side].onEvent,
      signal: teardown.signal,
      ...(keyLogDir ? { keyLogFile: path.join(keyLogDir, `${side}.keylog`) } : {}),
    });
  }
  agents.responder.onConnection((c) => watch.responder.watch(c));

  /** Resolves when `done()` holds, re-checked on every event of either side. */
  const until = (waitingFor: string, done: () => boolean): Promise<void> => waitUntil(listeners, ctx.signal, waitingFor, done);
  /** `p`, or Aborted once the case's time is up: for waits that no UA event ends (set-up, the initiator's attempt). */
  const orAbort = <T>(waitingFor: string, p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Aborted(waitingFor));
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => ctx.signal.removeEventListener('abort', onAbort));
    });
  };
  const anyClosed = (): boolean => watch.initiator.closed || watch.responder.closed;
  const bothClosed = (): boolean => watch.initiator.closed && watch.responder.closed;
  /** Waits for `what`, or for the end of the connection (then for both ends). Returns false when it ended. */
  const settle = async (waitingFor: string, what: () => boolean): Promise<boolean> => {
    await until(`${waitingFor}, or the end of the connection`, () => what() || anyClosed());
    if (what() && !anyClosed()) return true;
    await until('both sides to end the connection', bothClosed);
    return false;
  };

  let timedOut: string | undefined;
  let ended = false;
  try {
    for (const step of conv.steps) {
      if (ended) {
        notes.push(`not run (the connection had ended): ${describeStep(step)}`);
        continue;
      }
      const goOn = await runStep(step);
      if (!goOn) ended = true;
    }
  } catch (err) {
    if (err instanceof Aborted) timedOut = err.waitingFor;
    else notes.push(`the case could not be run: ${(err as Error).message}`);
  }
  // Snapshot before clean-up: closing what is left is not part of the case.
  const observation = observationOf(watch, notes);
  if (timedOut !== undefined) observation.notes.push(`timed out waiting for ${timedOut}`);
  for (const side of SIDES) if (!watch[side].closed) watch[side].events.push('(end of the case: the runner closes what is left)');
  await cleanUp();
  const wire = keyLogDir ? await collectWire(keyLogDir) : undefined;
  return {
    observation,
    events: { initiator: watch.initiator.events, responder: watch.responder.events },
    ...(wire ? { wire } : {}),
  };

  async function collectWire(dir: string): Promise<CaseWire> {
    const keyLogs = await Promise.all(SIDES.map((s) => readFile(path.join(dir, `${s}.keylog`), 'utf8').catch(() => '')));
    await rm(dir, { recursive: true, force: true });
    return sameOnBothLegs(relay?.connections ?? [], keyLogs);
  }

  async function runStep(step: Step): Promise<boolean> {
    switch (step.do) {
      case 'handshake':
        return handshake();
      case 'message': {
        for (let n = 0; n < (step.count ?? 1); n++) {
          const conn = usable(step.from, step);
          if (!conn) return false;
          const before = watch[step.from].obs.receipts;
          conn.sendText(`message ${n + 1} from the ${step.from}`);
          if (!(await settle(`the Receipt for the ${step.from}'s message`, () => watch[step.from].obs.receipts > before))) return false;
        }
        return true;
      }
      case 'ping': {
        const conn = usable(step.from, step);
        if (!conn) return false;
        const before = watch[step.from].obs.pongs;
        conn.ping();
        return settle(`the Pong for the ${step.from}'s Ping`, () => watch[step.from].obs.pongs > before);
      }
      case 'keyUpdate': {
        const conn = usable(step.from, step);
        if (!conn) return false;
        const peer = watch[otherSide(step.from)];
        const before = peer.obs.receiveGeneration;
        conn.keyUpdate(step.request);
        return settle(`the ${otherSide(step.from)} to apply the ${step.from}'s KeyUpdate`, () => peer.obs.receiveGeneration > before);
      }
      case 'close': {
        const conn = usable(step.from, step);
        if (!conn) return false;
        void conn.close();
        await until('both sides to end the connection', bothClosed);
        return false;
      }
    }
  }

  function usable(side: Side, step: Step): UaConnection | undefined {
    const w = watch[side];
    if (!w.connection || !w.obs.connected || w.closed) {
      notes.push(`not run (the ${side} is not Connected): ${describeStep(step)}`);
      return undefined;
    }
    return w.connection;
  }

  async function handshake(): Promise<boolean> {
    const responder = parties.responder;
    const listening = await orAbort('the responder to listen', agents.responder.listen({ port: 0, host: env.host }));
    const address = listening.address;
    let port = listening.port;
    if (ctx.record) {
      // The initiator reaches the responder through the recording relay: the capture sees every byte.
      relay = await recordingRelay(env.host, listening);
      port = relay.port;
    }
    const viaIrp = responder.user !== undefined && parties.initiator.defect === undefined;
    if (viaIrp) await orAbort("the responder's registration", responder.user!.registry.register(address, port));
    const attempt = viaIrp
      ? agents.initiator.connect(responder.identity.userId)
      : agents.initiator.connectTo({ address, port, peerUserId: responder.identity.userId, peerCertificates: responder.identity.chain });
    let failedToStart: string | undefined;
    try {
      watch.initiator.watch(await orAbort('the initiator to connect', attempt));
    } catch (err) {
      if (err instanceof Aborted) throw err;
      if (err instanceof HandshakeFailedError) watch.initiator.markClosed(err.info);
      else failedToStart = (err as Error).message;
    }
    if (failedToStart !== undefined) {
      notes.push(`the initiator could not start the handshake: ${failedToStart}`);
      return false;
    }
    return settle('both sides to become Connected', () => watch.initiator.obs.connected && watch.responder.obs.connected);
  }

  async function cleanUp(): Promise<void> {
    const open = SIDES.map((s) => watch[s].connection).filter((c): c is UaConnection => c !== undefined);
    for (const c of open) void c.close();
    // A peer with a closure knob may never answer close_notify: give it a moment, then cut the transport.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      timer.unref();
      void Promise.all(open.map((c) => c.closed)).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const c of open) c.abort();
    teardown.abort();
    await Promise.all(SIDES.map((s) => agents[s].close().catch(() => undefined)));
    if (relay) {
      // Both legs end once both UAs have closed; bounded, so a stuck socket cannot hold the case.
      const bounded = (p: Promise<void>): Promise<void> =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 1000);
          timer.unref();
          void p.then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      await bounded(relay.closed(relay.connections.length));
      await bounded(relay.close());
    }
  }
}

export function describeStep(step: Step): string {
  switch (step.do) {
    case 'handshake':
      return 'handshake';
    case 'message':
      return `${step.count ?? 1} message(s) from the ${step.from}`;
    case 'ping':
      return `ping from the ${step.from}`;
    case 'keyUpdate':
      return `key update (request=${step.request}) from the ${step.from}`;
    case 'close':
      return `close from the ${step.from}`;
  }
}
