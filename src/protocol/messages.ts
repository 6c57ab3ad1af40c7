// Typed codec of every E2ED message (docs/spec.md, section 4 "E2ED messages" and section 11
// "Application messages"), namespace urn:sixchat:e2ed:1. Requirement ids are those of sections 3,
// 4 and 11.
//
// The decoder enforces syntax: child order and cardinality, fixed lengths, strict hex and base64,
// user-ID syntax, and the unknown-element rule. It keeps offered and selected version, method and
// cipher names as strings, registered or not: "Entries that are well-formed but unknown to the
// receiver MUST be ignored" (E2ED-HS-4) and "a selection that was not offered" (E2ED-XML-16) are
// decisions of the handshake, which knows what was offered and what it supports.
//
// The encoder writes what it is given without judging it, so the bench's adversary can build
// messages a correct peer would not send (both key materials, an unregistered method, ...).
import type { AlertLevel } from './alerts.js';
import { fromBase64, fromHex, toBase64, toHex } from './bytes.js';
import { invalidMessage, peerMisbehaved, type ProtocolError } from './errors.js';
import { parseUserId } from './identity.js';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './signature.js';
import {
  collectChildren, element, isCritical, parseXml, requireNoText, requiredAttribute, serializeXml, single,
  type ChildRule, type SerializeOptions, type XmlElement, type XmlLimits,
} from './xml.js';

export { SIGNATURE_ALGORITHMS, isSignatureAlgorithm, type SignatureAlgorithm } from './signature.js';
export { CIPHERS, isCipherName, type CipherName } from './record.js';

export const E2ED_NAMESPACE = 'urn:sixchat:e2ed:1';

/** Versions this bench defines, most preferred first ("1.0 is current. 0.9 is a defined legacy version"). */
export const VERSIONS = ['1.0', '0.9'] as const;
export type VersionName = (typeof VERSIONS)[number];
export const METHODS = ['x25519', 'p256', 'rsa-oaep'] as const;
export type MethodName = (typeof METHODS)[number];

export const isVersionName = (s: string): s is VersionName => (VERSIONS as readonly string[]).includes(s);
export const isMethodName = (s: string): s is MethodName => (METHODS as readonly string[]).includes(s);

export const NONCE_LENGTH = 32;
export const FINISHED_LENGTH = 32;
/** "x25519 (32 bytes hex) or p256 (65 bytes hex, uncompressed SEC1 point 04||X||Y)" */
export const KEY_SHARE_LENGTHS: Readonly<Record<string, number>> = Object.freeze({ x25519: 32, p256: 65 });
/** "Version 1..8", "Method 1..8", "Cipher 1..8" */
export const MAX_OFFERED = 8;
/** "Certificate 1..8 (the max chain depth is 8 including the leaf)" */
export const MAX_CHAIN_LENGTH = 8;
/** E2ED-HS-7: "each MUST decode to at most 16384 bytes of DER" */
export const MAX_CERTIFICATE_BYTES = 16384;
/** "text up to 65536 characters, may be empty" */
export const MAX_MESSAGE_TEXT_CHARS = 65536;
/** "optional text child <Reason> up to 256 chars" */
export const MAX_REASON_CHARS = 256;

// ---------------------------------------------------------------------------------------------
// Field syntax shared with the IRP codec (docs/spec.md, section 3.6 "Value encodings")
// ---------------------------------------------------------------------------------------------

const decodeError = (message: string, requirement?: string) => invalidMessage('decode_error', message, requirement);
const illegalParameter = (message: string, requirement?: string) => peerMisbehaved('illegal_parameter', message, requirement);

/** Message and request ids: "[A-Za-z0-9._-]{1,64}". */
export const ID_SYNTAX = /^[A-Za-z0-9._-]{1,64}$/;
/** Version strings: "values 1.0, 0.9, or other N.N strings". */
const VERSION_SYNTAX = /^[0-9]{1,3}\.[0-9]{1,3}$/;
/** E2ED-XML-27: "A token (names in offer lists, method, cipher and algorithm names) matches [A-Za-z0-9._-]{1,32}". */
export const NAME_TOKEN_SYNTAX = /^[A-Za-z0-9._-]{1,32}$/;
/** Alert section 4.5: "alert name ... matching [a-z_]{1,32}". */
const ALERT_CODE_SYNTAX = /^[a-z_]{1,32}$/;
// "RFC 3339 UTC with Z ... (fractional seconds allowed, up to 3 digits)"
const TIMESTAMP_SYNTAX = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,3})?Z$/;
const DECIMAL_SYNTAX = /^(?:0|[1-9][0-9]{0,14})$/;

