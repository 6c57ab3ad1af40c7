// Byte-level scans of UTF-8 for the XML codec's hot paths (E2ED-XML-4: only characters of XML 1.0's
// Char production). On VALID UTF-8 the characters outside Char are exactly: the C0 controls other
// than TAB, LF and CR (bytes 0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F), and U+FFFE / U+FFFF (EF BF BE,
// EF BF BF); surrogates cannot occur in valid UTF-8. Scanning bytes four at a time is several times
// faster than a regular expression over the decoded string.

const FFFE_PREFIX = Buffer.from([0xef, 0xbf]);

function isIllegalControl(b: number): boolean {
  return b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;
}

/** Offset of the first byte that starts a character XML forbids, or -1. `bytes` must be valid UTF-8. */
export function findIllegalXmlByte(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  // Bytes before the first 4-byte boundary, one at a time.
  const misalign = (4 - (bytes.byteOffset & 3)) & 3;
  for (; i < Math.min(misalign, n); i++) if (isIllegalControl(bytes[i]!)) return i;
  // Then whole words: "has a byte < 0x20" is ((x - 0x20202020) & ~x & 0x80808080) != 0 (exact as an
  // any-test for thresholds up to 0x80); a hit is examined byte by byte, as TAB/LF/CR are allowed.
  // Four words per step, their tests OR-ed (a hit in any is a hit), on an Int32Array so that V8
  // keeps every value a small integer: this loop is the costliest per-byte step of a bulk record.
  const words = (n - i) >> 2;
  if (words > 0) {
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    const examine = (w: number): number => {
      const at = i + w * 4;
      for (let k = at; k < at + 4; k++) if (isIllegalControl(bytes[k]!)) return k;
      return -1;
    };
    let w = 0;
    for (const whole = words & ~3; w < whole; w += 4) {
      const a = view[w]!;
      const b = view[w + 1]!;
      const c = view[w + 2]!;
      const d = view[w + 3]!;
      if ((((a - 0x20202020) & ~a) | ((b - 0x20202020) & ~b) | ((c - 0x20202020) & ~c) | ((d - 0x20202020) & ~d)) & 0x80808080) {
        for (let k = w; k < w + 4; k++) {
          const found = examine(k);
          if (found >= 0) return found;
        }
      }
    }
    for (; w < words; w++) {
      const x = view[w]!;
      if (((x - 0x20202020) & ~x & 0x80808080) !== 0) {
        const found = examine(w);
        if (found >= 0) return found;
      }
    }
    i += words * 4;
  }
  for (; i < n; i++) if (isIllegalControl(bytes[i]!)) return i;
  // U+FFFE and U+FFFF.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.indexOf(FFFE_PREFIX); at >= 0 && at + 2 < n; at = buf.indexOf(FFFE_PREFIX, at + 1)) {
    if (buf[at + 2] === 0xbe || buf[at + 2] === 0xbf) return at;
  }
  return -1;
}

/** Whether any of `chars` (single-byte ASCII characters) occurs in bytes [start, end). */
export function containsAnyAscii(bytes: Uint8Array, chars: string, start = 0, end = bytes.length): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start));
  for (let k = 0; k < chars.length; k++) if (buf.indexOf(chars.charCodeAt(k)) >= 0) return true;
  return false;
}
