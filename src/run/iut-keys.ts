// Session-key correctness of an implementation under test (issue 8 §4), recomputed from the
// captured bytes of the connection, not taken from the reference's engine: the bench side's own
// key material (its ephemeral private key or premaster, re-derived from its seed; for rsa-oaep as
// responder, the premaster decrypted from the captured Hello_I with its long-term key) and the
// captured Hellos give Z and HS (docs/spec.md 7.1, 7.2); the passive checker of
// `sixbench pcap check` (src/capture/check.ts) then replays the transcript from that HS alone:
// Finished values, MS, the exporter, the traffic secrets of every generation, and every record
// under its expected key, iv and sequence number (E2ED-HS-30, E2ED-KS-3, E2ED-REC-2, -3, -8).
// With the IUT's key log, every line is compared with those values (E2ED-KEYLOG-2, -3, -4);
// without one, the records of the IUT that open under the recomputed keys prove its keys.
import type { KeyObject } from 'node:crypto';
import { checkConversation, type Violation } from '../capture/check.js';
import { viewConversation, type ConversationView, type KeyLog } from '../capture/conversation.js';
import { capturePcap, type TcpEvent } from '../capture/pcap.js';
import { readTcpStreams, type TcpStream } from '../capture/read.js';
import { computeSharedSecret, generateKeyShare } from '../protocol/ecdhe.js';
import { randomStreams } from '../protocol/handshake/context.js';
import { handshakeSecret } from '../protocol/keyschedule.js';
import type { KeyLogEntry } from '../protocol/keylog.js';
import { decryptPremaster, PREMASTER_LENGTH } from '../protocol/keytransport.js';
import type { InitiatorHello, ResponderHello } from '../protocol/messages.js';
import { seededRandom } from '../protocol/random.js';
import { connectionRandom, E2ED_PORT } from '../ua/agent.js';
import type { Side } from './model.js';

/** What the bench knows of its own side of the connection. */
export interface BenchSideSecrets {
  side: Side;
  /** The seed of the bench's UA and the id of its connection (UaConnection.id). */
  seed: string;
  connectionId: number;
  /** Its long-term private key (a responder decrypts an rsa-oaep premaster with it). */
  privateKey: KeyObject;
}

export interface SessionKeyCheck {
  /** Secrets of section 7 the bench recomputed for this connection. */
  derived: number;
  /** Key log: recomputed secrets the IUT logged with the same value. */
  matched: number;
  /** Records the IUT sent, and how many opened under the recomputed keys. */
  records: number;
  opened: number;
  mismatches: string[];
  /** Why nothing (or not everything) could be recomputed. */
  notChecked: string[];
}

/** Requirements of the replay that are about the sender's keys (the rest is judged elsewhere). */
const KEY_REQUIREMENTS = new Set(['E2ED-HS-30', 'E2ED-KS-3', 'E2ED-REC-2', 'E2ED-REC-3', 'E2ED-REC-8']);
const SECRET_LABEL = /^E2ED_(HANDSHAKE_SECRET|MASTER_SECRET|EXPORTER|I2R_TRAFFIC_SECRET_\d+|R2I_TRAFFIC_SECRET_\d+)$/;

/**
 * Z as the bench's side computed it (docs/spec.md 7.1), from the seed contract of the engine's
 * random streams: the key share is the first draw of "key-share", the initiator's premaster the
 * first of "premaster", a responder's implicit-rejection substitute the first of
 * "implicit-rejection" (E2ED-KS-13).
 */
export function benchSharedSecret(bench: BenchSideSecrets, helloI: InitiatorHello, helloR: ResponderHello): { z: Buffer } | { unavailable: string } {
  const streams = randomStreams(connectionRandom(seededRandom(bench.seed), bench.connectionId));
  const method = helloR.method;
  if (method === 'x25519' || method === 'p256') {
    const peerShare = bench.side === 'initiator' ? helloR.keyShare : helloI.keyShare;
    if (!peerShare || peerShare.method !== method) return { unavailable: `the ${bench.side === 'initiator' ? 'responder' : 'initiator'}'s Hello carries no ${method} key share` };
    const ownKey = generateKeyShare(method, streams.keyShare).privateKey;
    try {
      return { z: computeSharedSecret(method, ownKey, peerShare.publicKey) };
    } catch (err) {
      return { unavailable: `no shared secret with the peer's key share: ${(err as Error).message}` };
    } finally {
      ownKey.fill(0);
    }
  }
  if (method !== 'rsa-oaep') return { unavailable: `Hello_R selects method ${method}, which has no key schedule` };
  if (bench.side === 'initiator') return { z: streams.premaster.bytes(PREMASTER_LENGTH) };
  if (!helloI.encryptedPremaster) return { unavailable: "the initiator's Hello carries no EncryptedPremaster" };
  const substitute = streams.implicitRejection.bytes(PREMASTER_LENGTH);
  return { z: decryptPremaster(bench.privateKey, helloI.encryptedPremaster) ?? substitute };
}

/** The captured connection as `sixbench pcap check` reads it: events -> pcap -> TCP stream (the same path as a capture file). */
async function capturedStream(events: readonly TcpEvent[]): Promise<TcpStream | undefined> {
  const pcap = capturePcap([{ conversation: { client: { address: '127.0.0.1', port: 49152 }, server: { address: '127.0.0.1', port: E2ED_PORT }, events: [...events] }, seed: 'session-keys' }]);
  return (await readTcpStreams(pcap))[0];
}

