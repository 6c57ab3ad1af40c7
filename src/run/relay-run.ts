// Runs one relay case (issue 10): two honest parties brought up through the door
// (src/iut/door.ts: the in-process reference by default, an IUT in either position), the relay
// (src/relay/relay.ts) in the path between them, scripted by the case. Every step waits on events,
// never on time; the runner's per-case timeout arrives as an aborted signal.
//
// What a case can set up besides the script:
// - `steer`: the initiator is handed the attacker's address where it asked for the responder's, as
//   a registry answering with a wrong address would (src/irp/adversary.ts `wrongAddress`); the
//   attacker is a UA holding its own valid certificate (another enrolled user) that ignores `to`;
// - `second`: a second session, either another honest initiator connecting through the relay at
//   the same time (splice), or the relay itself replaying session 0's initiator frames (replay).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImplementationUnderTest, IutInstance, IutStartRequest } from '../iut/door.js';
import { issueCredentials, pemOf } from '../iut/credentials.js';
import { referenceImplementation } from '../iut/reference.js';
import { Relay, type RelayLogEntry } from '../relay/relay.js';
import type { RelayScript } from '../relay/script.js';
import type { UaEvent } from '../ua/events.js';
import type { UaIdentity } from '../ua/agent.js';
import { createCsr } from '../pki/csr.js';
import { SideWatch } from './conversation.js';
import type { RunEnvironment, Slot } from './environment.js';
import { judgeSide } from './judge.js';
import type { Side, SideExpectation, SideObservation } from './model.js';
import type { CaseWire } from './captures.js';

/** An honest party's configuration; everything unset is the conforming default. */
export interface HonestSetup {
  versions?: string[];
  methods?: string[];
  ciphers?: string[];
  /** Make this honest side careless (src/protocol/bugs.ts ids): the self-test's way to show detection. */
  knobs?: string[];
  /** The responder holds the RSA user (rsa-oaep). */
  identity?: 'p256' | 'rsa';
}

/** Who is observed: the two honest sides of session 0, and of a second session. */
export type RelayParty = 'initiator' | 'responder' | 'initiator2' | 'responder2';
export const RELAY_PARTIES: readonly RelayParty[] = ['initiator', 'responder', 'initiator2', 'responder2'];

export interface RelayPlan {
  initiator?: HonestSetup;
  responder?: HonestSetup;
  script: RelayScript;
  /** Messages the initiator sends once Connected, each awaiting its Receipt (the responder echoes each); default 1. */
  messages?: number;
  steer?: boolean;
  /**
   * The initiator, once Connected, sends KeyUpdate (request="true") then one Message, and closes
   * once it has the Receipt (commands: level 3). Its records i2r are #0 KeyUpdate, #1 the Message.
   */
  keyUpdate?: boolean;
  second?: 'initiator' | 'replay';
  expect: Partial<Record<RelayParty, SideExpectation>>;
}

export interface RelayRecord {
  observed: Partial<Record<RelayParty, SideObservation>>;
  mismatches: string[];
  /** The relay's log, one line per frame or leg event: what the attacker did. */
  attacker: string[];
  events: Partial<Record<RelayParty | 'attacker', string[]>>;
  /** Recording: both legs of every session the relay handled, and the key logs of the parties (src/run/captures.ts). */
  wire?: CaseWire;
}

export interface RelayContext {
  env: RunEnvironment;
  slot: Slot;
  seed: string;
  signal: AbortSignal;
  /** The implementation in each honest position (default: the in-process reference). */
  parties?: Partial<Record<Side, ImplementationUnderTest>>;
  /** Where the parties' credentials and files go (default: a temporary directory, removed after). */
  workDir?: string;
  /** Keep what each leg carried and the parties' key logs for the case's capture. */
  record?: boolean;
}

export function describeLogEntry(e: RelayLogEntry): string {
  const what = [e.dir, e.frame, e.bytes !== undefined ? `(${e.bytes} bytes)` : undefined, e.summary ? `[${e.summary}]` : undefined].filter(Boolean).join(' ');
  return `session ${e.session}${what ? ` ${what}` : ''}: ${e.action}`;
}

/** Splits one agent's events by connection, in order of first appearance (the responder's sessions). */
class ConnectionWatches {
  readonly watches: SideWatch[] = [];
  private readonly byConnection = new Map<number, SideWatch>();
  readonly all: string[] = [];
  constructor(private readonly changed: () => void) {}
  readonly onEvent = (ev: UaEvent): void => {
    // Agent-wide events belong to no connection; an implementation that numbers none has one.
    if (ev.event === 'listening' || ev.event === 'registered') return;
    const connection = ev.connection ?? 0;
    let w = this.byConnection.get(connection);
    if (!w) {
      w = new SideWatch(this.changed);
      this.byConnection.set(connection, w);
      this.watches.push(w);
    }
    w.onEvent(ev);
  };
}

