// A recording TCP relay for interop checks that look at the wire: it forwards every connection
// to the target and keeps each connection's bytes per direction, so a check can decode the frames
// a reference UA really sent (src/run/keylog-check.ts, src/run/ua-checks.ts).
import net from 'node:net';

export interface CapturedConnection {
  /** Initiator to responder (what the relay's client sent). */
  i2r: Buffer[];
  /** Responder to initiator. */
  r2i: Buffer[];
}

export interface RecordingRelay {
  port: number;
  connections: CapturedConnection[];
  /** Resolves once `n` relayed connections have closed on both legs. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function recordingRelay(host: string, target: { address: string; port: number }): Promise<RecordingRelay> {
  const connections: CapturedConnection[] = [];
  let closedCount = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const captured: CapturedConnection = { i2r: [], r2i: [] };
    connections.push(captured);
    const upstream = net.connect(target.port, target.address);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
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
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      captured.r2i.push(b);
      client.write(b);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', legClosed);
    upstream.on('close', legClosed);
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
