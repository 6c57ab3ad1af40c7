// The report: counts, knob detection figures, MUST coverage over the cases run, and the summary's
// colours (only when asked) and closing line.
import t from 'tap';
import { buildReport, formatSummary, REPORT_FORMAT } from '../../src/run/report.js';
import type { CaseResult } from '../../src/run/model.js';
import type { Requirement } from '../../src/spec/requirements.js';

function requirement(id: string, level: Requirement['level']): Requirement {
  return { id, level, area: id.replace(/-[0-9]+$/, ''), number: Number(id.split('-').pop()), text: `${id} text`, section: '', line: 1, alerts: [] };
}

const requirements = [requirement('E2ED-HS-1', 'MUST'), requirement('E2ED-HS-2', 'MUST'), requirement('E2ED-HS-3', 'SHOULD')];
const cases: CaseResult[] = [
  { id: 'knob.a', suite: 'knobs', title: 'a', requirements: ['E2ED-HS-1'], form: 'detect', verdict: 'pass' },
  { id: 'knob.b', suite: 'knobs', title: 'b', requirements: ['E2ED-HS-3'], form: 'accept', verdict: 'fail', reason: 'x',
    evidence: { requirements: [{ id: 'E2ED-HS-3', text: 'E2ED-HS-3 text' }], expected: 'the responder sends no alert', mismatches: ['responder alert sent: expected no alert, got decode_error'] } },
  { id: 'knob.c', suite: 'knobs', title: 'c', requirements: ['E2ED-HS-1'], form: 'tolerate', verdict: 'pass' },
  { id: 'interop.p', suite: 'interop', title: 'p', requirements: ['E2ED-HS-1'], verdict: 'skip', reason: 'no ping' },
];
const report = buildReport({ seed: 's', started: new Date(0), requirements, cases, timings: { totalMs: 1, setupMs: 0, cases: {} } });

t.test('counts, knob figures and coverage', async (t) => {
  t.equal(report.format, REPORT_FORMAT);
  t.match(report.summary, { total: 4, passed: 2, failed: 1, skipped: 1 });
  t.same(report.summary.suites.knobs, { pass: 2, fail: 1, skip: 0 });
  t.same(report.summary.knobs, { detected: 1, total: 2, tolerated: 1, tolerateTotal: 1 });
  t.same(report.coverage.byRequirement, { 'E2ED-HS-1': ['knob.a', 'knob.c', 'interop.p'], 'E2ED-HS-2': [] }, 'MUSTs only');
  t.same(report.coverage.uncovered, ['E2ED-HS-2']);
  t.match(report.coverage, { musts: 2, covered: 1 });
});

t.test('the summary: h2spec-style failure, colours only when asked, closing line', async (t) => {
  const plain = formatSummary(report, { color: false });
  t.match(plain, /FAIL knob\.b\n +E2ED-HS-3: E2ED-HS-3 text\n +accepted: the responder sends no alert\n +happened: responder alert sent/);
  t.match(plain, /SKIP interop\.p \(no ping\)/);
  t.notMatch(plain, /\u001b\[/);
  t.match(plain, /\n2 passed, 1 failed, 1 skipped\n$/);
  t.match(formatSummary(report, { color: true }), /\u001b\[31mFAIL/);
});
