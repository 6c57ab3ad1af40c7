// Finding the first byte of a small set in a long buffer, 64 bytes per step with WebAssembly SIMD.
//
// The XML codec must look at every byte of a Message's text at least once on each side (E2ED-XML-4:
// only characters of the Char production; and the text must be escaped, or decoded, where it holds
// markup). A JavaScript loop does that at about 3 GB/s here; the SIMD loop below, the nibble lookup
// used by simdjson and Hyperscan, does 16 bytes in six vector operations and is several times faster.
//
// A byte b is in the set when hi[b >> 4] & lo[b & 15] != 0, where hi and lo are 16-byte tables built
// from the set by `byteClass` (i8x16.swizzle is the table lookup). Each bit of the tables stands for
// one "rectangle" {high nibbles} x {low nibbles}; a set needs one bit per distinct low-nibble set,
// so at most 8 of them. The module is assembled here from its opcodes (no toolchain, no binary blob
// in the repository) and validated by the engine when it is compiled; where WebAssembly SIMD is
// missing, the same function runs as a plain loop over a 256-entry membership table.

/** A set of byte values, in the two forms the scanners use. */
export interface ByteClass {
  /** member[b] === 1 when b is in the set. */
  readonly member: Uint8Array;
  /** lo (16 bytes) || hi (16 bytes): the nibble tables of the SIMD scan. */
  readonly tables: Uint8Array;
}

