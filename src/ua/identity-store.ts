// The reference UA's identity on disk: one directory per user.
//
//   identity.json  { "userId": "...", "registry": "host:port" }
//   key.pem        the private key, PKCS#8 PEM, mode 0600 ("written atomically with 0600 for the key")
//   chain.pem      the certificate chain, leaf first, as IRP's Enrolled returned it
//   anchors.pem    the trust anchors (the domain CA that IRP serves)
//
// Every file is written to a temporary name in the same directory, flushed, then renamed,
// so a reader never sees half a key and a crash never leaves a truncated identity.
import { isIPv6 } from 'node:net';
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const IDENTITY_FILES = {
  meta: 'identity.json',
  key: 'key.pem',
  chain: 'chain.pem',
  anchors: 'anchors.pem',
} as const;

export interface HostPort {
  host: string;
  port: number;
}

export interface StoredIdentity {
  userId: string;
  /** PKCS#8 PEM of the private key. */
  privateKeyPem: string;
  /** DER certificates, leaf first. */
  chain: Buffer[];
  /** DER trust anchor certificates. */
  trustAnchors: Buffer[];
  registry: HostPort;
}

export interface LoadedIdentity extends StoredIdentity {
  privateKey: KeyObject;
}

/** A missing or unreadable identity directory; the message is a sentence for the user. */
export class IdentityStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityStoreError';
  }
}

/** Parses `host:port`, `[v6]:port` or a bare host with a default port. */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else {
    const colons = text.split(':').length - 1;
    const i = text.lastIndexOf(':');
    if (colons === 1) {
      host = text.slice(0, i);
      portText = text.slice(i + 1);
    } else if (colons === 0) {
      host = text; // a host name or IPv4 address
    } else {
      // Two or more colons: an IPv6 address, perhaps followed by ":PORT". Without brackets the
      // last colon splits off a port only when what precedes it is an IPv6 address and the whole
      // is not one ("::1:24604"); when both readings are addresses ("::1:2460") it is ambiguous.
      const head = text.slice(0, i);
      const tail = text.slice(i + 1);
      const splits = isIPv6(head) && /^[0-9]+$/.test(tail);
      if (isIPv6(text) && splits) {
        throw new IdentityStoreError(`"${text}" is ambiguous: write [${head}]:${tail} for port ${tail}, or [${text}]${defaultPort === undefined ? ':PORT' : ''} for the address.`);
      }
      if (isIPv6(text)) host = text;
      else if (splits) {
        host = head;
        portText = tail;
      } else throw new IdentityStoreError(`"${text}" is not HOST:PORT; write an IPv6 address in brackets, e.g. [::1]:4604.`);
    }
  }
  if (host.length === 0) throw new IdentityStoreError(`"${text}" has no host; write HOST:PORT.`);
  if (portText === undefined) {
    if (defaultPort === undefined) throw new IdentityStoreError(`"${text}" has no port; write HOST:PORT.`);
    return { host, port: defaultPort };
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new IdentityStoreError(`"${text}" has an invalid port; write HOST:PORT with a port from 1 to 65535.`);
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

export function certificatesToPem(ders: readonly Buffer[]): string {
  return ders.map((der) => new X509Certificate(der).toString()).join('');
}

export function certificatesFromPem(pem: string, what: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new IdentityStoreError(`${what} holds no PEM certificate.`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block).raw;
    } catch {
      throw new IdentityStoreError(`${what} holds a certificate that does not parse.`);
    }
  });
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // open()'s mode is filtered by the umask; set it explicitly so the key is never wider than asked.
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

export async function saveIdentity(dir: string, identity: StoredIdentity): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // The key goes first: chain.pem and identity.json without a key would look like a usable identity.
  await writeAtomically(path.join(dir, IDENTITY_FILES.key), identity.privateKeyPem, 0o600);
  await writeAtomically(path.join(dir, IDENTITY_FILES.chain), certificatesToPem(identity.chain), 0o644);
  await writeAtomically(path.join(dir, IDENTITY_FILES.anchors), certificatesToPem(identity.trustAnchors), 0o644);
  const meta = { userId: identity.userId, registry: formatHostPort(identity.registry) };
  await writeAtomically(path.join(dir, IDENTITY_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`, 0o644);
}

async function readText(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new IdentityStoreError(`${file} does not exist; run "sixbench ua enroll --dir ${dir}" first.`);
    }
    throw new IdentityStoreError(`${file} cannot be read (${code ?? 'unknown error'}).`);
  }
}

export async function loadIdentity(dir: string): Promise<LoadedIdentity> {
  const metaText = await readText(dir, IDENTITY_FILES.meta);
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    throw new IdentityStoreError(`${path.join(dir, IDENTITY_FILES.meta)} is not valid JSON.`);
  }
  const m = meta as { userId?: unknown; registry?: unknown };
  if (typeof m.userId !== 'string' || typeof m.registry !== 'string') {
    throw new IdentityStoreError(`${path.join(dir, IDENTITY_FILES.meta)} lacks "userId" or "registry".`);
  }
  const privateKeyPem = await readText(dir, IDENTITY_FILES.key);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new IdentityStoreError(`${path.join(dir, IDENTITY_FILES.key)} does not hold a readable private key.`);
  }
  const chain = certificatesFromPem(await readText(dir, IDENTITY_FILES.chain), path.join(dir, IDENTITY_FILES.chain));
  const trustAnchors = certificatesFromPem(
    await readText(dir, IDENTITY_FILES.anchors),
    path.join(dir, IDENTITY_FILES.anchors),
  );
  return {
    userId: m.userId,
    registry: parseHostPort(m.registry),
    privateKeyPem,
    privateKey,
    chain,
    trustAnchors,
  };
}
