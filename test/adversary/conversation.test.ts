// The adversary against the in-process reference through the door (integration): a conforming
// conversation in both roles, a deviation the reference must refuse, one the reference must take;
// the same seed gives the same bytes and verdicts; and each family's self-test finds the broken
// reference (a family that passes against everything would be a defect).
import t from 'tap';
import { readTcpStreams } from '../../src/capture/read.js';
import { capturePcap } from '../../src/capture/pcap.js';
import { readKeyLog, viewConversation } from '../../src/capture/conversation.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunEnvironment } from '../../src/run/environment.js';
import { REPO_ROOT, SUITES_DIR } from '../../src/run/catalogue.js';
import { adversaryCases } from '../../src/run/adversary/catalogue.js';
import { FAMILIES, sanityScript } from '../../src/run/adversary/cases.js';
import { runAdversaryScript } from '../../src/run/adversary/execute.js';
import { referenceImplementation } from '../../src/iut/reference.js';
import { runAdversaryCase } from '../../src/run/adversary/run-case.js';
import { runConformance } from '../../src/run/runner.js';
import type { Script } from '../../src/adversary/script.js';

const env = await RunEnvironment.start({ seed: 'adversary-test', slots: 1 });
t.teardown(() => env.close());
const reference = referenceImplementation();
const run = (script: Script, seed = 'c', iut = reference) =>
  runAdversaryScript(script, { env, slot: env.slots[0]!, seed, signal: AbortSignal.timeout(8000), iut });

t.test('a conforming conversation in both roles: handshake, Ping, KeyUpdate, close', async (t) => {
  for (const role of ['initiator', 'responder'] as const) {
    const r = await run({
      role,
      steps: [
        { do: 'handshake' },
        { do: 'roundTrip' },
        { do: 'send', message: 'KeyUpdate', fields: { request: 'true' } },
        { do: 'expect', message: 'KeyUpdate', where: { request: false }, in: 'record' },
        { do: 'roundTrip' },
        { do: 'close', how: 'notify' },
        { do: 'expect', alert: ['close_notify'], level: 'warning', in: 'record' },
        { do: 'expect', closed: 'any' },
      ],
    });
    t.equal(r.mismatch, undefined, `${role}: ${r.log.join(' | ')}`);
  }
});

t.test('an expectation that does not hold is the mismatch, with what came instead', async (t) => {
  const r = await run({ role: 'initiator', steps: [{ do: 'send', message: 'Hello', set: { Nonce: '00' } }, { do: 'refused', alert: ['illegal_parameter'] }] });
  t.match(r.mismatch, /step 2 .*expected the alert illegal_parameter, got Alert fatal decode_error \(plaintext\)/);
  const alt = await run({ role: 'initiator', steps: [{ do: 'send', message: 'Hello', set: { Nonce: '00' } }, { do: 'expect', oneOf: [[{ do: 'expect', closed: 'any' }], [{ do: 'expect', alert: ['decode_error'] }, { do: 'expect', closed: 'any' }]] }] });
  t.equal(alt.mismatch, undefined, 'the second alternative matches');
});

t.test('derive: after a deviation the reference accepts (comments, a frame cut at every byte), the adversary still completes the handshake', async (t) => {
  const r = await run({
    role: 'initiator',
    steps: [
      { do: 'send', message: 'Hello', mutate: [{ op: 'inject', what: 'comment', where: 'inside' }], split: 'bytes' },
      { do: 'expect', message: 'Hello' },
      { do: 'expect', message: 'CertificateVerify', where: { valid: true } },
      { do: 'expect', message: 'Finished', where: { valid: true } },
      { do: 'send', message: 'CertificateVerify' },
      { do: 'send', message: 'Finished', split: [1, 2, 3, 4, 5] },
      { do: 'roundTrip' },
    ],
  });
  t.equal(r.mismatch, undefined, r.log.join(' | '));
});

t.test('a forwarder can sit in between (route) and every chunk is reported (tap)', async (t) => {
  const routed: number[] = [];
  const chunks = { out: 0, in: 0 };
  const ends: string[] = [];
  const r = await runAdversaryScript(sanityScript('initiator'), {
    env,
    slot: env.slots[0]!,
    seed: 'wired',
    signal: AbortSignal.timeout(8000),
    iut: reference,
    route: (to) => (routed.push(to.port), to),
    tap: (direction, ev) => {
      if (ev.kind === 'data') chunks[direction] += ev.bytes.length;
      else ends.push(`${direction} ${ev.kind}`);
    },
  });
  t.equal(r.mismatch, undefined);
  t.equal(routed.length, 1, 'the connection went through the route');
  t.ok(chunks.out > 1000 && chunks.in > 1000, `bytes out ${chunks.out}, in ${chunks.in}`);
  // The sanity conversation ends with close_notify and FIN both ways: each end reported once.
  t.same([...ends].sort(), ['in fin', 'out fin'], 'the FIN of each side reported');
});

