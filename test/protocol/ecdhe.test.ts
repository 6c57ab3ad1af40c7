import t from 'tap';
import { createECDH, generateKeyPairSync } from 'node:crypto';
import {
  computeSharedSecret, generateKeyShare, p256PublicKeyFromSpki, publicKeyFromPrivate, validateP256Spki,
  x25519PrivateKeyFromPkcs8, x25519PublicKeyFromSpki,
} from '../../src/protocol/ecdhe.js';
import { seededRandom } from '../../src/protocol/random.js';
import { alertOf } from '../helpers/alerts.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');


// RFC 7748 section 6.1.
const ALICE_PRIVATE = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUBLIC = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB_PRIVATE = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

t.test('x25519: RFC 7748 6.1 test vector', async (t) => {
  t.same(publicKeyFromPrivate('x25519', ALICE_PRIVATE), ALICE_PUBLIC);
  t.same(publicKeyFromPrivate('x25519', BOB_PRIVATE), BOB_PUBLIC);
  t.equal(computeSharedSecret('x25519', ALICE_PRIVATE, BOB_PUBLIC).toString('hex'), SHARED);
  t.equal(computeSharedSecret('x25519', BOB_PRIVATE, ALICE_PUBLIC).toString('hex'), SHARED);
});

t.test('x25519: low-order point (all-zero secret) is illegal_parameter', async (t) => {
  t.equal(alertOf(() => computeSharedSecret('x25519', ALICE_PRIVATE, Buffer.alloc(32))), 'illegal_parameter', 'u = 0');
  const one = Buffer.alloc(32);
  one[0] = 1;
  t.equal(alertOf(() => computeSharedSecret('x25519', ALICE_PRIVATE, one)), 'illegal_parameter', 'u = 1');
});

t.test('x25519: wrong key share length is illegal_parameter', async (t) => {
  t.equal(alertOf(() => computeSharedSecret('x25519', ALICE_PRIVATE, Buffer.alloc(31, 9))), 'illegal_parameter');
});

t.test('x25519 and p256: key generation is deterministic given the rng and agrees both ways', async (t) => {
  for (const method of ['x25519', 'p256'] as const) {
    const a = generateKeyShare(method, seededRandom('a'));
    t.same(generateKeyShare(method, seededRandom('a')), a, `${method} deterministic`);
    const b = generateKeyShare(method, seededRandom('b'));
    t.same(computeSharedSecret(method, a.privateKey, b.publicKey), computeSharedSecret(method, b.privateKey, a.publicKey), method);
    t.equal(computeSharedSecret(method, a.privateKey, b.publicKey).length, 32);
  }
});

t.test('p256: shared secret is the x-coordinate, as OpenSSL computes it', async (t) => {
  const own = generateKeyShare('p256', seededRandom('own'));
  t.equal(own.publicKey.length, 65);
  t.equal(own.publicKey[0], 0x04);
  const peer = createECDH('prime256v1');
  peer.generateKeys();
  t.same(computeSharedSecret('p256', own.privateKey, peer.getPublicKey()), peer.computeSecret(own.publicKey));
});

t.test('p256: compressed, off-curve or malformed points are illegal_parameter', async (t) => {
  const own = generateKeyShare('p256', seededRandom('own'));
  const peer = generateKeyShare('p256', seededRandom('peer')).publicKey;
  const compressed = Buffer.concat([Buffer.from([0x02 + (peer[64]! & 1)]), peer.subarray(1, 33)]);
  t.equal(alertOf(() => computeSharedSecret('p256', own.privateKey, compressed)), 'illegal_parameter', 'compressed');
  const offCurve = Buffer.from(peer);
  offCurve[64] = offCurve[64]! ^ 1;
  t.equal(alertOf(() => computeSharedSecret('p256', own.privateKey, offCurve)), 'illegal_parameter', 'off curve');
  const wrongPrefix = Buffer.from(peer);
  wrongPrefix[0] = 0x06;
  t.equal(alertOf(() => computeSharedSecret('p256', own.privateKey, wrongPrefix)), 'illegal_parameter', 'hybrid prefix');
  t.equal(alertOf(() => computeSharedSecret('p256', own.privateKey, Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]))), 'illegal_parameter', '(0, 0)');
});

t.test('p256: scalar generation retries until it lies in [1, n-1]', async (t) => {
  // An rng whose first draw is all 0xff (above n) and second draw is 1.
  const draws = [Buffer.alloc(32, 0xff), Buffer.concat([Buffer.alloc(31), Buffer.from([1])])];
  const rng = { bytes: (n: number) => draws.shift()!.subarray(0, n), fork: () => rng };
  const share = generateKeyShare('p256', rng);
  t.equal(share.privateKey.toString('hex'), '00'.repeat(31) + '01');
  t.same(share.publicKey.subarray(1, 33), hex('6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'), 'the generator');
});

t.test('validateP256Spki accepts a named-curve key and refuses others', async (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  t.equal(validateP256Spki(der).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(p256PublicKeyFromSpki(der).length, 65);
  const explicitDer = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    paramEncoding: 'explicit',
    publicKeyEncoding: { format: 'der', type: 'spki' },
    privateKeyEncoding: { format: 'der', type: 'pkcs8' },
  }).publicKey;
  t.ok(explicitDer.length > 91, 'the key really carries explicit parameters');
  t.equal(alertOf(() => validateP256Spki(explicitDer)), 'illegal_parameter', 'explicit curve parameters');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' });
  t.equal(alertOf(() => validateP256Spki(p384)), 'illegal_parameter', 'other curve');
  t.equal(alertOf(() => validateP256Spki(Buffer.concat([der, Buffer.from([0])]))), 'illegal_parameter', 'trailing byte');
});

t.test('x25519 DER forms: exact SPKI and PKCS#8 only', async (t) => {
  const spki = Buffer.concat([hex('302a300506032b656e032100'), ALICE_PUBLIC]);
  t.same(x25519PublicKeyFromSpki(spki), ALICE_PUBLIC);
  const pkcs8 = Buffer.concat([hex('302e020100300506032b656e04220420'), ALICE_PRIVATE]);
  t.same(x25519PrivateKeyFromPkcs8(pkcs8), ALICE_PRIVATE);
  const ed25519Spki = Buffer.concat([hex('302a300506032b6570032100'), ALICE_PUBLIC]);
  t.equal(alertOf(() => x25519PublicKeyFromSpki(ed25519Spki)), 'illegal_parameter');
  t.equal(alertOf(() => x25519PrivateKeyFromPkcs8(Buffer.concat([hex('302c020100300506032b656e0420'), ALICE_PRIVATE]))), 'illegal_parameter');
});
