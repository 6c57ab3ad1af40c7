// Every report format of a run, read by a real consumer: the JSON by a JSON Schema validator
// (python3-jsonschema, Draft 2020-12) against docs/run-report.schema.json, the JUnit XML by
// fast-xml-parser, the TAP by tap-parser (the parser of node-tap); the Markdown checked for its
// table and failure lines. Each consumer is also shown to reject a broken document.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Parser as TapParser } from 'tap-parser';
import { mixedRun } from './fixture.js';

const run = promisify(execFile);
const SCHEMA = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'run-report.schema.json');
const fx = await mixedRun('report-formats');
const python = await validatorPython();
t.teardown(() => rm(fx.out, { recursive: true, force: true }));
// Every await comes before the first subtest: tap ends a file's root test once it has no subtest pending.

t.test('the run has every verdict and keeps the failed case\'s capture only', async (t) => {
  t.same(fx.report.cases.map((c) => c.verdict), ['pass', 'fail', 'skip', 'pass']);
  t.ok(fx.report.cases[1]!.captures?.pcaps.length === 2);
  t.notOk(fx.report.cases[0]!.captures, 'passing cases keep no capture with --captures failed');
  t.match(fx.report.provenance, { bench: { name: 'sixbench' }, node: process.version, openssl: process.versions.openssl });
  t.match(fx.report.provenance!.spec.version, /^1\.0/);
  t.same(fx.report.cases[0]!.seeds, { initiator: 'report-formats/interop.x25519.aes-256-gcm.i2r/initiator', responder: 'report-formats/interop.x25519.aes-256-gcm.i2r/responder' });
});

/** A python3 that has jsonschema: Debian's (python3-jsonschema, installed by .ci/run) or another. */
async function validatorPython(): Promise<string | undefined> {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      await run(py, ['-c', 'import jsonschema']);
      return py;
    } catch {
      // next
    }
  }
  return undefined;
}

