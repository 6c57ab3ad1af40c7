// Signed IRP look-ups per second over ONE TLS connection (never a timed test; run by
// src/bench/main.ts). An in-process stub on loopback; one user enrolled and registered; then the
// client keeps PIPELINE look-ups outstanding on the one connection (IRP-FRAME-4 allows it) until
// LOOKUPS have been answered. Every answer is fully verified by the client (registry signature,
// record decoding, the user's certificate chain), so the figure is what a User Agent gets.
import { generateKeyPairSync } from 'node:crypto';
import { IrpClient } from '../irp/client.js';
import { IrpServer } from '../irp/server.js';
import { createCsr } from '../pki/csr.js';

export interface IrpBenchOptions {
  lookups?: number;
  /** Look-ups kept in flight on the connection; 1 means strictly sequential. */
  pipeline?: number;
  log?: (line: string) => void;
}

export interface IrpBenchResult {
  lookupsPerSecond: number;
  lookups: number;
  pipeline: number;
}

export async function benchIrpLookups(opts: IrpBenchOptions = {}): Promise<IrpBenchResult> {
  const lookups = opts.lookups ?? 20_000;
  const pipeline = opts.pipeline ?? 32;
  const userId = 'alice@example.com';
  const server = await IrpServer.start({ host: '127.0.0.1', port: 0, seed: 'bench-irp', accounts: [{ userId, password: 'bench' }] });
  const client = await IrpClient.connect({ host: '127.0.0.1', port: server.port, caCertificates: [server.rootCertificatePem] });
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await client.login(userId, 'bench');
    const chain = await client.enroll(createCsr(privateKey, userId));
    await client.authenticate(userId, chain, privateKey);
    await client.register('::1', 4605);

    // Warm-up: the registry certificate check, parser caches and JIT.
    for (let i = 0; i < 500; i++) await client.lookup(userId);

    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < lookups) {
        started++;
        await client.lookup(userId);
      }
    };
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: pipeline }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const lookupsPerSecond = lookups / seconds;
    opts.log?.(`${lookups} verified look-ups, ${pipeline} in flight on one TLS connection: ${lookupsPerSecond.toFixed(0)}/s`);
    return { lookupsPerSecond, lookups, pipeline };
  } finally {
    await client.close();
    await server.close();
  }
}
