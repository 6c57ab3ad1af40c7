import t from 'tap';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import {
  ecdsaP256SignRaw, encodeEcdsaDer, parseEcdsaDer, sign, signatureAlgorithmForKey, verify, verifyEcdsaP256P1363, verifyRsaPss,
} from '../../src/protocol/signature.js';
import { seededRandom } from '../../src/protocol/random.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const b64u = (s: string): string => Buffer.from(s, 'hex').toString('base64url');

// RFC 6979 appendix A.2.5: the P-256 key and the SHA-256 signatures of "sample" and "test".
const X = 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721';
const UX = '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6';
const UY = '7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299';
const rfcPrivate = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(X), x: b64u(UX), y: b64u(UY) }, format: 'jwk' });
const rfcPublic = createPublicKey(rfcPrivate);

t.test('RFC 6979 A.2.5 P-256 SHA-256 "sample": published k, r, s', async (t) => {
  const { k, r, s } = ecdsaP256SignRaw(BigInt('0x' + X), Buffer.from('sample'));
  t.equal(k.toString(16), 'a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60');
  t.equal(r.toString(16), 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716');
  t.equal(s.toString(16), 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
});

t.test('RFC 6979 A.2.5 P-256 SHA-256 "test": published k, r, s', async (t) => {
  const { k, r, s } = ecdsaP256SignRaw(BigInt('0x' + X), Buffer.from('test'));
  t.equal(k.toString(16), 'd16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0');
  t.equal(r.toString(16), 'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367');
  t.equal(s.toString(16), '19f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083');
});

t.test('ECDSA sign() gives the RFC 6979 DER signature, which crypto.verify accepts', async (t) => {
  const signature = sign('ecdsa-p256-sha256', rfcPrivate, Buffer.from('sample'), seededRandom('unused'));
  const { r, s } = parseEcdsaDer(signature)!;
  t.equal(r.toString(16), 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716');
  t.equal(s.toString(16), 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
  t.ok(nodeVerify('sha256', Buffer.from('sample'), { key: rfcPublic, dsaEncoding: 'der' }, signature));
  t.ok(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('sample'), signature));
  t.notOk(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('samplf'), signature));
});

t.test('ECDSA verify refuses non-strict DER and out-of-range values', async (t) => {
  const { r, s } = ecdsaP256SignRaw(BigInt('0x' + X), Buffer.from('sample'));
  const good = encodeEcdsaDer(r, s);
  t.ok(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('sample'), good));
  // Long-form length for a short SEQUENCE: BER, not DER.
  const berLength = Buffer.concat([hex('3081'), good.subarray(1)]);
  t.notOk(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('sample'), berLength), 'long-form length');
  t.notOk(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('sample'), Buffer.concat([good, hex('00')])), 'trailing byte');
  t.same(parseEcdsaDer(hex('3006020101020101')), { r: 1n, s: 1n }, 'minimal r = s = 1 parses');
  // s = 1 padded with a superfluous zero: 02 02 00 01.
  t.equal(parseEcdsaDer(hex('300702010102020001')), null, 'non-minimal INTEGER');
  t.equal(parseEcdsaDer(hex('3006020100020101')), null, 'r = 0');
  t.equal(parseEcdsaDer(hex('30060201ff020101')), null, 'negative r');
  t.notOk(verify('ecdsa-p256-sha256', rfcPublic, Buffer.from('sample'), Buffer.alloc(0)), 'empty');
});

t.test('ECDSA P1363 form verifies through its DER equivalent', async (t) => {
  const { r, s } = ecdsaP256SignRaw(BigInt('0x' + X), Buffer.from('sample'));
  const p1363 = Buffer.concat([Buffer.from(r.toString(16).padStart(64, '0'), 'hex'), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]);
  t.ok(verifyEcdsaP256P1363(rfcPublic, Buffer.from('sample'), p1363));
  t.notOk(verifyEcdsaP256P1363(rfcPublic, Buffer.from('sample'), p1363.subarray(1)));
});

t.test('Ed25519: RFC 8032 test 1', async (t) => {
  const secret = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const publicRaw = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: secret.toString('base64url'), x: publicRaw.toString('base64url') }, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const signature = sign('ed25519', privateKey, Buffer.alloc(0), seededRandom('unused'));
  t.equal(signature.toString('hex'), 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  t.ok(verify('ed25519', publicKey, Buffer.alloc(0), signature));
  t.notOk(verify('ed25519', publicKey, Buffer.from('x'), signature));
  t.notOk(verify('ed25519', publicKey, Buffer.alloc(0), Buffer.concat([signature, hex('00')])), 'signature with garbage');
});

t.test('RSA-PSS: deterministic given the rng, salt 32, verified by OpenSSL', async (t) => {
  for (const modulusLength of [2048, 2049]) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
    const data = Buffer.from('E2ED 1.0 responder signature');
    const signature = sign('rsa-pss-sha256', privateKey, data, seededRandom('pss'));
    t.same(sign('rsa-pss-sha256', privateKey, data, seededRandom('pss')), signature, `${modulusLength}: deterministic`);
    t.notSame(sign('rsa-pss-sha256', privateKey, data, seededRandom('other')), signature, `${modulusLength}: salt from rng`);
    t.ok(nodeVerify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature), `${modulusLength}: OpenSSL accepts`);
    t.ok(verify('rsa-pss-sha256', publicKey, data, signature), `${modulusLength}: verify`);
    t.notOk(verifyRsaPss(publicKey, data, signature, 0), `${modulusLength}: salt length is exact`);
    t.notOk(verify('rsa-pss-sha256', publicKey, Buffer.from('other'), signature), `${modulusLength}: other data`);
  }
});

t.test('signatureAlgorithmForKey: P-256, Ed25519, RSA >= 2048; nothing else', async (t) => {
  t.equal(signatureAlgorithmForKey(rfcPublic), 'ecdsa-p256-sha256');
  t.equal(signatureAlgorithmForKey(generateKeyPairSync('ed25519').publicKey), 'ed25519');
  t.equal(signatureAlgorithmForKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey), 'rsa-pss-sha256');
  t.equal(signatureAlgorithmForKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), null);
  t.equal(signatureAlgorithmForKey(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey), null);
  t.equal(signatureAlgorithmForKey(generateKeyPairSync('ed448').publicKey), null);
});

t.test('verify is false, never an exception, when the algorithm does not match the key', async (t) => {
  const signature = sign('ecdsa-p256-sha256', rfcPrivate, Buffer.from('sample'), seededRandom('x'));
  t.notOk(verify('ed25519', rfcPublic, Buffer.from('sample'), signature));
  t.notOk(verify('rsa-pss-sha256', rfcPublic, Buffer.from('sample'), signature));
  t.throws(() => sign('ed25519', rfcPrivate, Buffer.from('x'), seededRandom('x')));
});
