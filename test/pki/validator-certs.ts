// Test-only certificate factory: a tiny DER writer plus node:crypto signing, so that tests can build
// exactly the (mis)constructed certificates each rule needs -- duplicate extensions, wrong critical
// flags, non-canonical encodings -- which certificate libraries refuse to produce.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const der = {
  tlv(tag: number, ...parts: Buffer[]): Buffer {
    const body = Buffer.concat(parts);
    const n = body.length;
    let len: Buffer;
    if (n < 0x80) len = Buffer.from([n]);
    else if (n < 0x100) len = Buffer.from([0x81, n]);
    else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
    else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  },
  seq: (...p: Buffer[]) => der.tlv(0x30, ...p),
  set: (...p: Buffer[]) => der.tlv(0x31, ...p),
  ctx: (n: number, constructed: boolean, ...p: Buffer[]) => der.tlv((constructed ? 0xa0 : 0x80) | n, ...p),
  bool: (b: boolean) => der.tlv(0x01, Buffer.from([b ? 0xff : 0x00])),
  null: () => Buffer.from([0x05, 0x00]),
  int(v: number | bigint | Buffer): Buffer {
    if (Buffer.isBuffer(v)) return der.tlv(0x02, v);
    let n = BigInt(v);
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
    return der.tlv(0x02, Buffer.from(bytes));
  },
  oid(s: string): Buffer {
    const arcs = s.split('.').map((a) => BigInt(a));
    const out: number[] = [];
    for (const a of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
      const chunk: number[] = [];
      let v = a;
      do {
        chunk.unshift(Number(v & 0x7fn));
        v >>= 7n;
      } while (v > 0n);
      for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
      out.push(...chunk);
    }
    return der.tlv(0x06, Buffer.from(out));
  },
  octets: (b: Buffer) => der.tlv(0x04, b),
  bits: (b: Buffer, unused = 0) => der.tlv(0x03, Buffer.from([unused]), b),
  utf8: (s: string) => der.tlv(0x0c, Buffer.from(s, 'utf8')),
  ia5: (s: string) => der.tlv(0x16, Buffer.from(s, 'latin1')),
  utcTime: (s: string) => der.tlv(0x17, Buffer.from(s, 'latin1')),
  genTime: (s: string) => der.tlv(0x18, Buffer.from(s, 'latin1')),
};

export const OIDS = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  email: '1.2.840.113549.1.9.1',
  bc: '2.5.29.19',
  ku: '2.5.29.15',
  eku: '2.5.29.37',
  san: '2.5.29.17',
  nc: '2.5.29.30',
  aki: '2.5.29.35',
  ski: '2.5.29.14',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  anyEku: '2.5.29.37.0',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha1: '1.2.840.10045.4.1',
  rsaSha256: '1.2.840.113549.1.1.11',
  rsaSha1: '1.2.840.113549.1.1.5',
  ed25519: '1.3.101.112',
};

/** A Name from [type, value] pairs, one RDN each (UTF8String values; emailAddress as IA5String). */
export function name(...attrs: [string, string][]): Buffer {
  return der.seq(...attrs.map(([t, v]) => der.set(der.seq(der.oid(t), t === OIDS.email ? der.ia5(v) : der.utf8(v)))));
}
export const cn = (v: string): Buffer => name([OIDS.cn, v]);

export interface Ext {
  oid: string;
  critical?: boolean;
  /** Encode critical FALSE explicitly (BER, not DER). */
  explicitFalse?: boolean;
  value: Buffer;
}

