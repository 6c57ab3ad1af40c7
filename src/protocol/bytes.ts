// Byte encodings shared by every message (docs/spec.md, section 3.6 "Value encodings").
// Strict decoders: the spec allows exactly one spelling of each value, so anything a lenient
// decoder would quietly repair is a decode_error here.
import { timingSafeEqual } from 'node:crypto';
import { invalidMessage } from './errors.js';

const HEX = /^(?:[0-9a-f]{2})*$/;
// "RFC 4648 section 4 standard alphabet, with padding, no line breaks, no whitespace".
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * E2ED-XML-21: "a receiver accepts only [0-9a-f], even length, and the exact length the field
 * requires". A wrong length is refused under `lengthRequirement`, the field's own rule.
 */
export function fromHex(s: string, expectedLength?: number, lengthRequirement = 'E2ED-XML-21'): Buffer {
  if (!HEX.test(s)) throw invalidMessage('decode_error', 'hex must be lower-case [0-9a-f] of even length', 'E2ED-XML-21');
  if (expectedLength !== undefined && s.length !== expectedLength * 2) {
    throw invalidMessage('decode_error', `hex field must hold exactly ${expectedLength} bytes, got ${s.length / 2}`, lengthRequirement);
  }
  return Buffer.from(s, 'hex');
}

export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * Padded standard alphabet; non-canonical trailing bits are refused. Re-encoding must give `s`
 * back: Node's encoder only writes the canonical form, so the round trip alone refuses every other
 * spelling (whitespace, URL-safe letters, missing padding, stray bits); the pattern only words the error.
 */
export function fromBase64(s: string): Buffer {
  const decoded = Buffer.from(s, 'base64');
  if (decoded.toString('base64') === s) return decoded;
  // E2ED-XML-22
  if (!BASE64.test(s)) throw invalidMessage('decode_error', 'base64 must be the padded standard alphabet without whitespace', 'E2ED-XML-22');
  throw invalidMessage('decode_error', 'base64 has non-canonical trailing bits', 'E2ED-XML-22');
}

export function concat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

function checkUint(n: number, bits: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** bits) throw new RangeError(`${n} does not fit in uint${bits}`);
}

export function u8(n: number): Buffer {
  checkUint(n, 8);
  return Buffer.from([n]);
}

export function u16be(n: number): Buffer {
  checkUint(n, 16);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32be(n: number): Buffer {
  checkUint(n, 32);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u64be(n: bigint): Buffer {
  if (n < 0n || n > 0xffffffffffffffffn) throw new RangeError(`${n} does not fit in uint64`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** Equal length and equal content, in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}
