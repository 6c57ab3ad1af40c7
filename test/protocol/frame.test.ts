import t from 'tap';
import { checkLengthPrefix, DEFAULT_MAX_FRAME_LENGTH, FRAME_HEADER_LENGTH, FrameDecoder, FrameType, encodeFrame, frameHeader, type Frame } from '../../src/protocol/frame.js';
import { seededRandom } from '../../src/protocol/random.js';
import { alertOf } from '../helpers/alerts.js';

// Three frames as literal bytes: plaintext "<a/>", an empty record, plaintext "xy".
const STREAM = Buffer.from('00000005' + '01' + '3c612f3e' + '00000001' + '02' + '00000003' + '01' + '7879', 'hex');


function summary(frames: Frame[]): string[] {
  return frames.map((f) => `${f.type}:${f.payload.toString('hex')}:${f.wire.toString('hex')}`);
}

t.test('encodeFrame writes L = 1 + payload length, then the type', async (t) => {
  t.same(encodeFrame(FrameType.Plaintext, Buffer.from('<a/>')), STREAM.subarray(0, 9));
  t.same(frameHeader(FrameType.Record, 0), Buffer.from('0000000102', 'hex'));
});

t.test('a whole stream in one chunk gives all frames', async (t) => {
  const frames = new FrameDecoder().push(STREAM);
  t.same(summary(frames), ['1:3c612f3e:00000005013c612f3e', '2::0000000102', '1:7879:00000003017879']);
  t.same(frames[0]!.header, Buffer.from('0000000501', 'hex'));
});

t.test('one byte at a time gives the same frames', async (t) => {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const byte of STREAM) frames.push(...decoder.push(Buffer.from([byte])));
  t.same(summary(frames), summary(new FrameDecoder().push(STREAM)));
  t.equal(decoder.bufferedBytes, 0);
  t.doesNotThrow(() => decoder.end());
});

t.test('random chunkings give the same frames', async (t) => {
  const expected = summary(new FrameDecoder().push(STREAM));
  const rng = seededRandom('frame chunking');
  for (let run = 0; run < 50; run++) {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < STREAM.length) {
      const size = 1 + (rng.bytes(1)[0]! % 7);
      frames.push(...decoder.push(STREAM.subarray(offset, offset + size)));
      offset += size;
    }
    t.same(summary(frames), expected, `chunking run ${run}`);
  }
});

t.test('L = 0 is decode_error from the 4 length bytes', async (t) => {
  const decoder = new FrameDecoder();
  t.same(decoder.push(Buffer.from('000000', 'hex')), []);
  t.equal(alertOf(() => decoder.push(Buffer.from('00', 'hex'))), 'decode_error');
});

t.test('L above the limit is record_overflow before any body byte', async (t) => {
  const decoder = new FrameDecoder({ maxLength: 16 });
  t.equal(alertOf(() => decoder.push(Buffer.from('00000011', 'hex'))), 'record_overflow');
  const atLimit = new FrameDecoder({ maxLength: 16 });
  t.same(atLimit.push(Buffer.from('0000001001', 'hex')), [], 'L = max is allowed');
  const defaultLimit = new FrameDecoder();
  t.equal(alertOf(() => defaultLimit.push(Buffer.from('00100001', 'hex'))), 'record_overflow');
  t.equal(DEFAULT_MAX_FRAME_LENGTH, 0x100000);
});

t.test('unknown type is decode_error as soon as the type byte is in', async (t) => {
  for (const type of [0x00, 0x03, 0xff]) {
    const decoder = new FrameDecoder();
    decoder.push(Buffer.from('00000005', 'hex'));
    t.equal(alertOf(() => decoder.push(Buffer.from([type]))), 'decode_error', `type 0x${type.toString(16)}`);
  }
});

t.test('a failed decoder keeps failing', async (t) => {
  const decoder = new FrameDecoder();
  t.equal(alertOf(() => decoder.push(Buffer.from('0000000503', 'hex'))), 'decode_error');
  t.equal(alertOf(() => decoder.push(STREAM)), 'decode_error');
});

t.test('end inside a frame is decode_error', async (t) => {
  const decoder = new FrameDecoder();
  decoder.push(Buffer.from('0000000501', 'hex'));
  t.equal(alertOf(() => decoder.end()), 'decode_error');
});

t.test('buffering never exceeds max + 5 bytes', async (t) => {
  const max = 8;
  const decoder = new FrameDecoder({ maxLength: max });
  const stream = Buffer.concat([encodeFrame(1, Buffer.alloc(max - 1, 0x61)), encodeFrame(2, Buffer.alloc(3))]);
  let peak = 0;
  for (const byte of stream) {
    decoder.push(Buffer.from([byte]));
    peak = Math.max(peak, decoder.bufferedBytes);
  }
  t.ok(peak <= max + 5, `peak ${peak}`);
  // A frame of L = max holds 5 + max - 1 bytes; it leaves the buffer as soon as its last byte arrives.
  t.equal(peak, max + 3, 'all but the last byte of the largest frame');
});