export function isTimestamp(s: string): boolean {
  const m = TIMESTAMP_SYNTAX.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  // E2ED-XML-25: "the date MUST exist (month 01..12, day within the month, leap years counted)".
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= daysInMonth;
}

/** An RFC 3339 UTC timestamp in the spelling the spec allows (second precision, `Z`). */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

export function checkId(s: string, what: string): string {
  if (!ID_SYNTAX.test(s)) throw decodeError(`${what} must be [A-Za-z0-9._-]{1,64}`, 'E2ED-XML-28');
  return s;
}

export function checkTimestamp(s: string, what: string): string {
  if (!isTimestamp(s)) throw decodeError(`${what} must be an RFC 3339 UTC timestamp`, 'E2ED-XML-25');
  return s;
}

export function checkUserId(s: string, what: string): string {
  try {
    parseUserId(s);
  } catch (e) {
    throw decodeError(`${what}: ${(e as Error).message}`, 'E2ED-XML-23');
  }
  return s;
}

export function checkNameToken(s: string, what: string): string {
  if (!NAME_TOKEN_SYNTAX.test(s)) throw decodeError(`${what} must be a token [A-Za-z0-9._-]{1,32}`, 'E2ED-XML-27');
  return s;
}

/** "Decimal integers: 0|[1-9][0-9]*, within the field's stated range" (syntax: decode_error; range: illegal_parameter). */
export function parseDecimal(s: string, min: number, max: number, what: string): number {
  if (!/^(?:0|[1-9][0-9]*)$/.test(s)) throw decodeError(`${what} must be a decimal integer`, 'E2ED-XML-26');
  const n = DECIMAL_SYNTAX.test(s) ? Number(s) : Number.POSITIVE_INFINITY;
  if (n < min || n > max) throw illegalParameter(`${what} must be in ${min}..${max}`, 'E2ED-XML-26');
  return n;
}

/** Strict base64 that must not be empty (certificates, signatures, ciphertexts). */
export function nonEmptyBase64(s: string, what: string): Buffer {
  const b = fromBase64(s);
  if (b.length === 0) throw decodeError(`${what} must not be empty`, 'E2ED-XML-22');
  return b;
}

/**
 * Enum-valued attributes: a value that parses but is not one of the allowed ones is
 * illegal_parameter. With `later`, that fault is noted there instead of thrown (E2ED-HS-35:
 * syntax faults of the message come first) and the value is returned unchecked.
 */
export function checkEnum<T extends string>(s: string, allowed: readonly T[], what: string, requirement = 'E2ED-XML-16', later?: LaterFaults): T {
  if (!NAME_TOKEN_SYNTAX.test(s)) throw decodeError(`${what} is not a name token`, 'E2ED-XML-27');
  if (!(allowed as readonly string[]).includes(s)) {
    const fault = illegalParameter(`${what} must be one of ${allowed.join(', ')}`, requirement);
    if (later === undefined) throw fault;
    later.note(fault);
  }
  return s as T;
}

/**
 * E2ED-HS-35, the order within one message: every `decode_error` of the message first (the
 * message cannot be read), then a critical unknown element (`unsupported_extension`,
 * E2ED-XML-17), then a disallowed value of a well-formed field (`illegal_parameter`: an
 * enumeration value outside its set, E2ED-HS-2, -8, -10, E2ED-REC-11; a duplicated offer,
 * E2ED-HS-4). The decoder notes the last two kinds here while it goes on reading, and
 * `throwFirst` raises the one the order puts first once the whole message has been read.
 */
export class LaterFaults {
  private unsupported: ProtocolError | undefined;
  private illegal: ProtocolError | undefined;

  note(fault: ProtocolError): void {
    if (fault.alert === 'unsupported_extension') this.unsupported ??= fault;
    else this.illegal ??= fault;
  }

  throwFirst(): void {
    const first = this.unsupported ?? this.illegal;
    if (first !== undefined) throw first;
  }
}

/** Characters (code points): UTF-16 units less one per surrogate pair; counted only when it matters. */
function characterCount(s: string): number {
  const highSurrogates = s.match(/[\uD800-\uDBFF]/g);
  return s.length - (highSurrogates === null ? 0 : highSurrogates.length);
}

