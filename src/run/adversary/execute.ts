// Runs one adversary case: brings up "the implementation in role R" through the door
// (src/iut/door.ts), connects the adversarial peer to it in the other role, runs the script, and
// turns what happened into the verdict and evidence of the other suites (src/run/model.ts).
// The adversary's addresses are injectable (a recording forwarder may sit in between), and every
// chunk it writes or reads can be reported (`tap`). Recording (`record`), it keeps its connection's
// events for the case's capture, with its own secrets and the implementation's key log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { issueCredentials, pemOf } from '../../iut/credentials.js';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { defectUserId, unissuedLeafCase } from '../../pki/defects.js';
import { seededRandom } from '../../protocol/random.js';
import { defectCase } from '../conversation.js';
import { Adversary } from '../../adversary/adversary.js';
import { Link, type ChunkTap } from '../../adversary/link.js';
import { Session } from '../../adversary/session.js';
import type { Script } from '../../adversary/script.js';
import type { ImplementationUnderTest, IutInstance, IutRole } from '../../iut/door.js';
import type { RunEnvironment, Slot } from '../environment.js';
import type { WireConnection } from '../captures.js';
import type { TcpEvent } from '../../capture/pcap.js';

export interface AdversaryRunContext {
  env: RunEnvironment;
  slot: Slot;
  /** `${run seed}/${case id}`. */
  seed: string;
  signal: AbortSignal;
  iut: ImplementationUnderTest;
  /** Where the adversary connects to instead of the implementation's own address (a forwarder), by the address the implementation listens on. */
  route?: (to: { host: string; port: number }) => { host: string; port: number };
  tap?: ChunkTap;
  /** Keep the connection's events and the key logs (the case's capture, src/run/captures.ts). */
  record?: boolean;
  /** How long an expectation waits (default 3000 ms). */
  expectTimeoutMs?: number;
}

export interface AdversaryRecord {
  /** undefined: every expectation held. */
  mismatch: string | undefined;
  /** One line per step and per frame received. */
  log: string[];
  /** Recording: the adversary's connection (none when the implementation never connected) and the key log texts. */
  wire?: { connections: WireConnection[]; keyLogs: string[] };
}

/** A holder of a defect-catalogue chain: its user ID, the chain, and the key of its leaf. */
function defectIdentity(env: RunEnvironment, id: string | 'unissued'): { userId: string; privateKey: KeyObject; chain: Buffer[] } {
  const dc = id === 'unissued' ? unissuedLeafCase(env.pki) : defectCase(env.pki, id);
  const leafSpki = new X509Certificate(dc.chain[0]!).publicKey.export({ format: 'der', type: 'spki' });
  const candidates = [env.pki.key('defect/leaf', 'p256'), env.pki.key('defect/rsa-leaf', 'rsa2048')];
  const key = candidates.find((c) => c.spki.equals(leafSpki)) ?? candidates[0]!;
  return { userId: dc.expectedUserId ?? defectUserId(env.pki), privateKey: key.privateKey, chain: dc.chain };
}


export async function runAdversaryScript(script: Script, ctx: AdversaryRunContext): Promise<AdversaryRecord> {
  // The wire is complete only once everything is closed, after the record is made: handed back apart.
  let recorded: AdversaryRecord['wire'];
  const record = await runScript(script, ctx, (wire) => (recorded = wire));
  return recorded ? { ...record, wire: recorded } : record;
}

