// The registry's state: issued certificates and the current (signed) record of each user.
//
// Two stores with one contract. `MemoryRegistryStore` keeps everything in the process.
// `FileRegistryStore` keeps the same state in `<dir>`, as a snapshot (`state.json`) and a journal
// of the changes since (`journal.jsonl`, one JSON line per commit). A commit appends its line and
// fsyncs the journal, so its cost does not depend on the registry's size (IRP-LIM-5; the whole-file
// rewrite it replaces halved throughput by 1 400 certificates). When the journal has grown past
// the snapshot's size (and at least COMPACT_MIN_BYTES), the state is written as a new snapshot
// (temporary file, fsync, rename, directory fsync) and the journal emptied: amortised, each commit
// still costs a constant.
//
// Durability: a commit resolves only after its journal line is fsynced, and the server
// acknowledges an operation only after its commit resolved, so a crash (kill -9) at any point
// loses nothing acknowledged. A line the crash cut short was never acknowledged: on open it is
// dropped (only the last line can be torn). Each line carries a sequence number and the snapshot
// the last one it contains, so a crash between a compaction's rename and the journal's
// truncation replays nothing twice.
//
// Commits are serialised; a change is planned against the state at its turn and published only
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
  /** The sequence number of the last journal entry this state contains (file store). */
  seq?: number;
  /** Keyed by serial. */
  certificates: Record<string, IssuedCertificate>;
  /** Keyed by canonical user ID. */
  records: Record<string, UserRecord>;
}

export function emptyState(): RegistryState {
  return { version: 1, certificates: {}, records: {} };
}

/** One change to the state; a commit is a list of them, applied in order. */
export type StoreChange =
  | { kind: 'certificate'; certificate: IssuedCertificate }
  | { kind: 'record'; key: string; record: UserRecord }
  | { kind: 'removeRecord'; key: string };

/** The changes to make, planned against the durable state at the commit's turn. */
export type CommitPlan = (state: Readonly<RegistryState>) => StoreChange[];

export interface RegistryStore {
  /** The durable state; never mutate it, change it through commit(). */
  readonly state: Readonly<RegistryState>;
  /** Plans the changes at its turn, makes them durable, then publishes them. Resolves after it is durable. */
  commit(plan: CommitPlan): Promise<void>;
  close(): Promise<void>;
}

/** Applies changes in place; each change replaces whole objects, never mutates one a reader may hold. */
export function applyChanges(state: RegistryState, changes: readonly StoreChange[]): void {
  for (const change of changes) {
    switch (change.kind) {
      case 'certificate':
        state.certificates[change.certificate.serial] = change.certificate;
        break;
      case 'record':
        state.records[change.key] = change.record;
        break;
      case 'removeRecord':
        delete state.records[change.key];
        break;
      default: {
        const never: never = change;
        throw new StoreError(`unknown change ${JSON.stringify(never)}`);
      }
    }
  }
}

export class MemoryRegistryStore implements RegistryStore {
  private queue: Promise<void> = Promise.resolve();
  constructor(private readonly current: RegistryState = emptyState()) {}
  get state(): Readonly<RegistryState> {
    return this.current;
  }
  commit(plan: CommitPlan): Promise<void> {
    const result = this.queue.then(() => applyChanges(this.current, plan(this.current)));
    this.queue = result.catch(() => undefined);
    return result;
  }
  async close(): Promise<void> {
    await this.queue;
  }
}

export const STATE_FILE = 'state.json';
export const JOURNAL_FILE = 'journal.jsonl';
export const TMP_SUFFIX = '.tmp';
/** The journal is folded into the snapshot once it is larger than the snapshot and than this. */
export const COMPACT_MIN_BYTES = 1024 * 1024;

/** Points where a test can stop a write, to show what a crash there leaves behind. */
export interface WriteHooks {
  /** Called after a snapshot's temporary file is written and fsynced, before the rename. Throwing aborts the compaction. */
  beforeRename?: (tmpPath: string) => void | Promise<void>;
  /** Called after a commit's journal line is written, before its fsync. Throwing aborts the commit (the line is removed again). */
  beforeJournalSync?: (journalPath: string) => void | Promise<void>;
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
  private queue: Promise<void> = Promise.resolve();
  /** Set when a failed commit could not be undone in the journal: no further commit is safe. */
  private broken: Error | undefined;

  private constructor(
    readonly dir: string,
    private readonly current: RegistryState,
    private journal: fs.FileHandle,
    private journalBytes: number,
    private snapshotBytes: number,
    private readonly hooks: WriteHooks,
    private readonly compactMinBytes: number,
  ) {}

