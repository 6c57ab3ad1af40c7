// The byte-level character scans agree with the XML 1.0 Char production (as a regular expression
// over the decoded string) on valid UTF-8 at every alignment, and find what they must.
import t from 'tap';
import { containsAnyAscii, findIllegalXmlByte } from '../../src/protocol/xml-chars.js';
import { seededRandom } from '../../src/protocol/random.js';

const NOT_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function reference(bytes: Buffer): boolean {
  return NOT_CHAR.test(bytes.toString('utf8'));
}

const SAMPLES = [0x41, 0x09, 0x0a, 0x0d, 0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1f, 0x20, 0x7f, 0x85, 0xe9, 0x4e2d, 0xd7ff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x1d11e, 0x10ffff];

t.test('agrees with the Char production on random valid UTF-8, at every alignment', async (t) => {
  const rng = seededRandom('xml-chars');
  let checked = 0;
  for (let round = 0; round < 400; round++) {
    const [len, pick] = rng.bytes(2);
    const cps: number[] = [];
    for (let i = 0; i < (len! % 40) + 1; i++) {
      const r = rng.bytes(1)[0]!;
      // Mostly harmless letters, sometimes one of the interesting code points.
      cps.push(r < 200 ? 0x61 + (r % 26) : SAMPLES[(r + pick!) % SAMPLES.length]!);
    }
    const text = Buffer.from(String.fromCodePoint(...cps), 'utf8');
    for (let offset = 0; offset < 4; offset++) {
      const backing = Buffer.alloc(text.length + offset);
      text.copy(backing, offset);
      const view = backing.subarray(offset);
      const found = findIllegalXmlByte(view);
      if ((found >= 0) !== reference(view)) t.fail(`disagree on ${view.toString('hex')} at offset ${offset}`);
      checked++;
    }
  }
  t.equal(checked, 1600);
});

t.test('finds the first offending byte', async (t) => {
  t.equal(findIllegalXmlByte(Buffer.from('abc\tdef\n\r')), -1);
  t.equal(findIllegalXmlByte(Buffer.from('abcdefgh\u0001')), 8);
  t.equal(findIllegalXmlByte(Buffer.from('ab\u000bcdefgh')), 2);
  t.equal(findIllegalXmlByte(Buffer.from('ab\uffffc')), 2);
  t.equal(findIllegalXmlByte(Buffer.from('ab\ufffec')), 2);
  t.equal(findIllegalXmlByte(Buffer.from('ab\ufffdc')), -1);
  t.equal(findIllegalXmlByte(Buffer.from('\u0000')), 0);
  t.equal(findIllegalXmlByte(Buffer.alloc(0)), -1);
});

t.test('containsAnyAscii looks only inside the range', async (t) => {
  const b = Buffer.from('<ab&cd>');
  t.equal(containsAnyAscii(b, '<>&'), true);
  t.equal(containsAnyAscii(b, '<>&', 1, 3), false);
  t.equal(containsAnyAscii(b, '&', 1, 4), true);
  t.equal(containsAnyAscii(b, '\r'), false);
});

t.test('an offending byte is found at every position of a long buffer, and TAB/LF/CR never are', async (t) => {
  for (let at = 0; at < 80; at++) {
    const b = Buffer.alloc(80, 0x61);
    b[at] = 0x07;
    if (findIllegalXmlByte(b) !== at) t.fail(`control byte at ${at} not found`);
    b[at] = [0x09, 0x0a, 0x0d][at % 3]!;
    if (findIllegalXmlByte(b) !== -1) t.fail(`allowed byte at ${at} refused`);
  }
  t.pass('80 positions');
});
