// Where a run's files go (docs/run.md "Reports"): a folder of its own per run,
// DIR/<seed>-<UTC time of the start>[-n]/, never reused, holding report.json (always), the formats
// asked for with --report, and captures/; and DIR/run-<seed>.json, the latest report of that seed.
// Every file is written atomically: a reader sees a whole file or none.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatHtml, type HtmlExtras } from '../report/html.js';
import { formatJunit } from '../report/junit.js';
import { formatMarkdown } from '../report/markdown.js';
import { formatTap } from '../report/tap.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { writeReport, type RunReport } from './report.js';

export const REPORT_FORMATS = ['json', 'junit', 'tap', 'html', 'md'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = {
  json: 'report.json',
  junit: 'report.junit.xml',
  tap: 'report.tap',
  html: 'report.html',
  md: 'summary.md',
};

/** Parses `json,junit,...`; JSON is always written. Unknown names are returned for the usage error. */
export function parseReportFormats(text: string): { formats: ReportFormat[]; unknown: string[] } {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !(REPORT_FORMATS as readonly string[]).includes(n));
  const formats = REPORT_FORMATS.filter((f) => f === 'json' || names.includes(f));
  return { formats, unknown };
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Creates the run's own folder; an existing one (two runs in one second) gets the next free suffix. */
export async function createRunFolder(outDir: string, seed: string, started: Date): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const base = `${seed}-${stamp(started)}`;
  for (let n = 1; n < 1000; n++) {
    const dir = path.join(outDir, n === 1 ? base : `${base}-${n}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free run folder for ${base} in ${outDir}`);
}

export function formatReport(format: ReportFormat, report: RunReport, extras: HtmlExtras = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'junit':
      return formatJunit(report);
    case 'tap':
      return formatTap(report);
    case 'html':
      return formatHtml(report, extras);
    case 'md':
      return formatMarkdown(report);
  }
}

/** Writes every asked format into the run folder and the latest-report copy; returns the files written. */
export async function writeRunOutputs(outDir: string, runDir: string, report: RunReport, formats: readonly ReportFormat[]): Promise<Record<string, string>> {
  const written: Record<string, string> = {};
  const inspect: Record<string, string> = {};
  if (formats.includes('html')) {
    for (const c of report.cases) {
      if (c.verdict === 'pass' || !c.captures?.inspect) continue;
      inspect[c.id] = await readFile(path.join(runDir, c.captures.inspect), 'utf8').catch(() => '(the inspect text could not be read)');
    }
  }
  for (const f of formats) {
    const file = path.join(runDir, REPORT_FILES[f]);
    await writeFileAtomic(file, formatReport(f, report, { inspect }));
    written[f] = file;
  }
  written.latest = await writeReport(outDir, report);
  return written;
}
