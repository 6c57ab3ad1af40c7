import t from 'tap';
import { createHmac } from 'node:crypto';
import {
  expandLabel, exporter, finishedKey, finishedValue, handshakeSecret, hkdfExpand, hkdfExtract, hkdfLabel,
  masterSecret, nextTrafficSecret, signedContent, SIGNATURE_CONTEXT, trafficKeys, trafficSecrets,
} from '../../src/protocol/keyschedule.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

t.test('RFC 5869 test case 1 (extract and expand)', async (t) => {
  const prk = hkdfExtract(hex('000102030405060708090a0b0c'), Buffer.alloc(22, 0x0b));
  t.equal(prk.toString('hex'), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  const okm = hkdfExpand(prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42);
  t.equal(okm.toString('hex'), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
});

t.test('RFC 5869 test case 3 (empty salt and info)', async (t) => {
  const prk = hkdfExtract(Buffer.alloc(0), Buffer.alloc(22, 0x0b));
  t.equal(prk.toString('hex'), '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
  t.equal(hkdfExpand(prk, Buffer.alloc(0), 42).toString('hex'), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
});

t.test('HKDF-Expand refuses more than 255 blocks', async (t) => {
  t.throws(() => hkdfExpand(Buffer.alloc(32), Buffer.alloc(0), 255 * 32 + 1));
  t.equal(hkdfExpand(Buffer.alloc(32), Buffer.alloc(0), 255 * 32).length, 255 * 32);
});

t.test('ExpandLabel info is uint16 len || uint8 len(L) || "e2ed " label || uint8 len(ctx) || ctx', async (t) => {
  t.equal(hkdfLabel('key', Buffer.alloc(0), 32).toString('hex'), '0020' + '08' + Buffer.from('e2ed key').toString('hex') + '00');
  t.equal(hkdfLabel('master', hex('aabb'), 32).toString('hex'), '0020' + '0b' + Buffer.from('e2ed master').toString('hex') + '02aabb');
  t.equal(hkdfLabel('iv', Buffer.alloc(0), 12).toString('hex'), '000c' + '07' + Buffer.from('e2ed iv').toString('hex') + '00');
});

t.test('ExpandLabel of 32 bytes is one HMAC block over info || 0x01', async (t) => {
  const secret = Buffer.alloc(32, 0x42);
  const info = Buffer.concat([hex('0020'), Buffer.from([13]), Buffer.from('e2ed exporter'), hex('00')]);
  const expected = createHmac('sha256', secret).update(info).update(hex('01')).digest();
  t.same(expandLabel(secret, 'exporter', Buffer.alloc(0), 32), expected);
  t.same(exporter(secret), expected);
});

t.test('HS = Extract(salt = nonce_I || nonce_R, ikm = Z)', async (t) => {
  const z = Buffer.alloc(32, 1);
  const nonceI = Buffer.alloc(32, 2);
  const nonceR = Buffer.alloc(32, 3);
  const expected = createHmac('sha256', Buffer.concat([nonceI, nonceR])).update(z).digest();
  t.same(handshakeSecret(z, nonceI, nonceR), expected);
});

t.test('each derived value uses its own label', async (t) => {
  const s = Buffer.alloc(32, 7);
  const empty = Buffer.alloc(0);
  t.same(finishedKey(s, 'i'), expandLabel(s, 'i finished', empty, 32));
  t.same(finishedKey(s, 'r'), expandLabel(s, 'r finished', empty, 32));
  const th = Buffer.alloc(32, 9);
  t.same(finishedValue(s, th), createHmac('sha256', s).update(th).digest());
  t.same(masterSecret(s, th), expandLabel(s, 'master', th, 32));
  t.same(trafficSecrets(s), { i2r: expandLabel(s, 'i2r traffic', empty, 32), r2i: expandLabel(s, 'r2i traffic', empty, 32) });
  t.same(trafficKeys(s), { key: expandLabel(s, 'key', empty, 32), iv: expandLabel(s, 'iv', empty, 12) });
  t.same(nextTrafficSecret(s), expandLabel(s, 'update', empty, 32));
  t.notSame(finishedKey(s, 'i'), finishedKey(s, 'r'));
});

t.test('signed content is context || 0x00 || hash', async (t) => {
  const hash = Buffer.alloc(32, 0xaa);
  t.same(signedContent(SIGNATURE_CONTEXT.responder10, hash), Buffer.concat([Buffer.from('E2ED 1.0 responder signature'), hex('00'), hash]));
  t.equal(SIGNATURE_CONTEXT.initiator10, 'E2ED 1.0 initiator signature');
  t.equal(SIGNATURE_CONTEXT.responder09, 'E2ED 0.9 responder signature');
  t.equal(SIGNATURE_CONTEXT.initiator09, 'E2ED 0.9 initiator signature');
});