t.test('recording: the connection with its reset, and a key log that opens every record, KeyUpdate included', async (t) => {
  const r = await runAdversaryScript(
    { role: 'initiator', steps: [{ do: 'handshake' }, { do: 'send', message: 'KeyUpdate', fields: { request: 'false' } }, { do: 'roundTrip' }, { do: 'close', how: 'reset' }] },
    { env, slot: env.slots[0]!, seed: 'recorded', signal: AbortSignal.timeout(8000), iut: reference, record: true },
  );
  t.equal(r.mismatch, undefined, r.log.join(' | '));
  t.equal(r.wire?.connections.length, 1);
  const events = r.wire!.connections[0]!.events;
  t.same(events.filter((e) => e.kind !== 'data').map((e) => `${e.from} ${e.kind}`), ['client rst'], 'the adversary (the client) reset the connection');
  const adversaryLog = r.wire!.keyLogs[0]!;
  t.match(adversaryLog, /^E2ED_HANDSHAKE_SECRET [0-9a-f]{64} /m);
  t.match(adversaryLog, /^E2ED_I2R_TRAFFIC_SECRET_1 /m, 'the generation after the KeyUpdate');
  t.match(r.wire!.keyLogs[1]!, /E2ED_MASTER_SECRET/, "the implementation's own key log");
  // The adversary's own lines alone open every record; no key log opens none (the check can fail).
  const [stream] = await readTcpStreams(capturePcap([{ seed: 's', conversation: { client: { address: '::1', port: 50000 }, server: { address: '::1', port: 4605 }, events } }]));
  const view = viewConversation(stream!, readKeyLog(adversaryLog));
  t.ok(view.records.total >= 3 && view.records.opened === view.records.total, `${view.records.opened} of ${view.records.total} records opened`);
  t.ok(view.frames.some((f) => f.record?.generation === 1 && f.record.opened), 'a record of generation 1 (after the KeyUpdate) opened');
  t.equal(viewConversation(stream!, readKeyLog('# none\n')).records.opened, 0);
});

t.test('a seed gives the same wire and verdicts', async (t) => {
  const script: Script = { role: 'responder', steps: [{ do: 'handshake' }, { do: 'roundTrip' }, { do: 'send', message: 'Ping', frame: { mutate: [{ op: 'flipBit', at: -1 }] } }, { do: 'refused', alert: ['bad_record_mac'], in: 'record' }] };
  const a = await run(script, 'same');
  const b = await run(script, 'same');
  t.equal(a.mismatch, undefined);
  t.same(a.log, b.log);
});

t.test('the sanity conversation fails against a peer that is not there, and the family is skipped, not failed', async (t) => {
  const dead = { ...reference, name: 'dead', start: () => Promise.reject(new Error('nothing listens')) };
  await t.rejects(run(sanityScript('initiator'), 'dead', dead), /nothing listens/);
  const spec = adversaryCases(SUITES_DIR, readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8')).find((c) => c.id === 'records.responder.aes.wrong-tag')!;
  const result = await runAdversaryCase(spec, spec.action as never, { env, slot: env.slots[0]!, seed: 'dead/x', signal: AbortSignal.timeout(8000), iut: dead }, (m) => ({ requirements: [], expected: '', mismatches: m }));
  t.equal(result.verdict, 'skip');
  t.match(result.reason, /implementation unreachable: the records sanity conversation failed/);
});

t.test('a known defect of the reference: a skip while the case fails, a failure once it passes, judged as usual for another implementation', async (t) => {
  const all = adversaryCases(SUITES_DIR, readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8'));
  // A reference defect made to order: the reference that skips its identity check (a knob) still
  // carries the reference's name, and the case it fails is marked as its known defect.
  const failing = all.find((c) => c.id === 'reflection.responder.from-not-certificate')!;
  const known = { ...failing, action: { ...(failing.action as object), knownDefect: 'made to order: validation.skipIdentityCheck' } } as typeof failing;
  const defective = referenceImplementation({ knobs: ['validation.skipIdentityCheck'] });
  const ev = (m: string[]) => ({ requirements: [], expected: '', mismatches: m });
  const ctx = { env, slot: env.slots[0]!, seed: 'known/x', signal: AbortSignal.timeout(8000) };
  const stillFails = await runAdversaryCase(known, known.action as never, { ...ctx, iut: defective }, ev);
  t.equal(stillFails.verdict, 'skip');
  t.match(stillFails.reason, /known defect of the reference: .*still fails/);
  const passing = all.find((c) => c.id === 'records.responder.aes.wrong-tag')!;
  const fixed = { ...passing, action: { ...(passing.action as object), knownDefect: 'pretend' } } as typeof passing;
  const now = await runAdversaryCase(fixed, fixed.action as never, ctx, ev);
  t.equal(now.verdict, 'fail');
  t.match(now.reason, /no longer fails this case/);
  const other = await runAdversaryCase(known, known.action as never, { ...ctx, iut: referenceImplementation({ name: 'another implementation', knobs: ['validation.skipIdentityCheck'] }) }, ev);
  t.equal(other.verdict, 'fail', 'judged as usual: the defect is the reference\'s');
});

t.test('each family catches a deliberately broken reference (its self-test), and reports the figure', async (t) => {
  const ids = FAMILIES.map((f) => `${f}.selftest`);
  const report = await runConformance({ seed: 'adversary-selftest', caseIds: ids, caseTimeoutMs: 60_000 });
  for (const c of report.cases) t.equal(c.verdict, 'pass', `${c.id}: ${c.reason ?? ''}`);
  const d = report.adversaryDetection!;
  t.ok(d.detected > 0 && d.detected <= d.total);
  for (const f of FAMILIES) t.ok(d.byFamily[f]!.detected > 0, `${f}: ${d.byFamily[f]!.detected} / ${d.byFamily[f]!.total}`);
});
