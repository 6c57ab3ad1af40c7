import t from 'tap';
import { mod, modInverse, modPow } from '../../src/protocol/crypto/bigint.js';
import { P256 } from '../../src/protocol/crypto/p256.js';

t.test('modInverse agrees with Fermat on the P-256 order and refuses non-invertible input', async (t) => {
  for (const x of [1n, 2n, 3n, P256.n - 1n, 0x1234567890abcdefn, P256.p]) {
    const inv = modInverse(x, P256.n);
    t.equal(mod(inv * x, P256.n), 1n, `x * x^-1 = 1 for ${x.toString(16).slice(0, 16)}`);
    t.equal(inv, modPow(x, P256.n - 2n, P256.n), 'same as Fermat');
  }
  t.throws(() => modInverse(0n, P256.n), RangeError);
  t.throws(() => modInverse(6n, 9n), RangeError, 'gcd 3');
  t.equal(modInverse(3n, 7n), 5n);
  t.equal(modPow(4n, 13n, 497n), 445n, 'textbook example');
});
