// Framing of E2ED and IRP (docs/spec.md, section 2 "Framing"):
//   uint32 L (big-endian) | uint8 type | payload (L-1 bytes), L counting type + payload.
// The decoder is a resumable state machine (ws's receiver): bytes in, frames out, state kept
// between calls, so any chunking of the stream, one byte at a time included, gives the same frames.
import { invalidMessage } from './errors.js';

export const FrameType = { Plaintext: 0x01, Record: 0x02 } as const;
export const DEFAULT_MAX_FRAME_LENGTH = 1048576;
export const FRAME_HEADER_LENGTH = 5;

export interface Frame {
  type: number;
  /** The 5 header bytes (L and type) as received: the record layer's AAD. */
  header: Buffer;
  payload: Buffer;
  /** header || payload, exactly as on the wire: what the transcript hashes. */
  wire: Buffer;
}

function isKnownFrameType(type: number): boolean {
  return type === FrameType.Plaintext || type === FrameType.Record;
}

/** The header of a frame whose payload (after the type byte) is payloadLength bytes. */
export function frameHeader(type: number, payloadLength: number): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`frame type ${type} is not a byte`);
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength + 1 > 0xffffffff) {
    throw new RangeError(`frame payload length ${payloadLength} does not fit`);
  }
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUInt32BE(payloadLength + 1, 0);
  header.writeUInt8(type, 4);
  return header;
}

/** Encodes any type byte, so that adversaries can emit frames a receiver must refuse. */
export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(type, payload.byteLength), payload]);
}

/**
 * E2ED-FRAME-2/-3 on the first bytes of a frame header (`have` of them, 1 to 4): throws decode_error
 * for L = 0 and record_overflow as soon as the bytes in hand prove L above the maximum, whatever the
 * missing low-order bytes turn out to be (with a 1 MiB limit, a first byte other than 00 already
 * does). Returns quietly while the length could still be acceptable. Shared by the decoder and by
 * any owner that holds bytes back before the decoder sees them (the UA while it fetches a status).
 */
export function checkLengthPrefix(bytes: Uint8Array, have: number, maxLength: number): void {
  const n = Math.min(have, 4, bytes.byteLength);
  if (n === 0) return;
  let least = 0; // the smallest L the bytes in hand allow: the missing bytes all zero
  for (let i = 0; i < 4; i++) least = least * 256 + (i < n ? bytes[i]! : 0);
  if (least > maxLength) {
    // "L > max: record_overflow, detected from the 4 header bytes alone, before the body is read."
    throw invalidMessage('record_overflow', `frame length ${n === 4 ? least : `of at least ${least}`} exceeds the limit ${maxLength}`, 'E2ED-FRAME-3');
  }
  if (n === 4 && least === 0) throw invalidMessage('decode_error', 'frame length 0 leaves no room for the type byte', 'E2ED-FRAME-2');
}

/**
 * The first allocation for a frame body (or the whole frame, if smaller); it doubles as bytes
 * arrive (FrameDecoder.reserve). 64 KiB holds a bulk record whole: with 4 KiB, a 63 KiB Message
 * arriving in four reads was copied again at each doubling, 2.4x the framing time.
 */
const INITIAL_BODY_BYTES = 65536;

export class FrameDecoder {
  private readonly maxLength: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerFilled = 0;
  /**
   * The frame in progress (header included), once the header is complete and checked. Its memory
   * follows the bytes received, not the length announced (E2ED-LIM-2, E2ED-LIM-7): it starts small
   * and doubles, so a header announcing 1 MiB followed by silence holds 64 KiB, and each byte
   * is copied O(1) times on average (linear reassembly, any chunking). It reaches exactly
   * 5 + L - 1 bytes when the frame completes.
   */
  private body: Buffer | null = null;
  /** The header plus the payload length: the size `body` grows to. */
  private bodyLength = 0;
  private bodyFilled = 0;
  /** Once a stream has violated framing, nothing after it can be trusted: every later push rethrows. */
  private failure: Error | null = null;

