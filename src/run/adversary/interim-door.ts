// The in-process reference behind the door contract of src/iut/door.ts, for the adversary's cases
// until the adapter's own reference door (issue 8) is merged: the reference UserAgent, started for
// one case in one role, with the credentials the bench issued; with the run's registry only when the
// request names it (status, look-ups), and its clock at the PKI's reference time. The cases never construct a UA.
import { HandshakeFailedError, UserAgent, type PeerDirectory, type UaConnection } from '../../ua/agent.js';
import { parseBugs } from '../../protocol/bugs.js';
import type { ImplementationUnderTest, IutExit, IutInstance, IutStartRequest } from '../../iut/door.js';

export interface ReferenceDoorOptions {
  knobs?: string[];
  /** The registry client of a user of the run, for a start request that names the registry (status and look-ups). */
  directoryFor?: (userId: string, registry: { host: string; port: number }) => PeerDirectory | undefined;
}

export function inProcessReference(opts: ReferenceDoorOptions = {}): ImplementationUnderTest {
  return {
    name: opts.knobs?.length ? `sixbench reference with ${opts.knobs.join(', ')}` : 'sixbench reference',
    version: 'in-process',
    command: 'in-process',
    capabilities: {
      roles: ['initiator', 'responder'],
      versions: ['1.0', '0.9'],
      methods: ['x25519', 'p256', 'rsa-oaep'],
      ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'],
      signatureAlgorithms: ['ecdsa-p256-sha256', 'ed25519', 'rsa-pss-sha256'],
      level: 3,
      keyLog: true,
      irpEnrolment: false,
    },
    async start(request: IutStartRequest): Promise<IutInstance> {
      const c = request.credentials;
      const connections = new Set<UaConnection>();
      const directory = request.registry ? opts.directoryFor?.(c.userId, request.registry) : undefined;
      const agent = new UserAgent({
        ...(directory ? { directory } : {}),
        identity: { userId: c.userId, privateKey: c.privateKey, chain: c.chain, trustAnchors: c.trustAnchors },
        ...(request.versions ? { versions: request.versions } : {}),
        ...(request.methods ? { methods: request.methods } : {}),
        ...(request.ciphers ? { ciphers: request.ciphers } : {}),
        bugs: parseBugs([...(request.knobs ?? []), ...(opts.knobs ?? [])]),
        seed: request.seed,
        closeTimeoutMs: 500,
        ...(request.now ? { now: () => request.now! } : {}),
      });
      agent.onConnection((conn) => connections.add(conn));
      let resolveExit!: (e: IutExit) => void;
      const exited = new Promise<IutExit>((r) => (resolveExit = r));
      let listening: { host: string; port: number } | undefined;
      if (request.role === 'responder') {
        const at = await agent.listen({ host: request.listen?.host ?? '::1', port: request.listen?.port ?? 0 });
        listening = { host: at.address, port: at.port };
      } else if (request.connect) {
        const target = request.connect;
        void (directory ? agent.connect(target.peerUserId) : agent.connectTo({ address: target.host, port: target.port, peerUserId: target.peerUserId }))
          .then((conn) => {
            connections.add(conn);
            for (const text of request.messages ?? []) conn.sendText(text);
          })
          .catch((err: unknown) => {
            if (!(err instanceof HandshakeFailedError)) return;
          });
      }
      let stopped = false;
      const stop = async (): Promise<IutExit> => {
        if (!stopped) {
          stopped = true;
          for (const conn of connections) conn.abort();
          await agent.close().catch(() => undefined);
          resolveExit({ how: 'killed' });
        }
        return exited;
      };
      return {
        ...(listening ? { listening } : {}),
        onEvent: () => undefined,
        exited,
        stop,
      };
    },
  };
}
