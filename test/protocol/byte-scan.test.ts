// The SIMD byte-class scanner finds exactly what the plain loop finds: every byte value at every
// position around its 16- and 64-byte blocks, random ranges, and bytes lying in its own memory.
import t from 'tap';
import { byteClass, findByteOfClass, findByteOfClassPlain, scanScratch, simdScanAvailable, SCRATCH_CAPACITY } from '../../src/protocol/byte-scan.js';
import { seededRandom } from '../../src/protocol/random.js';

const controls = Array.from({ length: 0x20 }, (_, b) => b).filter((b) => b !== 0x09 && b !== 0x0a);
const CLASSES = {
  controls: byteClass(controls),
  markup: byteClass([...controls, 0xef, 0x3c, 0x26, 0x3e, 0x22, 0x27]),
  single: byteClass([0x00]),
  high: byteClass([0x80, 0xff, 0xef, 0x7f]),
  empty: byteClass([]),
};

t.test('the nibble tables describe exactly the set', async (t) => {
  for (const [name, cls] of Object.entries(CLASSES)) {
    let wrong = 0;
    for (let b = 0; b < 256; b++) {
      const inTables = (cls.tables[16 + (b >> 4)]! & cls.tables[b & 15]!) !== 0;
      if (inTables !== (cls.member[b] === 1)) wrong++;
    }
    t.equal(wrong, 0, name);
  }
  t.throws(() => byteClass([256]), RangeError);
  // Nine high nibbles with nine different low-nibble sets need nine table bits.
  t.throws(() => byteClass(Array.from({ length: 9 }, (_, h) => (h << 4) | h)), /more than 8/);
});

t.test('this Node has WebAssembly SIMD, so the tests below exercise the SIMD path', { skip: simdScanAvailable ? false : 'no WebAssembly SIMD on this machine: the scans run the plain loop, which the tests below then compare with itself' }, async (t) => {
  t.equal(simdScanAvailable, true);
});

t.test('every byte value at every position around the blocks', async (t) => {
  let disagreements = 0;
  for (const cls of Object.values(CLASSES)) {
    for (let v = 0; v < 256; v++) {
      for (const length of [1, 15, 16, 17, 63, 64, 65, 130]) {
        for (let at = 0; at < length; at += length > 20 ? 7 : 1) {
          const bytes = Buffer.alloc(length, 0x61);
          bytes[at] = v;
          const expected = cls.member[v] === 1 ? at : findByteOfClassPlain(bytes, cls);
          if (findByteOfClass(bytes, cls) !== expected) disagreements++;
        }
      }
    }
  }
  t.equal(disagreements, 0);
});

t.test('random buffers and ranges, at every alignment', async (t) => {
  const rng = seededRandom('byte-scan');
  let disagreements = 0;
  for (let round = 0; round < 3000; round++) {
    const [a, b, c, d, e] = rng.bytes(5);
    const length = ((a! << 8) | b!) % 700;
    const backing = rng.bytes(length + 3);
    // Mostly letters, a member now and then.
    for (let i = 0; i < backing.length; i++) if (backing[i]! % 97 !== 0) backing[i] = 0x41 + (backing[i]! % 26);
    const bytes = Buffer.from(backing.buffer, backing.byteOffset + (c! % 4), length);
    const start = length === 0 ? 0 : d! % (length + 1);
    const end = start + (length - start === 0 ? 0 : (e! * 7) % (length - start + 1));
    for (const cls of Object.values(CLASSES)) {
      if (findByteOfClass(bytes, cls, start, end) !== findByteOfClassPlain(bytes, cls, start, end)) disagreements++;
    }
  }
  t.equal(disagreements, 0);
});

t.test('a buffer longer than the scanner memory is scanned region by region', async (t) => {
  const bytes = Buffer.alloc(SCRATCH_CAPACITY * 2 + 100, 0x61);
  t.equal(findByteOfClass(bytes, CLASSES.single), -1);
  for (const at of [0, SCRATCH_CAPACITY - 1, SCRATCH_CAPACITY, SCRATCH_CAPACITY * 2 + 99]) {
    bytes[at] = 0;
    t.equal(findByteOfClass(bytes, CLASSES.single), at, `member at ${at}`);
    t.equal(findByteOfClass(bytes, CLASSES.single, at + 1), -1, `nothing after ${at}`);
    bytes[at] = 0x61;
  }
});

t.test('bytes written into the scratch area are scanned where they lie', async (t) => {
  const scratch = scanScratch(1000);
  if (scratch === null) throw new Error('no scratch area');
  const n = scratch.write(`${'a'.repeat(500)}<${'b'.repeat(99)}`, 0, 'utf8');
  const view = scratch.subarray(0, n);
  t.equal(findByteOfClass(view, CLASSES.markup), 500);
  t.equal(findByteOfClass(view, CLASSES.markup, 501), -1);
  t.equal(findByteOfClass(view.subarray(10), CLASSES.markup), 490, 'offsets are relative to the view');
  t.equal(scanScratch(SCRATCH_CAPACITY + 1), null, 'more than the area holds: no scratch');
});

t.test('ranges outside the buffer are a programming error', async (t) => {
  t.throws(() => findByteOfClass(Buffer.alloc(4), CLASSES.single, 0, 5), RangeError);
  t.throws(() => findByteOfClass(Buffer.alloc(4), CLASSES.single, 3, 2), RangeError);
});
