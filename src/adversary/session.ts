// What the adversary knows about its one connection, and the key schedule computed from it
// (docs/spec.md sections 5 and 7): the handshake frames really sent and received, in order (the
// transcript), the nonces, key material and selections read back from those frames, and from them
// HS, the finished keys, MS and the traffic secrets of both directions. Nothing here decides what
// is allowed: a script can send anything, and this still derives what a correct peer would, so
// that after a deliberate deviation the adversary can produce a valid CertificateVerify, Finished
// or record where the case needs the implementation to get past that point.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { computeSharedSecret, generateKeyShare, type EcdheMethod } from '../protocol/ecdhe.js';
import { encryptPremaster, decryptPremaster } from '../protocol/keytransport.js';
import {
  finishedKey,
  finishedValue,
  handshakeSecret,
  masterSecret,
  nextTrafficSecret,
  signedContent,
  SIGNATURE_CONTEXT,
  trafficKeys,
  trafficSecrets,
} from '../protocol/keyschedule.js';
import type { E2edMessage } from '../protocol/messages.js';
import type { RandomSource } from '../protocol/random.js';
import { isCipherName, openRecord, sealRecord, type CipherName } from '../protocol/record.js';
import { signatureAlgorithmForKey, sign, verify, type SignatureAlgorithm } from '../protocol/signature.js';
import { FrameType, type Frame } from '../protocol/frame.js';
import { keyLogLine, trafficSecretLabel, type KeyLogLabel, type TrafficDirection } from '../protocol/keylog.js';

export type Role = 'initiator' | 'responder';

export interface AdversaryIdentity {
  userId: string;
  privateKey: KeyObject;
  /** DER, leaf first. */
  chain: Buffer[];
}

/** One direction's record state: the traffic secret of generation `generation`, its key and iv, and the next sequence number. */
export interface Direction {
  secret: Buffer;
  generation: number;
  key: Buffer;
  iv: Buffer;
  seq: bigint;
  /** The secret before the last update (records "with the previous key"). */
  previous?: Buffer;
}

export function direction(secret: Buffer, generation = 0): Direction {
  const { key, iv } = trafficKeys(secret);
  return { secret, generation, key, iv, seq: 0n };
}

export function advance(d: Direction): Direction {
  const next = direction(nextTrafficSecret(d.secret), d.generation + 1);
  next.previous = d.secret;
  return next;
}

export class Session {
  /** Handshake frames in the order they were sent or received (alerts and records never). */
  readonly transcript: Buffer[] = [];
  nonceI?: Buffer;
  nonceR?: Buffer;
  initiatorId?: string;
  responderId?: string;
  version = '1.0';
  method: string = 'x25519';
  cipher: CipherName = 'AES-256-GCM';
  /** Our ephemeral key pair for `method`. */
  ecdhe?: { method: EcdheMethod; privateKey: Buffer; publicKey: Buffer };
  /** The peer's key share as it sent it. */
  peerShare?: Buffer;
  premaster?: Buffer;
  peerChain?: Buffer[];
  hs?: Buffer;
  ms?: Buffer;
  send?: Direction;
  recv?: Direction;
  /** The frame-level view of the other direction (for "a record from the other direction"). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /**
   * Every secret derived, as key log lines (docs/spec.md chapter 13): HS, MS and each generation of
   * both traffic directions, so the case's capture decrypts (docs/run.md "Captures"). Keys a
   * script uses once on purpose (the next generation early, the other direction) are not logged.
   */
  readonly keyLog: string[] = [];

  constructor(
    readonly role: Role,
    readonly identity: AdversaryIdentity,
    readonly rng: RandomSource,
  ) {
    const alg = signatureAlgorithmForKey(new X509Certificate(identity.chain[0]!).publicKey);
    if (alg === null) throw new Error('the adversary identity has no usable signature key');
    this.signatureAlgorithm = alg;
  }

  th(): Buffer {
    const h = createHash('sha256');
    for (const f of this.transcript) h.update(f);
    return h.digest();
  }

  /** Draws (once) our nonce. */
  ownNonce(): Buffer {
    if (this.role === 'initiator') return (this.nonceI ??= this.rng.bytes(32));
    return (this.nonceR ??= this.rng.bytes(32));
  }

