// The implementation-under-test options of `sixbench run` (issue 8): --iut FILE, --iut-endpoint
// HOST:PORT with --iut-user and --iut-anchor, --expectations FILE. Everything is read and checked
// before anything starts; a bad file is a UsageError (exit 2) naming the file, field and value.
import { readFileSync } from 'node:fs';
import { IutConfigError, loadIutConfig } from '../iut/config.js';
import { endpointImplementation } from '../iut/endpoint.js';
import { processImplementation } from '../iut/process.js';
import type { ImplementationUnderTest } from '../iut/door.js';
import { pemBlocks } from '../pki/limbo.js';
import { parseHostPort } from '../ua/identity-store.js';
import { ExpectationsError, loadExpectations, type Expectation } from '../run/expectations.js';
import { UsageError } from './run-main.js';

export interface IutCliOptions {
  iut?: string;
  iutEndpoint?: string;
  iutUser?: string;
  iutAnchor?: string;
  expectations?: string;
}

export function loadIut(file: string): ImplementationUnderTest {
  try {
    return processImplementation(loadIutConfig(file));
  } catch (err) {
    if (err instanceof IutConfigError) throw new UsageError(err.message, 2);
    throw err;
  }
}

export function iutFromOptions(opts: IutCliOptions): { iut?: ImplementationUnderTest; expectations?: { file: string; entries: Expectation[] } } {
  let iut: ImplementationUnderTest | undefined;
  if (opts.iut && opts.iutEndpoint) throw new UsageError('--iut and --iut-endpoint exclude each other.', 2);
  if (opts.iut) iut = loadIut(opts.iut);
  else if (opts.iutEndpoint) {
    if (!opts.iutUser || !opts.iutAnchor) throw new UsageError('--iut-endpoint needs --iut-user (its user ID) and --iut-anchor (the PEM trust anchor of its certificate).', 2);
    let hp;
    try {
      hp = parseHostPort(opts.iutEndpoint, 0);
    } catch (err) {
      throw new UsageError(`--iut-endpoint: ${(err as Error).message}`, 2);
    }
    let anchors: Buffer[];
    try {
      anchors = pemBlocks(readFileSync(opts.iutAnchor, 'utf8'), 'CERTIFICATE');
    } catch (err) {
      throw new UsageError(`--iut-anchor ${opts.iutAnchor}: ${(err as Error).message}`, 2);
    }
    if (anchors.length === 0) throw new UsageError(`--iut-anchor ${opts.iutAnchor}: holds no PEM certificate.`, 2);
    iut = endpointImplementation({ host: hp.host, port: hp.port, userId: opts.iutUser, anchors });
  } else if (opts.iutUser || opts.iutAnchor) throw new UsageError('--iut-user and --iut-anchor go with --iut-endpoint.', 2);
  let expectations;
  if (opts.expectations) {
    try {
      expectations = { file: opts.expectations, entries: loadExpectations(opts.expectations) };
    } catch (err) {
      if (err instanceof ExpectationsError) throw new UsageError(err.message, 2);
      throw err;
    }
  }
  return { ...(iut ? { iut } : {}), ...(expectations ? { expectations } : {}) };
}
