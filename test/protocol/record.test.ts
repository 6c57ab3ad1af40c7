import t from 'tap';
import { aeadOpen, aeadSeal, CIPHERS, isCipherName, openRecord, recordNonce, sealRecord } from '../../src/protocol/record.js';
import { FrameDecoder } from '../../src/protocol/frame.js';
import { alertOf } from '../helpers/alerts.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const KEY = Buffer.alloc(32, 0x11);
const IV = hex('000102030405060708090a0b');


const decodeOne = (wire: Buffer) => {
  const frames = new FrameDecoder().push(wire);
  if (frames.length !== 1) throw new Error('expected one frame');
  return frames[0]!;
};

t.test('nonce = iv XOR (4 zero bytes || uint64be seq)', async (t) => {
  t.same(recordNonce(IV, 0n), IV);
  t.same(recordNonce(IV, 1n), hex('000102030405060708090a0a'));
  t.same(recordNonce(IV, 0x0102030405060708n), hex('00010203050705030d0f0d03'));
  t.same(recordNonce(IV, 0xffffffffffffffffn), hex('00010203fbfaf9f8f7f6f5f4'));
  t.throws(() => recordNonce(IV, 1n << 64n));
});

t.test('cipher names', async (t) => {
  t.same(CIPHERS, ['AES-256-GCM', 'CHACHA20-POLY1305']);
  t.ok(isCipherName('CHACHA20-POLY1305'));
  t.notOk(isCipherName('NULL'));
});

for (const cipher of CIPHERS) {
  t.test(`${cipher}: seal then open round trip, header is the AAD`, async (t) => {
    const plaintext = Buffer.from('<Ping xmlns="urn:sixchat:e2ed:1" id="1"/>');
    const wire = sealRecord(cipher, KEY, IV, 5n, plaintext);
    t.equal(wire.readUInt32BE(0), 1 + plaintext.length + 16, 'L counts type, ciphertext and tag');
    t.equal(wire[4], 0x02);
    const family = cipher === 'AES-256-GCM' ? 'aes-gcm' : 'chacha20-poly1305';
    t.same(wire.subarray(5), aeadSeal(family, KEY, recordNonce(IV, 5n), wire.subarray(0, 5), plaintext));
    t.same(openRecord(cipher, KEY, IV, 5n, decodeOne(wire)), plaintext);
  });

  t.test(`${cipher}: tampering, wrong sequence or wrong key is bad_record_mac`, async (t) => {
    const wire = sealRecord(cipher, KEY, IV, 0n, Buffer.from('<a/>'));
    for (let i = 5; i < wire.length; i++) {
      const tampered = Buffer.from(wire);
      tampered[i] = tampered[i]! ^ 0x01;
      t.equal(alertOf(() => openRecord(cipher, KEY, IV, 0n, decodeOne(tampered))), 'bad_record_mac', `byte ${i}`);
    }
    t.equal(alertOf(() => openRecord(cipher, KEY, IV, 1n, decodeOne(wire))), 'bad_record_mac', 'sequence');
    t.equal(alertOf(() => openRecord(cipher, Buffer.alloc(32, 0x12), IV, 0n, decodeOne(wire))), 'bad_record_mac', 'key');
  });

  t.test(`${cipher}: the header is authenticated`, async (t) => {
    const wire = sealRecord(cipher, KEY, IV, 0n, Buffer.from('<a/>'));
    const frame = decodeOne(wire);
    const forged = { ...frame, header: Buffer.from(frame.header) };
    forged.header[0] = 0x01; // a different length claim, same payload
    t.equal(alertOf(() => openRecord(cipher, KEY, IV, 0n, forged)), 'bad_record_mac');
  });

  // E2ED-REC-3 and section 2.3: a record shorter than the tag fails authentication.
  t.test(`${cipher}: payload shorter than the tag is bad_record_mac (E2ED-REC-3)`, async (t) => {
    for (const n of [0, 10, 15]) {
      const frame = decodeOne(hex(`${(n + 1).toString(16).padStart(8, '0')}02` + '00'.repeat(n)));
      t.equal(alertOf(() => openRecord(cipher, KEY, IV, 0n, frame)), 'bad_record_mac', `${n} bytes`);
    }
  });
}

t.test('opening a plaintext frame is a local error, not the peer\'s', async (t) => {
  const frame = decodeOne(hex('0000001501' + '00'.repeat(20)));
  t.equal(alertOf(() => openRecord('AES-256-GCM', KEY, IV, 0n, frame)), 'internal_error');
});

t.test('AES-256-GCM known answer (NIST GCM test case 13: zero key, zero IV, empty plaintext)', async (t) => {
  t.equal(aeadSeal('aes-gcm', Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(0)).toString('hex'), '530f8afbc74536b9a963b4f1c4cb738b');
  t.equal(aeadOpen('aes-gcm', Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(0), hex('530f8afbc74536b9a963b4f1c4cb738b'))?.length, 0);
  t.equal(aeadOpen('aes-gcm', Buffer.alloc(32), Buffer.alloc(12), Buffer.alloc(0), hex('530f8afbc74536b9a963b4f1c4cb738a')), null);
});

t.test('non-96-bit nonces are refused', async (t) => {
  t.throws(() => aeadSeal('chacha20-poly1305', KEY, Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(0)));
});
