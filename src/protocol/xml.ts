// The hardened XML codec shared by E2ED and IRP (docs/spec.md chapter 3, "XML rules";
// docs/spec.md, section 3 "XML rules"). Errors carry the E2ED-XML-n id they enforce.
//
// Decoding runs in layers, each refusing with decode_error:
//   1. strict UTF-8 (TextDecoder fatal) and the XML Char production over the whole text;
//   2. a pre-scan of the raw text (our own, small tokenizer) that refuses what the spec forbids
//      before any parser sees it: DOCTYPE, entity declarations, CDATA, processing instructions
//      other than a leading XML declaration, undefined entity references, prefixed names, and
//      the size limits (depth, attributes, elements, name and value lengths);
//   3. fast-xml-parser's XMLValidator for well-formedness (mismatched or unclosed tags,
//      duplicate attributes, ...), so the tree below is never built from a repaired document;
//   4. fast-xml-parser (preserveOrder, processEntities off) for the tree, cross-checked element
//      by element against the pre-scan; the references are then decoded here, by the five
//      predefined entities and numeric character references only.
// Serialisation is deterministic: attributes in the order given, no XML declaration, no
// indentation, empty elements self-closed.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { invalidMessage, peerIncompatible, ProtocolError } from './errors.js';
import { isAscii, isUtf8 } from 'node:buffer';
import { scanScratch } from './byte-scan.js';
import {
  containsAnyAscii,
  findIllegalXmlByte,
  findXmlClassByte,
  XML_TEXT_TO_DECODE,
  XML_TEXT_TO_DECODE_BUT_AMPERSAND,
  XML_TEXT_TO_ESCAPE,
} from './xml-chars.js';

export interface XmlElement {
  name: string;
  /** Attributes in document order, references decoded; the `xmlns` attribute is not included. */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Character data of a leaf element (references decoded); '' for an element with children. */
  text: string;
}

export interface XmlLimits {
  /** "element depth 8 (the root is depth 1)" */
  maxDepth: number;
  /** "attributes per element 16" (an `xmlns` attribute counts) */
  maxAttributes: number;
  /** "elements per message 256" */
  maxElements: number;
  /** "text of one node 1 MiB" (UTF-8 octets) */
  maxTextBytes: number;
  /** "attribute value 4096 octets" (UTF-8 octets of the decoded value) */
  maxAttributeValueBytes: number;
  /** "element/attribute name 64 octets" */
  maxNameBytes: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 8,
  maxAttributes: 16,
  maxElements: 256,
  maxTextBytes: 1048576,
  maxAttributeValueBytes: 4096,
  maxNameBytes: 64,
});

/** decode_error, with the docs/spec.md requirement id the check enforces. */
const decodeError = (message: string, requirement?: string): ProtocolError =>
  invalidMessage('decode_error', message, requirement);

// ---------------------------------------------------------------------------------------------
// Characters, names and references (XML 1.0 fifth edition, productions 2, 4, 4a, 5, 66, 67, 68)
// ---------------------------------------------------------------------------------------------

