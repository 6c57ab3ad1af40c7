// The credentials the bench issues an implementation for one case: the same key, chain and
// anchors in memory (IutCredentials) and as PEM files in the case's directory, which is what a
// process reads (docs/adapter.md, "Credentials").
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { IutCredentials } from './door.js';

export interface IssuedIdentity {
  userId: string;
  privateKey: KeyObject;
  chain: Buffer[];
  trustAnchors: Buffer[];
}

/** PEM by plain base64: a defect chain may hold DER that does not parse, and must reach the IUT as it is. */
export function pemOf(ders: readonly Buffer[]): string {
  return ders.map((der) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`).join('');
}

/** Writes key.pem (PKCS#8, mode 0600), chain.pem (leaf first) and anchors.pem into `dir`. */
export async function issueCredentials(dir: string, identity: IssuedIdentity): Promise<IutCredentials> {
  await fs.mkdir(dir, { recursive: true });
  const files = { key: path.join(dir, 'key.pem'), chain: path.join(dir, 'chain.pem'), anchors: path.join(dir, 'anchors.pem') };
  await fs.writeFile(files.key, identity.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  await fs.writeFile(files.chain, pemOf(identity.chain));
  await fs.writeFile(files.anchors, pemOf(identity.trustAnchors));
  return { ...identity, files };
}
