// The process driver: an implementation started from its iut.json for one case in one role
// (docs/adapter.md). It is started detached, in a process group of its own, so that stop() ends it
// and everything it started; its standard output is read as JSON-lines events (level 2) and
// anything else there is kept as evidence, never thrown; both outputs are capped; a responder must
// say it is ready within the start deadline; commands go to its standard input as JSON lines
// (level 3). The bench survives whatever the process does: never starts, never listens, crashes,
// hangs, floods, ignores SIGTERM, leaves children.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { UaEvent } from '../ua/events.js';
import { expandArgv, expandEnv, findExecutable, type IutConfig } from './config.js';
import type { ImplementationUnderTest, IutControl, IutDiagnostics, IutExit, IutInstance, IutStartRequest } from './door.js';
import { IutStartError } from './errors.js';
import { EventFanOut } from './reference.js';

/** What the bench keeps of a process's output. */
export const OUTPUT_CAP_BYTES = 64 * 1024;
/** A longer line on standard output is not an event. */
export const MAX_EVENT_LINE = 64 * 1024;
/** Events beyond this many in one case are ignored (and counted). */
export const MAX_EVENTS = 20_000;
const GARBAGE_KEPT = 20;

/** Keeps the first `cap` bytes (stdout: the start says most) and counts the rest. */
class HeadBuffer {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.parts.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** Keeps the last `cap` bytes (stderr: the end says why it died) and counts the rest. */
class TailBuffer {
  private buf = Buffer.alloc(0);
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const all = Buffer.concat([this.buf, chunk]);
    if (all.length > this.cap) {
      this.dropped += all.length - this.cap;
      this.buf = all.subarray(all.length - this.cap);
    } else this.buf = all;
  }
  text(): string {
    return this.buf.toString('utf8');
  }
}

/** Bytes in, lines out, surviving any chunk boundary; an over-long line comes out once, cut, flagged. */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private overflowing = false;
  constructor(private readonly maxLine: number) {}
  push(chunk: Buffer, out: (line: string, tooLong: boolean) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      if (!this.overflowing) {
        if (this.pendingLength + piece.length > this.maxLine) {
          const head = Buffer.concat([...this.pending, piece]).subarray(0, 200).toString('utf8');
          out(head, true);
          this.overflowing = true;
          this.pending = [];
          this.pendingLength = 0;
        } else {
          this.pending.push(piece);
          this.pendingLength += piece.length;
        }
      }
      if (nl < 0) return;
      if (!this.overflowing) out(Buffer.concat(this.pending).toString('utf8').replace(/\r$/, ''), false);
      this.pending = [];
      this.pendingLength = 0;
      this.overflowing = false;
      start = nl + 1;
    }
  }
}

const CLOSE_KINDS = new Set(['clean', 'truncated', 'alert-sent', 'alert-received', 'handshake-timeout', 'transport-error']);

/** An event line as the bench accepts it (docs/events.md), or why not. Unknown event names pass: they are ignored downstream. */
export function parseEventLine(line: string): UaEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.event !== 'string') return 'no "event" string';
  const str = (k: string): boolean => typeof o[k] === 'string';
  const int = (k: string): boolean => Number.isInteger(o[k]);
  switch (o.event) {
    case 'listening':
      if (!int('port') || (o.port as number) < 1 || (o.port as number) > 65535) return 'listening without a port number';
      break;
    case 'parameters_negotiated':
      if (!str('version') || !str('method') || !str('cipher')) return 'parameters_negotiated without version, method and cipher strings';
      break;
    case 'exporter':
      if (!str('value')) return 'exporter without a value string';
      break;
    case 'alert_sent':
    case 'alert_received':
      if (!str('alert')) return `${o.event} without an alert name`;
      break;
    case 'key_update':
      if ((o.direction !== 'send' && o.direction !== 'receive') || !int('generation')) return 'key_update without direction and generation';
      break;
    case 'closed':
      if (!str('how') || !CLOSE_KINDS.has(o.how as string)) return `closed with an unknown "how" (${JSON.stringify(o.how)})`;
      break;
    default:
      break;
  }
  return o as unknown as UaEvent;
}

