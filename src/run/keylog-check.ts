// The key-log case of the interop suite (docs/spec.md chapter 13): two reference UAs with key
// log files talk through a recording TCP relay; the check reads both key logs with parseKeyLog
// and decrypts every captured record with the logged traffic secrets alone (E2ED-KEYLOG-4), so a
// wrong secret, a line keyed by the wrong nonce, a missing updated secret or a rewritten file
// shows up as a mismatch. Only seed-determined facts are observed (counts and booleans).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, FrameType, type Frame } from '../protocol/frame.js';
import { parseKeyLog, type KeyLogEntry } from '../protocol/keylog.js';
import { trafficKeys } from '../protocol/keyschedule.js';
import { openRecord } from '../protocol/record.js';
import { parseXmlGeneral } from '../protocol/xml.js';
import { E2ED_NAMESPACE } from '../protocol/messages.js';
import { irpDirectory } from '../ua/agent.js';
import type { CaseEnvironment, Slot } from './environment.js';
import { recordingRelay, type RecordingRelay } from './relay.js';
import { sameOnBothLegs, type CaseWire } from './captures.js';

export interface KeyLogCheckResult {
  observed: Record<string, unknown>;
  mismatches: string[];
  /** The relayed connection and both key logs, for the case's capture. */
  wire?: CaseWire;
}

const EARLIER_CONTENT = '# a line written before the run: appending must keep it\n';
const CIPHER = 'AES-256-GCM';

function framesOf(bytes: Buffer): Frame[] {
  return new FrameDecoder().push(bytes);
}

function secretOf(entries: KeyLogEntry[], label: string): Buffer | undefined {
  const e = entries.find((x) => x.label === label);
  return e ? Buffer.from(e.secret, 'hex') : undefined;
}

/**
 * Opens the records of one direction in order with the logged secrets of generation 0, 1, ...:
 * the sequence restarts at 0 after the record that carried a KeyUpdate (E2ED-REC-9).
 * Returns how many opened, and the first failure.
 */
function decryptDirection(frames: Frame[], entries: KeyLogEntry[], labelPrefix: string, plaintexts: Buffer[]): { opened: number; records: number; keyUpdates: number; failure?: string } {
  let generation = 0;
  let seq = 0n;
  let opened = 0;
  let keyUpdates = 0;
  const records = frames.filter((f) => f.type === FrameType.Record);
  for (const frame of records) {
    const secret = secretOf(entries, `${labelPrefix}${generation}`);
    if (!secret) return { opened, records: records.length, keyUpdates, failure: `no ${labelPrefix}${generation} line for record ${opened + 1}` };
    const { key, iv } = trafficKeys(secret);
    let plaintext: Buffer;
    try {
      plaintext = openRecord(CIPHER, key, iv, seq, frame);
    } catch (err) {
      return { opened, records: records.length, keyUpdates, failure: `record ${opened + 1} (generation ${generation}, sequence ${seq}) does not open: ${(err as Error).message}` };
    }
    plaintexts.push(plaintext);
    opened++;
    seq++;
    if (plaintext.toString('utf8').includes('<KeyUpdate')) {
      keyUpdates++;
      generation++;
      seq = 0n;
    }
  }
  return { opened, records: records.length, keyUpdates };
}

