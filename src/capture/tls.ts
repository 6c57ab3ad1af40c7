// Reading a captured TLS connection back (the IRP transport, docs/spec.md 14.1): the records of
// each direction, the handshake in the clear up to the ServerHello, then every protected record
// opened with the secrets of an NSS key log (SSLKEYLOGFILE format). Pure: bytes and a key log in,
// records out; sockets and files stay in src/cli and src/run.
//
// TLS 1.3 (RFC 8446): traffic keys from the logged traffic secrets by HKDF-Expand-Label (§7.1,
// §7.3), the per-record nonce as the IV XOR the 64-bit sequence number (§5.3), the record header
// as the additional data and the inner content type after the padding (§5.2, §5.4); handshake
// keys until each side's Finished, then the first application secret, a KeyUpdate moving on (§7.2).
// TLS 1.2 (RFC 5246 §5, §6.3; RFC 5288; RFC 7905): the key block from the CLIENT_RANDOM master
// secret by the P_hash PRF, protected records from each side's ChangeCipherSpec on, AEAD suites
// only (the only ones IRP-TLS-1 allows). A record that cannot be opened is reported with the
// reason, never dropped.
import { createDecipheriv, createHmac } from 'node:crypto';

export class TlsKeyLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsKeyLogError';
  }
}

/** Secrets by client random (hex), then by label (CLIENT_RANDOM, CLIENT_TRAFFIC_SECRET_0, ...). */
export type TlsKeyLog = Map<string, Map<string, Buffer>>;

const NSS_LINE = /^([A-Z_0-9]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]+)$/;
/** The labels OpenSSL and NSS write (the E2ED key log of docs/spec.md chapter 13 has the same shape, with E2ED_ labels). */
const NSS_LABEL = /^(CLIENT_RANDOM|CLIENT_EARLY_TRAFFIC_SECRET|EARLY_EXPORTER_SECRET|EXPORTER_SECRET|(CLIENT|SERVER)_HANDSHAKE_TRAFFIC_SECRET|(CLIENT|SERVER)_TRAFFIC_SECRET_\d+)$/;

/** An NSS key log: `LABEL <client random, 32 bytes hex> <secret hex>` per line, `#` comments. */
export function readTlsKeyLog(text: string): TlsKeyLog {
  const log: TlsKeyLog = new Map();
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = NSS_LINE.exec(line.trim());
    if (!m) throw new TlsKeyLogError(`line ${n + 1} is not an NSS key log line (LABEL <client random hex> <secret hex>): ${line.slice(0, 60)}`);
    if (m[1]!.startsWith('E2ED_')) throw new TlsKeyLogError(`line ${n + 1} has the E2ED label ${m[1]}: this is an E2ED key log (docs/spec.md chapter 13), not a TLS one`);
    if (!NSS_LABEL.test(m[1]!)) throw new TlsKeyLogError(`line ${n + 1}: unknown TLS key log label ${m[1]}`);
    const random = m[2]!.toLowerCase();
    let secrets = log.get(random);
    if (!secrets) log.set(random, (secrets = new Map()));
    secrets.set(m[1]!, Buffer.from(m[3]!, 'hex'));
  });
  return log;
}

/** Whether a text looks like an NSS key log (its first non-comment line). */
export function isNssKeyLog(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#'));
  const m = first === undefined ? null : NSS_LINE.exec(first.trim());
  return m !== null && NSS_LABEL.test(m[1]!);
}

interface Suite {
  name: string;
  hash: 'sha256' | 'sha384';
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  keyLength: number;
}

