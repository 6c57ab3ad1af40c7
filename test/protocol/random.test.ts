import t from 'tap';
import { seededRandom, systemRandom } from '../../src/protocol/random.js';

t.test('same seed and same calls give the same bytes', async (t) => {
  const a = seededRandom('seed');
  const b = seededRandom('seed');
  t.same(a.bytes(10), b.bytes(10));
  t.same(a.bytes(70), b.bytes(70));
});

t.test('different seeds give different bytes', async (t) => {
  t.notSame(seededRandom('seed-1').bytes(32), seededRandom('seed-2').bytes(32));
  t.same(seededRandom('x').bytes(32), seededRandom(Buffer.from('x')).bytes(32), 'string seed is its UTF-8 bytes');
});

t.test('successive draws differ', async (t) => {
  const r = seededRandom('seed');
  t.notSame(r.bytes(32), r.bytes(32));
});

t.test('a fork is independent of the parent draws', async (t) => {
  const a = seededRandom('seed');
  const b = seededRandom('seed');
  b.bytes(100);
  t.same(a.fork('nonce').bytes(32), b.fork('nonce').bytes(32), 'parent draws do not shift the fork');
  const c = seededRandom('seed');
  const d = seededRandom('seed');
  c.fork('other').bytes(64);
  t.same(c.bytes(16), d.bytes(16), 'fork draws do not shift the parent');
});

t.test('forks with different labels, or the same label twice, differ', async (t) => {
  const r = seededRandom('seed');
  t.notSame(r.fork('a').bytes(32), r.fork('b').bytes(32));
  t.notSame(r.fork('a').bytes(32), r.fork('a').bytes(32));
  t.notSame(seededRandom('seed').fork('a').bytes(32), seededRandom('seed').bytes(32));
});

t.test('lengths are honoured, including zero', async (t) => {
  const r = seededRandom('seed');
  t.equal(r.bytes(0).length, 0);
  t.equal(r.bytes(33).length, 33);
  t.equal(systemRandom.bytes(5).length, 5);
  t.equal(systemRandom.fork('x').bytes(7).length, 7);
});
