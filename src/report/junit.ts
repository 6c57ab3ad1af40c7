// JUnit XML, the dialect GitHub Actions (test reporters), GitLab (`artifacts:reports:junit`) and
// Jenkins (JUnit plug-in) read: <testsuites> with one <testsuite> per suite and one <testcase>
// per case; a failure's message is its requirement ids and first mismatch, its body the whole
// evidence; a skip carries its reason; links to the case's capture go to <system-out>.
import { escapeXml as x } from './xml-text.js';
import { failureHeadline, seconds, type ReportCase, type ReportData } from './types.js';

function failureBody(c: ReportCase): string {
  const lines: string[] = [];
  if (c.evidence) {
    for (const r of c.evidence.requirements) lines.push(`${r.id}: ${r.text}`);
    lines.push(`accepted: ${c.evidence.expected}`);
    for (const m of c.evidence.mismatches) lines.push(`happened: ${m}`);
  } else if (c.reason) lines.push(c.reason);
  return lines.join('\n');
}

function links(c: ReportCase): string | undefined {
  const parts: string[] = [];
  if (c.seeds) parts.push(`seeds: ${Object.entries(c.seeds).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const p of c.captures?.pcaps ?? []) parts.push(`capture (${p.leg} leg): ${p.path}`);
  if (c.captures?.keylog) parts.push(`key log: ${c.captures.keylog}`);
  if (c.captures?.tlsKeylog) parts.push(`TLS key log: ${c.captures.tlsKeylog}`);
  if (c.captures?.none) parts.push(`no capture: ${c.captures.none}`);
  if (c.captures?.inspect) parts.push(`pcap inspect: ${c.captures.inspect}`);
  return parts.length > 0 ? parts.join('\n') : undefined;
}

export function formatJunit(report: ReportData): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suites = [...new Set(report.cases.map((c) => c.suite))];
  // `error` (the bench could not judge the case: the IUT never started, say) is JUnit's <error>;
  // any other verdict that is neither pass nor skip is a <failure>.
  const failed = (c: ReportCase): boolean => c.verdict !== 'pass' && c.verdict !== 'skip' && c.verdict !== 'error';
  const errored = (c: ReportCase): boolean => c.verdict === 'error';
  out.push(
    `<testsuites name="sixbench" tests="${report.cases.length}" failures="${report.cases.filter(failed).length}" errors="${report.cases.filter(errored).length}" skipped="${report.cases.filter((c) => c.verdict === 'skip').length}" time="${seconds(report.timings.totalMs)}">`,
  );
  for (const suite of suites) {
    const cases = report.cases.filter((c) => c.suite === suite);
    const time = cases.reduce((s, c) => s + (report.timings.cases[c.id] ?? 0), 0);
    out.push(
      `  <testsuite name="${x(suite)}" tests="${cases.length}" failures="${cases.filter(failed).length}" errors="${cases.filter(errored).length}" skipped="${cases.filter((c) => c.verdict === 'skip').length}" time="${seconds(time)}" timestamp="${x(report.started.replace(/\.\d+Z$/, ''))}">`,
    );
    out.push('    <properties>');
    out.push(`      <property name="seed" value="${x(report.seed)}"/>`);
    if (report.provenance) {
      out.push(`      <property name="sixbench.version" value="${x(report.provenance.bench.version)}"/>`);
      out.push(`      <property name="sixbench.commit" value="${x(report.provenance.bench.commit ?? 'unknown')}"/>`);
      out.push(`      <property name="spec.version" value="${x(report.provenance.spec.version)}"/>`);
    }
    if (report.iut) out.push(`      <property name="iut" value="${x(`${report.iut.name}${report.iut.version ? ` ${report.iut.version}` : ''}`)}"/>`);
    out.push('    </properties>');
    for (const c of cases) {
      const head = `    <testcase classname="sixbench.${x(suite)}" name="${x(c.id)}" time="${seconds(report.timings.cases[c.id])}"`;
      const body: string[] = [];
      if (c.verdict === 'skip') body.push(`      <skipped message="${x(c.reason ?? 'skipped')}"/>`);
      else if (errored(c)) body.push(`      <error message="${x(failureHeadline(c))}" type="error">${x(failureBody(c))}</error>`);
      else if (failed(c)) body.push(`      <failure message="${x(failureHeadline(c))}" type="${x(c.requirements.join(' '))}">${x(failureBody(c))}</failure>`);
      const l = links(c);
      if (l) body.push(`      <system-out>${x(l)}</system-out>`);
      out.push(body.length === 0 ? `${head}/>` : `${head}>`, ...body, ...(body.length === 0 ? [] : ['    </testcase>']));
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
