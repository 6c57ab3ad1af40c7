// One conversation of the suites with an implementation under test (IUT) on one side and a
// reference User Agent (possibly with a knob, possibly holding a defective chain) on the other
// (issue 8, docs/adapter.md). The script and the expectations are the case's own; what changes:
// - the IUT is brought up through the door (src/iut/door.ts) with credentials the bench issued;
// - steps from the IUT's side are commands (level 3), or its own script (level 1: the echo
//   responder, the scripted initiator);
// - the IUT's side is observed through its events from level 2; at level 1 only the reference's
//   side (the wire as the reference saw it) is judged, and the result says which checks ran;
// - session keys (src/run/iut-keys.ts): the bench recomputes the key schedule from the captured
//   bytes and its own side's key material; with a key log every secret the IUT logged must equal
//   it, and with or without one every record the IUT sent must open under the recomputed keys.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { caseTime, type DefectCase } from '../pki/defects.js';
import { serialOfCertificate } from '../irp/verify.js';
import type { RunEnvironment } from './environment.js';
import { HandshakeFailedError, irpDirectory, UserAgent, type UaConnection } from '../ua/agent.js';
import { parseBugs } from '../protocol/bugs.js';
import { parseKeyLog, type KeyLogEntry } from '../protocol/keylog.js';
import type { ImplementationUnderTest, IutDiagnostics, IutExit, IutInstance, IutStartRequest } from '../iut/door.js';
import { IutStartError } from '../iut/errors.js';
import { issueCredentials, pemOf } from '../iut/credentials.js';
import { Aborted, describeStep, observationOf, partyFor, SideWatch, staticDirectory, waitUntil, type ConversationContext } from './conversation.js';
import { judgeConversation } from './judge.js';
import { checkSessionKeys } from './iut-keys.js';
import { EnrolmentError, openEnrolment, readEnrolledChain } from './iut-enrolment.js';
import { recordingRelay, type RecordingRelay } from './relay.js';
import { relayedWire, type CaseWire } from './captures.js';
import { cloneExpectation, judgeEchoes, judgeScriptedMessages, type ReceivedMessage, type SentMessage } from './iut-echo.js';
import type { CipherName } from '../protocol/record.js';
import { otherSide, SIDES, type Conversation, type ConversationExpectation, type ConversationObservation, type Side, type Step } from './model.js';

export interface IutConversationContext extends ConversationContext {
  iut: ImplementationUnderTest;
  iutSide: Side;
  /** This case's own directory (credentials, key logs, messages). */
  workDir: string;
  /** Below level 3: what the echo model left unchecked of the case (src/run/iut-echo.ts), for the result's checks. */
  notChecked?: string[];
}

/** Which checks a verdict rests on (the report says it, issue 8 §2 and §4). */
export interface KeyCheck {
  check: 'key-log' | 'records' | 'none';
  /** Secrets of section 7 the bench recomputed from the captured transcript and its own key material. */
  derived?: number;
  /** key-log: recomputed secrets the IUT logged with the same value. */
  matched?: number;
  /** Records the IUT sent (captured), and how many opened under the recomputed keys. */
  records?: number;
  opened?: number;
}

export interface IutConversationRecord {
  observation: ConversationObservation;
  events: Record<Side, string[]>;
  /** The case cannot be judged: the IUT did not come up, died, or hung. */
  error?: string;
  /** The IUT said it does not support the case (exit status 127). */
  unsupported?: string;
  mismatches: string[];
  checks: string[];
  keys: KeyCheck;
  exit?: IutExit;
  diagnostics?: IutDiagnostics;
  /** The connection as the relay recorded it and both key logs (the IUT's, the reference's), for the case's capture. */
  wire?: CaseWire;
}

/** How long the IUT's own report of the end may lag behind the reference's. */
export const IUT_EVENT_GRACE_MS = 1000;

/** Steps the IUT takes in this conversation (those need level 3, or its own script). */
export function iutSteps(conv: Conversation, iutSide: Side): Step[] {
  return conv.steps.filter((s) => s.do !== 'handshake' && s.from === iutSide);
}

/**
 * Level 1 and 2 implementations run their own script: an initiator connects, sends its Messages,
 * awaits their Receipts, closes. The conversation fits when the IUT's steps are exactly that.
 */
