// Certificate policy processing of profile rfc5280 (RFC 5280 6.1 with user-initial-policy-set
// anyPolicy and the three initial-* inputs false; src/pki/policies.ts): requireExplicitPolicy with
// and without a common policy, anyPolicy and inhibitAnyPolicy, policy mappings and
// inhibitPolicyMapping, self-issued certificates, and the syntax rules of 4.2.1.4/.5/.11/.14.
// Profile e2ed processes none of this (E2ED-CERT-16).
import t from 'tap';
import { validateChain, type ValidationOptions, type ValidationResult } from '../../src/pki/validator.js';
import { OIDS, TIME, caExtensions, cn, der, ext, key, keyId, makeCert, gn, type Ext } from './validator-certs.js';

const CP = '2.5.29.32';
const PM = '2.5.29.33';
const PC = '2.5.29.36';
const IAP = '2.5.29.54';
const ANY = '2.5.29.32.0';
const P1 = '1.3.6.1.4.1.55555.1.1';
const P2 = '1.3.6.1.4.1.55555.1.2';
const P3 = '1.3.6.1.4.1.55555.1.3';

const policies = (...oids: string[]): Ext => ({ oid: CP, value: der.seq(...oids.map((o) => der.seq(der.oid(o)))) });
const constraints = (req?: number, inhibitMapping?: number, critical = true): Ext => ({
  oid: PC,
  critical,
  value: der.seq(
    ...(req === undefined ? [] : [der.tlv(0x80, der.int(req).subarray(2))]),
    ...(inhibitMapping === undefined ? [] : [der.tlv(0x81, der.int(inhibitMapping).subarray(2))]),
  ),
});
const mappings = (...pairs: [string, string][]): Ext => ({ oid: PM, critical: true, value: der.seq(...pairs.map(([a, b]) => der.seq(der.oid(a), der.oid(b)))) });
const inhibitAny = (n: number, critical = true): Ext => ({ oid: IAP, critical, value: der.int(n) });

/** root -> ICA1 -> ICA2 -> leaf, each level with the extra extensions given. */
function chain(extra: { ica1?: Ext[]; ica2?: Ext[]; leaf?: Ext[]; selfIssuedIca2?: boolean; leafSan?: Buffer }) {
  const rk = key('pol-root');
  const k1 = key('pol-ica1');
  const k2 = key('pol-ica2');
  const lk = key('pol-leaf');
  const root = makeCert({ subject: cn('Policy Root'), issuer: cn('Policy Root'), key: rk, signer: rk, extensions: caExtensions(rk, undefined) });
  const ica1 = makeCert({ subject: cn('Policy ICA 1'), issuer: cn('Policy Root'), key: k1, signer: rk, extensions: [...caExtensions(k1, rk), ...(extra.ica1 ?? [])] });
  const ica2Name = extra.selfIssuedIca2 ? cn('Policy ICA 1') : cn('Policy ICA 2');
  const ica2 = makeCert({ subject: ica2Name, issuer: cn('Policy ICA 1'), key: k2, signer: k1, extensions: [...caExtensions(k2, k1), ...(extra.ica2 ?? [])] });
  const leaf = makeCert({
    subject: cn('server'),
    issuer: ica2Name,
    key: lk,
    signer: k2,
    extensions: [ext.ku([0]), ext.eku(OIDS.serverAuth), ext.san([extra.leafSan ?? gn.dns('example.com')]), ext.aki(keyId(k2)), ...(extra.leaf ?? [])],
  });
  return { root, ica1, ica2, leaf };
}

const opts = (root: Buffer, profile: 'rfc5280' | 'e2ed' = 'rfc5280'): ValidationOptions => ({ trustAnchors: [root], time: TIME, purpose: 'serverAuth', profile });

const verdict = (extra: Parameters<typeof chain>[0]): string => {
  const c = chain(extra);
  const r: ValidationResult = validateChain([c.leaf, c.ica2, c.ica1], opts(c.root));
  return r.ok ? 'ok' : r.reason;
};

t.test('without requireExplicitPolicy, policies never decide the verdict (6.1.5 (g): explicit_policy > 0)', async (t) => {
  t.equal(verdict({}), 'ok', 'no policies anywhere');
  t.equal(verdict({ ica1: [policies(P1)], ica2: [policies(P2)], leaf: [policies(P3)] }), 'ok', 'disjoint policies');
  t.equal(verdict({ ica1: [mappings([P1, P2])] }), 'ok', 'a mapping alone');
  t.equal(verdict({ ica1: [inhibitAny(0)] }), 'ok', 'inhibitAnyPolicy alone');
  t.equal(verdict({ ica1: [constraints(undefined, 0)] }), 'ok', 'inhibitPolicyMapping alone');
});

