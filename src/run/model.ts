// The case model of `sixbench run` (docs/run.md). A case is DATA (STYLE.md, h2spec and tlsfuzzer):
// a stable id that never shifts when another case is added, the docs/spec.md requirement ids it
// checks, what it does, and the outcomes it accepts, several where the spec allows several. The
// executors (src/run/conversation.ts, irp-checks.ts, vector-checks.ts) interpret the `action`;
// the judge (src/run/judge.ts) compares what happened with what is accepted.
import type { CloseKind } from '../ua/events.js';
import type { Script } from '../adversary/script.js';
import type { RelayPlan } from './relay-run.js';
import type { CaseCaptureFiles } from './captures.js';

export const SUITES = ['interop', 'knobs', 'certificates', 'vectors', 'irp', 'relay', 'ordering', 'syntax', 'records', 'limits', 'reflection', 'key-transport'] as const;
/** The suites the adversarial peer drives (src/run/adversary/). */
export const ADVERSARY_SUITES: readonly SuiteName[] = ['ordering', 'syntax', 'records', 'limits', 'reflection', 'key-transport'];
export type SuiteName = (typeof SUITES)[number];

export function isSuiteName(s: string): s is SuiteName {
  return (SUITES as readonly string[]).includes(s);
}

/**
 * `error` (implementations under test only, issue 8): the case could not be judged because the
 * implementation misbehaved as a process (never started, never listened, crashed, hung); distinct
 * from `fail`, a judged deviation from the spec.
 */
export type Verdict = 'pass' | 'fail' | 'skip' | 'error';

/** The two ends of one E2ED connection. */
export type Side = 'initiator' | 'responder';
export const SIDES: readonly Side[] = ['initiator', 'responder'];

export function otherSide(side: Side): Side {
  return side === 'initiator' ? 'responder' : 'initiator';
}

/** Who a peer is: an enrolled user (P-256 or RSA key), or the holder of a defect-catalogue chain. */
export type PeerIdentity = 'p256' | 'rsa' | { defect: string };

/** One reference User Agent of a conversation; everything unset is the conforming default. */
export interface PeerSetup {
  identity?: PeerIdentity;
  /** Knob ids (src/protocol/bugs.ts KNOBS); none: a conforming UA. */
  knobs?: string[];
  versions?: string[];
  methods?: string[];
  ciphers?: string[];
}

/** One step of a conversation (tlsfuzzer's send/expect graph, reduced to what a UA API can do). */
export type Step =
  /** The initiator finds the responder (IRP look-up, or the address directly for defect chains) and connects. */
  | { do: 'handshake' }
  /** `from` sends `count` Messages one after the other, each waiting for its Receipt. */
  | { do: 'message'; from: Side; count?: number }
  /** `from` sends a Ping and waits for the Pong. */
  | { do: 'ping'; from: Side }
  /** `from` sends KeyUpdate; the step waits until the other side has switched its receiving key. */
  | { do: 'keyUpdate'; from: Side; request: boolean }
  /** `from` closes (close_notify); the step waits until both sides have ended. */
  | { do: 'close'; from: Side };

/** What one side must show at the end; unset fields are not checked. Lists are alternatives. */
export interface SideExpectation {
  connected?: boolean;
  /** The fatal alert this side sends: one of these; `null`: it sends no alert other than close_notify. */
  alertSent?: string[] | null;
  /** The alert this side receives: one of these; `null`: none other than close_notify. */
  alertReceived?: string[] | null;
  /** How the connection ended for this side: one of these (src/ua/events.ts CloseKind). */
  closed?: CloseKind[];
  negotiated?: { version?: string[]; method?: string[]; cipher?: string[] };
  /** Messages delivered to this side's user. */
  delivered?: number;
  receipts?: number;
  pongs?: number;
  /** Key updates applied to this side's receiving / sending direction. */
  receiveGeneration?: number;
  sendGeneration?: number;
}

export interface ConversationExpectation {
  initiator?: SideExpectation;
  responder?: SideExpectation;
  /** Both sides report the same exporter and the same version, method and cipher (E2ED-KS-4). */
  agree?: boolean;
}

export interface Conversation {
  initiator: PeerSetup;
  responder: PeerSetup;
  steps: Step[];
  expect: ConversationExpectation;
}

/** The IRP suite's checks, each a function of src/run/irp-checks.ts. */
export type IrpCheckName =
  | 'enrol-register-lookup'
  | 'enrol-without-login'
  | 'wrong-password'
  | 'unknown-user'
  | 'register-without-authentication'
  | 'authenticate-with-other-users-certificate'
  | 'register-changes-only-own-record'
  | 'revoke-other-users-certificate'
  | 'tampered-lookup-signature'
  | 'tampered-status-signature'
  | 'revoked-certificate-status'
  | 'revoked-peer-refused'
  // src/run/irp-wire-checks.ts
  | 'frame-faults'
  | 'malformed-requests'
  | 'unsupported-requests'
  | 'pipelined-requests'
  | 'capabilities-lists-operations'
  | 'ca-certificates'
  | 'signed-bytes'
  | 'login-rate-limit'
  | 'enrol-refusals'
  | 'enrol-conflict'
  | 'auth-challenge'
  | 'auth-prove-syntax'
  | 'register-address-syntax'
  | 'state-per-connection'
  | 'tls-transport'
  | 'tls12-aead-only'
  | 'tls-server-name'
  | 'lookup-rollback'
  // src/run/irp-client-checks.ts
  | 'client-unknown-error-code'
  | 'client-bad-answers'
  | 'client-capabilities-version'
  | 'client-capabilities-domain';

