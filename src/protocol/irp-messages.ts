// Typed codec of every IRP request and response, and of the two documents the registry signs
// (docs/spec.md chapter 14), namespace urn:sixchat:irp:1.
// The XML rules of chapter 3 apply unchanged (IRP-FRAME-2); decoding failures are ProtocolErrors
// (decode_error for syntax, illegal_parameter for disallowed values) that the registry answers
// with `Error code="bad_request"` (IRP-FRAME-5) and a client treats as a failed operation
// (IRP-FRAME-8).
//
// Some root names serve both directions (`Capabilities`, `CaCertificates`), and `Status` names
// both a request and the signed document, so a decoder is always told which side it reads.
import { concat, fromHex, toBase64, toHex } from './bytes.js';
import { invalidMessage } from './errors.js';
import { isValidDomain } from './identity.js';
import {
  checkEnum, checkId, checkNameToken, checkTimestamp, checkUserId, nonEmptyBase64, parseDecimal, MAX_CERTIFICATE_BYTES,
} from './messages.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './signature.js';
import {
  collectChildren, element, isCritical, optionalAttribute, parseXml, requireNoText, requiredAttribute, serializeXml, single,
  type ChildRule, type XmlElement, type XmlLimits,
} from './xml.js';

export const IRP_NAMESPACE = 'urn:sixchat:irp:1';

/** The request root names of chapter 14 (IRP-CAP-3: what a Capabilities answer lists). */
export const IRP_OPERATIONS = [
  'Capabilities', 'Login', 'Enroll', 'AuthBegin', 'AuthProve', 'Register', 'Lookup', 'CaCertificates', 'Revoke', 'Status',
] as const;
export type IrpOperation = (typeof IRP_OPERATIONS)[number];

/** Error codes of section 14.2; "A client MUST treat an unknown code like internal" (IRP-FRAME-7). */
export const IRP_ERROR_CODES = [
  'bad_request', 'unauthenticated', 'forbidden', 'not_found', 'rate_limited', 'conflict', 'unsupported', 'internal',
] as const;
export type IrpErrorCode = (typeof IRP_ERROR_CODES)[number];
export const isIrpErrorCode = (s: string): s is IrpErrorCode => (IRP_ERROR_CODES as readonly string[]).includes(s);

export const CA_CERTIFICATE_ROLES = ['root', 'intermediate', 'registry'] as const;
export type CaCertificateRole = (typeof CA_CERTIFICATE_ROLES)[number];
export const CERTIFICATE_STATUSES = ['good', 'revoked', 'unknown'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** The signature contexts: signed content = context || 0x00 || bytes. */
export const IRP_SIGNATURE_CONTEXT = Object.freeze({
  record: 'IRP 1.0 record signature',
  status: 'IRP 1.0 status signature',
  clientAuthentication: 'IRP 1.0 client authentication',
});

export const CHALLENGE_LENGTH = 32;
export const STATUS_NONCE_LENGTH = 32;
/** IRP-LOGIN-1: "password (1..256 characters)" */
export const MAX_PASSWORD_CHARS = 256;
/** IRP-FRAME-7: "optionally text of at most 256 characters" */
export const MAX_ERROR_TEXT_CHARS = 256;
/** Serial syntax (14.10): "1..20 bytes (2..40 hex digits)" */
export const MAX_SERIAL_BYTES = 20;
export const MAX_IRP_CHAIN_LENGTH = 8;
export const MAX_CA_CERTIFICATES = 16;

const decodeError = (message: string) => invalidMessage('decode_error', message);

// ---------------------------------------------------------------------------------------------
// Field syntax specific to IRP
// ---------------------------------------------------------------------------------------------

const ERROR_CODE_SYNTAX = /^[a-z_]{1,32}$/;
// IRP-REG-3: "an IPv4 dotted quad without leading zeros"
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 8 16-bit groups of an IPv6 address in any RFC 4291 text form (zone ids excluded), or null. */
function parseIpv6(s: string): number[] | null {
  let text = s;
  // A trailing dotted quad (RFC 4291 2.2, form 3) stands for the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const dotted = s.slice(lastColon + 1);
    if (!IPV4.test(dotted)) return null;
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const parts = half.split(':');
    return parts.every((p) => IPV6_GROUP.test(p)) ? parts.map((p) => Number.parseInt(p, 16)) : null;
  };
  const before = groupsOf(halves[0] as string);
  const after = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (before === null || after === null) return null;
  if (halves.length === 1) return before.length === 8 ? before : null;
  // "::" stands for one or more groups of zeros.
  const missing = 8 - before.length - after.length;
  return missing >= 1 ? [...before, ...new Array<number>(missing).fill(0), ...after] : null;
}

