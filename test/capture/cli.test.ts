// `sixbench run --captures/--report/--shard` and `sixbench pcap inspect|check` at the command line:
// what a run folder holds, the conversation printed and decrypted, the check's verdict and exit
// status, and a specific message and exit status for each kind of bad input.
import t from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registerPcapCommands } from '../../src/cli/pcap.js';
import { registerReportCommands } from '../../src/cli/report.js';
import { registerRunCommand } from '../../src/cli/run.js';
import { sixbenchWith } from '../helpers/cli.js';

const sixbench = (args: string[]) => sixbenchWith([registerRunCommand, registerPcapCommands, registerReportCommands], args);
const out = await mkdtemp(path.join(os.tmpdir(), 'sixbench-pcap-cli-'));
t.teardown(() => rm(out, { recursive: true, force: true }));

const CASES = ['interop.keylog.decrypts-capture', 'knob.record.reuseSequence', 'vectors.expand-label'];
const first = await sixbench(['run', '--seed', 'pcap-cli', '--out', out, '--captures', 'all', '--report', 'junit,md', ...CASES.flatMap((c) => ['--case', c])]);
const runDirs = (await readdir(out)).filter((n) => n.startsWith('pcap-cli-'));
const runDir = path.join(out, runDirs[0]!);
const cap = (name: string): string => path.join(runDir, 'captures', name);

t.test('a run writes its own folder: reports, captures and key logs by case id', async (t) => {
  t.equal(first.exitCode, 0, first.stderr);
  t.match(first.stdout, new RegExp(`report: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/report\\.json`));
  t.same((await readdir(runDir)).sort(), ['captures', 'report.json', 'report.junit.xml', 'summary.md']);
  t.same((await readdir(path.join(runDir, 'captures'))).sort(), [
    'interop.keylog.decrypts-capture.initiator.pcap', 'interop.keylog.decrypts-capture.inspect.txt', 'interop.keylog.decrypts-capture.keylog', 'interop.keylog.decrypts-capture.responder.pcap',
    'knob.record.reuseSequence.initiator.pcap', 'knob.record.reuseSequence.inspect.txt', 'knob.record.reuseSequence.keylog', 'knob.record.reuseSequence.responder.pcap',
  ]);
  // The next run with the same seed gets a folder of its own; the first is untouched.
  const again = await sixbench(['run', '--seed', 'pcap-cli', '--out', out, '--case', 'vectors.expand-label']);
  t.equal(again.exitCode, 0);
  t.equal((await readdir(out)).filter((n) => n.startsWith('pcap-cli-')).length, 2);
  t.ok((await readdir(runDir)).includes('captures'));
  const latest = JSON.parse(await readFile(path.join(out, 'run-pcap-cli.json'), 'utf8'));
  t.equal(latest.cases.length, 1, 'run-<seed>.json is the latest run');
  t.equal(latest.captures.mode, 'failed', '--captures failed is the default');
});

t.test('pcap inspect prints the conversation with every record decrypted, key-update generations and alerts', async (t) => {
  const r = await sixbench(['pcap', 'inspect', cap('interop.keylog.decrypts-capture.initiator.pcap'), '--keylog', cap('interop.keylog.decrypts-capture.keylog')]);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /I -> R \[handshake\] plaintext L=\d+: Hello_I from=/);
  t.match(r.stdout, /R -> I \[handshake\] plaintext L=\d+: Finished [0-9a-f]{64}/);
  t.match(r.stdout, /I -> R \[connected\] record gen 0 seq 1 L=\d+: KeyUpdate request=false/);
  t.match(r.stdout, /I -> R \[connected\] record gen 1 seq 0 L=\d+: Message id=\S+ "after the key update"/);
  t.match(r.stdout, /record gen 1 seq 1 L=\d+: Alert close_notify \(warning\)/);
  t.match(r.stdout, /records: 7 of 7 decrypted/);
  const json = await sixbench(['pcap', 'inspect', '--json', cap('interop.keylog.decrypts-capture.responder.pcap'), '--keylog', cap('interop.keylog.decrypts-capture.keylog')]);
  const doc = JSON.parse(json.stdout);
  t.equal(doc.connections.length, 1);
  t.same(doc.connections[0].records, { total: 7, opened: 7 });
  t.equal(doc.connections[0].frames[0].message.kind, 'InitiatorHello');
  t.match(doc.connections[0].frames[0].message.nonce, /^[0-9a-f]{64}$/);
  // Without a key log the records are shown, not opened.
  const bare = await sixbench(['pcap', 'inspect', cap('interop.keylog.decrypts-capture.initiator.pcap')]);
  t.equal(bare.exitCode, 0);
  t.match(bare.stdout, /record gen 0 seq 0 L=\d+: not decrypted \(no key log\)/);
});

