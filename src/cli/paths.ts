// Paths named on the command line are checked before any work starts (issue 13 §1: "check
// paths before work starts; name the path and the problem"), so that a run never ends with
// `internal error` after minutes of work because its report folder is a file or read-only.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from './run-main.js';

const PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EISDIR: 'it is a folder',
};

/** The problem an errno names, in words ("permission denied"), or the system's message. */
export function problemOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && PROBLEMS[code]) || (err as Error).message;
}

async function kindOf(p: string): Promise<'folder' | 'file' | 'missing'> {
  try {
    return (await fs.stat(p)).isDirectory() ? 'folder' : 'file';
  } catch (err) {
    // ENOTDIR: a parent is a file; the walk up finds it and names it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw err;
  }
}

/**
 * Makes sure `dir` is a folder this process can write in, creating it (and missing parents) if
 * needed; returns its absolute path. `what` names it in the error ("the report folder").
 * The folders are created one level at a time: a recursive mkdir under /proc loops forever in
 * Node 20 (`run --out /proc/nope` used to hang).
 */
export async function prepareOutputDir(dir: string, what: string): Promise<string> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let existing = target;
  try {
    for (;;) {
      const kind = await kindOf(existing);
      if (kind === 'folder') break;
      if (kind === 'file') {
        throw new UsageError(existing === target ? `${what} ${target} is a file, not a folder.` : `cannot create ${what} ${target}: ${existing} is a file.`);
      }
      missing.unshift(existing);
      const parent = path.dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
    for (const level of missing) {
      try {
        await fs.mkdir(level);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot create ${what} ${target}: ${problemOf(err)}.`);
  }
  // Writable in fact, not by its mode bits: root passes access() checks on a read-only mount.
  const probe = path.join(target, `.sixbench-write-check-${process.pid}`);
  try {
    await (await fs.open(probe, 'wx')).close();
    await fs.unlink(probe);
  } catch (err) {
    throw new UsageError(`cannot write in ${what} ${target}: ${problemOf(err)}.`);
  }
  return target;
}

/** Makes sure `dir` is an existing, readable folder; returns its absolute path. */
export async function requireInputDir(dir: string, what: string): Promise<string> {
  const target = path.resolve(dir);
  let kind: 'folder' | 'file' | 'missing';
  try {
    kind = await kindOf(target);
    if (kind === 'folder') await fs.readdir(target);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${target}: ${problemOf(err)}.`);
  }
  if (kind === 'missing') throw new UsageError(`${what} ${target} does not exist.`);
  if (kind === 'file') throw new UsageError(`${what} ${target} is a file, not a folder.`);
  return target;
}
