// Captures of the irp suite (issue 11: "a capture of each TCP connection the bench's side took
// part in ... beside it, the case's key log"). A recorded case sees an environment in which every
// TCP connection to a registry (the run's stub, a stub the case starts, a fake registry of its own)
// goes through a recording relay, and every TLS socket the bench opens hands its secrets (NSS
// SSLKEYLOGFILE lines, node:tls's `keylog` event) to the case's TLS key log. Raw connections are
// recorded as they are, garbage included. What the run opened before the case (the slots' own
// registry connections, the run's enrolments) is not the case's and is not recorded.
import type { IrpServer } from '../irp/server.js';
import { IRP_DEFAULT_PORT } from '../irp/config.js';
import type { CaseWire } from './captures.js';
import type { CaseEnvironment } from './environment.js';
import { recordingRelay, type CapturedConnection, type RecordingRelay } from './relay.js';

/** How long a recorded case waits, once its check is done, for its connections to finish closing. */
export const IRP_CAPTURE_SETTLE_MS = 1_000;

export class IrpWireRecorder {
  /** Relay ports by the registry port they forward to. */
  private readonly relays = new Map<number, Promise<RecordingRelay>>();
  private readonly relayPorts = new Set<number>();
  /** Every relayed connection, in the order accepted (whichever relay). */
  private readonly connections: CapturedConnection[] = [];
  private readonly keyLogLines: string[] = [];

  constructor(private readonly env: CaseEnvironment) {}

  readonly onTlsKeyLog = (line: Buffer): void => {
    this.keyLogLines.push(line.toString('latin1'));
  };

  /** The port to connect to instead of `port` (a port that already is a relay's is kept). */
  async via(port: number): Promise<number> {
    if (this.relayPorts.has(port)) return port;
    let relay = this.relays.get(port);
    if (!relay) {
      relay = recordingRelay(this.env.host, { address: this.env.host, port }, (c) => this.connections.push(c)).then((r) => {
        this.relayPorts.add(r.port);
        return this.env.scope.adopt('a recording relay in front of a registry', r, (x) => x.close());
      });
      this.relays.set(port, relay);
    }
    return (await relay).port;
  }

  /** The case's environment with every registry connection recorded. */
  async environment(): Promise<CaseEnvironment> {
    const env = this.env;
    const recorded = Object.create(env) as CaseEnvironment;
    const behind = (stub: IrpServer, port: number): IrpServer =>
      new Proxy(stub, { get: (target, key) => (key === 'port' ? port : Reflect.get(target, key, target) as unknown) });
    Object.defineProperty(recorded, 'stub', { value: behind(env.stub, await this.via(env.stub.port)) });
    recorded.connectRegistry = async (port, options = {}) => env.connectRegistry(await this.via(port ?? env.stub.port), { onTlsKeyLog: this.onTlsKeyLog, ...options });
    recorded.startStub = async (options) => {
      const stub = await env.startStub(options);
      return behind(stub, await this.via(stub.port));
    };
    Object.defineProperty(recorded, 'irpTlsKeyLog', { value: this.onTlsKeyLog });
    return recorded;
  }

  /** What the case recorded: leg `irp`, server port 4604, once its connections closed (or the settle time ran out). */
  async wire(settleMs = IRP_CAPTURE_SETTLE_MS): Promise<CaseWire> {
    const relays = await Promise.all(this.relays.values());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, settleMs)));
    await Promise.race([Promise.all(relays.map((r) => r.closed(r.connections.length))), late]);
    clearTimeout(timer);
    // A connection still open now is cut, and recorded as far as it got.
    await Promise.all(relays.map((r) => r.close()));
    return {
      legs: [{ name: 'irp', connections: this.connections.map((c) => ({ events: [...c.events], serverPort: IRP_DEFAULT_PORT })) }],
      keyLogs: [],
      tlsKeyLogs: [this.keyLogLines.join('')],
    };
  }
}
