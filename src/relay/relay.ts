// The man in the middle (issue 10): an in-path TCP relay between two honest parties, each leg a
// real TCP connection. Both directions go through the core's resumable frame decoder
// (src/protocol/frame.ts), so a rule acts on exact frames whatever TCP chunking happens. Each
// frame is named as the transcript names it (src/relay/script.ts), acted on by the first rule
// that matches it, recorded (for replay), and logged with what was done: the evidence.
//
// Addresses are injectable: the relay listens where it is told and connects to the target it is
// given, so a capture forwarder can sit in front of it or behind it. Each leg records what it
// carried (src/relay/leg.ts) for the case's capture.
import net from 'node:net';
import { FrameDecoder, FrameType, type Frame } from '../protocol/frame.js';
import { decodeE2ed } from '../protocol/messages.js';
import { buildSendFrame, editFrame, mutateFrame, type ChainTable } from './edit.js';
import { Leg } from './leg.js';
import { describeAction, type Action, type Direction, type FrameMatch, type FrameName, type RelayScript } from './script.js';

/** One frame the relay saw, as its sender sent it. */
export interface RecordedFrame {
  session: number;
  dir: Direction;
  frame: FrameName;
  nth: number;
  wire: Buffer;
}

/** One line of evidence: a frame seen (and what was done with it), or an event of a leg. */
export interface RelayLogEntry {
  session: number;
  dir?: Direction;
  frame?: string;
  bytes?: number;
  /** What the frame said (handshake messages: their fields; records: opaque). */
  summary?: string;
  /** What the relay did: `pass` unless a rule acted. */
  action: string;
}

export interface RelayOptions {
  /** Where to listen (port 0: any). */
  listen: { host: string; port: number };
  /** Where to connect each accepted connection. */
  target: { host: string; port: number };
  script: RelayScript;
  /** Chains an `edit` may substitute by name. */
  chains?: ChainTable;
}

const HANDSHAKE_ORDER: Record<Direction, FrameName[]> = { i2r: ['Hello_I', 'CV_I', 'Fin_I'], r2i: ['Hello_R', 'CV_R', 'Fin_R'] };

function opposite(dir: Direction): Direction {
  return dir === 'i2r' ? 'r2i' : 'i2r';
}

/** A short, stable description of a frame for the evidence. */
export function summarize(frame: Frame): string {
  if (frame.type === FrameType.Record) return `record, ${frame.payload.length} bytes sealed`;
  try {
    const m = decodeE2ed(frame.payload);
    switch (m.kind) {
      case 'InitiatorHello':
        return `Hello from=${m.from} to=${m.to} versions=[${m.versions.join(' ')}] methods=[${m.methods.join(' ')}] ciphers=[${m.ciphers.join(' ')}] ${m.keyShare ? `keyShare=${m.keyShare.method}` : 'encryptedPremaster'} certificates=${m.certificates.length}`;
      case 'ResponderHello':
        return `Hello from=${m.from} to=${m.to} version=${m.version} method=${m.method} cipher=${m.cipher} nonce_R[24..32]=${m.nonce.subarray(24).toString('hex')} certificates=${m.certificates.length}`;
      case 'CertificateVerify':
        return `CertificateVerify ${m.algorithm}`;
      case 'Finished':
        return 'Finished';
      case 'Alert':
        return `Alert ${m.level} ${m.code}`;
      default:
        return m.kind;
    }
  } catch (err) {
    return `plaintext that does not decode (${(err as Error).message})`;
  }
}

/** A frame the script moves into another session, awaited there (a second resolve changes nothing). */
export interface SpliceGate {
  /** The session the frame is taken from; its end without a move opens the gate empty. */
  from: number;
  frame: Promise<Buffer | undefined>;
  resolve: (wire: Buffer | undefined) => void;
  /** Set once the target session has queued the delivery. */
  consumed: boolean;
}

