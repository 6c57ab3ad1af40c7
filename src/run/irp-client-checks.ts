// The irp suite's checks of the IRP client (src/irp/client.ts) against a scripted fake registry:
// a TLS server with the registry's real TLS certificate that answers each request as the check
// says (an unknown error code, another id, the wrong root, no Version 1, another domain) and
// records which requests reached it and whether the client closed the connection.
import tls from 'node:tls';
import { IrpClient, IrpError } from '../irp/client.js';
import { toPem } from '../pki/cert-builder.js';
import { decodeIrpRequest, IRP_NAMESPACE, IRP_OPERATIONS } from '../protocol/irp-messages.js';
import { encodeFrame, FrameDecoder, FrameType } from '../protocol/frame.js';
import type { CaseEnvironment } from './environment.js';
import { irpOutcome as code } from './irp-outcome.js';

interface ClientCheckResult {
  observed: Record<string, unknown>;
  mismatches: string[];
}

const NS = `xmlns="${IRP_NAMESPACE}"`;

/** Answers one request (root name and id) with XML, or null to stay silent. */
type Script = (root: string, id: string) => string | null;

function capabilitiesXml(id: string, domain: string, version = 1): string {
  return `<Capabilities ${NS} id="${id}">${IRP_OPERATIONS.map((o) => `<Operation>${o}</Operation>`).join('')}<Version>${version}</Version><Domain>${domain}</Domain></Capabilities>`;
}

async function withFakeRegistry<T>(env: CaseEnvironment, script: Script, body: (connect: () => Promise<IrpClient>, seen: { requests: string[]; closedByClient: Promise<void> }) => Promise<T>): Promise<T> {
  const requests: string[] = [];
  let closed!: () => void;
  const closedByClient = new Promise<void>((resolve) => (closed = resolve));
  const server = tls.createServer({
    key: env.pki.irpTls.privateKey.export({ format: 'pem', type: 'pkcs8' }),
    cert: env.pki.irpTls.chain.map((der) => toPem(der)).join(''),
    minVersion: 'TLSv1.2',
  });
  server.on('secureConnection', (socket) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const request = decodeIrpRequest(frame.payload);
        const root = request.kind === 'Unknown' ? request.name : request.kind;
        const id = request.id ?? '';
        requests.push(root);
        const answer = script(root, id);
        if (answer !== null) socket.write(encodeFrame(FrameType.Plaintext, Buffer.from(answer, 'utf8')));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      closed();
    });
    sockets.add(socket);
  });
  const sockets = new Set<tls.TLSSocket>();
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  env.scope.adopt('a fake registry', server, stop);
  await new Promise<void>((resolve) => server.listen(0, env.host, resolve));
  const port = (server.address() as { port: number }).port;
  const connect = (): Promise<IrpClient> => env.connectRegistry(port);
  try {
    // Not every check awaits closedByClient: its rejection when the case ends must not go unhandled.
    const closedOrEnded = env.scope.wait(closedByClient, 'the client to close its connection');
    closedOrEnded.catch(() => undefined);
    return await body(connect, { requests, closedByClient: closedOrEnded });
  } finally {
    await stop();
  }
}