export async function runKeyLogCheck({ env, slot, seed }: { env: CaseEnvironment; slot: Slot; seed: string }): Promise<KeyLogCheckResult> {
  const dir = env.scope.adopt('a key-log folder', await mkdtemp(path.join(os.tmpdir(), 'sixbench-keylog-')), (d) => rm(d, { recursive: true, force: true }));
  const logs = { initiator: path.join(dir, 'initiator.keylog'), responder: path.join(dir, 'responder.keylog') };
  await writeFile(logs.responder, EARLIER_CONTENT);
  const responder = env.agent(slot.responder.identity, `${seed}/responder`, {
    directory: irpDirectory(slot.responder.registry),
    keyLogFile: logs.responder,
  });
  const lookups = await env.connectRegistry();
  const initiator = env.agent(slot.initiator.identity, `${seed}/initiator`, {
    directory: irpDirectory(lookups),
    ciphers: [CIPHER],
    keyLogFile: logs.initiator,
  });
  let relay: RecordingRelay | undefined;
  try {
    const listening = await responder.listen({ port: 0, host: env.host });
    relay = env.scope.adopt('a recording relay', await recordingRelay(env.host, listening), (r) => r.close());
    // The initiator finds the relay as the responder's address, so the capture sees everything.
    await slot.responder.registry.register(listening.address, relay.port);
    const conn = await initiator.connect(slot.responder.identity.userId);
    await conn.sendAndConfirm('before the key update');
    conn.keyUpdate(false);
    await conn.sendAndConfirm('after the key update');
    await conn.close();
    await env.scope.wait(relay.closed(1), 'the relayed connection to close');
  } finally {
    await initiator.close();
    await responder.close();
    await lookups.close().catch(() => undefined);
    await relay?.close();
  }
  const texts = { initiator: await readFile(logs.initiator, 'utf8'), responder: await readFile(logs.responder, 'utf8') };
  await rm(dir, { recursive: true, force: true });
  const captured = { i2r: Buffer.concat(relay.connections[0]?.i2r ?? []), r2i: Buffer.concat(relay.connections[0]?.r2i ?? []) };
  const i2rFrames = framesOf(captured.i2r);
  const r2iFrames = framesOf(captured.r2i);

  const mismatches: string[] = [];
  const observed: Record<string, unknown> = {};
  // The nonce of Hello_I, the first frame the initiator sent (plaintext), as hex.
  const hello = i2rFrames[0]?.payload.toString('utf8') ?? '';
  const nonceText = /<Nonce>([^<]+)<\/Nonce>/.exec(hello)?.[1] ?? '';
  const nonceI = /^[0-9a-f]{64}$/i.test(nonceText) ? nonceText.toLowerCase() : Buffer.from(nonceText, 'base64').toString('hex');
  const expectedLabels = ['E2ED_HANDSHAKE_SECRET', 'E2ED_MASTER_SECRET', 'E2ED_I2R_TRAFFIC_SECRET_0', 'E2ED_R2I_TRAFFIC_SECRET_0', 'E2ED_EXPORTER', 'E2ED_I2R_TRAFFIC_SECRET_1'];
  const parsed = { initiator: parseKeyLog(texts.initiator), responder: parseKeyLog(texts.responder) };
  for (const side of ['initiator', 'responder'] as const) {
    const { entries, malformedLines } = parsed[side];
    const labels = entries.map((e) => e.label);
    observed[`${side}Labels`] = labels;
    if (malformedLines.length > 0) mismatches.push(`${side} key log: malformed line(s) ${malformedLines.join(', ')}`);
    if (!texts[side].endsWith('\n')) mismatches.push(`${side} key log: the last line does not end with LF`);
    const missing = expectedLabels.filter((l) => !labels.includes(l));
    if (missing.length > 0) mismatches.push(`${side} key log: no line for ${missing.join(', ')}`);
    const otherNonces = entries.filter((e) => e.nonceI !== nonceI);
    if (nonceI.length !== 64 || otherNonces.length > 0) mismatches.push(`${side} key log: ${otherNonces.length} line(s) not keyed by the nonce of the captured Hello_I`);
    // "secret traffic 0 ... after the Finished exchange, each updated traffic secret at its key update": in order of derivation.
    const order = ['E2ED_HANDSHAKE_SECRET', 'E2ED_MASTER_SECRET', 'E2ED_I2R_TRAFFIC_SECRET_1'].map((l) => labels.indexOf(l));
    if (order.some((n) => n < 0) || !(order[0]! < order[1]! && order[1]! < order[2]!)) mismatches.push(`${side} key log: lines not in the order the secrets are derived (${labels.join(', ')})`);
  }
  observed.responderKeptEarlierContent = texts.responder.startsWith(EARLIER_CONTENT);
  if (!observed.responderKeptEarlierContent) mismatches.push('the responder rewrote its key log file instead of appending to it');
  const same = expectedLabels.every((l) => secretOf(parsed.initiator.entries, l)?.equals(secretOf(parsed.responder.entries, l) ?? Buffer.alloc(0)) === true);
  observed.bothLogsAgree = same;
  if (!same) mismatches.push('the two key logs give different secrets for the same connection');
  // Decrypt the capture with the responder's log (the initiator's gives the same secrets when bothLogsAgree).
  const messages: Buffer[] = [...i2rFrames, ...r2iFrames].filter((f) => f.type === FrameType.Plaintext).map((f) => f.payload);
  const i2r = decryptDirection(i2rFrames, parsed.responder.entries, 'E2ED_I2R_TRAFFIC_SECRET_', messages);
  const r2i = decryptDirection(r2iFrames, parsed.responder.entries, 'E2ED_R2I_TRAFFIC_SECRET_', messages);
  // E2ED-FRAME-1: every frame carries exactly one message: each payload (records decrypted) is one whole document.
  const notOneMessage = messages.filter((m) => {
    try {
      parseXmlGeneral(m, E2ED_NAMESPACE);
      return false;
    } catch {
      return true;
    }
  }).length;
  observed.frames = { messages: messages.length, notOneMessage };
  if (notOneMessage > 0) mismatches.push(`${notOneMessage} of ${messages.length} frames do not carry exactly one whole message`);
  observed.i2r = { records: i2r.records, opened: i2r.opened, keyUpdates: i2r.keyUpdates };
  observed.r2i = { records: r2i.records, opened: r2i.opened };
  for (const [what, d] of [['initiator to responder', i2r], ['responder to initiator', r2i]] as const) {
    if (d.failure) mismatches.push(`${what}: ${d.failure}`);
    if (d.records === 0) mismatches.push(`${what}: no record captured`);
  }
  if (i2r.keyUpdates !== 1) mismatches.push(`initiator to responder: expected one KeyUpdate among the decrypted records, found ${i2r.keyUpdates}`);
  return { observed, mismatches, wire: sameOnBothLegs(relay.connections, [texts.initiator, texts.responder]) };
}
