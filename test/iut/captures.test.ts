// IUT cases get the outputs of every other case (issue 11 §1): with --captures all, a run through
// the adapter (the reference command, examples/reference.json) writes for each conversation case
// a pcap per leg and a key log holding the IUT's lines and the reference's, and `pcap check`
// finds no violation on them; the IUT's lines really are in that key log (a lying IUT's wrong
// secret is what the checker then reports). A relay, a check and an adversary case have their
// captures too, read back; a case that ends before any connection says `none`. The command is
// dist/cli.js: without a current build the test skips and says so.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkConversation } from '../../src/capture/check.js';
import { readKeyLog, viewConversation } from '../../src/capture/conversation.js';
import { readTcpStreams } from '../../src/capture/read.js';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import { runConformance } from '../../src/run/runner.js';
import { HOSTILE, REPO, hostileIut, referenceCommandUnavailable, referenceIutFile } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-iut-captures-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const skip = referenceCommandUnavailable() ?? false;
// A case's time limit well above its usual second: the tests share two cores, and an IUT process
// starved of CPU must not read as what this file checks.
const CASE_TIME_MS = 30_000;
const CASES = ['interop.x25519.aes-256-gcm.i2r', 'interop.rsa-oaep.aes-256-gcm.i2r', 'cert.expired'];

async function checkCaptures(runDir: string, pcapPath: string, keylogPath: string) {
  const log = readKeyLog(await readFile(path.join(runDir, keylogPath), 'utf8'));
  const streams = await readTcpStreams(await readFile(path.join(runDir, pcapPath)));
  return { streams: streams.length, violations: streams.flatMap((s) => checkConversation(viewConversation(s, log), log).violations) };
}

