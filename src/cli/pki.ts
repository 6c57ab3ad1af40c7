// `sixbench pki ...` commands: the defect catalogue, its PEM export, and (from the validator's
// owner) the x509-limbo runner.
import type { Command } from 'commander';
import { DEFECTS } from '../pki/defects.js';
import { exportCatalogue, ExportRefusedError } from '../pki/export.js';
import { addLimboCommand } from './pki-limbo.js';
import { UsageError } from './run-main.js';

export const DEFAULT_PKI_SEED = 'sixbench';

function formatCatalogue(): string {
  const header = ['id', 'requirement', 'alert', 'openssl', 'title'];
  const rows = DEFECTS.map((d) => [d.id, d.requirement, d.alert, d.opensslChecks ? 'yes' : 'no', d.title]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${DEFECTS.length} defects`].join('\n') + '\n';
}

export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('Test PKI: the certificate defect catalogue, its export, x509-limbo');

  pki
    .command('defects')
    .description('List the certificate defect catalogue: id, violated requirement, expected alert, title')
    .option('--json', 'print the catalogue as JSON')
    .action((options: { json?: boolean }) => {
      if (options.json) {
        const list = DEFECTS.map(({ id, title, requirement, alert, opensslChecks, opensslNote }) => ({
          id,
          requirement,
          alert,
          title,
          opensslChecks,
          ...(opensslNote ? { opensslNote } : {}),
        }));
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      } else {
        process.stdout.write(formatCatalogue());
      }
    });

  pki
    .command('export')
    .description(
      'Write every defect chain and the valid chain as PEM (DIR/<id>/leaf.pem, chain.pem: the intermediates, presented.pem: leaf first, anchors.pem) ' +
        'plus DIR/manifest.json; refuses a non-empty DIR that is not an earlier export',
    )
    .argument('<DIR>', 'output directory (created if absent)')
    .option('--seed <seed>', 'seed the PKI is derived from', DEFAULT_PKI_SEED)
    .option('--domain <domain>', 'the test users\' domain', 'example.com')
    .action((dir: string, options: { seed: string; domain: string }) => {
      try {
        const manifest = exportCatalogue(dir, { seed: options.seed, domain: options.domain });
        process.stdout.write(`wrote the valid chain and ${manifest.defects.length} defects to ${dir} (seed ${JSON.stringify(options.seed)})\n`);
      } catch (err) {
        if (err instanceof ExportRefusedError) throw new UsageError(err.message);
        throw err;
      }
    });

  addLimboCommand(pki);
}
