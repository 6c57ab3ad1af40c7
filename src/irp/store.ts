// The registry's state: issued certificates and the current (signed) record of each user.
//
// Two stores with one contract. `MemoryRegistryStore` keeps everything in the process.
// `FileRegistryStore` keeps the same state in `<dir>/state.json`, replaced atomically on every
// change: write `state.json.tmp`, fsync it, rename it over `state.json`, fsync the directory.
// A commit resolves only after the rename (and the directory fsync), and the server acknowledges
// an operation only after its commit resolved, so a crash at any point loses nothing that was
// acknowledged: before the rename the old file is intact, after it the new one is.
//
// Commits are serialised and applied to a copy of the state, which replaces the live state only
// once durable, so readers never see a change that could still be lost.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** A certificate the registry issued (the stub is the domain CA). */
export interface IssuedCertificate {
  /** Lower-case hex, as the Register/Revoke/Status messages carry it. */
  serial: string;
  userId: string;
  /** Base64 DER. */
  certificate: string;
  revoked: boolean;
  /** RFC 3339 time of revocation, when revoked. */
  revokedAt?: string;
  /** SHA-256 of the certified SubjectPublicKeyInfo (IRP-ENROLL-5: one key, one user). */
  spkiSha256?: string;
}

/** A registration as signed once at Register time, served as-is by every Lookup. */
export interface SignedRecord {
  userId: string;
  address: string;
  port: number;
  timestamp: string;
  serial: string;
  /** Base64 DER, leaf first. */
  certificates: string[];
  /** Base64 of the exact `<Record>` document bytes that were signed. */
  recordBytes: string;
  /** Base64 of the registry's signature over them. */
  signature: string;
}

export interface UserRecord extends SignedRecord {
  /** The registration this one replaced, kept for the stale-address lie. */
  previous?: SignedRecord;
}

export interface RegistryState {
  version: 1;
  /** Keyed by serial. */
  certificates: Record<string, IssuedCertificate>;
  /** Keyed by canonical user ID. */
  records: Record<string, UserRecord>;
}

export function emptyState(): RegistryState {
  return { version: 1, certificates: {}, records: {} };
}

export interface RegistryStore {
  /** The durable state; never mutate it, change it through commit(). */
  readonly state: Readonly<RegistryState>;
  /** Applies `change` to a copy, makes it durable, then publishes it. Resolves after it is durable. */
  commit(change: (draft: RegistryState) => void): Promise<void>;
  close(): Promise<void>;
}

export class MemoryRegistryStore implements RegistryStore {
  private current: RegistryState;
  constructor(initial: RegistryState = emptyState()) {
    this.current = initial;
  }
  get state(): Readonly<RegistryState> {
    return this.current;
  }
  async commit(change: (draft: RegistryState) => void): Promise<void> {
    const draft = structuredClone(this.current);
    change(draft);
    this.current = draft;
  }
  async close(): Promise<void> {}
}

export const STATE_FILE = 'state.json';
export const TMP_SUFFIX = '.tmp';

/** Points where a test can stop a write, to show what a crash there leaves behind. */
export interface WriteHooks {
  /** Called after the temporary file is written and fsynced, before the rename. Throwing aborts the commit. */
  beforeRename?: (tmpPath: string) => void | Promise<void>;
}

/** Writes `data` to `dir/name` so that a reader sees either the old file or the whole new one. */
export async function writeFileAtomic(dir: string, name: string, data: string | Buffer, hooks: WriteHooks = {}): Promise<void> {
  const target = path.join(dir, name);
  const tmp = `${target}${TMP_SUFFIX}`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await hooks.beforeRename?.(tmp);
  await fs.rename(tmp, target);
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is; some platforms refuse to fsync a
  // directory (EISDIR/EPERM/EINVAL on Windows and a few filesystems), where it cannot be done.
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/** Thrown when the data directory holds something that is not this store's state. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

function checkState(value: unknown, file: string): RegistryState {
  const s = value as Partial<RegistryState> | null;
  if (!s || typeof s !== 'object' || s.version !== 1 || typeof s.certificates !== 'object' || typeof s.records !== 'object') {
    throw new StoreError(`${file} is not a sixbench registry state (version 1)`);
  }
  return s as RegistryState;
}

export class FileRegistryStore implements RegistryStore {
  private current: RegistryState;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    initial: RegistryState,
    private readonly hooks: WriteHooks,
  ) {
    this.current = initial;
  }

  /**
   * Opens (creating if needed) the store in `dir`. A leftover `*.tmp` file is a write that never
   * reached its rename, hence never acknowledged: it is removed, and state.json is the truth.
   */
  static async open(dir: string, hooks: WriteHooks = {}): Promise<FileRegistryStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const entry of await fs.readdir(dir)) {
      if (entry.endsWith(TMP_SUFFIX)) await fs.rm(path.join(dir, entry), { force: true });
    }
    const file = path.join(dir, STATE_FILE);
    let state = emptyState();
    try {
      const text = await fs.readFile(file, 'utf8');
      try {
        state = checkState(JSON.parse(text), file);
      } catch (err) {
        if (err instanceof StoreError) throw err;
        throw new StoreError(`${file} is not valid JSON: ${(err as Error).message}`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new FileRegistryStore(dir, state, hooks);
  }

  get state(): Readonly<RegistryState> {
    return this.current;
  }

  commit(change: (draft: RegistryState) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const draft = structuredClone(this.current);
      change(draft);
      await writeFileAtomic(this.dir, STATE_FILE, `${JSON.stringify(draft)}\n`, this.hooks);
      this.current = draft;
    };
    const result = this.queue.then(run);
    // A failed commit must not block the ones queued after it.
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
