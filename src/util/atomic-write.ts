// Writes a file so that a reader (or a crash) sees either the old content or the new, never
// a partial file: write a temporary sibling, fsync it, rename it over the target, fsync the folder.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /**
   * The caller made the folder and will fsync it once after its last file (syncFolder): neither is
   * done here. Default false: the folder is made if missing and fsynced after the rename, so the new
   * name survives a crash.
   */
  inPreparedFolder?: boolean;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  if (options.inPreparedFolder !== true) await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (options.inPreparedFolder !== true) await syncFolder(dir);
}

/** Makes a folder's entries (names created or renamed in it) durable. */
export async function syncFolder(dir: string): Promise<void> {
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
