// `sixbench shim`: the reference User Agent as a command that follows adapter profile 1
// (docs/adapter.md), so that the bench can reach its own reference through the same door as any
// other implementation (examples/reference.json). One process is one case in one role: level 1
// (echo responder / scripted initiator), level 2 (JSON-lines events on standard output), level 3
// (JSON-lines commands on standard input), the key log, and the reference's knobs (--knobs).
// With --enrol it enrols itself when the bench gives it an account (iut.json `irpEnrolment`,
// examples/reference-self-enrolling.json): IRP Login and Enroll of a key it makes, before it listens
// or connects.
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import readline from 'node:readline';
import type { Command } from 'commander';
import { pemBlocks } from '../pki/limbo.js';
import { createCsr } from '../pki/csr.js';
import { deriveKeyPair, keySeed } from '../pki/keys.js';
import { pemOf } from '../iut/credentials.js';
import { IrpClient } from '../irp/client.js';
import { formatEvent } from '../ua/events.js';
import { startReference } from '../iut/reference.js';
import type { IutInstance, IutRole, IutStartRequest } from '../iut/door.js';
import { UsageError } from './run-main.js';

interface ShimOptions {
  role: string;
  drive: string;
  listenHost?: string;
  listenPort?: string;
  connectHost?: string;
  connectPort?: string;
  userId: string;
  peerUserId?: string;
  peerChain?: string;
  key?: string;
  chain?: string;
  anchors: string;
  enrol?: boolean;
  irpUser?: string;
  irpPassword?: string;
  keyType?: string;
  enrolledKey?: string;
  enrolledChain?: string;
  irpHost?: string;
  irpPort?: string;
  irpCa?: string;
  keylog?: string;
  messages?: string;
  now?: string;
  seed?: string;
  versions?: string;
  methods?: string;
  ciphers?: string;
  knobs?: string;
}

const list = (s: string | undefined): string[] | undefined => (s ? s.split(',').filter(Boolean) : undefined);

function port(text: string | undefined, what: string): number {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${what} must be a port number, got "${text}".`);
  return Number(text);
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * --enrol with an account: IRP Login, a key of the asked type (derived from the seed: the shim is
 * as reproducible as the reference), Enroll of its CSR (docs/spec.md 14.5); the key and the issued
 * chain are written where the bench reads them ({enrolled_key}, {enrolled_chain}).
 */
async function enrolWith(o: ShimOptions): Promise<void> {
  for (const [flag, v] of [['--irp-password', o.irpPassword], ['--enrolled-key', o.enrolledKey], ['--enrolled-chain', o.enrolledChain], ['--irp-host', o.irpHost], ['--irp-ca', o.irpCa]] as const) {
    if (!v) throw new UsageError(`--enrol with --irp-user needs ${flag}.`);
  }
  const keyType = o.keyType ?? 'p256';
  if (keyType !== 'p256' && keyType !== 'rsa2048') throw new UsageError(`--key-type must be p256 or rsa2048, got "${keyType}".`);
  const key = deriveKeyPair(keyType, keySeed(o.seed ?? 'shim', `enrol/${o.irpUser!}`));
  const now = o.now ? new Date(o.now).getTime() : Date.now();
  if (Number.isNaN(now)) throw new UsageError(`--now must be an RFC 3339 time, got "${o.now}".`);
  const client = await IrpClient.connect({ host: o.irpHost!, port: port(o.irpPort, '--irp-port'), caCertificates: pemBlocks(readText(o.irpCa!, 'the registry CA'), 'CERTIFICATE'), now: () => now });
  try {
    await client.login(o.irpUser!, o.irpPassword!);
    const chain = await client.enroll(createCsr(key.privateKey, o.irpUser!));
    writeFileSync(o.enrolledKey!, key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
    writeFileSync(o.enrolledChain!, pemOf(chain));
  } finally {
    await client.close();
  }
  o.userId = o.irpUser!;
  o.key = o.enrolledKey!;
  o.chain = o.enrolledChain!;
}

function requestFrom(o: ShimOptions): IutStartRequest {
  if (!o.key || !o.chain) throw new UsageError('the shim needs --key and --chain, or --enrol with an account (--irp-user).');
  if (o.role !== 'initiator' && o.role !== 'responder') throw new UsageError(`--role must be initiator or responder, got "${o.role}".`);
  if (o.drive !== 'script' && o.drive !== 'control') throw new UsageError(`--drive must be script or control, got "${o.drive}".`);
  const role = o.role as IutRole;
  const keyPem = readText(o.key, 'the key');
  const chain = pemBlocks(readText(o.chain, 'the chain'), 'CERTIFICATE');
  const trustAnchors = pemBlocks(readText(o.anchors, 'the anchors'), 'CERTIFICATE');
  const request: IutStartRequest = {
    caseId: 'shim',
    role,
    drive: o.drive,
    workDir: process.cwd(),
    credentials: { userId: o.userId, privateKey: createPrivateKey(keyPem), chain, trustAnchors, files: { key: o.key, chain: o.chain, anchors: o.anchors } },
    seed: o.seed ?? `shim/${o.userId}/${role}`,
  };
  if (role === 'responder') request.listen = { host: o.listenHost ?? '::1', port: port(o.listenPort ?? '0', '--listen-port') };
  else {
    if (!o.connectHost || !o.peerUserId) throw new UsageError('an initiator needs --connect-host, --connect-port and --peer-user-id.');
    request.connect = { host: o.connectHost, port: port(o.connectPort, '--connect-port'), peerUserId: o.peerUserId };
    if (o.peerChain) request.connect.peerChain = pemBlocks(readText(o.peerChain, 'the peer chain'), 'CERTIFICATE');
  }
  if (o.irpHost) {
    const caFile = o.irpCa ?? '';
    request.registry = { host: o.irpHost, port: port(o.irpPort, '--irp-port'), caFile, ca: caFile ? pemBlocks(readText(caFile, 'the registry CA'), 'CERTIFICATE') : [] };
  }
  if (o.messages) request.messages = JSON.parse(readText(o.messages, 'the messages')) as string[];
  if (o.now) {
    const now = new Date(o.now);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an RFC 3339 time, got "${o.now}".`);
    request.now = now;
  }
  if (o.keylog) request.keyLogFile = o.keylog;
  for (const [k, v] of [['versions', o.versions], ['methods', o.methods], ['ciphers', o.ciphers], ['knobs', o.knobs]] as const) {
    const l = list(v);
    if (l) request[k] = l;
  }
  return request;
}