t.test('an IUT run with --captures all: both legs and a key log per case, and pcap check passes', { skip }, async (t) => {
  const runDir = path.join(dir, 'conforming');
  const iut = processImplementation(loadIutConfig(referenceIutFile(dir)));
  const report = await runConformance({ seed: 'iut-captures', caseIds: CASES, iut, captures: 'all', runDir, concurrency: 1, caseTimeoutMs: CASE_TIME_MS });
  t.same(report.cases.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}: ${c.reason}`), [], 'every case passes');
  t.equal(report.cases.length, 7, 'sanity first and last, five IUT cases');
  for (const c of report.cases) {
    t.same(c.captures?.pcaps.map((p) => p.leg), ['initiator', 'responder'], `${c.id}: a pcap per leg`);
    t.ok(c.captures?.keylog, `${c.id}: a key log`);
    for (const p of c.captures?.pcaps ?? []) {
      const { streams, violations } = await checkCaptures(runDir, p.path, c.captures!.keylog!);
      t.equal(streams, 1, `${p.path}: the connection`);
      t.same(violations, [], `${p.path}: pcap check finds no violation`);
    }
  }
  // The seeds reported are the ones both parties ran with: the catalogue case's, not the IUT case id's.
  for (const c of report.cases.filter((x) => x.iut)) t.same(c.seeds, { initiator: `iut-captures/${c.iut!.of}/initiator`, responder: `iut-captures/${c.iut!.of}/responder` }, `${c.id}: seeds`);
  const keylog = await readFile(path.join(runDir, report.cases.find((c) => c.id === `${CASES[0]}@responder`)!.captures!.keylog!), 'utf8');
  t.match(keylog, /E2ED_R2I_TRAFFIC_SECRET_1 /, 'the updated secrets are in the case key log');
});

t.test("the IUT's own key log lines are in the capture's key log", { skip }, async (t) => {
  const doc = JSON.parse(await readFile(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as { command: unknown[] };
  doc.command = [process.execPath, path.join(HOSTILE, 'keylog-liar.mjs'), 'wrong-secret', process.execPath, path.join(REPO, 'dist', 'cli.js'), ...doc.command.slice(2)];
  delete (doc as Record<string, unknown>)['$schema'];
  const file = path.join(dir, 'liar.json');
  await writeFile(file, JSON.stringify(doc));
  const runDir = path.join(dir, 'liar');
  const report = await runConformance({ seed: 'iut-captures-liar', caseIds: [CASES[0]!], iut: processImplementation(loadIutConfig(file)), captures: 'all', runDir, concurrency: 1, caseTimeoutMs: CASE_TIME_MS });
  const sanity = report.cases[0]!;
  t.equal(sanity.verdict, 'fail', 'the lying IUT fails the sanity case');
  const { violations } = await checkCaptures(runDir, sanity.captures!.pcaps[0]!.path, sanity.captures!.keylog!);
  t.ok(violations.some((v) => v.requirement === 'E2ED-KEYLOG-4' && /E2ED_MASTER_SECRET/.test(v.message)), 'pcap check reports its wrong master secret');
});

t.test('an IUT run with --captures all: relay, check and adversary cases have their legs, read back', { skip }, async (t) => {
  const runDir = path.join(dir, 'kinds');
  const iut = processImplementation(loadIutConfig(referenceIutFile(dir, [], 'kinds.json')));
  const relay = 'relay.record.r2i.drop-first';
  const hangUp = 'interop.close.hang-up-before-handshake';
  const report = await runConformance({ seed: 'iut-captures-kinds', caseIds: [relay, hangUp, 'records.sanity.before', 'records.responder.aes.wrong-tag'], iut, captures: 'all', runDir, concurrency: 1, caseTimeoutMs: CASE_TIME_MS });
  t.same(report.cases.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}: ${c.reason}`), [], 'every case passes');
  const byId = new Map(report.cases.map((c) => [c.id, c]));
  for (const c of report.cases) t.ok(c.captures && c.captures.pcaps.length > 0 && c.captures.keylog, `${c.id}: captures and a key log`);
  const streamsOf = async (id: string, leg: string) => {
    const c = byId.get(id)!;
    const p = c.captures!.pcaps.find((x) => x.leg === leg)!;
    const log = readKeyLog(await readFile(path.join(runDir, c.captures!.keylog!), 'utf8'));
    return (await readTcpStreams(await readFile(path.join(runDir, p.path)))).map((s) => viewConversation(s, log));
  };
  // The relay case with the IUT on either side: both legs, each with what it really carried. The
  // relay dropped the responder's first record, so the initiator's leg lacks it and the next one
  // does not open at the sequence number the initiator expects; the responder's leg opens all.
  for (const side of ['initiator', 'responder']) {
    const id = `${relay}@${side}`;
    t.same(byId.get(id)?.captures?.pcaps.map((p) => [p.leg, p.connections]), [['initiator', 1], ['responder', 1]], `${id}: both legs`);
    const [toResponder] = await streamsOf(id, 'responder');
    t.ok(toResponder!.records.total > 0 && toResponder!.records.opened === toResponder!.records.total, `${id}: responder leg, ${toResponder!.records.opened} of ${toResponder!.records.total} records decrypted`);
    const [toInitiator] = await streamsOf(id, 'initiator');
    t.ok(toInitiator!.records.opened < toInitiator!.records.total, `${id}: initiator leg, the record after the dropped one does not open (${toInitiator!.records.opened} of ${toInitiator!.records.total})`);
  }
  // The hang-up check: the IUT's Hello_I to the bench's bare TCP peer, nothing after it.
  const [hung] = await streamsOf(`${hangUp}@initiator`, 'initiator');
  t.equal(hung!.frames.length, 1, 'the hang-up capture holds one frame');
  t.equal(hung!.frames[0]!.type, 'plaintext', 'the Hello_I, in plaintext');
  // The adversary's connection with the IUT, its records opened with the case's key log.
  const [sanity] = await streamsOf('records.sanity.before', 'adversary');
  t.ok(sanity!.records.total > 0 && sanity!.records.opened === sanity!.records.total, `records.sanity.before: ${sanity!.records.opened} of ${sanity!.records.total} records decrypted`);
});

t.test('an IUT case that ends before any connection says none, with the reason', async (t) => {
  const runDir = path.join(dir, 'dead');
  const report = await runConformance({ seed: 'iut-captures-dead', caseIds: ['interop.x25519.aes-256-gcm.i2r'], iut: hostileIut(dir, 'exits-early.mjs'), captures: 'all', runDir, concurrency: 1, caseTimeoutMs: CASE_TIME_MS });
  const [sanity, ...rest] = report.cases;
  t.equal(sanity!.verdict, 'error', 'the IUT never came up');
  t.match(sanity!.captures, { pcaps: [], none: /^no connection was recorded: the case ended with error \(.*exited with status 3/ }, `${sanity!.id} says none and why`);
  t.ok(rest.length > 0);
  for (const c of rest) t.match(c.captures, { pcaps: [], none: /opened no connection: it was skipped \(not run: the sanity case did not pass\)/ }, `${c.id}, not run, says none and why`);
});