export const CLIENT_CHECKS = {
  /** IRP-FRAME-7: an Error code outside the table is treated like `internal`. */
  async 'client-unknown-error-code'({ env }: { env: CaseEnvironment }): Promise<ClientCheckResult> {
    const script: Script = (root, id) =>
      root === 'CapabilitiesRequest' ? capabilitiesXml(id, env.pki.domain) : `<Error ${NS} id="${id}" code="no_such_code_in_the_table">whatever</Error>`;
    const observed = await withFakeRegistry(env, script, async (connect) => {
      const client = await connect();
      try {
        return { login: await code(client.login(env.userId('irp-a'), env.password)) };
      } finally {
        await client.close().catch(() => undefined);
      }
    });
    const mismatches: string[] = [];
    if (observed.login !== 'internal') mismatches.push(`Login answered with an unknown Error code: expected the client to report internal, got ${observed.login}`);
    return { observed, mismatches };
  },

  /** IRP-FRAME-8: an answer with another id, or with a root other than the operation's response or Error: a failed operation, and the client closes the connection. */
  async 'client-bad-answers'({ env }: { env: CaseEnvironment }): Promise<ClientCheckResult> {
    const answers: Record<string, (id: string) => string> = {
      'another id': () => `<LoggedIn ${NS} id="not-the-request" user="${env.userId('irp-a')}"/>`,
      'another root': (id) => `<Registered ${NS} id="${id}" timestamp="2026-11-26T19:00:00Z"/>`,
      'an answer that does not decode': () => `<LoggedIn ${NS} id="`,
    };
    const observed: Record<string, unknown> = {};
    const mismatches: string[] = [];
    for (const [what, answer] of Object.entries(answers)) {
      const script: Script = (root, id) => (root === 'CapabilitiesRequest' ? capabilitiesXml(id, env.pki.domain) : answer(id));
      observed[what] = await withFakeRegistry(env, script, async (connect, seen) => {
        const client = await connect();
        const login = await code(client.login(env.userId('irp-a'), env.password));
        // The client must close on its own; the check waits for it (the case's time limit bounds the wait).
        await seen.closedByClient;
        const afterwards = await code(client.lookup(env.userId('irp-a')));
        await client.close().catch(() => undefined);
        return { login, closedByClient: true, afterwards, requests: [...seen.requests] };
      });
      const o = observed[what] as { login: string; afterwards: string; requests: string[] };
      if (o.login !== 'bad_response') mismatches.push(`Login answered with ${what}: expected bad_response, got ${o.login}`);
      if (o.afterwards === 'ok') mismatches.push(`after ${what}, a later request still succeeded`);
      if (o.requests.length !== 2) mismatches.push(`after ${what}: expected no request after Login, the registry saw ${o.requests.join(', ')}`);
    }
    return { observed, mismatches };
  },

  /** IRP-CAP-2: a registry that does not list Version 1: the client closes without further requests. */
  async 'client-capabilities-version'({ env }: { env: CaseEnvironment }): Promise<ClientCheckResult> {
    const script: Script = (root, id) => (root === 'CapabilitiesRequest' ? capabilitiesXml(id, env.pki.domain, 2) : `<Error ${NS} id="${id}" code="internal"/>`);
    const observed = await withFakeRegistry(env, script, async (connect, seen) => {
      const connected = await code(connect().then((c) => c.close()));
      await seen.closedByClient;
      return { connected, requests: [...seen.requests] };
    });
    const mismatches: string[] = [];
    if (observed.connected !== 'unsupported_registry') mismatches.push(`a registry without Version 1: expected unsupported_registry, got ${observed.connected}`);
    if (observed.requests.join(',') !== 'CapabilitiesRequest') mismatches.push(`requests after Capabilities: expected none, got ${observed.requests.join(', ')}`);
    return { observed, mismatches };
  },

  /** IRP-CAP-2: a registry that does not list the domain of the user acted on: the client closes without the request. */
  async 'client-capabilities-domain'({ env }: { env: CaseEnvironment }): Promise<ClientCheckResult> {
    // The real registry's CaCertificates, so that nothing but the domain keeps the client from its Lookup.
    const real = await env.connectRegistry();
    const ca = await real.caCertificates().finally(() => real.close().catch(() => undefined));
    const caXml = (id: string): string => `<CaCertificates ${NS} id="${id}">${ca.map((c) => `<Certificate role="${c.role}">${c.der.toString('base64')}</Certificate>`).join('')}</CaCertificates>`;
    const script: Script = (root, id) =>
      root === 'CapabilitiesRequest' ? capabilitiesXml(id, 'another-domain.example') : root === 'CaCertificatesRequest' ? caXml(id) : `<Error ${NS} id="${id}" code="not_found"/>`;
    const observed = await withFakeRegistry(env, script, async (connect, seen) => {
      let lookup = 'not connected';
      try {
        const client = await connect();
        lookup = await code(client.lookup(env.userId('irp-a')));
        await client.close().catch(() => undefined);
      } catch (err) {
        if (!(err instanceof IrpError)) throw err;
        lookup = `connect: ${err.code}`;
      }
      await seen.closedByClient;
      return { lookup, requests: [...seen.requests] };
    });
    const mismatches: string[] = [];
    if (observed.requests.includes('Lookup')) mismatches.push(`a registry that does not serve ${env.pki.domain}: expected no Lookup for a user of it, got requests ${observed.requests.join(', ')}`);
    return { observed, mismatches };
  },
};
