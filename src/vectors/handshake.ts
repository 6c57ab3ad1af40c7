// vectors/handshake.json: complete handshakes between two reference engines, with every private
// key and nonce given, for each key-exchange method and AEAD, and for 0.9. Each test holds every
// frame in order, the derived secrets, and the first application record in each direction.
//
// The frames come from the reference engine (src/protocol/engine.ts) run on seeded randomness;
// the check recomputes them from the primitives alone: key shares from the private keys, Z, the
// transcript, both signatures, both Finished values, every secret, and the two records.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { constantTimeEqual, fromHex, toHex } from '../protocol/bytes.js';
import { Connection, type EngineConfig, type EngineEvent } from '../protocol/engine.js';
import { FrameDecoder, type Frame } from '../protocol/frame.js';
import { computeSharedSecret, generateKeyShare, publicKeyFromPrivate } from '../protocol/ecdhe.js';
import { decryptPremaster } from '../protocol/keytransport.js';
import {
  exporter, finishedKey, finishedValue, handshakeSecret, masterSecret, SIGNATURE_CONTEXT, signedContent,
  trafficKeys, trafficSecrets,
} from '../protocol/keyschedule.js';
import { decodeE2ed, type E2edMessage } from '../protocol/messages.js';
import { seededRandom, type RandomSource } from '../protocol/random.js';
import { openRecord, type CipherName } from '../protocol/record.js';
import { verify as verifySignature, isSignatureAlgorithm } from '../protocol/signature.js';
import { binding09, Transcript } from '../protocol/transcript.js';
import { createTestPki, type TestPki, type TestUser } from '../pki/ca.js';
import type { KeyType } from '../pki/keys.js';
import { validateChain } from '../pki/validator.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorTest } from './format.js';

export interface HandshakeCase {
  name: string;
  method: 'x25519' | 'p256' | 'rsa-oaep';
  cipher: CipherName;
  initiatorKey: KeyType;
  responderKey: KeyType;
  initiatorVersions: string[];
  responderVersions: string[];
}

const CASES: HandshakeCase[] = [];
for (const method of ['x25519', 'p256', 'rsa-oaep'] as const) {
  for (const cipher of ['AES-256-GCM', 'CHACHA20-POLY1305'] as const) {
    CASES.push({
      name: `${method} ${cipher}`,
      method, cipher,
      initiatorKey: 'p256',
      responderKey: method === 'rsa-oaep' ? 'rsa2048' : 'p256',
      initiatorVersions: ['1.0'], responderVersions: ['1.0'],
    });
  }
}
CASES.push(
  { name: 'x25519 AES-256-GCM, Ed25519 certificates', method: 'x25519', cipher: 'AES-256-GCM', initiatorKey: 'ed25519', responderKey: 'ed25519', initiatorVersions: ['1.0'], responderVersions: ['1.0'] },
  { name: 'p256 CHACHA20-POLY1305, RSA-PSS initiator', method: 'p256', cipher: 'CHACHA20-POLY1305', initiatorKey: 'rsa2048', responderKey: 'p256', initiatorVersions: ['1.0'], responderVersions: ['1.0'] },
  { name: '0.9 between two 0.9-only UAs', method: 'x25519', cipher: 'AES-256-GCM', initiatorKey: 'p256', responderKey: 'p256', initiatorVersions: ['0.9'], responderVersions: ['0.9'] },
  { name: '0.9 chosen by a 1.0 responder (nonce ends in the E2EDDOWN sentinel)', method: 'x25519', cipher: 'CHACHA20-POLY1305', initiatorKey: 'p256', responderKey: 'p256', initiatorVersions: ['0.9'], responderVersions: ['1.0', '0.9'] },
  { name: '0.9 rsa-oaep', method: 'rsa-oaep', cipher: 'AES-256-GCM', initiatorKey: 'p256', responderKey: 'rsa2048', initiatorVersions: ['0.9'], responderVersions: ['0.9'] },
);

/** The case the specification's appendix walks through. */
export const WALKTHROUGH_CASE = 'x25519 AES-256-GCM';

const INITIATOR_ID = 'alice@example.com';
const RESPONDER_ID = 'bob@example.com';
const FIRST_MESSAGE_TIME = '2026-01-01T00:00:00Z';

function pkcs8(key: KeyObject): string {
  return toHex(key.export({ format: 'der', type: 'pkcs8' }));
}

function verifierFor(pki: TestPki): EngineConfig['verifyPeer'] {
  return (chain, ctx) => {
    const r = validateChain(chain, {
      trustAnchors: pki.anchors, time: pki.referenceTime, purpose: 'clientAuth',
      expectedUserId: ctx.expectedUserId, requireKeyEncipherment: ctx.requireKeyEncipherment,
    });
    return r.ok ? { ok: true, userId: r.userId ?? '', publicKey: r.publicKey } : { ok: false, alert: r.alert, reason: r.detail, requirement: r.requirement };
  };
}