async function runScript(script: Script, ctx: AdversaryRunContext, keep: (wire: NonNullable<AdversaryRecord['wire']>) => void): Promise<AdversaryRecord> {
  const { env, slot } = ctx;
  const iutRole: IutRole = script.role === 'initiator' ? 'responder' : 'initiator';
  const iutUser = iutRole === 'responder' ? (script.iut?.identity === 'rsa' ? slot.rsaResponder : slot.responder) : slot.initiator;
  const advUser = script.identity === 'rsa' ? slot.rsaResponder : script.role === 'initiator' ? slot.initiator : slot.responder;
  const advIdentity = typeof script.identity === 'object' ? defectIdentity(env, script.identity.defect) : script.identity === 'unissued' ? defectIdentity(env, 'unissued') : advUser.identity;
  const session = new Session(script.role, { userId: advIdentity.userId, privateKey: advIdentity.privateKey, chain: advIdentity.chain }, seededRandom(`${ctx.seed}/adversary`));
  if (script.role === 'initiator') session.peerChain = iutUser.identity.chain;
  const inProcess = ctx.iut.command === 'in-process';
  // The implementation's key log needs a file: a directory for the in-process reference too when recording.
  const iutKeyLog = ctx.record === true && ctx.iut.capabilities.keyLog;
  const workDir = inProcess && !iutKeyLog ? '' : mkdtempSync(path.join(os.tmpdir(), 'sixbench-adv-'));
  const keyLogFile = iutKeyLog ? path.join(workDir, 'iut.keylog') : undefined;
  // client = the side that connected: the adversary when the implementation is the responder.
  const events: TcpEvent[] = [];
  let linked = false;
  const ours = script.role === 'initiator' ? ('client' as const) : ('server' as const);
  const theirs = ours === 'client' ? ('server' as const) : ('client' as const);
  const tap: ChunkTap | undefined = ctx.record
    ? (direction, ev) => {
        ctx.tap?.(direction, ev);
        const from = direction === 'out' ? ours : theirs;
        events.push(ev.kind === 'data' ? { from, kind: 'data', bytes: ev.bytes } : { from, kind: ev.kind });
      }
    : ctx.tap;
  // The registry: always for an implementation that is not the in-process reference (it must establish
  // our certificate's status, E2ED-CERT-24); for the reference only when the case is about it, since a
  // status look-up per case is most of a case's cost and the certificates suite covers status.
  const lies = script.iut?.registryLies;
  const stub = lies ? await env.startStub({ lies }) : undefined;
  const withRegistry = script.iut?.registry === true || lies !== undefined || ctx.iut.command !== 'in-process';
  const log: string[] = [];
  const anchorsFile = inProcess ? '' : path.join(workDir, 'registry-ca.pem');
  if (withRegistry && !inProcess) writeFileSync(anchorsFile, pemOf(env.pki.anchors));
  let instance: IutInstance | undefined;
  let link: Link | undefined;
  let listener: Awaited<ReturnType<typeof Link.listen>> | undefined;
  try {
    const base = {
      caseId: ctx.seed,
      role: iutRole,
      workDir,
      // Files for a process; the in-process reference takes the keys as they are (no PEM to write and read per case).
      credentials:
        ctx.iut.command === 'in-process'
          ? { ...iutUser.identity, trustAnchors: env.pki.anchors, files: { key: '', chain: '', anchors: '' } }
          : await issueCredentials(path.join(workDir, 'credentials'), { ...iutUser.identity, trustAnchors: env.pki.anchors }),
      // No echo, no scripted close: the adversary drives the conversation (a level-1 initiator with Messages is scripted).
      drive: script.iut?.messages ? ('script' as const) : ('control' as const),
      seed: `${ctx.seed}/iut`,
      now: new Date(env.pki.referenceTime.getTime() + (script.iut?.clockYears ?? 0) * 365.25 * 86400_000),
      ...(script.iut?.versions ? { versions: script.iut.versions } : {}),
      ...(script.iut?.methods ? { methods: script.iut.methods } : {}),
      ...(script.iut?.ciphers ? { ciphers: script.iut.ciphers } : {}),
      ...(script.iut?.messages ? { messages: script.iut.messages } : {}),
      ...(withRegistry ? { registry: { host: env.host, port: (stub ?? env.stub).port, caFile: anchorsFile, ca: env.pki.anchors } } : {}),
      ...(keyLogFile ? { keyLogFile } : {}),
    };
    if (iutRole === 'responder') {
      instance = await ctx.iut.start({ ...base, listen: { host: env.host, port: 0 } }, ctx.signal);
      if (!instance.listening) throw new Error('the implementation did not report where it listens');
      const to = ctx.route ? ctx.route(instance.listening) : instance.listening;
      link = await Link.connect(to, tap, ctx.signal);
      linked = true;
    } else {
      listener = await Link.listen({ host: env.host, port: 0 }, tap);
      const at = ctx.route ? ctx.route(listener.address) : listener.address;
      // Found by a look-up: the adversary registers where it listens, as its user (E2ED-HS-37).
      if (script.iut?.registry) await advUser.registry.register(at.host, at.port);
      instance = await ctx.iut.start({ ...base, connect: { host: at.host, port: at.port, peerUserId: advIdentity.userId } }, ctx.signal);
      link = await Promise.race([
        listener.accepted,
        new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('the implementation did not connect')), { once: true })),
      ]);
      linked = true;
    }
    const adversary = new Adversary({
      session,
      link,
      peerUserId: iutUser.identity.userId,
      offer: {
        versions: script.offer?.versions ?? ['1.0'],
        methods: script.offer?.methods ?? ['x25519'],
        ciphers: script.offer?.ciphers ?? ['AES-256-GCM'],
      },
      signal: ctx.signal,
      ...(ctx.expectTimeoutMs !== undefined ? { expectTimeoutMs: ctx.expectTimeoutMs } : {}),
    });
    if (script.role === 'responder' && script.offer?.ciphers?.[0]) session.cipher = script.offer.ciphers[0] as Session['cipher'];
    if (script.identity === 'rsa') session.rsaPrivateKey = advUser.identity.privateKey;
    let mismatch: string | undefined;
    try {
      mismatch = await adversary.run(script);
    } catch (err) {
      mismatch = `the script could not go on: ${(err as Error).message}`;
    }
    if (ctx.signal.aborted && mismatch !== undefined) mismatch = `${mismatch} (the case timed out)`;
    log.push(...adversary.log);
    return { mismatch, log };
  } finally {
    link?.destroy();
    listener?.close();
    await instance?.stop().catch(() => undefined);
    await stub?.close().catch(() => undefined);
    if (ctx.record) wireOf();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }

  /** The record's wire, read once everything is closed (the implementation's key log is complete then). */
  function wireOf(): void {
    let iutLog = '';
    try {
      if (keyLogFile) iutLog = readFileSync(keyLogFile, 'utf8');
    } catch {
      iutLog = ''; // it derived no secret (refused before its Hello), so wrote no file
    }
    keep({ connections: linked || events.length > 0 ? [{ events }] : [], keyLogs: [session.keyLog.join('\n'), iutLog] });
  }
}
