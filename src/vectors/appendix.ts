// Renders Appendix A of docs/spec.md (the handshake walk-through) from vectors/handshake.json, so
// that the document and the vectors cannot drift: `vectors generate` rewrites the block between the
// markers, and a test fails if the document and the vectors ever differ.
import { X509Certificate } from 'node:crypto';
import { fromHex, toHex } from '../protocol/bytes.js';
import { FrameDecoder } from '../protocol/frame.js';
import { publicKeyFromPrivate } from '../protocol/ecdhe.js';
import {
  finishedKey, finishedValue, handshakeSecret, masterSecret, SIGNATURE_CONTEXT, signedContent, trafficKeys, trafficSecrets,
} from '../protocol/keyschedule.js';
import { decodeE2ed } from '../protocol/messages.js';
import { recordNonce } from '../protocol/record.js';
import { computeSharedSecret } from '../protocol/ecdhe.js';
import { keyLogLine } from '../protocol/keylog.js';
import { Transcript } from '../protocol/transcript.js';
import type { VectorFile, VectorTest } from './format.js';
import { WALKTHROUGH_CASE } from './handshake.js';

export const APPENDIX_BEGIN = '<!-- BEGIN GENERATED: handshake-walkthrough -->';
export const APPENDIX_END = '<!-- END GENERATED: handshake-walkthrough -->';

/** Hex in lines of 64 characters (32 bytes), for reading and for copying. */
function hexBlock(b: Uint8Array): string {
  const hex = toHex(b);
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 64) lines.push(hex.slice(i, i + 64));
  return ['```', ...lines, '```'].join('\n');
}

function textBlock(s: string, lang = 'xml'): string {
  return ['```' + lang, s, '```'].join('\n');
}

function frameOf(hex: string) {
  const frames = new FrameDecoder().push(fromHex(hex));
  return frames[0]!;
}