/** One relayed connection: the initiator's leg (absent for a connection the relay opens itself) and the responder's. */
export class RelaySession {
  readonly counts: Record<Direction, Map<FrameName, number>> = { i2r: new Map(), r2i: new Map() };
  private readonly queues: Record<Direction, Promise<void>> = { i2r: Promise.resolve(), r2i: Promise.resolve() };
  private readonly held: Record<Direction, Buffer | undefined> = { i2r: undefined, r2i: undefined };
  private readonly handshakeSeen: Record<Direction, number> = { i2r: 0, r2i: 0 };
  private cutOff = false;
  private closedLegs = 0;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    readonly index: number,
    private readonly relay: Relay,
    readonly down: Leg | undefined,
    readonly up: Leg,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const legs = down ? 2 : 1;
    const legClosed = (): void => {
      if (++this.closedLegs === legs) this.resolveClosed();
    };
    up.socket.on('close', legClosed);
    up.socket.on('error', () => undefined);
    if (down) {
      down.socket.on('close', legClosed);
      down.socket.on('error', () => undefined);
      this.pipe(down, 'i2r', up);
      this.pipe(up, 'r2i', down);
    }
  }

  /** The socket frames of `dir` are written to. */
  socketFor(dir: Direction): Leg | undefined {
    return dir === 'i2r' ? this.up : this.down;
  }

  private pipe(from: Leg, dir: Direction, to: Leg): void {
    const decoder = new FrameDecoder();
    from.socket.on('data', (chunk: Buffer) => {
      if (this.cutOff) return;
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.relay.logEntry({ session: this.index, dir, action: `framing fault, leg ended (${(err as Error).message})` });
        this.cut();
        return;
      }
      for (const f of frames) this.onFrame(dir, f);
    });
    from.socket.on('end', () => {
      this.relay.logEntry({ session: this.index, dir, action: 'sender ended its side (FIN), passed on' });
      if (!this.cutOff) this.deliverSplice(dir);
      this.enqueue(dir, async () => {
        to.end();
      });
    });
    from.socket.on('close', () => {
      this.enqueue(dir, async () => {
        if (!to.destroyed) to.end();
      });
    });
  }

  /** Names a frame as the transcript does (plaintext frames decoded: an Alert is `alert`). */
  private name(dir: Direction, frame: Frame): FrameName {
    if (frame.type === FrameType.Record) return 'record';
    try {
      if (decodeE2ed(frame.payload).kind === 'Alert') return 'alert';
    } catch {
      // a frame that does not decode is named by its position
    }
    const order = HANDSHAKE_ORDER[dir];
    const i = this.handshakeSeen[dir]++;
    return order[Math.min(i, order.length - 1)]!;
  }

  onFrame(dir: Direction, frame: Frame): void {
    const name = this.name(dir, frame);
    const nth = this.counts[dir].get(name) ?? 0;
    this.counts[dir].set(name, nth + 1);
    this.relay.record({ session: this.index, dir, frame: name, nth, wire: frame.wire });
    const action = this.relay.actionFor({ session: this.index, dir, frame: name, nth });
    const entry: RelayLogEntry = { session: this.index, dir, frame: `${name}${name === 'record' || name === 'alert' ? ` #${nth}` : ''}`, bytes: frame.wire.length, summary: summarize(frame), action: action ? describeAction(action) : 'pass' };
    this.relay.logEntry(entry);
    try {
      this.act(dir, frame, name, action);
    } catch (err) {
      entry.action += ` (could not: ${(err as Error).message}; forwarded unchanged)`;
      this.forward(dir, frame.wire, name);
    }
  }

  private act(dir: Direction, frame: Frame, name: FrameName, action: Action | undefined): void {
    if (!action) return this.forward(dir, frame.wire, name);
    switch (action.do) {
      case 'pass':
        return this.forward(dir, frame.wire, name);
      case 'drop':
        return;
      case 'delay':
        this.enqueue(dir, () => new Promise((resolve) => setTimeout(resolve, action.ms)));
        return this.forward(dir, frame.wire, name);
      case 'duplicate':
        this.forward(dir, frame.wire, name);
        return this.forward(dir, frame.wire, name);
      case 'swapWithNext':
        this.held[dir] = frame.wire;
        return;
      case 'truncate': {
        const sock = this.socketFor(dir);
        this.enqueue(dir, async () => {
          sock?.write(frame.wire.subarray(0, action.keep));
          sock?.end();
        });
        this.cutOff = true;
        return;
      }
      case 'cutAfter':
        this.forward(dir, frame.wire, name);
        return this.cut();
      case 'cut':
        return this.cut();
      case 'edit':
        return this.forward(dir, editFrame(frame, action.edits, this.relay.chains), name);
      case 'mutate':
        return this.forward(dir, mutateFrame(frame, action.mutate), name);
      case 'inject': {
        const extra = action.recorded ? this.relay.awaitRecorded(action.recorded) : Promise.resolve(buildSendFrame(action.send ?? {}));
        if ((action.position ?? 'before') === 'before') {
          this.forward(dir, extra, name);
          return this.forward(dir, frame.wire, name);
        }
        this.forward(dir, frame.wire, name);
        return this.forward(dir, extra, name);
      }
      case 'replace':
        return this.forward(dir, this.relay.awaitRecorded(action.with), name);
      case 'reflect': {
        const back = this.socketFor(opposite(dir));
        this.enqueue(opposite(dir), async () => {
          back?.write(frame.wire);
        });
        return;
      }
      case 'moveTo': {
        // The target session takes the frame in place of its own first record of `dir` (its splice
        // gate, below): whichever session is ahead, the moved record is what the target's receiver
        // opens first, never a late arrival after that receiver has closed.
        this.relay.splice(action.session, dir, frame.wire);
        return this.cut();
      }
      default: {
        const never: never = action;
        throw new Error(`unknown action ${String(never)}`);
      }
    }
  }

  /** Queues bytes for `dir` (a recorded frame may still be on its way: the queue waits for it, order kept). */
  private forward(dir: Direction, wire: Buffer | Promise<Buffer>, name: FrameName): void {
    if (this.cutOff) return;
    const sock = this.socketFor(dir);
    if (name === 'record') this.deliverSplice(dir);
    const held = this.held[dir];
    this.held[dir] = undefined;
    this.enqueue(dir, async () => {
      const bytes = await wire;
      sock?.write(bytes);
      if (held) sock?.write(held);
    });
  }

  /**
   * Where a `moveTo` of the script targets this session's `dir`: writes the moved frame (once it
   * has come, or nothing once its session ended without one) before what is queued next. Called
   * before this session's first own record of `dir`, and before its sender's FIN when it has none.
   */
  private deliverSplice(dir: Direction): void {
    const gate = this.relay.spliceGate(this.index, dir);
    if (!gate || gate.consumed) return;
    gate.consumed = true;
    const sock = this.socketFor(dir);
    this.enqueue(dir, async () => {
      const wire = await gate.frame;
      if (wire === undefined) return;
      this.relay.logEntry({ session: this.index, dir, bytes: wire.length, action: 'spliced in a frame from another session' });
      sock?.write(wire);
    });
  }

  private enqueue(dir: Direction, job: () => Promise<void>): void {
    this.queues[dir] = this.queues[dir].then(job).catch(() => undefined);
  }

  /** Ends both legs (FIN) and forwards nothing more. */
  cut(): void {
    if (this.cutOff) return;
    this.cutOff = true;
    this.relay.logEntry({ session: this.index, action: 'both legs ended by the relay' });
    for (const dir of ['i2r', 'r2i'] as const) {
      const sock = this.socketFor(dir);
      this.enqueue(dir, async () => {
        sock?.end();
      });
    }
  }
}

