// Selection of version, method and cipher (docs/spec.md 5.3), the initiator's check of what the
// responder selected (5.4), and the downgrade sentinel (6.2).
import { invalidMessage, peerIncompatible, peerMisbehaved } from '../errors.js';
import { CIPHERS, isCipherName, type CipherName } from '../record.js';
import { isMethodName, isVersionName, type MethodName, type VersionName } from '../messages.js';

export type Version = VersionName;
export type { MethodName };
const isVersion = isVersionName;
export type EcdheMethodName = Exclude<MethodName, 'rsa-oaep'>;
export function isEcdheMethod(m: MethodName): m is EcdheMethodName {
  return m !== 'rsa-oaep';
}

export const DEFAULT_VERSIONS: readonly Version[] = ['1.0'];
export const DEFAULT_METHODS: readonly MethodName[] = ['x25519', 'p256', 'rsa-oaep'];
export const DEFAULT_CIPHERS: readonly CipherName[] = CIPHERS;

/** E2ED-VER-4: "A responder that supports 1.0 and selects 0.9 MUST set the last 8 bytes of its nonce ... to the sentinel". */
export const DOWNGRADE_SENTINEL = Buffer.from('E2EDDOWN', 'ascii');

export function hasDowngradeSentinel(nonce: Buffer): boolean {
  return nonce.length === 32 && nonce.subarray(24).equals(DOWNGRADE_SENTINEL);
}

export function withDowngradeSentinel(nonce: Buffer): Buffer {
  return Buffer.concat([nonce.subarray(0, 24), DOWNGRADE_SENTINEL]);
}

/** The local configuration, checked once: unknown names here are a programming error, not the peer's. */
export interface Preferences {
  versions: Version[];
  methods: MethodName[];
  ciphers: CipherName[];
}

export function preferencesFrom(cfg: { versions?: string[]; methods?: string[]; ciphers?: string[] }): Preferences {
  const versions = cfg.versions ?? [...DEFAULT_VERSIONS];
  const methods = cfg.methods ?? [...DEFAULT_METHODS];
  const ciphers = cfg.ciphers ?? [...DEFAULT_CIPHERS];
  for (const v of versions) if (!isVersion(v)) throw new RangeError(`unsupported version in configuration: ${v}`);
  for (const m of methods) if (!isMethodName(m)) throw new RangeError(`unknown method in configuration: ${m}`);
  for (const c of ciphers) if (!isCipherName(c)) throw new RangeError(`unknown cipher in configuration: ${c}`);
  // E2ED-HS-13: "when it offers both 1.0 and 0.9 it MUST list 1.0 first".
  if (versions.includes('0.9') && versions.includes('1.0') && versions.indexOf('1.0') > versions.indexOf('0.9')) {
    throw new RangeError('configuration must list version 1.0 before 0.9');
  }
  if (versions.length === 0 || methods.length === 0 || ciphers.length === 0) {
    throw new RangeError('configuration must enable at least one version, method and cipher');
  }
  return { versions: versions as Version[], methods: methods as MethodName[], ciphers: ciphers as CipherName[] };
}

/** E2ED-HS-17: "If no entry of the initiator's Version list is supported by the responder ... protocol_version". */
export function selectVersion(offered: readonly string[], supported: readonly Version[]): Version {
  const chosen = offered.find((v): v is Version => isVersion(v) && supported.includes(v));
  if (chosen === undefined) {
    throw peerIncompatible('protocol_version', `no common version: offered [${offered.join(', ')}], supported [${supported.join(', ')}]`, 'E2ED-HS-17');
  }
  return chosen;
}

/**
 * E2ED-HS-18: "The method of the key material MUST be among the Method entries of Hello_I;
 * otherwise illegal_parameter." E2ED-HS-19: "If the responder does not support the method of the
 * key material, it MUST reject Hello_I with insufficient_security when it supports none of the
 * offered methods, and with handshake_failure when it supports another offered method."
 */
export function selectMethod(keyMaterialMethod: string, offered: readonly string[], supported: readonly MethodName[]): MethodName {
  if (!offered.includes(keyMaterialMethod)) {
    throw peerMisbehaved('illegal_parameter', `key material for ${keyMaterialMethod}, which the Method list does not offer`, 'E2ED-HS-18');
  }
  if (isMethodName(keyMaterialMethod) && supported.includes(keyMaterialMethod)) return keyMaterialMethod;
  const anyCommon = offered.some((m) => isMethodName(m) && supported.includes(m));
  if (!anyCommon) {
    throw peerIncompatible('insufficient_security', `no common key-exchange method: offered [${offered.join(', ')}]`, 'E2ED-HS-19');
  }
  throw peerIncompatible('handshake_failure', `key material is for ${keyMaterialMethod}, which this responder does not support`, 'E2ED-HS-19');
}

