// `sixbench report merge`: joins the reports of the N shards of one run (--shard I/N) into the
// report the unsharded run would have written: cases in catalogue order, summary and coverage
// recomputed from the spec, timings joined. It refuses shards of different runs (seed, format,
// bench commit), a missing or repeated shard, and a case reported twice.
import { readFile } from 'node:fs/promises';
import { loadRequirements } from '../spec/requirements.js';
import { loadCatalogue, SUITES_DIR } from './catalogue.js';
import { buildReport, REPORT_FORMAT, type RunReport } from './report.js';
import { SPEC_PATH } from './runner.js';

export class MergeError extends Error {
  override name = 'MergeError';
}

export async function readReportFile(file: string): Promise<RunReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MergeError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let report: RunReport;
  try {
    report = JSON.parse(text) as RunReport;
  } catch {
    throw new MergeError(`${file} is not JSON (truncated?)`);
  }
  if (report?.format !== REPORT_FORMAT || !Array.isArray(report.cases)) throw new MergeError(`${file} is not a sixbench run report (format ${REPORT_FORMAT})`);
  return report;
}

export async function mergeReports(reports: readonly { file: string; report: RunReport }[], opts: { specPath?: string; suitesDir?: string } = {}): Promise<RunReport> {
  if (reports.length === 0) throw new MergeError('no report to merge');
  const first = reports[0]!.report;
  const count = first.shard?.count ?? 1;
  const indices = new Set<number>();
  for (const { file, report } of reports) {
    if (report.seed !== first.seed) throw new MergeError(`${file} is of seed ${report.seed}, ${reports[0]!.file} of seed ${first.seed}`);
    if ((report.provenance?.bench.commit ?? null) !== (first.provenance?.bench.commit ?? null)) throw new MergeError(`${file} was written by another commit of the bench`);
    if (!report.shard) throw new MergeError(`${file} is not the report of a shard (no --shard)`);
    if (report.shard.count !== count) throw new MergeError(`${file} is shard ${report.shard.index}/${report.shard.count}, not one of ${count}`);
    if (indices.has(report.shard.index)) throw new MergeError(`shard ${report.shard.index}/${count} is given twice`);
    indices.add(report.shard.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !indices.has(i));
  if (missing.length > 0) throw new MergeError(`shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);
  const byId = new Map<string, RunReport['cases'][number]>();
  const durations: Record<string, number> = {};
  for (const { file, report } of reports) {
    for (const c of report.cases) {
      if (byId.has(c.id)) throw new MergeError(`case ${c.id} is in two shards (again in ${file})`);
      byId.set(c.id, c);
      const d = report.timings.cases[c.id];
      if (d !== undefined) durations[c.id] = d;
    }
  }
  const order = loadCatalogue(opts.suitesDir ?? SUITES_DIR).map((c) => c.id);
  const position = new Map(order.map((id, i) => [id, i]));
  const cases = [...byId.values()].sort((a, b) => (position.get(a.id) ?? Infinity) - (position.get(b.id) ?? Infinity));
  const requirements = loadRequirements(await readFile(opts.specPath ?? SPEC_PATH, 'utf8'));
  const started = reports.map((r) => r.report.started).sort()[0]!;
  const merged = buildReport({
    seed: first.seed,
    started: new Date(started),
    requirements,
    cases,
    timings: {
      totalMs: Math.max(...reports.map((r) => r.report.timings.totalMs)),
      setupMs: Math.max(...reports.map((r) => r.report.timings.setupMs)),
      cases: durations,
    },
  });
  if (first.provenance) merged.provenance = first.provenance;
  if (first.iut) merged.iut = first.iut;
  if (first.captures) merged.captures = first.captures;
  return merged;
}