export function fitsInitiatorScript(conv: Conversation): number | undefined {
  const rest = conv.steps.slice(1);
  if (conv.steps[0]?.do !== 'handshake') return undefined;
  let messages = 0;
  for (let i = 0; i < rest.length; i++) {
    const s = rest[i]!;
    if (s.do === 'message' && s.from === 'initiator') messages += s.count ?? 1;
    else if (s.do === 'close' && s.from === 'initiator' && i === rest.length - 1) return messages;
    else return undefined;
  }
  return rest.length === 0 ? messages : undefined;
}

/**
 * The expectations as far as they can be checked at this level, adjusted for the echo model:
 * a level 1/2 responder echoes each Message back, so the reference's side is delivered one
 * Message per Receipt it got, and the IUT gets a Receipt for each echo.
 */
export function expectationsFor(expect: ConversationExpectation, iutSide: Side, level: number, echo: boolean): { expect: ConversationExpectation; checks: string[] } {
  const refSide = otherSide(iutSide);
  const out = cloneExpectation(expect);
  const checks = [`the ${refSide} (reference) side, as it saw the wire`];
  if (echo) {
    const ref = out[refSide];
    const echoes = expect[refSide]?.receipts;
    if (ref && echoes !== undefined) {
      if (ref.delivered !== undefined) ref.delivered += echoes;
      const iut = out[iutSide];
      if (iut?.receipts !== undefined) iut.receipts += echoes;
    }
    checks.push('the echo model: one echoed Message per Receipt');
  }
  if (level < 2) {
    delete out[iutSide];
    if (out.agree) {
      delete out.agree;
      checks.push(`not checked: the ${iutSide} (IUT) side and the exporter agreement (level 1: no events)`);
    } else checks.push(`not checked: the ${iutSide} (IUT) side (level 1: no events)`);
  } else {
    checks.push(`the ${iutSide} (IUT) side, from its events (level ${level})`);
    if (out.agree) checks.push('the exporters and parameters of both sides agree');
  }
  return { expect: out, checks };
}

async function readKeyLog(file: string): Promise<{ entries: KeyLogEntry[]; malformedLines: number[] } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseKeyLog(text);
}