interface WireFrame { from: 'initiator' | 'responder'; hex: string }

/** Runs both engines in memory until neither has anything more to say. */
function converse(initiator: Connection, responder: Connection): { frames: WireFrame[]; events: { initiator: EngineEvent[]; responder: EngineEvent[] } } {
  const frames: WireFrame[] = [];
  const events = { initiator: [] as EngineEvent[], responder: [] as EngineEvent[] };
  let pending: { to: Connection; bytes: Buffer[]; from: 'initiator' | 'responder' }[] = [];
  const take = (from: 'initiator' | 'responder', out: { frames: Buffer[]; events: EngineEvent[] }) => {
    events[from].push(...out.events);
    for (const f of out.frames) frames.push({ from, hex: toHex(f) });
    if (out.frames.length > 0) pending.push({ to: from === 'initiator' ? responder : initiator, bytes: out.frames, from });
  };
  take('initiator', initiator.start());
  for (let rounds = 0; pending.length > 0 && rounds < 16; rounds++) {
    const batch = pending;
    pending = [];
    for (const p of batch) take(p.to === responder ? 'responder' : 'initiator', p.to.receive(Buffer.concat(p.bytes)));
  }
  return { frames, events };
}

function keylog(events: EngineEvent[], label: string): string {
  const e = events.find((ev) => ev.type === 'keylog' && ev.label === label);
  if (!e || e.type !== 'keylog') throw new Error(`no ${label} in the key log`);
  return e.secretHex;
}

function generateCase(c: HandshakeCase, seed: string, pki: TestPki, users: Map<string, TestUser>): VectorTest {
  const alice = users.get(`alice/${c.initiatorKey}`)!;
  const bob = users.get(`bob/${c.responderKey}`)!;
  const seedI = `${seed}/${c.name}/initiator`;
  const seedR = `${seed}/${c.name}/responder`;
  const initiator = new Connection({
    role: 'initiator', userId: INITIATOR_ID, certificateChain: alice.chain, privateKey: alice.privateKey,
    peerUserId: RESPONDER_ID, versions: c.initiatorVersions, methods: [c.method], ciphers: [c.cipher],
    peerCertificateForKeyTransport: c.method === 'rsa-oaep' ? bob.chain : undefined,
    verifyPeer: verifierFor(pki), rng: seededRandom(seedI),
  });
  const responder = new Connection({
    role: 'responder', userId: RESPONDER_ID, certificateChain: bob.chain, privateKey: bob.privateKey,
    versions: c.responderVersions, verifyPeer: verifierFor(pki), rng: seededRandom(seedR),
  });
  const hs = converse(initiator, responder);
  if (initiator.state !== 'Connected' || responder.state !== 'Connected') {
    throw new Error(`handshake "${c.name}" did not complete: initiator ${initiator.state}, responder ${responder.state}`);
  }
  const appI = initiator.sendText('m-1', 'Hello, Bob.', FIRST_MESSAGE_TIME);
  const appR = responder.sendText('m-1', 'Hello, Alice.', FIRST_MESSAGE_TIME);
  const deliveredR = responder.receive(Buffer.concat(appI.frames));
  const deliveredI = initiator.receive(Buffer.concat(appR.frames));
  const received = (evs: EngineEvent[]) => evs.filter((e) => e.type === 'message_received').length;
  if (received(deliveredR.events) !== 1 || received(deliveredI.events) !== 1) throw new Error(`first records of "${c.name}" were not delivered`);
  const ev = hs.events.initiator;
  const ecdhe = c.method !== 'rsa-oaep';
  // The engine draws its ephemeral key and premaster from the "key-share" and "premaster" forks
  // of its seed (src/protocol/handshake/context.ts); drawing the same forks here gives the keys.
  const ephemeral = (s: string) => (ecdhe ? toHex(generateKeyShare(c.method as 'x25519' | 'p256', seededRandom(s).fork('key-share')).privateKey) : '');
  const test: VectorTest = {
    tcId: 0,
    comment: c.name,
    result: 'valid',
    flags: ['E2ED-KS-6', 'E2ED-KS-7'],
    version: responder.negotiated!.version,
    method: c.method,
    cipher: c.cipher,
    initiatorUserId: INITIATOR_ID,
    responderUserId: RESPONDER_ID,
    initiatorVersions: c.initiatorVersions,
    responderVersions: c.responderVersions,
    trustAnchor: toHex(pki.anchors[0]!),
    validationTime: pki.referenceTime.toISOString(),
    initiatorChain: alice.chain.map(toHex),
    responderChain: bob.chain.map(toHex),
    initiatorPrivateKey: pkcs8(alice.privateKey),
    responderPrivateKey: pkcs8(bob.privateKey),
    initiatorEphemeralPrivateKey: ephemeral(seedI),
    responderEphemeralPrivateKey: ephemeral(seedR),
    premaster: ecdhe ? '' : toHex(seededRandom(seedI).fork('premaster').bytes(32)),
    frames: hs.frames,
    handshakeSecret: keylog(ev, 'E2ED_HANDSHAKE_SECRET'),
    masterSecret: keylog(ev, 'E2ED_MASTER_SECRET'),
    i2rSecret: keylog(ev, 'E2ED_I2R_TRAFFIC_SECRET_0'),
    r2iSecret: keylog(ev, 'E2ED_R2I_TRAFFIC_SECRET_0'),
    exporter: keylog(ev, 'E2ED_EXPORTER'),
    firstRecordI2R: { plaintext: toHex(Buffer.from(`<Message xmlns="urn:sixchat:e2ed:1" id="m-1" timestamp="${FIRST_MESSAGE_TIME}">Hello, Bob.</Message>`)), frame: toHex(appI.frames[0]!) },
    firstRecordR2I: { plaintext: toHex(Buffer.from(`<Message xmlns="urn:sixchat:e2ed:1" id="m-1" timestamp="${FIRST_MESSAGE_TIME}">Hello, Alice.</Message>`)), frame: toHex(appR.frames[0]!) },
  };
  return test;
}

