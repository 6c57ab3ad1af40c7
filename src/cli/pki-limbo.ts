// `sixbench pki limbo FILE`: runs an x509-limbo file through the client-certificate validator and
// prints agreed / disagreed / skipped counts, the agreement over non-skipped cases, every skipped id
// with its reason and every disagreement. Exit 0 when it ran (even with disagreements); a missing or
// invalid file is a UsageError (one clear sentence, non-zero exit).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LimboFormatError, asLimboFile, runLimbo, type LimboReport } from '../pki/limbo.js';
import { UsageError } from './run-main.js';

function readLimboFile(file: string): ReturnType<typeof asLimboFile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `limbo file not found: ${file}` : `cannot read limbo file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`limbo file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return asLimboFile(doc);
  } catch (err) {
    if (err instanceof LimboFormatError) throw new UsageError(`limbo file ${file} is not in limbo format: ${err.message}`);
    throw err;
  }
}

export function formatLimboReport(report: LimboReport, verbose: boolean): string {
  const lines: string[] = [];
  const skipped = report.outcomes.filter((o) => o.skipped !== undefined);
  const disagreements = report.outcomes.filter((o) => o.skipped === undefined && o.got !== o.expected);
  if (verbose) {
    for (const o of report.outcomes) {
      if (o.skipped !== undefined) continue;
      const mark = o.got === o.expected ? 'agree   ' : 'DISAGREE';
      lines.push(`${mark} ${o.id}: expected ${o.expected}, got ${o.got}${o.reason ? ` (${o.reason}: ${o.detail})` : ''}`);
    }
    lines.push('');
  }
  if (skipped.length > 0) {
    lines.push(`Skipped (${skipped.length}):`);
    for (const o of skipped) lines.push(`  ${o.id}: ${o.skipped}`);
    lines.push('');
  }
  if (disagreements.length > 0) {
    lines.push(`Disagreements (${disagreements.length}):`);
    for (const o of disagreements) {
      lines.push(`  ${o.id}: expected ${o.expected}, got ${o.got}${o.reason ? `, reason ${o.reason} (${o.detail})` : ''}`);
    }
    lines.push('');
  }
  const ran = report.agreed + report.disagreed;
  lines.push(
    `${report.total} cases: ${report.agreed} agreed, ${report.disagreed} disagreed, ${report.skipped} skipped; ` +
      `agreement ${report.agreementPercent.toFixed(1)}% over ${ran} non-skipped cases`,
  );
  return lines.join('\n') + '\n';
}

export function addLimboCommand(pki: Command): void {
  pki
    .command('limbo')
    .description(
      'Run an x509-limbo test file through the client-certificate path validator: SERVER cases with purpose ' +
        'serverAuth (profile rfc5280, no hostname check), CLIENT cases with clientAuth and the rfc822 peer names. ' +
        'Cases needing unimplemented features are skipped and listed.',
    )
    .argument('<FILE>', 'limbo-format JSON file ({"version", "testcases": [...]})')
    .option('--json', 'print the full report as JSON')
    .option('--verbose', 'print every case with its verdict and reason')
    .action((file: string, options: { json?: boolean; verbose?: boolean }) => {
      const report = runLimbo(readLimboFile(file));
      if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else process.stdout.write(formatLimboReport(report, options.verbose === true));
    });
}
