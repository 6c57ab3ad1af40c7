// A Markdown summary for CI job summaries (GitHub's $GITHUB_STEP_SUMMARY, GitLab's report pages):
// the counts per suite, MUST coverage, and each failure with its requirement ids, first mismatch
// and the files to open. Short on purpose: the HTML and JSON reports carry the rest.
import { failureHeadline, type ReportData } from './types.js';

/** Table cells may not hold a bare `|` or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

export function formatMarkdown(report: ReportData): string {
  const s = report.summary;
  const out: string[] = [];
  const icon = s.failed > 0 ? '❌' : '✅';
  out.push(`## ${icon} sixbench: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`, '');
  const p = report.provenance;
  const meta = [`seed ${code(report.seed)}`];
  if (p) meta.push(`sixbench ${p.bench.version}${p.bench.commit ? ` (${p.bench.commit.slice(0, 12)})` : ''}`, `spec ${p.spec.version}`, `Node ${p.node}`, `OpenSSL ${p.openssl}`);
  if (report.iut) meta.push(`IUT ${report.iut.name}${report.iut.version ? ` ${report.iut.version}` : ''}`);
  if (report.shard) meta.push(`shard ${report.shard.index}/${report.shard.count}`);
  out.push(meta.join(' · '), '');
  out.push('| suite | passed | failed | skipped |', '|---|---:|---:|---:|');
  for (const [name, v] of Object.entries(report.summary.suites)) {
    if (!v) continue;
    const other = Object.entries(v).filter(([k]) => !['pass', 'fail', 'skip'].includes(k)).reduce((n, [, c]) => n + c, 0);
    out.push(`| ${cell(name)} | ${v.pass ?? 0} | ${(v.fail ?? 0) + other} | ${v.skip ?? 0} |`);
  }
  out.push('', `MUST coverage: ${report.coverage.covered} / ${report.coverage.musts} requirements cited by a case of this run.`);
  if (report.summary.suites.knobs) out.push(`Knob detection: ${s.knobs.detected} / ${s.knobs.total}.`);
  const failures = report.cases.filter((c) => c.verdict !== 'pass' && c.verdict !== 'skip');
  if (failures.length > 0) {
    out.push('', '### Failures', '', '| case | requirement and first mismatch | files |', '|---|---|---|');
    for (const c of failures) {
      const files = [...(c.captures?.pcaps.map((f) => code(f.path)) ?? []), ...(c.captures?.keylog ? [code(c.captures.keylog)] : []), ...(c.captures?.tlsKeylog ? [code(c.captures.tlsKeylog)] : []), ...(c.captures?.none ? [cell(`no capture: ${c.captures.none}`)] : [])].join('<br>');
      out.push(`| ${code(c.id)} | ${cell(failureHeadline(c))} | ${files || '—'} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
