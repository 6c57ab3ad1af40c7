// A full run with --captures all, read back: every case that makes a connection has a capture of
// both legs and a key log; `pcap inspect` decrypts every record of every capture; `pcap check`
// finds nothing on a conversation between conforming UAs and names the knob's requirement on the
// capture of each knob case within its reach; real tshark with the shipped Lua dissector reads
// every capture with zero malformed packets and dissects every frame; a second run with the same
// seed writes byte-identical captures.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkConversation } from '../../src/capture/check.js';
import { readKeyLog, viewConversation } from '../../src/capture/conversation.js';
import { readTcpStreams } from '../../src/capture/read.js';
import { capturePcap } from '../../src/capture/pcap.js';
import { FrameDecoder } from '../../src/protocol/frame.js';
import { KNOBS } from '../../src/protocol/bugs.js';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { runConformance } from '../../src/run/runner.js';
import type { CaseResult } from '../../src/run/model.js';

const run = promisify(execFile);
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DISSECTOR = path.join(ROOT, 'wireshark', 'e2ed.lua');

const tmp = await mkdtemp(path.join(os.tmpdir(), 'sixbench-capture-run-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));
const runDir = path.join(tmp, 'run-1');
// A case's time limit well above its usual second: the tests share two cores, and a case starved of CPU
// must not read as a failure of what this file checks (the captures).
const report = await runConformance({ seed: 'capture-test', captures: 'all', runDir, caseTimeoutMs: 30_000 });
const catalogue = new Map(loadCatalogue().map((c) => [c.id, c]));
// Every await comes before the first subtest: tap ends a file's root test once it has no subtest pending.
const noTshark = await tsharkAvailable();

/** The check that makes three connections through one relay: one capture file holds all three. */
const FRESH = 'interop.handshake.fresh-values';
/** Cases whose action talks E2ED over TCP (conversations, the key-log check, the fresh-values check). */
const wireCases = report.cases.filter((c) => c.verdict !== 'skip' && (catalogue.get(c.id)!.action.kind === 'conversation' || ['interop.keylog.decrypts-capture', FRESH].includes(c.id)));

/** A certificate case: one side holds a defective chain (src/pki/defects.ts) and is non-conforming by design. */
function hasDefectHolder(c: CaseResult): boolean {
  const a = catalogue.get(c.id)!.action;
  return a.kind === 'conversation' && [a.conversation.initiator.identity, a.conversation.responder.identity].some((i) => typeof i === 'object');
}

function knobsOf(c: CaseResult): string[] {
  const a = catalogue.get(c.id)!.action;
  return a.kind === 'conversation' ? [...(a.conversation.initiator.knobs ?? []), ...(a.conversation.responder.knobs ?? [])] : [];
}

t.test('the run passes and every wire case links a capture of both legs and a key log', async (t) => {
  t.same(report.cases.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.reason}`), [], 'no case failed');
  t.ok(wireCases.length > 100, `${wireCases.length} wire cases`);
  const files = new Set(await readdir(path.join(runDir, 'captures')));
  for (const c of wireCases) {
    t.same(c.captures?.pcaps.map((p) => p.leg), ['initiator', 'responder'], c.id);
    for (const p of c.captures?.pcaps ?? []) t.ok(files.has(path.basename(p.path)), `${p.path} exists`);
    t.ok(c.captures?.keylog && files.has(path.basename(c.captures.keylog)), `${c.id} key log`);
  }
  t.same(report.cases.find((c) => c.id === FRESH)!.captures!.pcaps.map((p) => p.connections), [3, 3], 'three connections in each leg\'s file');
  // IRP cases capture their TLS connections as leg irp: test/capture/irp-captures.test.ts reads them back.
  const noWire = report.cases.filter((c) => !wireCases.includes(c) && catalogue.get(c.id)!.action.kind !== 'irp');
  for (const c of noWire) t.notOk(c.captures, `${c.id} has no E2ED connection, so no capture`);
});

t.test('pcap inspect decrypts every record of every capture', async (t) => {
  let records = 0;
  for (const c of wireCases) {
    const log = readKeyLog(await readFile(path.join(runDir, c.captures!.keylog!), 'utf8'));
    for (const p of c.captures!.pcaps) {
      const streams = await readTcpStreams(await readFile(path.join(runDir, p.path)));
      t.equal(streams.length, p.connections, `${p.path}: ${p.connections} connection(s)`);
      for (const s of streams) {
        const v = viewConversation(s, log);
        records += v.records.total;
        const notOpened = v.frames.filter((f) => f.type === 'record' && !f.record!.opened);
        // A knob that corrupts records (bad tag, wrong key, reused sequence...) makes records
        // that no key opens at their place: those are the only ones allowed not to open.
        const corrupting = knobsOf(c).some((k) => k.startsWith('record.') || k.startsWith('keyUpdate.') || k === 'keySchedule.wrongLabel');
        if (!corrupting) t.equal(notOpened.length, 0, `${p.path}: ${v.records.opened} of ${v.records.total} records decrypted`);
        // Every byte of both directions is in frames (or the run cut a frame short on purpose).
        t.same(v.faults, [], `${p.path}: no framing fault`);
      }
    }
  }
  t.ok(records > 300, `${records} records in all`);
});

// The knobs a passive check can see on the wire, each with the requirement the check names (the
// knob's own, or for a receiver's knob the sender's fault that the knob let through). The others
// deviate where a capture alone cannot judge: a receiver's acceptance, certificate validity, or
// version rules that need a side's configuration (README of suites/knobs.json).
/** The careless receivers of the record group: their deviation is in what they accept, not in what they send. */
const RECEIVER_RECORD_KNOBS = ['record.skipAuthentication', 'record.skipSequenceCheck', 'record.acceptTruncation'];
const VISIBLE_KNOBS: Record<string, string[]> = Object.fromEntries([
  ...KNOBS.filter((k) => /^(handshake|certificateVerify|finished|keySchedule|record|keyUpdate|alert)\./.test(k.id) && !RECEIVER_RECORD_KNOBS.includes(k.id)).map((k) => [k.id, k.requirement.split(/,\s*/)]),
  ['hello.offerNullCipher', ['E2ED-HS-13']],
  ['hello.offerOnlyNullCipher', ['E2ED-HS-13']],
  ['hello.reflectPeerNonce', ['E2ED-ID-3']],
  ['hello.reflectPeerIdentity', ['E2ED-ID-1', 'E2ED-ID-3']],
  ['hello.claimOtherFrom', ['E2ED-HS-16', 'E2ED-HS-22']],
  ['hello.keyShareOffCurve', ['E2ED-KS-8', 'E2ED-KS-9']],
  ['hello.selectUnofferedCipher', ['E2ED-HS-24']],
  ['hello.selectUnofferedMethod', ['E2ED-HS-24']],
  ['keyUpdate.misspellRequest', ['E2ED-REC-11']],
]);

/** The knobs a capture with the key log cannot judge, and why. */
const INVISIBLE_KNOBS: Record<string, string> = {
  'hello.omitVersions10': 'whether 1.0 is offered is the initiator configuration\'s business; a 0.9-only offer is legal on the wire',
  'hello.sendWrongNonceLength': 'reported under E2ED-XML-1 (the decoder\'s fault), not the knob\'s E2ED-HS-3',
  'hello.wrongTo': 'who the initiator meant to reach is not in the capture',
  'hello.selectLegacyVersion': 'selecting 0.9 is legal when the responder does not support 1.0, which the capture cannot tell',
  'hello.omitDowngradeSentinel': 'whether the responder supports 1.0 is not in the capture',
  'hello.ignoreDowngradeSentinel': 'a receiver\'s acceptance: the capture shows the sentinel, not whether it was checked',
  'keyTransport.corruptPremaster': 'the premaster is encrypted to the responder\'s key, which the key log does not hold',
  'keyTransport.explicitRejection': 'implicit rejection is a responder\'s internal choice; both answers can look alike on the wire',
  'validation.acceptExpired': 'a receiver\'s certificate decision: validity depends on its clock',
  'validation.acceptUnknownCa': 'a receiver\'s certificate decision: its trust anchors are not in the capture',
  'validation.acceptRevoked': 'a receiver\'s certificate decision: the status answer is not in the capture',
  'validation.skipIdentityCheck': 'a receiver\'s certificate decision made on information outside the capture',  'record.skipAuthentication': 'a receiver\'s acceptance: the capture shows the bad tag, not whether it was checked',
  'record.skipSequenceCheck': 'a receiver\'s acceptance: the capture shows the repeated sequence, not whether it was checked',
  'record.acceptTruncation': 'how a receiver reports the end is in its events, not on the wire',
};

t.test('pcap check: no violation between conforming UAs; the knob\'s requirement on each knob case', async (t) => {
  let clean = 0;
  const named = new Set<string>();
  for (const c of wireCases) {
    const log = readKeyLog(await readFile(path.join(runDir, c.captures!.keylog!), 'utf8'));
    const knobs = knobsOf(c);
    for (const p of c.captures!.pcaps) {
      const streams = await readTcpStreams(await readFile(path.join(runDir, p.path)));
      const violations = streams.flatMap((s) => checkConversation(viewConversation(s, log), log).violations);
      if (knobs.length === 0 && !hasDefectHolder(c)) {
        t.same(violations, [], `${p.path}: no violation`);
        clean++;
        continue;
      }
      if (knobs.length === 0) {
        // A defective chain can only show as a leaf whose user ID is not the Hello's from.
        t.same(violations.filter((v) => !['E2ED-HS-16', 'E2ED-HS-22'].includes(v.requirement)), [], `${p.path}: nothing but the certificate's identity`);
        continue;
      }
      for (const k of knobs.filter((id) => VISIBLE_KNOBS[id])) {
        const ids = VISIBLE_KNOBS[k]!;
        t.ok(violations.some((v) => ids.includes(v.requirement)), `${p.path}: ${k} named as ${ids.join(' or ')} (got ${violations.map((v) => v.requirement).join(', ') || 'none'})`);
        named.add(k);
      }
    }
  }
  t.ok(clean >= 40, `${clean} captures of conforming conversations checked clean`);
  t.same([...named].sort(), Object.keys(VISIBLE_KNOBS).sort(), 'every visible knob was run and named');
  // Every other knob is one a capture alone cannot judge, each for a stated reason; a new knob
  // must land in one list or the other.
  t.same(KNOBS.map((k) => k.id).filter((id) => !VISIBLE_KNOBS[id]).sort(), Object.keys(INVISIBLE_KNOBS).sort(), 'every knob is visible to the passive check or has a reason why not');
  t.ok(named.size >= 32, `${named.size} of ${KNOBS.length} knobs named by the passive check`);
});

