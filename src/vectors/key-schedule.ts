// vectors/key-schedule.json: the key schedule from Z, the nonces and the six handshake frames
// (whole frames, header included), for each key-exchange method. The frames are real E2ED
// messages with real signatures and Finished values, so the transcript hashes they produce are
// the ones a User Agent computes.
import { fromHex, toHex } from '../protocol/bytes.js';
import { encodeFrame, FrameType } from '../protocol/frame.js';
import { decodeE2ed, encodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { computeSharedSecret, generateKeyShare } from '../protocol/ecdhe.js';
import { encryptPremaster } from '../protocol/keytransport.js';
import {
  exporter, finishedKey, finishedValue, handshakeSecret, masterSecret, nextTrafficSecret,
  SIGNATURE_CONTEXT, signedContent, trafficKeys, trafficSecrets,
} from '../protocol/keyschedule.js';
import { sign, signatureAlgorithmForKey } from '../protocol/signature.js';
import { Transcript } from '../protocol/transcript.js';
import { constantTimeEqual } from '../protocol/bytes.js';
import type { RandomSource } from '../protocol/random.js';
import { createTestPki, type TestUser } from '../pki/ca.js';
import type { KeyType } from '../pki/keys.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorTest } from './format.js';
import { field } from './check-util.js';

const INPUTS = ['z', 'nonceI', 'nonceR', 'helloI', 'helloR', 'certVerifyR', 'finishedR', 'certVerifyI', 'finishedI'] as const;

export interface DerivedSchedule {
  handshakeSecret: Buffer; finishedKeyI: Buffer; finishedKeyR: Buffer; masterSecret: Buffer;
  i2rSecret: Buffer; r2iSecret: Buffer; i2rKey: Buffer; i2rIv: Buffer; r2iKey: Buffer; r2iIv: Buffer;
  exporter: Buffer; i2rSecretUpdated: Buffer;
  /** Whether the Finished values inside finishedR / finishedI are the correct MACs. */
  finishedROk: boolean; finishedIOk: boolean;
}

function frame(msg: E2edMessage): Buffer {
  return encodeFrame(FrameType.Plaintext, encodeE2ed(msg));
}

function finishedOf(frameBytes: Buffer): Buffer {
  const msg = decodeE2ed(frameBytes.subarray(5));
  if (msg.kind !== 'Finished') throw new Error(`expected a Finished frame, found ${msg.kind}`);
  return msg.verifyData;
}

/** The schedule of the brief, from the inputs alone. */
export function deriveSchedule(inp: Record<(typeof INPUTS)[number], Buffer>): DerivedSchedule {
  const hs = handshakeSecret(inp.z, inp.nonceI, inp.nonceR);
  const th = new Transcript();
  th.add(inp.helloI);
  th.add(inp.helloR);
  th.add(inp.certVerifyR);
  const fkR = finishedKey(hs, 'r');
  const finishedROk = constantTimeEqual(finishedValue(fkR, th.hash()), finishedOf(inp.finishedR));
  th.add(inp.finishedR);
  th.add(inp.certVerifyI);
  const fkI = finishedKey(hs, 'i');
  const finishedIOk = constantTimeEqual(finishedValue(fkI, th.hash()), finishedOf(inp.finishedI));
  th.add(inp.finishedI);
  const ms = masterSecret(hs, th.hash());
  const ts = trafficSecrets(ms);
  const i2r = trafficKeys(ts.i2r);
  const r2i = trafficKeys(ts.r2i);
  return {
    handshakeSecret: hs, finishedKeyI: fkI, finishedKeyR: fkR, masterSecret: ms,
    i2rSecret: ts.i2r, r2iSecret: ts.r2i, i2rKey: i2r.key, i2rIv: i2r.iv, r2iKey: r2i.key, r2iIv: r2i.iv,
    exporter: exporter(ms), i2rSecretUpdated: nextTrafficSecret(ts.i2r), finishedROk, finishedIOk,
  };
}

interface Peers { initiator: TestUser; responder: TestUser }

function handshakeTest(method: 'x25519' | 'p256' | 'rsa-oaep', cipher: string, peers: Peers, rng: RandomSource, corrupt: 'none' | 'finishedR' | 'finishedI'): VectorTest {
  const { initiator, responder } = peers;
  const nonceI = rng.bytes(32);
  const nonceR = rng.bytes(32);
  let z: Buffer;
  let helloI: Buffer;
  let helloR: Buffer;
  const common = { versions: ['1.0'], nonce: nonceI, methods: [method], ciphers: [cipher], certificates: initiator.chain };
  if (method === 'rsa-oaep') {
    z = rng.bytes(32);
    const encryptedPremaster = encryptPremaster(responder.publicKey, z, rng);
    helloI = frame({ kind: 'InitiatorHello', from: initiator.userId, to: responder.userId, ...common, encryptedPremaster });
    helloR = frame({ kind: 'ResponderHello', from: responder.userId, to: initiator.userId, version: '1.0', method, cipher, nonce: nonceR, certificates: responder.chain });
  } else {
    const shareI = generateKeyShare(method, rng);
    const shareR = generateKeyShare(method, rng);
    z = computeSharedSecret(method, shareI.privateKey, shareR.publicKey);
    helloI = frame({ kind: 'InitiatorHello', from: initiator.userId, to: responder.userId, ...common, keyShare: { method, publicKey: shareI.publicKey } });
    helloR = frame({ kind: 'ResponderHello', from: responder.userId, to: initiator.userId, version: '1.0', method, cipher, nonce: nonceR, keyShare: { method, publicKey: shareR.publicKey }, certificates: responder.chain });
  }
  const hs = handshakeSecret(z, nonceI, nonceR);
  const th = new Transcript();
  th.add(helloI);
  th.add(helloR);
  const algR = signatureAlgorithmForKey(responder.publicKey)!;
  const certVerifyR = frame({ kind: 'CertificateVerify', algorithm: algR, signature: sign(algR, responder.privateKey, signedContent(SIGNATURE_CONTEXT.responder10, th.hash()), rng) });
  th.add(certVerifyR);
  const finR = finishedValue(finishedKey(hs, 'r'), th.hash());
  if (corrupt === 'finishedR') finR[0] = finR[0]! ^ 0x01;
  const finishedR = frame({ kind: 'Finished', verifyData: finR });
  th.add(finishedR);
  const algI = signatureAlgorithmForKey(initiator.publicKey)!;
  const certVerifyI = frame({ kind: 'CertificateVerify', algorithm: algI, signature: sign(algI, initiator.privateKey, signedContent(SIGNATURE_CONTEXT.initiator10, th.hash()), rng) });
  th.add(certVerifyI);
  const finI = finishedValue(finishedKey(hs, 'i'), th.hash());
  if (corrupt === 'finishedI') finI[31] = finI[31]! ^ 0x80;
  const finishedI = frame({ kind: 'Finished', verifyData: finI });
  const inputs = { z, nonceI, nonceR, helloI, helloR, certVerifyR, finishedR, certVerifyI, finishedI };
  const d = deriveSchedule(inputs);
  const comment = corrupt === 'none'
    ? `${method}, ${cipher}, ${algR} responder, ${algI} initiator`
    : `${method}: the ${corrupt} frame carries a wrong MAC (derived values are still those of the inputs)`;
  const test: VectorTest = { tcId: 0, comment, result: corrupt === 'none' ? 'valid' : 'invalid' };
  // flags: the requirements the values follow; a wrong Finished MAC is refused under E2ED-HS-30.
  if (corrupt === 'none') test.flags = ['E2ED-KS-2', 'E2ED-KS-3'];
  else Object.assign(test, { alert: 'decrypt_error', flags: ['E2ED-HS-30'] });
  for (const k of INPUTS) test[k] = toHex(inputs[k]);
  for (const k of ['handshakeSecret', 'finishedKeyI', 'finishedKeyR', 'masterSecret', 'i2rSecret', 'r2iSecret', 'i2rKey', 'i2rIv', 'r2iKey', 'r2iIv', 'exporter', 'i2rSecretUpdated'] as const) {
    test[k] = toHex(d[k]);
  }
  return test;
}

function peersFor(seed: string, keyType: KeyType, responderKeyType: KeyType = keyType): Peers {
  const pki = createTestPki({ seed: `${seed}/key-schedule-pki` });
  return {
    initiator: pki.issueUser('alice@example.com', { keyType, label: `alice-${keyType}` }),
    responder: pki.issueUser('bob@example.com', { keyType: responderKeyType, label: `bob-${responderKeyType}` }),
  };
}

export const keyScheduleVectors: VectorKind = {
  file: 'key-schedule.json',
  generate(seed: string, rng: RandomSource) {
    const ec = peersFor(seed, 'p256');
    const ed = peersFor(seed, 'ed25519');
    const rsa = peersFor(seed, 'p256', 'rsa2048');
    const tests: VectorTest[] = [
      handshakeTest('x25519', 'AES-256-GCM', ec, rng.fork('x25519-aes'), 'none'),
      handshakeTest('x25519', 'CHACHA20-POLY1305', ed, rng.fork('x25519-chacha'), 'none'),
      handshakeTest('p256', 'AES-256-GCM', ec, rng.fork('p256-aes'), 'none'),
      handshakeTest('p256', 'CHACHA20-POLY1305', ed, rng.fork('p256-chacha'), 'none'),
      handshakeTest('rsa-oaep', 'AES-256-GCM', rsa, rng.fork('rsa-aes'), 'none'),
      handshakeTest('rsa-oaep', 'CHACHA20-POLY1305', rsa, rng.fork('rsa-chacha'), 'none'),
      handshakeTest('x25519', 'AES-256-GCM', ec, rng.fork('bad-fin-r'), 'finishedR'),
      handshakeTest('p256', 'AES-256-GCM', ec, rng.fork('bad-fin-i'), 'finishedI'),
    ];
    return makeVectorFile(
      'E2ED-KeySchedule',
      'schemas/key-schedule.schema.json',
      seed,
      {
        inputs: 'z (the ECDHE x-coordinate / x25519 output / RSA premaster), nonceI, nonceR, and the six handshake frames exactly as sent, header included: helloI, helloR, certVerifyR, finishedR, certVerifyI, finishedI.',
        derived: 'handshakeSecret = HKDF-Extract(nonceI || nonceR, z); finishedKeyR/I = ExpandLabel(HS, "r finished"/"i finished", "", 32); masterSecret = ExpandLabel(HS, "master", SHA-256(helloI..finishedI), 32); i2r/r2iSecret = ExpandLabel(MS, "i2r traffic"/"r2i traffic", "", 32); keys and IVs = ExpandLabel(secret, "key", "", 32) / ("iv", "", 12); exporter = ExpandLabel(MS, "exporter", "", 32); i2rSecretUpdated = ExpandLabel(i2rSecret, "update", "", 32).',
        valid: 'the Finished values inside finishedR and finishedI are HMAC-SHA256(finishedKeyR, SHA-256(helloI..certVerifyR)) and HMAC-SHA256(finishedKeyI, SHA-256(helloI..certVerifyI)).',
        invalid: 'one Finished frame carries a wrong MAC: a receiver refuses it with decrypt_error. The derived values are still computed from the inputs as given.',
      },
      [{ type: 'KeyScheduleTest', tests }],
    );
  },
  verify(t) {
    const inputs = Object.fromEntries(INPUTS.map((k) => [k, fromHex(field(t, k))])) as Record<(typeof INPUTS)[number], Buffer>;
    const d = deriveSchedule(inputs);
    for (const k of ['handshakeSecret', 'finishedKeyI', 'finishedKeyR', 'masterSecret', 'i2rSecret', 'r2iSecret', 'i2rKey', 'i2rIv', 'r2iKey', 'r2iIv', 'exporter', 'i2rSecretUpdated'] as const) {
      if (toHex(d[k]) !== field(t, k)) return `${k} differs from the value the code derives`;
    }
    const finishedOk = d.finishedROk && d.finishedIOk;
    if (t.result === 'valid' && !finishedOk) return 'a Finished value in the frames is wrong in a vector marked valid';
    if (t.result === 'invalid' && finishedOk) return 'both Finished values are right in a vector marked invalid';
    return null;
  },
};
