// `sixbench ua enroll|listen|send|chat`: the reference User Agent at the terminal (docs/ua.md).
// Each command is also a function (runEnroll, startListen, runSend, startChat) so tests drive
// them without spawning a process. Failures a person can act on are UsageError sentences with
// a non-zero exit status: registry unreachable, unknown user, certificate rejected (with the
// reason), peer refused (with the alert).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promises as fs, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { IrpClient, IrpError } from '../irp/client.js';
import { createCsr } from '../pki/csr.js';
import { validateChain } from '../pki/validator.js';
import type { AlertName } from '../protocol/alerts.js';
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/frame.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HANDSHAKES,
  E2ED_PORT,
  HandshakeFailedError,
  irpDirectory,
  LookupFailedError,
  UserAgent,
  type UaConnection,
  type UserAgentOptions,
} from '../ua/agent.js';
import { KNOBS, parseBugs, UnknownKnobError, type Bugs } from '../protocol/bugs.js';
import { jsonLinesSink, type EventSink } from '../ua/events.js';
import {
  certificatesFromPem,
  formatHostPort,
  IdentityStoreError,
  loadIdentity,
  parseHostPort,
  saveIdentity,
  type HostPort,
  type LoadedIdentity,
} from '../ua/identity-store.js';
import { UsageError } from './run-main.js';
import { PS_WARNING, readPasswordFile } from './secrets.js';
import { collectCipher, collectMethod, parseSeed, parseWholeNumber, portParser } from './values.js';
import { domainOf, isValidUserId } from '../protocol/identity.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
}

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

// ---------------------------------------------------------------------------------------------
// Error sentences

/** Alerts that mean "the certificate was not acceptable" when we send them. */
const CERTIFICATE_ALERTS: ReadonlySet<string> = new Set<AlertName>([
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'unknown_ca',
  'identity_mismatch',
]);

function registryUnreachable(registry: HostPort, err: unknown): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  // The client's message ends with the transport's reason (e.g. "connect ECONNREFUSED ::1:4604").
  const detail = /(E[A-Z]+)\b/.exec(message)?.[1] ?? message;
  return new UsageError(`the IRP registry at ${formatHostPort(registry)} is unreachable (${detail}).`, 3);
}

function explainIrpError(err: unknown, registry: HostPort, subject: string): UsageError {
  if (err instanceof IrpError) {
    switch (err.code) {
      case 'connection_failed':
      case 'timeout':
        return registryUnreachable(registry, err);
      case 'bad_signature':
      case 'record_rejected':
      case 'rollback':
      case 'untrusted_registry_certificate':
        return new UsageError(`the registry's answer about ${subject} failed verification (${err.code}): ${err.message}`, 4);
      case 'not_found':
        return new UsageError(`unknown user ${subject}: the registry at ${formatHostPort(registry)} has no record of it.`, 4);
      case 'unauthenticated':
        return new UsageError(`the registry refused the credentials for ${subject} (wrong user ID or password).`, 4);
      case 'rate_limited':
        return new UsageError(`the registry is rate-limiting ${subject} after repeated failures; wait a minute and retry.`, 4);
      case 'forbidden':
        return new UsageError(`the registry refused the request for ${subject} (forbidden).`, 4);
      default:
        return new UsageError(`the registry answered "${err.code}" for ${subject}: ${err.message}`, 4);
    }
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && /^(ECONN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|EPIPE)/.test(code)) {
    return registryUnreachable(registry, err);
  }
  return new UsageError(`the registry at ${formatHostPort(registry)} failed: ${err instanceof Error ? err.message : String(err)}`, 4);
}