class Aborted extends Error {}

/**
 * The responder enrols with a registry of the case's own that lies with `wrongAddress` (pointing
 * at `attackerAt`) and registers its real address; the bench's look-up there is what the
 * initiator is handed: the attacker's address, with the responder's valid, signed record.
 */
async function lyingLookup(env: RunEnvironment, responder: UaIdentity, real: { host: string; port: number }, attackerAt: { host: string; port: number }): Promise<{ host: string; port: number; chain: Buffer[] }> {
  const stub = await env.startStub({ accounts: [{ userId: responder.userId, password: env.password }], lies: { wrongAddress: { address: attackerAt.host, port: attackerAt.port } } });
  try {
    const enrol = await env.connectRegistry(stub.port);
    let chain: Buffer[];
    try {
      await enrol.login(responder.userId, env.password);
      chain = await enrol.enroll(createCsr(responder.privateKey, responder.userId));
      await enrol.authenticate(responder.userId, chain, responder.privateKey);
      await enrol.register(real.host, real.port);
    } finally {
      await enrol.close();
    }
    const client = await env.connectRegistry(stub.port);
    try {
      const record = await client.lookup(responder.userId);
      return { host: record.address, port: record.port, chain: record.certificates };
    } finally {
      await client.close();
    }
  } finally {
    await stub.close();
  }
}

function upperDomain(userId: string): string {
  const at = userId.lastIndexOf('@');
  return `${userId.slice(0, at)}@${userId.slice(at + 1).toUpperCase()}`;
}

/** The script with `{initiator}`, `{responder}`, `{third}`, `{responder-upper-domain}` in strings replaced by this run's user IDs. */
export function resolveNames(script: RelayScript, names: Record<string, string>): RelayScript {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{([a-z-]+)\}/g, (m, n: string) => names[n] ?? m);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(script) as RelayScript;
}

