// A recording TCP relay for interop checks that look at the wire: it forwards every connection
// to the target and keeps each connection's bytes per direction, so a check can decode the frames
// a reference UA really sent (src/run/keylog-check.ts, src/run/ua-checks.ts). It also keeps each
// connection's events in order (chunks, FIN, reset, both directions), from which src/capture
// synthesises the case's packet capture: Nagle off on both legs and each chunk forwarded as one
// write, so chunk boundaries survive the relay as well as TCP allows.
import net from 'node:net';
import type { TcpEvent } from '../capture/pcap.js';

export interface CapturedConnection {
  /** Initiator to responder (what the relay's client sent). */
  i2r: Buffer[];
  /** Responder to initiator. */
  r2i: Buffer[];
  /** Everything both ends did, in the order the relay saw it; client = the initiator. */
  events: TcpEvent[];
}

export interface RecordingRelay {
  port: number;
  connections: CapturedConnection[];
  /** Resolves once `n` relayed connections have closed on both legs. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `onConnection`: told of each connection as it is accepted (several relays' connections put in one order). */
export async function recordingRelay(host: string, target: { address: string; port: number }, onConnection?: (c: CapturedConnection) => void): Promise<RecordingRelay> {
  const connections: CapturedConnection[] = [];
  let closedCount = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const captured: CapturedConnection = { i2r: [], r2i: [], events: [] };
    connections.push(captured);
    onConnection?.(captured);
    const upstream = net.connect(target.port, target.address);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const ended = { client: false, server: false };
    const recordClose = (from: 'client' | 'server', hadError: boolean): void => {
      // A socket that closes without having sent FIN was reset (or failed): nothing more flows.
      if (!ended[from] && hadError && !captured.events.some((e) => e.kind === 'rst')) captured.events.push({ from, kind: 'rst' });
    };
    let legsClosed = 0;
    const legClosed = (): void => {
      if (++legsClosed !== 2) return;
      closedCount++;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    client.on('data', (b: Buffer) => {
      captured.i2r.push(b);
      captured.events.push({ from: 'client', kind: 'data', bytes: b });
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      captured.r2i.push(b);
      captured.events.push({ from: 'server', kind: 'data', bytes: b });
      client.write(b);
    });
    client.on('end', () => {
      ended.client = true;
      captured.events.push({ from: 'client', kind: 'fin' });
      upstream.end();
    });
    upstream.on('end', () => {
      ended.server = true;
      captured.events.push({ from: 'server', kind: 'fin' });
      client.end();
    });
    client.on('close', (hadError: boolean) => {
      recordClose('client', hadError);
      legClosed();
    });
    upstream.on('close', (hadError: boolean) => {
      recordClose('server', hadError);
      legClosed();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    async closed(n: number): Promise<void> {
      while (closedCount < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    // Both legs are cut too: a relay must not keep a case's connections alive after it ends.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