function explainHandshake(err: unknown, peer: string): UsageError {
  if (err instanceof HandshakeFailedError) {
    const { alert, by, reason } = err.info;
    if (alert !== undefined && by === 'local' && CERTIFICATE_ALERTS.has(alert)) {
      return new UsageError(`the certificate of ${peer} was rejected: ${reason ?? alert} (alert ${alert}).`, 5);
    }
    if (alert !== undefined && by === 'peer') {
      return new UsageError(`${peer} refused the connection with alert ${alert}.`, 5);
    }
    if (alert !== undefined) {
      return new UsageError(`the handshake with ${peer} failed: we sent alert ${alert}${reason ? ` (${reason})` : ''}.`, 5);
    }
    return new UsageError(`the connection to ${peer} ended before the handshake completed (${err.info.how}).`, 5);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) return new UsageError(`${peer} is unreachable at its registered address (${code}).`, 5);
  return new UsageError(`the connection to ${peer} failed: ${err instanceof Error ? err.message : String(err)}`, 5);
}

function explainConnect(err: unknown, registry: HostPort, peer: string): UsageError {
  if (err instanceof LookupFailedError) return explainIrpError(err.cause, registry, peer);
  return explainHandshake(err, peer);
}

async function openIdentity(dir: string): Promise<LoadedIdentity> {
  try {
    return await loadIdentity(dir);
  } catch (err) {
    if (err instanceof IdentityStoreError) throw new UsageError(err.message);
    throw err;
  }
}

/** `userId`: the user this session acts for; the registry must serve its domain (IRP-CAP-2). */
async function connectRegistry(registry: HostPort, anchors: Buffer[], userId: string): Promise<IrpClient> {
  try {
    return await IrpClient.connect({ host: registry.host, port: registry.port, caCertificates: anchors, domain: domainOfUserId(userId) });
  } catch (err) {
    throw registryUnreachable(registry, err);
  }
}

/** The domain of a user ID, or undefined when it is malformed (the registry then refuses the user itself). */
function domainOfUserId(userId: string): string | undefined {
  return isValidUserId(userId) ? domainOf(userId) : undefined;
}