/** A string of at most `max` UTF-16 units has at most `max` characters: no need to count. */
function longerThanCharacters(s: string, max: number): boolean {
  return s.length > max && characterCount(s) > max;
}

// ---------------------------------------------------------------------------------------------
// Message types
// ---------------------------------------------------------------------------------------------

export interface KeyShare {
  /** The ECDHE method the share belongs to (kept as sent; the handshake checks it). */
  method: string;
  /** Raw public key: 32 bytes for x25519, 65 bytes (04||X||Y) for p256. */
  publicKey: Buffer;
}

/** The initiator's `Hello` (role="initiator"). Exactly one of keyShare / encryptedPremaster on decode. */
export interface InitiatorHello {
  kind: 'InitiatorHello';
  from: string;
  to: string;
  /** Offered versions in preference order, registered or not. */
  versions: string[];
  nonce: Buffer;
  methods: string[];
  keyShare?: KeyShare;
  /** RSA-OAEP ciphertext of the premaster, for method rsa-oaep. */
  encryptedPremaster?: Buffer;
  ciphers: string[];
  /** DER certificates, leaf first. */
  certificates: Buffer[];
}

/** The responder's `Hello` (role="responder"). */
export interface ResponderHello {
  kind: 'ResponderHello';
  from: string;
  to: string;
  version: string;
  method: string;
  cipher: string;
  nonce: Buffer;
  /** Present for ECDHE methods, absent for rsa-oaep. */
  keyShare?: KeyShare;
  certificates: Buffer[];
}

export interface CertificateVerify {
  kind: 'CertificateVerify';
  algorithm: SignatureAlgorithm;
  signature: Buffer;
}

export interface Finished {
  kind: 'Finished';
  verifyData: Buffer;
}

export interface Alert {
  kind: 'Alert';
  level: AlertLevel;
  /**
   * The alert name as sent. Usually an AlertName (check with isAlertName), but kept when
   * unknown: E2ED-ALERT-3 "A receiver MUST treat ... an unknown code as fatal".
   */
  code: string;
  reason?: string;
}

/** The application `Message` element. */
export interface AppMessage {
  kind: 'Message';
  id: string;
  timestamp: string;
  text: string;
}

export interface Receipt {
  kind: 'Receipt';
  id: string;
}

export interface Ping {
  kind: 'Ping';
  id: string;
}

export interface Pong {
  kind: 'Pong';
  id: string;
}

export interface KeyUpdate {
  kind: 'KeyUpdate';
  request: boolean;
}

/**
 * A root element this codec does not know. "Unknown root element: unexpected_message (in a
 * record: ignored unless critical="true" -> unsupported_extension)": the caller decides, as
 * only it knows where the message came from.
 */
export interface UnknownMessage {
  kind: 'Unknown';
  name: string;
  critical: boolean;
}

export type HandshakeMessage = InitiatorHello | ResponderHello | CertificateVerify | Finished;
export type ApplicationMessage = AppMessage | Receipt | Ping | Pong | KeyUpdate;
export type E2edMessage = HandshakeMessage | Alert | ApplicationMessage | UnknownMessage;
export type E2edKind = E2edMessage['kind'];

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const INITIATOR_HELLO_CHILDREN: readonly ChildRule[] = [
  { name: 'Version', min: 1, max: MAX_OFFERED },
  { name: 'Nonce', min: 1, max: 1 },
  { name: 'Method', min: 1, max: MAX_OFFERED },
  { name: 'KeyShare', min: 0, max: 1 },
  { name: 'EncryptedPremaster', min: 0, max: 1 },
  { name: 'Cipher', min: 1, max: MAX_OFFERED },
  { name: 'Certificate', min: 1, max: MAX_CHAIN_LENGTH },
];

const RESPONDER_HELLO_CHILDREN: readonly ChildRule[] = [
  { name: 'Nonce', min: 1, max: 1 },
  { name: 'KeyShare', min: 0, max: 1 },
  { name: 'Certificate', min: 1, max: MAX_CHAIN_LENGTH },
];

const ALERT_CHILDREN: readonly ChildRule[] = [{ name: 'Reason', min: 0, max: 1 }];
const NO_CHILDREN: readonly ChildRule[] = [];