/**
 * RFC 5952 text of an IPv6 address: lower case, no leading zeros, the longest run (the first
 * of equal runs) of two or more zero groups as "::", and the mixed notation for IPv4-mapped
 * addresses (RFC 5952 section 5).
 */
function formatIpv6(groups: number[]): string {
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const hexGroups = mapped ? groups.slice(0, 6) : groups;
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < hexGroups.length;) {
    if (hexGroups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < hexGroups.length && hexGroups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  let text = bestStart < 0
    ? hex(hexGroups)
    : `${hex(hexGroups.slice(0, bestStart))}::${hex(hexGroups.slice(bestStart + bestLength))}`;
  if (mapped) {
    const high = groups[6] as number;
    const low = groups[7] as number;
    const v4 = [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
    text = text.endsWith(':') ? `${text}${v4}` : `${text}:${v4}`;
  }
  return text;
}

/** The RFC 5952 canonical text of an IPv6 address written in any valid form, or null. */
export function canonicalIpv6(s: string): string | null {
  const groups = parseIpv6(s);
  return groups === null ? null : formatIpv6(groups);
}

/** IRP-REG-3: "an IPv6 address in RFC 5952 canonical text or an IPv4 dotted quad without leading zeros". */
export function isCanonicalAddress(s: string): boolean {
  return IPV4.test(s) || canonicalIpv6(s) === s;
}

function checkAddress(s: string, what: string): string {
  if (!isCanonicalAddress(s)) throw decodeError(`${what} must be canonical IPv6 (RFC 5952) or a dotted-quad IPv4 address`);
  return s;
}

function checkPort(s: string, what: string): number {
  return parseDecimal(s, 1, 65535, what);
}

/**
 * Serial syntax (14.10): "the certificate serialNumber as an unsigned big-endian integer in its
 * shortest form (no leading zero byte), in lower-case hex with two digits per byte, 1..20 bytes".
 */
export function checkSerial(s: string, what = 'serial'): string {
  const bytes = fromHex(s);
  if (bytes.length < 1 || bytes.length > MAX_SERIAL_BYTES) throw decodeError(`${what} must be 1..${MAX_SERIAL_BYTES} bytes`);
  if (bytes[0] === 0) throw decodeError(`${what} must be in its shortest form (no leading zero byte)`);
  return s;
}

/** The serial syntax of a certificate serialNumber given as unsigned big-endian bytes (any leading zeros dropped). */
export function serialFromBytes(bytes: Uint8Array): string {
  let k = 0;
  while (k < bytes.length - 1 && bytes[k] === 0) k++;
  return toHex(bytes.subarray(k));
}

function characterCount(s: string): number {
  let count = 0;
  for (const _ of s) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Message types
// ---------------------------------------------------------------------------------------------

export interface CapabilitiesRequest { kind: 'CapabilitiesRequest'; id: string }
export interface LoginRequest { kind: 'Login'; id: string; user: string; password: string }
export interface EnrollRequest { kind: 'Enroll'; id: string; /** DER PKCS #10 */ csr: Buffer }
export interface AuthBeginRequest { kind: 'AuthBegin'; id: string; user: string }
export interface AuthProveRequest {
  kind: 'AuthProve';
  id: string;
  algorithm: SignatureAlgorithm;
  /** DER, leaf first. */
  certificates: Buffer[];
  signature: Buffer;
}
export interface RegisterRequest { kind: 'Register'; id: string; address: string; port: number }
export interface LookupRequest { kind: 'Lookup'; id: string; user: string }
export interface CaCertificatesRequest { kind: 'CaCertificatesRequest'; id: string }
export interface RevokeRequest { kind: 'Revoke'; id: string; serial: string }
export interface StatusRequest { kind: 'StatusRequest'; id: string; serial: string; nonce: Buffer }

export interface CapabilitiesResponse {
  kind: 'Capabilities';
  id: string;
  /** Operation names, registered or not (a client uses only those it knows). */
  operations: string[];
  versions: number[];
  domains: string[];
}
export interface LoggedInResponse { kind: 'LoggedIn'; id: string; user: string }
export interface EnrolledResponse { kind: 'Enrolled'; id: string; certificates: Buffer[] }
export interface AuthChallengeResponse { kind: 'AuthChallenge'; id: string; challenge: Buffer }
export interface AuthenticatedResponse { kind: 'Authenticated'; id: string; user: string }
export interface RegisteredResponse { kind: 'Registered'; id: string; timestamp: string }
export interface LookupResultResponse {
  kind: 'LookupResult';
  id: string;
  /** The exact bytes of the signed Record document (decode with decodeRecordDocument). */
  record: Buffer;
  algorithm: SignatureAlgorithm;
  signature: Buffer;
}
export interface CaCertificate { role: CaCertificateRole; der: Buffer }
export interface CaCertificatesResponse { kind: 'CaCertificates'; id: string; certificates: CaCertificate[] }
export interface RevokedResponse { kind: 'Revoked'; id: string; serial: string }
export interface StatusResultResponse {
  kind: 'StatusResult';
  id: string;
  /** The exact bytes of the signed Status document (decode with decodeStatusDocument). */
  status: Buffer;
  algorithm: SignatureAlgorithm;
  signature: Buffer;
}
export interface IrpError {
  kind: 'Error';
  /** Absent when the request's id could not be read (IRP-FRAME-1, IRP-FRAME-5). */
  id?: string;
  /** Usually an IrpErrorCode; an unknown one is kept and means `internal` (IRP-FRAME-7). */
  code: string;
  text: string;
}

/** A root this side of the protocol does not know; a registry answers `unsupported` (IRP-FRAME-6). */
export interface IrpUnknown {
  kind: 'Unknown';
  name: string;
  critical: boolean;
  /** The root's id when it has a well-formed one, for the answer. */
  id?: string;
}

export type IrpRequest =
  | CapabilitiesRequest | LoginRequest | EnrollRequest | AuthBeginRequest | AuthProveRequest | RegisterRequest
  | LookupRequest | CaCertificatesRequest | RevokeRequest | StatusRequest;
export type IrpResponse =
  | CapabilitiesResponse | LoggedInResponse | EnrolledResponse | AuthChallengeResponse | AuthenticatedResponse
  | RegisteredResponse | LookupResultResponse | CaCertificatesResponse | RevokedResponse | StatusResultResponse | IrpError;
export type IrpMessage = IrpRequest | IrpResponse | IrpUnknown;
export type IrpDirection = 'request' | 'response';

/** The signed document inside a LookupResult (section 14.7). */
export interface IrpRecord {
  user: string;
  address: string;
  port: number;
  timestamp: string;
  serial: string;
  certificates: Buffer[];
}

/** The signed document inside a StatusResult (section 14.11). */
export interface IrpStatusDocument {
  serial: string;
  status: CertificateStatus;
  nonce: Buffer;
  timestamp: string;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const NO_CHILDREN: readonly ChildRule[] = [];
const CHAIN: ChildRule = { name: 'Certificate', min: 1, max: MAX_IRP_CHAIN_LENGTH };
const SIGNED_ANSWER_CHILDREN = (document: string): readonly ChildRule[] => [
  { name: document, min: 1, max: 1 },
  { name: 'Signature', min: 1, max: 1 },
];

export function decodeIrp(bytes: Uint8Array, direction: IrpDirection, limits?: Partial<XmlLimits>): IrpMessage {
  const root = parseXml(bytes, IRP_NAMESPACE, limits);
  return direction === 'request' ? decodeRequestElement(root) : decodeResponseElement(root);
}

/** What the registry reads: a request, or Unknown for a root that is no operation. */
export function decodeIrpRequest(bytes: Uint8Array, limits?: Partial<XmlLimits>): IrpRequest | IrpUnknown {
  return decodeRequestElement(parseXml(bytes, IRP_NAMESPACE, limits));
}

/** What a client reads: a response, or Unknown for any other root. */
export function decodeIrpResponse(bytes: Uint8Array, limits?: Partial<XmlLimits>): IrpResponse | IrpUnknown {
  return decodeResponseElement(parseXml(bytes, IRP_NAMESPACE, limits));
}

/**
 * The id of a request that failed to decode, when the document parses and its root carries a
 * well-formed id: "carrying the request's id when it could be read, no id otherwise" (IRP-FRAME-5).
 */
export function readableRequestId(bytes: Uint8Array): string | undefined {
  try {
    return wellFormedId(parseXml(bytes, IRP_NAMESPACE));
  } catch {
    return undefined;
  }
}

function wellFormedId(root: XmlElement): string | undefined {
  const id = optionalAttribute(root, 'id');
  try {
    return id === undefined ? undefined : checkId(id, 'id');
  } catch {
    return undefined;
  }
}

function unknown(root: XmlElement): IrpUnknown {
  const result: IrpUnknown = { kind: 'Unknown', name: root.name, critical: isCritical(root) };
  const id = wellFormedId(root);
  if (id !== undefined) result.id = id;
  return result;
}

/** IRP-FRAME-3: "Every request root MUST carry an id"; the response carries the same id. */
function requestId(root: XmlElement): string {
  return checkId(requiredAttribute(root, 'id'), `${root.name} id`);
}

function emptyElement(root: XmlElement): void {
  requireNoText(root);
  collectChildren(root, NO_CHILDREN);
}

function leafText(el: XmlElement): string {
  collectChildren(el, NO_CHILDREN);
  return el.text;
}

function certificatesOf(found: Map<string, XmlElement[]>): Buffer[] {
  return (found.get('Certificate') ?? []).map((el) => certificate(leafText(el)));
}

function certificate(text: string): Buffer {
  const der = nonEmptyBase64(text, 'Certificate');
  if (der.length > MAX_CERTIFICATE_BYTES) throw decodeError(`Certificate larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  return der;
}

function signatureOf(found: Map<string, XmlElement[]>): { algorithm: SignatureAlgorithm; signature: Buffer } {
  const el = single(found, 'Signature') as XmlElement;
  const algorithm = checkEnum(requiredAttribute(el, 'algorithm'), SIGNATURE_ALGORITHMS, 'Signature algorithm');
  return { algorithm, signature: nonEmptyBase64(leafText(el), 'Signature') };
}

function decodeRequestElement(root: XmlElement): IrpRequest | IrpUnknown {
  switch (root.name) {
    case 'Capabilities': {
      const id = requestId(root);
      emptyElement(root);
      return { kind: 'CapabilitiesRequest', id };
    }
    case 'Login': {
      const id = requestId(root);
      const user = checkUserId(requiredAttribute(root, 'user'), 'Login user');
      const password = requiredAttribute(root, 'password');
      const length = characterCount(password);
      if (length < 1 || length > MAX_PASSWORD_CHARS) throw decodeError(`Login password must be 1..${MAX_PASSWORD_CHARS} characters`);
      emptyElement(root);
      return { kind: 'Login', id, user, password };
    }
    case 'Enroll': {
      const id = requestId(root);
      requireNoText(root);
      const found = collectChildren(root, [{ name: 'Csr', min: 1, max: 1 }]);
      return { kind: 'Enroll', id, csr: nonEmptyBase64(leafText(single(found, 'Csr') as XmlElement), 'Csr') };
    }
    case 'AuthBegin': {
      const id = requestId(root);
      const user = checkUserId(requiredAttribute(root, 'user'), 'AuthBegin user');
      emptyElement(root);
      return { kind: 'AuthBegin', id, user };
    }
    case 'AuthProve': {
      const id = requestId(root);
      // IRP-AUTH-2: "algorithm (as in section 5.5)"; E2ED-HS-8 makes an unregistered name illegal_parameter.
      const algorithm = checkEnum(requiredAttribute(root, 'algorithm'), SIGNATURE_ALGORITHMS, 'AuthProve algorithm');
      requireNoText(root);
      const found = collectChildren(root, [CHAIN, { name: 'Signature', min: 1, max: 1 }]);
      const certificates = certificatesOf(found);
      const signature = nonEmptyBase64(leafText(single(found, 'Signature') as XmlElement), 'AuthProve Signature');
      return { kind: 'AuthProve', id, algorithm, certificates, signature };
    }
    case 'Register': {
      const id = requestId(root);
      const address = checkAddress(requiredAttribute(root, 'address'), 'Register address');
      const port = checkPort(requiredAttribute(root, 'port'), 'Register port');
      emptyElement(root);
      return { kind: 'Register', id, address, port };
    }
    case 'Lookup': {
      const id = requestId(root);
      const user = checkUserId(requiredAttribute(root, 'user'), 'Lookup user');
      emptyElement(root);
      return { kind: 'Lookup', id, user };
    }
    case 'CaCertificates': {
      const id = requestId(root);
      emptyElement(root);
      return { kind: 'CaCertificatesRequest', id };
    }
    case 'Revoke': {
      const id = requestId(root);
      const serial = checkSerial(requiredAttribute(root, 'serial'), 'Revoke serial');
      emptyElement(root);
      return { kind: 'Revoke', id, serial };
    }
    case 'Status': {
      const id = requestId(root);
      const serial = checkSerial(requiredAttribute(root, 'serial'), 'Status serial');
      const nonce = fromHex(requiredAttribute(root, 'nonce'), STATUS_NONCE_LENGTH);
      emptyElement(root);
      return { kind: 'StatusRequest', id, serial, nonce };
    }
    default:
      return unknown(root);
  }
}

function decodeResponseElement(root: XmlElement): IrpResponse | IrpUnknown {
  switch (root.name) {
    case 'Capabilities': {
      const id = requestId(root);
      requireNoText(root);
      // Section 14.3: "Operation 1..32 (token ...), Version 1..8 (decimal integer), Domain 1..16".
      const found = collectChildren(root, [
        { name: 'Operation', min: 1, max: 32 },
        { name: 'Version', min: 1, max: 8 },
        { name: 'Domain', min: 1, max: 16 },
      ]);
      const texts = (name: string): string[] => (found.get(name) ?? []).map(leafText);
      return {
        kind: 'Capabilities',
        id,
        operations: texts('Operation').map((o) => checkNameToken(o, 'Operation')),
        versions: texts('Version').map((v) => parseDecimal(v, 0, 2 ** 31 - 1, 'Version')),
        domains: texts('Domain').map((d) => {
          if (!isValidDomain(d)) throw decodeError('Domain must be LDH labels separated by dots');
          return d;
        }),
      };
    }
    case 'LoggedIn':
    case 'Authenticated': {
      const id = requestId(root);
      const user = checkUserId(requiredAttribute(root, 'user'), `${root.name} user`);
      emptyElement(root);
      return { kind: root.name, id, user };
    }
    case 'Enrolled': {
      const id = requestId(root);
      requireNoText(root);
      return { kind: 'Enrolled', id, certificates: certificatesOf(collectChildren(root, [CHAIN])) };
    }
    case 'AuthChallenge': {
      const id = requestId(root);
      return { kind: 'AuthChallenge', id, challenge: fromHex(leafText(root), CHALLENGE_LENGTH) };
    }
    case 'Registered': {
      const id = requestId(root);
      const timestamp = checkTimestamp(requiredAttribute(root, 'timestamp'), 'Registered timestamp');
      emptyElement(root);
      return { kind: 'Registered', id, timestamp };
    }
    case 'LookupResult': {
      const id = requestId(root);
      requireNoText(root);
      const found = collectChildren(root, SIGNED_ANSWER_CHILDREN('Record'));
      const record = nonEmptyBase64(leafText(single(found, 'Record') as XmlElement), 'Record');
      return { kind: 'LookupResult', id, record, ...signatureOf(found) };
    }
    case 'CaCertificates': {
      const id = requestId(root);
      requireNoText(root);
      const found = collectChildren(root, [{ name: 'Certificate', min: 1, max: MAX_CA_CERTIFICATES }]);
      const certificates = (found.get('Certificate') ?? []).map((el) => ({
        role: checkEnum(requiredAttribute(el, 'role'), CA_CERTIFICATE_ROLES, 'Certificate role'),
        der: certificate(leafText(el)),
      }));
      return { kind: 'CaCertificates', id, certificates };
    }
    case 'Revoked': {
      const id = requestId(root);
      const serial = checkSerial(requiredAttribute(root, 'serial'), 'Revoked serial');
      emptyElement(root);
      return { kind: 'Revoked', id, serial };
    }
    case 'StatusResult': {
      const id = requestId(root);
      requireNoText(root);
      const found = collectChildren(root, SIGNED_ANSWER_CHILDREN('Status'));
      const status = nonEmptyBase64(leafText(single(found, 'Status') as XmlElement), 'Status');
      return { kind: 'StatusResult', id, status, ...signatureOf(found) };
    }
    case 'Error': {
      const idText = optionalAttribute(root, 'id');
      const code = requiredAttribute(root, 'code');
      if (!ERROR_CODE_SYNTAX.test(code)) throw decodeError('Error code must match [a-z_]{1,32}');
      const text = leafText(root);
      if (characterCount(text) > MAX_ERROR_TEXT_CHARS) throw decodeError(`Error text longer than ${MAX_ERROR_TEXT_CHARS} characters`);
      const error: IrpError = { kind: 'Error', code, text };
      if (idText !== undefined) error.id = checkId(idText, 'Error id');
      return error;
    }
    default:
      return unknown(root);
  }
}

/** Decodes the bytes of a signed Record document (IRP-LOOKUP-4: "root Record, IRP namespace"). */
export function decodeRecordDocument(bytes: Uint8Array): IrpRecord {
  const root = parseXml(bytes, IRP_NAMESPACE);
  if (root.name !== 'Record') throw decodeError(`signed record has root <${root.name}>, not <Record>`);
  const user = checkUserId(requiredAttribute(root, 'user'), 'Record user');
  const address = checkAddress(requiredAttribute(root, 'address'), 'Record address');
  const port = checkPort(requiredAttribute(root, 'port'), 'Record port');
  const timestamp = checkTimestamp(requiredAttribute(root, 'timestamp'), 'Record timestamp');
  const serial = checkSerial(requiredAttribute(root, 'serial'), 'Record serial');
  requireNoText(root);
  const certificates = certificatesOf(collectChildren(root, [CHAIN]));
  return { user, address, port, timestamp, serial, certificates };
}

/** Decodes the bytes of a signed Status document (IRP-STATUS-5: "decodes under section 3 with root Status"). */
export function decodeStatusDocument(bytes: Uint8Array): IrpStatusDocument {
  const root = parseXml(bytes, IRP_NAMESPACE);
  if (root.name !== 'Status') throw decodeError(`signed status has root <${root.name}>, not <Status>`);
  const serial = checkSerial(requiredAttribute(root, 'serial'), 'Status serial');
  const status = checkEnum(requiredAttribute(root, 'status'), CERTIFICATE_STATUSES, 'Status status');
  const nonce = fromHex(requiredAttribute(root, 'nonce'), STATUS_NONCE_LENGTH);
  const timestamp = checkTimestamp(requiredAttribute(root, 'timestamp'), 'Status timestamp');
  emptyElement(root);
  return { serial, status, nonce, timestamp };
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** The XML bytes of `msg` (frame them separately). */
export function encodeIrp(msg: IrpMessage): Buffer {
  return serializeXml(irpToElement(msg), IRP_NAMESPACE);
}

const chainElements = (certificates: Buffer[]): XmlElement[] => certificates.map((c) => element('Certificate', {}, toBase64(c)));

export function irpToElement(msg: IrpMessage): XmlElement {
  switch (msg.kind) {
    case 'CapabilitiesRequest':
      return element('Capabilities', { id: msg.id });
    case 'Login':
      return element('Login', { id: msg.id, user: msg.user, password: msg.password });
    case 'Enroll':
      return element('Enroll', { id: msg.id }, [element('Csr', {}, toBase64(msg.csr))]);
    case 'AuthBegin':
      return element('AuthBegin', { id: msg.id, user: msg.user });
    case 'AuthProve':
      return element('AuthProve', { id: msg.id, algorithm: msg.algorithm }, [
        ...chainElements(msg.certificates),
        element('Signature', {}, toBase64(msg.signature)),
      ]);
    case 'Register':
      return element('Register', { id: msg.id, address: msg.address, port: String(msg.port) });
    case 'Lookup':
      return element('Lookup', { id: msg.id, user: msg.user });
    case 'CaCertificatesRequest':
      return element('CaCertificates', { id: msg.id });
    case 'Revoke':
      return element('Revoke', { id: msg.id, serial: msg.serial });
    case 'StatusRequest':
      return element('Status', { id: msg.id, serial: msg.serial, nonce: toHex(msg.nonce) });
    case 'Capabilities':
      return element('Capabilities', { id: msg.id }, [
        ...msg.operations.map((o) => element('Operation', {}, o)),
        ...msg.versions.map((v) => element('Version', {}, String(v))),
        ...msg.domains.map((d) => element('Domain', {}, d)),
      ]);
    case 'LoggedIn':
    case 'Authenticated':
      return element(msg.kind, { id: msg.id, user: msg.user });
    case 'Enrolled':
      return element('Enrolled', { id: msg.id }, chainElements(msg.certificates));
    case 'AuthChallenge':
      return element('AuthChallenge', { id: msg.id }, toHex(msg.challenge));
    case 'Registered':
      return element('Registered', { id: msg.id, timestamp: msg.timestamp });
    case 'LookupResult':
      return element('LookupResult', { id: msg.id }, [
        element('Record', {}, toBase64(msg.record)),
        element('Signature', { algorithm: msg.algorithm }, toBase64(msg.signature)),
      ]);
    case 'CaCertificates':
      return element('CaCertificates', { id: msg.id }, msg.certificates.map((c) => element('Certificate', { role: c.role }, toBase64(c.der))));
    case 'Revoked':
      return element('Revoked', { id: msg.id, serial: msg.serial });
    case 'StatusResult':
      return element('StatusResult', { id: msg.id }, [
        element('Status', {}, toBase64(msg.status)),
        element('Signature', { algorithm: msg.algorithm }, toBase64(msg.signature)),
      ]);
    case 'Error':
      return element('Error', { id: msg.id, code: msg.code }, msg.text);
    case 'Unknown':
      return element(msg.name, { id: msg.id, critical: msg.critical ? 'true' : undefined });
    default: {
      const unreachable: never = msg;
      throw new Error(`unknown IRP message kind ${(unreachable as { kind: string }).kind}`);
    }
  }
}

/** The exact bytes of a Record document: what the registry signs and base64-encodes into LookupResult. */
export function encodeRecordDocument(record: IrpRecord): Buffer {
  return serializeXml(
    element(
      'Record',
      { user: record.user, address: record.address, port: String(record.port), timestamp: record.timestamp, serial: record.serial },
      chainElements(record.certificates),
    ),
    IRP_NAMESPACE,
  );
}

/** The exact bytes of a Status document: what the registry signs and base64-encodes into StatusResult. */
export function encodeStatusDocument(status: IrpStatusDocument): Buffer {
  return serializeXml(
    element('Status', { serial: status.serial, status: status.status, nonce: toHex(status.nonce), timestamp: status.timestamp }),
    IRP_NAMESPACE,
  );
}

// ---------------------------------------------------------------------------------------------
// Signed content
// ---------------------------------------------------------------------------------------------

const signedContent = (context: string, bytes: Uint8Array): Buffer => concat(Buffer.from(context, 'ascii'), Buffer.from([0]), bytes);

/** "IRP 1.0 record signature" || 0x00 || recordBytes (section 14.7). */
export function recordSignedContent(recordBytes: Uint8Array): Buffer {
  return signedContent(IRP_SIGNATURE_CONTEXT.record, recordBytes);
}

/** "IRP 1.0 status signature" || 0x00 || statusBytes (section 14.11). */
export function statusSignedContent(statusBytes: Uint8Array): Buffer {
  return signedContent(IRP_SIGNATURE_CONTEXT.status, statusBytes);
}

/** "IRP 1.0 client authentication" || 0x00 || challenge (32 raw bytes, section 14.6). */
export function clientAuthenticationSignedContent(challenge: Uint8Array): Buffer {
  return signedContent(IRP_SIGNATURE_CONTEXT.clientAuthentication, challenge);
}
