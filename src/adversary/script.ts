// The script language of the adversarial peer (docs/run.md "Adversary scripts"): a conversation
// is a list of steps, each one explicit action on the wire. `send` builds a message from its
// template (or takes raw text or bytes), changes it with mutators, and frames it as plaintext or
// as a record with any keys, sequence number, type byte or length, cut into writes at any byte.
// `expect` reads what the implementation sent: a message (with predicates on its fields), an alert,
// the end of the connection, nothing for a while, or one of several alternatives.
import type { ByteMutator, Mutator } from './mutators.js';
import type { MessageName } from './templates.js';

export type RecordKeys = 'current' | 'previous' | 'next' | 'other-direction';

export interface SendStep {
  do: 'send';
  /** A template (docs/spec.md sections 4 and 11); exclusive with `raw`. */
  message?: MessageName;
  /** A payload given literally: text (UTF-8) or hex, optionally repeated. */
  raw?: { text?: string; hex?: string; repeat?: number };
  /** Template fields of the non-handshake messages: id, text, timestamp, level, code, reason, request, name, critical. */
  fields?: Record<string, string | boolean>;
  /** Shorthand for `set` mutators: path -> value (values may use $-substitutions, see expandValue). */
  set?: Record<string, string>;
  mutate?: Mutator[];
  /** Plaintext frame or record (default: a record once the adversary has traffic keys and the message is not a handshake message). */
  as?: 'plaintext' | 'record';
  record?: { keys?: RecordKeys; seq?: number; seqDelta?: number; keepSeq?: boolean };
  /** After a KeyUpdate record, move the sending key on (default true for KeyUpdate sent as a record). */
  advance?: boolean;
  frame?: {
    /** The type byte written (the record's AAD stays what it sealed). */
    type?: number;
    /** The length field written instead of the true one. */
    length?: number;
    /** Only the first n bytes of the frame are written. */
    cut?: number;
    /** Byte mutators on the whole frame (header included). */
    mutate?: ByteMutator[];
  };
  /** Writes: 'bytes' one byte per write; a list of offsets cuts the frame there. Default one write. */
  split?: 'bytes' | number[];
  /** Keep the bytes and write them together with the next send (several frames in one write). */
  hold?: boolean;
  /** The adversary hashes this variant of the message instead of what it sent (a man in the middle's view, E2ED-VER-6). */
  transcriptAs?: { mutate: Mutator[] };
  /** Whether the frame enters the transcript (default: handshake messages sent in plaintext). */
  transcript?: boolean;
}

export interface ExpectStep {
  do: 'expect';
  /** A message by name ('Hello' is the Hello of the implementation's role), or 'any'. */
  message?: MessageName | 'any';
  /** Predicates: field -> value ('valid': true checks a CertificateVerify or Finished from the transcript; 'in': plaintext|record). */
  where?: Record<string, string | number | boolean>;
  /** An alert with one of these codes. */
  alert?: string[];
  level?: 'fatal' | 'warning';
  /** Where the message or alert must travel. */
  in?: 'plaintext' | 'record';
  /** The connection ends: 'any', 'fin' or 'reset'. */
  closed?: 'any' | 'fin' | 'reset';
  /** Nothing arrives for this many ms. */
  nothing?: number;
  /** Alternatives (tlsfuzzer's ExpectAlert | ExpectClose): the first branch that matches wins. */
  oneOf?: ExpectStep[][];
  timeoutMs?: number;
}

/** The spec's refusal: the alert (fatal), then the end of the connection with nothing after it (E2ED-ALERT-1, E2ED-ALERT-2). */
export interface RefusedStep {
  do: 'refused';
  alert: string[];
  in?: 'plaintext' | 'record';
}

/** A conforming handshake, complete or up to the state of the implementation named (docs/spec.md 5.8). */
export interface HandshakeStep {
  do: 'handshake';
  until?: string;
}

/** A Ping in a record and its Pong: the implementation is alive and accepted everything before. */
export interface RoundTripStep {
  do: 'roundTrip';
  id?: string;
}

export interface CloseStep {
  /** 'notify': close_notify in a record (or plaintext before the handshake), then FIN; 'fin'; 'reset'. */
  do: 'close';
  how: 'notify' | 'fin' | 'reset';
}

export interface WaitStep {
  do: 'wait';
  ms: number;
}

export type ScriptStep = SendStep | ExpectStep | RefusedStep | HandshakeStep | RoundTripStep | CloseStep | WaitStep;
export const STEP_KINDS = ['send', 'expect', 'refused', 'handshake', 'roundTrip', 'close', 'wait'] as const;

/** One conversation of the adversary with the implementation in the other role. */
export interface Script {
  /** The adversary's role; the implementation has the other. */
  role: 'initiator' | 'responder';
  /** What the adversary offers as initiator (defaults: 1.0; x25519; AES-256-GCM), or selects as responder (cipher). */
  offer?: { versions?: string[]; methods?: string[]; ciphers?: string[] };
  /**
   * The adversary's own identity: default an enrolled P-256 user of the run; 'rsa' the run's RSA
   * user (an rsa-oaep responder); 'unissued' a valid leaf of the run's CA that no registry knows
   * (status unknown, src/pki/defects.ts unissuedLeafCase); or a chain of the defect catalogue.
   */
  identity?: 'rsa' | 'unissued' | { defect: string };
  /** What the implementation is started with (a subset of what it supports), and its identity ('rsa': an RSA responder). */
  iut?: {
    versions?: string[];
    methods?: string[];
    ciphers?: string[];
    identity?: 'p256' | 'rsa';
    /** It has the run's registry for certificate status (E2ED-CERT-24, -30); the adversary registers its own address there first, for an implementation that looks its peer up. */
    registry?: boolean;
    /** Its validation clock, in years from the run's reference time (default 0: the reference time; E2ED-CERT-27). */
    clockYears?: number;
    /** A registry of its own that lies (src/irp/adversary.ts): e.g. badSignature, so that no status can be established (E2ED-CERT-30). */
    registryLies?: { badSignature?: boolean; revokedStatus?: boolean; slowMs?: number };
    /** Initiator: the Messages it sends once Connected (door level 1). */
    messages?: string[];
  };
  steps: ScriptStep[];
}
