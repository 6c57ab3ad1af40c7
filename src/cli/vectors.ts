// `sixbench vectors check` and `sixbench vectors generate`.
import type { Command } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { checkAll, checkSpecAppendix, checkSpecOutcomes, DEFAULT_VECTOR_SEED, writeAll, writeSpecAppendix } from '../vectors/all.js';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';
import { regenerateRequirementIndex, staleRequirementIndex } from '../run/requirement-index.js';
import { prepareOutputDir, requireInputDir } from './paths.js';
import { UsageError } from './run-main.js';
import { parseSeed } from './values.js';

const installRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** vectors/ of this installation (dist/cli/ -> ../../vectors). */
export function defaultVectorDir(): string {
  return path.join(installRoot, 'vectors');
}

/** docs/spec.md of this installation, whose Appendix A is generated from vectors/handshake.json. */
export function defaultSpecPath(): string {
  return path.join(installRoot, 'docs', 'spec.md');
}

export function registerVectorsCommands(program: Command): void {
  const vectors = program.command('vectors').description('test vectors: check them against the code, or generate them');

  vectors
    .command('check')
    .description('recompute every vector from the code; name each one that differs and exit non-zero')
    .option('--dir <dir>', 'folder holding the vector files', defaultVectorDir())
    .option('--spec <file>', 'specification whose Appendix A must match handshake.json and whose Appendix D every vector must agree with (skipped when absent)', defaultSpecPath())
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dir: string; spec: string; json?: boolean }) => {
      const dir = await requireInputDir(opts.dir, 'the vector folder');
      const report = await checkAll(dir);
      if (existsSync(opts.spec)) {
        const appendix = await checkSpecAppendix(path.resolve(opts.spec), dir);
        if (appendix) report.mismatches.push({ file: 'handshake.json', tcId: null, comment: '', detail: appendix });
        report.mismatches.push(...await checkSpecOutcomes(path.resolve(opts.spec), dir));
        const index = staleRequirementIndex(await readFile(path.resolve(opts.spec), 'utf8'));
        if (index) report.mismatches.push({ file: opts.spec, tcId: null, comment: '', detail: index });
      }
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
    .option('--seed <seed>', 'seed of all randomness in the vectors (1 to 64 letters, digits, ".", "_", "-")', parseSeed, DEFAULT_VECTOR_SEED)
    .option('--out <dir>', 'output folder', defaultVectorDir())
    .option('--spec <file>', 'specification whose Appendix A (from the new handshake.json) and Appendix C (requirement index, from the spec and suites/*.json) are rewritten', defaultSpecPath())
    .option('--no-spec', 'leave the specification alone')
    .action(async (opts: { seed: string; out: string; spec: string | false }) => {
      if (opts.seed.length === 0) throw new UsageError('--seed must not be empty');
      const out = await prepareOutputDir(opts.out, 'the vector folder');
      const written = await writeAll(out, opts.seed);
      process.stdout.write(`wrote ${written.length} files to ${out} from seed "${opts.seed}"\n`);
      if (opts.spec && existsSync(opts.spec)) {
        const changed = await writeSpecAppendix(path.resolve(opts.spec), out);
        process.stdout.write(`${opts.spec}: Appendix A ${changed ? 'rewritten' : 'already up to date'}\n`);
        // Appendix C: the requirement index, from the spec and suites/*.json (after Appendix A, so
        // that it reads the spec as written).
        const spec = await readFile(path.resolve(opts.spec), 'utf8');
        const indexed = regenerateRequirementIndex(spec);
        if (indexed !== spec) await writeFileAtomic(path.resolve(opts.spec), indexed);
        process.stdout.write(`${opts.spec}: Appendix C ${indexed !== spec ? 'rewritten' : 'already up to date'}\n`);
      }
    });
}
