// Writes the defect catalogue (and the valid chain) as PEM files other tools can be pointed at:
// DIR/<id>/leaf.pem, chain.pem (the rest of the presented chain, if any: intermediates only, for
// `openssl verify -untrusted`), presented.pem (the whole chain as a Hello presents it, leaf
// first), anchors.pem, plus
// DIR/manifest.json describing every case. Files are written atomically (temporary name, then
// rename) and a directory that holds anything but an earlier sixbench export is never touched.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AlertName } from '../protocol/alerts.js';
import { createTestPki, type TestPki } from './ca.js';
import { toPem } from './cert-builder.js';
import { buildValidCase, caseTime, DEFECTS, VALID_CASE_ID, type DefectCase } from './defects.js';

export const MANIFEST_NAME = 'manifest.json';
export const EXPORT_GENERATOR = 'sixbench pki export';

export interface ManifestCase {
  id: string;
  title: string;
  /** null for the valid chain. */
  requirement: string | null;
  alert: AlertName | null;
  /** Paths relative to the export directory; chain is null when the leaf is presented alone. */
  /** chain: the presented chain after the leaf (null when the leaf is presented alone); presented: leaf first, as in a Hello. */
  files: { leaf: string; chain: string | null; presented: string; anchors: string };
  opensslChecks: boolean;
  opensslNote?: string;
  expectedUserId: string | null;
  /** Validation time, RFC 3339, and the same as Unix seconds (for openssl verify -attime). */
  time: string;
  attime: number;
  requireKeyEncipherment: boolean;
  revokedSerials: string[];
}

export interface Manifest {
  generator: typeof EXPORT_GENERATOR;
  version: 1;
  seed: string;
  domain: string;
  referenceTime: string;
  valid: ManifestCase;
  defects: ManifestCase[];
}

export class ExportRefusedError extends Error {
  override readonly name = 'ExportRefusedError';
}

function isSixbenchExport(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_NAME), 'utf8')) as { generator?: unknown };
    return manifest.generator === EXPORT_GENERATOR;
  } catch {
    return false;
  }
}

/** Refuses a path that is a file, or a non-empty directory that is not an earlier export. */
function checkTarget(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new ExportRefusedError(`${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0 && !isSixbenchExport(dir)) {
    throw new ExportRefusedError(`${dir} is not empty and does not hold a sixbench export (no ${MANIFEST_NAME} from it); refusing to write there`);
  }
}

function writeAtomic(file: string, contents: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

function writeCase(
  root: string,
  id: string,
  c: DefectCase,
  pki: TestPki,
  meta: Pick<ManifestCase, 'title' | 'requirement' | 'alert' | 'opensslChecks' | 'opensslNote'>,
): ManifestCase {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, 'leaf.pem'), toPem(c.chain[0]!));
  const rest = c.chain.slice(1);
  if (rest.length) writeAtomic(path.join(dir, 'chain.pem'), rest.map((d) => toPem(d)).join(''));
  writeAtomic(path.join(dir, 'presented.pem'), c.chain.map((d) => toPem(d)).join(''));
  writeAtomic(path.join(dir, 'anchors.pem'), c.anchors.map((d) => toPem(d)).join(''));
  const time = caseTime(pki, c);
  const entry: ManifestCase = {
    id,
    ...meta,
    files: { leaf: `${id}/leaf.pem`, chain: rest.length ? `${id}/chain.pem` : null, presented: `${id}/presented.pem`, anchors: `${id}/anchors.pem` },
    expectedUserId: c.expectedUserId ?? null,
    time: time.toISOString(),
    attime: Math.floor(time.getTime() / 1000),
    requireKeyEncipherment: c.requireKeyEncipherment ?? false,
    revokedSerials: c.revokedSerials ?? [],
  };
  if (entry.opensslNote === undefined) delete entry.opensslNote;
  return entry;
}

/** Exports the valid chain and every defect of a PKI made from the seed; returns the manifest. */
export function exportCatalogue(dir: string, opts: { seed: string; domain?: string }): Manifest {
  checkTarget(dir);
  mkdirSync(dir, { recursive: true });
  const pki = createTestPki({ seed: opts.seed, domain: opts.domain });
  const valid = writeCase(dir, VALID_CASE_ID, buildValidCase(pki), pki, {
    title: 'valid chain in the E2ED user profile',
    requirement: null,
    alert: null,
    opensslChecks: false,
  });
  const defects = DEFECTS.map((d) =>
    writeCase(dir, d.id, d.build(pki), pki, {
      title: d.title,
      requirement: d.requirement,
      alert: d.alert,
      opensslChecks: d.opensslChecks,
      opensslNote: d.opensslNote,
    }),
  );
  const manifest: Manifest = {
    generator: EXPORT_GENERATOR,
    version: 1,
    seed: opts.seed,
    domain: pki.domain,
    referenceTime: pki.referenceTime.toISOString(),
    valid,
    defects,
  };
  writeAtomic(path.join(dir, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