export async function runRelayCase(plan: RelayPlan, ctx: RelayContext): Promise<RelayRecord> {
  const { env, slot } = ctx;
  const reference = referenceImplementation();
  const impl = (side: Side): ImplementationUnderTest => ctx.parties?.[side] ?? reference;
  const ownDir = ctx.workDir === undefined;
  const workDir = ctx.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'sixbench-relay-')));
  const instances: IutInstance[] = [];
  let relay: Relay | undefined;
  let wake: () => void = () => undefined;
  const changed = (): void => wake();
  ctx.signal.addEventListener('abort', () => wake(), { once: true });
  const until = async (what: string, done: () => boolean): Promise<void> => {
    while (!done()) {
      if (ctx.signal.aborted) throw new Aborted(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const responderUser = plan.responder?.identity === 'rsa' ? slot.rsaResponder : slot.responder;
  const third = plan.responder?.identity === 'rsa' ? slot.responder : slot.rsaResponder;
  const credentials = (name: string, id: UaIdentity) => issueCredentials(path.join(workDir, name), { userId: id.userId, privateKey: id.privateKey, chain: id.chain, trustAnchors: id.trustAnchors });
  // The key log of each party that writes one (every party but the relay is the bench's own side).
  const keyLogFiles: string[] = [];
  const keyLogOf = (name: string, implementation: ImplementationUnderTest): Partial<IutStartRequest> => {
    if (!ctx.record || !implementation.capabilities.keyLog) return {};
    const keyLogFile = path.join(workDir, `${name}.keylog`);
    keyLogFiles.push(keyLogFile);
    return { keyLogFile };
  };
  const setup = (s: HonestSetup | undefined): Partial<IutStartRequest> => ({
    ...(s?.versions ? { versions: s.versions } : {}),
    ...(s?.methods ? { methods: s.methods } : {}),
    ...(s?.ciphers ? { ciphers: s.ciphers } : {}),
    ...(s?.knobs ? { knobs: s.knobs } : {}),
  });
  const now = env.pki.referenceTime;
  const responders = new ConnectionWatches(changed);
  const initiators: SideWatch[] = [];
  const exited: boolean[] = [];
  const attackerEvents: string[] = [];
  const notes: string[] = [];
  let steeredTo: string | undefined;
  let wire: CaseWire | undefined;
  try {
    const responder = await impl('responder').start(
      { caseId: 'relay', role: 'responder', workDir: path.join(workDir, 'responder'), credentials: await credentials('responder', responderUser.identity), listen: { host: env.host, port: 0 }, drive: 'script', seed: `${ctx.seed}/responder`, now, ...setup(plan.responder), ...keyLogOf('responder', impl('responder')) },
      ctx.signal,
    );
    instances.push(responder);
    responder.onEvent(responders.onEvent);
    let target = responder.listening!;
    if (plan.steer) {
      // The attacker: another enrolled user with its own valid certificate, answering whatever `to` says.
      const attacker = await reference.start(
        { caseId: 'relay-attacker', role: 'responder', workDir: path.join(workDir, 'attacker'), credentials: await credentials('attacker', third.identity), listen: { host: env.host, port: 0 }, drive: 'script', seed: `${ctx.seed}/attacker`, now, knobs: ['validation.skipIdentityCheck'], ...keyLogOf('attacker', reference) },
        ctx.signal,
      );
      instances.push(attacker);
      attacker.onEvent((ev) => {
        if (ev.connection !== undefined) attackerEvents.push(ev.event === 'message_received' ? `message_received "${ev.text}"` : ev.event);
      });
      target = attacker.listening!;
    }
    const names: Record<string, string> = {
      initiator: slot.initiator.identity.userId,
      responder: responderUser.identity.userId,
      third: third.identity.userId,
      'responder-upper-domain': upperDomain(responderUser.identity.userId),
    };
    relay = await Relay.start({
      listen: { host: env.host, port: 0 },
      target,
      script: resolveNames(plan.script, names),
      chains: { third: third.identity.chain, initiator: slot.initiator.identity.chain, responder: responderUser.identity.chain },
    });
    // Where the initiator goes, and the chain it expects, as a look-up answers them: the relay in
    // front of the honest responder; or, steered, the answer of a registry with the wrongAddress
    // lie (a stub of the case's own, src/irp/adversary.ts), which points at the attacker's relay.
    let lookedUp = { host: relay.address.host, port: relay.address.port, chain: responderUser.identity.chain };
    if (plan.steer) lookedUp = await lyingLookup(env, responderUser.identity, responder.listening!, relay.address);
    if (plan.steer) steeredTo = lookedUp.host === relay.address.host && lookedUp.port === relay.address.port ? "the attacker relay's address" : 'an address that is not the attacker relay (the lie did not take)';
    // The responder's chain as a look-up returns it, as a file too: rsa-oaep key transport needs it.
    const peerChainFile = path.join(workDir, 'peer-chain.pem');
    await mkdir(workDir, { recursive: true });
    await writeFile(peerChainFile, pemOf(lookedUp.chain));
    const startInitiator = async (n: number, messages: number): Promise<void> => {
      const watch = new SideWatch(changed);
      initiators.push(watch);
      const inst = await impl('initiator').start(
        {
          caseId: 'relay', role: 'initiator', workDir: path.join(workDir, `initiator${n}`), credentials: await credentials(`initiator${n}`, slot.initiator.identity),
          connect: { host: lookedUp.host, port: lookedUp.port, peerUserId: responderUser.identity.userId, peerChain: lookedUp.chain },
          peerChainFile,
          messages: Array.from({ length: messages }, (_, k) => `relay case message ${k + 1} of session ${n}`),
          drive: plan.keyUpdate ? 'control' : 'script', seed: `${ctx.seed}/initiator${n}`, now, ...setup(plan.initiator), ...keyLogOf(`initiator${n}`, impl('initiator')),
        },
        ctx.signal,
      );
      instances.push(inst);
      inst.onEvent(watch.onEvent);
      if (plan.keyUpdate) {
        const control = inst.control;
        if (!control) throw new Error('the initiator takes no commands (level 3 needed for KeyUpdate)');
        inst.onEvent((ev) => {
          if (ev.event === 'connected') {
            // The implementation may report Connected just before it takes commands: retry on the next turns.
            const go = (tries: number): void => {
              try {
                control.keyUpdate(true);
                control.send(`relay case message 1 of session ${n}, after KeyUpdate`);
              } catch (err) {
                if (tries > 0) setImmediate(() => go(tries - 1));
                else notes.push(`the initiator took no commands: ${(err as Error).message}`);
              }
            };
            go(100);
          } else if (ev.event === 'receipt_received') control.close();
        });
      }
      void inst.exited.then(() => {
        exited[n] = true;
        changed();
      });
    };
    await startInitiator(0, plan.messages ?? 1);
    if (plan.second === 'initiator') {
      await relay.session(0);
      await startInitiator(1, 1);
    }
    await until('the initiator to end', () => exited[0] === true);
    if (plan.second === 'initiator') await until('the second initiator to end', () => exited[1] === true);
    const r = relay;
    const sessionsClosed = Promise.all(r.sessions.map((s) => s.closed)).then(() => true);
    let legsClosed = false;
    void sessionsClosed.then(() => {
      legsClosed = true;
      changed();
    });
    await until('the relay legs to close', () => legsClosed);
    if (plan.second === 'replay') {
      const replay = r.replayInitiator(0);
      let replayed = false;
      void replay.then(() => {
        replayed = true;
        changed();
      }, (err: Error) => {
        notes.push(`the replay could not run: ${err.message}`);
        replayed = true;
        changed();
      });
      await until('the replayed session to end', () => replayed);
    }
    if (!plan.steer) {
      const sessions = r.sessions.length;
      await until("the responder's side of every session to end", () => responders.watches.length >= sessions && responders.watches.every((w) => w.closed));
    }
  } catch (err) {
    if (!(err instanceof Aborted)) throw err;
    notes.push(err.message);
  } finally {
    for (const inst of instances) await inst.stop().catch(() => undefined);
    await relay?.close();
    if (ctx.record) wire = await relayWire(relay, keyLogFiles);
    if (ownDir) await rm(workDir, { recursive: true, force: true });
  }
  const observed: Partial<Record<RelayParty, SideObservation>> = {};
  const events: RelayRecord['events'] = {};
  const sources: Record<RelayParty, SideWatch | undefined> = {
    initiator: initiators[0],
    responder: responders.watches[0],
    initiator2: initiators[1],
    responder2: responders.watches[1],
  };
  for (const p of RELAY_PARTIES) {
    const w = sources[p];
    if (!w) continue;
    observed[p] = w.obs;
    events[p] = w.events;
  }
  if (plan.steer) events.attacker = attackerEvents;
  // The attack's success heads the list, before any wait it caused (a careless side may then wait
  // for a record the relay dropped, and the case times out behind the success).
  const judged = judgeRelay(plan.expect, observed);
  const success = judged[0]?.startsWith('the attack succeeded: ') ? judged.splice(0, 1) : [];
  const mismatches = [...success, ...notes, ...judged];
  const attacker = (relay?.log ?? []).map(describeLogEntry);
  if (steeredTo) attacker.unshift(`a registry lying with wrongAddress answered the initiator's look-up of ${responderUser.identity.userId} with ${steeredTo}`);
  return { observed, mismatches, attacker, events, ...(wire ? { wire } : {}) };
}

/**
 * Both legs of every session the relay handled, each with the bytes it really carried (they differ
 * when the relay altered, dropped or injected): 'initiator' the initiator <-> relay legs, 'responder'
 * the relay <-> responder legs (a replayed session has only this one); and the parties' key logs.
 */
async function relayWire(relay: Relay | undefined, keyLogFiles: readonly string[]): Promise<CaseWire> {
  const sessions = relay?.sessions ?? [];
  // A party refused before deriving any secret wrote no file.
  const keyLogs = await Promise.all(keyLogFiles.map((f) => readFile(f, 'utf8').catch(() => '')));
  return {
    legs: [
      { name: 'initiator', connections: sessions.flatMap((s) => (s.down?.connected ? [{ events: s.down.events }] : [])) },
      { name: 'responder', connections: sessions.flatMap((s) => (s.up.connected ? [{ events: s.up.events }] : [])) },
    ],
    keyLogs,
  };
}

const NOT_SEEN: SideObservation = { connected: false, alertsSent: [], alertsReceived: [], delivered: 0, receipts: 0, pongs: 0, receiveGeneration: 0, sendGeneration: 0 };

/**
 * The expectations against what each honest side did. When a side that had to be refused reached
 * Connected or was delivered a Message, the first line says the attack succeeded, and how.
 */
export function judgeRelay(expect: RelayPlan['expect'], observed: Partial<Record<RelayParty, SideObservation>>): string[] {
  const out: string[] = [];
  const success: string[] = [];
  for (const p of RELAY_PARTIES) {
    const e = expect[p];
    if (!e) continue;
    const o = observed[p] ?? NOT_SEEN;
    if (e.connected === false && o.connected) success.push(`the ${p} reached Connected${o.negotiated ? ` (${o.negotiated.version} ${o.negotiated.method} ${o.negotiated.cipher})` : ''}`);
    if (e.delivered === 0 && o.delivered > 0) success.push(`the ${p} delivered ${o.delivered} Message(s) to its user`);
    out.push(...judgeSide(p, e, o));
  }
  if (success.length > 0) out.unshift(`the attack succeeded: ${success.join('; ')}`);
  return out;
}
