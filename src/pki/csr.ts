// PKCS#10 certification requests (RFC 2986) for IRP enrolment: a UA makes one with createCsr,
// the registry (the test CA) checks it with parseCsr before issuing. The request only proves
// possession of the key; the identity written into the certificate is the authenticated user's,
// so the CSR's subject and requested extensions are informational and never copied.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DerError, encodeTlv, readOnly, readTlv, type Tlv } from '../protocol/crypto/der.js';
import { invalidMessage, peerMisbehaved } from '../protocol/errors.js';
import {
  algorithmIdentifier,
  defaultSignatureAlgorithm,
  der,
  signData,
  subjectAltNameExtension,
  testName,
  type SignatureAlgorithmName,
} from './cert-builder.js';
import { OID } from './oids.js';

/** A CSR for the key, subject CN = user ID, with an extensionRequest for the SAN rfc822Name. */
export function createCsr(privateKey: KeyObject, userId: string): Buffer {
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const san = subjectAltNameExtension([{ rfc822: userId }]);
  const extensionRequest = der.seq([
    der.oid(OID.extensionRequest),
    der.set([der.seq([der.seq([der.oid(san.oid), der.octets(san.value)])])]),
  ]);
  const info = Buffer.concat([
    der.toDer(der.smallInt(0)),
    testName(userId),
    spki,
    der.toDer(der.implicitConstructed(0, [extensionRequest])),
  ]);
  const infoDer = encodeTlv(0x30, info);
  const algorithm = defaultSignatureAlgorithm(privateKey);
  const signature = signData(algorithm, privateKey, infoDer);
  const body = Buffer.concat([infoDer, algorithmIdentifier(algorithm), der.toDer(der.bits(signature))]);
  return encodeTlv(0x30, body);
}

export interface ParsedCsr {
  /** DER SubjectPublicKeyInfo of the requested key. */
  spki: Buffer;
  publicKey: KeyObject;
  /** DER subject Name as requested (informational only). */
  subject: Buffer;
  algorithm: SignatureAlgorithmName;
}

const ACCEPTED_ALGORITHMS: readonly SignatureAlgorithmName[] = ['ecdsa-with-SHA256', 'Ed25519', 'sha256WithRSAEncryption'];

const HASH_OF: Partial<Record<SignatureAlgorithmName, string | null>> = {
  'ecdsa-with-SHA256': 'sha256',
  Ed25519: null,
  'sha256WithRSAEncryption': 'sha256',
};

const KEY_TYPE_OF: Partial<Record<SignatureAlgorithmName, string>> = {
  'ecdsa-with-SHA256': 'ec',
  Ed25519: 'ed25519',
  'sha256WithRSAEncryption': 'rsa',
};

/** The whole TLV (header included) of an element read at `offset`. */
function whole(buf: Buffer, offset: number, tlv: Tlv): Buffer {
  return buf.subarray(offset, tlv.end);
}

/**
 * Parses a DER CSR strictly and verifies its self-signature. Unparseable: decode_error;
 * signature algorithm not accepted, or a signature that does not verify: decrypt_error (the
 * request does not prove possession of the key).
 */
export function parseCsr(csrDer: Buffer): ParsedCsr {
  let info: Buffer;
  let algorithmDer: Buffer;
  let signatureBits: Buffer;
  let subject: Buffer;
  let spki: Buffer;
  try {
    const outer = readOnly(csrDer, 0x30).contents;
    const infoTlv = readTlv(outer, 0);
    const algTlv = readTlv(outer, infoTlv.end);
    const sigTlv = readTlv(outer, algTlv.end);
    if (sigTlv.end !== outer.length || infoTlv.tag !== 0x30 || algTlv.tag !== 0x30 || sigTlv.tag !== 0x03) {
      throw new DerError('not a CertificationRequest');
    }
    info = whole(outer, 0, infoTlv);
    algorithmDer = whole(outer, infoTlv.end, algTlv);
    if (sigTlv.contents[0] !== 0) throw new DerError('signature BIT STRING with unused bits');
    signatureBits = sigTlv.contents.subarray(1);
    const c = infoTlv.contents;
    const version = readTlv(c, 0);
    if (version.tag !== 0x02 || version.contents.length !== 1 || version.contents[0] !== 0) {
      throw new DerError('CSR version is not 0');
    }
    const subjectTlv = readTlv(c, version.end);
    const spkiTlv = readTlv(c, subjectTlv.end);
    if (subjectTlv.tag !== 0x30 || spkiTlv.tag !== 0x30) throw new DerError('bad CertificationRequestInfo');
    subject = whole(c, version.end, subjectTlv);
    spki = whole(c, subjectTlv.end, spkiTlv);
  } catch (err) {
    if (err instanceof DerError) throw invalidMessage('decode_error', `CSR is not valid DER: ${err.message}`);
    throw err;
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw invalidMessage('decode_error', 'CSR public key does not parse');
  }
  const algorithm = ACCEPTED_ALGORITHMS.find((a) => algorithmIdentifier(a).equals(algorithmDer));
  if (!algorithm || KEY_TYPE_OF[algorithm] !== publicKey.asymmetricKeyType) {
    throw peerMisbehaved('decrypt_error', 'CSR signature algorithm is not accepted for its key');
  }
  let valid = false;
  try {
    valid = cryptoVerify(HASH_OF[algorithm] ?? null, info, { key: publicKey, dsaEncoding: 'der' }, signatureBits);
  } catch {
    valid = false;
  }
  if (!valid) throw peerMisbehaved('decrypt_error', 'CSR signature does not verify');
  return { spki, publicKey, subject, algorithm };
}
