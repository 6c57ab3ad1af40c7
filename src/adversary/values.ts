// $-values a script may use where it gives a field a value, so that data can name what only
// exists during the conversation: the peer's nonce, a user ID with its domain in upper case, our
// own key share with its high bit set, and the malformed premaster encryptions of the RSA key
// transport cases (docs/spec.md 7.6, E2ED-KS-13: every one of them must end exactly as a
// wrong-but-well-formed one).
import { constants, publicEncrypt, X509Certificate, type KeyObject } from 'node:crypto';
import { toBase64, toHex } from '../protocol/bytes.js';
import { emeOaepEncode } from '../protocol/keytransport.js';
import type { Session } from './session.js';

export const VALUE_NAMES = [
  '$peerNonce', '$ownNonce', '$ownNonce:sentinel', '$ownUserId', '$peerUserId',
  '$ownUserId:upperDomain', '$ownUserId:otherLocal', '$peerUserId:upperDomain', '$peerUserId:upperLocal', '$peerUserId:otherLocal',
  '$ownShare:highBit', '$rsa:other', '$rsa:random', '$rsa:short', '$rsa:long', '$rsa:label', '$rsa:pkcs1', '$rsa:zeros', '$rsa:ones', '$rsa:255', '$rsa:257',
] as const;

const upperDomain = (id: string): string => {
  const at = id.lastIndexOf('@');
  return id.slice(0, at + 1) + id.slice(at + 1).toUpperCase();
};
const upperLocal = (id: string): string => {
  const at = id.lastIndexOf('@');
  return id.slice(0, at).toUpperCase() + id.slice(at);
};
const otherLocal = (id: string): string => `x${id}`;

function rsaKey(session: Session): KeyObject {
  const leaf = session.peerChain?.[0];
  if (!leaf) throw new Error('an $rsa value needs the peer RSA certificate');
  return new X509Certificate(leaf).publicKey;
}

function oaep(key: KeyObject, message: Buffer, session: Session, label?: Buffer): Buffer {
  const k = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, emeOaepEncode(message, k, session.rng.bytes(32), label));
}

/** The value, or the text unchanged when it is not a $-value. $repeat:<text>:<n> repeats; $zeros:<n> is n zero bytes in hex. */
export function expandValue(v: string, s: Session, peerUserId: string): string {
  const rep = /^\$repeat:(.*):(\d+)$/s.exec(v);
  if (rep) return rep[1]!.repeat(Number(rep[2]));
  const zeros = /^\$zeros:(\d+)$/.exec(v);
  if (zeros) return '00'.repeat(Number(zeros[1]));
  if (!v.startsWith('$')) return v;
  switch (v) {
    case '$peerNonce':
      return toHex((s.role === 'initiator' ? s.nonceR : s.nonceI) ?? Buffer.alloc(32));
    case '$ownNonce':
      return toHex(s.ownNonce());
    case '$ownNonce:sentinel':
      return toHex(Buffer.concat([s.ownNonce().subarray(0, 24), Buffer.from('E2EDDOWN', 'ascii')]));
    case '$ownUserId':
      return s.identity.userId;
    case '$peerUserId':
      return peerUserId;
    case '$ownUserId:upperDomain':
      return upperDomain(s.identity.userId);
    case '$ownUserId:otherLocal':
      return otherLocal(s.identity.userId);
    case '$peerUserId:upperDomain':
      return upperDomain(peerUserId);
    case '$peerUserId:upperLocal':
      return upperLocal(peerUserId);
    case '$peerUserId:otherLocal':
      return otherLocal(peerUserId);
    case '$ownShare:highBit': {
      const share = Buffer.from(s.ecdhe?.publicKey ?? s.ownShare('x25519'));
      share[31] = share[31]! | 0x80;
      return toHex(share);
    }
    default:
      break;
  }
  if (v.startsWith('$rsa:')) {
    const key = rsaKey(s);
    const k = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
    switch (v) {
      case '$rsa:other': // well formed, but not the premaster the adversary goes on with
        return toBase64(oaep(key, s.rng.bytes(32), s));
      case '$rsa:random':
        return toBase64(Buffer.concat([Buffer.from([0]), s.rng.bytes(k - 1)]));
      case '$rsa:short':
        return toBase64(oaep(key, s.rng.bytes(31), s));
      case '$rsa:long':
        return toBase64(oaep(key, s.rng.bytes(33), s));
      case '$rsa:label':
        return toBase64(oaep(key, s.rng.bytes(32), s, Buffer.from('sixbench')));
      case '$rsa:pkcs1':
        return toBase64(publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, s.rng.bytes(32)));
      case '$rsa:zeros':
        return toBase64(Buffer.alloc(k));
      case '$rsa:ones':
        return toBase64(Buffer.alloc(k, 0xff));
      case '$rsa:255':
        return toBase64(oaep(key, s.rng.bytes(32), s).subarray(1));
      case '$rsa:257':
        return toBase64(Buffer.concat([Buffer.from([0]), oaep(key, s.rng.bytes(32), s)]));
      default:
        break;
    }
  }
  throw new Error(`unknown value ${v} (known: ${VALUE_NAMES.join(', ')}, $repeat:<text>:<n>, $zeros:<n>)`);
}
