// Certificate policies: RFC 5280 4.2.1.4 (certificatePolicies), 4.2.1.5 (policyMappings), 4.2.1.11
// (policyConstraints), 4.2.1.14 (inhibitAnyPolicy) and their path processing, 6.1.2 (a)/(d)-(f),
// 6.1.3 (d)-(f), 6.1.4 (a)/(b)/(h)-(j) and 6.1.5 (a)/(b)/(g), with the inputs a relying party gives
// when it has no policy of its own: user-initial-policy-set {anyPolicy}, initial-explicit-policy,
// initial-policy-mapping-inhibit and initial-any-policy-inhibit all false. Used by profile rfc5280
// (x509-limbo); profile e2ed does not process policies (E2ED-CERT-16: certificatePolicies is
// accepted, the other three are unrecognised when critical).
//
// The valid_policy_tree is kept one level at a time, as a map from valid_policy to
// expected_policy_set. That is exact for the one question the verdict asks (is there a node at
// depth n, 6.1.5 (g)): every node of one depth with the same valid_policy has the same
// expected_policy_set (6.1.3 (d) creates it as {valid_policy}; 6.1.4 (b) rewrites all of them
// alike), and a node of depth n exists exactly when its ancestors do. Qualifiers are not
// interpreted (6.1.5 (g) returns them to the application; this validator has no use for them).
import type { ParsedCertificate } from './cert-parse.js';
import { DerError, DerReader, TAG, ctx, readOid, readSmallUint, readWhole } from './der.js';
import { OID } from './oids.js';

export const ANY_POLICY = '2.5.29.32.0';

export type PolicyFailure = { reason: 'bad-policy-extension' | 'no-valid-policy'; detail: string };

interface CertPolicies {
  /** certificatePolicies OIDs; undefined when the extension is absent. */
  policies: Set<string> | undefined;
  /** policyMappings as issuerDomainPolicy -> subjectDomainPolicies. */
  mappings: Map<string, Set<string>> | undefined;
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
  inhibitAnyPolicy: number | undefined;
}

const bad = (detail: string): PolicyFailure => ({ reason: 'bad-policy-extension', detail });

const cache = new WeakMap<ParsedCertificate, CertPolicies | PolicyFailure>();

/** Reads and checks the four policy extensions of one certificate (cached per parse). */
export function certificatePolicyInfo(c: ParsedCertificate): CertPolicies | PolicyFailure {
  const hit = cache.get(c);
  if (hit !== undefined) return hit;
  let out: CertPolicies | PolicyFailure;
  try {
    out = readPolicyInfo(c);
  } catch (err) {
    out = bad(err instanceof DerError ? `policy extension: ${err.message}` : String(err));
  }
  cache.set(c, out);
  return out;
}

function readPolicyInfo(c: ParsedCertificate): CertPolicies | PolicyFailure {
  const info: CertPolicies = {
    policies: undefined,
    mappings: undefined,
    requireExplicitPolicy: undefined,
    inhibitPolicyMapping: undefined,
    inhibitAnyPolicy: undefined,
  };
  for (const e of c.extensions) {
    switch (e.oid) {
      case OID.certificatePolicies: {
        // certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
        const r = DerReader.of(readWhole(e.value));
        const set = new Set<string>();
        while (!r.done) {
          const pi = DerReader.of(r.expect(TAG.SEQUENCE, 'PolicyInformation'));
          const id = readOid(pi.expect(TAG.OID, 'policyIdentifier'));
          if (!pi.done) pi.expect(TAG.SEQUENCE, 'policyQualifiers');
          pi.finish('PolicyInformation');
          // 4.2.1.4: "A certificate policy OID MUST NOT appear more than once in a certificate
          // policies extension."
          if (set.has(id)) return bad(`policy ${id} appears twice in certificatePolicies`);
          set.add(id);
        }
        if (set.size === 0) return bad('empty certificatePolicies');
        info.policies = set;
        break;
      }
      case OID.policyMappings: {
        // PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy, subjectDomainPolicy }
        const r = DerReader.of(readWhole(e.value));
        const map = new Map<string, Set<string>>();
        while (!r.done) {
          const m = DerReader.of(r.expect(TAG.SEQUENCE, 'PolicyMapping'));
          const from = readOid(m.expect(TAG.OID, 'issuerDomainPolicy'));
          const to = readOid(m.expect(TAG.OID, 'subjectDomainPolicy'));
          m.finish('PolicyMapping');
          // 4.2.1.5: "Policies MUST NOT be mapped either to or from the special value anyPolicy";
          // 6.1.4 (a): "verify that the special value anyPolicy does not appear as an
          // issuerDomainPolicy or a subjectDomainPolicy".
          if (from === ANY_POLICY || to === ANY_POLICY) return bad('policyMappings maps anyPolicy');
          const set = map.get(from) ?? new Set<string>();
          set.add(to);
          map.set(from, set);
        }
        if (map.size === 0) return bad('empty policyMappings');
        info.mappings = map;
        break;
      }
      case OID.policyConstraints: {
        // 4.2.1.11: "Conforming CAs MUST mark this extension as critical" and "MUST NOT issue
        // certificates where policy constraints is an empty sequence".
        if (!e.critical) return bad('policyConstraints not marked critical');
        const r = DerReader.of(readWhole(e.value));
        const req = r.optional(ctx(0, false));
        const inh = r.optional(ctx(1, false));
        r.finish('PolicyConstraints');
        if (req === undefined && inh === undefined) return bad('empty policyConstraints');
        if (req !== undefined) info.requireExplicitPolicy = readSmallUint(req, ctx(0, false));
        if (inh !== undefined) info.inhibitPolicyMapping = readSmallUint(inh, ctx(1, false));
        break;
      }
      case OID.inhibitAnyPolicy:
        // 4.2.1.14: "Conforming CAs MUST mark this extension as critical."
        if (!e.critical) return bad('inhibitAnyPolicy not marked critical');
        info.inhibitAnyPolicy = readSmallUint(readWhole(e.value));
        break;
    }
  }
  return info;
}

