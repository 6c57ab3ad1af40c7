// A small strict DER reader (ITU-T X.690 section 10, Distinguished Encoding Rules), enough for
// X.509 certificates and CRLs (RFC 5280 section 4.1). E2ED-CERT-23: "strict DER ... no bytes after
// the certificate; no truncation": every violation of DER's canonical form is an error here, not
// something a later stage has to notice.
//
// Errors are typed by kind: `unparseable` (the bytes are not TLV at all: truncation, a tag this reader
// does not know) versus `not-der` (BER that DER forbids: long-form lengths that could be shorter,
// indefinite lengths, non-minimal INTEGERs, BOOLEAN other than 00/FF, trailing bytes) versus
// `bad-time` (a validity time not in RFC 5280's one canonical form). The PKI layer maps the kind to its
// typed reason (src/pki/reasons.ts); this module never picks an alert.

export type DerErrorKind = 'unparseable' | 'not-der' | 'bad-time';

export class DerError extends Error {
  readonly kind: DerErrorKind;
  constructor(kind: DerErrorKind, message: string) {
    super(message);
    this.name = 'DerError';
    this.kind = kind;
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag byte: [n] primitive (0x80|n) or constructed (0xa0|n). */
export const ctx = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) | n;

/** Nesting bound: certificates nest about 10 deep; anything near this is an attack. */
const MAX_DEPTH = 32;

/** One tag-length-value, as offsets into `buf` (no copies). */
export interface Tlv {
  readonly buf: Buffer;
  readonly tag: number;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
  readonly depth: number;
}

export const tlvValue = (t: Tlv): Buffer => t.buf.subarray(t.valueStart, t.end);
export const tlvRaw = (t: Tlv): Buffer => t.buf.subarray(t.start, t.end);
export const isConstructed = (t: Tlv): boolean => (t.tag & 0x20) !== 0;

function readTlvAt(buf: Buffer, offset: number, limit: number, depth: number): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('unparseable', 'nesting too deep');
  if (offset + 2 > limit) throw new DerError('unparseable', `truncated TLV header at ${offset}`);
  const tag = buf[offset]!;
  // High-tag-number form (X.690 8.1.2.4) never occurs in X.509; refusing it keeps tags one byte.
  if ((tag & 0x1f) === 0x1f) throw new DerError('unparseable', `high tag number form at ${offset}`);
  const first = buf[offset + 1]!;
  let pos = offset + 2;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    // X.690 10.1: "The definite form of length encoding shall be used".
    throw new DerError('not-der', `indefinite length at ${offset}`);
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('unparseable', `length of length ${n} at ${offset}`);
    if (pos + n > limit) throw new DerError('unparseable', `truncated length at ${offset}`);
    if (buf[pos] === 0) throw new DerError('not-der', `length with leading zero octet at ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos + i]!;
    pos += n;
    // X.690 10.1: "the length shall be encoded in the minimum number of octets".
    if (length < 0x80) throw new DerError('not-der', `long-form length ${length} at ${offset}`);
  }
  if (pos + length > limit) throw new DerError('unparseable', `value runs past its container at ${offset}`);
  return { buf, tag, start: offset, valueStart: pos, end: pos + length, depth };
}

/** Parses exactly one TLV that must fill `buf` completely (no trailing bytes). */
export function readWhole(buf: Buffer): Tlv {
  const t = readTlvAt(buf, 0, buf.length, 0);
  if (t.end !== buf.length) throw new DerError('not-der', `${buf.length - t.end} bytes after the outer TLV`);
  return t;
}

/** Sequential reader over the contents of one constructed TLV (or a whole buffer). */
export class DerReader {
  private pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly limit: number,
    private readonly depth: number,
  ) {
    this.pos = start;
  }

  static of(t: Tlv): DerReader {
    if (!isConstructed(t)) throw new DerError('unparseable', `tag 0x${t.tag.toString(16)} is not constructed`);
    return new DerReader(t.buf, t.valueStart, t.end, t.depth + 1);
  }

  get done(): boolean {
    return this.pos >= this.limit;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.pos];
  }

  next(): Tlv {
    const t = readTlvAt(this.buf, this.pos, this.limit, this.depth);
    this.pos = t.end;
    return t;
  }

  expect(tag: number, what: string): Tlv {
    const got = this.peekTag();
    if (got !== tag) {
      const seen = got === undefined ? 'end of contents' : `tag 0x${got.toString(16)}`;
      throw new DerError('unparseable', `${what}: expected tag 0x${tag.toString(16)}, found ${seen}`);
    }
    return this.next();
  }

  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  /** Asserts that nothing is left in this container. */
  finish(what: string): void {
    if (!this.done) throw new DerError('unparseable', `${what}: unexpected trailing element`);
  }
}

export function readBoolean(t: Tlv): boolean {
  const v = tlvValue(t);
  if (t.tag !== TAG.BOOLEAN || v.length !== 1) throw new DerError('unparseable', 'BOOLEAN expected');
  // X.690 11.1: TRUE is encoded as 0xFF in DER.
  if (v[0] === 0xff) return true;
  if (v[0] === 0x00) return false;
  throw new DerError('not-der', `BOOLEAN octet 0x${v[0]!.toString(16)}`);
}

/** The two's-complement content octets of an INTEGER, checked minimal (X.690 8.3.2). */
export function readIntegerBytes(t: Tlv, tag: number = TAG.INTEGER): Buffer {
  if (t.tag !== tag) throw new DerError('unparseable', 'INTEGER expected');
  const v = tlvValue(t);
  if (v.length === 0) throw new DerError('unparseable', 'empty INTEGER');
  if (v.length > 1 && ((v[0] === 0x00 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new DerError('not-der', 'non-minimal INTEGER');
  }
  return v;
}

/** A small non-negative INTEGER as a number (path lengths, versions); larger or negative values fail. */
export function readSmallUint(t: Tlv, tag: number = TAG.INTEGER): number {
  const v = readIntegerBytes(t, tag);
  if ((v[0]! & 0x80) !== 0) throw new DerError('unparseable', 'negative INTEGER where unsigned expected');
  if (v.length > 5 || (v.length === 5 && v[0] !== 0)) throw new DerError('unparseable', 'INTEGER too large');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function readNull(t: Tlv): void {
  if (t.tag !== TAG.NULL || t.end !== t.valueStart) throw new DerError('unparseable', 'NULL expected');
}

export function readOid(t: Tlv, tag: number = TAG.OID): string {
  if (t.tag !== tag) throw new DerError('unparseable', 'OBJECT IDENTIFIER expected');
  const v = tlvValue(t);
  if (v.length === 0) throw new DerError('unparseable', 'empty OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let acc = 0n;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    // X.690 8.19.2: "the leading octet of the subidentifier shall not have the value 0x80".
    if (fresh && b === 0x80) throw new DerError('not-der', 'non-minimal OID subidentifier');
    acc = (acc << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) {
        const first = acc < 40n ? 0n : acc < 80n ? 1n : 2n;
        arcs.push(first.toString(), (acc - first * 40n).toString());
      } else {
        arcs.push(acc.toString());
      }
      acc = 0n;
    }
  }
  if (!fresh) throw new DerError('unparseable', 'truncated OID subidentifier');
  return arcs.join('.');
}

export interface BitString {
  readonly unusedBits: number;
  readonly bytes: Buffer;
}

export function readBitString(t: Tlv, tag: number = TAG.BIT_STRING): BitString {
  if (t.tag !== tag) throw new DerError('unparseable', 'BIT STRING expected');
  const v = tlvValue(t);
  if (v.length === 0) throw new DerError('unparseable', 'BIT STRING without unused-bits octet');
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) throw new DerError('unparseable', 'bad unused-bits count');
  const bytes = v.subarray(1);
  // X.690 11.2.1: the unused bits "shall all be set to zero".
  if (unusedBits > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError('not-der', 'non-zero unused bits in BIT STRING');
  }
  return { unusedBits, bytes };
}

export function readOctetString(t: Tlv, tag: number = TAG.OCTET_STRING): Buffer {
  if (t.tag !== tag) throw new DerError('unparseable', 'OCTET STRING expected');
  return tlvValue(t);
}

/** IA5String content (7-bit ASCII), also used for the IMPLICIT-tagged rfc822Name/dNSName/URI. */
export function readIa5(t: Tlv, tag: number = TAG.IA5String): string {
  if (t.tag !== tag) throw new DerError('unparseable', 'IA5String expected');
  const v = tlvValue(t);
  for (const b of v) if (b > 0x7f) throw new DerError('unparseable', 'non-ASCII octet in IA5String');
  return v.toString('latin1');
}

/** Decodes the directory string types found in Names; undefined for non-string values. */
export function readDirectoryString(t: Tlv): string | undefined {
  const v = tlvValue(t);
  switch (t.tag) {
    case TAG.UTF8String:
      return v.toString('utf8');
    case TAG.PrintableString:
    case TAG.IA5String:
    case TAG.VisibleString:
    case TAG.TeletexString:
      return v.toString('latin1');
    case TAG.BMPString: {
      if (v.length % 2 !== 0) throw new DerError('unparseable', 'odd-length BMPString');
      const swapped = Buffer.from(v);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case TAG.UniversalString: {
      if (v.length % 4 !== 0) throw new DerError('unparseable', 'bad UniversalString length');
      let s = '';
      for (let i = 0; i < v.length; i += 4) s += String.fromCodePoint(v.readUInt32BE(i) % 0x110000);
      return s;
    }
    default:
      return undefined;
  }
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * RFC 5280 4.1.2.5: "CAs conforming to this profile MUST always encode certificate validity dates
 * through the year 2049 as UTCTime; certificate validity dates in 2050 or later MUST be encoded as
 * GeneralizedTime", UTCTime as YYMMDDHHMMSSZ and GeneralizedTime as YYYYMMDDHHMMSSZ ("MUST include
 * seconds ... MUST NOT include fractional seconds", Zulu only). E2ED-CERT-23 makes it binding.
 */
export function readValidityTime(t: Tlv): Date {
  const s = tlvValue(t).toString('latin1');
  let year: number;
  let rest: string;
  if (t.tag === TAG.UTCTime) {
    if (!/^[0-9]{12}Z$/.test(s)) throw new DerError('bad-time', `UTCTime "${s}" not YYMMDDHHMMSSZ`);
    const yy = Number(s.slice(0, 2));
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = s.slice(2);
  } else if (t.tag === TAG.GeneralizedTime) {
    if (!/^[0-9]{14}Z$/.test(s)) throw new DerError('bad-time', `GeneralizedTime "${s}" not YYYYMMDDHHMMSSZ`);
    year = Number(s.slice(0, 4));
    if (year < 2050) throw new DerError('bad-time', `GeneralizedTime used for year ${year} (< 2050)`);
    rest = s.slice(4);
  } else {
    throw new DerError('unparseable', 'Time expected');
  }
  const month = Number(rest.slice(0, 2));
  const day = Number(rest.slice(2, 4));
  const hour = Number(rest.slice(4, 6));
  const minute = Number(rest.slice(6, 8));
  const second = Number(rest.slice(8, 10));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (month < 1 || month > 12 || monthDays === undefined || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('bad-time', `time "${s}" out of range`);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** Like readValidityTime but for CRL times (RFC 5280 5.1.2.4: same encoding rules). */
export const readCrlTime = readValidityTime;