/** Checks of the interop suite that need more than a conversation (a capture, the key log files). */
export type UaCheckName = 'keylog' | 'handshake-timer' | 'peer-hangs-up' | 'user-id-domain-case' | 'fresh-handshakes';
export const UA_CHECKS: readonly UaCheckName[] = ['keylog', 'handshake-timer', 'peer-hangs-up', 'user-id-domain-case', 'fresh-handshakes'];

export type CaseAction =
  | { kind: 'conversation'; conversation: Conversation }
  | { kind: 'vectors'; file: string }
  | { kind: 'irp'; check: IrpCheckName }
  /** A check of its own over reference UAs (src/run/keylog-check.ts, src/run/ua-checks.ts). */
  | { kind: 'check'; check: UaCheckName }
  /** The adversarial peer runs a script against the implementation in the other role (src/run/adversary/); `sanity`: the family's sanity conversation. */
  | {
      kind: 'adversary';
      family: string;
      script: Script;
      sanity?: 'before' | 'after';
      /** A defect of the reference that makes this case fail against it (suites/adversary.json "disabled"): against the reference it is a skip while it still fails, and a failure once it passes; any other implementation is judged as usual. */
      knownDefect?: string;
      /** The family's self-test: these cases against the reference with these knobs (a deliberately broken reference); it passes when one fails. */
      selfTest?: { knobs: string[]; cases: { id: string; script: Script }[] };
    }
  /** The man in the middle between two honest parties (src/run/relay-run.ts, issue 10). */
  | { kind: 'relay'; relay: RelayPlan };

/** How a knob case shows that the bench tells the knob apart from conforming behaviour. */
export type KnobForm =
  /** The knobbed UA against a conforming one: the conforming side detects the deviation. */
  | 'detect'
  /** The knobbed UA against a conforming one: the conforming side goes on as the spec says (the deviation is harmless to it). */
  | 'tolerate'
  /** Not detectable by the peer by design: the case observes its visible consequence (what a conforming UA would refuse goes through). */
  | 'observe'
  /** Run the other way round: the knobbed UA against a peer that sends the bad input; the knobbed UA fails to reject it. */
  | 'accept';

export interface CaseSpec {
  /** Stable, dotted, never positional: `interop.x25519.aes-256-gcm.i2r`, `knob.finished.corruptValue`, `cert.expired`. */
  id: string;
  suite: SuiteName;
  /** What the case does, in one sentence. */
  title: string;
  /** docs/spec.md requirement ids the case checks (all must exist: checked at start-up). */
  requirements: string[];
  /** The outcomes the case accepts, for people (h2spec prints it with a failure). */
  expected: string;
  action: CaseAction;
  /** Knob cases: which form the case uses. */
  form?: KnobForm;
  /** A disabled case is reported as skip with this reason (BoGo's disabled-tests file). */
  disabled?: string;
  /** A time limit of its own (the IUT's handshake timer check waits for the spec's 10 s). */
  timeoutMs?: number;
  /** Runs against an implementation under test (src/run/iut-plan.ts): its side, and the catalogue case it comes from. */
  iut?: {
    side: Side;
    of: string;
    /** Below level 3: what the echo model leaves unchecked of the case, and why (src/run/iut-echo.ts). */
    notChecked?: string[];
  };
}

/** What one side of a conversation did, reduced to what is deterministic for a given seed. */
export interface SideObservation {
  connected: boolean;
  negotiated?: { version: string; method: string; cipher: string };
  alertsSent: string[];
  alertsReceived: string[];
  closed?: { how: CloseKind; alert?: string; by?: 'local' | 'peer' };
  delivered: number;
  receipts: number;
  pongs: number;
  receiveGeneration: number;
  sendGeneration: number;
}

export interface ConversationObservation {
  initiator: SideObservation;
  responder: SideObservation;
  /** Both sides reported an exporter and the values are equal (the value itself is secret-derived and not reported). */
  exportersEqual: boolean | null;
  /** Steps that could not run because the connection had already ended, or a failure setting the case up. */
  notes: string[];
}

/** A failure's evidence (h2spec style): the requirement, the accepted outcomes, and what happened. */
export interface Evidence {
  requirements: { id: string; text: string }[];
  expected: string;
  mismatches: string[];
  observed?: unknown;
  /** The UA events of both sides, in order (failures only). */
  events?: { initiator: string[]; responder: string[] };
  /** Relay cases: what the attacker did, one line per frame of either leg (src/relay/relay.ts). */
  attacker?: string[];
  /** Against an IUT: how its process ended and what the bench kept of its output (capped). */
  iutProcess?: { exit?: unknown; diagnostics?: unknown };
}

export interface CaseResult {
  id: string;
  suite: SuiteName;
  title: string;
  requirements: string[];
  form?: KnobForm;
  verdict: Verdict;
  /** Why a case was skipped, or a one-line summary of a failure. */
  reason?: string;
  /** What happened (deterministic for a seed; compared run to run). */
  observed?: unknown;
  evidence?: Evidence;
  /** The seed of each party of the case (reference UAs are seeded `${run seed}/${case id}/${side}`). */
  seeds?: Record<string, string>;
  /** The case's capture, key log and inspect text, relative to the run folder (src/run/captures.ts). */
  captures?: CaseCaptureFiles;
  /** Against an IUT: the side it took, the catalogue case, and which checks the verdict rests on. */
  iut?: { side: Side; of: string; checks: string[]; keys?: unknown };
  /** --expectations: this case was expected to fail (or error), with the baseline's reason. */
  expectedFailure?: string;
  /** --expectations: expected to fail, but it passed: the baseline must be updated (fails the run). */
  unexpectedPass?: boolean;
}