function parseHostPortOption(text: string, defaultPort?: number): HostPort {
  try {
    return parseHostPort(text, defaultPort);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Where an identity lives unless --dir says otherwise: in the user's data folder, never in the
 * current folder (a checkout of sixbench is no place for private keys; issue 13 §4).
 * $XDG_DATA_HOME/sixbench/identities/<user ID>, by default ~/.local/share/sixbench/identities/<user ID>.
 */
export function defaultIdentityDir(userId: string, env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME !== undefined && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'sixbench', 'identities', userId);
}

const WHERE_IDENTITIES = 'default: $XDG_DATA_HOME/sixbench/identities/<ID> (~/.local/share/... without it), outside the current folder';

// ---------------------------------------------------------------------------------------------
// Options shared by listen, send and chat

export interface AgentCliOptions {
  /** The identity folder; default the one of --user under defaultIdentityDir. */
  dir?: string;
  user?: string;
  keylog?: string;
  bug?: string[];
  seed?: string;
  events?: string;
  handshakeTimeout?: number;
  idleTimeout?: number;
  maxFrame?: number;
  maxConnections?: number;
  maxHandshakes?: number;
  method?: string[];
  cipher?: string[];
  legacy?: boolean;
}

function bugsFrom(list: string[] | undefined): Bugs | undefined {
  if (!list || list.length === 0) return undefined;
  try {
    return parseBugs(list);
  } catch (err) {
    if (err instanceof UnknownKnobError) throw new UsageError(`unknown --bug knob "${err.knob}"; "sixbench ua listen --list-bugs" lists them.`);
    throw err;
  }
}

function eventSink(target: string | undefined, io: CliIo, defaultToStdout: boolean): EventSink | undefined {
  if (target === undefined) return defaultToStdout ? jsonLinesSink(io.stdout) : undefined;
  if (target === '-') return jsonLinesSink(io.stdout);
  return jsonLinesSink(createWriteStream(target, { flags: 'a' }));
}

interface Session {
  identity: LoadedIdentity;
  registry: IrpClient;
  agent: UserAgent;
}

async function openSession(opts: AgentCliOptions, io: CliIo, eventsToStdout: boolean): Promise<Session> {
  const dir = opts.dir ?? (opts.user !== undefined ? defaultIdentityDir(opts.user) : undefined);
  if (dir === undefined) throw new UsageError('say whose identity to use: --user ID (enrolled with "ua enroll" to its default folder) or --dir DIR.');
  const identity = await openIdentity(dir);
  const bugs = bugsFrom(opts.bug);
  const registry = await connectRegistry(identity.registry, identity.trustAnchors, identity.userId);
  const agentOptions: UserAgentOptions = {
    identity: { userId: identity.userId, privateKey: identity.privateKey, chain: identity.chain, trustAnchors: identity.trustAnchors },
    directory: irpDirectory(registry),
    onEvent: eventSink(opts.events, io, eventsToStdout),
    keyLogFile: opts.keylog,
    bugs,
    seed: opts.seed,
    handshakeTimeoutMs: opts.handshakeTimeout,
    idleTimeoutMs: opts.idleTimeout,
    maxFrameLength: opts.maxFrame,
    maxConnections: opts.maxConnections,
    maxHandshakes: opts.maxHandshakes,
    methods: opts.method,
    ciphers: opts.cipher,
    versions: opts.legacy ? ['1.0', '0.9'] : undefined,
  };
  return { identity, registry, agent: new UserAgent(agentOptions) };
}

async function closeSession(s: Session): Promise<void> {
  await s.agent.close();
  await s.registry.close();
}

function addAgentOptions(cmd: Command): Command {
  const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
  return cmd
    .option('--user <ID>', `your user ID: its identity is read from the default folder (${WHERE_IDENTITIES})`)
    .option('--dir <DIR>', 'identity directory written by "ua enroll" (instead of --user)')
    .option('--keylog <FILE>', 'append the session secrets in the key-log format to FILE')
    .option('--bug <group.knob>', 'enable a misbehaviour knob (repeatable; see --list-bugs)', collect)
    .option('--list-bugs', 'list the misbehaviour knobs and exit')
    .option('--seed <S>', 'seeded mode: every byte on the wire follows from S (1 to 64 letters, digits, ".", "_", "-")', parseSeed)
    .option('--events <FILE>', 'write JSON-lines events to FILE ("-" for standard output)')
    .option('--method <NAME>', 'key-exchange method to offer, in preference order (repeatable): x25519, p256, rsa-oaep', collectMethod)
    .option('--cipher <NAME>', 'AEAD to offer, in preference order (repeatable): AES-256-GCM, CHACHA20-POLY1305', collectCipher)
    .option('--legacy', 'also offer and accept version 0.9')
    .option('--handshake-timeout <MS>', `handshake timeout in ms (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS})`, parseWholeNumber)
    .option('--idle-timeout <MS>', `idle timeout in ms (default ${DEFAULT_IDLE_TIMEOUT_MS})`, parseWholeNumber)
    .option('--max-frame <BYTES>', `frame length limit (default ${DEFAULT_MAX_FRAME_LENGTH})`, parseWholeNumber)
    .option('--max-connections <N>', `incoming connections kept at once, more are closed unread (E2ED-LIM-8; default ${DEFAULT_MAX_CONNECTIONS})`, parseWholeNumber)
    .option('--max-handshakes <N>', `incoming connections not yet Connected at once (E2ED-LIM-8; default ${DEFAULT_MAX_HANDSHAKES})`, parseWholeNumber);
}

/** `--list-bugs` is accepted by every agent command; it prints the catalogue and ends the command. */
function listBugs(io: CliIo): void {
  const width = Math.max(...KNOBS.map((k) => k.id.length));
  for (const k of KNOBS) io.stdout.write(`${k.id.padEnd(width)}  ${k.role.padEnd(9)}  ${k.requirement.padEnd(18)}  ${k.description}\n`);
}

// ---------------------------------------------------------------------------------------------
// enroll

export interface EnrollOptions {
  irp: string;
  ca: string;
  user: string;
  /** On the command line (visible in ps), or read from passwordFile ("-": standard input). */
  password?: string;
  passwordFile?: string;
  /** Default: defaultIdentityDir(user). */
  dir?: string;
  keyType?: 'p256' | 'ed25519' | 'rsa2048';
}

function generateKey(type: EnrollOptions['keyType']): KeyObject {
  switch (type ?? 'p256') {
    case 'p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'rsa2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey;
    default:
      throw new UsageError(`unknown key type "${String(type)}"; use p256, ed25519 or rsa2048.`);
  }
}

/** Password login, CSR, enrolment; leaves the key, chain, anchors and registry address in opts.dir. */
export async function runEnroll(opts: EnrollOptions, io: CliIo = processIo()): Promise<void> {
  const registry = parseHostPortOption(opts.irp, 4604);
  if ((opts.password === undefined) === (opts.passwordFile === undefined)) {
    throw new UsageError('give the enrolment password with --password-file FILE ("-" reads standard input) or --password P (visible to other local users in ps), not both.');
  }
  const password = opts.password ?? (await readPasswordFile(opts.passwordFile!, io.stdin));
  let anchorsPem: string;
  try {
    anchorsPem = await fs.readFile(opts.ca, 'utf8');
  } catch {
    throw new UsageError(`cannot read the CA certificate file ${opts.ca}.`);
  }
  let anchors: Buffer[];
  try {
    anchors = certificatesFromPem(anchorsPem, opts.ca);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const privateKey = generateKey(opts.keyType);
  const client = await connectRegistry(registry, anchors, opts.user);
  let chain: Buffer[];
  try {
    await client.login(opts.user, password);
    chain = await client.enroll(createCsr(privateKey, opts.user));
  } catch (err) {
    throw explainIrpError(err, registry, opts.user);
  } finally {
    await client.close();
  }
  // What the registry issued must be usable: check it as a peer would before keeping it.
  const check = validateChain(chain, { trustAnchors: anchors, time: new Date(), purpose: 'clientAuth', profile: 'e2ed', expectedUserId: opts.user });
  if (!check.ok) {
    throw new UsageError(`the registry issued a certificate that is rejected: ${check.reason}: ${check.detail} (alert ${check.alert}).`, 5);
  }
  const dir = path.resolve(opts.dir ?? defaultIdentityDir(opts.user));
  await saveIdentity(dir, {
    userId: opts.user,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    chain,
    trustAnchors: anchors,
    registry,
  });
  io.stdout.write(`enrolled ${opts.user}: key, certificate chain and trust anchors written to ${dir}\n`);
}

// ---------------------------------------------------------------------------------------------
// listen

export interface ListenOptions extends AgentCliOptions {
  port?: number;
  host?: string;
  register?: boolean;
  advertise?: string;
}

export interface ListenHandle {
  agent: UserAgent;
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Registers the agent's address with IRP (after strong authentication with its certificate). */
async function registerAddress(s: Session, address: string, port: number): Promise<void> {
  try {
    await s.registry.authenticate(s.identity.userId, s.identity.chain, s.identity.privateKey);
    await s.registry.register(address, port);
  } catch (err) {
    throw explainIrpError(err, s.identity.registry, s.identity.userId);
  }
  s.agent.emit({ event: 'registered', user: s.identity.userId, address, port });
}

function advertisedAddress(bound: string, advertise: string | undefined): string {
  if (advertise !== undefined) return advertise;
  if (bound === '::' || bound === '0.0.0.0') {
    throw new UsageError('the agent listens on a wildcard address; say which address to register with --advertise ADDRESS.');
  }
  return bound;
}

export async function startListen(opts: ListenOptions, io: CliIo = processIo()): Promise<ListenHandle> {
  const s = await openSession(opts, io, true);
  let bound: { address: string; port: number };
  try {
    bound = await s.agent.listen({ port: opts.port ?? E2ED_PORT, host: opts.host ?? '::1' });
    if (opts.register) await registerAddress(s, advertisedAddress(bound.address, opts.advertise), bound.port);
  } catch (err) {
    await closeSession(s);
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot listen on ${opts.host ?? '::1'} port ${opts.port ?? E2ED_PORT}: ${(err as Error).message}`);
  }
  return { agent: s.agent, ...bound, stop: () => closeSession(s) };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

// ---------------------------------------------------------------------------------------------
// send

export interface SendOptions extends AgentCliOptions {
  to: string;
  text: string;
}

/** Look up, connect, handshake, send one Message, wait for its Receipt, close cleanly. */
export async function runSend(opts: SendOptions, io: CliIo = processIo()): Promise<void> {
  const s = await openSession(opts, io, false);
  try {
    let conn: UaConnection;
    try {
      conn = await s.agent.connect(opts.to);
    } catch (err) {
      throw explainConnect(err, s.identity.registry, opts.to);
    }
    const n = conn.negotiated;
    io.stdout.write(`connected to ${conn.peerUserId} (verified) with E2ED ${n?.version}, ${n?.method}, ${n?.cipher}\n`);
    let id: string;
    try {
      id = await conn.sendAndConfirm(opts.text);
    } catch {
      // The initiator may send right after its Finished, so a refusal of its last flight arrives here.
      const info = await conn.closed;
      if (info.alert !== undefined && info.by === 'peer') throw explainHandshake(new HandshakeFailedError(info), opts.to);
      throw new UsageError(`${opts.to} closed the connection before confirming the message (${info.alert ?? info.how}).`, 5);
    }
    io.stdout.write(`message ${id} delivered to ${conn.peerUserId} (Receipt received)\n`);
    const info = await conn.close();
    if (info.how !== 'clean') io.stderr.write(`warning: the connection ended ${info.how}${info.alert ? ` (${info.alert})` : ''}\n`);
  } finally {
    await closeSession(s);
  }
}

// ---------------------------------------------------------------------------------------------
// chat

const CHAT_HELP = [
  '* commands (never sent to the other person):',
  '*   /help   list these commands',
  '*   /quit   close the conversation and leave',
  '* any other line is sent as a message',
].join('\n');

export interface ChatOptions extends ListenOptions {
  to?: string;
}

export interface ChatHandle {
  agent: UserAgent;
  port: number;
  /** Resolves when the person typed /quit (or the input ended) and everything is closed. */
  done: Promise<void>;
}

/**
 * Interactive chat: listens and registers its address (so the other person can find it), and
 * connects to --to when given. Lines typed are sent as Messages; received Messages are printed
 * with the sender's verified user ID; /quit closes cleanly.
 */
export async function startChat(opts: ChatOptions, io: CliIo = processIo()): Promise<ChatHandle> {
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const s = await openSession(opts, io, false);
  const bound = await s.agent.listen({ port: opts.port ?? 0, host: opts.host ?? '::1' }).catch(async (err: Error) => {
    await closeSession(s);
    throw new UsageError(`cannot listen: ${err.message}`);
  });
  try {
    await registerAddress(s, advertisedAddress(bound.address, opts.advertise), bound.port);
  } catch (err) {
    await closeSession(s);
    throw err;
  }
  out(`${s.identity.userId}: registered at ${formatHostPort({ host: bound.address, port: bound.port })}`);

  let current: UaConnection | undefined;
  /** Set by our own /quit (or the end of input): what closes then is us leaving, not the peer. */
  let quitting = false;
  const adopt = (conn: UaConnection): void => {
    const n = conn.negotiated;
    out(`* talking to ${conn.peerUserId} (certificate verified) - E2ED ${n?.version}, ${n?.method}, ${n?.cipher}, exporter ${conn.exporter?.slice(0, 16)}...`);
    conn.on('message', (m: { from: string; text: string }) => out(`<${m.from}> ${m.text}`));
    void conn.closed.then((info) => {
      const detail = `${info.how}${info.alert ? `, ${info.alert}` : ''}`;
      out(info.by === 'peer' && !quitting ? `* ${conn.peerUserId} left (${detail})` : `* conversation with ${conn.peerUserId} closed (${detail})`);
      if (current === conn) current = undefined;
    });
    current = conn;
  };
  s.agent.onConnection((conn) => {
    conn.once('connected', () => adopt(conn));
    conn.established.catch((err: Error) => out(`* an incoming connection failed: ${err.message}`));
  });
  if (opts.to !== undefined) {
    try {
      adopt(await s.agent.connect(opts.to));
    } catch (err) {
      await closeSession(s);
      throw explainConnect(err, s.identity.registry, opts.to);
    }
  } else {
    out('* waiting for someone to connect (/help lists the commands, /quit leaves)');
  }

  const done = new Promise<void>((resolve) => {
    const rl = readline.createInterface({ input: io.stdin ?? process.stdin, terminal: false });
    let finished = false;
    const finish = async (): Promise<void> => {
      if (finished) return;
      finished = true;
      quitting = true;
      rl.close();
      await closeSession(s);
      out('* bye');
      resolve();
    };
    rl.on('line', (line) => {
      const command = /^\/([a-z]+)\s*$/.exec(line.trim())?.[1];
      if (command !== undefined) {
        // Commands are local: never sent to the peer.
        if (command === 'quit') void finish();
        else if (command === 'help') out(CHAT_HELP);
        else out(`* unknown command /${command}; /help lists the commands`);
        return;
      }
      if (line.length === 0) return;
      if (!current?.connected) {
        out('* nobody is connected yet');
        return;
      }
      const conn = current;
      conn.sendAndConfirm(line).catch(() => out('* the message was not confirmed'));
    });
    rl.on('close', () => void finish());
  });
  return { agent: s.agent, port: bound.port, done };
}

// ---------------------------------------------------------------------------------------------
// commander wiring

export function registerUaCommands(program: Command): void {
  const ua = program.command('ua').description('the reference E2ED User Agent (docs/ua.md)');

  ua.command('enroll')
    .description('log in to an IRP registry with a password, enrol for a certificate, and store the identity in DIR')
    .requiredOption('--irp <HOST:PORT>', 'the registry address')
    .requiredOption('--ca <FILE>', "PEM file of the registry's root CA (written by \"irp serve --ca-out\")")
    .requiredOption('--user <ID>', 'your user ID (local@domain)')
    .option('--password-file <FILE>', 'read your enrolment password from the first line of FILE ("-": standard input)')
    .option('--password <P>', `your enrolment password (${PS_WARNING} --password-file)`)
    .option('--dir <DIR>', `where to store the key (0600), chain and trust anchors (${WHERE_IDENTITIES})`)
    .addOption(new Option('--key-type <TYPE>', 'key type to generate').choices(['p256', 'ed25519', 'rsa2048']).default('p256'))
    .action(async (o: EnrollOptions) => runEnroll(o));

  addAgentOptions(
    ua
      .command('listen')
      .description('accept E2ED connections and print events as JSON lines (Ctrl-C stops)')
      .option('--port <PORT>', `TCP port (default ${E2ED_PORT}; 0 picks a free port)`, portParser(true))
      .option('--host <ADDRESS>', 'address to listen on (default ::1)')
      .option('--register', 'register the address and port with the IRP registry')
      .option('--advertise <ADDRESS>', 'address to register when listening on a wildcard'),
  ).action(async (o: ListenOptions) => {
    if ((o as { listBugs?: boolean }).listBugs) return listBugs(processIo());
    const handle = await startListen(o);
    await untilSignal();
    await handle.stop();
  });

  addAgentOptions(
    ua
      .command('send')
      .description('look a user up, connect, send one message, wait for its Receipt and close')
      .requiredOption('--to <ID>', 'the user ID to reach')
      .requiredOption('--text <T>', 'the message text'),
  ).action(async (o: SendOptions) => {
    if ((o as { listBugs?: boolean }).listBugs) return listBugs(processIo());
    await runSend(o);
  });

  addAgentOptions(
    ua
      .command('chat')
      .description('interactive chat: register, then talk to --to or wait for someone; /quit leaves')
      .option('--to <ID>', 'the user ID to talk to (omit to wait to be called)')
      .option('--port <PORT>', 'TCP port to accept on (default 0: a free port, registered with IRP)', portParser(true))
      .option('--host <ADDRESS>', 'address to listen on (default ::1)')
      .option('--advertise <ADDRESS>', 'address to register when listening on a wildcard'),
  ).action(async (o: ChatOptions) => {
    if ((o as { listBugs?: boolean }).listBugs) return listBugs(processIo());
    const chat = await startChat(o);
    await chat.done;
  });
}