const SUITES = new Map<number, Suite>([
  [0x1301, { name: 'TLS_AES_128_GCM_SHA256', hash: 'sha256', cipher: 'aes-128-gcm', keyLength: 16 }],
  [0x1302, { name: 'TLS_AES_256_GCM_SHA384', hash: 'sha384', cipher: 'aes-256-gcm', keyLength: 32 }],
  [0x1303, { name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'sha256', cipher: 'chacha20-poly1305', keyLength: 32 }],
  [0xc02b, { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', hash: 'sha256', cipher: 'aes-128-gcm', keyLength: 16 }],
  [0xc02c, { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', hash: 'sha384', cipher: 'aes-256-gcm', keyLength: 32 }],
  [0xc02f, { name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', hash: 'sha256', cipher: 'aes-128-gcm', keyLength: 16 }],
  [0xc030, { name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', hash: 'sha384', cipher: 'aes-256-gcm', keyLength: 32 }],
  [0xcca8, { name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', hash: 'sha256', cipher: 'chacha20-poly1305', keyLength: 32 }],
  [0xcca9, { name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', hash: 'sha256', cipher: 'chacha20-poly1305', keyLength: 32 }],
]);

const HASH_LENGTH = { sha256: 32, sha384: 48 } as const;

/** RFC 8446 §7.1 HKDF-Expand-Label(Secret, Label, "", Length). */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  // HKDF-Expand only: node's hkdfSync extracts first, so the expand is written out (RFC 5869 §2.3).
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac(hash, secret).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 5246 §5 PRF: P_hash(secret, label + seed). */
export function tls12Prf(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = s;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(Buffer.concat([a, s])).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** One direction's record protection: key, IV and the next sequence number. */
interface Protection {
  suite: Suite;
  version: 'TLS 1.2' | 'TLS 1.3';
  key: Buffer;
  /** TLS 1.3 and ChaCha20: the 12-byte IV; TLS 1.2 GCM: the 4-byte implicit salt. */
  iv: Buffer;
  seq: bigint;
  /** TLS 1.3: the traffic secret the keys came from (for KeyUpdate). */
  secret?: Buffer;
  /** Which keys, for the report: "handshake", "application", "application 1", "TLS 1.2". */
  epoch: string;
}

function tls13Protection(suite: Suite, secret: Buffer, epoch: string): Protection {
  return { suite, version: 'TLS 1.3', key: hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength), iv: hkdfExpandLabel(suite.hash, secret, 'iv', 12), seq: 0n, secret, epoch };
}

function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= s[i]!;
  return nonce;
}

function aeadOpen(suite: Suite, key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < 16) throw new Error(`${sealed.length} bytes: shorter than the 16-byte tag`);
  const d = createDecipheriv(suite.cipher, key, nonce, { authTagLength: 16 } as never) as unknown as {
    setAAD(b: Buffer, o?: unknown): void;
    setAuthTag(b: Buffer): void;
    update(b: Buffer): Buffer;
    final(): Buffer;
  };
  d.setAAD(aad, { plaintextLength: sealed.length - 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = d.update(sealed.subarray(0, sealed.length - 16));
  try {
    return Buffer.concat([plain, d.final()]);
  } catch {
    throw new Error('the tag does not verify (wrong secret, or the record was altered)');
  }
}

/** Opens one protected record; returns the content type and the plaintext. */
function openRecord(p: Protection, header: Buffer, fragment: Buffer): { type: number; plaintext: Buffer } {
  if (p.version === 'TLS 1.3') {
    const inner = aeadOpen(p.suite, p.key, xorNonce(p.iv, p.seq), header, fragment);
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0) throw new Error('the decrypted record has no content type (all padding)');
    return { type: inner[end - 1]!, plaintext: inner.subarray(0, end - 1) };
  }
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(p.seq);
  let nonce: Buffer;
  let sealed: Buffer;
  if (p.suite.cipher === 'chacha20-poly1305') {
    nonce = xorNonce(p.iv, p.seq);
    sealed = fragment;
  } else {
    if (fragment.length < 8) throw new Error(`${fragment.length} bytes: shorter than the explicit nonce`);
    nonce = Buffer.concat([p.iv, fragment.subarray(0, 8)]);
    sealed = fragment.subarray(8);
  }
  const length = Buffer.alloc(2);
  length.writeUInt16BE(Math.max(0, sealed.length - 16));
  const aad = Buffer.concat([seq, header.subarray(0, 3), length]);
  return { type: header[0]!, plaintext: aeadOpen(p.suite, p.key, nonce, aad, sealed) };
}

export const CONTENT_TYPES: Record<number, string> = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };
const HANDSHAKE_TYPES: Record<number, string> = {
  1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 8: 'EncryptedExtensions', 11: 'Certificate', 12: 'ServerKeyExchange',
  13: 'CertificateRequest', 14: 'ServerHelloDone', 15: 'CertificateVerify', 16: 'ClientKeyExchange', 20: 'Finished', 24: 'KeyUpdate',
};
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

export type TlsDirection = 'c2s' | 's2c';

export interface TlsRecordView {
  direction: TlsDirection;
  /** The packet whose bytes completed the record. */
  packet: number;
  /** The type on the wire (23 for every protected TLS 1.3 record). */
  outerType: number;
  length: number;
  /** plaintext: sent in the clear; decrypted: opened; undecrypted: protected and not opened (see `error`). */
  state: 'plaintext' | 'decrypted' | 'undecrypted';
  /** Which keys opened it (decrypted records). */
  epoch?: string;
  /** The real content type (inner type in TLS 1.3). */
  type?: number;
  /** Handshake message names, or the alert, in the record. */
  summary?: string;
  plaintext?: Buffer;
  error?: string;
}

export interface TlsConnectionView {
  version?: 'TLS 1.2' | 'TLS 1.3';
  suite?: string;
  clientRandom?: string;
  records: TlsRecordView[];
  /** Application data in order, per direction, with the packet of the record that carried it. */
  application: { direction: TlsDirection; packet: number; bytes: Buffer }[];
  /** Bytes that are not TLS records (a direction stops being read as TLS at the first). */
  notTls: { direction: TlsDirection; packet: number; offset: number; bytes: number }[];
  /** A record cut short by the end of the capture, per direction (bytes). */
  trailing: { c2s: number; s2c: number };
}

/** The start of a TLS record: a known content type and a 3.x version. */
export function looksLikeTls(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0]! >= 20 && bytes[0]! <= 23 && bytes[1] === 3 && bytes[2]! <= 4;
}

/** RFC 8446 §6 alert descriptions the IRP transport meets. */
const ALERTS: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 40: 'handshake_failure', 42: 'bad_certificate', 46: 'certificate_unknown',
  47: 'illegal_parameter', 48: 'unknown_ca', 50: 'decode_error', 51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security',
  80: 'internal_error', 90: 'user_canceled', 109: 'missing_extension', 112: 'unrecognized_name', 116: 'certificate_required',
};

function describeAlert(p: Buffer): string {
  return p.length === 2 ? `alert ${p[0] === 2 ? 'fatal' : p[0] === 1 ? 'warning' : `level ${p[0]}`} ${ALERTS[p[1]!] ?? p[1]}` : `alert (${p.length} bytes)`;
}

class Direction {
  buffered = Buffer.alloc(0);
  offset = 0;
  stopped = false;
  protection: Protection | undefined;
  /** Handshake bytes not yet a whole message (handshake messages span records). */
  handshake = Buffer.alloc(0);
  changedCipherSpec = false;
}

/**
 * The TLS view of one TCP connection's in-order bytes (chunks as src/capture/read.ts gives them).
 * Without a key log, or without the connection's lines in it, protected records are listed as
 * undecrypted with the reason.
 */
export function readTlsConnection(chunks: readonly { direction: TlsDirection; packet: number; bytes: Buffer }[], log?: TlsKeyLog): TlsConnectionView {
  const view: TlsConnectionView = { records: [], application: [], notTls: [], trailing: { c2s: 0, s2c: 0 } };
  const dirs = { c2s: new Direction(), s2c: new Direction() };
  let serverRandom: Buffer | undefined;
  let suite: Suite | undefined;

  const secret = (label: string): Buffer | undefined => (view.clientRandom ? log?.get(view.clientRandom)?.get(label) : undefined);
  const missing = (label: string): string =>
    !log ? 'no TLS key log given' : !view.clientRandom ? 'no ClientHello seen (no client random)' : `the key log has no ${label} for client random ${view.clientRandom.slice(0, 16)}…`;

  const tls12Keys = (d: TlsDirection): Protection | string => {
    const master = secret('CLIENT_RANDOM');
    if (!master || !suite || !serverRandom || !view.clientRandom) return missing('CLIENT_RANDOM');
    const ivLength = suite.cipher === 'chacha20-poly1305' ? 12 : 4;
    const block = tls12Prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, Buffer.from(view.clientRandom, 'hex')]), 2 * suite.keyLength + 2 * ivLength);
    const k = suite.keyLength;
    const [key, iv] = d === 'c2s' ? [block.subarray(0, k), block.subarray(2 * k, 2 * k + ivLength)] : [block.subarray(k, 2 * k), block.subarray(2 * k + ivLength, 2 * k + 2 * ivLength)];
    return { suite, version: 'TLS 1.2', key, iv, seq: 0n, epoch: 'TLS 1.2' };
  };

  const tls13Keys = (d: TlsDirection, stage: 'handshake' | 'application'): Protection | string => {
    const label = `${d === 'c2s' ? 'CLIENT' : 'SERVER'}_${stage === 'handshake' ? 'HANDSHAKE_TRAFFIC_SECRET' : 'TRAFFIC_SECRET_0'}`;
    const s = secret(label);
    if (!s || !suite) return missing(label);
    return tls13Protection(suite, s, stage);
  };

  /** Handshake messages in `bytes` (appended to what the direction holds): names, and what they set. */
  const handshakeMessages = (d: TlsDirection, bytes: Buffer): string[] => {
    const dir = dirs[d];
    dir.handshake = Buffer.concat([dir.handshake, bytes]);
    const names: string[] = [];
    while (dir.handshake.length >= 4) {
      const type = dir.handshake[0]!;
      const length = dir.handshake.readUIntBE(1, 3);
      if (dir.handshake.length < 4 + length) break;
      const body = dir.handshake.subarray(4, 4 + length);
      dir.handshake = dir.handshake.subarray(4 + length);
      names.push(HANDSHAKE_TYPES[type] ?? `handshake type ${type}`);
      if (type === 1 && d === 'c2s' && body.length >= 34) view.clientRandom = body.subarray(2, 34).toString('hex');
      if (type === 2 && d === 's2c') serverHello(body);
      if (type === 20 && view.version === 'TLS 1.3') {
        // RFC 8446 §7.1: after its Finished, each side protects with its first application secret.
        const next = tls13Keys(d, 'application');
        dir.protection = typeof next === 'string' ? undefined : next;
        if (typeof next === 'string') pendingError[d] = next;
      }
      if (type === 24 && dir.protection?.secret) {
        // RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length).
        const p = dir.protection;
        const n = Number(p.epoch.split(' ')[1] ?? '0') + 1;
        dir.protection = tls13Protection(p.suite, hkdfExpandLabel(p.suite.hash, p.secret!, 'traffic upd', HASH_LENGTH[p.suite.hash]), `application ${n}`);
      }
    }
    return names;
  };

  const pendingError: Record<TlsDirection, string | undefined> = { c2s: undefined, s2c: undefined };

  const serverHello = (body: Buffer): void => {
    if (body.length < 38) return;
    const random = body.subarray(2, 34);
    if (random.toString('hex') === HRR_RANDOM) return; // HelloRetryRequest: the real ServerHello follows.
    serverRandom = Buffer.from(random);
    let at = 34;
    at += 1 + body[at]!;
    const code = body.readUInt16BE(at);
    at += 3;
    suite = SUITES.get(code);
    // RFC 8446 §4.1.3: a TLS 1.3 ServerHello says so in supported_versions; legacy_version stays 0x0303.
    let version: 'TLS 1.2' | 'TLS 1.3' = 'TLS 1.2';
    if (at + 2 <= body.length) {
      const end = at + 2 + body.readUInt16BE(at);
      at += 2;
      while (at + 4 <= end) {
        const type = body.readUInt16BE(at);
        const len = body.readUInt16BE(at + 2);
        if (type === 0x002b && len === 2 && body.readUInt16BE(at + 4) === 0x0304) version = 'TLS 1.3';
        at += 4 + len;
      }
    }
    view.version = version;
    view.suite = suite?.name ?? `cipher suite 0x${code.toString(16).padStart(4, '0')} (not an AEAD suite IRP-TLS-1 allows)`;
    if (version === 'TLS 1.3') {
      // RFC 8446 §2: everything after the ServerHello is protected with the handshake keys.
      for (const d of ['c2s', 's2c'] as const) {
        const p = tls13Keys(d, 'handshake');
        if (typeof p === 'string') pendingError[d] = p;
        else dirs[d].protection = p;
      }
    }
  };

  const record = (d: TlsDirection, packet: number, header: Buffer, fragment: Buffer): void => {
    const dir = dirs[d];
    const outerType = header[0]!;
    const entry: TlsRecordView = { direction: d, packet, outerType, length: fragment.length, state: 'plaintext' };
    view.records.push(entry);
    const tls13Protected = view.version === 'TLS 1.3' && outerType === 23 && (dir.protection || pendingError[d]);
    const tls12Protected = view.version === 'TLS 1.2' && dir.changedCipherSpec;
    let type = outerType;
    let plaintext = fragment;
    if (tls13Protected || tls12Protected) {
      if (tls12Protected && !dir.protection && !pendingError[d]) {
        const p = tls12Keys(d);
        if (typeof p === 'string') pendingError[d] = p;
        else dir.protection = p;
      }
      const p = dir.protection;
      if (!p) {
        entry.state = 'undecrypted';
        entry.error = pendingError[d] ?? 'no keys for this record';
        return;
      }
      try {
        ({ type, plaintext } = openRecord(p, header, fragment));
      } catch (err) {
        entry.state = 'undecrypted';
        entry.error = `${p.epoch} keys, record ${p.seq}: ${(err as Error).message}`;
        p.seq++;
        return;
      }
      p.seq++;
      entry.state = 'decrypted';
      entry.epoch = p.epoch;
    }
    entry.type = type;
    entry.plaintext = plaintext;
    if (type === 22) entry.summary = handshakeMessages(d, plaintext).join(', ');
    else if (type === 21) entry.summary = describeAlert(plaintext);
    else if (type === 20) {
      entry.summary = 'ChangeCipherSpec';
      // RFC 5246 §7.1: the sender's next records are protected (TLS 1.3 sends it only for middleboxes, §D.4).
      if (view.version === 'TLS 1.2') dir.changedCipherSpec = true;
    } else if (type === 23) view.application.push({ direction: d, packet, bytes: plaintext });
  };

  for (const chunk of chunks) {
    const dir = dirs[chunk.direction];
    if (dir.stopped) continue;
    dir.buffered = Buffer.concat([dir.buffered, chunk.bytes]);
    while (dir.buffered.length >= 5) {
      if (!looksLikeTls(dir.buffered)) {
        view.notTls.push({ direction: chunk.direction, packet: chunk.packet, offset: dir.offset, bytes: dir.buffered.length });
        dir.stopped = true;
        dir.buffered = Buffer.alloc(0);
        break;
      }
      const length = dir.buffered.readUInt16BE(3);
      if (dir.buffered.length < 5 + length) break;
      record(chunk.direction, chunk.packet, dir.buffered.subarray(0, 5), dir.buffered.subarray(5, 5 + length));
      dir.buffered = dir.buffered.subarray(5 + length);
      dir.offset += 5 + length;
    }
  }
  view.trailing = { c2s: dirs.c2s.buffered.length, s2c: dirs.s2c.buffered.length };
  return view;
}
