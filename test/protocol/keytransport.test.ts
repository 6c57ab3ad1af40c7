import t from 'tap';
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { decryptPremaster, emeOaepEncode, encryptPremaster, PREMASTER_LENGTH, rsaOaepDecrypt } from '../../src/protocol/keytransport.js';
import { seededRandom } from '../../src/protocol/random.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PREMASTER = Buffer.alloc(PREMASTER_LENGTH, 0x5a);

t.test('OAEP round trip: our encoding decrypts with OpenSSL OAEP SHA-256/MGF1-SHA-256', async (t) => {
  const ciphertext = encryptPremaster(publicKey, PREMASTER, seededRandom('oaep'));
  t.equal(ciphertext.length, 256, 'ciphertext is the modulus length');
  t.same(decryptPremaster(privateKey, ciphertext), PREMASTER);
});

t.test('encryption is deterministic given the rng, and the seed matters', async (t) => {
  const a = encryptPremaster(publicKey, PREMASTER, seededRandom('oaep'));
  t.same(encryptPremaster(publicKey, PREMASTER, seededRandom('oaep')), a);
  t.notSame(encryptPremaster(publicKey, PREMASTER, seededRandom('other')), a);
});

t.test('EME-OAEP layout: leading zero, 32-byte masked seed, k - 33 byte masked DB', async (t) => {
  const em = emeOaepEncode(PREMASTER, 256, Buffer.alloc(32, 1));
  t.equal(em.length, 256);
  t.equal(em[0], 0);
  t.throws(() => emeOaepEncode(Buffer.alloc(256 - 2 * 32 - 1), 256, Buffer.alloc(32)), 'message too long');
});

t.test('tampered, truncated or foreign ciphertexts give null', async (t) => {
  const ciphertext = encryptPremaster(publicKey, PREMASTER, seededRandom('oaep'));
  const tampered = Buffer.from(ciphertext);
  tampered[100] = tampered[100]! ^ 1;
  t.equal(decryptPremaster(privateKey, tampered), null);
  t.equal(decryptPremaster(privateKey, ciphertext.subarray(1)), null);
  t.equal(decryptPremaster(privateKey, Buffer.concat([Buffer.alloc(1), ciphertext])), null);
  const pkcs1 = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, PREMASTER);
  t.equal(decryptPremaster(privateKey, pkcs1), null, 'PKCS#1 v1.5 padding');
});

t.test('a plaintext that is not 32 bytes is refused as a premaster', async (t) => {
  const short = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.alloc(31, 1));
  t.same(rsaOaepDecrypt(privateKey, short), Buffer.alloc(31, 1));
  t.equal(decryptPremaster(privateKey, short), null);
});

t.test('a non-empty label does not decrypt under the empty label', async (t) => {
  const labelled = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('x') }, PREMASTER);
  t.equal(decryptPremaster(privateKey, labelled), null);
  t.same(rsaOaepDecrypt(privateKey, labelled, Buffer.from('x')), PREMASTER);
});