export function renderWalkthrough(file: VectorFile): string {
  const t = file.testGroups.flatMap((g) => g.tests).find((x) => x.comment === WALKTHROUGH_CASE) as VectorTest | undefined;
  if (!t) throw new Error(`handshake.json has no test "${WALKTHROUGH_CASE}"`);
  const frames = (t.frames as { from: string; hex: string }[]).map((f) => frameOf(f.hex));
  const [fHelloI, fHelloR, fCvR, fFinR, fCvI, fFinI] = frames as [ReturnType<typeof frameOf>, ReturnType<typeof frameOf>, ReturnType<typeof frameOf>, ReturnType<typeof frameOf>, ReturnType<typeof frameOf>, ReturnType<typeof frameOf>];
  const helloI = decodeE2ed(fHelloI.payload);
  const helloR = decodeE2ed(fHelloR.payload);
  if (helloI.kind !== 'InitiatorHello' || helloR.kind !== 'ResponderHello') throw new Error('unexpected frames');
  const privI = fromHex(String(t.initiatorEphemeralPrivateKey));
  const privR = fromHex(String(t.responderEphemeralPrivateKey));
  const z = computeSharedSecret('x25519', privI, publicKeyFromPrivate('x25519', privR));
  const hs = handshakeSecret(z, helloI.nonce, helloR.nonce);
  const th = new Transcript();
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines, '');
  const section = (title: string) => p(`#### ${title}`);

  section('A.1 Inputs');
  p(`Validation time: \`${String(t.validationTime)}\`. Trust anchor (the test root CA), DER:`, hexBlock(fromHex(String(t.trustAnchor))));
  for (const [who, chainField, keyField, eph] of [
    ['Initiator `alice@example.com`', 'initiatorChain', 'initiatorPrivateKey', privI],
    ['Responder `bob@example.com`', 'responderChain', 'responderPrivateKey', privR],
  ] as const) {
    const chain = (t[chainField] as string[]).map((h) => fromHex(h));
    p(`${who}: certificate chain (leaf first), ${chain.length} certificates:`);
    chain.forEach((c, i) => p(`Certificate ${i} (${new X509Certificate(c).subject.replace(/\n/g, ', ')}):`, hexBlock(c)));
    p('Signing key (PKCS#8 DER):', hexBlock(fromHex(String(t[keyField]))));
    p('Ephemeral x25519 private key:', hexBlock(eph), 'Ephemeral x25519 public key:', hexBlock(publicKeyFromPrivate('x25519', eph)));
  }
  p('nonce_I:', hexBlock(helloI.nonce), 'nonce_R:', hexBlock(helloR.nonce));

  section('A.2 Hello_I');
  p('Payload:', textBlock(fHelloI.payload.toString('utf8')), 'Frame:', hexBlock(fHelloI.wire));
  th.add(fHelloI.wire);
  p('TH(Hello_I):', hexBlock(th.hash()));

  section('A.3 Hello_R');
  p('Payload:', textBlock(fHelloR.payload.toString('utf8')), 'Frame:', hexBlock(fHelloR.wire));
  th.add(fHelloR.wire);
  const th2 = th.hash();
  p('TH(Hello_I, Hello_R):', hexBlock(th2));

  section('A.4 Z and the handshake secret');
  p('Z = X25519(initiator ephemeral private key, responder ephemeral public key):', hexBlock(z));
  p('HS = HKDF-Extract(salt = nonce_I || nonce_R, IKM = Z):', hexBlock(hs));
  p('fk_R = ExpandLabel(HS, "r finished", "", 32):', hexBlock(finishedKey(hs, 'r')), 'fk_I = ExpandLabel(HS, "i finished", "", 32):', hexBlock(finishedKey(hs, 'i')));

  section('A.5 CertificateVerify from the responder');
  const contentR = signedContent(SIGNATURE_CONTEXT.responder10, th2);
  p(`Signed content ("${SIGNATURE_CONTEXT.responder10}" || 0x00 || TH(Hello_I, Hello_R)), ${contentR.length} bytes:`, hexBlock(contentR));
  p('Payload:', textBlock(fCvR.payload.toString('utf8')), 'Frame:', hexBlock(fCvR.wire));
  th.add(fCvR.wire);

  section('A.6 Finished from the responder');
  const th3 = th.hash();
  p('TH(Hello_I, Hello_R, CV_R):', hexBlock(th3), 'Finished_R = HMAC-SHA256(fk_R, TH):', hexBlock(finishedValue(finishedKey(hs, 'r'), th3)));
  p('Payload:', textBlock(fFinR.payload.toString('utf8')), 'Frame:', hexBlock(fFinR.wire));
  th.add(fFinR.wire);

  section('A.7 CertificateVerify from the initiator');
  const th4 = th.hash();
  const contentI = signedContent(SIGNATURE_CONTEXT.initiator10, th4);
  p('TH(Hello_I .. Fin_R):', hexBlock(th4), `Signed content ("${SIGNATURE_CONTEXT.initiator10}" || 0x00 || TH), ${contentI.length} bytes:`, hexBlock(contentI));
  p('Payload:', textBlock(fCvI.payload.toString('utf8')), 'Frame:', hexBlock(fCvI.wire));
  th.add(fCvI.wire);

  section('A.8 Finished from the initiator');
  const th5 = th.hash();
  p('TH(Hello_I .. CV_I):', hexBlock(th5), 'Finished_I = HMAC-SHA256(fk_I, TH):', hexBlock(finishedValue(finishedKey(hs, 'i'), th5)));
  p('Payload:', textBlock(fFinI.payload.toString('utf8')), 'Frame:', hexBlock(fFinI.wire));
  th.add(fFinI.wire);

  section('A.9 Master secret, traffic secrets, keys, exporter, key log');
  const th6 = th.hash();
  const ms = masterSecret(hs, th6);
  const ts = trafficSecrets(ms);
  const i2r = trafficKeys(ts.i2r);
  const r2i = trafficKeys(ts.r2i);
  p('TH(Hello_I .. Fin_I):', hexBlock(th6), 'MS = ExpandLabel(HS, "master", TH, 32):', hexBlock(ms));
  p('ts_i2r[0] = ExpandLabel(MS, "i2r traffic", "", 32):', hexBlock(ts.i2r), 'key_i2r:', hexBlock(i2r.key), 'iv_i2r:', hexBlock(i2r.iv));
  p('ts_r2i[0] = ExpandLabel(MS, "r2i traffic", "", 32):', hexBlock(ts.r2i), 'key_r2i:', hexBlock(r2i.key), 'iv_r2i:', hexBlock(r2i.iv));
  p('exporter = ExpandLabel(MS, "exporter", "", 32):', hexBlock(fromHex(String(t.exporter))));
  const ex = fromHex(String(t.exporter));
  p('Key-log lines (section 13):', textBlock([
    keyLogLine('E2ED_HANDSHAKE_SECRET', helloI.nonce, hs),
    keyLogLine('E2ED_MASTER_SECRET', helloI.nonce, ms),
    keyLogLine('E2ED_I2R_TRAFFIC_SECRET_0', helloI.nonce, ts.i2r),
    keyLogLine('E2ED_R2I_TRAFFIC_SECRET_0', helloI.nonce, ts.r2i),
    keyLogLine('E2ED_EXPORTER', helloI.nonce, ex),
  ].join('\n'), 'text'));

  section('A.10 The first application record each way');
  for (const [title, field, keys] of [['From I to R', 'firstRecordI2R', i2r], ['From R to I', 'firstRecordR2I', r2i]] as const) {
    const rec = t[field] as { plaintext: string; frame: string };
    const frame = frameOf(rec.frame);
    p(`${title}, sequence 0. Plaintext:`, textBlock(fromHex(rec.plaintext).toString('utf8')));
    p('Nonce = iv XOR (0x00000000 || uint64be(0)):', hexBlock(recordNonce(keys.iv, 0n)), 'AAD (the frame header):', hexBlock(frame.header), 'Record frame:', hexBlock(frame.wire));
  }
  return out.join('\n').trimEnd();
}

/** The spec text with the generated block replaced; throws when the markers are missing. */
export function withWalkthrough(specText: string, rendered: string): string {
  const begin = specText.indexOf(APPENDIX_BEGIN);
  const end = specText.indexOf(APPENDIX_END);
  if (begin < 0 || end < begin) throw new Error('docs/spec.md lacks the handshake-walkthrough markers');
  return `${specText.slice(0, begin + APPENDIX_BEGIN.length)}\n${rendered}\n${specText.slice(end)}`;
}

/** The generated block currently in the spec, or null. */
export function currentWalkthrough(specText: string): string | null {
  const begin = specText.indexOf(APPENDIX_BEGIN);
  const end = specText.indexOf(APPENDIX_END);
  if (begin < 0 || end < begin) return null;
  return specText.slice(begin + APPENDIX_BEGIN.length, end).trim();
}