/** Parses and decodes one E2ED message (plaintext frame payload or record plaintext). */
export function decodeE2ed(bytes: Uint8Array, limits?: Partial<XmlLimits>): E2edMessage {
  return decodeE2edElement(parseXml(bytes, E2ED_NAMESPACE, limits));
}

export function decodeE2edElement(root: XmlElement): E2edMessage {
  const later = new LaterFaults();
  const message = decodeRoot(root, later);
  later.throwFirst();
  return message;
}

function decodeRoot(root: XmlElement, later: LaterFaults): E2edMessage {
  switch (root.name) {
    case 'Hello':
      return decodeHello(root, later);
    case 'CertificateVerify':
      return decodeCertificateVerify(root, later);
    case 'Finished':
      return decodeFinished(root, later);
    case 'Alert':
      return decodeAlert(root, later);
    case 'Message':
      return decodeAppMessage(root, later);
    case 'Receipt':
    case 'Ping':
    case 'Pong':
      return decodeIdOnly(root, root.name, later);
    case 'KeyUpdate':
      return decodeKeyUpdate(root, later);
    default:
      return { kind: 'Unknown', name: root.name, critical: isCritical(root) };
  }
}

function decodeHello(root: XmlElement, later: LaterFaults): InitiatorHello | ResponderHello {
  const role = requiredAttribute(root, 'role');
  checkEnum(role, ['initiator', 'responder'] as const, 'Hello role', 'E2ED-HS-2', later);
  const from = checkUserId(requiredAttribute(root, 'from'), 'Hello from');
  const to = checkUserId(requiredAttribute(root, 'to'), 'Hello to');
  requireNoText(root);
  if (role === 'initiator') return decodeInitiatorHello(root, from, to, later);
  if (role === 'responder') return decodeResponderHello(root, from, to, later);
  // E2ED-HS-2: "The role selects which definition (4.1 or 4.2) the message is decoded with":
  // without one, the children cannot be judged, so the illegal role noted above is the fault.
  later.throwFirst();
  throw new Error('unreachable: an illegal role was noted');
}

function decodeInitiatorHello(root: XmlElement, from: string, to: string, later: LaterFaults): InitiatorHello {
  const found = collectChildren(root, INITIATOR_HELLO_CHILDREN, later);
  const keyShareEl = single(found, 'KeyShare');
  const premasterEl = single(found, 'EncryptedPremaster');
  // "Exactly one of KeyShare ... or EncryptedPremaster"
  if ((keyShareEl === undefined) === (premasterEl === undefined)) {
    throw decodeError('initiator Hello must carry exactly one of KeyShare and EncryptedPremaster', 'E2ED-HS-5');
  }
  const hello: InitiatorHello = {
    kind: 'InitiatorHello',
    from,
    to,
    versions: offerList(found, 'Version', checkVersion, later),
    nonce: decodeNonce(found, later),
    methods: offerList(found, 'Method', checkNameToken, later),
    ciphers: [],
    certificates: [],
  };
  if (keyShareEl !== undefined) hello.keyShare = decodeKeyShare(keyShareEl, later);
  if (premasterEl !== undefined) hello.encryptedPremaster = nonEmptyBase64(leafText(premasterEl, later), 'EncryptedPremaster');
  hello.ciphers = offerList(found, 'Cipher', checkNameToken, later);
  hello.certificates = decodeCertificates(found, later);
  return hello;
}

function decodeResponderHello(root: XmlElement, from: string, to: string, later: LaterFaults): ResponderHello {
  const version = checkVersion(requiredAttribute(root, 'version'), 'Hello version');
  const method = checkNameToken(requiredAttribute(root, 'method'), 'Hello method');
  const cipher = checkNameToken(requiredAttribute(root, 'cipher'), 'Hello cipher');
  const found = collectChildren(root, RESPONDER_HELLO_CHILDREN, later);
  const hello: ResponderHello = { kind: 'ResponderHello', from, to, version, method, cipher, nonce: decodeNonce(found, later), certificates: [] };
  const keyShareEl = single(found, 'KeyShare');
  if (keyShareEl !== undefined) hello.keyShare = decodeKeyShare(keyShareEl, later);
  hello.certificates = decodeCertificates(found, later);
  return hello;
}

function checkVersion(s: string, what: string): string {
  if (!VERSION_SYNTAX.test(s)) throw decodeError(`${what} must be an N.N version string`, 'E2ED-XML-27');
  return s;
}