t.test('pcap check: clean on a conforming conversation, the requirement on a knobbed one', async (t) => {
  const clean = await sixbench(['pcap', 'check', cap('interop.keylog.decrypts-capture.initiator.pcap'), '--keylog', cap('interop.keylog.decrypts-capture.keylog')]);
  t.equal(clean.exitCode, 0);
  t.match(clean.stdout, /no violation\n1 connection\(s\), 0 violation\(s\)\n$/);
  const bad = await sixbench(['pcap', 'check', cap('knob.record.reuseSequence.initiator.pcap'), '--keylog', cap('knob.record.reuseSequence.keylog')]);
  t.equal(bad.exitCode, 1);
  t.match(bad.stdout, /VIOLATION E2ED-REC-2 \(\w+, packet \d+\): record 1 of generation 0 does not use sequence number 1/);
  const json = JSON.parse((await sixbench(['pcap', 'check', '--json', cap('knob.record.reuseSequence.initiator.pcap'), '--keylog', cap('knob.record.reuseSequence.keylog')])).stdout);
  t.ok(json.connections[0].violations.some((v: { requirement: string }) => v.requirement === 'E2ED-REC-2'));
});

t.test('bad input: a specific message and exit status, never a crash', async (t) => {
  const good = await readFile(cap('interop.keylog.decrypts-capture.initiator.pcap'));
  const truncated = path.join(out, 'truncated.pcap');
  await writeFile(truncated, good.subarray(0, good.length - 10));
  let r = await sixbench(['pcap', 'inspect', truncated]);
  t.equal(r.exitCode, 4);
  t.match(r.stderr, /^sixbench: .*truncated\.pcap: truncated capture: \d+ byte\(s\) after packet \d+ do not make a whole packet record\n$/);
  t.equal(r.stdout, '', 'nothing printed from a partial file');
  r = await sixbench(['pcap', 'inspect', cap('interop.keylog.decrypts-capture.keylog')]);
  t.equal(r.exitCode, 4);
  t.match(r.stderr, /not a classic pcap file: magic number/);
  r = await sixbench(['pcap', 'inspect', path.join(out, 'no-such.pcap')]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /cannot read the capture .*no-such\.pcap: no such file/);
  // The key log of another connection opens none of the records.
  r = await sixbench(['pcap', 'inspect', cap('interop.keylog.decrypts-capture.initiator.pcap'), '--keylog', cap('knob.record.reuseSequence.keylog')]);
  t.equal(r.exitCode, 5);
  t.match(r.stderr, /decrypts none of the 7 records: it has no usable line for nonce_I [0-9a-f]{64}/);
  r = await sixbench(['pcap', 'check', cap('interop.keylog.decrypts-capture.initiator.pcap'), '--keylog', cap('knob.record.reuseSequence.keylog')]);
  t.equal(r.exitCode, 5);
  // A file that is not a key log at all.
  r = await sixbench(['pcap', 'inspect', cap('interop.keylog.decrypts-capture.initiator.pcap'), '--keylog', cap('interop.keylog.decrypts-capture.initiator.pcap')]);
  t.equal(r.exitCode, 5);
  t.match(r.stderr, /not an E2ED key log/);
});

t.test('run usage: --captures, --report and --shard are checked before anything runs', async (t) => {
  const before = (await readdir(out)).length;
  for (const [args, message] of [
    [['--captures', 'some'], /--captures takes none, failed or all, got "some"/],
    [['--report', 'json,xml'], /--report: unknown format "xml"; the formats are json, junit, tap, html, md/],
    [['--shard', '4/3'], /--shard 4\/3: the index 4 is beyond the 3 shards/],
    [['--case', 'no.such.case'], /there is no case/],
  ] as const) {
    const r = await sixbench(['run', '--out', out, ...args]);
    t.equal(r.exitCode, 2, args.join(' '));
    t.match(r.stderr, message);
  }
  t.equal((await readdir(out)).length, before, 'no run folder left behind');
});

t.test('report merge joins shard reports; refuses what is not one run', async (t) => {
  const files: string[] = [];
  for (const i of [1, 2]) {
    const r = await sixbench(['run', '--seed', 'merge-cli', '--out', out, '--shard', `${i}/2`, '--suite', 'vectors']);
    t.equal(r.exitCode, 0);
    files.push(/report: (\S+)/.exec(r.stdout)![1]!);
  }
  const merged = await sixbench(['report', 'merge', ...files, '--out', out, '--report', 'tap']);
  t.equal(merged.exitCode, 0, merged.stderr);
  const file = /report: (\S+)/.exec(merged.stdout)![1]!;
  const report = JSON.parse(await readFile(file, 'utf8'));
  t.equal(report.summary.total, 6);
  t.ok((await readdir(path.dirname(file))).includes('report.tap'));
  const refused = await sixbench(['report', 'merge', files[0]!, '--out', out]);
  t.equal(refused.exitCode, 2);
  t.match(refused.stderr, /shard\(s\) 2\/2 missing/);
  const notReport = await sixbench(['report', 'merge', cap('interop.keylog.decrypts-capture.keylog'), '--out', out]);
  t.equal(notReport.exitCode, 2);
  t.match(notReport.stderr, /is not JSON/);
});
