// `sixbench report merge REPORT... [--out DIR] [--report FORMATS]`: joins shard reports (docs/run.md
// "Shards"). Exit status 0 merged, 2 bad usage or shards that do not make one run.
import type { Command } from 'commander';
import { createRunFolder, parseReportFormats, writeRunOutputs } from '../run/outputs.js';
import { formatSummary } from '../run/report.js';
import { MergeError, mergeReports, readReportFile } from '../run/merge.js';
import { UsageError } from './run-main.js';

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('work with run reports');
  report
    .command('merge')
    .description('join the JSON reports of the shards of one run (--shard I/N) into one report')
    .argument('<REPORT...>', 'report.json of each shard')
    .option('--out <DIR>', 'directory of the merged run folder', 'reports')
    .option('--report <FORMATS>', 'formats besides JSON: json, junit, tap, html, md', 'json')
    .action(async (files: string[], opts: { out: string; report: string }) => {
      const { formats, unknown } = parseReportFormats(opts.report);
      if (unknown.length > 0) throw new UsageError(`--report: unknown format ${unknown.map((u) => `"${u}"`).join(', ')}; the formats are json, junit, tap, html, md.`);
      let merged;
      try {
        merged = await mergeReports(await Promise.all(files.map(async (file) => ({ file, report: await readReportFile(file) }))));
      } catch (err) {
        if (err instanceof MergeError) throw new UsageError(err.message);
        throw err;
      }
      const runDir = await createRunFolder(opts.out, `${merged.seed}`, new Date());
      const written = await writeRunOutputs(opts.out, runDir, merged, formats);
      process.stdout.write(formatSummary(merged, { color: process.stdout.isTTY === true, reportFile: written.json! }));
      process.exitCode = merged.summary.failed > 0 ? 1 : 0;
    });
}