export class Relay {
  readonly sessions: RelaySession[] = [];
  readonly log: RelayLogEntry[] = [];
  readonly frames: RecordedFrame[] = [];
  readonly chains: ChainTable;
  private readonly legs = new Set<Leg>();
  private sessionWaiters: Array<() => void> = [];
  /** One per `moveTo` of the script, keyed by target session and direction. */
  private readonly spliceGates = new Map<string, SpliceGate>();

  private constructor(
    private readonly server: net.Server,
    readonly options: RelayOptions,
  ) {
    this.chains = options.chains ?? {};
    for (const rule of options.script) {
      if (rule.action.do !== 'moveTo') continue;
      let resolve!: (wire: Buffer | undefined) => void;
      const frame = new Promise<Buffer | undefined>((r) => (resolve = r));
      this.spliceGates.set(`${rule.action.session}:${rule.match.dir}`, { from: rule.match.session ?? 0, frame, resolve, consumed: false });
    }
  }

  /** The splice gate of session `index`'s `dir`, if the script moves a frame there. */
  spliceGate(index: number, dir: Direction): SpliceGate | undefined {
    return this.spliceGates.get(`${index}:${dir}`);
  }

  /** A `moveTo`: `wire`, taken out of its session, goes into session `to`'s `dir` (see deliverSplice). */
  splice(to: number, dir: Direction, wire: Buffer): void {
    // Every moveTo of the script has its gate (constructor).
    this.spliceGates.get(`${to}:${dir}`)!.resolve(wire);
  }

