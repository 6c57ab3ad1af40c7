// A minimal strict DER reader (X.690 section 10) for the few structures the core parses itself:
// SubjectPublicKeyInfo, PKCS#8 and ECDSA-Sig-Value. Strict because BER leniency (indefinite or
// non-minimal lengths, padded integers) is exactly what the Wycheproof "invalid" encodings probe.

export class DerError extends Error {}

export interface Tlv {
  tag: number;
  contents: Buffer;
  /** Offset just past this TLV in the buffer it was read from. */
  end: number;
}

export const DerTag = { Integer: 0x02, BitString: 0x03, OctetString: 0x04, Null: 0x05, Oid: 0x06, Sequence: 0x30 } as const;

export function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated TLV');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here');
  const lengthByte = buf[offset + 1]!;
  let position = offset + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    // 0x80 is BER's indefinite length; DER forbids it, and more than 4 length bytes is absurd here.
    if (count === 0 || count > 4) throw new DerError('indefinite or oversized length');
    if (position + count > buf.length) throw new DerError('truncated length');
    if (buf[position] === 0) throw new DerError('length with a leading zero byte');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[position + i]!;
    if (length < 0x80) throw new DerError('long-form length for a short length');
    position += count;
  }
  if (position + length > buf.length) throw new DerError('contents run past the end');
  return { tag, contents: buf.subarray(position, position + length), end: position + length };
}

/** The buffer must be exactly one TLV with the given tag, nothing after it. */
export function readOnly(buf: Buffer, tag: number): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes after the TLV');
  return tlv;
}

/** All TLVs in a constructed value's contents. */
export function readAll(contents: Buffer): Tlv[] {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < contents.length) {
    const tlv = readTlv(contents, offset);
    items.push(tlv);
    offset = tlv.end;
  }
  return items;
}

/** A non-negative INTEGER in minimal two's-complement form. */
export function readUnsignedInteger(tlv: Tlv): bigint {
  if (tlv.tag !== DerTag.Integer) throw new DerError('expected INTEGER');
  const c = tlv.contents;
  if (c.length === 0) throw new DerError('empty INTEGER');
  if (c[0]! & 0x80) throw new DerError('negative INTEGER');
  if (c.length > 1 && c[0] === 0 && !(c[1]! & 0x80)) throw new DerError('INTEGER with a superfluous leading zero');
  return BigInt('0x' + c.toString('hex'));
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, contents: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(contents.byteLength), contents]);
}

export function encodeUnsignedInteger(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('negative integer');
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return encodeTlv(DerTag.Integer, bytes);
}