export async function runIutConversation(conv: Conversation, ctx: IutConversationContext): Promise<IutConversationRecord> {
  const { env, slot, iut, iutSide } = ctx;
  const refSide = otherSide(iutSide);
  const level = iut.capabilities.level;
  const drive: 'script' | 'control' = level >= 3 ? 'control' : 'script';
  const echo = drive === 'script' && iutSide === 'responder';
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };
  const watch: Record<Side, SideWatch> = { initiator: new SideWatch(changed), responder: new SideWatch(changed) };
  const notes: string[] = [];
  const parties = { initiator: partyFor(env, slot, 'initiator', conv.initiator), responder: partyFor(env, slot, 'responder', conv.responder) };
  const refParty = parties[refSide];
  const iutParty = parties[iutSide];
  const refSetup = conv[refSide];
  const iutSetup = conv[iutSide];
  const facingDefect = refParty.defect;
  /** The reference's Messages (with the receiving generation their echo must reach) and those it received. */
  const refSent: SentMessage[] = [];
  const refReceived: ReceivedMessage[] = [];
  let refRequestedKeyUpdates = 0;

  await mkdir(ctx.workDir, { recursive: true });
  const refKeyLog = path.join(ctx.workDir, 'reference.keylog');
  const iutKeyLog = path.join(ctx.workDir, 'iut.keylog');
  const caFile = path.join(ctx.workDir, 'irp-ca.pem');
  await writeFile(caFile, pemOf(env.pki.anchors));
  const credentials = await issueCredentials(path.join(ctx.workDir, 'credentials'), {
    ...iutParty.identity,
    trustAnchors: facingDefect ? facingDefect.anchors : iutParty.identity.trustAnchors,
  });

  if (facingDefect) vouchForDefectLeaf(env, facingDefect);
  // The reference's seed: its key material is re-derived from it to recompute the session keys.
  const refSeed = `${ctx.seed}/${refSide}`;
  const endpoint = iut.endpoint;
  // An IUT that enrols itself gets a fresh account and the key type its side of the case needs (docs/adapter.md).
  const enrolment = iut.capabilities.irpEnrolment && !endpoint
    ? openEnrolment(env, ctx.workDir, iutSide, iutSetup.identity === 'rsa' ? 'rsa2048' : 'p256')
    : undefined;
  /** The chain the enrolling IUT's registry issued, once read back and checked. */
  let enrolledChain: Buffer[] | undefined;
  const benchChains = [slot.initiator, slot.responder, slot.rsaResponder].map((u) => u.identity.chain);
  const iutUserId = endpoint ? endpoint.userId : enrolment ? enrolment.userId : iutParty.identity.userId;
  const ref = new UserAgent({
    // An endpoint's chain comes from its own PKI: the reference trusts its anchors too, and cannot ask the bench's registry about it.
    identity: endpoint ? { ...refParty.identity, trustAnchors: [...refParty.identity.trustAnchors, ...endpoint.anchors] } : refParty.identity,
    directory: facingDefect || endpoint ? staticDirectory([]) : refParty.user ? irpDirectory(refParty.user.registry) : staticDirectory([]),
    ...(refSetup.versions ? { versions: refSetup.versions } : {}),
    ...(refSetup.methods ? { methods: refSetup.methods } : {}),
    ...(refSetup.ciphers ? { ciphers: refSetup.ciphers } : {}),
    bugs: parseBugs(refSetup.knobs ?? []),
    seed: refSeed,
    now: () => env.pki.referenceTime,
    keyLogFile: refKeyLog,
    onEvent: (ev) => {
      // What the IUT's Messages carried, as the reference opened them (the echo model judges the texts).
      if (ev.event === 'message_received') refReceived.push({ text: ev.text, generation: watch[refSide].obs.receiveGeneration });
      watch[refSide].onEvent(ev);
    },
  });
  if (refSide === 'responder') ref.onConnection((c) => watch.responder.watch(c));

  const scriptMessages = iutSide === 'initiator' && drive === 'script' ? fitsInitiatorScript(conv) : undefined;
  const request: IutStartRequest = {
    caseId: ctx.seed,
    role: iutSide,
    drive,
    workDir: ctx.workDir,
    credentials,
    ...(enrolment ? { enrolment } : {}),
    registry: { host: env.host, port: env.stub.port, caFile, ca: env.pki.anchors },
    ...(iutSetup.versions ? { versions: iutSetup.versions } : {}),
    ...(iutSetup.methods ? { methods: iutSetup.methods } : {}),
    ...(iutSetup.ciphers ? { ciphers: iutSetup.ciphers } : {}),
    now: facingDefect ? caseTime(env.pki, facingDefect) : env.pki.referenceTime,
    ...(iut.capabilities.keyLog ? { keyLogFile: iutKeyLog } : {}),
    seed: `${ctx.seed}/${iutSide}`,
    ...(scriptMessages !== undefined ? { messages: Array.from({ length: scriptMessages }, (_, n) => `message ${n + 1} from the initiator`) } : {}),
  };

  // The bench sits on the path and keeps the bytes: the session keys are recomputed from them, and they are the case's capture.
  let relay: RecordingRelay | undefined;
  let instance: IutInstance | undefined;
  let iutEnded: IutExit | undefined;
  let error: string | undefined;
  let unsupported: string | undefined;

  const startIut = async (extra: Partial<IutStartRequest>): Promise<IutInstance> => {
    const inst = await iut.start({ ...request, ...extra }, ctx.signal);
    instance = inst;
    if (level >= 2) inst.onEvent(watch[iutSide].onEvent);
    void inst.exited.then((exit) => {
      iutEnded = exit;
      changed();
    });
    return inst;
  };

  /** The IUT's end of the connection, as far as the bench can know it. */
  const iutClosed = (): boolean => (level >= 2 ? watch[iutSide].closed : watch[refSide].closed) || iutEnded !== undefined;
  /**
   * Level 1: the IUT's Connected as the wire shows it. An IUT initiator is Connected once the
   * reference responder accepted its Finished. An IUT responder is not Connected because the
   * reference initiator is: the initiator becomes Connected on sending Fin_I, before the responder
   * has judged it, and may still get a plaintext Alert (E2ED-HS-33); only a record of the
   * responder that the reference opened shows it Connected.
   */
  const iutConnectedOnWire = (): boolean => {
    if (iutSide === 'initiator') return watch.responder.obs.connected;
    const o = watch.initiator.obs;
    return o.connected && o.delivered + o.receipts + o.pongs + o.receiveGeneration > 0;
  };
  const iutConnected = (): boolean => (level >= 2 ? watch[iutSide].obs.connected : iutConnectedOnWire());
  /** Waits for `done`, or the end of the connection; once `started` holds, for at most the grace more. False: not done. */
  const settleWithGrace = async (waitingFor: string, done: () => boolean, started: () => boolean): Promise<'done' | 'ended' | 'late'> => {
    await until(`${waitingFor}, or the end of the connection`, () => done() || anyClosed() || started());
    if (!done() && !anyClosed()) await withinGrace(`${waitingFor}, or the end of the connection`, () => done() || anyClosed());
    if (done() && !anyClosed()) return 'done';
    if (anyClosed()) {
      await bothEnded();
      return 'ended';
    }
    return 'late';
  };
  const anyClosed = (): boolean => watch[refSide].closed || iutClosed();

  const until = (waitingFor: string, done: () => boolean): Promise<void> => waitUntil(listeners, ctx.signal, waitingFor, done);
  /** Waits for `done` at most IUT_EVENT_GRACE_MS more: what comes from another process gets a bounded grace, then the case is judged on what was seen. */
  const withinGrace = async (waitingFor: string, done: () => boolean): Promise<void> => {
    let graceOver = false;
    const timer = setTimeout(() => {
      graceOver = true;
      changed();
    }, IUT_EVENT_GRACE_MS);
    try {
      await until(waitingFor, () => done() || graceOver);
    } finally {
      clearTimeout(timer);
    }
  };
  /**
   * Both ends, where the reference's end is known at once and the IUT's comes as an event from
   * another process: once the reference has ended, the IUT's `closed` event gets a bounded grace;
   * after it the case is judged on what was seen (an IUT that never reports its end fails the
   * IUT-side checks, it does not hang the case).
   */
  const bothEnded = async (): Promise<void> => {
    await until('the reference side to end the connection', () => watch[refSide].closed);
    if (iutClosed()) return;
    await withinGrace(`the ${iutSide} (IUT) to report the end of the connection`, iutClosed);
  };
  const settle = async (waitingFor: string, what: () => boolean): Promise<boolean> => {
    await until(`${waitingFor}, or the end of the connection`, () => what() || anyClosed());
    if (what() && !anyClosed()) return true;
    await bothEnded();
    return false;
  };

  let timedOut: string | undefined;
  let ended = false;
  let scriptSent = 0;
  let refMessages = 0;
  let probed = false;
  try {
    if (iutSide === 'responder') {
      await startIut({ listen: { host: env.host, port: 0 } });
      // A responder enrols before it reports ready: the reference initiator needs its chain (rsa-oaep key transport).
      if (enrolment) enrolledChain = await readEnrolledChain(env, enrolment, benchChains);
    }
    for (const step of conv.steps) {
      if (ended) {
        notes.push(`not run (the connection had ended): ${describeStep(step)}`);
        continue;
      }
      if (!(await runStep(step))) ended = true;
    }
    // A level 1 responder that showed nothing on the wire since the handshake: one Ping tells a
    // Connected responder (its Pong) from one that refused the initiator's Finished or
    // CertificateVerify (its plaintext Alert, E2ED-HS-33), instead of ending the case unjudged.
    if (!ended && level < 2 && iutSide === 'responder' && watch.initiator.obs.connected && !anyClosed() && !iutConnectedOnWire()) {
      probed = true;
      const before = watch.initiator.obs.pongs;
      watch.initiator.connection!.ping();
      await settle('the Pong for the reference\'s probe Ping', () => watch.initiator.obs.pongs > before);
    }
  } catch (err) {
    if (err instanceof Aborted) timedOut = err.waitingFor;
    else if (err instanceof EnrolmentError) error = err.message;
    else if (err instanceof IutStartError) {
      if (err.problem === 'unsupported') unsupported = err.message;
      else error = `the IUT could not be brought up: ${err.message}`;
    } else error = `the case could not be run: ${(err as Error).message}`;
  }
  // An initiator enrols before it connects; what it wrote is read back once it is done (an unusable chain: error, whatever the wire showed).
  if (enrolment && !enrolledChain && !error && !unsupported && !iutEnded?.unsupported) {
    try {
      enrolledChain = await readEnrolledChain(env, enrolment, benchChains);
    } catch (err) {
      if (!(err instanceof EnrolmentError)) throw err;
      error = err.message;
    }
  }
  const observation = observationOf(watch, notes);
  // An IUT that died on its own during the case, by a signal, or (a responder) at all, is an error of the IUT.
  const died = iutEnded && (iutEnded.how === 'crashed' || (iutSide === 'responder' && iutEnded.how === 'exited' && !iutEnded.unsupported));
  if (iutEnded?.unsupported && !unsupported) unsupported = 'it exited with status 127: this case is not supported';
  else if (died && !error) error = `the IUT ended during the case (${iutEnded!.how === 'crashed' ? `signal ${iutEnded!.signal}` : `exit status ${iutEnded!.code}`})`;
  if (timedOut !== undefined && !error) error = `the IUT did not answer within the case's time: the bench was waiting for ${timedOut}`;
  for (const side of SIDES) if (!watch[side].closed) watch[side].events.push('(end of the case: the runner closes what is left)');

  await cleanUp();
  const exit = instance ? await instance.stop() : undefined;
  // The relay's server closes once both ends are gone (the IUT's with its process); never wait on it for long.
  if (relay) await Promise.race([relay.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  const diagnostics = instance?.diagnostics?.();

  const judged = expectationsFor(conv.expect, iutSide, level, echo);
  judged.checks.push(...(ctx.notChecked ?? []));
  if (probed) {
    judged.checks.push('the responder (IUT) sent nothing after the handshake: the reference sent a probe Ping, and its Pong or Alert showed whether it was Connected (E2ED-HS-33)');
    const pongs = judged.expect[refSide]?.pongs;
    if (pongs !== undefined) judged.expect[refSide]!.pongs = pongs + 1;
  }
  if (endpoint) judged.checks.push("not checked: the endpoint's certificate status (the bench's registry does not know its certificate)");
  if (enrolledChain) judged.checks.push(`the IUT enrolled itself as ${enrolment!.userId} (a ${enrolment!.keyType} key): the chain it wrote was issued by the registry to that account and validates against the run's CA`);
  const mismatches = error || unsupported ? [] : judgeConversation(judged.expect, observation);
  if (!error && !unsupported && echo && refSent.length > 0) {
    mismatches.push(...judgeEchoes(refSent, refReceived));
    judged.checks.push('the echoes: the text of each Message of the reference, in order, each after a requested KeyUpdate under the new generation');
  }
  if (!error && !unsupported && scriptMessages !== undefined && scriptMessages > 0) {
    mismatches.push(...judgeScriptedMessages(request.messages ?? [], refReceived.map((m) => m.text)));
    judged.checks.push('the scripted Messages: the texts the initiator (IUT) was given, in order');
  }
  const keys: KeyCheck = { check: 'none' };
  const refKnobs = refSetup.knobs ?? [];
  if (!error && !unsupported && watch[refSide].obs.connected && refKnobs.length > 0) {
    judged.checks.push(`session keys: not checked (the reference has knob ${refKnobs.join(', ')}: its derivation is not the bench's)`);
  } else if (!error && !unsupported && watch[refSide].obs.connected) {
    let iutLog: KeyLogEntry[] | undefined;
    if (iut.capabilities.keyLog) {
      const read = await readKeyLog(iutKeyLog);
      if (read === undefined) mismatches.push(`key log: the IUT declares keyLog but wrote no ${path.basename(iutKeyLog)}`);
      else {
        if (read.malformedLines.length > 0) mismatches.push(`key log: malformed line(s) ${read.malformedLines.slice(0, 5).join(', ')} in the IUT's key log`);
        iutLog = read.entries;
      }
    }
    const captured = relay?.connections[0];
    const refConnectionId = watch[refSide].connection?.id;
    if (!captured || refConnectionId === undefined) {
      judged.checks.push('session keys: not checked (no captured connection)');
    } else {
      if ((relay?.connections.length ?? 0) > 1) judged.checks.push(`session keys: the first of ${relay!.connections.length} captured connections`);
      const result = await checkSessionKeys({
        events: captured.events,
        bench: { side: refSide, seed: refSeed, connectionId: refConnectionId, privateKey: refParty.identity.privateKey },
        ...(iutLog ? { iutKeyLog: iutLog } : {}),
        requireAll: iutConnected() && watch[refSide].obs.connected,
      });
      mismatches.push(...result.mismatches);
      keys.check = iutLog ? 'key-log' : 'records';
      keys.derived = result.derived;
      if (iutLog) keys.matched = result.matched;
      keys.records = result.records;
      keys.opened = result.opened;
      for (const n of result.notChecked) judged.checks.push(`session keys: ${n}`);
      judged.checks.push(
        iutLog
          ? 'session keys: the key schedule recomputed from the captured transcript and the bench side\'s own key material; every secret of the IUT key log compared with it, every record the IUT sent opened under it'
          : 'session keys: the key schedule recomputed from the captured transcript and the bench side\'s own key material; every record the IUT sent opened under it (no key log)',
      );
    }
  }
  const wire = relay ? relayedWire(relay.connections, await Promise.all([iutKeyLog, refKeyLog].map((f) => readFile(f, 'utf8').catch(() => '')))) : undefined;
  return {
    observation,
    events: { initiator: watch.initiator.events, responder: watch.responder.events },
    ...(wire ? { wire } : {}),
    ...(error ? { error } : {}),
    ...(unsupported ? { unsupported } : {}),
    mismatches,
    checks: judged.checks,
    keys,
    ...(exit ? { exit } : {}),
    ...(diagnostics ? { diagnostics } : {}),
  };

  async function runStep(step: Step): Promise<boolean> {
    switch (step.do) {
      case 'handshake':
        return handshake();
      case 'message': {
        for (let n = 0; n < (step.count ?? 1); n++) {
          if (step.from === refSide) {
            const conn = refConnection(step);
            if (!conn) return false;
            const before = watch[refSide].obs.receipts;
            const deliveredBefore = watch[refSide].obs.delivered;
            // Echoed texts must tell the Messages apart: numbered through the conversation.
            refMessages += 1;
            const text = `message ${echo ? refMessages : n + 1} from the ${step.from}`;
            refSent.push({ text, generation: refRequestedKeyUpdates });
            conn.sendText(text);
            // Across processes the Receipt can overtake the IUT's own event: from level 2, wait for its message_received too.
            const iutBefore = watch[iutSide].obs.delivered;
            const iutSaw = (): boolean => level < 2 || watch[iutSide].obs.delivered > iutBefore;
            const done = echo
              ? () => watch[refSide].obs.receipts > before && watch[refSide].obs.delivered > deliveredBefore && iutSaw()
              : () => watch[refSide].obs.receipts > before && iutSaw();
            if (echo) {
              // Once the Receipt or the echo came, the other gets a bounded grace: a missing echo, or a
              // Receipt whose id is not the Message's (ignored by the reference, E2ED-APP-5), is judged, not waited for.
              const receipted = (): boolean => watch[refSide].obs.receipts > before;
              const echoed = (): boolean => watch[refSide].obs.delivered > deliveredBefore;
              const outcome = await settleWithGrace(`the Receipt for the ${step.from}'s message and its echo`, done, () => receipted() || echoed());
              if (outcome === 'ended') return false;
              if (outcome === 'late') notes.push(`message ${refMessages}: ${receipted() ? 'its Receipt came, its echo did not' : 'its echo came, no Receipt with its id did'} within ${IUT_EVENT_GRACE_MS} ms`);
              continue;
            }
            if (!(await settle(`the Receipt for the ${step.from}'s message`, done))) return false;
          } else if (drive === 'script') {
            scriptSent += 1;
            const want = scriptSent;
            if (!(await settle(`the IUT's scripted message ${want}`, () => watch[refSide].obs.delivered >= want))) return false;
          } else {
            if (!iutUsable(step)) return false;
            const before = watch[iutSide].obs.receipts;
            instance!.control!.send(`message ${n + 1} from the ${step.from}`);
            if (!(await settle(`the Receipt for the ${step.from}'s message`, () => watch[iutSide].obs.receipts > before))) return false;
          }
        }
        return true;
      }
      case 'ping': {
        if (step.from === refSide) {
          const conn = refConnection(step);
          if (!conn) return false;
          const before = watch[refSide].obs.pongs;
          conn.ping();
          return settle(`the Pong for the ${step.from}'s Ping`, () => watch[refSide].obs.pongs > before);
        }
        if (!iutUsable(step)) return false;
        const before = watch[iutSide].obs.pongs;
        instance!.control!.ping();
        return settle(`the Pong for the ${step.from}'s Ping`, () => watch[iutSide].obs.pongs > before);
      }
      case 'keyUpdate': {
        if (step.from === refSide) {
          const conn = refConnection(step);
          if (!conn) return false;
          conn.keyUpdate(step.request);
          if (level >= 2) {
            const before = watch[iutSide].obs.receiveGeneration;
            return settle(`the ${iutSide} to apply the ${step.from}'s KeyUpdate`, () => watch[iutSide].obs.receiveGeneration > before);
          }
          // Level 1: only a requested update is visible (the IUT's own KeyUpdate comes back, before
          // any other record, E2ED-REC-10). One that does not come is judged, not waited for.
          if (!step.request) return !anyClosed();
          refRequestedKeyUpdates += 1;
          const before = watch[refSide].obs.receiveGeneration;
          const outcome = await settleWithGrace(`the ${iutSide}'s answering KeyUpdate`, () => watch[refSide].obs.receiveGeneration > before, () => true);
          if (outcome === 'late') notes.push(`no KeyUpdate answered the ${step.from}'s request within ${IUT_EVENT_GRACE_MS} ms`);
          return outcome !== 'ended';
        }
        if (!iutUsable(step)) return false;
        const before = watch[refSide].obs.receiveGeneration;
        instance!.control!.keyUpdate(step.request);
        return settle(`the ${refSide} to apply the ${step.from}'s KeyUpdate`, () => watch[refSide].obs.receiveGeneration > before);
      }
      case 'close': {
        if (step.from === refSide) {
          const conn = refConnection(step);
          if (!conn) return false;
          void conn.close();
        } else if (drive === 'control') {
          if (!iutUsable(step)) return false;
          instance!.control!.close();
        }
        await bothEnded();
        return false;
      }
    }
  }

  function refConnection(step: Step): UaConnection | undefined {
    const w = watch[refSide];
    if (!w.connection || !w.obs.connected || w.closed) {
      notes.push(`not run (the ${refSide} is not Connected): ${describeStep(step)}`);
      return undefined;
    }
    return w.connection;
  }

  function iutUsable(step: Step): boolean {
    if (!iutConnected() || iutClosed()) {
      notes.push(`not run (the ${iutSide} is not Connected): ${describeStep(step)}`);
      return false;
    }
    return true;
  }

  async function handshake(): Promise<boolean> {
    if (iutSide === 'responder') {
      relay = await recordingRelay(env.host, { address: instance!.listening!.host, port: instance!.listening!.port });
      const at = { host: env.host, port: relay.port };
      try {
        watch.initiator.watch(
          await ref.connectTo({ address: at.host, port: at.port, peerUserId: iutUserId, ...(endpoint ? {} : { peerCertificates: enrolledChain ?? iutParty.identity.chain }) }),
        );
      } catch (err) {
        if (err instanceof HandshakeFailedError) watch.initiator.markClosed(err.info);
        else throw new Error(`the reference initiator could not connect to the IUT at ${at.host}:${at.port}: ${(err as Error).message}`);
      }
    } else {
      const listening = await ref.listen({ port: 0, host: env.host });
      relay = await recordingRelay(env.host, listening);
      const { address, port } = { address: env.host, port: relay.port };
      const peerChainFile = path.join(ctx.workDir, 'peer-chain.pem');
      await writeFile(peerChainFile, pemOf(refParty.identity.chain));
      await startIut({ connect: { host: address, port, peerUserId: refParty.identity.userId, peerChain: refParty.identity.chain }, peerChainFile });
    }
    // Level 1 with the IUT as responder: its Connected shows on the wire only by a record (iutConnectedOnWire).
    const blindResponder = level < 2 && iutSide === 'responder';
    return settle('both sides to become Connected', () => watch[refSide].obs.connected && (blindResponder || iutConnected()));
  }

  async function cleanUp(): Promise<void> {
    const conn = watch[refSide].connection;
    if (conn) {
      void conn.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        timer.unref();
        void conn.closed.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      conn.abort();
    }
    await ref.close().catch(() => undefined);
  }
}

/**
 * An implementation under test asks the run's registry for the status of the defect holder's leaf
 * (E2ED-CERT-24): the registry answers as the domain's registry would for a certificate its CA
 * issued, `revoked` for the case's revoked serials and `good` otherwise, so that the verdict rests
 * on the defect the case is about (the in-process reference gets the same answers from a static
 * directory).
 */
function vouchForDefectLeaf(env: RunEnvironment, defect: DefectCase): void {
  let serial: string;
  try {
    serial = serialOfCertificate(new X509Certificate(defect.chain[0]!));
  } catch {
    return; // an unparseable leaf is refused before any status question
  }
  const revoked = (defect.revokedSerials ?? []).some((s) => s.toLowerCase() === serial.toLowerCase());
  env.stub.vouchFor(serial, revoked ? 'revoked' : 'good');
}
