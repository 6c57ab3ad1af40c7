// The x509-limbo runner: replays limbo-format test cases ({version, testcases:[...]}, the schema in
// ../shared/external/x509-limbo/limbo-schema.json) through validateChain and compares verdicts.
// SERVER cases: purpose serverAuth, profile rfc5280, no peer-name (hostname/IP) check. CLIENT cases:
// purpose clientAuth, and the leaf must carry each expected rfc822 peer name. Following limbo's
// guidance, cases tagged with a feature this validator does not implement are skipped, with the
// reason printed. Pure: the caller reads the file.
import type { KeyUsageName } from './cert-parse.js';
import type { ValidationFailureReason } from './reasons.js';
import { validateChain, type Purpose, type ValidationOptions } from './validator.js';

/** Features (limbo-schema.json "Feature") this validator does not implement, and why. */
export const UNSUPPORTED_FEATURES: Readonly<Record<string, string>> = {
  'no-cert-policies':
    'the case is for validators that do not process certificate policies; this one does (profile rfc5280: RFC 5280 6.1 policy processing with user-initial-policy-set anyPolicy, src/pki/policies.ts)',
  'pedantic-public-suffix-wildcard': 'peer-name (hostname) matching is not part of a client-certificate validator',
  'rfc5280-incompatible-with-webpki':
    'the validator follows the web PKI reading where RFC 5280 and the CA/B Forum differ (a non-critical nameConstraints extension is processed, not refused)',
};

export interface LimboPeerName {
  kind: string;
  value: string;
}

export interface LimboTestcase {
  id: string;
  /** Cases whose expected verdict contradicts this one's (limbo-schema.json): no validator passes both. */
  conflicts_with?: string[] | null;
  features?: string[] | null;
  description?: string;
  validation_kind: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time?: string | null;
  signature_algorithms?: string[] | null;
  key_usage?: string[] | null;
  extended_key_usage?: string[] | null;
  expected_result: string;
  expected_peer_name?: LimboPeerName | null;
  expected_peer_names?: LimboPeerName[] | null;
  max_chain_depth?: number | null;
  crls?: string[] | null;
}

export interface LimboFile {
  version: number;
  testcases: LimboTestcase[];
}

export type Verdict = 'SUCCESS' | 'FAILURE';

export interface LimboOutcome {
  id: string;
  expected: Verdict;
  /** Undefined when skipped. */
  got: Verdict | undefined;
  reason: ValidationFailureReason | undefined;
  detail: string;
  skipped: string | undefined;
}

export interface LimboReport {
  total: number;
  agreed: number;
  disagreed: number;
  skipped: number;
  /** Agreement over non-skipped cases, 0..100. */
  agreementPercent: number;
  outcomes: LimboOutcome[];
}

export class LimboFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimboFormatError';
  }
}

const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** Checks the shape of a parsed limbo document (the fields the runner reads). */
export function asLimboFile(doc: unknown): LimboFile {
  if (typeof doc !== 'object' || doc === null) throw new LimboFormatError('top level is not an object');
  const d = doc as Record<string, unknown>;
  if (typeof d.version !== 'number') throw new LimboFormatError('missing numeric "version"');
  if (!Array.isArray(d.testcases)) throw new LimboFormatError('missing "testcases" array');
  d.testcases.forEach((tc, i) => {
    const t = tc as Record<string, unknown>;
    const where = `testcases[${i}]`;
    if (typeof t !== 'object' || t === null) throw new LimboFormatError(`${where} is not an object`);
    if (typeof t.id !== 'string') throw new LimboFormatError(`${where}.id missing`);
    if (t.validation_kind !== 'SERVER' && t.validation_kind !== 'CLIENT') throw new LimboFormatError(`${t.id}: bad validation_kind`);
    if (t.expected_result !== 'SUCCESS' && t.expected_result !== 'FAILURE') throw new LimboFormatError(`${t.id}: bad expected_result`);
    if (!isStringArray(t.trusted_certs) || !isStringArray(t.untrusted_intermediates) || typeof t.peer_certificate !== 'string') {
      throw new LimboFormatError(`${t.id}: certificates missing`);
    }
  });
  return d as unknown as LimboFile;
}

