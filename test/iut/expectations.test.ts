// --expectations (issue 8 §3): globs with reasons; an expected failure does not fail the run, an
// unexpected pass does, an entry matching no case refuses to start. Against the in-process
// reference through the door, with a knob that makes one case fail.
import t from 'tap';
import { applyExpectations, checkExpectations, ExpectationsError, globToRegExp, parseExpectations } from '../../src/run/expectations.js';
import { referenceImplementation } from '../../src/iut/reference.js';
import { runConformance } from '../../src/run/runner.js';
import type { CaseResult } from '../../src/run/model.js';

t.test('parsing and globs', async (t) => {
  const e = parseExpectations('# baseline\nknob.finished.*@initiator   we skip Finished checks (bug 12)\n\ncert.expired@responder clock   # trailing comment\n', 'exp.txt');
  t.same(e.map((x) => [x.pattern, x.reason, x.line]), [
    ['knob.finished.*@initiator', 'we skip Finished checks (bug 12)', 2],
    ['cert.expired@responder', 'clock', 4],
  ]);
  t.ok(globToRegExp('knob.*@initiator').test('knob.finished.corruptValue@initiator'));
  t.notOk(globToRegExp('knob.?@initiator').test('knob.ab@initiator'));
  t.notOk(globToRegExp('cert.expired').test('cert.expiredX'), 'anchored');
  t.throws(() => parseExpectations('lonely-id\n', 'exp.txt'), /exp.txt:1: "lonely-id" has no reason/);
  t.throws(() => checkExpectations(e, ['cert.expired@responder'], 'exp.txt'), ExpectationsError);
  t.throws(() => checkExpectations(e, ['cert.expired@responder'], 'exp.txt'), /exp.txt:2: "knob.finished.\*@initiator" matches no case of this run/);
});

t.test('apply: expected failure, unexpected pass, untouched', async (t) => {
  const r = (id: string, verdict: CaseResult['verdict']): CaseResult => ({ id, suite: 'knobs', title: '', requirements: [], verdict });
  const results = [r('a@initiator', 'fail'), r('b@initiator', 'pass'), r('c@initiator', 'error'), r('d@initiator', 'fail')];
  applyExpectations(results, parseExpectations('a@* known\nb@* was broken\nc@* crashes on this\n', 'x'));
  t.equal(results[0]!.expectedFailure, 'known');
  t.equal(results[1]!.unexpectedPass, true);
  t.equal(results[2]!.expectedFailure, 'crashes on this');
  t.equal(results[3]!.expectedFailure, undefined);
});

t.test('a run with a baseline: expected failures apart, unexpected pass counted', async (t) => {
  const iut = referenceImplementation({ knobs: ['finished.skipVerification'] });
  const caseIds = ['knob.finished.corruptValue', 'interop.x25519.aes-256-gcm.i2r'];
  const entries = parseExpectations('knob.finished.corruptValue@initiator skips Finished verification\n', 'exp');
  const report = await runConformance({ seed: 'expectations', caseIds, iut, expectations: { file: 'exp', entries } });
  t.equal(report.summary.failed, 0, 'the expected failure is not counted as failed');
  t.equal(report.summary.expectedFailures, 1);
  t.equal(report.cases.find((c) => c.id === 'knob.finished.corruptValue@initiator')?.verdict, 'fail', 'its verdict stays fail');

  const wrong = parseExpectations('interop.x25519.aes-256-gcm.i2r@responder thought broken\n', 'exp2');
  const again = await runConformance({ seed: 'expectations', caseIds, iut, expectations: { file: 'exp2', entries: wrong } });
  t.equal(again.summary.unexpectedPasses, 1, 'an expected failure that passes is counted');
  t.equal(again.summary.failed, 1, 'and the unexpected real failure too');

  await t.rejects(
    runConformance({ seed: 'expectations', caseIds, iut, expectations: { file: 'exp3', entries: parseExpectations('no.such.case reason\n', 'exp3') } }),
    /exp3:1: "no.such.case" matches no case of this run/,
    'an entry matching no case: the run does not start',
  );
});