  ownShare(method: EcdheMethod): Buffer {
    if (!this.ecdhe || this.ecdhe.method !== method) this.ecdhe = { method, ...generateKeyShare(method, this.rng) };
    return this.ecdhe.publicKey;
  }

  /** Encrypts a fresh premaster to the peer's RSA key (E2ED-KS-11). */
  encryptedPremaster(peerChain: Buffer[]): Buffer {
    this.premaster ??= this.rng.bytes(32);
    const key = peerChain[0] ? new X509Certificate(peerChain[0]).publicKey : undefined;
    // A peer without an RSA key (a case offering rsa-oaep to it on purpose): 256 bytes that decrypt to nothing.
    if (key?.asymmetricKeyType !== 'rsa') return this.rng.bytes(256);
    return encryptPremaster(key, this.premaster, this.rng);
  }

  /** Records a handshake frame that really went out or came in, and learns from it what the key schedule needs. */
  noteHandshake(wire: Buffer, msg: E2edMessage | undefined, sent: boolean): void {
    this.transcript.push(wire);
    if (!msg) return;
    if (msg.kind === 'InitiatorHello') {
      this.nonceI = msg.nonce;
      this.initiatorId = msg.from;
      if (!sent) {
        this.peerChain = msg.certificates;
        if (msg.keyShare) {
          this.peerShare = msg.keyShare.publicKey;
          this.method = msg.keyShare.method;
        } else if (msg.encryptedPremaster) {
          this.method = 'rsa-oaep';
          this.peerEncryptedPremaster = msg.encryptedPremaster;
        }
      } else if (msg.keyShare) this.method = msg.keyShare.method;
      else if (msg.encryptedPremaster) this.method = 'rsa-oaep';
    } else if (msg.kind === 'ResponderHello') {
      this.nonceR = msg.nonce;
      this.responderId = msg.from;
      this.version = msg.version;
      this.method = msg.method;
      if (isCipherName(msg.cipher)) this.cipher = msg.cipher;
      if (!sent) {
        this.peerChain = msg.certificates;
        if (msg.keyShare) this.peerShare = msg.keyShare.publicKey;
      }
      this.deriveHandshakeSecret();
    }
  }

  peerEncryptedPremaster?: Buffer;
  /** The responder's RSA key, when the adversary is an rsa-oaep responder. */
  rsaPrivateKey?: KeyObject;

  /** HS from the nonces and Z (own key and the peer's share, or the premaster); undefined parts leave it unset. */
  deriveHandshakeSecret(): void {
    if (!this.nonceI || !this.nonceR) return;
    let z: Buffer | undefined;
    try {
      if (this.method === 'rsa-oaep') {
        if (this.role === 'responder' && this.peerEncryptedPremaster && this.rsaPrivateKey) {
          this.premaster = decryptPremaster(this.rsaPrivateKey, this.peerEncryptedPremaster) ?? this.rng.bytes(32);
        }
        z = this.premaster;
      } else if ((this.method === 'x25519' || this.method === 'p256') && this.ecdhe && this.peerShare) {
        z = computeSharedSecret(this.method, this.ecdhe.privateKey, this.peerShare);
      }
    } catch {
      z = undefined; // an invalid share: no HS, and whatever needs it says so
    }
    if (z) {
      this.hs = handshakeSecret(z, this.nonceI, this.nonceR);
      this.logSecret('E2ED_HANDSHAKE_SECRET', this.hs);
    }
  }

  /** Our CertificateVerify signature over the transcript so far (1.0 contexts). */
  certificateVerify(): { algorithm: SignatureAlgorithm; signature: Buffer } {
    const context = this.role === 'responder' ? SIGNATURE_CONTEXT.responder10 : SIGNATURE_CONTEXT.initiator10;
    const content = signedContent(context, this.th());
    return { algorithm: this.signatureAlgorithm, signature: sign(this.signatureAlgorithm, this.identity.privateKey, content, this.rng) };
  }