function decodeFrame(hex: string): Frame {
  const frames = new FrameDecoder().push(fromHex(hex));
  if (frames.length !== 1) throw new Error('a frame entry does not hold exactly one frame');
  return frames[0]!;
}

function message(frame: Frame): E2edMessage {
  return decodeE2ed(frame.payload);
}

/** Recomputes a handshake test from its keys and frames with the primitives alone. */
export function verifyHandshake(t: VectorTest): string | null {
  const frames = (t.frames as WireFrame[]).map((f) => ({ from: f.from, frame: decodeFrame(f.hex) }));
  if (frames.length !== 6) return `expected 6 handshake frames, found ${frames.length}`;
  const order = ['initiator', 'responder', 'responder', 'responder', 'initiator', 'initiator'];
  if (frames.some((f, i) => f.from !== order[i])) return 'frames are not in the order I, R, R, R, I, I';
  const [helloI, helloR, cvR, finR, cvI, finI] = frames.map((f) => message(f.frame));
  if (helloI?.kind !== 'InitiatorHello' || helloR?.kind !== 'ResponderHello' || cvR?.kind !== 'CertificateVerify' || finR?.kind !== 'Finished' || cvI?.kind !== 'CertificateVerify' || finI?.kind !== 'Finished') {
    return 'the frames are not Hello_I, Hello_R, CertificateVerify, Finished, CertificateVerify, Finished';
  }
  const version = String(t.version);
  if (helloR.version !== version) return `Hello_R selects ${helloR.version}, the vector says ${version}`;
  // Z from the private keys given.
  let z: Buffer;
  if (t.method === 'rsa-oaep') {
    const key = createPrivateKey({ key: fromHex(String(t.responderPrivateKey)), format: 'der', type: 'pkcs8' });
    const premaster = helloI.encryptedPremaster ? decryptPremaster(key, helloI.encryptedPremaster) : null;
    if (!premaster || toHex(premaster) !== t.premaster) return 'the encrypted premaster does not decrypt to `premaster`';
    z = premaster;
  } else {
    const method = t.method as 'x25519' | 'p256';
    const privI = fromHex(String(t.initiatorEphemeralPrivateKey));
    const privR = fromHex(String(t.responderEphemeralPrivateKey));
    if (!helloI.keyShare || !publicKeyFromPrivate(method, privI).equals(helloI.keyShare.publicKey)) return "Hello_I's key share is not the initiator's ephemeral public key";
    if (!helloR.keyShare || !publicKeyFromPrivate(method, privR).equals(helloR.keyShare.publicKey)) return "Hello_R's key share is not the responder's ephemeral public key";
    z = computeSharedSecret(method, privI, helloR.keyShare.publicKey);
    if (!z.equals(computeSharedSecret(method, privR, helloI.keyShare.publicKey))) return 'the two sides compute different Z';
  }
  const hs = handshakeSecret(z, helloI.nonce, helloR.nonce);
  if (toHex(hs) !== t.handshakeSecret) return 'handshakeSecret differs';
  if (version === '0.9' && (t.responderVersions as string[]).includes('1.0') && helloR.nonce.subarray(24).toString('latin1') !== 'E2EDDOWN') {
    return 'a 1.0-capable responder chose 0.9 without the E2EDDOWN sentinel';
  }
  // Transcript: 1.0 hashes the wire frames; 0.9 binds only the nonces and identities.
  const th = new Transcript();
  const b09 = binding09(helloI.nonce, helloR.nonce, String(t.initiatorUserId), String(t.responderUserId));
  const bound = () => (version === '0.9' ? b09 : th.hash());
  th.add(frames[0]!.frame.wire);
  th.add(frames[1]!.frame.wire);
  const leafKey = (chain: unknown) => new X509Certificate(fromHex((chain as string[])[0]!)).publicKey;
  const ctx = version === '0.9' ? SIGNATURE_CONTEXT.responder09 : SIGNATURE_CONTEXT.responder10;
  if (!isSignatureAlgorithm(cvR.algorithm) || !verifySignature(cvR.algorithm, leafKey(t.responderChain), signedContent(ctx, bound()), cvR.signature)) {
    return "the responder's CertificateVerify does not verify";
  }
  th.add(frames[2]!.frame.wire);
  if (!constantTimeEqual(finishedValue(finishedKey(hs, 'r'), bound()), finR.verifyData)) return "the responder's Finished is wrong";
  th.add(frames[3]!.frame.wire);
  const ctxI = version === '0.9' ? SIGNATURE_CONTEXT.initiator09 : SIGNATURE_CONTEXT.initiator10;
  if (!isSignatureAlgorithm(cvI.algorithm) || !verifySignature(cvI.algorithm, leafKey(t.initiatorChain), signedContent(ctxI, bound()), cvI.signature)) {
    return "the initiator's CertificateVerify does not verify";
  }
  th.add(frames[4]!.frame.wire);
  if (!constantTimeEqual(finishedValue(finishedKey(hs, 'i'), bound()), finI.verifyData)) return "the initiator's Finished is wrong";
  th.add(frames[5]!.frame.wire);
  const ms = masterSecret(hs, bound());
  if (toHex(ms) !== t.masterSecret) return 'masterSecret differs';
  const ts = trafficSecrets(ms);
  if (toHex(ts.i2r) !== t.i2rSecret || toHex(ts.r2i) !== t.r2iSecret) return 'a traffic secret differs';
  if (toHex(exporter(ms)) !== t.exporter) return 'exporter differs';
  for (const [dir, secret] of [['firstRecordI2R', ts.i2r], ['firstRecordR2I', ts.r2i]] as const) {
    const rec = t[dir] as { plaintext: string; frame: string };
    const { key, iv } = trafficKeys(secret);
    let pt: Buffer;
    try {
      pt = openRecord(t.cipher as CipherName, key, iv, 0n, decodeFrame(rec.frame));
    } catch {
      return `${dir} does not open with sequence 0`;
    }
    if (toHex(pt) !== rec.plaintext) return `${dir} plaintext differs`;
  }
  return null;
}