/** E2ED-HS-4: "The same value appearing twice in one list is illegal_parameter" (noted, E2ED-HS-35). */
function offerList(found: Map<string, XmlElement[]>, name: string, check: (s: string, what: string) => string, later: LaterFaults): string[] {
  const values = leafTexts(found, name, later).map((v) => check(v, name));
  if (new Set(values).size !== values.length) later.note(illegalParameter(`the same ${name} is offered twice`, 'E2ED-HS-4'));
  return values;
}

/** Text of a leaf element; a child of it, if any, is judged by collectChildren (E2ED-XML-17). */
function leafText(el: XmlElement, later: LaterFaults): string {
  collectChildren(el, NO_CHILDREN, later);
  return el.text;
}

function leafTexts(found: Map<string, XmlElement[]>, name: string, later: LaterFaults): string[] {
  return (found.get(name) ?? []).map((el) => leafText(el, later));
}

function decodeNonce(found: Map<string, XmlElement[]>, later: LaterFaults): Buffer {
  // "Nonce exactly 1, 32 bytes hex"
  return fromHex(leafText(single(found, 'Nonce') as XmlElement, later), NONCE_LENGTH, 'E2ED-HS-3');
}

function decodeCertificates(found: Map<string, XmlElement[]>, later: LaterFaults): Buffer[] {
  return leafTexts(found, 'Certificate', later).map((c) => {
    const der = nonEmptyBase64(c, 'Certificate');
    if (der.length > MAX_CERTIFICATE_BYTES) throw decodeError(`Certificate larger than ${MAX_CERTIFICATE_BYTES} bytes`, 'E2ED-HS-7');
    return der;
  });
}

function decodeKeyShare(el: XmlElement, later: LaterFaults): KeyShare {
  const method = checkNameToken(requiredAttribute(el, 'method'), 'KeyShare method');
  const text = leafText(el, later);
  const expectedLength = KEY_SHARE_LENGTHS[method];
  const publicKey = fromHex(text, expectedLength, 'E2ED-HS-6');
  if (publicKey.length === 0) throw decodeError('KeyShare must not be empty', 'E2ED-HS-6');
  // E2ED-HS-6: "a p256 share whose first byte is not 0x04 (compressed 0x02/0x03 or hybrid
  // 0x06/0x07 encodings), is decode_error". Whether the point is on the curve is the key
  // exchange's check (E2ED-KS-9, illegal_parameter).
  if (method === 'p256' && publicKey[0] !== 0x04) throw decodeError('p256 KeyShare must be an uncompressed point (04||X||Y)', 'E2ED-HS-6');
  return { method, publicKey };
}

function decodeCertificateVerify(root: XmlElement, later: LaterFaults): CertificateVerify {
  // E2ED-HS-8: "The algorithm of a CertificateVerify that is not one of the three registered
  // names is illegal_parameter."
  const algorithm = checkEnum(requiredAttribute(root, 'algorithm'), SIGNATURE_ALGORITHMS, 'CertificateVerify algorithm', 'E2ED-HS-8', later);
  return { kind: 'CertificateVerify', algorithm, signature: nonEmptyBase64(leafText(root, later), 'CertificateVerify signature') };
}

function decodeFinished(root: XmlElement, later: LaterFaults): Finished {
  return { kind: 'Finished', verifyData: fromHex(leafText(root, later), FINISHED_LENGTH, 'E2ED-HS-9') };
}

function decodeAlert(root: XmlElement, later: LaterFaults): Alert {
  const level = checkEnum(requiredAttribute(root, 'level'), ['warning', 'fatal'] as const, 'Alert level', 'E2ED-HS-10', later);
  const code = requiredAttribute(root, 'code');
  if (!ALERT_CODE_SYNTAX.test(code)) throw decodeError('Alert code must match [a-z_]{1,32}');
  requireNoText(root);
  const found = collectChildren(root, ALERT_CHILDREN, later);
  const alert: Alert = { kind: 'Alert', level, code };
  const reasonEl = single(found, 'Reason');
  if (reasonEl !== undefined) {
    const reason = leafText(reasonEl, later);
    // E2ED-HS-10: "at most 256 characters": Unicode code points after entity decoding.
    if (characterCount(reason) > MAX_REASON_CHARS) throw decodeError(`Reason longer than ${MAX_REASON_CHARS} characters`, 'E2ED-HS-10');
    alert.reason = reason;
  }
  return alert;
}

