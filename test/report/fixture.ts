// A small run with every verdict, written in every format: two passing cases, a knob case broken
// on purpose (the conforming side told not to check, so the case fails with evidence and keeps its
// capture), and a disabled case (skip with its reason).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadCatalogue } from '../../src/run/catalogue.js';
import type { CaseSpec } from '../../src/run/model.js';
import { createRunFolder, REPORT_FORMATS, writeRunOutputs } from '../../src/run/outputs.js';
import type { RunReport } from '../../src/run/report.js';
import { runConformance } from '../../src/run/runner.js';

export interface Fixture {
  out: string;
  runDir: string;
  report: RunReport;
  files: Record<string, string>;
  brokenId: string;
}

export async function mixedRun(seed: string): Promise<Fixture> {
  const catalogue = loadCatalogue();
  const byId = (id: string): CaseSpec => structuredClone(catalogue.find((c) => c.id === id)!);
  const broken = byId('knob.finished.corruptValue');
  if (broken.action.kind !== 'conversation') throw new Error('not a conversation');
  broken.action.conversation.initiator.knobs = ['finished.skipVerification'];
  const disabled: CaseSpec = { ...byId('interop.ping.i2r'), disabled: 'disabled in this test: <no reason> & "quotes"' };
  const cases = [byId('interop.x25519.aes-256-gcm.i2r'), broken, disabled, byId('vectors.expand-label')];
  const out = await mkdtemp(path.join(os.tmpdir(), 'sixbench-report-'));
  const runDir = await createRunFolder(out, seed, new Date());
  const report = await runConformance({ seed, cases, captures: 'failed', runDir });
  const files = await writeRunOutputs(out, runDir, report, REPORT_FORMATS);
  return { out, runDir, report, files, brokenId: broken.id };
}
