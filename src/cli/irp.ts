// `sixbench irp ...` commands: `irp serve` runs the IRP stub (docs/irp.md).
import type { Command } from 'commander';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LIE_KINDS, LIE_SYNTAX, LieSyntaxError, parseLie, type RegistryLies } from '../irp/adversary.js';
import {
  ConfigError,
  DEFAULT_IRP_LIMITS,
  type IrpServerLimits,
  IRP_DEFAULT_PORT,
  parseAccount,
  parseAccountsFile,
  type IrpAccount,
  type IrpEvent,
} from '../irp/config.js';
import { IrpServer } from '../irp/server.js';
import { StoreError } from '../irp/store.js';
import { prepareOutputDir } from './paths.js';
import { UsageError } from './run-main.js';
import { PS_WARNING, readSecretText } from './secrets.js';
import { parseDomain, parseSeed } from './values.js';

interface ServeOptions {
  port: string;
  host?: string;
  domain?: string;
  seed?: string;
  data?: string;
  user: string[];
  users?: string;
  usersFile?: string;
  caOut?: string;
  lie: string[];
  limit: string[];
  jsonEvents?: boolean;
}

/**
 * `--limit NAME=VALUE`: one of the stub's limits (docs/spec.md 14.14, 14.15), a positive whole
 * number, checked when parsed so that a typo starts nothing.
 */
export function parseLimit(text: string, into: Partial<IrpServerLimits>): Partial<IrpServerLimits> {
  const m = /^([A-Za-z]+)=([0-9]+)$/.exec(text);
  const names = Object.keys(DEFAULT_IRP_LIMITS) as (keyof IrpServerLimits)[];
  if (!m) throw new UsageError(`--limit takes NAME=VALUE with a whole number, got "${text}"; the names are ${names.join(', ')}.`);
  const name = m[1] as keyof IrpServerLimits;
  if (!names.includes(name)) throw new UsageError(`--limit: there is no limit "${m[1]}"; the names are ${names.join(', ')}.`);
  const value = Number(m[2]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`--limit ${name} must be a positive whole number, got "${m[2]}".`);
  return { ...into, [name]: value };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parsePort(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be 0..65535, got "${text}"`);
  return Number(text);
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function describeEvent(e: IrpEvent): string | null {
  switch (e.event) {
    case 'request':
      return `${e.remote} ${e.operation} id=${e.id}${e.user ? ` user=${e.user}` : ''}: ${e.outcome === 'ok' ? 'ok' : e.code}`;
    case 'refused':
      return `${e.remote} refused: ${e.reason}`;
    default:
      return null;
  }
}

async function serve(opts: ServeOptions): Promise<void> {
  const accounts: IrpAccount[] = [];
  let lies: RegistryLies = {};
  let limits: Partial<IrpServerLimits> = {};
  try {
    for (const text of opts.user) accounts.push(parseAccount(text));
    for (const name of [opts.users, opts.usersFile]) {
      if (name === undefined) continue;
      const text = await readSecretText(name, 'the users file');
      accounts.push(...parseAccountsFile(text, name === '-' ? 'standard input' : path.resolve(name)));
    }
    for (const text of opts.lie) lies = parseLie(text, lies);
    for (const text of opts.limit) limits = parseLimit(text, limits);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof LieSyntaxError) throw new UsageError(err.message);
    throw err;
  }
  const port = parsePort(opts.port);
  const dataDir = opts.data !== undefined ? await prepareOutputDir(opts.data, 'the data folder') : undefined;
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  let server: IrpServer;
  try {
    server = await IrpServer.start({
      port,
      host: opts.host,
      domain: opts.domain,
      seed: opts.seed,
      dataDir,
      accounts,
      lies,
      limits,
      onEvent: (e) => {
        if (opts.jsonEvents) return print(JSON.stringify(e));
        const line = describeEvent(e);
        if (line) print(line);
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use; choose another with --port (0 picks a free one)`);
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on port ${port}; choose a port above 1023`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${opts.host}: no such local address`);
    if (err instanceof ConfigError || err instanceof StoreError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.caOut) {
    const file = path.resolve(opts.caOut);
    try {
      await server.writeRootCertificate(file);
    } catch (err) {
      await server.close();
      throw new UsageError(`cannot write the root CA certificate to ${file}: ${(err as Error).message}`);
    }
  }
  if (!opts.jsonEvents) {
    print(`IRP stub for ${server.pki.domain} listening on ${formatAddress(server.host, server.port)} (TLS; certificate names localhost, 127.0.0.1, ::1)`);
    print(`state: ${opts.data ? `files in ${path.resolve(opts.data)}` : 'in memory (lost on exit)'}; ${accounts.length} password account(s)`);
    if (opts.caOut) print(`root CA certificate written to ${path.resolve(opts.caOut)}`);
    const active = Object.keys(lies);
    if (active.length) print(`LYING: ${opts.lie.join(', ')}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerIrpCommands(program: Command): void {
  const irp = program.command('irp').description('the Identity Registration Protocol (IRP) stub');
  irp
    .command('serve')
    .description('run the IRP registry stub (TLS, enrolment CA, signed look-ups, adversarial settings; see docs/irp.md)')
    .option('--port <port>', `TCP port (0 picks a free port, printed at start)`, String(IRP_DEFAULT_PORT))
    .option('--host <address>', "address to listen on (default '::', dual-stack, falling back to 0.0.0.0 without IPv6; use ::1 or 127.0.0.1 for this machine only)")
    .option('--domain <domain>', 'the domain the registry serves (default example.com)', parseDomain)
    .option('--seed <seed>', 'seed of the test PKI (default sixbench-irp; with --data, stored on first start; 1 to 64 letters, digits, ".", "_", "-")', parseSeed)
    .option('--data <dir>', 'keep state in files in DIR (atomic writes), PKI seed included; default in memory')
    .option('--user <id:password>', `a password account for Login/Enroll (repeatable; ${PS_WARNING} --users-file)`, collect, [])
    .option('--users-file <file>', 'password accounts, one ID:PASSWORD per line (# comments); "-" reads standard input')
    .option('--users <file>', 'the same as --users-file (kept for existing scripts)')
    .option('--ca-out <file>', 'write the root CA certificate (PEM) a client must trust')
    .option('--lie <kind>', `adversarial setting (repeatable): ${LIE_KINDS.map((k) => LIE_SYNTAX[k]).join(', ')}`, collect, [])
    .option('--limit <name=value>', `change one of the stub's limits (repeatable; docs/spec.md 14.14, 14.15): ${Object.entries(DEFAULT_IRP_LIMITS).map(([k, v]) => `${k} (default ${v})`).join(', ')}`, collect, [])
    .option('--json-events', 'print one JSON object per event on stdout instead of text')
    .action(serve);
}
