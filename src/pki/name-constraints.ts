// Name constraints, RFC 5280 section 4.2.1.10 and the path processing of 6.1.3 (b)/(c) and 6.1.4 (g).
// E2ED-CERT-20: "rfc822Name name constraints (permitted and excluded subtrees) honoured for the SAN
// rfc822Name (and any emailAddress in the subject DN)". Besides rfc822Name this module processes
// dNSName, iPAddress, directoryName and uniformResourceIdentifier; for any other name form it follows
// 4.2.1.10: "If a name constraints extension that is marked as critical imposes constraints on a
// particular name form, and an instance of that name form appears in the subject field or
// subjectAltName extension of a subsequent certificate, then the application MUST either process the
// constraint or reject the certificate" -- it rejects.
//
// Each constraining CA's extension is kept separately and every name must satisfy each of them: this is
// the same as RFC 5280's intersection of permitted subtrees and union of excluded subtrees.
import type { GeneralName, GeneralSubtree, NameConstraints, ParsedCertificate, ParsedName } from './cert-parse.js';

export type NameConstraintFailure = {
  reason: 'name-constraints-violated' | 'name-constraints-invalid' | 'name-constraints-too-complex';
  detail: string;
};

/** Upper bound on name-to-subtree comparisons per validation: keeps crafted certificates linear-time. */
export const MAX_NAME_CONSTRAINT_CHECKS = 1 << 14;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host name of LDH labels (RFC 1034 3.5, RFC 5890 A-labels included); no wildcard, no empty label. */
export function isValidHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name
    .toLowerCase()
    .split('.')
    .every((l) => LABEL.test(l));
}

/** A dNSName as it may appear in a certificate: a host name, optionally with a whole "*" leftmost label. */
export function isValidDnsSan(name: string): boolean {
  return name.startsWith('*.') ? isValidHostname(name.slice(2)) : isValidHostname(name);
}

