// `sixbench coverage`: MUST coverage by spec area and what is not verified and why (docs/run.md
// "Coverage"), from the catalogue (what a full run would cite) or from a run report.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadCatalogue } from '../run/catalogue.js';
import { formatCoverage, mustCoverage, readUncoveredReasons } from '../run/coverage.js';
import { SPEC_PATH } from '../run/runner.js';
import { loadRequirements } from '../spec/requirements.js';
import { UsageError } from './run-main.js';

export function registerCoverageCommand(program: Command): void {
  program
    .command('coverage')
    .description('print MUST coverage by spec area, and every MUST no case verifies with the reason docs/spec.md Appendix E gives')
    .option('--report <FILE>', 'a run report (reports/run-<seed>.json): count only what that run ran and did not skip')
    .option('--json', 'print the coverage as JSON')
    .action(async (opts: { report?: string; json?: boolean }) => {
      const specText = await readFile(SPEC_PATH, 'utf8');
      const requirements = loadRequirements(specText);
      let cases: { id: string; requirements: string[]; verdict?: string }[];
      if (opts.report) {
        try {
          cases = (JSON.parse(await readFile(opts.report, 'utf8')) as { cases: typeof cases }).cases;
        } catch (err) {
          throw new UsageError(`cannot read the report ${opts.report}: ${(err as Error).message}`, 1);
        }
      } else {
        cases = loadCatalogue().map((c) => ({ id: c.id, requirements: c.requirements, ...(c.disabled !== undefined ? { verdict: 'skip' } : {}) }));
      }
      const coverage = mustCoverage(requirements, cases, readUncoveredReasons(specText));
      process.stdout.write(opts.json ? `${JSON.stringify(coverage, null, 2)}\n` : formatCoverage(coverage));
      process.exitCode = coverage.uncovered.some((u) => u.reason === undefined) ? 1 : 0;
    });
}