// [2] Char: anything outside it (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF) is refused.
// In a well-formed string (no lone surrogate: every surrogate is half of a pair, a character from
// U+10000 up) that is exactly the UTF-16 units below, and a plain regular expression over units is
// many times faster than a Unicode-mode one over code points.
const ILLEGAL_XML_UNIT = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const hasIllegalXmlChar = (s: string): boolean => !s.isWellFormed() || ILLEGAL_XML_UNIT.test(s);
const NAME_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// [5] Name without ':' -- "no prefixes" (a colon is refused with its own message before this test).
const XML_NAME_UNICODE = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');
/** An ASCII subset of the Name production, every name this project writes: tested first, without Unicode mode. */
const ASCII_XML_NAME = /^[A-Z_a-z][A-Za-z0-9._-]*$/;
const XML_NAME = { test: (name: string): boolean => ASCII_XML_NAME.test(name) || XML_NAME_UNICODE.test(name) };
const XML_WHITESPACE = /^[ \t\n\r]*$/;
// E2ED-XML-2: "MUST have version="1.0", optionally encoding="UTF-8" (value compared ASCII
// case-insensitively) and optionally standalone="yes" or standalone="no"".
const S = '[ \\t\\n\\r]';
const Q = `["']`;
const XML_DECLARATION = new RegExp(
  `^<\\?xml${S}+version${S}*=${S}*(${Q})1\\.0\\1` +
    `(?:${S}+encoding${S}*=${S}*(${Q})[Uu][Tt][Ff]-8\\2)?` +
    `(?:${S}+standalone${S}*=${S}*(${Q})(?:yes|no)\\3)?${S}*\\?>`,
);
// E2ED-XML-11: "an element or attribute name containing `:` is decode_error, except the
// attributes xml:lang and xml:space, which are ignored".
const IGNORED_PREFIXED_ATTRIBUTES = new Set(['xml:lang', 'xml:space']);

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function isWhitespaceChar(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** UTF-8 octets of one code point. */
const utf8Length = (cp: number): number => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/**
 * Refuses any `&` that does not start a predefined entity or a reference to a legal XML char, and
 * returns the UTF-8 octets the raw text will have once its references are decoded and its CRLF
 * pairs read as LF, computed without decoding anything (E2ED-XML-9: sizes are checked before any
 * expansion). `rawBytes` is the UTF-8 length of `raw`. One pass, no allocation per reference.
 */
function scanReferences(raw: string, rawBytes: number, where: string): number {
  let size = rawBytes;
  for (let at = raw.indexOf('&'); at >= 0; at = raw.indexOf('&', at)) {
    const m = readReference(raw, at);
    if (m < 0) throw decodeError(`${where}: only the five predefined entities and character references are allowed`, 'E2ED-XML-4');
    const cp = m & CODE_POINT_MASK;
    if (cp === NOT_XML_CHAR) throw decodeError(`${where}: character reference to a character XML does not allow`, 'E2ED-XML-4');
    size -= (m >>> LENGTH_SHIFT) - utf8Length(cp);
    at += m >>> LENGTH_SHIFT;
  }
  // End-of-line handling turns each CRLF into one LF before anything else reads the text.
  for (let at = raw.indexOf('\r\n'); at >= 0; at = raw.indexOf('\r\n', at + 2)) size -= 1;
  return size;
}

const PREDEFINED_NAMES = ['lt', 'gt', 'amp', 'quot', 'apos'] as const;
const PREDEFINED_CODES: Record<(typeof PREDEFINED_NAMES)[number], number> = { lt: 0x3c, gt: 0x3e, amp: 0x26, quot: 0x22, apos: 0x27 };

/** readReference's answer packs the reference's length above the code point (21 bits), so no object is made per reference. */
const LENGTH_SHIFT = 21;
const CODE_POINT_MASK = (1 << LENGTH_SHIFT) - 1;
/** The code point field of a reference to a character XML does not allow. */
const NOT_XML_CHAR = CODE_POINT_MASK;

/**
 * The reference starting at raw[at] (an `&`): (length << LENGTH_SHIFT) | the code point it denotes
 * (NOT_XML_CHAR for a character XML does not allow), or -1 when it is none of "&lt; &gt; &amp;
 * &quot; &apos; &#N; &#xH;" (at most 10 decimal or 8 hex digits, as before).
 */
function readReference(raw: string, at: number): number {
  if (raw.charCodeAt(at + 1) !== 0x23 /* # */) {
    for (const name of PREDEFINED_NAMES) {
      if (raw.startsWith(name, at + 1) && raw.charCodeAt(at + 1 + name.length) === 0x3b) return ((name.length + 2) << LENGTH_SHIFT) | PREDEFINED_CODES[name];
    }
    return -1;
  }
  const hex = raw.charCodeAt(at + 2) === 0x78; /* x */
  const first = at + (hex ? 3 : 2);
  let i = first;
  let cp = 0;
  for (; i - first < (hex ? 8 : 10); i++) {
    const c = raw.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : hex && c >= 0x61 && c <= 0x66 ? c - 0x57 : hex && c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) break;
    cp = cp * (hex ? 16 : 10) + digit;
  }
  if (i === first || raw.charCodeAt(i) !== 0x3b /* ; */) return -1;
  return ((i + 1 - at) << LENGTH_SHIFT) | (isXmlChar(cp) ? cp : NOT_XML_CHAR);
}

/**
 * Decodes references already checked by scanReferences: one pass into one buffer of the decoded
 * size (`decodedBytes` when the caller has it), so the cost is linear in the text with no object
 * per reference (a 1 MiB run of `&#x41;` was 70 MB of garbage through a replace callback).
 */
function decodeReferences(raw: string, decodedBytes?: number): string {
  let at = raw.indexOf('&');
  if (at < 0) return raw;
  const out = Buffer.allocUnsafe(decodedBytes ?? Buffer.byteLength(raw, 'utf8'));
  let written = 0;
  let from = 0;
  while (at >= 0) {
    if (at > from) written += out.write(raw.slice(from, at), written, 'utf8');
    const m = readReference(raw, at);
    written += writeCodePoint(out, written, m & CODE_POINT_MASK);
    from = at + (m >>> LENGTH_SHIFT);
    at = raw.indexOf('&', from);
  }
  if (from < raw.length) written += out.write(raw.slice(from), written, 'utf8');
  return out.toString('utf8', 0, written);
}