export const ext = {
  bc: (ca: boolean, pathLen?: number, critical = true): Ext => ({
    oid: OIDS.bc,
    critical,
    value: der.seq(...(ca ? [der.bool(true)] : []), ...(pathLen === undefined ? [] : [der.int(pathLen)])),
  }),
  /** keyUsage from bit numbers (0 digitalSignature, 2 keyEncipherment, 5 keyCertSign, 6 cRLSign). */
  ku(bits: number[], critical = true): Ext {
    const max = Math.max(...bits);
    const bytes = Buffer.alloc(Math.floor(max / 8) + 1);
    for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
    const unused = 7 - (max % 8);
    return { oid: OIDS.ku, critical, value: der.bits(bytes, unused) };
  },
  eku: (...oids: string[]): Ext => ({ oid: OIDS.eku, value: der.seq(...oids.map(der.oid)) }),
  san: (names: Buffer[], critical = false): Ext => ({ oid: OIDS.san, critical, value: der.seq(...names) }),
  ski: (id: Buffer): Ext => ({ oid: OIDS.ski, value: der.octets(id) }),
  aki: (id: Buffer): Ext => ({ oid: OIDS.aki, value: der.seq(der.ctx(0, false, id)) }),
  nc: (permitted: Buffer[] | undefined, excluded: Buffer[] | undefined): Ext => ({
    oid: OIDS.nc,
    critical: true,
    value: der.seq(
      ...(permitted ? [der.ctx(0, true, ...permitted.map((g) => der.seq(g)))] : []),
      ...(excluded ? [der.ctx(1, true, ...excluded.map((g) => der.seq(g)))] : []),
    ),
  }),
};

export const gn = {
  rfc822: (s: string) => der.ctx(1, false, Buffer.from(s, 'latin1')),
  dns: (s: string) => der.ctx(2, false, Buffer.from(s, 'latin1')),
  ip: (b: number[]) => der.ctx(7, false, Buffer.from(b)),
  dir: (n: Buffer) => der.ctx(4, true, n),
};

export interface Key {
  publicKey: KeyObject;
  privateKey: KeyObject;
  kind: 'ec' | 'rsa' | 'ed25519' | 'other';
}

const keyCache = new Map<string, Key>();
export function key(label: string, type: 'p256' | 'p384' | 'rsa2048' | 'rsa1024' | 'ed25519' | 'dsa' = 'p256'): Key {
  const k = `${type}:${label}`;
  let hit = keyCache.get(k);
  if (hit === undefined) {
    let pair: { publicKey: KeyObject; privateKey: KeyObject };
    let kind: Key['kind'] = 'ec';
    switch (type) {
      case 'p256':
        pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        break;
      case 'p384':
        pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
        break;
      case 'rsa2048':
      case 'rsa1024':
        pair = generateKeyPairSync('rsa', { modulusLength: type === 'rsa2048' ? 2048 : 1024 });
        kind = 'rsa';
        break;
      case 'ed25519':
        pair = generateKeyPairSync('ed25519');
        kind = 'ed25519';
        break;
      case 'dsa':
        pair = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
        kind = 'other';
        break;
    }
    hit = { ...pair, kind };
    keyCache.set(k, hit);
  }
  return hit;
}

export const keyId = (k: Key): Buffer =>
  createHash('sha1').update(k.publicKey.export({ type: 'spki', format: 'der' })).digest();

export interface CertSpec {
  subject: Buffer;
  issuer: Buffer;
  key: Key; // subject key
  signer: Key; // issuer key
  serial?: Buffer | number;
  notBefore?: Buffer; // encoded Time
  notAfter?: Buffer;
  extensions?: Ext[];
  version?: 1 | 2 | 3;
  /** Signature algorithm OID (default by signer kind); the hash follows the OID. */
  sigAlg?: string;
  /** Overrides the tbsCertificate signature AlgorithmIdentifier only. */
  tbsSigAlg?: string;
  /** Raw version field, replacing the computed one (for DER DEFAULT tests). */
  rawVersion?: Buffer;
  /** Raw bytes appended after the certificate (for trailing-data tests). */
  trailing?: Buffer;
}

function algId(oid: string): Buffer {
  return oid.startsWith('1.2.840.113549.1.1.') ? der.seq(der.oid(oid), der.null()) : der.seq(der.oid(oid));
}