  /** Whether the peer's CertificateVerify verifies over the transcript before it (the frame not yet added). */
  peerSignatureValid(signature: Buffer, algorithm: string): boolean {
    if (!this.peerChain?.[0]) return false;
    const key = new X509Certificate(this.peerChain[0]).publicKey;
    const context = this.role === 'responder' ? SIGNATURE_CONTEXT.initiator10 : SIGNATURE_CONTEXT.responder10;
    const alg = signatureAlgorithmForKey(key);
    return alg !== null && alg === algorithm && verify(alg, key, signedContent(context, this.th()), signature);
  }

  requireHs(): Buffer {
    if (!this.hs) throw new Error('no handshake secret: the Hellos do not give one (an invalid share, or a Hello missing)');
    return this.hs;
  }

  /** Our Finished value over the transcript so far. */
  finished(): Buffer {
    return finishedValue(finishedKey(this.requireHs(), this.role === 'initiator' ? 'i' : 'r'), this.th());
  }

  /** The Finished value the peer should send now. */
  expectedPeerFinished(): Buffer {
    return finishedValue(finishedKey(this.requireHs(), this.role === 'initiator' ? 'r' : 'i'), this.th());
  }

  /** After Fin_I has entered the transcript: MS and both traffic directions. */
  deriveTraffic(): void {
    this.ms = masterSecret(this.requireHs(), this.th());
    const ts = trafficSecrets(this.ms);
    const own = this.role === 'initiator' ? ts.i2r : ts.r2i;
    const peer = this.role === 'initiator' ? ts.r2i : ts.i2r;
    this.send = direction(own);
    this.recv = direction(peer);
    this.logSecret('E2ED_MASTER_SECRET', this.ms);
    this.logTraffic('send', this.send);
    this.logTraffic('recv', this.recv);
  }

  private logSecret(label: KeyLogLabel, secret: Buffer): void {
    if (this.nonceI) this.keyLog.push(keyLogLine(label, this.nonceI, secret));
  }

  private logTraffic(which: 'send' | 'recv', d: Direction): void {
    const sendDirection: TrafficDirection = this.role === 'initiator' ? 'i2r' : 'r2i';
    const dir: TrafficDirection = which === 'send' ? sendDirection : sendDirection === 'i2r' ? 'r2i' : 'i2r';
    this.logSecret(trafficSecretLabel(dir, d.generation), d.secret);
  }

  get connected(): boolean {
    return this.send !== undefined;
  }

  /** A record frame sealed as the options say (default: our current key and next sequence number, which then advances). */
  seal(plaintext: Buffer, opts: { keys?: 'current' | 'previous' | 'next' | 'other-direction'; seq?: number; seqDelta?: number; keepSeq?: boolean } = {}): Buffer {
    if (!this.send || !this.recv) throw new Error('no traffic keys: the handshake has not reached Fin_I');
    let d: Direction = this.send;
    switch (opts.keys ?? 'current') {
      case 'previous':
        if (!d.previous) throw new Error('no previous sending key (no key update yet)');
        d = direction(d.previous);
        break;
      case 'next':
        d = advance(d);
        break;
      case 'other-direction':
        d = this.recv;
        break;
      default:
        break;
    }
    const seq = opts.seq !== undefined ? BigInt(opts.seq) : this.send.seq + BigInt(opts.seqDelta ?? 0);
    const frame = sealRecord(this.cipher, d.key, d.iv, seq, plaintext);
    if (!opts.keepSeq) this.send.seq += 1n;
    return frame;
  }

  /** Opens the peer's record with the current receiving key: the plaintext, or null when it does not authenticate. */
  open(wire: Buffer): Buffer | null {
    if (!this.recv) return null;
    const frame: Frame = { type: FrameType.Record, header: wire.subarray(0, 5), payload: wire.subarray(5), wire };
    try {
      const pt = openRecord(this.cipher, this.recv.key, this.recv.iv, this.recv.seq, frame);
      this.recv.seq += 1n;
      return pt;
    } catch {
      return null;
    }
  }

  updateSending(): void {
    if (!this.send) return;
    this.send = advance(this.send);
    this.logTraffic('send', this.send);
  }

  updateReceiving(): void {
    if (!this.recv) return;
    this.recv = advance(this.recv);
    this.logTraffic('recv', this.recv);
  }
}