/** The values of the placeholders for one start (docs/adapter.md, "Placeholders"). */
export function placeholderValues(config: IutConfig, request: IutStartRequest, listenPort: number | undefined, messagesFile: string | undefined): Record<string, string | undefined> {
  const list = (l: string[] | undefined): string | undefined => (l && l.length > 0 ? l.join(',') : undefined);
  return {
    role: request.role,
    drive: request.drive ?? 'script',
    listen_host: request.listen?.host,
    listen_port: listenPort !== undefined ? String(listenPort) : undefined,
    connect_host: request.connect?.host,
    connect_port: request.connect ? String(request.connect.port) : undefined,
    user_id: request.enrolment?.userId ?? request.credentials.userId,
    peer_user_id: request.connect?.peerUserId,
    peer_chain: request.peerChainFile,
    // An implementation that enrols itself gets no key or chain of the bench's: only its account.
    key: request.enrolment ? undefined : request.credentials.files.key,
    chain: request.enrolment ? undefined : request.credentials.files.chain,
    irp_user: request.enrolment?.userId,
    irp_password: request.enrolment?.password,
    key_type: request.enrolment?.keyType,
    enrolled_key: request.enrolment?.keyFile,
    enrolled_chain: request.enrolment?.chainFile,
    anchors: request.credentials.files.anchors,
    irp_host: request.registry?.host,
    irp_port: request.registry ? String(request.registry.port) : undefined,
    irp_ca: request.registry?.caFile,
    keylog: config.capabilities.keyLog ? request.keyLogFile : undefined,
    workdir: request.workDir,
    messages: messagesFile,
    now: request.now?.toISOString(),
    seed: request.seed,
    versions: list(request.versions),
    methods: list(request.methods),
    ciphers: list(request.ciphers),
    knobs: list(request.knobs),
    iut_dir: config.dir,
  };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Whether a process of the group still runs. On Linux /proc says, and a zombie (state Z: dead,
 * waiting for a parent that may never reap it, as in a container without an init) does not
 * count; elsewhere kill(-pgid, 0) answers.
 */
export function groupAlive(pgid: number): boolean {
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      } catch {
        continue;
      }
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    }
    return false;
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

export function processImplementation(config: IutConfig): ImplementationUnderTest {
  return {
    name: config.name,
    version: config.version,
    capabilities: config.capabilities,
    command: config.command.map((el) => (typeof el === 'string' ? el : `[${el.join(' ')}]`)),
    start: (request, signal) => startProcess(config, request, signal),
  };
}

/** One running process for one case. */
class IutProcess implements IutInstance {
  listening?: { host: string; port: number };
  readonly control?: IutControl;
  readonly exited: Promise<IutExit>;
  private readonly events = new EventFanOut();
  private readonly stdout = new HeadBuffer(OUTPUT_CAP_BYTES);
  private readonly stderr = new TailBuffer(OUTPUT_CAP_BYTES);
  private readonly lines = new LineSplitter(MAX_EVENT_LINE);
  private readonly garbage: string[] = [];
  private garbageLines = 0;
  private eventCount = 0;
  private droppedEvents = 0;
  private readonly notes: string[] = [];
  private leaderExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private signalledByUs = false;
  private stopping: Promise<IutExit> | undefined;
  private readonly pgid: number;

