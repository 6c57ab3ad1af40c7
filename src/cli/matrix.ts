// `sixbench matrix --iut a.json --iut b.json ...`: the interop matrix (docs/adapter.md). The
// reference UA is included unless --no-reference. Prints the table, writes DIR/matrix-<seed>.json.
// Exit status: 0 when every cell passed or had no verdict for want of events, 1 otherwise, 2 bad usage.
import type { Command } from 'commander';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { referenceImplementation } from '../iut/reference.js';
import { formatMatrix, runMatrix } from '../run/matrix.js';
import type { ImplementationUnderTest } from '../iut/door.js';
import { loadIut } from './run-iut.js';
import { UsageError } from './run-main.js';

interface MatrixOptions {
  iut: string[];
  reference: boolean;
  seed: string;
  out: string;
  concurrency: string;
  timeout: string;
  json?: boolean;
}

export function registerMatrixCommand(program: Command): void {
  program
    .command('matrix')
    .description('the interop matrix: every implementation with every other and itself, each role, every method x AEAD both support')
    .option('--iut <FILE>', 'an implementation under test (repeatable; docs/adapter.md)', (v: string, p: string[]) => [...p, v], [])
    .option('--no-reference', 'leave the reference UA out')
    .option('--seed <S>', 'seed of the run', 'sixbench-matrix')
    .option('--out <DIR>', 'directory of matrix-<seed>.json', 'reports')
    .option('--concurrency <N>', 'cells run at the same time', '2')
    .option('--timeout <MS>', 'time limit of one cell', '10000')
    .option('--json', 'print the JSON instead of the table')
    .action(async (o: MatrixOptions) => {
      const impls: ImplementationUnderTest[] = [];
      if (o.reference) impls.push(referenceImplementation());
      for (const f of o.iut) impls.push(loadIut(f));
      if (impls.length === 0) throw new UsageError('the matrix needs at least one implementation (--iut FILE, or the reference).', 2);
      const names = new Set<string>();
      for (const i of impls) {
        if (names.has(i.name)) throw new UsageError(`two implementations are named "${i.name}": names must differ in a matrix.`, 2);
        names.add(i.name);
      }
      const concurrency = Number(o.concurrency);
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer, got "${o.concurrency}".`, 2);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout must be a positive integer, got "${o.timeout}".`, 2);
      const report = await runMatrix({ implementations: impls, seed: o.seed, concurrency, timeoutMs });
      const file = path.join(o.out, `matrix-${o.seed}.json`);
      await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatMatrix(report)}\nmatrix: ${file}\n`);
      process.exitCode = report.cells.some((c) => c.verdict === 'fail' || c.verdict === 'error') ? 1 : 0;
    });
}