  constructor(opts?: { maxLength?: number }) {
    const maxLength = opts?.maxLength ?? DEFAULT_MAX_FRAME_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 0xffffffff) {
      throw new RangeError(`maximum frame length ${maxLength} is out of range`);
    }
    this.maxLength = maxLength;
  }

  /** Bytes received of the frame in progress; never more than max + 4. */
  get bufferedBytes(): number {
    return this.body === null ? this.headerFilled : this.bodyFilled;
  }

  /** Memory held for the frame in progress: under twice bufferedBytes, plus the first allocation. */
  get allocatedBytes(): number {
    return this.body === null ? 0 : this.body.length;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.failure) throw this.failure;
    const frames: Frame[] = [];
    let offset = 0;
    try {
      while (offset < chunk.byteLength) {
        if (this.body === null) {
          const take = Math.min(FRAME_HEADER_LENGTH - this.headerFilled, chunk.byteLength - offset);
          this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
          const before = this.headerFilled;
          this.headerFilled += take;
          offset += take;
          // E2ED-FRAME-2/-3: each length byte is checked as it arrives (a first byte ff is already
          // record_overflow), not only once the header is complete.
          if (before < 4) checkLengthPrefix(this.header, this.headerFilled, this.maxLength);
          if (this.headerFilled === FRAME_HEADER_LENGTH) {
            this.checkType();
            // The whole frame in one buffer (header, then body), so that `wire` needs no second copy.
            this.bodyLength = FRAME_HEADER_LENGTH + this.header.readUInt32BE(0) - 1;
            this.body = Buffer.allocUnsafe(Math.min(this.bodyLength, Math.max(INITIAL_BODY_BYTES, FRAME_HEADER_LENGTH + chunk.byteLength - offset)));
            this.header.copy(this.body, 0);
            this.bodyFilled = FRAME_HEADER_LENGTH;
          }
        } else {
          const take = Math.min(this.bodyLength - this.bodyFilled, chunk.byteLength - offset);
          this.reserve(this.bodyFilled + take);
          this.body!.set(chunk.subarray(offset, offset + take), this.bodyFilled);
          this.bodyFilled += take;
          offset += take;
        }
        if (this.body !== null && this.bodyFilled === this.bodyLength) frames.push(this.completeFrame());
      }
    } catch (err) {
      this.failure = err as Error;
      // Frames completed before the fault are the peer's real messages (an Alert followed by
      // garbage in one TCP segment, say): hand them over, and raise the fault on the next call
      // (push, end or throwIfFailed), so that any chunking yields the same frames, then the fault.
      if (frames.length === 0) throw err;
    }
    return frames;
  }

  /** Raises the framing fault, if one was met after frames that push() already returned. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** The stream ended: a partly received frame is a truncated message. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.bufferedBytes > 0) {
      throw invalidMessage('decode_error', `stream ended inside a frame (${this.bufferedBytes} bytes pending)`, 'E2ED-FRAME-7');
    }
  }

  /** Grows `body` to hold `needed` bytes: at least doubling, never past the frame's length. */
  private reserve(needed: number): void {
    const body = this.body!;
    if (needed <= body.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.bodyLength, Math.max(needed, body.length * 2)));
    body.copy(grown, 0, 0, this.bodyFilled);
    this.body = grown;
  }

  private checkType(): void {
    const type = this.header[4]!;
    // "any other type: decode_error, detected from the 5 header bytes."
    if (!isKnownFrameType(type)) throw invalidMessage('decode_error', `unknown frame type 0x${type.toString(16)}`, 'E2ED-FRAME-4');
  }

  private completeFrame(): Frame {
    const wire = this.body!;
    this.headerFilled = 0;
    this.body = null;
    this.bodyLength = 0;
    this.bodyFilled = 0;
    return { type: wire[4]!, header: wire.subarray(0, FRAME_HEADER_LENGTH), payload: wire.subarray(FRAME_HEADER_LENGTH), wire };
  }
}
