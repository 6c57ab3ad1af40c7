// Configuration of the IRP stub: its options, its user accounts, and the seed of a data directory.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isValidUserId } from '../protocol/identity.js';
import type { TestPki } from '../pki/ca.js';
import type { RegistryLies } from './adversary.js';
import type { Clock } from './login-limiter.js';
import type { RandomSource } from '../protocol/random.js';
import { writeFileAtomic, type WriteHooks } from './store.js';

export const IRP_DEFAULT_PORT = 4604;
/** Dual-stack wildcard: reachable on ::1 and 127.0.0.1, the names the stub's TLS certificate carries. */
export const IRP_DEFAULT_HOST = '::';
/** Where the stub falls back when the host has no IPv6. */
export const IRP_FALLBACK_HOST = '0.0.0.0';
export const DEFAULT_SEED = 'sixbench-irp';

/** A password account allowed to Login and Enroll. */
export interface IrpAccount {
  userId: string;
  password: string;
}

/** The limit (a key of IrpServerLimits) that made the stub refuse or close a connection. */
export type LimitName = 'handshakeTimeoutMs' | 'idleTimeoutMs' | 'maxConnections' | 'maxConnectionsPerAddress' | 'frameTimeoutMs';

/** One thing the stub did, for `--json-events` and tests. */
export type IrpEvent =
  | { event: 'listening'; host: string; port: number; domain: string }
  | { event: 'connection'; remote: string }
  | { event: 'request'; remote: string; operation: string; id: string; user?: string; outcome: 'ok' | 'error'; code?: string }
  | { event: 'refused'; remote: string; reason: string; limit?: LimitName }
  | { event: 'closed'; remote: string };

/**
 * The stub's limits (docs/spec.md 14.14 and 14.15); every one has a default and can be changed
 * through IrpServerOptions.limits.
 */
export interface IrpServerLimits {
  /** IRP-LIM-1: TCP accepted to TLS handshake complete, at most this long (default 10 s). */
  handshakeTimeoutMs: number;
  /** IRP-CONN-1: a connection with nothing received for this long is closed (default 300 s). */
  idleTimeoutMs: number;
  /** IRP-LIM-2: open connections, TLS handshakes included (default 128). */
  maxConnections: number;
  /** IRP-LIM-2: open connections from one client address (default 16). */
  maxConnectionsPerAddress: number;
  /** IRP-LIM-3: from the first byte of a frame to its last, at most this long (default 30 s). */
  frameTimeoutMs: number;
  /** IRP-LOGIN-3: failed Logins for one user within loginWindowMs before rate_limited (default 5). */
  loginFailuresPerUser: number;
  /** IRP-LOGIN-5: failed Logins from one client address, whatever the user IDs, within loginWindowMs (default 20). */
  loginFailuresPerAddress: number;
  /** The window of the two login limits (default 60 s). */
  loginWindowMs: number;
  /** IRP-LOGIN-6: password checks running or waiting, registry-wide, before rate_limited (default 32). */
  maxPendingLogins: number;
  /** IRP-ENROLL-6: certificates issued to one account, revoked ones included (default 32). */
  maxCertificatesPerAccount: number;
}

export const DEFAULT_IRP_LIMITS: Readonly<IrpServerLimits> = {
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxConnections: 128,
  maxConnectionsPerAddress: 16,
  frameTimeoutMs: 30_000,
  loginFailuresPerUser: 5,
  loginFailuresPerAddress: 20,
  loginWindowMs: 60_000,
  maxPendingLogins: 32,
  maxCertificatesPerAccount: 32,
};

/** The limits with the defaults filled in; a value that is not a positive integer is refused. */
export function resolveLimits(given: Partial<IrpServerLimits> = {}): IrpServerLimits {
  const limits = { ...DEFAULT_IRP_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`limit ${name} must be a positive whole number, got ${String(value)}`);
  }
  return limits;
}

export interface IrpServerOptions {
  /** Limits on connections, frames, logins and enrolments; defaults in DEFAULT_IRP_LIMITS. */
  limits?: Partial<IrpServerLimits>;
  /** Default 4604; 0 binds an ephemeral port (see IrpServer.port). */
  port?: number;
  /** Default '::' (falling back to '0.0.0.0' without IPv6). */
  host?: string;
  /** The domain the registry serves; default the PKI's (example.com). */
  domain?: string;
  /** Seed of the test PKI; with dataDir, the seed stored there wins (see resolveSeed). */
  seed?: string;
  /** Use this PKI instead of building one from the seed (tests share one PKI across stubs). */
  pki?: TestPki;
  accounts?: readonly IrpAccount[];
  /** Keep the state in files in this directory; absent: in memory. */
  dataDir?: string;
  lies?: RegistryLies;
  /** Milliseconds since the epoch; injected by tests (rate limit window, timestamps). */
  now?: Clock;
  maxFrameLength?: number;
  onEvent?: (event: IrpEvent) => void;
  /** How the slow lie waits (tests inject one that never waits for real time). */
  sleep?: (ms: number) => Promise<void>;
  /** Test hook into the file store's writes. */
  writeHooks?: WriteHooks;
  /** Certificate serials and challenges; default the system's randomness (a seeded run passes a seeded source). */
  rng?: RandomSource;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `ID:PASSWORD`; the password may itself contain colons. */
export function parseAccount(text: string): IrpAccount {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ConfigError(`"${text}" is not ID:PASSWORD`);
  const userId = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (!isValidUserId(userId)) throw new ConfigError(`"${userId}" is not a valid user ID (local@domain)`);
  if (password.length === 0) throw new ConfigError(`the password of ${userId} is empty`);
  return { userId, password };
}

/** A users file: one `ID:PASSWORD` per line; blank lines and lines starting with `#` are skipped. */
export function parseAccountsFile(text: string, fileName = 'users file'): IrpAccount[] {
  const accounts: IrpAccount[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      accounts.push(parseAccount(trimmed));
    } catch (err) {
      throw new ConfigError(`${fileName} line ${index + 1}: ${(err as Error).message}`);
    }
  });
  return accounts;
}

export const SEED_FILE = 'seed';

/**
 * The PKI seed of a data directory. The first start stores the seed (given, or fresh random), and
 * every later start regenerates the same CA and registry keys from it, so issued certificates and
 * signed records stay valid across restarts. A different --seed for an existing directory is refused
 * rather than silently ignored.
 */
export async function resolveSeed(dataDir: string, requested: string | undefined): Promise<string> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SEED_FILE);
  let stored: string | undefined;
  try {
    stored = (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (stored !== undefined && stored !== '') {
    if (requested !== undefined && requested !== stored) {
      throw new ConfigError(`${dataDir} was created with another seed; drop --seed or use a new directory`);
    }
    return stored;
  }
  const seed = requested ?? randomBytes(16).toString('hex');
  await writeFileAtomic(dataDir, SEED_FILE, `${seed}\n`);
  return seed;
}
