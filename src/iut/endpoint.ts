// Endpoint mode (issue 8 §2, testssl.sh and tlsfuzzer's host:port): a User Agent that is already
// listening and that the bench cannot start. Only responder-side cases apply, at level 1 (the bench
// sees only the wire); every case connects to the same address.
import type { ImplementationUnderTest, IutExit, IutInstance } from './door.js';

export function endpointImplementation(e: { host: string; port: number; userId: string; anchors: Buffer[] }): ImplementationUnderTest {
  return {
    name: `endpoint ${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`,
    version: 'unknown',
    capabilities: {
      roles: ['responder'],
      versions: ['1.0'],
      methods: ['x25519', 'p256'],
      ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'],
      signatureAlgorithms: [],
      level: 1,
      keyLog: false,
      irpEnrolment: false,
    },
    command: [`--iut-endpoint ${e.host}:${e.port}`],
    endpoint: e,
    start: async (request): Promise<IutInstance> => {
      if (request.role !== 'responder') throw new Error('an endpoint can only be a responder');
      let stopped!: (exit: IutExit) => void;
      const exited = new Promise<IutExit>((resolve) => (stopped = resolve));
      return {
        listening: { host: e.host, port: e.port },
        onEvent: () => undefined,
        exited,
        stop: async () => {
          const exit: IutExit = { how: 'exited', reason: 'an endpoint is not stopped by the bench' };
          stopped(exit);
          return exit;
        },
      };
    },
  };
}
