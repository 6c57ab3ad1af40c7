// Agreement of every primitive the pure core uses with Project Wycheproof
// (/work/shared/external/wycheproof, see its README.txt). Every `valid` and `invalid` vector must
// agree; `acceptable` vectors are not scored but what the core does with each class is printed,
// because the specification records those decisions.
import t from 'tap';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { hkdfExpand, hkdfExtract } from '../../src/protocol/keyschedule.js';
import { aeadOpen, aeadSeal, AEAD_NONCE_LENGTH, type AeadFamily } from '../../src/protocol/record.js';
import {
  computeSharedSecret, p256PublicKeyFromSpki, validateP256Spki, x25519PrivateKeyFromPkcs8, x25519PublicKeyFromSpki,
} from '../../src/protocol/ecdhe.js';
import { verify, verifyEcdsaP256P1363, verifyRsaPss } from '../../src/protocol/signature.js';
import { rsaOaepDecrypt } from '../../src/protocol/keytransport.js';
import {
  describeTally, hexField, tallyFile, wycheproofAvailable, wycheproofDir, type FileTally, type Outcome, type WycheproofGroup, type WycheproofTest,
} from './tally.js';

const accepted = (ok: boolean): Outcome => (ok ? 'accept' : 'reject');

/** Wycheproof writes private scalars as big-endian integers (sometimes with a sign byte): make them 32 bytes. */
function scalar32(raw: Buffer): Buffer {
  const value = BigInt('0x' + (raw.toString('hex') || '0'));
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

function groupKey(group: WycheproofGroup, cache: WeakMap<WycheproofGroup, KeyObject>, make: () => KeyObject): KeyObject {
  let key = cache.get(group);
  if (!key) {
    key = make();
    cache.set(group, key);
  }
  return key;
}

function aeadRunner(family: AeadFamily, skipOtherNonceLengths: boolean) {
  return (_group: WycheproofGroup, test: WycheproofTest): Outcome => {
    const [key, iv, aad, msg, ct, tag] = ['key', 'iv', 'aad', 'msg', 'ct', 'tag'].map((f) => hexField(test, f)) as Buffer[];
    // The core only uses 96-bit nonces (the record nonce is 12 bytes by construction).
    if (skipOtherNonceLengths && iv!.length !== AEAD_NONCE_LENGTH) return { skip: `IV of ${iv!.length} bytes, not 12` };
    const sealedExpected = Buffer.concat([ct!, tag!]);
    const opened = aeadOpen(family, key!, iv!, aad!, sealedExpected);
    if (opened === null || !opened.equals(msg!)) return 'reject';
    return accepted(aeadSeal(family, key!, iv!, aad!, msg!).equals(sealedExpected));
  };
}

const ecdsaKeys = new WeakMap<WycheproofGroup, KeyObject>();
const spkiKeys = new WeakMap<WycheproofGroup, KeyObject>();
const oaepKeys = new WeakMap<WycheproofGroup, KeyObject>();

const FILES: Record<string, (group: WycheproofGroup, test: WycheproofTest) => Outcome> = {
  'hkdf_sha256_test.json': (_group, test) => {
    const okm = hkdfExpand(hkdfExtract(hexField(test, 'salt'), hexField(test, 'ikm')), hexField(test, 'info'), test['size'] as number);
    return accepted(okm.equals(hexField(test, 'okm')));
  },
  'aes_gcm_test.json': aeadRunner('aes-gcm', true),
  'chacha20_poly1305_test.json': aeadRunner('chacha20-poly1305', false),
  'x25519_test.json': (_group, test) =>
    accepted(computeSharedSecret('x25519', hexField(test, 'private'), hexField(test, 'public')).equals(hexField(test, 'shared'))),
  'x25519_asn_test.json': (_group, test) => {
    const privateKey = x25519PrivateKeyFromPkcs8(hexField(test, 'private'));
    const publicKey = x25519PublicKeyFromSpki(hexField(test, 'public'));
    return accepted(computeSharedSecret('x25519', privateKey, publicKey).equals(hexField(test, 'shared')));
  },
  'ecdh_secp256r1_ecpoint_test.json': (_group, test) =>
    accepted(computeSharedSecret('p256', scalar32(hexField(test, 'private')), hexField(test, 'public')).equals(hexField(test, 'shared'))),
  'ecdh_secp256r1_test.json': (_group, test) => {
    const spki = hexField(test, 'public');
    validateP256Spki(spki);
    const point = p256PublicKeyFromSpki(spki);
    return accepted(computeSharedSecret('p256', scalar32(hexField(test, 'private')), point).equals(hexField(test, 'shared')));
  },
  'ecdsa_secp256r1_sha256_test.json': (group, test) => {
    const key = groupKey(group, ecdsaKeys, () => validateP256Spki(hexField(group, 'publicKeyDer')));
    return accepted(verify('ecdsa-p256-sha256', key, hexField(test, 'msg'), hexField(test, 'sig')));
  },
  'ecdsa_secp256r1_sha256_p1363_test.json': (group, test) => {
    const key = groupKey(group, ecdsaKeys, () => validateP256Spki(hexField(group, 'publicKeyDer')));
    return accepted(verifyEcdsaP256P1363(key, hexField(test, 'msg'), hexField(test, 'sig')));
  },
  'ed25519_test.json': (group, test) => {
    const key = groupKey(group, spkiKeys, () => createPublicKey({ key: hexField(group, 'publicKeyDer'), format: 'der', type: 'spki' }));
    return accepted(verify('ed25519', key, hexField(test, 'msg'), hexField(test, 'sig')));
  },
  'rsa_pss_2048_sha256_mgf1_32_test.json': (group, test) => {
    const key = groupKey(group, spkiKeys, () => createPublicKey({ key: hexField(group, 'publicKeyDer'), format: 'der', type: 'spki' }));
    return accepted(verify('rsa-pss-sha256', key, hexField(test, 'msg'), hexField(test, 'sig')));
  },
  'rsa_pss_2048_sha256_mgf1_0_test.json': (group, test) => {
    const key = groupKey(group, spkiKeys, () => createPublicKey({ key: hexField(group, 'publicKeyDer'), format: 'der', type: 'spki' }));
    return accepted(verifyRsaPss(key, hexField(test, 'msg'), hexField(test, 'sig'), 0));
  },
  'rsa_oaep_2048_sha256_mgf1sha256_test.json': (group, test) => {
    const key = groupKey(group, oaepKeys, () => createPrivateKey({ key: hexField(group, 'privateKeyPkcs8'), format: 'der', type: 'pkcs8' }));
    const plaintext = rsaOaepDecrypt(key, hexField(test, 'ct'), hexField(test, 'label'));
    return accepted(plaintext !== null && plaintext.equals(hexField(test, 'msg')));
  },
};

if (!wycheproofAvailable()) {
  t.comment(`Wycheproof vectors not found at ${wycheproofDir}; agreement test skipped`);
  t.plan(0, `Wycheproof vectors absent (${wycheproofDir})`);
} else {
  const tallies: FileTally[] = [];
  for (const [file, run] of Object.entries(FILES)) {
    t.test(file, async (t) => {
      const tally = tallyFile(file, run);
      tallies.push(tally);
      for (const line of describeTally(tally)) t.comment(line);
      t.equal(tally.total, tally.declaredTotal, 'every test in the file was seen');
      t.same(tally.disagreements, [], 'the core agrees with every valid and invalid vector');
      t.equal(tally.valid.agreed + tally.invalid.agreed, tally.valid.total + tally.invalid.total);
      if (file === 'aes_gcm_test.json') {
        t.ok(tally.skipped.every((s) => s.reason.startsWith('IV of')), 'only non-96-bit IVs are skipped');
      } else {
        t.same(tally.skipped, [], 'nothing skipped');
      }
    });
  }
  t.test('summary', async (t) => {
    t.comment('| file | total | valid agreed | invalid agreed | acceptable accepted/rejected | skipped |');
    t.comment('|---|---|---|---|---|---|');
    for (const x of tallies) {
      t.comment(`| ${x.file} | ${x.total} | ${x.valid.agreed}/${x.valid.total} | ${x.invalid.agreed}/${x.invalid.total} | ${x.acceptable.accepted}/${x.acceptable.rejected} | ${x.skipped.length} |`);
    }
    t.equal(tallies.length, Object.keys(FILES).length, 'every file ran');
  });
}
