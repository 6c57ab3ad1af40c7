import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { ALERTS } from '../../src/protocol/alerts.js';
import { createTestPki } from '../../src/pki/ca.js';
import { buildValidCase, caseTime, DEFECTS, type DefectCase } from '../../src/pki/defects.js';
import { validateChain, type ValidationResult } from '../../src/pki/validator.js';

// The certificate-profile requirement ids (docs/spec.md "Certificate profile") and the alert each
// one names; a defect must cite one of them and expect exactly that alert.
const REQUIREMENT_ALERTS: Record<string, readonly string[]> = {
  'E2ED-CERT-1': ['bad_certificate'],
  'E2ED-CERT-2': ['certificate_expired'],
  'E2ED-CERT-3': ['unknown_ca'],
  'E2ED-CERT-4': ['unknown_ca'],
  'E2ED-CERT-5': ['bad_certificate'],
  'E2ED-CERT-6': ['bad_certificate'],
  'E2ED-CERT-7': ['insufficient_security'],
  'E2ED-CERT-8': ['insufficient_security'],
  'E2ED-CERT-9': ['unsupported_certificate'],
  'E2ED-CERT-10': ['unsupported_certificate'],
  'E2ED-CERT-11': ['unsupported_certificate'],
  'E2ED-CERT-12': ['unsupported_certificate'],
  'E2ED-CERT-13': ['bad_certificate'],
  'E2ED-CERT-14': ['identity_mismatch'],
  'E2ED-CERT-15': ['bad_certificate'],
  'E2ED-CERT-16': ['unsupported_certificate'],
  'E2ED-CERT-17': ['bad_certificate'],
  'E2ED-CERT-18': ['bad_certificate'],
  'E2ED-CERT-19': ['bad_certificate'],
  'E2ED-CERT-20': ['bad_certificate'],
  'E2ED-CERT-21': ['bad_certificate'],
  'E2ED-CERT-22': ['bad_certificate'],
  'E2ED-CERT-23': ['bad_certificate'],
  'E2ED-CERT-24': ['certificate_revoked'],
  'E2ED-CERT-25': ['decode_error', 'bad_certificate'],
};

const REQUIRED_IDS = [
  'expired', 'not-yet-valid', 'untrusted-root', 'self-signed-leaf', 'leaf-signed-by-non-ca', 'missing-intermediate',
  'wrong-issuer-name', 'aki-ski-mismatch', 'chain-loop', 'chain-too-deep', 'intermediate-no-keycertsign',
  'pathlen-exceeded', 'name-constraint-excluded', 'name-constraint-not-permitted', 'missing-san',
  'email-only-in-subject', 'san-differs', 'san-case-differs', 'san-lookalike', 'eku-serverauth-only', 'eku-any-only',
  'eku-missing', 'ku-no-digitalsignature', 'ku-missing', 'ku-no-keyencipherment-rsa-kt', 'leaf-is-ca',
  'unknown-critical-extension', 'duplicate-extension', 'bad-signature', 'sigalg-mismatch', 'md5-signature',
  'sha1-signature', 'rsa-1024', 'p192-key', 'dsa-key', 'v1-with-extensions', 'serial-zero', 'serial-negative',
  'serial-oversized', 'utctime-bad-encoding', 'generalizedtime-before-2050', 'trailing-bytes', 'truncated-der', 'revoked',
];

const pki = createTestPki({ seed: 'defects-test' });

function validate(c: DefectCase): ValidationResult {
  const revoked = new Set(c.revokedSerials ?? []);
  return validateChain(c.chain, {
    trustAnchors: c.anchors,
    time: caseTime(pki, c),
    purpose: 'clientAuth',
    expectedUserId: c.expectedUserId,
    requireKeyEncipherment: c.requireKeyEncipherment,
    isRevoked: (leaf: X509Certificate) => revoked.has(leaf.serialNumber.toLowerCase()),
  });
}

t.test('the catalogue: at least 40 defects, unique kebab-case ids, E2ED-CERT ids and their alerts', async (t) => {
  t.ok(DEFECTS.length >= 40, `${DEFECTS.length} defects`);
  const ids = DEFECTS.map((d) => d.id);
  t.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const d of DEFECTS) {
    t.match(d.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${d.id} is kebab-case`);
    t.ok(d.requirement in REQUIREMENT_ALERTS, `${d.id} cites a certificate-profile requirement (${d.requirement})`);
    t.ok(d.alert in ALERTS, `${d.id} names a registered alert`);
    t.ok(REQUIREMENT_ALERTS[d.requirement]?.includes(d.alert), `${d.id}: ${d.alert} is the alert ${d.requirement} names`);
    t.ok(d.title.length > 0);
  }
  for (const id of REQUIRED_IDS) t.ok(ids.includes(id), `catalogue covers ${id}`);
});

t.test('the valid chain is accepted with the user ID', async (t) => {
  const r = validate(buildValidCase(pki));
  t.ok(r.ok, r.ok ? 'accepted' : `rejected: ${r.reason} (${r.detail})`);
  if (r.ok) t.equal(r.userId, `alice@${pki.domain}`);
});

for (const defect of DEFECTS) {
  t.test(`${defect.id}: rejected with ${defect.alert} (${defect.requirement})`, async (t) => {
    const r = validate(defect.build(pki));
    t.notOk(r.ok, 'rejected');
    if (!r.ok) {
      t.equal(r.alert, defect.alert, `alert (validator said ${r.reason} / ${r.requirement}: ${r.detail})`);
    }
  });
}

t.test('valid variants of the profile are accepted', async (t) => {
  const accept = (name: string, chain: Buffer[], extra: { expectedUserId?: string; requireKeyEncipherment?: boolean; purpose?: 'clientAuth' | 'serverAuth'; profile?: 'e2ed' | 'rfc5280' }) => {
    const r = validateChain(chain, {
      trustAnchors: pki.anchors,
      time: pki.referenceTime,
      purpose: extra.purpose ?? 'clientAuth',
      expectedUserId: extra.expectedUserId,
      requireKeyEncipherment: extra.requireKeyEncipherment,
      profile: extra.profile,
    });
    t.ok(r.ok, r.ok ? name : `${name}: rejected ${r.reason} (${r.detail})`);
  };
  accept('Ed25519 user', pki.issueUser('ed@example.com', { keyType: 'ed25519' }).chain, { expectedUserId: 'ed@example.com' });
  accept('RSA user for key transport', pki.issueUser('rsa@example.com', { keyType: 'rsa2048' }).chain, {
    expectedUserId: 'rsa@example.com',
    requireKeyEncipherment: true,
  });
  // E2ED-CERT-14: "domain ASCII case-insensitive".
  accept('domain compared case-insensitively', pki.issueUser('dora@example.com').chain, { expectedUserId: 'dora@EXAMPLE.com' });
  // The IRP server certificate is a TLS server certificate, not an E2ED user: RFC 5280 rules only.
  accept('IRP TLS server certificate for serverAuth', pki.irpTls.chain, { purpose: 'serverAuth', profile: 'rfc5280' });
});