t.test('a second run with the same seed writes byte-identical captures', async (t) => {
  const again = path.join(tmp, 'run-2');
  const second = await runConformance({ seed: 'capture-test', captures: 'all', runDir: again, suites: ['interop', 'knobs'] });
  let compared = 0;
  for (const c of second.cases) {
    for (const p of c.captures?.pcaps ?? []) {
      const a = await readFile(path.join(runDir, p.path));
      const b = await readFile(path.join(again, p.path));
      t.ok(a.equals(b), `${p.path} identical`);
      compared++;
    }
  }
  t.ok(compared > 80, `${compared} captures compared`);
});

async function tsharkAvailable(): Promise<string | undefined> {
  try {
    await run('tshark', ['--version']);
    return undefined;
  } catch {
    return 'tshark is not installed (.ci/run installs it: apt-get install tshark)';
  }
}

interface TsharkTally {
  dissected: number;
  malformed: string[];
  badChecksums: number;
  analysis: string[];
  stderr: string;
}

/** One tshark pass over a file with the dissector; the fields of every packet tallied. */
async function tshark(file: string, describe: (frame: number) => string): Promise<TsharkTally> {
  const { stdout, stderr } = await run(
    'tshark',
    ['-n', '-r', file, '-X', `lua_script:${DISSECTOR}`, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=/t',
      '-e', 'frame.number', '-e', 'e2ed.type', '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-e', 'tcp.checksum.status', '-e', 'tcp.analysis.flags', '-e', 'tcp.analysis.reused_ports'],
    { maxBuffer: 64 << 20 },
  );
  const tally: TsharkTally = { dissected: 0, malformed: [], badChecksums: 0, analysis: [], stderr: stderr.replace(/^Running as user "root".*\n/m, '') };
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [frame = '', types = '', mal = '', severity = '', checksum = '', flags = '', reused = ''] = line.split('\t');
    if (types !== '') tally.dissected += types.split(',').length;
    // 0x00800000 is PI_ERROR: a malformed packet or a frame our dissector flags as broken.
    if (mal !== '' || severity.split(',').includes('8388608')) tally.malformed.push(describe(Number(frame)));
    if (checksum !== '' && checksum !== '1') tally.badChecksums++;
    if (flags !== '' && reused === '') tally.analysis.push(describe(Number(frame)));
  }
  return tally;
}