function writeCodePoint(out: Buffer, at: number, cp: number): number {
  if (cp < 0x80) {
    out[at] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[at + 2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  out[at] = 0xf0 | (cp >> 18);
  out[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[at + 3] = 0x80 | (cp & 0x3f);
  return 4;
}

function checkName(name: string, limits: XmlLimits, isAttribute: boolean): void {
  if (Buffer.byteLength(name, 'utf8') > limits.maxNameBytes) {
    throw decodeError(`name longer than ${limits.maxNameBytes} octets`, 'E2ED-XML-8');
  }
  if (isAttribute && IGNORED_PREFIXED_ATTRIBUTES.has(name)) return;
  if (name.includes(':')) throw decodeError(`prefixed name "${name}": no namespace prefixes are allowed`, 'E2ED-XML-11');
  if (!XML_NAME.test(name)) throw decodeError(`"${name}" is not an XML name`, 'E2ED-XML-1');
}

// ---------------------------------------------------------------------------------------------
// Pre-scan: the raw text, before any parser
// ---------------------------------------------------------------------------------------------

interface ScannedElement {
  name: string;
  attributeNames: string[];
  /** [start, end) in the document of each run of character data directly inside the element. */
  texts: Array<[number, number]>;
}

/**
 * Walks the raw document once and returns its start tags in document order. It refuses every
 * construct the spec forbids and enforces the structural limits, so that neither the validator
 * nor the parser ever runs on a DOCTYPE, an entity declaration or an oversized document.
 */
function prescan(doc: string, limits: XmlLimits): ScannedElement[] {
  const n = doc.length;
  let i = 0;
  if (doc.startsWith('<?xml') && isWhitespaceChar(doc[5])) {
    const m = XML_DECLARATION.exec(doc);
    if (m === null) throw decodeError('XML declaration must be <?xml version="1.0" encoding="UTF-8"?> (encoding optional)', 'E2ED-XML-2');
    i = m[0].length;
  }
  const open: string[] = [];
  /** Index in `elements` of each element in `open`. */
  const openIndex: number[] = [];
  const elements: ScannedElement[] = [];
  let rootSeen = false;

  const skipWhitespace = (): boolean => {
    const start = i;
    while (i < n && isWhitespaceChar(doc[i])) i++;
    return i > start;
  };
  const readName = (isAttribute = false): string => {
    const start = i;
    while (i < n && !isWhitespaceChar(doc[i]) && doc[i] !== '/' && doc[i] !== '>' && doc[i] !== '=' && doc[i] !== '<') i++;
    const name = doc.slice(start, i);
    if (name.length === 0) throw decodeError('missing name in markup', 'E2ED-XML-1');
    checkName(name, limits, isAttribute);
    return name;
  };

  while (i < n) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const text = doc.slice(i, textEnd);
      if (open.length === 0) {
        if (!XML_WHITESPACE.test(text)) throw decodeError('character data outside the root element', 'E2ED-XML-1');
      } else {
        if (text.includes(']]>')) throw decodeError('"]]>" in character data', 'E2ED-XML-1');
        // E2ED-XML-8/-9: the size the text will have, known before anything is decoded.
        if (scanReferences(text, Buffer.byteLength(text, 'utf8'), 'character data') > limits.maxTextBytes) {
          throw decodeError(`text node longer than ${limits.maxTextBytes} octets`, 'E2ED-XML-8');
        }
        elements[openIndex[openIndex.length - 1]!]!.texts.push([i, textEnd]);
      }
    }
    if (lt < 0) break;
    i = lt;

    if (doc.startsWith('<!--', i)) {
      // Comments are ignored, but must be well-formed: no "--" inside, not ending in "-".
      const end = doc.indexOf('-->', i + 4);
      if (end < 0) throw decodeError('unterminated comment', 'E2ED-XML-1');
      const body = doc.slice(i + 4, end);
      if (body.includes('--') || body.endsWith('-')) throw decodeError('"--" inside a comment', 'E2ED-XML-1');
      i = end + 3;
      continue;
    }
    if (doc.startsWith('<![CDATA[', i)) throw decodeError('CDATA sections are not allowed', 'E2ED-XML-3');
    if (doc.startsWith('<!DOCTYPE', i)) throw decodeError('DOCTYPE is not allowed', 'E2ED-XML-3');
    if (doc.startsWith('<!ENTITY', i)) throw decodeError('entity declarations are not allowed', 'E2ED-XML-3');
    if (doc.startsWith('<!', i)) throw decodeError('markup declarations are not allowed', 'E2ED-XML-3');
    if (doc.startsWith('<?', i)) throw decodeError('processing instructions are not allowed (only a leading XML declaration)', 'E2ED-XML-3');

    if (doc.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWhitespace();
      if (doc[i] !== '>') throw decodeError(`malformed end tag </${name}`, 'E2ED-XML-1');
      i++;
      const expected = open.pop();
      openIndex.pop();
      if (expected !== name) throw decodeError(`end tag </${name}> does not close <${expected ?? ''}>`, 'E2ED-XML-1');
      continue;
    }

    // A start tag or an empty-element tag.
    if (rootSeen && open.length === 0) throw decodeError('more than one root element', 'E2ED-XML-1');
    i++;
    const name = readName();
    const depth = open.length + 1;
    if (depth > limits.maxDepth) throw decodeError(`element depth above ${limits.maxDepth}`, 'E2ED-XML-8');
    if (elements.length + 1 > limits.maxElements) throw decodeError(`more than ${limits.maxElements} elements`, 'E2ED-XML-8');
    const attributeNames: string[] = [];
    let selfClosing = false;
    for (;;) {
      const spaced = skipWhitespace();
      if (i >= n) throw decodeError(`unterminated start tag <${name}`, 'E2ED-XML-1');
      if (doc[i] === '>') {
        i++;
        break;
      }
      if (doc.startsWith('/>', i)) {
        i += 2;
        selfClosing = true;
        break;
      }
      if (!spaced) throw decodeError(`attributes of <${name}> must be separated by whitespace`, 'E2ED-XML-1');
      const attribute = readName(true);
      if (attributeNames.includes(attribute)) throw decodeError(`duplicate attribute ${attribute} on <${name}>`, 'E2ED-XML-14');
      attributeNames.push(attribute);
      if (attributeNames.length > limits.maxAttributes) throw decodeError(`more than ${limits.maxAttributes} attributes on <${name}>`, 'E2ED-XML-8');
      skipWhitespace();
      if (doc[i] !== '=') throw decodeError(`attribute ${attribute} on <${name}> has no value`, 'E2ED-XML-1');
      i++;
      skipWhitespace();
      const quote = doc[i];
      if (quote !== '"' && quote !== "'") throw decodeError(`attribute ${attribute} on <${name}> is not quoted`, 'E2ED-XML-1');
      const end = doc.indexOf(quote, i + 1);
      if (end < 0) throw decodeError(`unterminated value of attribute ${attribute}`, 'E2ED-XML-1');
      const value = doc.slice(i + 1, end);
      if (value.includes('<')) throw decodeError(`"<" in the value of attribute ${attribute}`, 'E2ED-XML-1');
      // E2ED-XML-8/-9: the decoded size is checked here, before the parser and before decoding.
      if (scanReferences(value, Buffer.byteLength(value, 'utf8'), `attribute ${attribute}`) > limits.maxAttributeValueBytes) {
        throw decodeError(`value of attribute ${attribute} longer than ${limits.maxAttributeValueBytes} octets`, 'E2ED-XML-8');
      }
      i = end + 1;
    }
    elements.push({ name, attributeNames, texts: [] });
    rootSeen = true;
    if (!selfClosing) {
      open.push(name);
      openIndex.push(elements.length - 1);
    }
  }
  if (open.length > 0) throw decodeError(`element <${open[open.length - 1] ?? ''}> is not closed`, 'E2ED-XML-1');
  if (!rootSeen) throw decodeError('no root element', 'E2ED-XML-1');
  return elements;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  // References are decoded here, after the pre-scan allowed only the predefined ones.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  removeNSPrefix: false,
  // Only after the pre-scan validated the declaration itself and refused every other PI.
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type ParsedNode = Record<string, unknown>;
const TEXT_KEY = '#text';
const ATTRIBUTES_KEY = ':@';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses one XML document whose root carries `xmlns="<namespace>"`. Throws ProtocolError
 * decode_error for anything the spec's XML rules refuse.
 */
export function parseXml(bytes: Uint8Array, namespace: string, limits: Partial<XmlLimits> = {}): XmlElement {
  const lim: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  const leaf = parseTextLeaf(bytes, namespace, lim);
  if (leaf !== null) return leaf;
  const doc = documentText(bytes);
  return parseShallowElement(doc, bytes, namespace, lim) ?? parseDocument(doc, namespace, lim);
}

/** The document as a string: valid UTF-8 of XML characters only. */
function documentText(bytes: Uint8Array): string {
  let doc: string;
  try {
    doc = decoder.decode(bytes);
  } catch {
    throw decodeError('message is not valid UTF-8', 'E2ED-XML-1');
  }
  // A byte order mark is kept by the decoder and then refused as text before the root.
  if (findIllegalXmlByte(bytes) >= 0) throw decodeError('character not allowed in XML', 'E2ED-XML-4');
  return doc;
}

// A shallow document: a root whose content is either plain text or a sequence of leaf children
// (whitespace between them allowed), ASCII names, plain attribute values, and text with nothing to
// decode or normalise (no markup, reference, carriage return or `>`). Every message this project
// sends has that shape: sticky regular expressions read the tags, and long text is checked with
// byte searches instead of being scanned character by character. Anything else, valid or not,
// takes the general path, so the fast path only ever returns what the general path would
// (test/protocol/xml-fast-path.test.ts).
const START_TAG = /<([A-Za-z][A-Za-z0-9._-]{0,63})((?: [A-Za-z][A-Za-z0-9._-]{0,63}="[^"<&\t\n\r]*")*)(\/>|>)/y;
const FLAT_ATTRIBUTE = / ([A-Za-z][A-Za-z0-9._-]{0,63})="([^"]*)"/g;
const SHALLOW_SEPARATOR = /[ \t\n]*/y;
const UNPLAIN_TEXT = /[<&>\r]/;

/** The attributes of a start tag, or null for anything the fast path leaves to the general one. */
function shallowAttributes(attributeText: string, isRoot: boolean, namespace: string, lim: XmlLimits): Record<string, string> | null {
  const attributes: Record<string, string> = {};
  if (attributeText === '') return isRoot ? null : attributes; // a root must carry xmlns
  let count = 0;
  let sawNamespace = false;
  FLAT_ATTRIBUTE.lastIndex = 0;
  for (let m = FLAT_ATTRIBUTE.exec(attributeText); m !== null; m = FLAT_ATTRIBUTE.exec(attributeText)) {
    const [, attrName, value] = m as unknown as [string, string, string];
    count++;
    if (PROTOTYPE_NAMES.has(attrName) || Object.prototype.hasOwnProperty.call(attributes, attrName)) return null;
    // A UTF-16 unit is at most 3 UTF-8 bytes: only a long value needs counting.
    if (value.length * 3 > lim.maxAttributeValueBytes && Buffer.byteLength(value, 'utf8') > lim.maxAttributeValueBytes) return null;
    if (attrName === 'xmlns') {
      if (!isRoot || sawNamespace || value !== namespace) return null;
      sawNamespace = true;
      continue;
    }
    attributes[attrName] = value;
  }
  if ((isRoot && !sawNamespace) || count > lim.maxAttributes) return null;
  return attributes;
}

/** Every name `in` an object literal before anything is stored in it (Object.prototype has no prototype). */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

function shallowName(name: string, lim: XmlLimits): boolean {
  // Names the general path refuses as prototype members are left to it.
  return !PROTOTYPE_NAMES.has(name) && name.length <= lim.maxNameBytes;
}

function parseShallowElement(doc: string, bytes: Uint8Array, namespace: string, lim: XmlLimits): XmlElement | null {
  START_TAG.lastIndex = 0;
  const m = START_TAG.exec(doc);
  if (m === null || lim.maxElements < 1 || lim.maxDepth < 1) return null;
  const [startTag, name, attributeText, close] = m as unknown as [string, string, string, string];
  if (!shallowName(name, lim)) return null;
  const attributes = shallowAttributes(attributeText, true, namespace, lim);
  if (attributes === null) return null;
  if (close === '/>') return startTag.length === doc.length ? { name, attributes, children: [], text: '' } : null;
  const endTag = `</${name}>`;
  const contentEnd = doc.length - endTag.length;
  if (!doc.endsWith(endTag) || contentEnd < startTag.length) return null;
  // Names and the end tag are ASCII; attribute values may not be, so count the start tag in bytes.
  const textStart = Buffer.byteLength(startTag, 'utf8');
  const textEnd = bytes.length - endTag.length;
  if (!containsAnyAscii(bytes, '<', textStart, textEnd)) {
    if (containsAnyAscii(bytes, '&>\r', textStart, textEnd) || textEnd - textStart > lim.maxTextBytes) return null;
    return { name, attributes, children: [], text: doc.slice(startTag.length, contentEnd) };
  }
  const children: XmlElement[] = [];
  let pos = startTag.length;
  for (;;) {
    SHALLOW_SEPARATOR.lastIndex = pos;
    SHALLOW_SEPARATOR.exec(doc);
    pos = SHALLOW_SEPARATOR.lastIndex;
    if (pos === contentEnd) break;
    START_TAG.lastIndex = pos;
    const c = START_TAG.exec(doc);
    if (c === null || children.length + 2 > lim.maxElements || lim.maxDepth < 2) return null;
    const [childTag, childName, childAttributeText, childClose] = c as unknown as [string, string, string, string];
    if (!shallowName(childName, lim)) return null;
    const childAttributes = shallowAttributes(childAttributeText, false, namespace, lim);
    if (childAttributes === null) return null;
    pos += childTag.length;
    let text = '';
    if (childClose === '>') {
      const lt = doc.indexOf('<', pos);
      const childEnd = `</${childName}>`;
      if (lt < 0 || lt >= contentEnd || !doc.startsWith(childEnd, lt)) return null;
      text = doc.slice(pos, lt);
      if (UNPLAIN_TEXT.test(text) || (text.length * 3 > lim.maxTextBytes && Buffer.byteLength(text, 'utf8') > lim.maxTextBytes)) return null;
      pos = lt + childEnd.length;
    }
    if (pos > contentEnd) return null;
    children.push({ name: childName, attributes: childAttributes, children: [], text });
  }
  return { name, attributes, children, text: '' };
}

/**
 * The commonest document of all, a root holding plain text only (every `Message`), read from the
 * bytes: the start tag is decoded and matched alone, and the text is checked by one byte scan
 * (XML_TEXT_TO_DECODE) and decoded once, as Latin-1 when it is ASCII. Like the shallow path it
 * returns null for anything else, valid or not, and the general path decides
 * (test/protocol/xml-fast-path.test.ts holds it to the general path's answers).
 */
function parseTextLeaf(bytes: Uint8Array, namespace: string, lim: XmlLimits): XmlElement | null {
  if (bytes.length === 0 || bytes[0] !== 0x3c || lim.maxElements < 1 || lim.maxDepth < 1) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = isAscii(buf);
  if (!ascii && !isUtf8(buf)) return null; // E2ED-XML-1's error comes from the general path
  const startTagEnd = buf.indexOf(0x3e) + 1;
  if (startTagEnd === 0) return null;
  const startTag = buf.toString(ascii ? 'latin1' : 'utf8', 0, startTagEnd);
  START_TAG.lastIndex = 0;
  const m = START_TAG.exec(startTag);
  if (m === null || m[0].length !== startTag.length || m[3] !== '>' || ILLEGAL_XML_UNIT.test(startTag)) return null; // decoded UTF-8: well formed
  const [, name, attributeText] = m as unknown as [string, string, string];
  const endTag = `</${name}>`; // an ASCII name (START_TAG), so one byte a character
  const textEnd = buf.length - endTag.length;
  // A document with children (a Hello, say) is known by its next '<' before any other work.
  if (textEnd < startTagEnd || buf.indexOf(0x3c, startTagEnd) !== textEnd || buf.toString('latin1', textEnd, buf.length) !== endTag) return null;
  if (!shallowName(name, lim)) return null;
  const attributes = shallowAttributes(attributeText, true, namespace, lim);
  if (attributes === null) return null;
  if (textEnd - startTagEnd > lim.maxTextBytes) return null;
  const special = findXmlClassByte(buf, XML_TEXT_TO_DECODE, startTagEnd, textEnd);
  if (special < 0) return { name, attributes, children: [], text: buf.toString(ascii ? 'latin1' : 'utf8', startTagEnd, textEnd) };
  // Text whose only markup is references (`&#x41;` a million times, say) is sized and then decoded
  // in one pass each, as the general path's pre-scan would, instead of going through the parser.
  if (buf[special] !== 0x26 || findXmlClassByte(buf, XML_TEXT_TO_DECODE_BUT_AMPERSAND, special, textEnd) >= 0) return null;
  const raw = buf.toString(ascii ? 'latin1' : 'utf8', startTagEnd, textEnd);
  const size = scanReferences(raw, textEnd - startTagEnd, 'character data');
  if (size > lim.maxTextBytes) throw decodeError(`text node longer than ${lim.maxTextBytes} octets`, 'E2ED-XML-8');
  return { name, attributes, children: [], text: decodeReferences(raw, size) };
}

/** The general path alone, without the flat fast path: the reference the fast path is tested against. */
export function parseXmlGeneral(bytes: Uint8Array, namespace: string, limits: Partial<XmlLimits> = {}): XmlElement {
  return parseDocument(documentText(bytes), namespace, { ...DEFAULT_XML_LIMITS, ...limits });
}

/** Runs of character data longer than this reach the validator and the parser shortened (see skeletonOf). */
const SKELETON_TEXT_RUN = 64;

/**
 * The document with every long run of character data inside an element cut to one character.
 * The pre-scan has checked those runs completely (characters, references, `]]>`, sizes) and the
 * text is taken from the document itself (toElement), so the validator and the parser only need
 * the markup: fast-xml-parser builds text one character at a time, ~40 MB of transient heap and
 * 160 ms for a 1 MiB frame of text behind a comment (E2ED-XML-9: no structure built in
 * proportion to what the limits are about to refuse, or to what the pre-scan already read).
 */
function skeletonOf(doc: string, scanned: ScannedElement[]): string {
  const long = scanned.flatMap((e) => e.texts.filter(([a, b]) => b - a > SKELETON_TEXT_RUN));
  if (long.length === 0) return doc;
  long.sort((x, y) => x[0] - y[0]);
  const parts: string[] = [];
  let from = 0;
  for (const [a, b] of long) {
    parts.push(doc.slice(from, a), 'x');
    from = b;
  }
  parts.push(doc.slice(from));
  return parts.join('');
}

function parseDocument(doc: string, namespace: string, lim: XmlLimits): XmlElement {
  const scanned = prescan(doc, lim);
  const skeleton = skeletonOf(doc, scanned);

  const validation = XMLValidator.validate(skeleton, { allowBooleanAttributes: false });
  if (validation !== true) throw decodeError(`malformed XML: ${validation.err.msg}`, 'E2ED-XML-1');
  let nodes: ParsedNode[];
  try {
    nodes = parser.parse(skeleton) as ParsedNode[];
  } catch (e) {
    throw decodeError(`malformed XML: ${(e as Error).message}`, 'E2ED-XML-1');
  }
  const roots = nodes.filter((node) => !(TEXT_KEY in node));
  if (roots.length !== 1) throw decodeError('exactly one root element is required', 'E2ED-XML-1');

  const state = { next: 0 };
  const root = toElement(doc, roots[0] as ParsedNode, scanned, state, lim, namespace, true);
  // The parser and the pre-scan must have seen the same elements: a difference means one of
  // them read the document differently, and neither reading can then be trusted.
  if (state.next !== scanned.length) throw decodeError('parser and pre-scan disagree on the element count', 'E2ED-XML-1');
  return root;
}

function toElement(
  doc: string,
  node: ParsedNode,
  scanned: ScannedElement[],
  state: { next: number },
  lim: XmlLimits,
  namespace: string,
  isRoot: boolean,
): XmlElement {
  const name = Object.keys(node).find((k) => k !== ATTRIBUTES_KEY);
  const expected = scanned[state.next];
  state.next++;
  if (name === undefined || expected === undefined || name !== expected.name) {
    throw decodeError('parser and pre-scan disagree on an element name', 'E2ED-XML-1');
  }
  const rawAttributes = (node[ATTRIBUTES_KEY] ?? {}) as Record<string, string>;
  const parsedNames = Object.keys(rawAttributes);
  if (parsedNames.length !== expected.attributeNames.length || parsedNames.some((a, k) => a !== expected.attributeNames[k])) {
    throw decodeError(`parser and pre-scan disagree on the attributes of <${name}>`, 'E2ED-XML-1');
  }

  const attributes: Record<string, string> = {};
  let xmlns: string | undefined;
  for (const attribute of parsedNames) {
    // Attribute-value normalisation (XML 1.0 section 3.3.3): literal TAB/LF/CR become spaces
    // (the parser already turned CRLF into LF); character references keep what they denote.
    const value = decodeReferences(String(rawAttributes[attribute]).replace(/[\t\n\r]/g, ' '));
    if (Buffer.byteLength(value, 'utf8') > lim.maxAttributeValueBytes) {
      throw decodeError(`value of attribute ${attribute} longer than ${lim.maxAttributeValueBytes} octets`, 'E2ED-XML-8');
    }
    if (attribute === 'xmlns') xmlns = value;
    else if (!IGNORED_PREFIXED_ATTRIBUTES.has(attribute)) attributes[attribute] = value;
  }
  // "the root carries xmlns=... as its default namespace ... Missing or other namespace:
  // decode_error". A descendant may only repeat the same default namespace.
  if (isRoot ? xmlns !== namespace : xmlns !== undefined && xmlns !== namespace) {
    throw decodeError(`<${name}> is not in namespace ${namespace}`, 'E2ED-XML-10');
  }

  const children: XmlElement[] = [];
  // The parser saw the skeleton (skeletonOf): the text comes from the runs the pre-scan found,
  // with end-of-line handling (CRLF and lone CR to LF) and references decoded.
  const runs = expected.texts.map(([a, b]) => doc.slice(a, b));
  for (const child of (node[name] ?? []) as ParsedNode[]) {
    if (!(TEXT_KEY in child)) children.push(toElement(doc, child, scanned, state, lim, namespace, false));
  }
  let text = children.length > 0 ? runs.join('') : runs.map((run) => decodeReferences(run.includes('\r') ? run.replace(/\r\n?/g, '\n') : run)).join('');
  if (children.length > 0) {
    // "Mixed content is not allowed except whitespace between elements."
    if (!XML_WHITESPACE.test(text)) throw decodeError(`mixed content in <${name}>`, 'E2ED-XML-6');
    text = '';
  } else if (Buffer.byteLength(text, 'utf8') > lim.maxTextBytes) {
    throw decodeError(`text of <${name}> longer than ${lim.maxTextBytes} octets`, 'E2ED-XML-8');
  }
  return { name, attributes, children, text };
}

// ---------------------------------------------------------------------------------------------
// Serialisation
// ---------------------------------------------------------------------------------------------

const TEXT_ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;',
  // A literal CR would be read back as LF (end-of-line handling), so it travels as a reference.
  '\r': '&#13;',
};
// In attribute values literal TAB/LF/CR would be normalised to spaces on reading.
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '\t': '&#9;', '\n': '&#10;' };

