// The initiator's side of the handshake (brief, "Handshake (1 round trip, 3 flights)"):
//   flight 1: I -> R Hello;  flight 2: R -> I Hello, CertificateVerify, Finished;
//   flight 3: I -> R CertificateVerify, Finished. Application records may flow after.
import { X509Certificate } from 'node:crypto';
import { computeSharedSecret, generateKeyShare } from '../ecdhe.js';
import { peerIncompatible, peerMisbehaved, ProtocolError } from '../errors.js';
import { sameUserId } from '../identity.js';
import { handshakeSecret } from '../keyschedule.js';
import { encryptPremaster, PREMASTER_LENGTH } from '../keytransport.js';
import type { E2edMessage, InitiatorHello, KeyShare, ResponderHello } from '../messages.js';
import { encodeE2ed } from '../messages.js';
import { isCipherName } from '../record.js';
import { Transcript } from '../transcript.js';
import type { Frame } from '../frame.js';
import { checkCertificateVerify, makeCertificateVerify } from './certificate-verify.js';
import { emitKeyLog, flipLastBit, impostorUserId, plaintextFrame, type HandshakeContext } from './context.js';
import { checkFinished, makeFinished } from './finished.js';
import { authenticatePeer } from './peer-authentication.js';
import { checkResponderSelection, isEcdheMethod, type Version } from './selection.js';
import type { HandshakeSession } from './session.js';
import {
  expectKind,
  type Connected,
  type ExpectResponderCertificateVerify,
  type ExpectResponderFinished,
  type ExpectResponderHello,
  type InitiatorHandshakeState,
} from './states.js';
import { establishTraffic } from './traffic.js';

export interface InitiatorStep {
  state: InitiatorHandshakeState | Connected;
  frames: Buffer[];
}

/** Flight 1: our Hello. */
export function startInitiator(ctx: HandshakeContext): { state: ExpectResponderHello; frames: Buffer[] } {
  const knobs = ctx.bugs.hello;
  const peerUserId = ctx.peerUserId;
  if (peerUserId === undefined) throw new RangeError('an initiator needs peerUserId (the user it intends to reach)');
  // E2ED-HS-16: "An initiator MUST NOT set to to its own user ID."
  if (sameUserId(peerUserId, ctx.userId)) throw new RangeError('an initiator cannot connect to its own user ID');

  let versions: Version[] = ctx.prefs.versions;
  if (knobs?.omitVersions10) {
    versions = versions.filter((v) => v !== '1.0');
    if (versions.length === 0) versions = ['0.9'];
  }
  const nonce = ctx.rng.nonce.bytes(32);
  const method = ctx.prefs.methods[0]!;
  let keyShare: KeyShare | undefined;
  let ecdhePrivateKey: Buffer | undefined;
  let premaster: Buffer | undefined;
  let encryptedPremaster: Buffer | undefined;
  let keyTransportSpki: Buffer | undefined;
  if (isEcdheMethod(method)) {
    const share = generateKeyShare(method, ctx.rng.keyShare);
    ecdhePrivateKey = share.privateKey;
    keyShare = { method, publicKey: knobs?.keyShareOffCurve ? invalidKeyShare(method, share.publicKey) : share.publicKey };
  } else {
    // E2ED-KS-11: "The initiator MUST encrypt a fresh 32-byte random premaster with RSAES-OAEP ...
    // to the RSA public key of the responder's certificate obtained through IRP".
    const chain = ctx.peerCertificateForKeyTransport;
    if (chain === undefined || chain.length === 0) throw new RangeError('rsa-oaep needs peerCertificateForKeyTransport');
    const rsaKey = new X509Certificate(chain[0]!).publicKey;
    if (rsaKey.asymmetricKeyType !== 'rsa') throw new RangeError('rsa-oaep needs an RSA certificate for the responder');
    premaster = ctx.rng.premaster.bytes(PREMASTER_LENGTH);
    encryptedPremaster = ctx.bugs.keyTransport?.corruptPremaster
      ? Buffer.concat([Buffer.from([0]), ctx.rng.oaep.bytes(Math.ceil((rsaKey.asymmetricKeyDetails?.modulusLength ?? 2048) / 8) - 1)])
      : encryptPremaster(rsaKey, premaster, ctx.rng.oaep);
    keyTransportSpki = rsaKey.export({ format: 'der', type: 'spki' });
  }
  let ciphers: string[] = ctx.prefs.ciphers;
  if (knobs?.offerNullCipher) ciphers = ['NULL', ...ciphers];
  if (knobs?.offerOnlyNullCipher) ciphers = ['NULL'];

  const hello: InitiatorHello = {
    kind: 'InitiatorHello',
    from: knobs?.reflectPeerIdentity ? peerUserId : knobs?.claimOtherFrom ? impostorUserId(ctx.userId) : ctx.userId,
    to: knobs?.wrongTo ? impostorUserId(peerUserId) : peerUserId,
    versions,
    nonce: knobs?.sendWrongNonceLength ? nonce.subarray(0, 31) : nonce,
    methods: ctx.prefs.methods,
    ciphers,
    certificates: ctx.certificateChain,
  };
  if (keyShare !== undefined) hello.keyShare = keyShare;
  if (encryptedPremaster !== undefined) hello.encryptedPremaster = encryptedPremaster;

  const frame = plaintextFrame(hello);
  const transcript = new Transcript();
  transcript.add(frame);
  ctx.emit({ type: 'handshake_started', role: 'initiator' });
  const state: ExpectResponderHello = {
    name: 'ExpectResponderHello',
    nonce,
    offer: { versions, keyMaterialMethod: method, ciphers: ciphers.filter(isCipherName) },
    peerUserId,
    sentFrom: hello.from,
    transcript,
  };
  if (ecdhePrivateKey !== undefined) state.ecdhePrivateKey = ecdhePrivateKey;
  if (premaster !== undefined) state.premaster = premaster;
  if (keyTransportSpki !== undefined) state.keyTransportSpki = keyTransportSpki;
  return { state, frames: ctx.bugs.handshake?.duplicateHello ? [frame, frame] : [frame] };
}

