// TAP version 14 (testanything.org/tap-version-14-specification): one test point per case, skips
// as `# SKIP reason`, failures with a YAML diagnostic block (requirement ids, accepted outcomes,
// what happened, capture links). Strings in the YAML are JSON strings, which YAML reads as is.
import { failureHeadline, type ReportCase, type ReportData } from './types.js';

/** A description may not contain `#` unescaped (it would start a directive) nor a line break. */
function description(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/[\r\n]+/g, ' ');
}

function yamlBlock(c: ReportCase, durationMs: number | undefined): string[] {
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['  ---', `  message: ${q(failureHeadline(c))}`, `  suite: ${q(c.suite)}`, `  requirements: [${c.requirements.map(q).join(', ')}]`];
  if (c.evidence) {
    lines.push(`  expected: ${q(c.evidence.expected)}`);
    lines.push('  happened:');
    for (const m of c.evidence.mismatches) lines.push(`    - ${q(m)}`);
  }
  if (durationMs !== undefined) lines.push(`  duration_ms: ${durationMs}`);
  if (c.captures) {
    lines.push('  captures:');
    for (const p of c.captures.pcaps) lines.push(`    - ${q(p.path)}`);
    if (c.captures.keylog) lines.push(`  keylog: ${q(c.captures.keylog)}`);
    if (c.captures.tlsKeylog) lines.push(`  tls_keylog: ${q(c.captures.tlsKeylog)}`);
    if (c.captures.none) lines.push(`  no_capture: ${q(c.captures.none)}`);
  }
  lines.push('  ...');
  return lines;
}

export function formatTap(report: ReportData): string {
  const lines = ['TAP version 14', `1..${report.cases.length}`];
  report.cases.forEach((c, i) => {
    const n = i + 1;
    const desc = `${description(c.id)} - ${description(c.title)}`;
    if (c.verdict === 'pass') lines.push(`ok ${n} - ${desc}`);
    else if (c.verdict === 'skip') lines.push(`ok ${n} - ${desc} # SKIP ${description(c.reason ?? '')}`);
    else lines.push(`not ok ${n} - ${desc}`, ...yamlBlock(c, report.timings.cases[c.id]));
  });
  const s = report.summary;
  lines.push(`# ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped (seed ${report.seed})`);
  return `${lines.join('\n')}\n`;
}