const isFailure = (x: CertPolicies | PolicyFailure): x is PolicyFailure => 'reason' in x;

/** Only whether a certificate carries a policy extension that is malformed (per-certificate check). */
export function checkPolicySyntax(c: ParsedCertificate): PolicyFailure | undefined {
  const info = certificatePolicyInfo(c);
  return isFailure(info) ? info : undefined;
}

/**
 * RFC 5280 6.1 policy processing over a path given anchor first, leaf last; the trust anchor is
 * input to the algorithm, not one of its n certificates (6.1), so its own extensions do not count.
 */
export function processPolicies(anchorFirst: readonly ParsedCertificate[]): PolicyFailure | undefined {
  const certs = anchorFirst.slice(1);
  const n = certs.length;
  // 6.1.2 (a), (d)-(f) with initial-explicit-policy, initial-any-policy-inhibit and
  // initial-policy-mapping-inhibit false.
  let tree: Map<string, Set<string>> | null = new Map([[ANY_POLICY, new Set([ANY_POLICY])]]);
  let explicitPolicy = n + 1;
  let inhibitAnyPolicy = n + 1;
  let policyMapping = n + 1;
  for (let i = 1; i <= n; i++) {
    const c = certs[i - 1]!;
    const info = certificatePolicyInfo(c);
    if (isFailure(info)) return info;
    // 6.1.3 (d): certificate policies present and the tree not NULL.
    if (tree !== null && info.policies !== undefined) {
      const next = new Map<string, Set<string>>();
      // (d)(1): each policy P other than anyPolicy is added below a node expecting it, or below the
      // anyPolicy node.
      for (const p of info.policies) {
        if (p === ANY_POLICY) continue;
        const expected = [...tree.values()].some((set) => set.has(p)) || tree.has(ANY_POLICY);
        if (expected) next.set(p, new Set([p]));
      }
      // (d)(2): anyPolicy in the certificate, and "either (a) inhibit_anyPolicy is greater than 0 or
      // (b) i<n and the certificate is self-issued": every expected policy not yet present.
      if (info.policies.has(ANY_POLICY) && (inhibitAnyPolicy > 0 || (i < n && c.selfIssued))) {
        for (const set of tree.values()) for (const p of set) if (!next.has(p)) next.set(p, new Set([p]));
      }
      tree = next.size > 0 ? next : null;
    } else {
      // 6.1.3 (e): "If the certificate policies extension is not present, set the
      // valid_policy_tree to NULL."
      tree = null;
    }
    // 6.1.3 (f): "Verify that either explicit_policy is greater than 0 or the valid_policy_tree is
    // not equal to NULL."
    if (explicitPolicy === 0 && tree === null) return { reason: 'no-valid-policy', detail: `no valid policy at certificate ${i} of ${n} while an explicit policy is required` };
    if (i < n) {
      // 6.1.4 (a) is checked when the extension is read; (b): apply the mappings.
      if (info.mappings !== undefined && tree !== null) {
        for (const [from, to] of info.mappings) {
          if (policyMapping > 0) {
            // (b)(1): nodes of valid_policy ID-P expect the mapped policies; without such a node,
            // an anyPolicy node yields one.
            if (tree.has(from) || tree.has(ANY_POLICY)) tree.set(from, new Set(to));
          } else {
            // (b)(2): "delete each node of depth i in the valid_policy_tree where ID-P is the valid_policy".
            tree.delete(from);
          }
        }
        if (tree.size === 0) tree = null;
      }
      // (h): counters decrease for each certificate that is not self-issued.
      if (!c.selfIssued) {
        if (explicitPolicy > 0) explicitPolicy--;
        if (policyMapping > 0) policyMapping--;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
      }
      // (i), (j): constraints only ever tighten.
      if (info.requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, info.requireExplicitPolicy);
      if (info.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, info.inhibitPolicyMapping);
      if (info.inhibitAnyPolicy !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, info.inhibitAnyPolicy);
    } else {
      // 6.1.5 (a), (b).
      if (explicitPolicy > 0) explicitPolicy--;
      if (info.requireExplicitPolicy === 0) explicitPolicy = 0;
    }
  }
  // 6.1.5 (g) with user-initial-policy-set {anyPolicy}: the intersection is the tree itself.
  if (explicitPolicy > 0 || tree !== null) return undefined;
  return { reason: 'no-valid-policy', detail: 'an explicit policy is required and no policy is valid for the whole path' };
}