function serializationError(message: string): ProtocolError {
  // Only our own code builds the elements we serialise: a bad one is a local bug.
  return new ProtocolError('local', 'internal_error', message);
}

function escapeXml(s: string, escapes: Record<string, string>, pattern: RegExp): string {
  // A lone surrogate fails isWellFormed: it is outside every range of Char, so it is refused too.
  if (hasIllegalXmlChar(s)) throw serializationError('character not allowed in XML');
  pattern.lastIndex = 0; // a shared global pattern: test() leaves lastIndex behind
  return pattern.test(s) ? s.replace(pattern, (c) => escapes[c] as string) : s;
}

const TEXT_TO_ESCAPE = /[&<>"'\r]/g;
const ATTRIBUTE_TO_ESCAPE = /[&<>"'\t\n\r]/g;
const escapeText = (s: string): string => escapeXml(s, TEXT_ESCAPES, TEXT_TO_ESCAPE);
const escapeAttribute = (s: string): string => escapeXml(s, ATTRIBUTE_ESCAPES, ATTRIBUTE_TO_ESCAPE);

function checkSerializableName(name: string): void {
  if (name.includes(':') || !XML_NAME.test(name)) throw serializationError(`"${name}" is not an unprefixed XML name`);
}

/** How serializeXml hands its bytes over. */
export interface SerializeOptions {
  /**
   * The bytes may be a view of the scanner's scratch memory, valid only until the next call into
   * the XML codec: for a caller that consumes them at once (the record layer seals them). A long
   * Message is then built where it is checked, with no buffer of its own.
   */
  transient?: boolean;
}

/** Deterministic bytes of `el` with `xmlns="<namespace>"` on the root (UTF-8, no declaration). */
export function serializeXml(el: XmlElement, namespace: string, opts: SerializeOptions = {}): Buffer {
  return serializePlainLeaf(el, namespace, opts.transient === true) ?? serializeXmlGeneral(el, namespace);
}

/** The general serialiser alone: the reference the plain-leaf fast path is tested against. */
export function serializeXmlGeneral(el: XmlElement, namespace: string): Buffer {
  const out: string[] = [];
  writeElement(el, out, namespace);
  return Buffer.from(out.join(''), 'utf8');
}

/** Below this many characters of text the general path is as fast. */
const PLAIN_LEAF_MIN_TEXT = 1024;

/**
 * A leaf whose long text needs no escaping (the bulk of application data): the document is written
 * into the scanner's scratch memory (the text at most 3 bytes a UTF-16 unit) and the text checked
 * there as bytes (XML_TEXT_TO_ESCAPE), instead of being scanned by regular expressions as a string.
 * Same bytes as the general path; anything it would escape or refuse goes to it.
 */
function serializePlainLeaf(el: XmlElement, namespace: string, transient: boolean): Buffer | null {
  if (el.children.length > 0 || el.text.length < PLAIN_LEAF_MIN_TEXT || !el.text.isWellFormed()) return null;
  const out: string[] = [];
  writeStartTag(el, out, namespace);
  out.push('>');
  const head = out.join('');
  const tail = `</${el.name}>`;
  const headBytes = Buffer.byteLength(head, 'utf8');
  const tailBytes = Buffer.byteLength(tail, 'utf8');
  const scratch = scanScratch(headBytes + el.text.length * 3 + tailBytes);
  if (scratch === null) {
    const text = Buffer.from(el.text, 'utf8');
    if (findXmlClassByte(text, XML_TEXT_TO_ESCAPE) >= 0) return null;
    return Buffer.concat([Buffer.from(head, 'utf8'), text, Buffer.from(tail, 'utf8')]);
  }
  const textEnd = headBytes + scratch.write(el.text, headBytes, 'utf8');
  if (findXmlClassByte(scratch, XML_TEXT_TO_ESCAPE, headBytes, textEnd) >= 0) return null;
  scratch.write(head, 0, 'utf8');
  scratch.write(tail, textEnd, 'utf8');
  const doc = scratch.subarray(0, textEnd + tailBytes);
  return transient ? doc : Buffer.from(doc);
}

function writeStartTag(el: XmlElement, out: string[], namespace: string | undefined): void {
  checkSerializableName(el.name);
  out.push('<', el.name);
  if (namespace !== undefined) out.push(' xmlns="', escapeAttribute(namespace), '"');
  for (const [attribute, value] of Object.entries(el.attributes)) {
    if (attribute === 'xmlns') continue;
    checkSerializableName(attribute);
    out.push(' ', attribute, '="', escapeAttribute(value), '"');
  }
}

function writeElement(el: XmlElement, out: string[], namespace: string | undefined): void {
  writeStartTag(el, out, namespace);
  if (el.children.length === 0 && el.text === '') {
    out.push('/>');
    return;
  }
  out.push('>');
  if (el.children.length > 0) {
    if (el.text !== '') throw serializationError(`<${el.name}> has both children and text`);
    for (const child of el.children) writeElement(child, out, undefined);
  } else {
    out.push(escapeText(el.text));
  }
  out.push('</', el.name, '>');
}

// ---------------------------------------------------------------------------------------------
// Structure helpers for the message codecs
// ---------------------------------------------------------------------------------------------

/** Builds an element; `attributes` keep the order given, undefined values are left out. */
export function element(
  name: string,
  attributes: Record<string, string | undefined> = {},
  content: XmlElement[] | string = [],
): XmlElement {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) attrs[k] = v;
  return typeof content === 'string'
    ? { name, attributes: attrs, children: [], text: content }
    : { name, attributes: attrs, children: content, text: '' };
}

export interface ChildRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/** "Unknown element: ignored ... unless it carries critical="true"". */
export function isCritical(el: XmlElement): boolean {
  return el.attributes['critical'] === 'true';
}

/**
 * Sorts the children of `el` by the message definition `rules` (listed in their required
 * order) and enforces it: "Children appear in the order the message definition lists; out of
 * order: decode_error", "Duplicate of a single-valued element ...: decode_error", "Missing
 * required element ...: decode_error", and unknown children are skipped unless critical
 * (`unsupported_extension`).
 */
export function collectChildren(
  el: XmlElement,
  rules: readonly ChildRule[],
  later?: { note(fault: ProtocolError): void },
): Map<string, XmlElement[]> {
  const found = new Map<string, XmlElement[]>(rules.map((r) => [r.name, []]));
  let lastRule = 0;
  for (const child of el.children) {
    const ruleIndex = rules.findIndex((r) => r.name === child.name);
    if (ruleIndex < 0) {
      if (isCritical(child)) {
        const message = `unknown critical element <${child.name}> in <${el.name}>`;
        const fault = peerIncompatible('unsupported_extension', message, 'E2ED-XML-17');
        // E2ED-HS-35: with `later`, the syntax faults of the whole message are found first.
        if (later === undefined) throw fault;
        later.note(fault);
      }
      continue;
    }
    if (ruleIndex < lastRule) throw decodeError(`<${child.name}> out of order in <${el.name}>`, 'E2ED-XML-13');
    lastRule = ruleIndex;
    const rule = rules[ruleIndex] as ChildRule;
    const list = found.get(rule.name) as XmlElement[];
    list.push(child);
    if (list.length > rule.max) {
      throw rule.max === 1
        ? decodeError(`duplicate <${rule.name}> in <${el.name}>`, 'E2ED-XML-14')
        : decodeError(`more than ${rule.max} <${rule.name}> in <${el.name}>`, 'E2ED-XML-15');
    }
  }
  for (const rule of rules) {
    const count = (found.get(rule.name) as XmlElement[]).length;
    if (count < rule.min) {
      const problem = rule.min === 1 ? `missing <${rule.name}>` : `fewer than ${rule.min} <${rule.name}>`;
      throw decodeError(`${problem} in <${el.name}>`, 'E2ED-XML-15');
    }
  }
  return found;
}

/** The one element a rule with max 1 found, or undefined. */
export function single(found: Map<string, XmlElement[]>, name: string): XmlElement | undefined {
  return found.get(name)?.[0];
}

/** "Missing required ... attribute: decode_error". */
export function requiredAttribute(el: XmlElement, name: string): string {
  const value = optionalAttribute(el, name);
  if (value === undefined) throw decodeError(`<${el.name}> lacks attribute ${name}`, 'E2ED-XML-15');
  return value;
}

export function optionalAttribute(el: XmlElement, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(el.attributes, name) ? el.attributes[name] : undefined;
}

/** For elements the definition gives no character data: only whitespace may appear. */
export function requireNoText(el: XmlElement): void {
  if (!XML_WHITESPACE.test(el.text)) throw decodeError(`<${el.name}> must not carry text`, 'E2ED-XML-6');
}