  /**
   * Opens (creating if needed) the store in `dir`: the snapshot, then every journal entry after
   * it. A leftover `*.tmp` file is a snapshot that never reached its rename: it is removed. A torn
   * last journal line is a commit never acknowledged: it is cut off.
   */
  static async open(dir: string, hooks: WriteHooks = {}, opts: { compactMinBytes?: number } = {}): Promise<FileRegistryStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const entry of await fs.readdir(dir)) {
      if (entry.endsWith(TMP_SUFFIX)) await fs.rm(path.join(dir, entry), { force: true });
    }
    const file = path.join(dir, STATE_FILE);
    let state = emptyState();
    let snapshotBytes = 0;
    try {
      const text = await fs.readFile(file, 'utf8');
      snapshotBytes = Buffer.byteLength(text);
      try {
        state = checkState(JSON.parse(text), file);
      } catch (err) {
        if (err instanceof StoreError) throw err;
        throw new StoreError(`${file} is not valid JSON: ${(err as Error).message}`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const journalPath = path.join(dir, JOURNAL_FILE);
    const journal = await fs.open(journalPath, 'a+', 0o600);
    let journalBytes: number;
    try {
      journalBytes = await replayJournal(journal, journalPath, state);
    } catch (err) {
      await journal.close();
      throw err;
    }
    return new FileRegistryStore(dir, state, journal, journalBytes, snapshotBytes, hooks, opts.compactMinBytes ?? COMPACT_MIN_BYTES);
  }

  get state(): Readonly<RegistryState> {
    return this.current;
  }

  commit(plan: CommitPlan): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.broken) throw this.broken;
      const changes = plan(this.current);
      if (changes.length === 0) return;
      const seq = (this.current.seq ?? 0) + 1;
      const line = Buffer.from(`${JSON.stringify({ seq, changes })}\n`);
      const before = this.journalBytes;
      try {
        await this.journal.write(line, 0, line.length, null);
        await this.hooks.beforeJournalSync?.(path.join(this.dir, JOURNAL_FILE));
        await this.journal.datasync();
      } catch (err) {
        // Not acknowledged: take the line out again, so that no later commit lands after it.
        try {
          await this.journal.truncate(before);
          await this.journal.datasync();
        } catch (undo) {
          this.broken = new StoreError(`the journal could not be restored after a failed write: ${(undo as Error).message}`);
        }
        throw err;
      }
      this.journalBytes = before + line.length;
      applyChanges(this.current, changes);
      this.current.seq = seq;
      if (this.journalBytes > Math.max(this.snapshotBytes, this.compactMinBytes)) {
        try {
          await this.compact();
        } catch {
          // The commit is durable in the journal; a failed compaction is tried again after the next one.
        }
      }
    };
    const result = this.queue.then(run);
    // A failed commit must not block the ones queued after it.
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Folds the journal into a new snapshot (atomic replace), then empties the journal. */
  private async compact(): Promise<void> {
    const text = `${JSON.stringify(this.current)}\n`;
    await writeFileAtomic(this.dir, STATE_FILE, text, this.hooks);
    this.snapshotBytes = Buffer.byteLength(text);
    // A crash before this truncation leaves entries the snapshot already holds: their seq is
    // not above the snapshot's, and replay skips them.
    await this.journal.truncate(0);
    await this.journal.datasync();
    this.journalBytes = 0;
  }

  /** Journal and snapshot sizes (for tests and the bench). */
  get sizes(): { journalBytes: number; snapshotBytes: number } {
    return { journalBytes: this.journalBytes, snapshotBytes: this.snapshotBytes };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.journal.close();
  }
}

/** Applies the journal's entries after the snapshot's seq; cuts a torn last line; returns the journal's length. */
async function replayJournal(journal: fs.FileHandle, journalPath: string, state: RegistryState): Promise<number> {
  const data = await journal.readFile();
  let offset = 0;
  let line = 0;
  while (offset < data.length) {
    const newline = data.indexOf(0x0a, offset);
    line++;
    const end = newline < 0 ? data.length : newline;
    let entry: { seq?: unknown; changes?: unknown } | undefined;
    try {
      entry = JSON.parse(data.subarray(offset, end).toString('utf8')) as typeof entry;
    } catch {
      entry = undefined;
    }
    const valid = entry !== undefined && typeof entry.seq === 'number' && Array.isArray(entry.changes);
    if (newline < 0 || !valid) {
      // Only the last line can be cut short by a crash; anything else is damage, not a crash.
      const isLast = newline < 0 || newline === data.length - 1;
      if (!isLast) throw new StoreError(`${journalPath} line ${line} is not a journal entry`);
      await journal.truncate(offset);
      await journal.datasync();
      return offset;
    }
    if ((entry!.seq as number) > (state.seq ?? 0)) {
      applyChanges(state, entry!.changes as StoreChange[]);
      state.seq = entry!.seq as number;
    }
    offset = newline + 1;
  }
  return data.length;
}