const HASH: Record<string, string | null> = {
  [OIDS.ecdsaSha256]: 'sha256',
  [OIDS.ecdsaSha1]: 'sha1',
  [OIDS.rsaSha256]: 'sha256',
  [OIDS.rsaSha1]: 'sha1',
  [OIDS.ed25519]: null,
};

let serialCounter = 1000;

export function makeCert(spec: CertSpec): Buffer {
  const sigAlg = spec.sigAlg ?? (spec.signer.kind === 'rsa' ? OIDS.rsaSha256 : spec.signer.kind === 'ed25519' ? OIDS.ed25519 : OIDS.ecdsaSha256);
  const version = spec.version ?? 3;
  const exts = spec.extensions ?? [];
  const tbs = der.seq(
    ...(spec.rawVersion ? [spec.rawVersion] : version === 1 ? [] : [der.ctx(0, true, der.int(version - 1))]),
    der.int(spec.serial ?? serialCounter++),
    algId(spec.tbsSigAlg ?? sigAlg),
    spec.issuer,
    der.seq(spec.notBefore ?? der.utcTime('200101000000Z'), spec.notAfter ?? der.utcTime('401231235959Z')),
    spec.subject,
    spec.key.publicKey.export({ type: 'spki', format: 'der' }),
    ...(exts.length > 0
      ? [der.ctx(3, true, der.seq(...exts.map((e) => der.seq(der.oid(e.oid), ...(e.critical ? [der.bool(true)] : e.explicitFalse ? [der.bool(false)] : []), der.octets(e.value)))))]
      : []),
  );
  const hash = HASH[sigAlg];
  const signature = sign(hash === undefined ? 'sha256' : hash, tbs, spec.signer.privateKey);
  const cert = der.seq(tbs, algId(sigAlg), der.bits(signature));
  return spec.trailing ? Buffer.concat([cert, spec.trailing]) : cert;
}

export const TIME = new Date('2026-06-01T12:00:00Z');

/** A standard E2ED domain PKI: root -> intermediate -> alice's leaf; options tweak each level. */
export interface Pki {
  rootKey: Key;
  intKey: Key;
  leafKey: Key;
  root: Buffer;
  intermediate: Buffer;
  leaf: Buffer;
}

export function caExtensions(k: Key, issuerKey: Key | undefined, pathLen?: number): Ext[] {
  return [ext.bc(true, pathLen), ext.ku([5, 6]), ext.ski(keyId(k)), ...(issuerKey ? [ext.aki(keyId(issuerKey))] : [])];
}

export function leafExtensions(issuerKey: Key, userId = 'alice@example.com'): Ext[] {
  return [ext.ku([0]), ext.eku(OIDS.clientAuth), ext.san([gn.rfc822(userId)]), ext.aki(keyId(issuerKey)), ext.ski(Buffer.from('0102', 'hex'))];
}

export function makePki(
  opts: {
    leafExtensions?: Ext[];
    intExtensions?: Ext[];
    leafKey?: Key;
    leafSpec?: Partial<CertSpec>;
    intSpec?: Partial<CertSpec>;
  } = {},
): Pki {
  const rootKey = key('root');
  const intKey = key('int');
  const leafKey = opts.leafKey ?? key('leaf');
  const rootName = cn('Example Root CA');
  const intName = cn('Example Issuing CA');
  const root = makeCert({ subject: rootName, issuer: rootName, key: rootKey, signer: rootKey, extensions: caExtensions(rootKey, undefined) });
  const intermediate = makeCert({
    subject: intName,
    issuer: rootName,
    key: intKey,
    signer: rootKey,
    extensions: opts.intExtensions ?? caExtensions(intKey, rootKey),
    ...opts.intSpec,
  });
  const leaf = makeCert({
    subject: cn('alice'),
    issuer: intName,
    key: leafKey,
    signer: intKey,
    extensions: opts.leafExtensions ?? leafExtensions(intKey),
    ...opts.leafSpec,
  });
  return { rootKey, intKey, leafKey, root, intermediate, leaf };
}