  static async start(options: RelayOptions): Promise<Relay> {
    const server = net.createServer();
    const relay = new Relay(server, options);
    server.on('connection', (down) => relay.accept(down));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => resolve());
    });
    return relay;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { host: this.options.listen.host, port: a.port };
  }

  private track(leg: Leg): Leg {
    this.legs.add(leg);
    leg.socket.on('close', () => this.legs.delete(leg));
    return leg;
  }

  private accept(down: net.Socket): void {
    const up = this.track(new Leg(net.connect(this.options.target.port, this.options.target.host), 'connected'));
    const session = new RelaySession(this.sessions.length, this, this.track(new Leg(down, 'accepted')), up);
    this.sessions.push(session);
    void session.closed.then(() => {
      for (const gate of this.spliceGates.values()) if (gate.from === session.index) gate.resolve(undefined);
    });
    this.logEntry({ session: session.index, action: 'initiator connected; the relay connected to its target' });
    const w = this.sessionWaiters;
    this.sessionWaiters = [];
    for (const f of w) f();
  }

  /** Resolves once session `n` exists. */
  async session(n: number): Promise<RelaySession> {
    while (!this.sessions[n]) await new Promise<void>((resolve) => this.sessionWaiters.push(resolve));
    return this.sessions[n]!;
  }

  actionFor(m: Required<FrameMatch>): Action | undefined {
    for (const r of this.options.script) {
      const x = r.match;
      if ((x.session ?? 0) === m.session && x.dir === m.dir && x.frame === m.frame && (x.nth ?? 0) === m.nth) return r.action;
    }
    return undefined;
  }

  private recordWaiters: Array<() => void> = [];

  record(f: RecordedFrame): void {
    this.frames.push(f);
    const w = this.recordWaiters;
    this.recordWaiters = [];
    for (const g of w) g();
  }

  private findRecorded(ref: FrameMatch): RecordedFrame | undefined {
    return this.frames.find((x) => x.session === (ref.session ?? 0) && x.dir === ref.dir && x.frame === ref.frame && x.nth === (ref.nth ?? 0));
  }

  /** The bytes of a recorded frame, once it has been seen (a concurrent session's frame may come later). */
  async awaitRecorded(ref: FrameMatch): Promise<Buffer> {
    let f = this.findRecorded(ref);
    while (!f) {
      await new Promise<void>((resolve) => this.recordWaiters.push(resolve));
      f = this.findRecorded(ref);
    }
    return f.wire;
  }

  logEntry(e: RelayLogEntry): void {
    this.log.push(e);
  }

  /**
   * The attacker's own connection to the target, replaying the initiator's side of a recorded
   * session flight by flight: Hello_I; once the responder's three handshake frames came, the rest
   * (CV_I, Fin_I, records); then FIN. Resolves when the responder's side has closed.
   */
  async replayInitiator(fromSession: number): Promise<RelaySession> {
    const flight = this.frames.filter((f) => f.session === fromSession && f.dir === 'i2r' && f.frame !== 'alert');
    if (flight.length === 0) throw new Error(`nothing recorded from session ${fromSession}`);
    const up = this.track(new Leg(net.connect(this.options.target.port, this.options.target.host), 'connected'));
    const session = new RelaySession(this.sessions.length, this, undefined, up);
    this.sessions.push(session);
    this.logEntry({ session: session.index, action: `the relay connected to the responder itself, replaying session ${fromSession}'s initiator frames` });
    const send = (f: RecordedFrame): void => {
      this.logEntry({ session: session.index, dir: 'i2r', frame: `${f.frame} (replayed)`, bytes: f.wire.length, action: `replay of session ${fromSession} ${f.frame}` });
      up.write(f.wire);
    };
    send(flight[0]!);
    const decoder = new FrameDecoder();
    let received = 0;
    up.socket.on('data', (chunk: Buffer) => {
      let frames: Frame[] = [];
      try {
        frames = decoder.push(chunk);
      } catch {
        up.destroy();
        return;
      }
      for (const f of frames) {
        const name: string = f.type === FrameType.Record ? 'record' : summarize(f).startsWith('Alert') ? 'alert' : (HANDSHAKE_ORDER.r2i[received] ?? 'Hello_R');
        this.logEntry({ session: session.index, dir: 'r2i', frame: name, bytes: f.wire.length, summary: summarize(f), action: 'received by the relay' });
        if (name === 'alert') continue;
        if (f.type !== FrameType.Record && ++received === 3) {
          for (const g of flight.slice(1)) send(g);
          up.end();
        }
      }
    });
    up.socket.on('end', () => up.end());
    await session.closed;
    return session;
  }

  /** Stops listening and ends every leg still open. */
  async close(): Promise<void> {
    for (const gate of this.spliceGates.values()) gate.resolve(undefined);
    for (const leg of this.legs) leg.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
