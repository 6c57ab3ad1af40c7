import t from 'tap';
import { concat, constantTimeEqual, fromBase64, fromHex, toBase64, toHex, u16be, u32be, u64be, u8 } from '../../src/protocol/bytes.js';
import { alertOf } from '../helpers/alerts.js';


t.test('hex round trip is lower case', async (t) => {
  t.equal(toHex(Buffer.from([0x00, 0xab, 0xff])), '00abff');
  t.same(fromHex('00abff'), Buffer.from([0x00, 0xab, 0xff]));
});

t.test('hex rejects upper case, odd length, separators and wrong length', async (t) => {
  t.equal(alertOf(() => fromHex('AB')), 'decode_error');
  t.equal(alertOf(() => fromHex('abc')), 'decode_error');
  t.equal(alertOf(() => fromHex('ab cd')), 'decode_error');
  t.equal(alertOf(() => fromHex('abcd', 3)), 'decode_error');
  t.same(fromHex('abcdef', 3), Buffer.from([0xab, 0xcd, 0xef]));
});

t.test('base64 accepts padded standard alphabet only', async (t) => {
  t.equal(toBase64(Buffer.from('ab')), 'YWI=');
  t.same(fromBase64('YWI='), Buffer.from('ab'));
  t.same(fromBase64(''), Buffer.alloc(0));
  t.equal(alertOf(() => fromBase64('YWI')), 'decode_error', 'missing padding');
  t.equal(alertOf(() => fromBase64('Y WI=')), 'decode_error', 'whitespace');
  t.equal(alertOf(() => fromBase64('-_8=')), 'decode_error', 'URL-safe alphabet');
  t.equal(alertOf(() => fromBase64('YWJ=')), 'decode_error', 'non-canonical trailing bits');
});

t.test('integer encoders are big-endian and range checked', async (t) => {
  t.same(u8(7), Buffer.from([7]));
  t.same(u16be(0x0102), Buffer.from([1, 2]));
  t.same(u32be(0x01020304), Buffer.from([1, 2, 3, 4]));
  t.same(u64be(0x0102030405060708n), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  t.throws(() => u8(256));
  t.throws(() => u64be(-1n));
  t.same(concat(Buffer.from([1]), new Uint8Array([2])), Buffer.from([1, 2]));
});

t.test('constantTimeEqual compares length and content', async (t) => {
  t.ok(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 2])));
  t.notOk(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 3])));
  t.notOk(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 2, 3])));
});
