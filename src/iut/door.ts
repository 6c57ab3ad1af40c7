// The door every implementation comes through (issue 8, docs/adapter.md "adapter profile 1"): the
// reference User Agent in-process, the reference as a command, or any third-party implementation
// under test (IUT) started from its iut.json. The suites (interop, knobs turned around,
// certificates, the adversarial peer, the relay) bring up "the implementation" for a role through
// an ImplementationUnderTest and observe it through an IutInstance; none of them knows which kind
// it has. Capabilities decide what a case may ask of it: a case needing more is a skip naming the
// missing capability, never a failure.
import type { KeyObject } from 'node:crypto';
import type { UaEvent } from '../ua/events.js';

export type IutRole = 'initiator' | 'responder';

/**
 * What an implementation declares it can do (iut.json `capabilities`). Levels are cumulative:
 * 1 wire only (echo responder, scripted initiator), 2 JSON-lines events (docs/events.md),
 * 3 control commands on standard input (send, keyupdate, ping, close).
 */
export interface IutCapabilities {
  roles: IutRole[];
  versions: string[];
  methods: string[];
  ciphers: string[];
  signatureAlgorithms: string[];
  level: 1 | 2 | 3;
  keyLog: boolean;
  /** It enrols itself with the IRP stub (else the bench issues its credentials). */
  irpEnrolment: boolean;
}

/** The credentials the bench issued for one case: in memory, and as PEM files in the case directory. */
export interface IutCredentials {
  userId: string;
  privateKey: KeyObject;
  /** DER, leaf first. */
  chain: Buffer[];
  /** DER trust anchors the implementation validates its peer against. */
  trustAnchors: Buffer[];
  files: { key: string; chain: string; anchors: string };
}

/** One start of an implementation for one case in one role. */
export interface IutStartRequest {
  caseId: string;
  role: IutRole;
  /** A directory of this case's own (created by the bench, removed with the run unless kept). */
  workDir: string;
  credentials: IutCredentials;
  /** Responder: the address to listen on (port 0: the implementation picks and reports it). */
  listen?: { host: string; port: number };
  /** Initiator: whom to connect to, directly (no look-up needed). */
  connect?: { host: string; port: number; peerUserId: string; peerChain?: Buffer[] };
  /** The file holding `connect.peerChain` as PEM (the responder's chain as a look-up returns it: rsa-oaep key transport needs it). */
  peerChainFile?: string;
  /** The IRP registry for certificate status (and look-ups, enrolment); its CA as PEM file. */
  registry?: { host: string; port: number; caFile: string; ca: Buffer[] };
  /** Initiator, `drive` 'script': the Messages it sends after Connected, each awaiting its Receipt, then close. */
  messages?: string[];
  /**
   * 'script' (default, level 1): the responder echoes every Message's text back as a new Message,
   * the initiator sends `messages` then closes. 'control' (level 3): it does nothing of its own
   * beyond what the protocol answers by itself (Receipt, Pong, a requested KeyUpdate) and what the
   * bench commands through `control`; the initiator still connects on start.
   */
  drive?: 'script' | 'control';
  /** Offer restrictions the case needs (a subset of the capabilities). */
  versions?: string[];
  methods?: string[];
  ciphers?: string[];
  /** Validation time the case needs (E2ED-CERT-27: "a test harness MAY configure a fixed time"). */
  now?: Date;
  /** Where to write the key log, when the implementation has one. */
  keyLogFile?: string;
  /** Seed for implementations that take one (the reference); others ignore it. */
  seed: string;
  /** Reference only: misbehaviour knobs (src/protocol/bugs.ts ids). */
  knobs?: string[];
  /**
   * An implementation that enrols itself (`irpEnrolment`): the account it logs in with at the
   * registry, the key type the case needs, and where it writes the key it generated and the chain
   * the registry issued. Its `{key}` and `{chain}` are then not given.
   */
  enrolment?: IutEnrolment;
}

/** A fresh enrolment account for one start (docs/adapter.md, "Enrolling itself"). */
export interface IutEnrolment {
  userId: string;
  password: string;
  /** `p256` (ECDSA P-256) or `rsa2048` (RSA 2048, for rsa-oaep and rsa-pss-sha256). */
  keyType: 'p256' | 'rsa2048';
  keyFile: string;
  chainFile: string;
}

/** How an implementation's process (or in-process agent) ended. */
export interface IutExit {
  /** 'exited' with a code, 'killed' by the bench, 'crashed' (signal), 'not-started'. */
  how: 'exited' | 'killed' | 'crashed' | 'not-started';
  code?: number | null;
  signal?: string | null;
  /** 127 (the QUIC interop runner's rule): the implementation does not support this case. */
  unsupported?: boolean;
  reason?: string;
}

/** One running implementation for one case. */
export interface IutInstance {
  /** Responder: where it listens, once ready. */
  readonly listening?: { host: string; port: number };
  /** Level 2: every event since the start, then each as it comes (malformed lines are kept as evidence, never thrown). */
  onEvent(listener: (ev: UaEvent) => void): void;
  /** Level 3: commands; undefined below level 3. */
  readonly control?: IutControl;
  /** Resolves when the implementation has ended, however it ended. */
  readonly exited: Promise<IutExit>;
  /** Ends it and everything it started (the whole process group), within a bounded grace. */
  stop(): Promise<IutExit>;
  /** What the bench kept of a process's output (capped), for the evidence; absent in-process. */
  diagnostics?(): IutDiagnostics;
}

/** A process's output as the bench kept it: capped, with what was dropped counted. */
export interface IutDiagnostics {
  stdoutHead: string;
  stderrTail: string;
  droppedBytes: number;
  /** Lines of standard output that were not events (the first few), and how many there were. */
  garbage: string[];
  garbageLines: number;
  /** Events beyond the cap, ignored. */
  droppedEvents: number;
  /** Things the bench noticed about the process: children left behind, SIGTERM ignored, ... */
  notes: string[];
}

export interface IutControl {
  send(text: string): void;
  ping(): void;
  keyUpdate(request: boolean): void;
  close(): void;
}

export interface ImplementationUnderTest {
  readonly name: string;
  readonly version: string;
  readonly capabilities: IutCapabilities;
  /**
   * Endpoint mode (`--iut-endpoint`): a UA already listening that the bench cannot start. The
   * credentials the bench issues are not used: the bench connects to the user it names and
   * validates its chain against these anchors; its status is not known to the bench's registry.
   */
  readonly endpoint?: { host: string; port: number; userId: string; anchors: Buffer[] };
  /** How it is started, for the report (the argv template, or "in-process"). */
  readonly command: string[] | 'in-process';
  start(request: IutStartRequest, signal: AbortSignal): Promise<IutInstance>;
}
