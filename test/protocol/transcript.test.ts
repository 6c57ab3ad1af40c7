import t from 'tap';
import { createHash } from 'node:crypto';
import { binding09, Transcript } from '../../src/protocol/transcript.js';

const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

t.test('hash covers the frames added so far and can keep growing', async (t) => {
  const a = Buffer.from('0000000501aaaaaaaa', 'hex');
  const b = Buffer.from('0000000201bb', 'hex');
  const transcript = new Transcript();
  t.same(transcript.hash(), sha256());
  transcript.add(a);
  t.same(transcript.hash(), sha256(a));
  t.same(transcript.hash(), sha256(a), 'hash() does not consume the state');
  transcript.add(b);
  t.same(transcript.hash(), sha256(a, b));
});

t.test('clone forks the transcript', async (t) => {
  const transcript = new Transcript();
  transcript.add(Buffer.from('01', 'hex'));
  const copy = transcript.clone();
  copy.add(Buffer.from('02', 'hex'));
  t.same(transcript.hash(), sha256(Buffer.from('01', 'hex')));
  t.same(copy.hash(), sha256(Buffer.from('0102', 'hex')));
});

t.test('binding09 = SHA-256(nonce_I || nonce_R || u16 len || id_I || u16 len || id_R)', async (t) => {
  const nonceI = Buffer.alloc(32, 1);
  const nonceR = Buffer.alloc(32, 2);
  const expected = sha256(nonceI, nonceR, Buffer.from('0001', 'hex'), Buffer.from('a'), Buffer.from('0003', 'hex'), Buffer.from('bcd'));
  t.same(binding09(nonceI, nonceR, 'a', 'bcd'), expected);
  t.notSame(binding09(nonceI, nonceR, 'ab', 'cd'), binding09(nonceI, nonceR, 'a', 'bcd'), 'lengths separate the identities');
});
