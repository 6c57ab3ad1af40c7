// docs/spec.md section 1.2: every requirement is a bullet `- **<ID>** <LEVEL>: ...`, ids are
// unique and well formed, numbered from 1 within each area, and never dangle when cited.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadRequirements,
  SpecFormatError,
  REQUIREMENT_ID_PATTERN,
  REQUIREMENT_LEVELS,
  type Requirement,
} from '../../src/spec/requirements.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const specText = readFileSync(path.join(repoRoot, 'docs/spec.md'), 'utf8');

const AREAS = [
  'E2ED-FRAME', 'E2ED-XML', 'E2ED-HS', 'E2ED-VER', 'E2ED-KS', 'E2ED-REC', 'E2ED-CERT', 'E2ED-ID',
  'E2ED-ALERT', 'E2ED-APP', 'E2ED-LIM', 'E2ED-KEYLOG',
  'IRP-FRAME', 'IRP-TLS', 'IRP-CAP', 'IRP-LOGIN', 'IRP-ENROLL', 'IRP-AUTH', 'IRP-REG', 'IRP-LOOKUP',
  'IRP-CA', 'IRP-REVOKE', 'IRP-STATUS', 'IRP-DISC', 'IRP-CONN', 'IRP-LIM',
];

// The certificate-profile ids are fixed by the project (PKI code and defect catalogue cite them).
const CERT_PROFILE: Array<[number, string, string[]]> = [
  [1, 'MUST', ['bad_certificate']], [2, 'MUST', ['certificate_expired']], [3, 'MUST', ['unknown_ca']],
  [4, 'MUST', ['unknown_ca']], [5, 'MUST', ['bad_certificate']], [6, 'MUST', ['bad_certificate']],
  [7, 'MUST', ['insufficient_security']], [8, 'MUST', ['insufficient_security']],
  [9, 'MUST', ['unsupported_certificate']], [10, 'MUST', ['unsupported_certificate']],
  [11, 'MUST', ['unsupported_certificate']], [12, 'MUST', ['unsupported_certificate']],
  [13, 'MUST', ['bad_certificate']], [14, 'MUST', ['identity_mismatch']], [15, 'MUST', ['bad_certificate']],
  [16, 'MUST', ['unsupported_certificate']], [17, 'MUST', ['bad_certificate']], [18, 'MUST', ['bad_certificate']],
  [19, 'MUST', ['bad_certificate']], [20, 'MUST', ['bad_certificate']], [21, 'MUST', ['bad_certificate']],
  [22, 'MUST', ['bad_certificate']], [23, 'MUST', ['bad_certificate']], [24, 'MUST', ['certificate_revoked']],
  [25, 'MUST', ['decode_error', 'bad_certificate']], [26, 'SHOULD', []],
];

