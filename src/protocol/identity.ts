// User IDs (docs/spec.md, section 3.6 "Value encodings", user IDs): the identities both
// protocols name in `from`/`to`/`user` attributes and in the certificate's rfc822Name SAN.
import { invalidMessage } from './errors.js';

export interface UserId {
  local: string;
  domain: string;
}

// "local part [A-Za-z0-9._%+-]{1,64}"
const LOCAL_PART = /^[A-Za-z0-9._%+-]{1,64}$/;
// "domain LDH labels separated by dots": a label is 1..63 letters, digits or hyphens, and
// (RFC 1123 LDH rule) neither starts nor ends with a hyphen.
const LDH_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MIN_USER_ID_OCTETS = 3;
const MAX_USER_ID_OCTETS = 254;
const MAX_DOMAIN_OCTETS = 253;

/** A domain name of LDH labels separated by single dots, no trailing dot. */
export function isValidDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > MAX_DOMAIN_OCTETS) return false;
  return domain.split('.').every((label) => LDH_LABEL.test(label));
}

/** "an addr-spec local@domain, 3..254 octets of ASCII"; malformed: decode_error. */
export function parseUserId(s: string): UserId {
  // The character classes below are ASCII-only, so string length equals octet length.
  if (s.length < MIN_USER_ID_OCTETS || s.length > MAX_USER_ID_OCTETS) {
    throw invalidMessage('decode_error', `user ID must be ${MIN_USER_ID_OCTETS}..${MAX_USER_ID_OCTETS} octets`);
  }
  const at = s.indexOf('@');
  if (at < 0 || s.indexOf('@', at + 1) >= 0) throw invalidMessage('decode_error', 'user ID must contain exactly one "@"');
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (!LOCAL_PART.test(local)) throw invalidMessage('decode_error', 'user ID local part must be [A-Za-z0-9._%+-]{1,64}');
  if (!isValidDomain(domain)) throw invalidMessage('decode_error', 'user ID domain must be LDH labels separated by dots');
  return { local, domain };
}

export function isValidUserId(s: string): boolean {
  try {
    parseUserId(s);
    return true;
  } catch {
    return false;
  }
}

/** The domain part of a valid user ID (decode_error when `s` is not one). */
export function domainOf(s: string): string {
  return parseUserId(s).domain;
}

/** One spelling per identity: local part as given, domain in lower case. */
export function canonicalUserId(s: string): string {
  const { local, domain } = parseUserId(s);
  return `${local}@${domain.toLowerCase()}`;
}

/**
 * "compared case-sensitively on the local part and case-insensitively on the domain".
 * A malformed ID names no one, so it equals nothing (not even itself).
 */
export function sameUserId(a: string, b: string): boolean {
  return isValidUserId(a) && isValidUserId(b) && sameMailbox(a, b);
}

/**
 * The same comparison for any mailbox, user-ID syntax or not (x509-limbo's e-mail names, for one):
 * split at the last "@", local parts byte for byte, domains ASCII case-insensitively, no folding
 * of Unicode or look-alikes (E2ED-CERT-14).
 */
export function sameMailbox(a: string, b: string): boolean {
  const ia = a.lastIndexOf('@');
  const ib = b.lastIndexOf('@');
  if (ia <= 0 || ib <= 0) return false;
  const asciiLower = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  return a.slice(0, ia) === b.slice(0, ib) && asciiLower(a.slice(ia + 1)) === asciiLower(b.slice(ib + 1));
}

/** Domain names compare case-insensitively (ASCII only, as LDH labels are). */
export function sameDomain(a: string, b: string): boolean {
  return isValidDomain(a) && isValidDomain(b) && a.toLowerCase() === b.toLowerCase();
}
