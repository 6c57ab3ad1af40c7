// The reference User Agent (src/ua/agent.ts) through the door of src/iut/door.ts, in-process: the
// implementation the bench uses for itself, and the model every other implementation is judged
// against. It implements the whole contract: level 1 (the echo responder, the scripted initiator),
// level 2 (every UA event), level 3 (control), the key log, and the reference-only knobs.
import { irpDirectory, UserAgent, HandshakeFailedError, type PeerDirectory, type UaConnection } from '../ua/agent.js';
import { IrpClient } from '../irp/client.js';
import { parseBugs, KNOBS } from '../protocol/bugs.js';
import type { UaEvent } from '../ua/events.js';
import type { ImplementationUnderTest, IutCapabilities, IutControl, IutExit, IutInstance, IutStartRequest } from './door.js';

export const REFERENCE_NAME = 'sixbench-reference-in-process';

/** What the reference declares: everything the protocol has. */
export const REFERENCE_CAPABILITIES: IutCapabilities = {
  roles: ['initiator', 'responder'],
  versions: ['1.0', '0.9'],
  methods: ['x25519', 'p256', 'rsa-oaep'],
  ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'],
  signatureAlgorithms: ['ecdsa-p256-sha256', 'rsa-pss-sha256'],
  level: 3,
  keyLog: true,
  irpEnrolment: false,
};

/**
 * Replays every event since the start to each listener added later, then passes new ones on: a
 * caller that attaches after start() (always, since start() returns the instance) misses nothing.
 */
export class EventFanOut {
  private readonly seen: UaEvent[] = [];
  private readonly listeners: Array<(ev: UaEvent) => void> = [];
  readonly emit = (ev: UaEvent): void => {
    this.seen.push(ev);
    for (const l of [...this.listeners]) l(ev);
  };
  add(listener: (ev: UaEvent) => void): void {
    for (const ev of this.seen) listener(ev);
    this.listeners.push(listener);
  }
}

/** A directory for status only, from the registry the bench names (no look-ups: the bench gives addresses). */
async function registryDirectory(request: IutStartRequest): Promise<{ directory: PeerDirectory | undefined; client: IrpClient | undefined }> {
  const r = request.registry;
  if (!r) return { directory: undefined, client: undefined };
  const now = request.now;
  const client = await IrpClient.connect({ host: r.host, port: r.port, caCertificates: r.ca, ...(now ? { now: () => now.getTime() } : {}) });
  return { directory: irpDirectory(client), client };
}

export interface ReferenceOptions {
  /** Overrides for tests (e.g. a capability set narrower than the reference's). */
  capabilities?: Partial<IutCapabilities>;
  handshakeTimeoutMs?: number;
  /** Another name (two references side by side in a matrix). */
  name?: string;
  /** Knobs set on every start, besides the request's (the reference as a misbehaving IUT). */
  knobs?: string[];
}

export function referenceImplementation(options: ReferenceOptions = {}): ImplementationUnderTest {
  return {
    name: options.name ?? REFERENCE_NAME,
    version: process.env.npm_package_version ?? '0',
    capabilities: { ...REFERENCE_CAPABILITIES, ...options.capabilities },
    command: 'in-process',
    start: (request, signal) => startReference(request, signal, options),
  };
}

/** One started reference UA for one case. Also used by `sixbench shim` (src/cli/shim.ts). */
export async function startReference(request: IutStartRequest, signal: AbortSignal, options: ReferenceOptions = {}): Promise<IutInstance> {
  if (signal.aborted) throw new Error('aborted before the start');
  const knobs = [...(request.knobs ?? []), ...(options.knobs ?? [])];
  for (const k of knobs) if (!KNOBS.some((x) => x.id === k)) throw new Error(`unknown knob ${k}`);
  const events = new EventFanOut();
  const { directory, client } = await registryDirectory(request);
  const fixedNow = request.now;
  const c = request.credentials;
  const agent = new UserAgent({
    identity: { userId: c.userId, privateKey: c.privateKey, chain: c.chain, trustAnchors: c.trustAnchors },
    ...(directory ? { directory } : {}),
    ...(request.versions ? { versions: request.versions } : {}),
    ...(request.methods ? { methods: request.methods } : {}),
    ...(request.ciphers ? { ciphers: request.ciphers } : {}),
    ...(request.keyLogFile ? { keyLogFile: request.keyLogFile } : {}),
    ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    bugs: parseBugs(knobs),
    seed: request.seed,
    ...(fixedNow ? { now: () => fixedNow } : {}),
    onEvent: events.emit,
  });
  const drive = request.drive ?? 'script';
  let current: UaConnection | undefined;
  let resolveExit!: (e: IutExit) => void;
  const exited = new Promise<IutExit>((resolve) => (resolveExit = resolve));
  let ended: IutExit | undefined;
  const end = async (exit: IutExit): Promise<IutExit> => {
    if (ended) return ended;
    ended = exit;
    await agent.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    resolveExit(exit);
    return exit;
  };

  let listening: { host: string; port: number } | undefined;
  if (request.role === 'responder') {
    if (!request.listen) throw new Error('a responder needs a listen address');
    agent.onConnection((conn) => {
      current = conn;
      if (drive === 'script') {
        conn.on('message', (m: { text: string }) => {
          // The connection can end between the Message and its echo (a record after it failed in
          // the same read, found by the relay suite): the echo is then not sent, never a throw.
          if (!conn.connected) return;
          try {
            conn.sendText(m.text);
          } catch {
            // closed meanwhile: its events say why
          }
        });
      }
    });
    const a = await agent.listen({ host: request.listen.host, port: request.listen.port });
    listening = { host: a.address, port: a.port };
  } else {
    const target = request.connect;
    if (!target) throw new Error('an initiator needs an address to connect to');
    void (async () => {
      try {
        const conn = await agent.connectTo({ address: target.host, port: target.port, peerUserId: target.peerUserId, ...(target.peerChain ? { peerCertificates: target.peerChain } : {}) });
        current = conn;
        if (drive === 'script') {
          for (const text of request.messages ?? []) await conn.sendAndConfirm(text);
          await conn.close();
          await end({ how: 'exited', code: 0 });
        } else {
          await conn.closed;
          await end({ how: 'exited', code: 0 });
        }
      } catch (err) {
        // A refused handshake is an ordinary end for a UA (its events say why); anything else is exit 1.
        await end({ how: 'exited', code: err instanceof HandshakeFailedError ? 0 : 1, reason: (err as Error).message });
      }
    })();
  }
  const onAbort = (): void => void end({ how: 'killed', reason: 'the case was aborted' });
  signal.addEventListener('abort', onAbort, { once: true });

  const usable = (): UaConnection => {
    if (!current || !current.connected) throw new Error('no connected session to command');
    return current;
  };
  const control: IutControl = {
    send: (text) => void usable().sendText(text),
    ping: () => void usable().ping(),
    keyUpdate: (request) => usable().keyUpdate(request),
    close: () => void usable().close(),
  };
  return {
    ...(listening ? { listening } : {}),
    onEvent: (listener) => events.add(listener),
    control,
    exited,
    stop: () => {
      signal.removeEventListener('abort', onAbort);
      return end({ how: 'killed', reason: 'stopped by the bench' });
    },
  };
}