t.test('frames completed before a fault are handed out, the fault raised on the next call', async (t) => {
  const good = encodeFrame(FrameType.Plaintext, Buffer.from('<a/>'));
  const stream = Buffer.concat([good, Buffer.from('0000000503', 'hex')]);
  const whole = new FrameDecoder();
  t.same(summary(whole.push(stream)), summary(new FrameDecoder().push(good)));
  t.equal(alertOf(() => whole.throwIfFailed()), 'decode_error');
  t.equal(alertOf(() => whole.end()), 'decode_error');
  const bytewise = new FrameDecoder();
  const frames: Frame[] = [];
  let alert: string | undefined;
  for (const byte of stream) {
    alert = alertOf(() => frames.push(...bytewise.push(Buffer.from([byte]))));
    if (alert) break;
  }
  t.same(summary(frames), summary(new FrameDecoder().push(good)), 'same frames one byte at a time');
  t.equal(alert, 'decode_error', 'then the same fault');
});

t.test('record_overflow from the first length byte that proves L above the limit (E2ED-FRAME-3)', async (t) => {
  // With the default 1 MiB limit (0x00100000) a first byte other than 00 already means L >= 16 MiB.
  for (const first of [0x01, 0x80, 0xff]) {
    t.equal(alertOf(() => new FrameDecoder().push(Buffer.from([first]))), 'record_overflow', `first byte ${first.toString(16)}`);
  }
  // 00 11 (L >= 0x00110000) is over after two bytes; 00 10 could still be 0x00100000, the limit itself.
  const two = new FrameDecoder();
  t.same(two.push(Buffer.from([0x00])), []);
  t.equal(alertOf(() => two.push(Buffer.from([0x11]))), 'record_overflow');
  const atLimit = new FrameDecoder();
  t.same(atLimit.push(Buffer.from('001000', 'hex')), [], '00 10 00: not yet over');
  t.equal(alertOf(() => atLimit.push(Buffer.from('01', 'hex'))), 'record_overflow', '00 10 00 01 is');
  const exact = new FrameDecoder();
  t.same(exact.push(Buffer.from('0010000001', 'hex')), [], '00 10 00 00 is the limit: allowed');
  // The owner's check gives the same verdicts on what it holds (the UA holds bytes back).
  t.equal(alertOf(() => checkLengthPrefix(Buffer.from('ff'), 1, DEFAULT_MAX_FRAME_LENGTH)), 'record_overflow');
  t.equal(alertOf(() => checkLengthPrefix(Buffer.from('00000000', 'hex'), 4, DEFAULT_MAX_FRAME_LENGTH)), 'decode_error');
  t.equal(alertOf(() => checkLengthPrefix(Buffer.from('000000', 'hex'), 3, DEFAULT_MAX_FRAME_LENGTH)), undefined, 'L = 0 needs the 4th byte');
  t.equal(alertOf(() => checkLengthPrefix(Buffer.from('00100000', 'hex'), 4, DEFAULT_MAX_FRAME_LENGTH)), undefined);
});

t.test('memory follows the bytes received, not the length announced (E2ED-LIM-2, E2ED-LIM-7)', async (t) => {
  const decoder = new FrameDecoder();
  decoder.push(frameHeader(FrameType.Plaintext, DEFAULT_MAX_FRAME_LENGTH - 1));
  t.ok(decoder.allocatedBytes <= 65536, `a header announcing 1 MiB holds ${decoder.allocatedBytes} bytes`);
  // One byte at a time up to the full frame: memory stays within twice what arrived, and the
  // frame comes out whole and exact.
  const payload = Buffer.alloc(DEFAULT_MAX_FRAME_LENGTH - 1);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  let frames: Frame[] = [];
  let worst = 0;
  for (let i = 0; i < payload.length; i += 997) {
    frames = decoder.push(payload.subarray(i, Math.min(payload.length, i + 997)));
    worst = Math.max(worst, decoder.allocatedBytes / Math.max(65536, decoder.bufferedBytes));
  }
  t.ok(worst <= 2, `allocated at most ${worst.toFixed(2)}x the bytes received`);
  t.equal(frames.length, 1);
  t.ok(frames[0]!.payload.equals(payload), 'payload intact');
  t.equal(frames[0]!.wire.length, FRAME_HEADER_LENGTH + payload.length, 'no spare capacity left in the frame');
});
