// Byte-level scans of UTF-8 for the XML codec's hot paths (E2ED-XML-4: only characters of XML 1.0's
// Char production). On VALID UTF-8 the characters outside Char are exactly: the C0 controls other
// than TAB, LF and CR (bytes 0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F), and U+FFFE / U+FFFF (EF BF BE,
// EF BF BF); surrogates cannot occur in valid UTF-8. The scans run over bytes (src/protocol/byte-scan.ts,
// SIMD where the engine has it), several times faster than a regular expression over the decoded string.
import { byteClass, findByteOfClass, type ByteClass } from './byte-scan.js';

const ILLEGAL_CONTROLS = Array.from({ length: 0x20 }, (_, b) => b).filter((b) => b !== 0x09 && b !== 0x0a && b !== 0x0d);
/** The lead byte of U+FFFE and U+FFFF (and of every other character from U+F000 to U+FFFF). */
const EF = 0xef;
const CR = 0x0d;
const ascii = (chars: string): number[] => [...chars].map((c) => c.charCodeAt(0));

/** Bytes that start a character XML forbids (0xEF only when followed by BF BE or BF BF). */
export const XML_ILLEGAL: ByteClass = byteClass([...ILLEGAL_CONTROLS, EF]);
/** XML_ILLEGAL, and what text must not hold as it is to be serialised unescaped: & < > " ' and CR. */
export const XML_TEXT_TO_ESCAPE: ByteClass = byteClass([...ILLEGAL_CONTROLS, EF, CR, ...ascii('&<>"\'')]);
/** XML_ILLEGAL, and what makes parsed text more than plain characters: markup, references, `>` and CR (normalised to LF). */
export const XML_TEXT_TO_DECODE: ByteClass = byteClass([...ILLEGAL_CONTROLS, EF, CR, ...ascii('&<>')]);
/** XML_TEXT_TO_DECODE without `&`: what text holding references must still not hold to be decoded by them alone. */
export const XML_TEXT_TO_DECODE_BUT_AMPERSAND: ByteClass = byteClass([...ILLEGAL_CONTROLS, EF, CR, ...ascii('<>')]);

/**
 * Offset of the first byte in [start, end) of `cls`, counting 0xEF only where it starts U+FFFE or
 * U+FFFF; or -1. `bytes` must be valid UTF-8 and `cls` one of the classes above.
 */
export function findXmlClassByte(bytes: Uint8Array, cls: ByteClass, start = 0, end = bytes.length): number {
  for (let from = start; ; ) {
    const at = findByteOfClass(bytes, cls, from, end);
    if (at < 0 || bytes[at] !== EF) return at;
    if (bytes[at + 1] === 0xbf && (bytes[at + 2] === 0xbe || bytes[at + 2] === 0xbf)) return at;
    from = at + 1;
  }
}

/** Offset of the first byte that starts a character XML forbids, or -1. `bytes` must be valid UTF-8. */
export function findIllegalXmlByte(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return findXmlClassByte(bytes, XML_ILLEGAL, start, end);
}

/** Whether any of `chars` (single-byte ASCII characters) occurs in bytes [start, end). */
export function containsAnyAscii(bytes: Uint8Array, chars: string, start = 0, end = bytes.length): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start));
  for (let k = 0; k < chars.length; k++) if (buf.indexOf(chars.charCodeAt(k)) >= 0) return true;
  return false;
}