function usersFor(pki: TestPki): Map<string, TestUser> {
  const users = new Map<string, TestUser>();
  for (const c of CASES) {
    for (const [who, id, key] of [['alice', INITIATOR_ID, c.initiatorKey], ['bob', RESPONDER_ID, c.responderKey]] as const) {
      const k = `${who}/${key}`;
      if (!users.has(k)) users.set(k, pki.issueUser(id, { keyType: key, label: `${who}-${key}` }));
    }
  }
  return users;
}

export const handshakeVectors: VectorKind = {
  file: 'handshake.json',
  generate(seed: string, _rng: RandomSource) {
    const pki = createTestPki({ seed: `${seed}/handshake-pki` });
    const users = usersFor(pki);
    const tests = CASES.map((c) => generateCase(c, seed, pki, users));
    return makeVectorFile(
      'E2ED-Handshake',
      'schemas/handshake.schema.json',
      seed,
      {
        keys: 'Private keys are PKCS#8 DER (hex); ephemeral ECDHE private keys are raw (x25519: 32 bytes; p256: the 32-byte scalar); premaster is the 32-byte RSA-OAEP plaintext (rsa-oaep only). Chains are DER, leaf first; trustAnchor is the root every chain validates to at validationTime.',
        frames: 'Every handshake frame in order, whole (header included), with the side that sent it: Hello_I, Hello_R, CertificateVerify_R, Finished_R, CertificateVerify_I, Finished_I.',
        secrets: 'handshakeSecret, masterSecret, i2rSecret, r2iSecret and exporter as in the key schedule; for 0.9 the transcript hash is replaced by the 0.9 binding everywhere.',
        records: 'firstRecordI2R / firstRecordR2I: the first application record each way (sequence 0 under the first traffic keys), its plaintext and whole frame.',
      },
      [{ type: 'HandshakeTest', tests }],
    );
  },
  verify(t) {
    return verifyHandshake(t);
  },
};