/**
 * Recomputes the key schedule of one captured connection from the bench's side and checks the
 * IUT's records, and its key log when it has one. `requireAll`: both sides became Connected, so
 * every secret of the connection must be in the log (E2ED-KEYLOG-3); before that only what it
 * logged is compared.
 */
export async function checkSessionKeys(input: { events: readonly TcpEvent[]; bench: BenchSideSecrets; iutKeyLog?: KeyLogEntry[]; requireAll: boolean }): Promise<SessionKeyCheck> {
  const iutSide: Side = input.bench.side === 'initiator' ? 'responder' : 'initiator';
  const out: SessionKeyCheck = { derived: 0, matched: 0, records: 0, opened: 0, mismatches: [], notChecked: [] };
  const stream = await capturedStream(input.events);
  const view = (log?: KeyLog): ConversationView | undefined => (stream ? viewConversation(stream, log) : undefined);
  const plain = view() ?? { frames: [] };
  const helloI = plain.frames.find((f) => f.sender === 'initiator' && f.message?.kind === 'InitiatorHello')?.message as InitiatorHello | undefined;
  const helloR = plain.frames.find((f) => f.sender === 'responder' && f.message?.kind === 'ResponderHello')?.message as ResponderHello | undefined;
  let derived: KeyLogEntry[] = [];
  if (!helloI || !helloR) out.notChecked.push('no secret to recompute: the capture holds no Hello_I and Hello_R');
  else {
    const shared = benchSharedSecret(input.bench, helloI, helloR);
    if ('unavailable' in shared) out.notChecked.push(`no secret to recompute: ${shared.unavailable}`);
    else {
      const { z } = shared;
      const hs = handshakeSecret(z, helloI.nonce, helloR.nonce);
      z.fill(0);
      const seedLog: KeyLog = { entries: [{ label: 'E2ED_HANDSHAKE_SECRET', nonceI: helloI.nonce.toString('hex'), secret: hs.toString('hex') }], malformedLines: [] };
      // First pass: the secrets HS leads to over this transcript; second: the view with all of them, to open and judge every record.
      derived = checkConversation(view(seedLog)!, seedLog).derived;
      const log: KeyLog = { entries: derived, malformedLines: [] };
      const full = view(log)!;
      const replay = checkConversation(full, log);
      out.derived = derived.length;
      const sent = full.frames.filter((f) => f.type === 'record');
      const iutRecords = sent.filter((f) => f.sender === iutSide);
      out.records = iutRecords.length;
      out.opened = iutRecords.filter((f) => f.record?.opened).length;
      const benchRecords = sent.filter((f) => f.sender === input.bench.side);
      const benchUnopened = benchRecords.filter((f) => !f.record?.opened).length;
      if (benchUnopened > 0) out.mismatches.push(`session keys: ${benchUnopened} of the bench's own ${benchRecords.length} records do not open under the keys it recomputed, so its recomputation is wrong (a bench fault, not the IUT's)`);
      for (const v of replay.violations) if (v.sender === iutSide && KEY_REQUIREMENTS.has(v.requirement)) out.mismatches.push(describe(v));
    }
  }
  if (input.iutKeyLog) out.mismatches.push(...compareWithLog(input.iutKeyLog, derived, helloI?.nonce.toString('hex'), input.requireAll, out));
  return out;
}

function describe(v: Violation): string {
  return `session keys: ${v.requirement}: the IUT's ${v.message}`;
}

/** Every line of the IUT's key log against the recomputed secrets (E2ED-KEYLOG-2, -3, -4). */
function compareWithLog(iut: readonly KeyLogEntry[], derived: readonly KeyLogEntry[], nonceI: string | undefined, requireAll: boolean, out: SessionKeyCheck): string[] {
  const problems: string[] = [];
  for (const d of derived) {
    const lines = iut.filter((e) => e.label === d.label && e.nonceI === d.nonceI);
    if (lines.length === 0) {
      if (requireAll) problems.push(`key log: the IUT did not log ${d.label} under the nonce_I of the captured Hello_I (E2ED-KEYLOG-3)`);
    } else if (lines.some((e) => e.secret !== d.secret)) {
      problems.push(`key log: the IUT's ${d.label} is not the value recomputed by the bench over the captured transcript (E2ED-KEYLOG-4)`);
    } else out.matched++;
  }
  const wrongNonce = new Set<string>();
  for (const e of iut) {
    if (!SECRET_LABEL.test(e.label)) continue; // unknown labels are ignored (E2ED-KEYLOG-2)
    if (nonceI === undefined || e.nonceI !== nonceI) {
      if (!wrongNonce.has(e.label)) problems.push(`key log: the IUT logged ${e.label} under nonce_I ${e.nonceI.slice(0, 16)}..., ${nonceI ? "not the captured Hello_I's" : 'but the capture holds no Hello_I'} (E2ED-KEYLOG-2)`);
      wrongNonce.add(e.label);
    } else if (!derived.some((d) => d.label === e.label)) {
      problems.push(`key log: the IUT logged ${e.label}, a secret the captured connection never reached`);
    }
  }
  return problems;
}
