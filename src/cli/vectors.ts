// `sixbench vectors check` and `sixbench vectors generate`.
import type { Command } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAll, DEFAULT_VECTOR_SEED, writeAll } from '../vectors/all.js';
import { UsageError } from './run-main.js';

/** vectors/ of this installation (dist/cli/ -> ../../vectors). */
export function defaultVectorDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors');
}

export function registerVectorsCommands(program: Command): void {
  const vectors = program.command('vectors').description('test vectors: check them against the code, or generate them');

  vectors
    .command('check')
    .description('recompute every vector from the code; name each one that differs and exit non-zero')
    .option('--dir <dir>', 'folder holding the vector files', defaultVectorDir())
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const report = await checkAll(path.resolve(opts.dir));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        for (const f of report.files) process.stdout.write(`${f.file}: ${f.checked} vectors, ${f.mismatches} differ\n`);
        for (const m of report.mismatches) {
          const where = m.tcId === null ? m.file : `${m.file} tcId ${m.tcId}${m.comment ? ` (${m.comment})` : ''}`;
          process.stdout.write(`DIFFERS ${where}: ${m.detail}\n`);
        }
        process.stdout.write(`checked ${report.checked} vectors in ${report.files.length} files: ${report.mismatches.length === 0 ? 'all agree with the code' : `${report.mismatches.length} differ`}\n`);
      }
      if (report.mismatches.length > 0) process.exitCode = 1;
    });

  vectors
    .command('generate')
    .description('write every vector file and its JSON Schema deterministically from a seed')
    .option('--seed <seed>', 'seed of all randomness in the vectors', DEFAULT_VECTOR_SEED)
    .option('--out <dir>', 'output folder', defaultVectorDir())
    .action(async (opts: { seed: string; out: string }) => {
      if (opts.seed.length === 0) throw new UsageError('--seed must not be empty');
      const written = await writeAll(path.resolve(opts.out), opts.seed);
      process.stdout.write(`wrote ${written.length} files to ${path.resolve(opts.out)} from seed "${opts.seed}"\n`);
    });
}