/** hello.keyShareOffCurve: a P-256 point moved off the curve, or the all-zero (low-order) X25519 point. */
export function invalidKeyShare(method: 'x25519' | 'p256', publicKey: Buffer): Buffer {
  return method === 'p256' ? flipLastBit(publicKey) : Buffer.alloc(32);
}

export function handleInitiator(ctx: HandshakeContext, state: InitiatorHandshakeState, msg: E2edMessage, frame: Frame): InitiatorStep {
  switch (state.name) {
    case 'ExpectResponderHello':
      return onResponderHello(ctx, state, expectKind(state, msg, 'ResponderHello'), frame);
    case 'ExpectResponderCertificateVerify':
      return onResponderCertificateVerify(ctx, state, expectKind(state, msg, 'CertificateVerify'), frame);
    case 'ExpectResponderFinished':
      return onResponderFinished(ctx, state, expectKind(state, msg, 'Finished'), frame);
    default: {
      const never: never = state;
      throw new Error(`unknown initiator state ${(never as { name: string }).name}`);
    }
  }
}

function onResponderHello(ctx: HandshakeContext, state: ExpectResponderHello, hello: ResponderHello, frame: Frame): InitiatorStep {
  // The checks run in the order of E2ED-HS-35: reflection, version, selection, `to`, certificate
  // path, identity against the certificate, key share.
  // E2ED-ID-3: "An initiator MUST reject with illegal_parameter a Hello_R whose nonce equals its
  // own nonce_I, or whose from equals the initiator's own user ID."
  if (hello.nonce.equals(state.nonce)) {
    throw peerMisbehaved('illegal_parameter', "responder's nonce is our own nonce (reflected Hello)", 'E2ED-ID-3');
  }
  if (sameUserId(hello.from, ctx.userId)) {
    throw peerMisbehaved('illegal_parameter', "responder's from is our own user ID (reflected Hello)", 'E2ED-ID-3');
  }
  const selected = checkResponderSelection(
    state.offer,
    ctx.prefs.versions,
    { version: hello.version, method: hello.method, cipher: hello.cipher, nonce: hello.nonce, keyShareMethod: hello.keyShare?.method },
    { ignoreDowngradeSentinel: ctx.bugs.hello?.ignoreDowngradeSentinel === true },
  );
  if (state.keyTransportSpki !== undefined) checkKeyTransportTarget(state.keyTransportSpki, hello.certificates);
  const checkIdentity = !ctx.bugs.validation?.skipIdentityCheck;
  // E2ED-ID-7: "An initiator MUST check that the to of Hello_R equals its own user ID".
  if (checkIdentity && !sameUserId(hello.to, ctx.userId)) {
    throw peerMisbehaved('identity_mismatch', `responder's to ${hello.to} does not name us (${ctx.userId})`, 'E2ED-ID-7');
  }
  // E2ED-ID-6: "the rfc822Name of the responder's leaf equals that same user ID" (the `to` we sent).
  const peer = authenticatePeer(
    ctx.verifyPeer,
    hello.certificates,
    { expectedUserId: state.peerUserId, requireKeyEncipherment: selected.method === 'rsa-oaep' },
    ctx.bugs,
  );
  // E2ED-ID-6: "the from of Hello_R equals the to it sent".
  if (checkIdentity && !sameUserId(hello.from, state.peerUserId)) {
    throw peerMisbehaved('identity_mismatch', `responder's from ${hello.from} is not ${state.peerUserId}, whom we asked for`, 'E2ED-ID-6');
  }

  let z: Buffer;
  if (isEcdheMethod(selected.method)) {
    // checkResponderSelection has established that the share is present and of this method.
    z = computeSharedSecret(selected.method, state.ecdhePrivateKey!, hello.keyShare!.publicKey);
  } else {
    z = state.premaster!;
  }
  const session: HandshakeSession = {
    version: selected.version,
    method: selected.method,
    cipher: selected.cipher,
    nonceI: state.nonce,
    nonceR: hello.nonce,
    initiatorId: state.sentFrom,
    responderId: hello.from,
    hs: handshakeSecret(z, state.nonce, hello.nonce),
    peerUserId: peer.userId,
    peerPublicKey: peer.publicKey,
    peerSignatureAlgorithm: peer.signatureAlgorithm,
  };
  // E2ED-KS-5: Z and the ephemeral private key are not needed past HS.
  z.fill(0);
  state.ecdhePrivateKey?.fill(0);
  ctx.emit({ type: 'negotiated', version: selected.version, method: selected.method, cipher: selected.cipher });
  ctx.emit({ type: 'peer_verified', userId: peer.userId });
  emitKeyLog(ctx, 'E2ED_HANDSHAKE_SECRET', session.nonceI, session.hs);
  state.transcript.add(frame.wire);
  return { state: { name: 'ExpectResponderCertificateVerify', session, transcript: state.transcript }, frames: [] };
}