  constructor(
    private readonly child: ChildProcess,
    private readonly graceMs: number,
    level: number,
  ) {
    this.pgid = child.pid!;
    child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout.push(chunk);
      this.lines.push(chunk, (line, tooLong) => this.onLine(line, tooLong));
    });
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    for (const s of [child.stdin!, child.stdout!, child.stderr!]) s.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.leaderExit = { code, signal: sig };
        resolve(this.exitInfo());
      });
    });
    if (level >= 3) {
      const write = (cmd: Record<string, unknown>): void => {
        if (this.leaderExit || child.stdin!.destroyed) throw new Error('the implementation has ended: no command can reach it');
        child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      };
      this.control = {
        send: (text) => write({ command: 'send', text }),
        ping: () => write({ command: 'ping' }),
        keyUpdate: (request) => write({ command: 'keyupdate', request }),
        close: () => write({ command: 'close' }),
      };
    }
  }

  private onLine(line: string, tooLong: boolean): void {
    if (line.trim() === '') return;
    const parsed = tooLong ? `a line over ${MAX_EVENT_LINE} bytes` : parseEventLine(line);
    if (typeof parsed === 'string') {
      this.garbageLines += 1;
      if (this.garbage.length < GARBAGE_KEPT) this.garbage.push(`${parsed}: ${line.slice(0, 200)}`);
      return;
    }
    if (this.eventCount >= MAX_EVENTS) {
      this.droppedEvents += 1;
      return;
    }
    this.eventCount += 1;
    this.events.emit(parsed);
  }

  onEvent(listener: (ev: UaEvent) => void): void {
    this.events.add(listener);
  }

  private exitInfo(): IutExit {
    const e = this.leaderExit!;
    if (e.code === 127) return { how: 'exited', code: 127, unsupported: true, reason: 'exit status 127: the implementation does not support this case' };
    if (this.signalledByUs) return { how: 'killed', code: e.code, signal: e.signal };
    if (e.signal) return { how: 'crashed', signal: e.signal, reason: `ended by signal ${e.signal}` };
    return { how: 'exited', code: e.code };
  }

  diagnostics(): IutDiagnostics {
    return {
      stdoutHead: this.stdout.text(),
      stderrTail: this.stderr.text(),
      droppedBytes: this.stdout.dropped + this.stderr.dropped,
      garbage: [...this.garbage],
      garbageLines: this.garbageLines,
      droppedEvents: this.droppedEvents,
      notes: [...this.notes],
    };
  }

  stop(): Promise<IutExit> {
    return (this.stopping ??= this.doStop());
  }

  private async doStop(): Promise<IutExit> {
    if (!this.leaderExit) {
      this.signalledByUs = true;
      killGroup(this.pgid, 'SIGTERM');
      await Promise.race([this.exited, sleep(this.graceMs)]);
      if (!this.leaderExit) {
        this.notes.push(`it did not end within ${this.graceMs} ms of SIGTERM: SIGKILL`);
        killGroup(this.pgid, 'SIGKILL');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    if (groupAlive(this.pgid)) {
      // The leader is gone but processes it started are still in its group.
      this.notes.push('it left processes behind in its process group: killed (SIGKILL)');
      killGroup(this.pgid, 'SIGKILL');
    }
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    if (!this.leaderExit) {
      this.notes.push('the process did not end even after SIGKILL');
      return { how: 'killed', reason: 'did not end after SIGKILL' };
    }
    return this.exitInfo();
  }

  /** Resolves with the port of a `listening` event. */
  listeningEvent(): Promise<number> {
    return new Promise((resolve) => {
      let done = false;
      this.events.add((ev) => {
        if (!done && ev.event === 'listening') {
          done = true;
          resolve(ev.port);
        }
      });
    });
  }
}

function tail(text: string, n = 600): string {
  const t = text.trim();
  return t.length > n ? `...${t.slice(t.length - n)}` : t;
}

export async function startProcess(config: IutConfig, request: IutStartRequest, signal: AbortSignal): Promise<IutInstance> {
  const listenPort =
    request.role === 'responder' && request.listen
      ? config.ready === 'tcp-connect' && request.listen.port === 0
        ? await freePort(request.listen.host)
        : request.listen.port
      : undefined;
  let messagesFile: string | undefined;
  if (request.messages && request.role === 'initiator') {
    messagesFile = path.join(request.workDir, 'messages.json');
    writeFileSync(messagesFile, JSON.stringify(request.messages));
  }
  const values = placeholderValues(config, request, listenPort, messagesFile);
  let argv: string[];
  try {
    argv = expandArgv(config.command, values);
  } catch (err) {
    throw new IutStartError('not-started', (err as Error).message);
  }
  const program = findExecutable(argv[0]!, config.dir);
  if (!program) throw new IutStartError('not-started', `${argv[0]} is not an executable file`);
  const child = spawn(program, argv.slice(1), {
    cwd: request.workDir,
    env: { ...process.env, ...expandEnv(config.env, values) },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (spawned) throw new IutStartError('not-started', `${program} could not be started: ${spawned.message}`);
  child.on('error', () => undefined);
  const instance = new IutProcess(child, config.stopGraceMs, config.capabilities.level);
  if (request.role !== 'responder') return instance;

  // A responder is ready when it says where it listens (or, for 'tcp-connect', when it accepts).
  const host = request.listen!.host;
  let stopPolling = false;
  const ready: Promise<number> =
    config.ready === 'listening-event'
      ? instance.listeningEvent()
      : (async () => {
          while (!stopPolling) {
            if (await canConnect(host, listenPort!)) return listenPort!;
            await sleep(50);
          }
          return -1;
        })();
  const outcome = await Promise.race([
    ready.then((port) => ({ kind: 'ready' as const, port })),
    instance.exited.then((exit) => ({ kind: 'exited' as const, exit })),
    sleep(config.startTimeoutMs).then(() => ({ kind: 'deadline' as const })),
    new Promise<{ kind: 'aborted' }>((resolve) => {
      if (signal.aborted) resolve({ kind: 'aborted' });
      signal.addEventListener('abort', () => resolve({ kind: 'aborted' }), { once: true });
    }),
  ]);
  stopPolling = true;
  if (outcome.kind === 'ready') {
    instance.listening = { host, port: outcome.port };
    return instance;
  }
  await instance.stop();
  const d = instance.diagnostics();
  const stderr = d.stderrTail.trim() ? `; its standard error ends: ${tail(d.stderrTail)}` : '';
  if (outcome.kind === 'exited') {
    if (outcome.exit.unsupported) throw new IutStartError('unsupported', 'it exited with status 127: this case is not supported', d);
    const how = outcome.exit.how === 'crashed' ? `crashed (${outcome.exit.signal})` : `exited with status ${outcome.exit.code}`;
    throw new IutStartError('exited', `it ${how} before it was ready${stderr}`, d);
  }
  if (outcome.kind === 'aborted') throw new IutStartError('not-ready', `the case ended before it was ready${stderr}`, d);
  const said = config.ready === 'listening-event' ? 'printed no {"event":"listening","port":N} line' : `accepted no TCP connection on ${host}:${listenPort}`;
  throw new IutStartError('not-ready', `it ${said} within ${config.startTimeoutMs} ms${d.garbageLines > 0 ? ` (${d.garbageLines} line(s) of standard output were not events)` : ''}${stderr}`, d);
}
