// Secrets kept off the command line (issue 13 §3: "passwords on the command line are visible to
// every local user in ps"): read from a file, or from standard input when the name is "-".
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { problemOf } from './paths.js';
import { UsageError } from './run-main.js';

export const PS_WARNING = 'visible to every local user in ps; prefer';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of `file`, or all of standard input for "-"; `what` names it in errors. */
export async function readSecretText(file: string, what: string, stdin: Readable = process.stdin): Promise<string> {
  if (file === '-') return readAll(stdin);
  const resolved = path.resolve(file);
  try {
    return await fs.readFile(resolved, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${resolved}: ${problemOf(err)}.`);
  }
}

/** A password file holds the password on its first line (a final line break is not part of it). */
export async function readPasswordFile(file: string, stdin?: Readable): Promise<string> {
  const text = await readSecretText(file, 'the password file', stdin);
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password.length === 0) throw new UsageError(`the password file ${file === '-' ? '(standard input)' : path.resolve(file)} is empty: its first line is the password.`);
  return password;
}
