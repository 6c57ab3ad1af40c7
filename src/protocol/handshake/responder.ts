// The responder's side of the handshake (brief, "Handshake (1 round trip, 3 flights)"):
//   flight 1: I -> R Hello;  flight 2: R -> I Hello, CertificateVerify, Finished;
//   flight 3: I -> R CertificateVerify, Finished. "R sends records only after verifying I's Finished".
import { computeSharedSecret, generateKeyShare } from '../ecdhe.js';
import { invalidMessage, peerMisbehaved } from '../errors.js';
import type { Frame } from '../frame.js';
import { sameUserId } from '../identity.js';
import { handshakeSecret } from '../keyschedule.js';
import { decryptPremaster, PREMASTER_LENGTH } from '../keytransport.js';
import type { E2edMessage, InitiatorHello, KeyShare, ResponderHello } from '../messages.js';
import { CIPHERS, type CipherName } from '../record.js';
import { Transcript } from '../transcript.js';
import { checkCertificateVerify, makeCertificateVerify } from './certificate-verify.js';
import { emitKeyLog, impostorUserId, plaintextFrame, type HandshakeContext } from './context.js';
import { checkFinished, makeFinished } from './finished.js';
import { invalidKeyShare } from './initiator.js';
import { authenticatePeer } from './peer-authentication.js';
import {
  isEcdheMethod,
  selectCipher,
  selectMethod,
  selectVersion,
  withDowngradeSentinel,
  type EcdheMethodName,
  type MethodName,
  type Version,
} from './selection.js';
import type { HandshakeSession } from './session.js';
import {
  expectKind,
  type Connected,
  type ExpectInitiatorCertificateVerify,
  type ExpectInitiatorFinished,
  type ExpectInitiatorHello,
  type ResponderHandshakeState,
} from './states.js';
import { establishTraffic } from './traffic.js';

export interface ResponderStep {
  state: ResponderHandshakeState | Connected;
  frames: Buffer[];
}

/** E2ED-HS-11: "the responder MUST NOT send anything before it has received Hello_I". */
export function startResponder(): ExpectInitiatorHello {
  return { name: 'ExpectInitiatorHello' };
}

export function handleResponder(ctx: HandshakeContext, state: ResponderHandshakeState, msg: E2edMessage, frame: Frame): ResponderStep {
  switch (state.name) {
    case 'ExpectInitiatorHello':
      return onInitiatorHello(ctx, state, expectKind(state, msg, 'InitiatorHello'), frame);
    case 'ExpectInitiatorCertificateVerify':
      return onInitiatorCertificateVerify(ctx, state, expectKind(state, msg, 'CertificateVerify'), frame);
    case 'ExpectInitiatorFinished':
      return onInitiatorFinished(ctx, state, expectKind(state, msg, 'Finished'), frame);
    default: {
      const never: never = state;
      throw new Error(`unknown responder state ${(never as { name: string }).name}`);
    }
  }
}

/** The responder's own methods: rsa-oaep only when it holds an RSA key to decrypt with. */
function supportedMethods(ctx: HandshakeContext): MethodName[] {
  return ctx.prefs.methods.filter((m) => m !== 'rsa-oaep' || ctx.privateKey.asymmetricKeyType === 'rsa');
}

function chooseVersion(ctx: HandshakeContext, offered: string[]): Version {
  if (ctx.bugs.hello?.selectLegacyVersion && offered.includes('0.9')) return '0.9';
  return selectVersion(offered, ctx.prefs.versions);
}

/** hello.selectUnofferedCipher: a registered cipher I did not list, or NULL when it listed all. */
function unofferedCipher(offered: string[]): string {
  return CIPHERS.find((c) => !offered.includes(c)) ?? 'NULL';
}

function otherEcdheMethod(method: MethodName): EcdheMethodName {
  return method === 'x25519' ? 'p256' : 'x25519';
}

