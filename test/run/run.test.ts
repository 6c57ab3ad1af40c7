// The conformance run end to end (reference UAs over loopback TCP, the IRP stub): a small selection
// passes, the same seed gives the same cases, a broken expectation fails with evidence, and every
// knob case that claims to tell its knob apart fails once the knob is taken away.
import t from 'tap';
import { loadCatalogue } from '../../src/run/catalogue.js';
import type { CaseSpec, Conversation } from '../../src/run/model.js';
import { runConformance } from '../../src/run/runner.js';

const SELECTION = [
  'interop.x25519.aes-256-gcm.i2r',
  'interop.rsa-oaep.chacha20-poly1305.r2i',
  'knob.finished.corruptValue',
  'knob.keyUpdate.ignoreRequest',
  'knob.validation.acceptRevoked',
  'cert.expired',
  'cert.ku-no-keyencipherment-rsa-kt',
  'vectors.expand-label',
  'irp.enrol.lookup-and-status',
  'irp.login.wrong-password',
  'irp.revoke.peer-refused',
];

const catalogue = loadCatalogue();

function conversationOf(spec: CaseSpec): Conversation {
  if (spec.action.kind !== 'conversation') throw new Error(`${spec.id} is not a conversation`);
  return structuredClone(spec.action.conversation);
}

function caseById(id: string): CaseSpec {
  const found = catalogue.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

t.test('a small selection passes, with a report tied to requirement ids', async (t) => {
  const report = await runConformance({ seed: 'test-run-a', caseIds: SELECTION });
  const catalogueOrder = catalogue.map((c) => c.id).filter((id) => SELECTION.includes(id));
  t.same(report.cases.map((c) => c.id), catalogueOrder, 'results in catalogue order');
  for (const c of report.cases) t.equal(c.verdict, 'pass', `${c.id}${c.reason ? `: ${c.reason}` : ''}`);
  t.match(report.summary, { total: SELECTION.length, passed: SELECTION.length, failed: 0, skipped: 0 });
  t.same(report.coverage.byRequirement['IRP-LOGIN-2'], ['irp.login.wrong-password'], 'coverage lists the covering case ids');
  t.ok(report.coverage.byRequirement['E2ED-HS-30']!.includes('knob.finished.corruptValue'));
  t.notOk(report.coverage.uncovered.includes('E2ED-HS-30'));
  t.ok(report.coverage.uncovered.includes('E2ED-FRAME-5'), 'a MUST no selected case cites is listed as uncovered');
  t.equal(report.coverage.musts, report.coverage.covered + report.coverage.uncovered.length);
  t.equal(report.seed, 'test-run-a');
  const expired = report.cases.find((c) => c.id === 'cert.expired');
  t.match(expired?.observed, { responder: { alertsSent: ['certificate_expired'], connected: false } });
});

t.test('the same seed gives the same verdicts and the same cases; timings are kept apart', async (t) => {
  const ids = ['knob.record.reuseSequence', 'knob.alert.skipCloseNotify', 'interop.p256.aes-256-gcm.r2i', 'cert.revoked', 'irp.register.only-own-record'];
  const first = await runConformance({ seed: 'test-run-b', caseIds: ids });
  const second = await runConformance({ seed: 'test-run-b', caseIds: ids });
  t.same(second.cases, first.cases);
  t.same(Object.keys(first.timings.cases).sort(), [...ids].sort(), 'every case has its timing outside `cases`');
  for (const c of first.cases) t.notOk('timing' in c || 'durationMs' in c, `${c.id} carries no timing`);
});

t.test('a broken expectation fails with evidence: the conforming side configured not to check', async (t) => {
  const spec = caseById('knob.finished.corruptValue');
  const conversation = conversationOf(spec);
  // The conforming initiator is made blind to a wrong Finished: the case must notice the missing alert.
  conversation.initiator.knobs = ['finished.skipVerification'];
  const broken: CaseSpec = { ...spec, action: { kind: 'conversation', conversation } };
  const report = await runConformance({ seed: 'test-run-c', cases: [broken] });
  const result = report.cases[0]!;
  t.equal(result.verdict, 'fail');
  t.equal(report.summary.failed, 1);
  const evidence = result.evidence!;
  t.ok(evidence, 'a failure carries evidence');
  t.same(evidence.requirements.map((r) => r.id), ['E2ED-HS-30', 'E2ED-ALERT-1']);
  t.match(evidence.requirements[0]!.text, /Finished/, 'the requirement text is quoted');
  t.match(evidence.expected, /decrypt_error/, 'the accepted outcome is said');
  t.ok(evidence.mismatches.some((m) => m.startsWith('initiator alert sent')), 'what happened instead is said');
  t.match(evidence.observed, { initiator: { alertsSent: [], connected: true } });
  t.ok(evidence.events!.initiator.some((e) => e.startsWith('connected ')), 'events of the initiator');
  t.ok(evidence.events!.responder.length > 0, 'events of the responder');
});

t.test('every knob case that tells its knob apart fails when the knob is taken away', async (t) => {
  const stripped = catalogue
    .filter((c) => c.suite === 'knobs' && c.form !== 'tolerate')
    .map((c): CaseSpec => {
      const conversation = conversationOf(c);
      const knob = c.id.slice('knob.'.length);
      for (const side of ['initiator', 'responder'] as const) {
        const knobs = conversation[side].knobs;
        if (knobs) conversation[side].knobs = knobs.filter((k) => k !== knob);
      }
      return { ...c, action: { kind: 'conversation', conversation } };
    });
  t.ok(stripped.length >= 30, `${stripped.length} discriminating knob cases`);
  const report = await runConformance({ seed: 'test-run-d', cases: stripped });
  for (const c of report.cases) t.equal(c.verdict, 'fail', `${c.id} without its knob`);
  t.same(report.summary.knobs, { detected: 0, total: stripped.length, tolerated: 0, tolerateTotal: 0 });
});

t.test('the Ping cases: each side pings and gets its Pong', async (t) => {
  const report = await runConformance({ seed: 'test-run-e', caseIds: ['interop.ping.i2r', 'interop.ping.r2i'] });
  for (const c of report.cases) t.equal(c.verdict, 'pass', `${c.id}${c.reason ? `: ${c.reason}` : ''}`);
  t.match(report.cases[0]!.observed, { initiator: { pongs: 1 }, responder: { pongs: 1 } });
});