interface ControlLine {
  command?: unknown;
  text?: unknown;
  request?: unknown;
}

/** Level 3: one JSON command per line; a bad line is reported on standard error and ignored. */
function readCommands(instance: IutInstance): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      const c = JSON.parse(line) as ControlLine;
      const control = instance.control!;
      switch (c.command) {
        case 'send':
          control.send(typeof c.text === 'string' ? c.text : '');
          break;
        case 'ping':
          control.ping();
          break;
        case 'keyupdate':
          control.keyUpdate(c.request === true);
          break;
        case 'close':
          control.close();
          break;
        default:
          throw new Error(`unknown command ${JSON.stringify(c.command)}`);
      }
    } catch (err) {
      process.stderr.write(`shim: command not done: ${(err as Error).message}\n`);
    }
  });
}

export function registerShimCommand(program: Command): void {
  program
    .command('shim')
    .description('the reference UA as an implementation under test, adapter profile 1 (docs/adapter.md; examples/reference.json)')
    .requiredOption('--role <ROLE>', 'initiator or responder')
    .option('--drive <MODE>', 'script (echo responder, scripted initiator) or control (commands on standard input)', 'script')
    .option('--listen-host <ADDRESS>', 'responder: address to listen on')
    .option('--listen-port <PORT>', 'responder: port (0: pick one, reported in the listening event)')
    .option('--connect-host <ADDRESS>', 'initiator: the responder address')
    .option('--connect-port <PORT>', 'initiator: the responder port')
    .requiredOption('--user-id <ID>', 'own user ID')
    .option('--peer-user-id <ID>', "initiator: the responder's user ID")
    .option('--peer-chain <FILE>', "initiator: the responder's chain, PEM (rsa-oaep key transport)")
    .option('--key <FILE>', 'private key, PEM (not with --enrol and an account)')
    .option('--chain <FILE>', 'certificate chain, PEM, leaf first (not with --enrol and an account)')
    .requiredOption('--anchors <FILE>', 'trust anchors, PEM')
    .option('--irp-host <HOST>', 'IRP registry (certificate status)')
    .option('--irp-port <PORT>', 'IRP registry port')
    .option('--irp-ca <FILE>', "the registry's CA, PEM")
    .option('--enrol', 'enrol with the registry when given an account (--irp-user); without one, use --key and --chain')
    .option('--irp-user <ID>', 'the enrolment account (its own user ID)')
    .option('--irp-password <P>', "the enrolment account's password")
    .option('--key-type <TYPE>', 'the key to enrol: p256 or rsa2048', 'p256')
    .option('--enrolled-key <FILE>', 'where to write the enrolled key, PEM PKCS#8')
    .option('--enrolled-chain <FILE>', 'where to write the issued chain, PEM, leaf first')
    .option('--keylog <FILE>', 'write the key log here')
    .option('--messages <FILE>', 'initiator, script: JSON array of the Messages to send')
    .option('--now <TIME>', 'fixed validation time, RFC 3339')
    .option('--seed <S>', 'seeded mode')
    .option('--versions <LIST>', 'offer restriction, comma-separated')
    .option('--methods <LIST>', 'offer restriction, comma-separated')
    .option('--ciphers <LIST>', 'offer restriction, comma-separated')
    .option('--knobs <LIST>', 'misbehaviour knobs, comma-separated (sixbench ua listen --list-bugs)')
    .action(async (o: ShimOptions) => {
      if (o.irpUser && !o.enrol) throw new UsageError('--irp-user is an enrolment account: give --enrol too.');
      if (o.enrol && o.irpUser) {
        try {
          await enrolWith(o);
        } catch (err) {
          if (err instanceof UsageError) throw err;
          throw new UsageError(`the shim could not enrol as ${o.irpUser}: ${(err as Error).message}`, 1);
        }
      }
      const request = requestFrom(o);
      const controller = new AbortController();
      let instance: IutInstance;
      try {
        instance = await startReference(request, controller.signal);
      } catch (err) {
        throw new UsageError(`the shim could not start: ${(err as Error).message}`, 1);
      }
      instance.onEvent((ev) => process.stdout.write(formatEvent(ev)));
      if (request.drive === 'control') readCommands(instance);
      const stop = (): void => {
        void instance.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const exit = await instance.exited;
      process.stdin.destroy();
      process.exitCode = exit.code ?? 0;
    });
}
