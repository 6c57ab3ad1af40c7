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

export class FrameDecoder {
  private readonly maxLength: number;
  private readonly header = Buffer.alloc(FRAME_HEADER_LENGTH);
  private headerFilled = 0;
  /** The frame in progress (header included), allocated once the header is complete and checked: at most max + 4 bytes. */
  private body: Buffer | null = null;
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

  /** Bytes held for the frame in progress; never more than max + 5. */
  get bufferedBytes(): number {
    return this.body === null ? this.headerFilled : this.bodyFilled;
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
          if (before < 4 && this.headerFilled >= 4) this.checkLength();
          if (this.headerFilled === FRAME_HEADER_LENGTH) {
            this.checkType();
            // The whole frame in one buffer (header, then body), so that `wire` needs no second copy.
            this.body = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + this.header.readUInt32BE(0) - 1);
            this.header.copy(this.body, 0);
            this.bodyFilled = FRAME_HEADER_LENGTH;
          }
        } else {
          const take = Math.min(this.body.length - this.bodyFilled, chunk.byteLength - offset);
          this.body.set(chunk.subarray(offset, offset + take), this.bodyFilled);
          this.bodyFilled += take;
          offset += take;
        }
        if (this.body !== null && this.bodyFilled === this.body.length) frames.push(this.completeFrame());
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

  private checkLength(): void {
    const length = this.header.readUInt32BE(0);
    // "L = 0: decode_error. L > max: record_overflow, detected from the 4 header bytes alone,
    // before the body is read."
    if (length === 0) throw invalidMessage('decode_error', 'frame length 0 leaves no room for the type byte', 'E2ED-FRAME-2');
    if (length > this.maxLength) {
      throw invalidMessage('record_overflow', `frame length ${length} exceeds the limit ${this.maxLength}`, 'E2ED-FRAME-3');
    }
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
    this.bodyFilled = 0;
    return { type: wire[4]!, header: wire.subarray(0, FRAME_HEADER_LENGTH), payload: wire.subarray(FRAME_HEADER_LENGTH), wire };
  }
}
