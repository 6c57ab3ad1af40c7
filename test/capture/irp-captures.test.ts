// The irp suite run with --captures all, read back (issue 11): every case links a capture of leg
// irp and, when a TLS handshake got that far, its TLS key log; `pcap inspect` decrypts every TLS
// record of every capture and decodes the IRP frames inside; real tshark with the shipped Lua
// dissector and the key log decrypts the same captures, finds no malformed packet and dissects
// every IRP frame our reader finds. Connections in which the bench deliberately sent frames the
// framing refuses (cases citing IRP-FRAME-1, the frame-fault requirement) are read too, but left
// out of the malformed-packet count; that only those cases have such connections is checked.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tsharkAvailable } from './tshark.js';
import { viewIrpConnection, type IrpConnectionView } from '../../src/capture/irp.js';
import { readTcpStreams } from '../../src/capture/read.js';
import { readTlsKeyLog } from '../../src/capture/tls.js';
import { registerPcapCommands } from '../../src/cli/pcap.js';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { runConformance } from '../../src/run/runner.js';
import { sixbenchWith } from '../helpers/cli.js';

const run = promisify(execFile);
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DISSECTOR = path.join(ROOT, 'wireshark', 'e2ed.lua');

const tmp = await mkdtemp(path.join(os.tmpdir(), 'sixbench-irp-capture-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));
const runDir = path.join(tmp, 'run');
const report = await runConformance({ seed: 'irp-capture-test', suites: ['irp'], captures: 'all', runDir, caseTimeoutMs: 30_000 });
const catalogue = new Map(loadCatalogue().map((c) => [c.id, c]));
const cases = report.cases.filter((c) => c.verdict !== 'skip');

interface CaseCapture {
  id: string;
  pcap: string;
  keylog: string | undefined;
  views: IrpConnectionView[];
  /** The case cites the frame-fault requirement: frames the framing refuses are its point. */
  sendsFrameFaults: boolean;
}

/** A connection in which the bench's side sent bytes the IRP framing (or TLS) refuses. */
function benchSentGarbage(v: IrpConnectionView): boolean {
  return v.framingFaults.some((f) => f.direction === 'c2s') || v.tls.notTls.some((g) => g.direction === 'c2s');
}

const captures: CaseCapture[] = [];
for (const c of cases) {
  const leg = c.captures?.pcaps.find((p) => p.leg === 'irp');
  if (!leg) continue;
  const pcap = path.join(runDir, leg.path);
  const keylog = c.captures?.tlsKeylog ? path.join(runDir, c.captures.tlsKeylog) : undefined;
  const log = keylog ? readTlsKeyLog(await readFile(keylog, 'utf8')) : undefined;
  const views = (await readTcpStreams(await readFile(pcap))).map((s) => viewIrpConnection(s, log));
  captures.push({ id: c.id, pcap, keylog, views, sendsFrameFaults: catalogue.get(c.id)!.requirements.includes('IRP-FRAME-1') });
}
const noTshark = await tsharkAvailable();

t.test('the irp suite passes recorded, and every case links a capture of leg irp', async (t) => {
  t.same(cases.filter((c) => c.verdict === 'fail').map((c) => `${c.id}: ${c.reason}`), [], 'no case failed through the recording relays');
  t.equal(cases.length, 34);
  t.same(cases.filter((c) => !c.captures?.pcaps.some((p) => p.leg === 'irp')).map((c) => c.id), [], 'every case has an irp capture');
  const files = new Set(await readdir(path.join(runDir, 'captures')));
  for (const c of captures) {
    t.ok(files.has(path.basename(c.pcap)), `${c.pcap} exists`);
    t.ok(c.views.length > 0, `${c.id}: at least one connection`);
    t.ok(c.views.every((v) => v.server.port === 4604), `${c.id}: the registry on port 4604`);
    // A key log exactly when some handshake went far enough to have secrets (a ServerHello).
    t.equal(c.keylog !== undefined, c.views.some((v) => v.tls.version !== undefined), `${c.id}: TLS key log present iff a handshake reached its keys`);
  }
});

t.test('pcap inspect decrypts every TLS record of every IRP capture and reads IRP frames in each', async (t) => {
  let protectedRecords = 0;
  const versions = new Set<string>();
  for (const c of captures) {
    for (const v of c.views) {
      const failed = v.tls.records.filter((r) => r.state === 'undecrypted');
      t.same(failed.map((r) => `packet ${r.packet}: ${r.error}`), [], `${c.id} connection ${v.stream}: every record decrypted`);
      t.same(v.tls.notTls, [], `${c.id} connection ${v.stream}: TLS from the first byte`);
      protectedRecords += v.tls.records.filter((r) => r.state === 'decrypted').length;
      if (v.tls.version) versions.add(v.tls.version);
      if (benchSentGarbage(v)) t.ok(c.sendsFrameFaults, `${c.id} connection ${v.stream}: only a frame-fault case sends frames the framing refuses`);
    }
    t.ok(c.views.some((v) => v.frames.length > 0) || !c.keylog, `${c.id}: IRP frames read inside TLS`);
  }
  t.ok(protectedRecords > 300, `${protectedRecords} protected records decrypted`);
  t.same([...versions].sort(), ['TLS 1.2', 'TLS 1.3'], 'both versions the policy allows were negotiated and read');
  t.ok(captures.some((c) => c.sendsFrameFaults && c.views.some(benchSentGarbage)), 'the frame-fault case is recorded with its faults');

  // The command itself, on every capture: exit 0 and every protected record decrypted.
  for (const c of captures.filter((x) => x.keylog)) {
    const out = await sixbenchWith([registerPcapCommands], ['pcap', 'inspect', c.pcap, '--tls-keylog', c.keylog!]);
    t.equal(out.exitCode, 0, `${c.id}: ${out.stderr}`);
    for (const m of out.stdout.matchAll(/(\d+) of (\d+) protected records decrypted/g)) t.equal(m[1], m[2], `${c.id}: ${m[0]}`);
  }
  // And it can fail: another case's key log opens none of them, and says so (exit 5).
  const [a, b] = captures.filter((x) => x.keylog);
  const wrong = await sixbenchWith([registerPcapCommands], ['pcap', 'inspect', a!.pcap, '--tls-keylog', b!.keylog!]);
  t.equal(wrong.exitCode, 5);
  t.match(wrong.stderr, /decrypts none of the \d+ protected TLS records/);
  t.match(wrong.stdout, /not decrypted \(the key log has no \w+ for client random/);
  // pcap check says plainly that it does not check IRP.
  const check = await sixbenchWith([registerPcapCommands], ['pcap', 'check', a!.pcap, '--keylog', a!.keylog!]);
  t.match(check.stdout, /IRP connection\(s\) not checked: pcap check checks E2ED only/);
});

t.test('tshark with the shipped dissector and the TLS key log: zero malformed packets, every IRP frame dissected', { skip: noTshark ?? false }, async (t) => {
  let dissected = 0;
  for (const c of captures) {
    const tally = await tshark(c.pcap, c.keylog);
    t.equal(tally.stderr.trim(), '', `${c.id}: no Lua or tshark error`);
    const garbage = new Set(c.views.filter(benchSentGarbage).map((v) => v.stream));
    t.same(tally.malformed.filter((m) => !garbage.has(m.stream)).map((m) => `packet ${m.frame}`), [], `${c.id}: no malformed packet`);
    for (const v of c.views) {
      if (garbage.has(v.stream)) continue;
      t.equal(tally.irpFrames.get(v.stream) ?? 0, v.frames.length, `${c.id} connection ${v.stream}: all ${v.frames.length} IRP frames dissected`);
      dissected += v.frames.length;
    }
  }
  t.ok(dissected > 200, `${dissected} IRP frames dissected`);
  // The check can fail: without the key log tshark sees no IRP frame where our reader finds some.
  const c = captures.find((x) => x.keylog && x.views.some((v) => v.frames.length > 0))!;
  const blind = await tshark(c.pcap, undefined);
  t.equal([...blind.irpFrames.values()].reduce((n, x) => n + x, 0), 0, 'without the key log no IRP frame is dissected');
  // And a garbage frame inside TLS (L = 0) is flagged malformed by the dissector.
  const faults = captures.find((x) => x.views.some(benchSentGarbage))!;
  const flagged = await tshark(faults.pcap, faults.keylog);
  t.ok(flagged.malformed.length > 0, 'the frame-fault case has malformed IRP frames, seen as such');
});

interface Tally {
  malformed: { frame: number; stream: number }[];
  /** IRP frames dissected per TCP stream. */
  irpFrames: Map<number, number>;
  stderr: string;
}

async function tshark(file: string, keylog: string | undefined): Promise<Tally> {
  const { stdout, stderr } = await run(
    'tshark',
    ['-n', '-r', file, '-X', `lua_script:${DISSECTOR}`, ...(keylog ? ['-o', `tls.keylog_file:${keylog}`] : []), '-T', 'fields', '-E', 'separator=/t',
      '-e', 'frame.number', '-e', 'tcp.stream', '-e', 'irp.type', '-e', '_ws.malformed', '-e', '_ws.expert.severity'],
    { maxBuffer: 64 << 20 },
  );
  const tally: Tally = { malformed: [], irpFrames: new Map(), stderr: stderr.replace(/^Running as user "root".*\n/m, '') };
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [frame = '', stream = '', types = '', mal = '', severity = ''] = line.split('\t');
    const s = Number(stream);
    if (types !== '') tally.irpFrames.set(s, (tally.irpFrames.get(s) ?? 0) + types.split(',').length);
    // 0x00800000 is PI_ERROR: a malformed packet or a frame the dissector flags as broken.
    if (mal !== '' || severity.split(',').includes('8388608')) tally.malformed.push({ frame: Number(frame), stream: s });
  }
  return tally;
}
