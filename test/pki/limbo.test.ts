// The x509-limbo runner: format checks, feature skips, CLIENT rfc822 peer names, the CLI command,
// and (when ../shared/external is present) the agreement on limbo-client-relevant.json.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { LimboFormatError, asLimboFile, runLimbo, runLimboCase, skipReason, type LimboTestcase } from '../../src/pki/limbo.js';
import { addLimboCommand, formatLimboReport } from '../../src/cli/pki-limbo.js';
import { UsageError } from '../../src/cli/run-main.js';
import { makePki } from './validator-certs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const limboFile = path.join(path.resolve(repoRoot, '../shared/external'), 'x509-limbo', 'limbo-client-relevant.json');

const pem = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

function clientCase(over: Partial<LimboTestcase> = {}): LimboTestcase {
  const p = makePki();
  return {
    id: 'local::client',
    features: [],
    validation_kind: 'CLIENT',
    trusted_certs: [pem(p.root)],
    untrusted_intermediates: [pem(p.intermediate)],
    peer_certificate: pem(p.leaf),
    validation_time: '2026-06-01T12:00:00Z',
    signature_algorithms: [],
    key_usage: [],
    extended_key_usage: ['clientAuth'],
    expected_result: 'SUCCESS',
    expected_peer_names: [{ kind: 'RFC822', value: 'alice@example.com' }],
    max_chain_depth: null,
    crls: [],
    ...over,
  };
}

t.test('asLimboFile rejects documents that are not limbo-shaped', async (t) => {
  t.throws(() => asLimboFile(null), LimboFormatError);
  t.throws(() => asLimboFile({ version: 1 }), LimboFormatError);
  t.throws(() => asLimboFile({ version: 1, testcases: [{ id: 'x' }] }), LimboFormatError);
  t.equal(asLimboFile({ version: 1, testcases: [] }).testcases.length, 0);
});

t.test('CLIENT cases check the expected rfc822 peer names', async (t) => {
  t.equal(runLimboCase(clientCase()).got, 'SUCCESS');
  t.equal(runLimboCase(clientCase({ expected_peer_names: [{ kind: 'RFC822', value: 'bob@example.com' }] })).got, 'FAILURE');
  const wrongRoot = makePki();
  void wrongRoot;
  t.equal(runLimboCase(clientCase({ untrusted_intermediates: [] })).reason, 'unknown-issuer');
});

t.test('SERVER cases use serverAuth and honour key_usage and signature_algorithms', async (t) => {
  // the standard leaf carries EKU clientAuth only, so serverAuth must fail
  t.equal(runLimboCase(clientCase({ validation_kind: 'SERVER', extended_key_usage: [], expected_peer_names: [] })).reason, 'wrong-extended-key-usage');
  t.equal(runLimboCase(clientCase({ key_usage: ['keyEncipherment'] })).reason, 'missing-digital-signature');
  t.equal(runLimboCase(clientCase({ signature_algorithms: ['RSA_WITH_SHA256'] })).reason, 'weak-signature-algorithm');
  t.equal(runLimboCase(clientCase({ signature_algorithms: ['ECDSA_WITH_SHA256'] })).got, 'SUCCESS');
  t.equal(runLimboCase(clientCase({ validation_time: '2050-06-01T00:00:00Z' })).reason, 'expired');
  t.equal(runLimboCase(clientCase({ max_chain_depth: 0 })).reason, 'path-too-long');
  t.equal(runLimboCase(clientCase({ max_chain_depth: 1 })).got, 'SUCCESS');
});

t.test('cases needing unimplemented features are skipped with a reason', async (t) => {
  t.match(skipReason(clientCase({ features: ['no-cert-policies'] })), /no-cert-policies/);
  t.equal(skipReason(clientCase({ features: ['has-policy-constraints', 'has-cert-policies'] })), undefined, 'policy processing is implemented');
  t.equal(skipReason(clientCase({ features: ['has-crl', 'name-constraint-dn'] })), undefined, 'implemented features run');
  t.match(skipReason(clientCase({ extended_key_usage: ['codeSigning'] })), /codeSigning/);
  const report = runLimbo({ version: 1, testcases: [clientCase(), clientCase({ id: 'local::skip', features: ['no-cert-policies'] })] });
  t.equal(report.skipped, 1);
  t.equal(report.agreed, 1);
  t.equal(report.agreementPercent, 100);
  t.match(formatLimboReport(report, false), /local::skip: feature no-cert-policies/);
});

t.test('of two conflicting cases, the rfc5280:: one is skipped and the webpki:: one runs', async (t) => {
  const rfc = clientCase({ id: 'rfc5280::x', conflicts_with: ['webpki::x'] });
  t.match(skipReason(rfc), /conflicts with webpki::x/);
  t.equal(runLimboCase(rfc).skipped !== undefined, true);
  t.equal(skipReason(clientCase({ id: 'webpki::x', conflicts_with: ['rfc5280::x'] })), undefined);
  t.equal(skipReason(clientCase({ id: 'rfc5280::y', conflicts_with: [] })), undefined, 'no conflict, no skip');
});

t.test('the CLI command reports, and fails clearly on a missing or invalid file', async (t) => {
  const dir = t.testdir({ 'bad.json': '{"version": 1', 'shape.json': '{"version": 1}' });
  const good = path.join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ version: 1, testcases: [clientCase(), clientCase({ id: 'local::disagree', expected_result: 'FAILURE' })] }));
  const run = async (...args: string[]) => {
    const program = new Command().exitOverride();
    addLimboCommand(program.command('pki'));
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'sixbench', 'pki', 'limbo', ...args]);
    } finally {
      process.stdout.write = write;
    }
    return out.join('');
  };
  const text = await run(good);
  t.match(text, /1 agreed, 1 disagreed, 0 skipped; agreement 50\.0%/);
  t.match(text, /local::disagree: expected FAILURE, got SUCCESS/);
  const json = JSON.parse(await run(good, '--json'));
  t.equal(json.disagreed, 1);
  await t.rejects(run(path.join(dir, 'missing.json')), UsageError);
  await t.rejects(run(path.join(dir, 'bad.json')), UsageError);
  await t.rejects(run(path.join(dir, 'shape.json')), UsageError);
});

t.test('x509-limbo client-relevant selection: at least 97% agreement', {
  skip: existsSync(limboFile) ? false : `x509-limbo data not found at ${limboFile} (../shared/external absent)`,
}, async (t) => {
  const report = runLimbo(asLimboFile(JSON.parse(readFileSync(limboFile, 'utf8'))));
  t.ok(report.total > 100, `${report.total} cases`);
  t.ok(report.agreementPercent >= 97, `agreement ${report.agreementPercent.toFixed(1)}% (>= 97%)`);
  const disagreements = report.outcomes.filter((o) => o.skipped === undefined && o.got !== o.expected).map((o) => o.id);
  t.comment(`agreed ${report.agreed}, disagreed ${report.disagreed} [${disagreements.join(', ')}], skipped ${report.skipped}`);
});