const VALIDATE = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
bad = 0
for f in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(f))):
        bad += 1
        print(f, "/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if bad else 0)
`;

t.test('JSON: every report written validates against the published schema', { skip: python ? false : 'no python3 with jsonschema (.ci/run installs python3-jsonschema)' }, async (t) => {
  const files = [fx.files.json!, fx.files.latest!];
  const ok = await run(python!, ['-c', VALIDATE, SCHEMA, ...files]).then(() => '', (err: { stdout: string }) => err.stdout);
  t.equal(ok, '', 'no schema error');
  // The validator is not a rubber stamp: a report missing a field, or with a bad verdict, fails.
  const report = JSON.parse(await readFile(fx.files.json!, 'utf8'));
  delete report.seed;
  report.cases[0].verdict = 'maybe';
  const bad = path.join(fx.out, 'bad.json');
  await writeFile(bad, JSON.stringify(report));
  const errors = await run(python!, ['-c', VALIDATE, SCHEMA, bad]).then(() => '', (err: { stdout: string }) => err.stdout);
  t.match(errors, /'seed' is a required property/);
  t.match(errors, /cases\/0\/verdict/);
  // The capture links of every kind of case (docs/run.md "Captures"): an adversary's leg, IRP's leg
  // with its TLS key log, a case saying it opened no connection; a leg of another name is refused.
  const legs = JSON.parse(await readFile(fx.files.json!, 'utf8'));
  legs.cases[0].captures = { pcaps: [{ leg: 'adversary', path: 'captures/a.adversary.pcap', connections: 1 }, { leg: 'irp', path: 'captures/a.irp.pcap', connections: 2 }], keylog: 'captures/a.keylog', tlsKeylog: 'captures/a.tls.keylog' };
  legs.cases[1].captures = { pcaps: [], none: 'the case opens no connection: it checks test vector files' };
  const good = path.join(fx.out, 'legs.json');
  await writeFile(good, JSON.stringify(legs));
  t.equal(await run(python!, ['-c', VALIDATE, SCHEMA, good]).then(() => '', (err: { stdout: string }) => err.stdout), '', 'adversary and irp legs, a TLS key log and "none" validate');
  legs.cases[0].captures.pcaps[0].leg = 'relay';
  await writeFile(good, JSON.stringify(legs));
  t.match(await run(python!, ['-c', VALIDATE, SCHEMA, good]).then(() => '', (err: { stdout: string }) => err.stdout), /cases\/0\/captures\/pcaps\/0\/leg/, 'a leg of another name is refused');
});

t.test('JUnit XML: one testsuite per suite, failure message with requirement ids and first mismatch, skip with reason', async (t) => {
  const xml = await readFile(fx.files.junit!, 'utf8');
  t.equal(XMLValidator.validate(xml), true, 'well-formed XML (fast-xml-parser)');
  // fast-xml-parser forgives a bare "&"; Jenkins' and GitLab's parsers do not: expat, strict, too.
  const expat = await run('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])', fx.files.junit!]).then(() => '', (err: { stderr: string }) => err.stderr);
  t.equal(expat, '', 'well-formed XML (expat)');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
  const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; skipped: string; testcase: Record<string, unknown>[] }[];
  t.same(suites.map((s) => s.name), ['interop', 'knobs', 'vectors']);
  t.equal(doc.testsuites.tests, '4');
  t.equal(doc.testsuites.failures, '1');
  t.equal(doc.testsuites.skipped, '1');
  const knobs = suites.find((s) => s.name === 'knobs')!;
  const failure = knobs.testcase[0]!.failure as { message: string; type: string; '#text': string };
  t.equal(knobs.testcase[0]!.name, fx.brokenId);
  const broken = fx.report.cases.find((c) => c.id === fx.brokenId)!;
  t.equal(failure.message, `E2ED-HS-30, E2ED-ALERT-1: ${broken.evidence!.mismatches[0]}`);
  t.match(failure['#text'], /accepted: .*decrypt_error/);
  t.match(knobs.testcase[0]!['system-out'], /captures\/knob\.finished\.corruptValue\.initiator\.pcap/);
  const interop = suites.find((s) => s.name === 'interop')!;
  const skipped = interop.testcase.find((c) => c.name === 'interop.ping.i2r')!.skipped as { message: string };
  t.equal(skipped.message, 'disabled in this test: <no reason> & "quotes"', 'the reason survives escaping');
  t.ok(Number(interop.testcase[0]!.time) >= 0);
  // The parser does reject a broken document.
  t.not(XMLValidator.validate(xml.replace('</testsuites>', '')), true);
});

t.test('TAP version 14: tap-parser reads the plan, the verdicts, the skip and the YAML diagnostics', async (t) => {
  const text = await readFile(fx.files.tap!, 'utf8');
  const results: { ok: boolean; name: string; skip: string | boolean; diag: Record<string, unknown> | null }[] = [];
  const final = await new Promise<{ ok: boolean; count: number; pass: number; fail: number; skip: number; plan: { start: number; end: number } }>((resolve) => {
    const p = new TapParser((r) => resolve(r as never));
    p.on('assert', (a) => results.push(a));
    p.on('version', (v) => t.equal(v, 14));
    p.end(text);
  });
  t.same(final.plan, { start: 1, end: 4, skipAll: false, skipReason: '', comment: '' });
  t.equal(final.count, 4);
  t.equal(final.fail, 1);
  t.equal(final.skip, 1);
  t.equal(final.ok, false);
  const failed = results.find((r) => !r.ok)!;
  t.match(failed.name, fx.brokenId);
  t.same(failed.diag!.requirements, ['E2ED-HS-30', 'E2ED-ALERT-1']);
  t.match(failed.diag!.message, /^E2ED-HS-30, E2ED-ALERT-1: /);
  t.ok(Array.isArray(failed.diag!.captures));
  t.equal(results.find((r) => r.skip)!.skip, 'disabled in this test: <no reason> & "quotes"');
  // A document that lies about its plan is caught by the parser.
  const broken = await new Promise<{ ok: boolean }>((resolve) => {
    const p = new TapParser((r) => resolve(r as never));
    p.end(text.replace('1..4', '1..5'));
  });
  t.equal(broken.ok, false);
});

t.test('Markdown: counts per suite, coverage, each failure with its requirement and files', async (t) => {
  const md = await readFile(fx.files.md!, 'utf8');
  t.match(md, /^## ❌ sixbench: 2 passed, 1 failed, 1 skipped\n/);
  t.match(md, /\| knobs \| 0 \| 1 \| 0 \|/);
  t.match(md, /\| `knob\.finished\.corruptValue` \| E2ED-HS-30, E2ED-ALERT-1: initiator (Connected|alert sent)/);
  t.match(md, /`captures\/knob\.finished\.corruptValue\.keylog`/);
  t.match(md, /MUST coverage: \d+ \/ \d+/);
});

t.test('the run folder is new for each run; the latest report is also DIR/run-<seed>.json', async (t) => {
  t.equal(path.dirname(fx.runDir), fx.out);
  t.match(path.basename(fx.runDir), /^report-formats-\d{8}T\d{6}Z$/);
  t.equal(fx.files.latest, path.join(fx.out, 'run-report-formats.json'));
  t.same(JSON.parse(await readFile(fx.files.latest!, 'utf8')), JSON.parse(await readFile(fx.files.json!, 'utf8')));
});