/**
 * E2ED-HS-20: "If the responder supports none of the offered ciphers, it MUST reject Hello_I with
 * insufficient_security. A cipher that is not in the registry (for example NULL) is never supported."
 */
export function selectCipher(offered: readonly string[], supported: readonly CipherName[]): CipherName {
  const chosen = offered.find((c): c is CipherName => isCipherName(c) && supported.includes(c));
  if (chosen === undefined) {
    throw peerIncompatible('insufficient_security', `no acceptable cipher: offered [${offered.join(', ')}]`, 'E2ED-HS-20');
  }
  return chosen;
}

export interface ResponderSelection {
  version: string;
  method: string;
  cipher: string;
  nonce: Buffer;
  keyShareMethod: string | undefined;
}

export interface InitiatorOffer {
  versions: readonly Version[];
  keyMaterialMethod: MethodName;
  ciphers: readonly CipherName[];
}

/**
 * The initiator's checks of Hello_R's selection, in the order of E2ED-HS-35: version (E2ED-HS-23,
 * E2ED-VER-5), then method, cipher and key share (E2ED-HS-24, E2ED-HS-25).
 */
export function checkResponderSelection(
  offer: InitiatorOffer,
  supported: readonly Version[],
  sel: ResponderSelection,
  opts: { ignoreDowngradeSentinel?: boolean } = {},
): { version: Version; method: MethodName; cipher: CipherName } {
  // E2ED-HS-23: "a registered version (1.0 or 0.9) that the initiator does not support is
  // protocol_version; any other version it did not offer (including unregistered ones such as
  // 2.0) is illegal_parameter".
  if (isVersion(sel.version) && !supported.includes(sel.version)) {
    throw peerIncompatible('protocol_version', `responder selected version ${sel.version}, which is not supported here`, 'E2ED-HS-23');
  }
  if (!isVersion(sel.version) || !offer.versions.includes(sel.version)) {
    throw peerMisbehaved('illegal_parameter', `responder selected version ${sel.version}, which was not offered`, 'E2ED-HS-23');
  }
  // E2ED-VER-5: "An initiator that supports 1.0 and receives a Hello_R selecting 0.9 whose
  // nonce_R[24..32] equals the sentinel MUST reject it with insufficient_security."
  if (sel.version === '0.9' && supported.includes('1.0') && hasDowngradeSentinel(sel.nonce) && !opts.ignoreDowngradeSentinel) {
    throw peerMisbehaved('insufficient_security', 'downgrade sentinel E2EDDOWN in a 0.9 responder nonce', 'E2ED-VER-5');
  }
  // E2ED-HS-24: "the selected method equals the method of the key material it sent, and ... the
  // selected cipher is one it offered and is in the registry; otherwise illegal_parameter."
  if (sel.method !== offer.keyMaterialMethod) {
    throw peerMisbehaved('illegal_parameter', `responder selected method ${sel.method}; the key material offered was ${offer.keyMaterialMethod}`, 'E2ED-HS-24');
  }
  if (!isCipherName(sel.cipher) || !offer.ciphers.includes(sel.cipher)) {
    throw peerMisbehaved('illegal_parameter', `responder selected cipher ${sel.cipher}, which was not offered`, 'E2ED-HS-24');
  }
  // E2ED-HS-25: "If the selected method is ECDHE, Hello_R MUST carry a KeyShare (a missing one is
  // decode_error) whose method equals the selected method (else illegal_parameter). If the selected
  // method is rsa-oaep, a KeyShare in Hello_R is illegal_parameter."
  const method = offer.keyMaterialMethod;
  if (isEcdheMethod(method)) {
    if (sel.keyShareMethod === undefined) throw invalidMessage('decode_error', `Hello_R selects ${method} but carries no KeyShare`, 'E2ED-HS-25');
    if (sel.keyShareMethod !== method) {
      throw peerMisbehaved('illegal_parameter', `Hello_R KeyShare is for ${sel.keyShareMethod}, the selected method is ${method}`, 'E2ED-HS-25');
    }
  } else if (sel.keyShareMethod !== undefined) {
    throw peerMisbehaved('illegal_parameter', 'Hello_R carries a KeyShare although rsa-oaep was selected', 'E2ED-HS-25');
  }
  return { version: sel.version, method, cipher: sel.cipher };
}