function isContiguousMask(mask: Buffer): boolean {
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((byte >> bit) & 1) === 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

/** Why a subtree cannot be processed, or undefined when it is well-formed. */
function subtreeProblem(st: GeneralSubtree): string | undefined {
  if (!st.wellFormed) return 'GeneralSubtree with minimum/maximum (RFC 5280: minimum MUST be zero, maximum MUST be absent)';
  const b = st.base;
  switch (b.kind) {
    case 'dns':
      // 4.2.1.10: "any DNS name that can be constructed by simply adding zero or more labels to the
      // left-hand side of the name satisfies the name constraint": the base is a plain host name
      // (or empty, matching everything); wildcards and leading periods are not DNS names.
      return b.value === '' || isValidHostname(b.value) ? undefined : `malformed dNSName constraint "${b.value}"`;
    case 'rfc822': {
      const v = b.value;
      // A particular mailbox is itself a Mailbox (4.2.1.10; syntax as in 4.2.1.6).
      if (v.includes('@')) return parseMailbox(v) !== undefined ? undefined : `malformed mailbox constraint "${v}"`;
      const host = v.startsWith('.') ? v.slice(1) : v;
      return isValidHostname(host) ? undefined : `malformed rfc822Name constraint "${v}"`;
    }
    case 'ip':
      // 4.2.1.10: "For IPv4 addresses, the iPAddress field of GeneralName MUST contain eight (8)
      // octets, encoded in the style of RFC 4632 (CIDR) ... For IPv6 addresses, ... 32 octets".
      if (b.bytes.length !== 8 && b.bytes.length !== 32) return `iPAddress constraint of ${b.bytes.length} octets`;
      return isContiguousMask(b.bytes.subarray(b.bytes.length / 2)) ? undefined : 'iPAddress constraint mask not in CIDR form';
    case 'uri': {
      const host = b.value.startsWith('.') ? b.value.slice(1) : b.value;
      return isValidHostname(host) ? undefined : `malformed URI constraint "${b.value}"`;
    }
    default:
      return undefined;
  }
}

/** Checks the syntax of one CA's name constraints; returns the failure or undefined. */
export function checkConstraintSyntax(nc: NameConstraints): NameConstraintFailure | undefined {
  for (const st of [...(nc.permitted ?? []), ...(nc.excluded ?? [])]) {
    const p = subtreeProblem(st);
    if (p !== undefined) return { reason: 'name-constraints-invalid', detail: p };
  }
  return undefined;
}

type NameKind = GeneralName['kind'];

function dnsMatches(name: string, base: string): boolean {
  if (base === '') return true;
  const n = name.toLowerCase();
  const c = base.toLowerCase();
  return n === c || n.endsWith('.' + c);
}

/** For excluded subtrees only: could the wildcard name "*.X" stand for a name inside the subtree? */
function wildcardMayMatch(name: string, base: string): boolean {
  if (!name.startsWith('*.')) return false;
  const parent = name.slice(2).toLowerCase();
  const c = base.toLowerCase();
  const dot = c.indexOf('.');
  return dot > 0 && c.slice(dot + 1) === parent;
}

/** How an rfc822Name (or emailAddress) is read for comparison; undefined: malformed. */
export type MailboxReader = (m: string) => Mailbox | undefined;

/** A mailbox split into its local part (as compared: quoting removed) and its domain (lower case). */
export interface Mailbox {
  local: string;
  domain: string;
}

// RFC 5322 3.2.3 atext: the characters of an unquoted local-part atom.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;

/**
 * RFC 5280 4.2.1.6: "When the subjectAltName extension contains an Internet mail address, the address
 * MUST be stored in the rfc822Name. The format of an rfc822Name is a "Mailbox" as defined in Section
 * 4.1.2 of [RFC2821]." Mailbox = Local-part "@" Domain, Local-part = Dot-string / Quoted-string
 * (RFC 5321 4.1.2), local part at most 64 octets (4.5.3.1.1), Domain of LDH labels (RFC 1034 3.5;
 * A-labels included, so IDNA domains are written as A-labels). An address-literal domain ("[...]")
 * names no host a constraint could describe and is refused here. The local part comes back as
 * compared: a Quoted-string stands for its content, so "\"a\"@x" is the mailbox a@x (RFC 5321 4.1.2).
 * Returns undefined for anything that is not a Mailbox: no or several unquoted "@", empty or
 * dot-leading/-trailing/-doubled atoms, unquoted specials or spaces, a non-LDH domain.
 */
export function parseMailbox(m: string): Mailbox | undefined {
  let local: string;
  let rest: string;
  if (m.startsWith('"')) {
    let i = 1;
    let content = '';
    for (; i < m.length; i++) {
      const ch = m.charCodeAt(i);
      if (ch === 0x22) break; // closing DQUOTE
      if (ch === 0x5c) {
        // quoted-pairSMTP = %d92 %d32-126
        const next = m.charCodeAt(i + 1);
        if (!(next >= 32 && next <= 126)) return undefined;
        content += m[i + 1];
        i++;
        continue;
      }
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126
      if (ch < 32 || ch > 126) return undefined;
      content += m[i];
    }
    if (i >= m.length || m[i + 1] !== '@') return undefined;
    if (i + 1 > 64) return undefined;
    local = content;
    rest = m.slice(i + 2);
  } else {
    const at = m.indexOf('@');
    if (at < 0) return undefined;
    local = m.slice(0, at);
    rest = m.slice(at + 1);
    if (local.length === 0 || local.length > 64) return undefined;
    if (!local.split('.').every((atom) => ATEXT.test(atom))) return undefined;
  }
  // Only one "@" outside the quotes: the domain is a plain host name.
  if (!isValidHostname(rest)) return undefined;
  return { local, domain: rest.toLowerCase() };
}

/**
 * 4.2.1.10: "A constraint MAY specify a particular mailbox, all addresses at a particular host, or all
 * mailboxes in a domain" -- "user@host" (local part exact: every character literal, an asterisk
 * included), "host", or ".domain" (any host inside it).
 */
function rfc822Matches(mailbox: Mailbox, base: string): boolean {
  if (base.includes('@')) {
    const c = parseMailbox(base);
    return c !== undefined && mailbox.local === c.local && mailbox.domain === c.domain;
  }
  const c = base.toLowerCase();
  // ".domain": "all mailboxes in a domain" -- hosts below it, never the domain itself.
  if (c.startsWith('.')) return mailbox.domain.endsWith(c);
  return mailbox.domain === c;
}

function ipMatches(addr: Buffer, base: Buffer): boolean {
  if (base.length !== addr.length * 2) return false;
  for (let i = 0; i < addr.length; i++) {
    const mask = base[addr.length + i]!;
    if ((addr[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

function rdnKey(rdn: ParsedName['rdns'][number]): string {
  return JSON.stringify(rdn.map((a) => [a.type, a.norm]));
}

/** 4.2.1.10: directoryName constraints match a Name whose leading RDNs equal the base's RDNs. */
function dirMatches(name: ParsedName, base: ParsedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  for (let i = 0; i < base.rdns.length; i++) if (rdnKey(base.rdns[i]!) !== rdnKey(name.rdns[i]!)) return false;
  return true;
}

/** The host of a URI with an authority (RFC 3986 3.2); undefined when there is none. */
function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  if (m === null || m[1] === undefined || m[1] === '' || m[1].startsWith('[')) return undefined;
  return m[1].toLowerCase();
}

interface Budget {
  left: number;
}

type Verdict = 'match' | 'no-match' | 'malformed' | 'unsupported';

function compare(name: GeneralName, base: GeneralName, excluded: boolean, readMailbox: MailboxReader): Verdict {
  switch (name.kind) {
    case 'dns': {
      if (base.kind !== 'dns') return 'no-match';
      if (!isValidDnsSan(name.value)) return 'malformed';
      if (dnsMatches(name.value, base.value)) return 'match';
      return excluded && wildcardMayMatch(name.value, base.value) ? 'match' : 'no-match';
    }
    case 'rfc822': {
      if (base.kind !== 'rfc822') return 'no-match';
      // 4.2.1.6: an rfc822Name is a Mailbox; one that is not cannot be shown inside or outside a
      // subtree, so it fails any rfc822Name constraint (as a malformed dNSName does).
      const mb = readMailbox(name.value);
      if (mb === undefined) return 'malformed';
      return rfc822Matches(mb, base.value) ? 'match' : 'no-match';
    }
    case 'ip':
      if (base.kind !== 'ip') return 'no-match';
      if (name.bytes.length !== 4 && name.bytes.length !== 16) return 'malformed';
      return ipMatches(name.bytes, base.bytes) ? 'match' : 'no-match';
    case 'directory':
      if (base.kind !== 'directory') return 'no-match';
      return dirMatches(name.name, base.name) ? 'match' : 'no-match';
    case 'uri': {
      if (base.kind !== 'uri') return 'no-match';
      const host = uriHost(name.value);
      if (host === undefined || !isValidHostname(host)) return 'malformed';
      const c = base.value.toLowerCase();
      // 4.2.1.10: for URIs "the constraint applies to the host part of the name ... When the constraint
      // begins with a period, it MAY be expanded with one or more subdomains".
      return (c.startsWith('.') ? host.endsWith(c) : host === c) ? 'match' : 'no-match';
    }
    default:
      return base.kind === name.kind ? 'unsupported' : 'no-match';
  }
}

function describe(n: GeneralName): string {
  switch (n.kind) {
    case 'dns':
    case 'rfc822':
    case 'uri':
      return `${n.kind}:${n.value}`;
    case 'ip':
      return `ip:${n.bytes.toString('hex')}`;
    case 'directory':
      return 'directoryName';
    default:
      return n.kind;
  }
}

/** The names of a certificate that name constraints apply to (4.2.1.10). */
export function constrainedNames(cert: ParsedCertificate): GeneralName[] {
  const names: GeneralName[] = [...(cert.subjectAltName?.names ?? [])];
  // "Restrictions of the form directoryName MUST be applied to the subject field in the certificate
  // (when the certificate includes a non-empty subject field)".
  if (cert.subject.rdns.length > 0) names.push({ kind: 'directory', name: cert.subject });
  // "When constraints are imposed on the rfc822Name name form, but the certificate does not include a
  // subject alternative name, the rfc822Name constraint MUST be applied to the attribute of type
  // emailAddress in the subject distinguished name." E2ED-CERT-20 applies it to any emailAddress.
  for (const e of cert.subjectEmails) names.push({ kind: 'rfc822', value: e });
  return names;
}

function groupByKind(nc: NameConstraints): Map<NameKind, { permitted: GeneralSubtree[]; excluded: GeneralSubtree[] }> {
  const m = new Map<NameKind, { permitted: GeneralSubtree[]; excluded: GeneralSubtree[] }>();
  const slot = (k: NameKind) => {
    let g = m.get(k);
    if (g === undefined) m.set(k, (g = { permitted: [], excluded: [] }));
    return g;
  };
  for (const st of nc.permitted ?? []) slot(st.base.kind).permitted.push(st);
  for (const st of nc.excluded ?? []) slot(st.base.kind).excluded.push(st);
  return m;
}

/** Checks one certificate's names against the constraints of the CAs above it. */
export function checkNames(
  cert: ParsedCertificate,
  constraints: readonly NameConstraints[],
  budget: Budget,
  readMailbox: MailboxReader = parseMailbox,
): NameConstraintFailure | undefined {
  if (constraints.length === 0) return undefined;
  const names = constrainedNames(cert);
  for (const nc of constraints) {
    const byKind = groupByKind(nc);
    for (const name of names) {
      const kind: NameKind = name.kind;
      const group = byKind.get(kind);
      const permitted = group?.permitted ?? [];
      const excluded = group?.excluded ?? [];
      budget.left -= 1 + permitted.length + excluded.length;
      if (budget.left < 0) {
        return { reason: 'name-constraints-too-complex', detail: `more than ${MAX_NAME_CONSTRAINT_CHECKS} name/constraint comparisons` };
      }
      for (const st of excluded) {
        const v = compare(name, st.base, true, readMailbox);
        if (v === 'match') return { reason: 'name-constraints-violated', detail: `${describe(name)} is in an excluded subtree` };
        if (v === 'malformed') return { reason: 'name-constraints-violated', detail: `${describe(name)} is malformed, cannot be shown outside excluded subtrees` };
        if (v === 'unsupported') return { reason: 'name-constraints-invalid', detail: `constraint on unprocessed name form ${kind}` };
      }
      if (permitted.length > 0) {
        let inside = false;
        for (const st of permitted) {
          const v = compare(name, st.base, false, readMailbox);
          if (v === 'unsupported') return { reason: 'name-constraints-invalid', detail: `constraint on unprocessed name form ${kind}` };
          if (v === 'malformed') return { reason: 'name-constraints-violated', detail: `${describe(name)} is malformed, cannot be shown inside permitted subtrees` };
          if (v === 'match') {
            inside = true;
            break;
          }
        }
        if (!inside) return { reason: 'name-constraints-violated', detail: `${describe(name)} is outside the permitted subtrees` };
      }
    }
  }
  return undefined;
}