/** The frames our decoder finds in a capture's reassembled streams. */
async function framesIn(file: string): Promise<number> {
  const streams = await readTcpStreams(await readFile(file));
  let n = 0;
  for (const s of streams) {
    for (const d of ['c2s', 's2c'] as const) n += new FrameDecoder().push(Buffer.concat(s.chunks.filter((x) => x.direction === d).map((x) => x.bytes))).length;
  }
  return n;
}

t.test('tshark with the shipped dissector: zero malformed packets, every frame dissected', { skip: noTshark ?? false }, async (t) => {
  // One tshark start per file costs about half a second; all captures go through one pass as one
  // file, their packet records joined (timestamps moved on so they keep increasing), each packet
  // traced back to its file for the messages.
  const files = wireCases.flatMap((c) => c.captures!.pcaps.map((p) => path.join(runDir, p.path)));
  const parts: Buffer[] = [];
  const owner: string[] = [];
  let expected = 0;
  let offsetSeconds = 0;
  for (const file of files) {
    const bytes = await readFile(file);
    if (parts.length === 0) parts.push(bytes.subarray(0, 24));
    for (let off = 24; off < bytes.length; ) {
      const rec = Buffer.from(bytes.subarray(off, off + 16));
      const len = rec.readUInt32BE(8);
      rec.writeUInt32BE(rec.readUInt32BE(0) + offsetSeconds, 0);
      parts.push(rec, bytes.subarray(off + 16, off + 16 + len));
      owner.push(path.basename(file));
      off += 16 + len;
    }
    offsetSeconds += 60;
    expected += await framesIn(file);
  }
  const all = path.join(tmp, 'all-captures.pcap');
  await writeFile(all, Buffer.concat(parts));
  const tally = await tshark(all, (frame) => `${owner[frame - 1]} packet ${frame}`);
  t.equal(tally.stderr.trim(), '', 'no Lua or tshark error');
  t.same(tally.malformed, [], 'no malformed packet');
  t.equal(tally.badChecksums, 0, 'every IP and TCP checksum good');
  t.same(tally.analysis, [], 'no TCP analysis warning (retransmission, out of order, lost segment)');
  t.equal(tally.dissected, expected, `all ${expected} frames of ${files.length} captures dissected`);
  t.ok(expected > 1000);
  // The check can fail: a frame of an unknown type and a record shorter than its tag are flagged.
  const broken = path.join(tmp, 'broken.pcap');
  const hello = Buffer.concat([Buffer.from([0, 0, 0, 9, 1]), Buffer.from('<Hello/>')]);
  await writeFile(broken, capturePcap([{ seed: 'b', conversation: { client: { address: '::1', port: 50001 }, server: { address: '::1', port: 4605 }, events: [
    { from: 'client', kind: 'data', bytes: hello },
    { from: 'server', kind: 'data', bytes: Buffer.from([0, 0, 0, 3, 7, 0, 0]) },
    { from: 'client', kind: 'data', bytes: Buffer.from([0, 0, 0, 3, 2, 0, 0]) },
  ] } }]));
  const flagged = await tshark(broken, (frame) => `packet ${frame}`);
  t.equal(flagged.malformed.length, 2, 'tshark with the dissector flags both broken frames');
  // One capture on its own too, with the dissector found by port and by heuristic alike.
  const one = path.join(runDir, 'captures', 'interop.keylog.decrypts-capture.initiator.pcap');
  const alone = await tshark(one, (frame) => `packet ${frame}`);
  t.equal(alone.dissected, await framesIn(one));
  t.same(alone.malformed, []);
});
