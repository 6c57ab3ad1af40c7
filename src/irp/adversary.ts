// The lying registry: a correct IRP stub plus documented misbehaviour settings (the BoGo
// "ProtocolBugs" idea, STYLE.md). The zero value, `{}`, is an honest registry. Each setting is
// one deviation, read exactly where the answer it falsifies is produced (src/irp/operations.ts),
// so that suites can test how a User Agent treats a registry that lies. docs/irp.md documents each.

/** The documentation address a wrong-address lie points to by default (RFC 5737 TEST-NET-1). */
export const DEFAULT_WRONG_ADDRESS = '192.0.2.1';
/** How far back a stale record's timestamp is moved when there is no older registration to replay. */
export const DEFAULT_STALE_SECONDS = 7 * 24 * 3600;

export interface RegistryLies {
  /**
   * Look-ups answer the user's previous registration (an older record, validly signed) when there
   * is one; otherwise the current address with a timestamp `seconds` earlier.
   */
  staleAddress?: { seconds: number };
  /** Look-ups answer this address (and port, when given) instead of the registered one, validly signed. */
  wrongAddress?: { address: string; port?: number };
  /**
   * Look-ups answer another user's certificate chain under the requested user's name, validly
   * signed: `user` names whose (its current record's chain, else its latest issued certificate);
   * absent, any other user's.
   */
  wrongCertificate?: { user?: string };
  /** Look-up and status answers carry a signature with one bit flipped. */
  badSignature?: boolean;
  /** Status answers say `revoked` for every serial, validly signed. */
  revokedStatus?: boolean;
  /** Every answer is held back this many milliseconds. */
  slowMs?: number;
}

export const LIE_KINDS = ['stale-address', 'wrong-address', 'wrong-certificate', 'bad-signature', 'revoked-status', 'slow'] as const;
export type LieKind = (typeof LIE_KINDS)[number];

export const LIE_SYNTAX: Record<LieKind, string> = {
  'stale-address': 'stale-address[=SECONDS]',
  'wrong-address': 'wrong-address[=ADDRESS[,PORT]]',
  'wrong-certificate': 'wrong-certificate[=USER]',
  'bad-signature': 'bad-signature',
  'revoked-status': 'revoked-status',
  slow: 'slow=MILLISECONDS',
};

export class LieSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LieSyntaxError';
  }
}

function nonNegativeInteger(text: string, what: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) throw new LieSyntaxError(`${what} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

/**
 * Parses one `--lie KIND[=VALUE]` and merges it into `into` (returned). The port of a wrong
 * address is separated by a comma, since an IPv6 address is full of colons.
 */
export function parseLie(text: string, into: RegistryLies = {}): RegistryLies {
  const eq = text.indexOf('=');
  const kind = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  switch (kind) {
    case 'stale-address':
      into.staleAddress = { seconds: value === undefined ? DEFAULT_STALE_SECONDS : nonNegativeInteger(value, 'stale-address seconds') };
      break;
    case 'wrong-address': {
      if (value === undefined) {
        into.wrongAddress = { address: DEFAULT_WRONG_ADDRESS };
        break;
      }
      const [address, portText, ...rest] = value.split(',');
      if (!address || rest.length > 0) throw new LieSyntaxError(`write ${LIE_SYNTAX['wrong-address']}`);
      if (portText === undefined) {
        into.wrongAddress = { address };
      } else {
        const port = nonNegativeInteger(portText, 'wrong-address port');
        if (port < 1 || port > 65535) throw new LieSyntaxError('wrong-address port must be 1..65535');
        into.wrongAddress = { address, port };
      }
      break;
    }
    case 'wrong-certificate':
      into.wrongCertificate = value === undefined || value === '' ? {} : { user: value };
      break;
    case 'bad-signature':
      if (value !== undefined) throw new LieSyntaxError('bad-signature takes no value');
      into.badSignature = true;
      break;
    case 'revoked-status':
      if (value !== undefined) throw new LieSyntaxError('revoked-status takes no value');
      into.revokedStatus = true;
      break;
    case 'slow':
      if (value === undefined) throw new LieSyntaxError(`write ${LIE_SYNTAX.slow}`);
      into.slowMs = nonNegativeInteger(value, 'slow milliseconds');
      break;
    default:
      throw new LieSyntaxError(`unknown lie "${kind}"; known: ${LIE_KINDS.map((k) => LIE_SYNTAX[k]).join(', ')}`);
  }
  return into;
}

/** A stable key per lie combination that changes a record, so that falsified records are signed once and cached. */
export function recordLieKey(lies: RegistryLies): string | null {
  const parts: string[] = [];
  if (lies.staleAddress) parts.push(`stale:${lies.staleAddress.seconds}`);
  if (lies.wrongAddress) parts.push(`addr:${lies.wrongAddress.address},${lies.wrongAddress.port ?? ''}`);
  if (lies.wrongCertificate) parts.push(`cert:${lies.wrongCertificate.user ?? ''}`);
  return parts.length === 0 ? null : parts.join('|');
}

/** The signature with its last bit flipped: still well-formed base64, never valid. */
export function corruptSignature(signature: Buffer): Buffer {
  const bad = Buffer.from(signature);
  bad[bad.length - 1] ^= 0x01;
  return bad;
}