t.test('requireExplicitPolicy: the path needs a policy valid from the constraining point to the leaf', async (t) => {
  t.equal(verdict({ ica1: [constraints(0), policies(P1)], ica2: [policies(P1)], leaf: [policies(P1)] }), 'ok', 'one policy throughout');
  t.equal(verdict({ ica1: [constraints(0), policies(P1)], ica2: [policies(P1)], leaf: [policies(P2)] }), 'no-valid-policy', 'the leaf asserts another');
  t.equal(verdict({ ica1: [constraints(0), policies(P1)], ica2: [policies(P1)] }), 'no-valid-policy', 'the leaf asserts none (6.1.3 (e))');
  t.equal(verdict({ ica1: [constraints(0), policies(ANY)], ica2: [policies(ANY)], leaf: [policies(P2)] }), 'ok', 'anyPolicy above a concrete leaf policy');
  t.equal(verdict({ ica1: [constraints(0), policies(P1, P2)], ica2: [policies(P2)], leaf: [policies(ANY)] }), 'ok', 'anyPolicy in the leaf carries P2 down');
  // skipCerts 2: explicit_policy reaches 0 only after the leaf is counted; the tree is NULL from ICA2.
  t.equal(verdict({ ica1: [constraints(3), policies(P1)], leaf: [policies(P1)] }), 'ok', 'requireExplicitPolicy 3: more certificates than remain below ICA1');
  t.equal(verdict({ ica1: [constraints(2), policies(P1)], leaf: [policies(P1)] }), 'no-valid-policy', 'requireExplicitPolicy 2 counts ICA2 and the leaf (6.1.5 (a)), ICA2 has no policies');
  t.equal(verdict({ ica1: [constraints(1), policies(P1)], leaf: [policies(P1)] }), 'no-valid-policy', 'requireExplicitPolicy 1: ICA2 without policies ends the tree');
  t.equal(verdict({ leaf: [constraints(0)] }), 'no-valid-policy', "the leaf's own requireExplicitPolicy 0 (6.1.5 (b)) with no policies");
  t.equal(verdict({ ica1: [policies(P1)], ica2: [policies(P1)], leaf: [constraints(0), policies(P1)] }), 'ok', "the leaf's own requireExplicitPolicy 0, policies present");
});

t.test('inhibitAnyPolicy: anyPolicy stops counting, except in a self-issued intermediate', async (t) => {
  const common = { leaf: [policies(P1)] };
  t.equal(verdict({ ica1: [constraints(0), policies(ANY), inhibitAny(0)], ica2: [policies(ANY)], ...common }), 'no-valid-policy', 'anyPolicy in ICA2 no longer matches P1');
  t.equal(verdict({ ica1: [constraints(0), policies(ANY), inhibitAny(1)], ica2: [policies(ANY)], ...common }), 'ok', 'skipCerts 1 still lets ICA2 use anyPolicy');
  t.equal(verdict({ ica1: [constraints(0), policies(ANY), inhibitAny(0)], ica2: [policies(ANY)], selfIssuedIca2: true, ...common }), 'ok', '6.1.3 (d)(2)(b): a self-issued intermediate');
});

t.test('policy mappings and inhibitPolicyMapping', async (t) => {
  t.equal(verdict({ ica1: [constraints(0), policies(P1), mappings([P1, P2])], ica2: [policies(P2)], leaf: [policies(P2)] }), 'ok', 'P1 mapped to P2 below ICA1');
  t.equal(verdict({ ica1: [constraints(0), policies(P1)], ica2: [policies(P2)], leaf: [policies(P2)] }), 'no-valid-policy', 'the same without the mapping');
  t.equal(
    verdict({ ica1: [constraints(0, 0), policies(P1)], ica2: [policies(P1), mappings([P1, P2])], leaf: [policies(P2)] }),
    'no-valid-policy',
    'inhibitPolicyMapping 0: the mapped policy is deleted (6.1.4 (b)(2))',
  );
  t.equal(verdict({ ica1: [constraints(0), policies(ANY), mappings([P1, P3])], ica2: [policies(P3)], leaf: [policies(P3)] }), 'ok', 'a mapping below an anyPolicy node (6.1.4 (b)(1))');
});

t.test('syntax: duplicates, anyPolicy mappings, empty or non-critical constraints are refused', async (t) => {
  t.equal(verdict({ ica1: [policies(P1, P1)] }), 'bad-policy-extension', 'a policy twice (4.2.1.4)');
  t.equal(verdict({ ica1: [mappings([ANY, P1])] }), 'bad-policy-extension', 'anyPolicy mapped (6.1.4 (a))');
  t.equal(verdict({ ica1: [mappings([P1, ANY])] }), 'bad-policy-extension', 'mapped to anyPolicy');
  t.equal(verdict({ ica1: [constraints()] }), 'bad-policy-extension', 'empty policyConstraints (4.2.1.11)');
  t.equal(verdict({ ica1: [constraints(0, undefined, false), policies(P1)], ica2: [policies(P1)], leaf: [policies(P1)] }), 'bad-policy-extension', 'non-critical policyConstraints');
  t.equal(verdict({ ica1: [inhibitAny(0, false)] }), 'bad-policy-extension', 'non-critical inhibitAnyPolicy (4.2.1.14)');
});

t.test('profile e2ed: policy extensions are not processed (E2ED-CERT-16)', async (t) => {
  const c = chain({ ica1: [constraints(0), policies(P1)], leaf: [policies(P2)], leafSan: gn.rfc822('alice@example.com') });
  const r = validateChain([c.leaf, c.ica2, c.ica1], opts(c.root, 'e2ed'));
  t.equal(r.ok ? 'ok' : r.reason, 'unknown-critical-extension', 'a critical policyConstraints is unrecognised');
});