function decodeAppMessage(root: XmlElement, later: LaterFaults): AppMessage {
  const id = checkId(requiredAttribute(root, 'id'), 'Message id');
  const timestamp = checkTimestamp(requiredAttribute(root, 'timestamp'), 'Message timestamp');
  const text = leafText(root, later);
  if (longerThanCharacters(text, MAX_MESSAGE_TEXT_CHARS)) {
    throw decodeError(`Message text longer than ${MAX_MESSAGE_TEXT_CHARS} characters`, 'E2ED-APP-1');
  }
  return { kind: 'Message', id, timestamp, text };
}

function decodeIdOnly(root: XmlElement, kind: 'Receipt' | 'Ping' | 'Pong', later: LaterFaults): Receipt | Ping | Pong {
  const id = checkId(requiredAttribute(root, 'id'), `${kind} id`);
  requireNoText(root);
  collectChildren(root, NO_CHILDREN, later);
  return { kind, id };
}

function decodeKeyUpdate(root: XmlElement, later: LaterFaults): KeyUpdate {
  // E2ED-REC-11: "another value is illegal_parameter, a missing one decode_error", as
  // E2ED-XML-16 says of any enumeration value outside its set.
  // Any other value, empty or not a token included: E2ED-XML-27's token syntax covers names in
  // offer lists, methods, ciphers and algorithms, not this attribute.
  const request = requiredAttribute(root, 'request');
  if (request !== 'true' && request !== 'false') {
    later.note(illegalParameter('KeyUpdate request must be one of true, false', 'E2ED-REC-11'));
  }
  requireNoText(root);
  collectChildren(root, NO_CHILDREN, later);
  return { kind: 'KeyUpdate', request: request === 'true' };
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** The XML bytes of `msg` (frame them separately). */
export function encodeE2ed(msg: E2edMessage, opts?: SerializeOptions): Buffer {
  return serializeXml(e2edToElement(msg), E2ED_NAMESPACE, opts);
}

export function e2edToElement(msg: E2edMessage): XmlElement {
  switch (msg.kind) {
    case 'InitiatorHello':
      return element('Hello', { role: 'initiator', from: msg.from, to: msg.to }, [
        ...msg.versions.map((v) => element('Version', {}, v)),
        element('Nonce', {}, toHex(msg.nonce)),
        ...msg.methods.map((m) => element('Method', {}, m)),
        ...(msg.keyShare !== undefined ? [keyShareElement(msg.keyShare)] : []),
        ...(msg.encryptedPremaster !== undefined ? [element('EncryptedPremaster', {}, toBase64(msg.encryptedPremaster))] : []),
        ...msg.ciphers.map((c) => element('Cipher', {}, c)),
        ...msg.certificates.map((c) => element('Certificate', {}, toBase64(c))),
      ]);
    case 'ResponderHello':
      return element(
        'Hello',
        { role: 'responder', from: msg.from, to: msg.to, version: msg.version, method: msg.method, cipher: msg.cipher },
        [
          element('Nonce', {}, toHex(msg.nonce)),
          ...(msg.keyShare !== undefined ? [keyShareElement(msg.keyShare)] : []),
          ...msg.certificates.map((c) => element('Certificate', {}, toBase64(c))),
        ],
      );
    case 'CertificateVerify':
      return element('CertificateVerify', { algorithm: msg.algorithm }, toBase64(msg.signature));
    case 'Finished':
      return element('Finished', {}, toHex(msg.verifyData));
    case 'Alert':
      return element('Alert', { level: msg.level, code: msg.code }, msg.reason !== undefined ? [element('Reason', {}, msg.reason)] : []);
    case 'Message':
      return element('Message', { id: msg.id, timestamp: msg.timestamp }, msg.text);
    case 'Receipt':
    case 'Ping':
    case 'Pong':
      return element(msg.kind, { id: msg.id });
    case 'KeyUpdate':
      return element('KeyUpdate', { request: msg.request ? 'true' : 'false' });
    case 'Unknown':
      return element(msg.name, { critical: msg.critical ? 'true' : undefined });
    default: {
      const unreachable: never = msg;
      throw new Error(`unknown message kind ${(unreachable as { kind: string }).kind}`);
    }
  }
}

function keyShareElement(share: KeyShare): XmlElement {
  return element('KeyShare', { method: share.method }, toHex(share.publicKey));
}