/** Decodes every PEM block with the given label (RFC 7468). */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([^-]*)-----END ${label}-----`, 'g');
  const out: Buffer[] = [];
  for (const m of text.matchAll(re)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

const pemCerts = (list: readonly string[]): Buffer[] => list.flatMap((p) => pemBlocks(p, 'CERTIFICATE'));

/** limbo-schema.json "SignatureAlgorithm" names this validator can be asked to allow. */
const SIGNATURE_ALGORITHM_OIDS: Readonly<Record<string, string>> = {
  RSA_WITH_SHA256: '1.2.840.113549.1.1.11',
  RSA_WITH_SHA384: '1.2.840.113549.1.1.12',
  RSA_WITH_SHA512: '1.2.840.113549.1.1.13',
  RSASSA_PSS: '1.2.840.113549.1.1.10',
  ECDSA_WITH_SHA256: '1.2.840.10045.4.3.2',
  ECDSA_WITH_SHA384: '1.2.840.10045.4.3.3',
  ECDSA_WITH_SHA512: '1.2.840.10045.4.3.4',
  ED25519: '1.3.101.112',
};

const KEY_USAGES: readonly KeyUsageName[] = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/**
 * The reading the validator follows where limbo marks two cases as contradicting each other
 * (conflicts_with): profile rfc5280 takes the CA/B Forum (web PKI) reading wherever it and RFC 5280
 * differ -- a non-critical nameConstraints is processed, a CA certificate in the leaf position and a
 * leaf without extendedKeyUsage are refused (docs/limbo.md) -- so of such a pair the webpki:: case
 * runs and the rfc5280:: case is skipped, as the feature rfc5280-incompatible-with-webpki is.
 */
export const FOLLOWED_NAMESPACE = 'webpki::';

/** Why a case is skipped, or undefined when it runs. */
export function skipReason(tc: LimboTestcase): string | undefined {
  for (const f of tc.features ?? []) {
    const why = UNSUPPORTED_FEATURES[f];
    if (why !== undefined) return `feature ${f}: ${why}`;
  }
  if (!tc.id.startsWith(FOLLOWED_NAMESPACE)) {
    const other = (tc.conflicts_with ?? []).find((c) => c.startsWith(FOLLOWED_NAMESPACE));
    if (other !== undefined) return `conflicts with ${other}: where RFC 5280 and the CA/B Forum differ, the validator follows the web PKI reading`;
  }
  for (const e of tc.extended_key_usage ?? []) {
    if (e !== 'serverAuth' && e !== 'clientAuth') return `extended_key_usage ${e}: only serverAuth/clientAuth purposes exist here`;
  }
  if ((tc.extended_key_usage ?? []).length > 1) return 'more than one required extended key usage';
  if (tc.validation_kind === 'CLIENT') {
    for (const n of tc.expected_peer_names ?? []) {
      if (n.kind !== 'RFC822') return `CLIENT peer name of kind ${n.kind}: only rfc822 user IDs are checked`;
    }
  }
  return undefined;
}

/** Runs one case; never throws for bad certificates (the validator does not). */
export function runLimboCase(tc: LimboTestcase): LimboOutcome {
  const expected = tc.expected_result as Verdict;
  const skip = skipReason(tc);
  if (skip !== undefined) return { id: tc.id, expected, got: undefined, reason: undefined, detail: '', skipped: skip };

  const purpose: Purpose = ((tc.extended_key_usage ?? [])[0] as Purpose | undefined) ?? (tc.validation_kind === 'CLIENT' ? 'clientAuth' : 'serverAuth');
  const mcd = tc.max_chain_depth ?? undefined;
  const base: ValidationOptions = {
    trustAnchors: pemCerts(tc.trusted_certs),
    intermediates: pemCerts(tc.untrusted_intermediates),
    time: tc.validation_time ? new Date(tc.validation_time) : new Date(),
    purpose,
    profile: 'rfc5280',
    ...(mcd !== undefined ? { maxIntermediates: mcd, maxDepth: Math.max(8, Math.min(mcd + 2, 64)) } : {}),
    ...((tc.key_usage ?? []).length > 0 ? { requiredKeyUsage: (tc.key_usage ?? []).filter((k): k is KeyUsageName => KEY_USAGES.includes(k as KeyUsageName)) } : {}),
    ...((tc.signature_algorithms ?? []).length > 0
      ? { allowedSignatureAlgorithms: (tc.signature_algorithms ?? []).flatMap((n) => (SIGNATURE_ALGORITHM_OIDS[n] ? [SIGNATURE_ALGORITHM_OIDS[n]!] : [])) }
      : {}),
    ...((tc.crls ?? []).length > 0 ? { crls: (tc.crls ?? []).flatMap((p) => pemBlocks(p, 'X509 CRL')) } : {}),
  };
  const presented = pemCerts([tc.peer_certificate]);
  // CLIENT: every expected rfc822 peer name must be in the leaf (one validation per name).
  const names = tc.validation_kind === 'CLIENT' ? (tc.expected_peer_names ?? []).map((n) => n.value) : [];
  const runs: (string | undefined)[] = names.length > 0 ? names : [undefined];
  for (const name of runs) {
    const r = validateChain(presented, name === undefined ? base : { ...base, expectedUserId: name });
    if (!r.ok) return { id: tc.id, expected, got: 'FAILURE', reason: r.reason, detail: r.detail, skipped: undefined };
  }
  return { id: tc.id, expected, got: 'SUCCESS', reason: undefined, detail: '', skipped: undefined };
}

export function runLimbo(file: LimboFile): LimboReport {
  const outcomes = file.testcases.map(runLimboCase);
  const ran = outcomes.filter((o) => o.skipped === undefined);
  const agreed = ran.filter((o) => o.got === o.expected).length;
  return {
    total: outcomes.length,
    agreed,
    disagreed: ran.length - agreed,
    skipped: outcomes.length - ran.length,
    agreementPercent: ran.length === 0 ? 0 : (100 * agreed) / ran.length,
    outcomes,
  };
}