t.test('docs/spec.md', async (t) => {
  let reqs: Requirement[] = [];
  t.doesNotThrow(() => { reqs = loadRequirements(specText); }, 'every requirement candidate is well formed');
  t.ok(reqs.length > 100, `found ${reqs.length} requirements`);

  t.test('ids are unique and well formed, levels valid, areas known', async (t) => {
    const ids = reqs.map((r) => r.id);
    t.equal(new Set(ids).size, ids.length, 'no duplicate id');
    for (const r of reqs) {
      t.match(r.id, REQUIREMENT_ID_PATTERN, `${r.id} well formed`);
      t.ok(REQUIREMENT_LEVELS.includes(r.level), `${r.id} level ${r.level}`);
      t.ok(AREAS.includes(r.area), `${r.id} area ${r.area} is one of the spec's areas`);
      t.ok(r.text.includes(r.level), `${r.id} text uses its level keyword ${r.level}`);
      t.ok(r.section !== '', `${r.id} sits under a heading`);
    }
  });

  t.test('numbering within each area runs 1..n without gaps', async (t) => {
    const byArea = new Map<string, number[]>();
    for (const r of reqs) byArea.set(r.area, [...(byArea.get(r.area) ?? []), r.number]);
    for (const [area, numbers] of byArea) {
      const sorted = [...numbers].sort((a, b) => a - b);
      t.same(sorted, sorted.map((_, i) => i + 1), `${area} numbered 1..${sorted.length}`);
    }
    for (const area of AREAS) t.ok(byArea.has(area), `area ${area} has requirements`);
  });

  t.test('every cited id exists', async (t) => {
    const ids = new Set(reqs.map((r) => r.id));
    const cited = new Set(specText.match(/\b(?:E2ED|IRP)-[A-Z]+-[0-9]+\b/g) ?? []);
    for (const id of cited) t.ok(ids.has(id), `${id} is defined`);
  });

  t.test('Appendix A keeps one pair of generation markers, in order', async (t) => {
    const begin = specText.split('<!-- BEGIN GENERATED: handshake-walkthrough -->').length - 1;
    const end = specText.split('<!-- END GENERATED: handshake-walkthrough -->').length - 1;
    t.equal(begin, 1, 'one BEGIN marker');
    t.equal(end, 1, 'one END marker');
    t.ok(specText.indexOf('<!-- BEGIN GENERATED: handshake-walkthrough -->') <
      specText.indexOf('<!-- END GENERATED: handshake-walkthrough -->'), 'BEGIN before END');
  });

  t.test('certificate profile keeps its fixed ids, levels and alerts', async (t) => {
    for (const [n, level, alerts] of CERT_PROFILE) {
      const r = reqs.find((x) => x.id === `E2ED-CERT-${n}`);
      if (!r) { t.fail(`E2ED-CERT-${n} missing`); continue; }
      t.equal(r.level, level, `E2ED-CERT-${n} level`);
      t.same(r.alerts, alerts, `E2ED-CERT-${n} alerts`);
      t.match(r.section, /Certificate profile|Requirements/, `E2ED-CERT-${n} section`);
    }
  });
});

t.test('loadRequirements', async (t) => {
  const spec = [
    '## 2. Framing',
    '### 2.2 Requirements',
    '- **E2ED-FRAME-1** MUST: A receiver MUST read L first;',
    '  if L = 0 it rejects with `decode_error`.',
    '- **E2ED-FRAME-2** SHOULD: A sender SHOULD write once.',
    '',
    '**IRP-TLS-1** MAY: A paragraph form MAY be used',
    'over two lines.',
    '```',
    '- **NOT-A-REQ** inside a code fence',
    '```',
    '- **Initiator (I)**: a term, not a requirement.',
  ].join('\n');

  t.test('reads ids, levels, continuation lines, sections and alerts', async (t) => {
    const reqs = loadRequirements(spec);
    t.same(reqs.map((r) => r.id), ['E2ED-FRAME-1', 'E2ED-FRAME-2', 'IRP-TLS-1']);
    t.same(reqs.map((r) => r.level), ['MUST', 'SHOULD', 'MAY']);
    t.equal(reqs[0].text, 'A receiver MUST read L first; if L = 0 it rejects with `decode_error`.');
    t.same(reqs[0].alerts, ['decode_error']);
    t.equal(reqs[0].area, 'E2ED-FRAME');
    t.equal(reqs[0].number, 1);
    t.equal(reqs[0].section, '2.2 Requirements');
    t.equal(reqs[0].line, 3);
    t.equal(reqs[2].text, 'A paragraph form MAY be used over two lines.');
  });

  const rejects = (name: string, text: string, line: number) =>
    t.test(`rejects ${name}`, async (t) => {
      t.throws(() => loadRequirements(text), SpecFormatError);
      try { loadRequirements(text); } catch (e) {
        t.equal((e as SpecFormatError).problems[0]?.line, line, 'reports the line');
      }
    });
  rejects('a malformed id', '- **E2ED-FRAME1** MUST: x MUST y', 1);
  rejects('a lower-case area', '- **E2ED-frame-1** MUST: x MUST y', 1);
  rejects('number 0', '- **E2ED-FRAME-0** MUST: x MUST y', 1);
  rejects('a missing level', '- **E2ED-FRAME-1**: x MUST y', 1);
  rejects('an unknown level', '- **E2ED-FRAME-1** SHALL: x SHALL y', 1);
  rejects('a duplicate id', '- **E2ED-FRAME-1** MUST: a MUST\n- **E2ED-FRAME-1** MUST: b MUST', 2);
});