function onInitiatorHello(ctx: HandshakeContext, _state: ExpectInitiatorHello, hello: InitiatorHello, frame: Frame): ResponderStep {
  ctx.emit({ type: 'handshake_started', role: 'responder' });
  const knobs = ctx.bugs.hello;
  // The checks run in the order of E2ED-HS-35: reflection, version, method and cipher, `to`,
  // certificate path, identity against the certificate, key share.
  // E2ED-ID-1: "A responder MUST reject with illegal_parameter a Hello_I whose from equals the
  // responder's own user ID". E2ED-ID-2: "... a Hello_I whose nonce equals one of them" (the nonces
  // of the Hello_I the UA itself has sent in handshakes still pending).
  if (sameUserId(hello.from, ctx.userId)) {
    throw peerMisbehaved('illegal_parameter', "initiator's from is our own user ID (reflected Hello)", 'E2ED-ID-1');
  }
  if (ctx.isOwnPendingNonce(hello.nonce)) {
    throw peerMisbehaved('illegal_parameter', "initiator's nonce is one of our own pending nonces (reflected Hello)", 'E2ED-ID-2');
  }
  const version = chooseVersion(ctx, hello.versions);
  // E2ED-HS-18: "A KeyShare whose method is rsa-oaep is illegal_parameter."
  if (hello.keyShare?.method === 'rsa-oaep') {
    throw peerMisbehaved('illegal_parameter', 'a KeyShare cannot be for rsa-oaep', 'E2ED-HS-18');
  }
  const keyMaterialMethod = hello.keyShare?.method ?? 'rsa-oaep';
  const method = selectMethod(keyMaterialMethod, hello.methods, supportedMethods(ctx));
  const cipher: CipherName = selectCipher(hello.ciphers, ctx.prefs.ciphers);
  // E2ED-ID-4: "A responder MUST check that the to of Hello_I equals its own user ID".
  if (!ctx.bugs.validation?.skipIdentityCheck && !sameUserId(hello.to, ctx.userId)) {
    throw peerMisbehaved('identity_mismatch', `initiator's to ${hello.to} does not name us (${ctx.userId})`, 'E2ED-ID-4');
  }
  // E2ED-ID-5: "the rfc822Name of the initiator's leaf certificate equals the from of Hello_I".
  const peer = authenticatePeer(ctx.verifyPeer, hello.certificates, { expectedUserId: hello.from, requireKeyEncipherment: false }, ctx.bugs);
  ctx.emit({ type: 'negotiated', version, method, cipher });
  ctx.emit({ type: 'peer_verified', userId: peer.userId });

  let z: Buffer;
  let keyShare: KeyShare | undefined;
  if (isEcdheMethod(method)) {
    const announced = knobs?.selectUnofferedMethod ? otherEcdheMethod(method) : method;
    const share = generateKeyShare(method, ctx.rng.keyShare);
    z = computeSharedSecret(method, share.privateKey, hello.keyShare!.publicKey);
    share.privateKey.fill(0);
    const wireShare = knobs?.selectUnofferedMethod ? generateKeyShare(announced, ctx.rng.keyShare).publicKey : share.publicKey;
    keyShare = { method: announced, publicKey: knobs?.keyShareOffCurve ? invalidKeyShare(announced, wireShare) : wireShare };
  } else {
    const ciphertext = hello.encryptedPremaster!;
    // E2ED-KS-12: "A responder MUST reject with decode_error an EncryptedPremaster whose length
    // differs from the modulus length of its RSA key (a public property, no oracle)."
    const modulusBytes = Math.ceil((ctx.privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (ciphertext.length !== modulusBytes) {
      throw invalidMessage('decode_error', `EncryptedPremaster is ${ciphertext.length} bytes, the modulus ${modulusBytes}`, 'E2ED-KS-12');
    }
    // E2ED-KS-13: "before decrypting it draws 32 random bytes R32; if OAEP decryption fails for any
    // reason, or yields a plaintext that is not exactly 32 bytes, it MUST continue with Z = R32".
    const substitute = ctx.rng.implicitRejection.bytes(PREMASTER_LENGTH);
    const premaster = decryptPremaster(ctx.privateKey, ciphertext);
    if (premaster === null && ctx.bugs.keyTransport?.explicitRejection) {
      throw peerMisbehaved('decrypt_error', 'EncryptedPremaster does not decrypt (keyTransport.explicitRejection)', 'E2ED-KS-13');
    }
    z = premaster !== null && premaster.length === PREMASTER_LENGTH ? premaster : substitute;
    if (knobs?.selectUnofferedMethod) keyShare = { method: 'x25519', publicKey: generateKeyShare('x25519', ctx.rng.keyShare).publicKey };
  }

  // E2ED-HS-21: "nonce_R as 32 fresh random bytes, except for the downgrade sentinel (E2ED-VER-4)".
  let nonce = ctx.rng.nonce.bytes(32);
  if (version === '0.9' && ctx.prefs.versions.includes('1.0') && !knobs?.omitDowngradeSentinel) nonce = withDowngradeSentinel(nonce);
  if (knobs?.reflectPeerNonce) nonce = hello.nonce;

  const reply: ResponderHello = {
    kind: 'ResponderHello',
    from: knobs?.reflectPeerIdentity ? hello.from : knobs?.claimOtherFrom ? impostorUserId(ctx.userId) : ctx.userId,
    to: knobs?.wrongTo ? impostorUserId(hello.from) : hello.from,
    version,
    method: knobs?.selectUnofferedMethod ? (keyShare?.method ?? 'x25519') : method,
    cipher: knobs?.selectUnofferedCipher ? unofferedCipher(hello.ciphers) : cipher,
    nonce: knobs?.sendWrongNonceLength ? nonce.subarray(0, 31) : nonce,
    certificates: ctx.certificateChain,
  };
  if (keyShare !== undefined) reply.keyShare = keyShare;
  const helloFrame = plaintextFrame(reply);

  const transcript = new Transcript();
  transcript.add(frame.wire);
  transcript.add(helloFrame);
  const session: HandshakeSession = {
    version,
    method,
    cipher,
    nonceI: hello.nonce,
    nonceR: nonce,
    initiatorId: hello.from,
    responderId: reply.from,
    hs: handshakeSecret(z, hello.nonce, nonce),
    peerUserId: peer.userId,
    peerPublicKey: peer.publicKey,
    peerSignatureAlgorithm: peer.signatureAlgorithm,
  };
  emitKeyLog(ctx, 'E2ED_HANDSHAKE_SECRET', session.nonceI, session.hs);
  // E2ED-KS-5: Z is not needed past HS (the ephemeral private key went out of scope above).
  z.fill(0);

  const skipCv = ctx.bugs.handshake?.skipCertificateVerify === true;
  let cvFrame: Buffer | undefined;
  if (!skipCv) {
    cvFrame = plaintextFrame(makeCertificateVerify(ctx, session, transcript));
    transcript.add(cvFrame);
  }
  const finFrame = plaintextFrame(makeFinished(ctx, session, transcript));
  transcript.add(finFrame);

  const frames = ctx.bugs.handshake?.duplicateHello ? [helloFrame, helloFrame] : [helloFrame];
  if (ctx.bugs.handshake?.reorderCvFinished) frames.push(finFrame, ...(cvFrame ? [cvFrame] : []));
  else frames.push(...(cvFrame ? [cvFrame] : []), finFrame);
  return { state: { name: 'ExpectInitiatorCertificateVerify', session, transcript }, frames };
}

function onInitiatorCertificateVerify(
  ctx: HandshakeContext,
  state: ExpectInitiatorCertificateVerify,
  cv: E2edMessage & { kind: 'CertificateVerify' },
  frame: Frame,
): ResponderStep {
  checkCertificateVerify(ctx, cv, state.session, state.transcript);
  state.transcript.add(frame.wire);
  return { state: { name: 'ExpectInitiatorFinished', session: state.session, transcript: state.transcript }, frames: [] };
}

function onInitiatorFinished(
  ctx: HandshakeContext,
  state: ExpectInitiatorFinished,
  fin: E2edMessage & { kind: 'Finished' },
  frame: Frame,
): ResponderStep {
  checkFinished(ctx, fin, state.session, state.transcript);
  state.transcript.add(frame.wire);
  const connected = establishTraffic(ctx, state.session, state.transcript);
  ctx.emit({ type: 'connected', peerUserId: state.session.peerUserId });
  return { state: connected, frames: [] };
}