export function byteClass(values: Iterable<number>): ByteClass {
  const member = new Uint8Array(256);
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${v} is not a byte value`);
    member[v] = 1;
  }
  // Low-nibble set of each high nibble, as a 16-bit mask; one table bit per distinct mask.
  const bitOfMask = new Map<number, number>();
  const lo = new Uint8Array(16);
  const hi = new Uint8Array(16);
  for (let h = 0; h < 16; h++) {
    let mask = 0;
    for (let l = 0; l < 16; l++) if (member[(h << 4) | l]) mask |= 1 << l;
    if (mask === 0) continue;
    let bit = bitOfMask.get(mask);
    if (bit === undefined) {
      bit = 1 << bitOfMask.size;
      if (bitOfMask.size === 8) throw new RangeError('the byte set needs more than 8 distinct low-nibble sets');
      bitOfMask.set(mask, bit);
      for (let l = 0; l < 16; l++) if (mask & (1 << l)) lo[l]! |= bit;
    }
    hi[h]! |= bit;
  }
  const tables = new Uint8Array(32);
  tables.set(lo, 0);
  tables.set(hi, 16);
  return { member, tables };
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly module: scan(table, p, end) -> the address of the first 16-byte block in
// [p, end) holding a byte of the class, or the first p where fewer than 16 bytes remain.
// ---------------------------------------------------------------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32GtU: [0x4b],
  v128Load: (offset: number) => [0xfd, 0x00, 0x00, ...uleb(offset)],
  i8x16Swizzle: [0xfd, 0x0e],
  i8x16Splat: [0xfd, 0x0f],
  v128And: [0xfd, 0x4e],
  v128Or: [0xfd, 0x50],
  v128AnyTrue: [0xfd, 0x53],
  i8x16ShrU: [0xfd, 0x6d],
};

// Locals: 0 table, 1 p, 2 end (parameters); 3 lo, 4 hi, 5 0x0f in every lane, 6 the loaded bytes.
const [TABLE, P, END, LO, HI, LOW_NIBBLE, V] = [0, 1, 2, 3, 4, 5, 6];

/** Leaves hi[v >> 4] & lo[v & 15] for the 16 bytes at p + offset on the stack. */
const classify = (offset: number): number[] => [
  ...op.get(P), ...op.v128Load(offset), ...op.set(V),
  ...op.get(HI), ...op.get(V), ...op.i32(4), ...op.i8x16ShrU, ...op.i8x16Swizzle,
  ...op.get(LO), ...op.get(V), ...op.get(LOW_NIBBLE), ...op.v128And, ...op.i8x16Swizzle,
  ...op.v128And,
];
/** Breaks out of the enclosing loop's block when fewer than `step` bytes remain at p. */
const exitWhenShort = (step: number): number[] => [...op.get(P), ...op.i32(step), ...op.i32Add, ...op.get(END), ...op.i32GtU, ...op.brIf(1)];
const advance = (step: number): number[] => [...op.get(P), ...op.i32(step), ...op.i32Add, ...op.set(P)];

const SCAN_BODY = [
  1, 4, 0x7b, // four v128 locals
  ...op.get(TABLE), ...op.v128Load(0), ...op.set(LO),
  ...op.get(TABLE), ...op.v128Load(16), ...op.set(HI),
  ...op.i32(0x0f), ...op.i8x16Splat, ...op.set(LOW_NIBBLE),
  ...op.block, // $found
  // 64 bytes a step while no byte of the class is met; a hit falls through to the 16-byte loop,
  // which finds its block.
  ...op.block, ...op.loop,
  ...exitWhenShort(64),
  ...classify(0), ...classify(16), ...op.v128Or, ...classify(32), ...op.v128Or, ...classify(48), ...op.v128Or,
  ...op.v128AnyTrue, ...op.brIf(1),
  ...advance(64), ...op.br(0),
  ...op.end, ...op.end,
  ...op.loop,
  ...exitWhenShort(16),
  ...classify(0), ...op.v128AnyTrue, ...op.brIf(1),
  ...advance(16), ...op.br(0),
  ...op.end,
  ...op.end,
  ...op.get(P),
  ...op.end,
];

/** Table slot at 0, then the data region. */
const DATA_START = 64;
const MEMORY_PAGES = 5;
/** Bytes of the data region: room for a Message's longest text (65536 characters, 3 bytes each at most) with its tags. */
export const SCRATCH_CAPACITY = MEMORY_PAGES * 65536 - DATA_START;

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f]), // type 0: (i32, i32, i32) -> i32
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(5, [1, 0x00, MEMORY_PAGES]), // one memory, fixed size: views on it never detach
  ...section(7, [2, ...name('scan'), 0x00, 0, ...name('memory'), 0x02, 0]),
  ...section(10, [1, ...uleb(SCAN_BODY.length), ...SCAN_BODY]),
]);

// The slice of the WebAssembly JavaScript API used here (the project compiles without DOM types).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};

interface SimdScanner {
  scan: (table: number, p: number, end: number) => number;
  memory: Buffer;
  /** The class whose tables are in the slot now. */
  loaded: ByteClass | null;
}

function instantiate(): SimdScanner | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE_BYTES));
    const exports = instance.exports as { scan: SimdScanner['scan']; memory: { buffer: ArrayBuffer } };
    return { scan: exports.scan, memory: Buffer.from(exports.memory.buffer), loaded: null };
  } catch {
    return null; // no WebAssembly SIMD here: the plain loop does the work
  }
}

const simd = instantiate();

/** Whether the SIMD scanner is in use (for the benchmark report). */
export const simdScanAvailable = simd !== null;

/** Below this many bytes the plain loop is as fast as a call into the module. */
const SIMD_MIN_BYTES = 64;

/** The plain loop: also the reference the SIMD path is tested against. */
export function findByteOfClassPlain(bytes: Uint8Array, cls: ByteClass, start = 0, end = bytes.length): number {
  const member = cls.member;
  for (let i = start; i < end; i++) if (member[bytes[i]!] === 1) return i;
  return -1;
}

function scanInModule(s: SimdScanner, cls: ByteClass, from: number, to: number): number {
  if (s.loaded !== cls) {
    s.memory.set(cls.tables, 0);
    s.loaded = cls;
  }
  let p = s.scan(0, from, to);
  // p is a block holding a member, or the start of a tail shorter than 16 bytes.
  for (;;) {
    const blockEnd = Math.min(p + 16, to);
    const hit = findByteOfClassPlain(s.memory, cls, p, blockEnd);
    if (hit >= 0) return hit;
    if (blockEnd === to) return -1;
    p = s.scan(0, blockEnd, to);
  }
}

/** Offset of the first byte in [start, end) that belongs to `cls`, or -1. */
export function findByteOfClass(bytes: Uint8Array, cls: ByteClass, start = 0, end = bytes.length): number {
  if (start < 0 || end > bytes.length || start > end) throw new RangeError(`range [${start}, ${end}) is outside ${bytes.length} bytes`);
  if (simd === null || end - start < SIMD_MIN_BYTES) return findByteOfClassPlain(bytes, cls, start, end);
  if (bytes.buffer === simd.memory.buffer) {
    const found = scanInModule(simd, cls, bytes.byteOffset + start, bytes.byteOffset + end);
    return found < 0 ? -1 : found - bytes.byteOffset;
  }
  // Bytes elsewhere are copied into the module's memory a region at a time (a copy is several
  // times faster than the scan it replaces).
  for (let at = start; at < end; at += SCRATCH_CAPACITY) {
    const upTo = Math.min(end, at + SCRATCH_CAPACITY);
    simd.memory.set(bytes.subarray(at, upTo), DATA_START);
    const found = scanInModule(simd, cls, DATA_START, DATA_START + (upTo - at));
    if (found >= 0) return at + (found - DATA_START);
  }
  return -1;
}

/**
 * A scratch area inside the module's memory, so that bytes written there (a Message's text, say)
 * are scanned where they lie, without a copy. The view is valid until the next call of any function
 * here: use it and copy out what must be kept before scanning anything else.
 */
export function scanScratch(minBytes: number): Buffer | null {
  if (simd === null || minBytes > SCRATCH_CAPACITY) return null;
  return simd.memory.subarray(DATA_START, DATA_START + SCRATCH_CAPACITY);
}