/**
 * E2ED-HS-26: "For rsa-oaep, the initiator MUST check that the public key of the responder's leaf
 * equals the key it encrypted the premaster to; otherwise handshake_failure."
 */
function checkKeyTransportTarget(encryptedToSpki: Buffer, chain: Buffer[]): void {
  let leafSpki: Buffer;
  try {
    leafSpki = new X509Certificate(chain[0]!).publicKey.export({ format: 'der', type: 'spki' });
  } catch {
    throw new ProtocolError('certificate', 'bad_certificate', "responder's leaf certificate does not parse", 'E2ED-HS-7');
  }
  if (!leafSpki.equals(encryptedToSpki)) {
    throw peerIncompatible('handshake_failure', "responder's leaf key is not the key the premaster was encrypted to", 'E2ED-HS-26');
  }
}

function onResponderCertificateVerify(
  ctx: HandshakeContext,
  state: ExpectResponderCertificateVerify,
  cv: E2edMessage & { kind: 'CertificateVerify' },
  frame: Frame,
): InitiatorStep {
  checkCertificateVerify(ctx, cv, state.session, state.transcript);
  state.transcript.add(frame.wire);
  return { state: { name: 'ExpectResponderFinished', session: state.session, transcript: state.transcript }, frames: [] };
}

/** Flight 3 once R's Finished checks out; I may send records right after its Finished. */
function onResponderFinished(
  ctx: HandshakeContext,
  state: ExpectResponderFinished,
  fin: E2edMessage & { kind: 'Finished' },
  frame: Frame,
): InitiatorStep {
  const { session, transcript } = state;
  checkFinished(ctx, fin, session, transcript);
  transcript.add(frame.wire);

  const skipCv = ctx.bugs.handshake?.skipCertificateVerify === true;
  let cvFrame: Buffer | undefined;
  if (!skipCv) {
    cvFrame = plaintextFrame(makeCertificateVerify(ctx, session, transcript));
    transcript.add(cvFrame);
  }
  const finFrame = plaintextFrame(makeFinished(ctx, session, transcript));
  transcript.add(finFrame);
  const connected = establishTraffic(ctx, session, transcript);
  ctx.emit({ type: 'connected', peerUserId: session.peerUserId });

  const frames: Buffer[] = [];
  if (ctx.bugs.handshake?.reorderCvFinished) {
    frames.push(finFrame);
    if (cvFrame) frames.push(cvFrame);
  } else {
    if (cvFrame) frames.push(cvFrame);
    if (ctx.bugs.record?.sendAppDataBeforeFinished) {
      frames.push(connected.recordLayer.seal(encodeE2ed({ kind: 'Ping', id: 'early' })));
    }
    frames.push(finFrame);
  }
  return { state: connected, frames };
}
