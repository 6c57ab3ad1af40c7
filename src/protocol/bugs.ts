// The misbehaviour knobs (STYLE.md: BoGo keeps ProtocolBugs in its stack's own config, so the knob
// type lives in the protocol core, which imports nothing above it), grouped by message.
// A Connection with no knobs set is fully conforming. Each knob is ONE documented deviation, read
// exactly where the message it concerns is produced or checked (src/protocol/handshake/*,
// src/protocol/record-layer.ts, src/protocol/engine.ts). docs/knobs.md describes every knob.
//
// The catalogue below is the single source of truth: the `Bugs` type, `KNOBS` and `parseBugs`
// are all derived from it, so a knob cannot exist in one and be missing from another.

export type KnobRole = 'initiator' | 'responder' | 'both';

interface KnobSpec {
  /** Which role's behaviour the knob changes (a knob for the other role is inert). */
  readonly role: KnobRole;
  /** The deviation, in one sentence. */
  readonly description: string;
  /** The docs/spec.md requirement(s) the deviation violates, or whose check it exercises. */
  readonly requirement: string;
  /** What a conforming peer does when it meets the deviation. */
  readonly conformingPeer: string;
}

const CATALOGUE = {
  hello: {
    omitVersions10: {
      role: 'initiator',
      description: "The initiator's Hello does not list version 1.0 (it offers 0.9 only).",
      requirement: 'E2ED-VER-1',
      conformingPeer: 'A responder with 0.9 disabled refuses with protocol_version.',
    },
    offerNullCipher: {
      role: 'initiator',
      description: 'The initiator lists a NULL cipher first, before its real ciphers.',
      requirement: 'E2ED-HS-13',
      conformingPeer: 'Ignores the unregistered name and selects a registered cipher; never NULL.',
    },
    offerOnlyNullCipher: {
      role: 'initiator',
      description: 'The initiator offers NULL as its only cipher.',
      requirement: 'E2ED-HS-20',
      conformingPeer: 'Refuses with insufficient_security.',
    },
    sendWrongNonceLength: {
      role: 'both',
      description: 'The Hello nonce is 31 bytes instead of 32.',
      requirement: 'E2ED-HS-3',
      conformingPeer: 'Refuses with decode_error.',
    },
    reflectPeerNonce: {
      role: 'responder',
      description: "The responder's Hello carries the initiator's own nonce as its nonce (reflection).",
      requirement: 'E2ED-ID-3',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
    reflectPeerIdentity: {
      role: 'both',
      description: "The Hello's from names the receiver (the peer's own user ID), as a reflected Hello would.",
      requirement: 'E2ED-ID-1, E2ED-ID-3',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
    claimOtherFrom: {
      role: 'both',
      description: "The Hello's from names a user other than the one in the sender's certificate.",
      requirement: 'E2ED-HS-16, E2ED-HS-22',
      conformingPeer: 'Refuses with identity_mismatch.',
    },
    wrongTo: {
      role: 'both',
      description: "The Hello's to names a user other than the peer.",
      requirement: 'E2ED-ID-4, E2ED-ID-7',
      conformingPeer: 'Refuses with identity_mismatch.',
    },
    selectLegacyVersion: {
      role: 'responder',
      description: 'The responder selects 0.9 whenever the initiator offers it, although it supports 1.0 (it still sets the downgrade sentinel).',
      requirement: 'E2ED-HS-22',
      conformingPeer: 'An initiator that supports 1.0 sees the sentinel and refuses with insufficient_security.',
    },
    omitDowngradeSentinel: {
      role: 'responder',
      description: 'A responder that supports 1.0 and selects 0.9 does not set E2EDDOWN in its nonce.',
      requirement: 'E2ED-VER-4',
      conformingPeer: 'Cannot detect it from the nonce (the deviation is on the wire only); the test checks the bytes.',
    },
    ignoreDowngradeSentinel: {
      role: 'initiator',
      description: 'The initiator does not check the downgrade sentinel and accepts 0.9 from a 1.0 responder.',
      requirement: 'E2ED-VER-5',
      conformingPeer: 'Not observable by the peer; the downgraded handshake completes at 0.9.',
    },
    keyShareOffCurve: {
      role: 'both',
      description: 'The key share is invalid: a P-256 point off the curve, or the all-zero (low-order) X25519 point.',
      requirement: 'E2ED-KS-8, E2ED-KS-9',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
    selectUnofferedCipher: {
      role: 'responder',
      description: 'The responder selects a cipher the initiator did not offer.',
      requirement: 'E2ED-HS-24',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
    selectUnofferedMethod: {
      role: 'responder',
      description: "The responder selects an ECDHE method other than the method of the initiator's key share.",
      requirement: 'E2ED-HS-24',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
  },
  handshake: {
    skipCertificateVerify: {
      role: 'both',
      description: 'The sender omits its CertificateVerify and sends Finished directly.',
      requirement: 'E2ED-HS-31',
      conformingPeer: 'Refuses with unexpected_message.',
    },
    duplicateHello: {
      role: 'both',
      description: 'The sender sends its Hello twice.',
      requirement: 'E2ED-HS-31',
      conformingPeer: 'Refuses the second Hello with unexpected_message.',
    },
    reorderCvFinished: {
      role: 'both',
      description: 'The sender sends Finished before CertificateVerify.',
      requirement: 'E2ED-HS-31',
      conformingPeer: 'Refuses with unexpected_message.',
    },
  },
  certificateVerify: {
    corruptSignature: {
      role: 'both',
      description: 'One bit of the CertificateVerify signature is flipped.',
      requirement: 'E2ED-HS-28',
      conformingPeer: 'Refuses with decrypt_error.',
    },
    wrongContext: {
      role: 'both',
      description: "The signature covers the other role's context string.",
      requirement: 'E2ED-HS-28',
      conformingPeer: 'Refuses with decrypt_error.',
    },
    wrongAlgorithm: {
      role: 'both',
      description: "The algorithm attribute names an algorithm that does not match the sender's leaf key.",
      requirement: 'E2ED-HS-27',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
    legacyBinding: {
      role: 'both',
      description: 'In 1.0 the signature covers the 0.9 binding (nonces and identities) instead of the transcript hash.',
      requirement: 'E2ED-VER-3',
      conformingPeer: 'Refuses with decrypt_error.',
    },
    skipVerification: {
      role: 'both',
      description: "The receiver does not verify the peer's CertificateVerify signature.",
      requirement: 'E2ED-HS-28',
      conformingPeer: 'Not observable by the peer; a corrupted signature is now accepted.',
    },
  },
  finished: {
    corruptValue: {
      role: 'both',
      description: 'One bit of the Finished value is flipped.',
      requirement: 'E2ED-HS-30',
      conformingPeer: 'Refuses with decrypt_error.',
    },
    skipVerification: {
      role: 'both',
      description: "The receiver does not check the peer's Finished value.",
      requirement: 'E2ED-HS-30',
      conformingPeer: 'Not observable by the peer; a corrupted Finished is now accepted.',
    },
  },
  keySchedule: {
    wrongLabel: {
      role: 'both',
      description: 'The sending traffic secret is derived with the label "traffic" instead of "i2r traffic"/"r2i traffic".',
      requirement: 'E2ED-KS-3',
      conformingPeer: 'Refuses the first record with bad_record_mac.',
    },
  },
  record: {
    corruptTag: {
      role: 'both',
      description: 'One bit of the AEAD tag of every sent record is flipped.',
      requirement: 'E2ED-REC-3',
      conformingPeer: 'Refuses with bad_record_mac.',
    },
    reuseSequence: {
      role: 'both',
      description: 'The sending sequence number never advances (every record uses sequence 0).',
      requirement: 'E2ED-REC-2',
      conformingPeer: 'Refuses the second record with bad_record_mac.',
    },
    reuseNonceAcrossDirections: {
      role: 'both',
      description: "The sender protects its records with the peer's direction key and IV (one key for both directions).",
      requirement: 'E2ED-KS-3',
      conformingPeer: 'Refuses with bad_record_mac.',
    },
    sendAppDataBeforeFinished: {
      role: 'initiator',
      description: 'The initiator sends an application record (a Ping) before its Finished.',
      requirement: 'E2ED-HS-32',
      conformingPeer: 'Refuses with unexpected_message.',
    },
    skipAuthentication: {
      role: 'both',
      description: 'The receiver decrypts each record without checking its AEAD tag (a tampered or forged record is read as it is).',
      requirement: 'E2ED-REC-3',
      conformingPeer: 'Not observable by the peer; a record with a flipped tag bit is now accepted.',
    },
    skipSequenceCheck: {
      role: 'both',
      description: 'A record that fails under the expected sequence number is opened under any sequence number from 0 to 16 past it, and the receive sequence goes on after the one that worked (dropped, reordered and replayed records are accepted).',
      requirement: 'E2ED-REC-2, E2ED-REC-3',
      conformingPeer: 'Not observable by the peer; a record sent twice under one sequence number is now accepted.',
    },
    acceptTruncation: {
      role: 'both',
      description: 'A transport end without close_notify after the handshake (FIN, reset or a frame cut short) is reported as a clean end, not as truncated.',
      requirement: 'E2ED-ALERT-9',
      conformingPeer: 'Not observable by the peer; a deleted close_notify now passes for a clean end.',
    },
    plaintextAfterHandshake: {
      role: 'both',
      description: 'Application messages are sent in plaintext frames (type 0x01) after the handshake.',
      requirement: 'E2ED-APP-8',
      conformingPeer: 'Refuses with unexpected_message.',
    },
  },
  keyUpdate: {
    dontSwitchKeys: {
      role: 'both',
      description: 'After sending KeyUpdate the sender keeps its old sending key.',
      requirement: 'E2ED-REC-8',
      conformingPeer: 'Refuses the next record with bad_record_mac.',
    },
    dontResetSequence: {
      role: 'both',
      description: 'After a key update the sending sequence number continues instead of restarting at 0.',
      requirement: 'E2ED-REC-8',
      conformingPeer: 'Refuses the next record with bad_record_mac.',
    },
    ignoreRequest: {
      role: 'both',
      description: 'A received KeyUpdate with request="true" is not answered.',
      requirement: 'E2ED-REC-10',
      conformingPeer: "Keeps receiving under the old key (its receive generation does not advance); no alert.",
    },
    misspellRequest: {
      role: 'both',
      description: 'A KeyUpdate carries request="yes" instead of "true" or "false".',
      requirement: 'E2ED-REC-11',
      conformingPeer: 'Refuses with illegal_parameter.',
    },
  },
  alert: {
    sendDataAfterFatal: {
      role: 'both',
      description: 'After sending a fatal alert the sender also sends an application message.',
      requirement: 'E2ED-ALERT-2',
      conformingPeer: 'Ignores everything after a fatal alert (no message is delivered).',
    },
    skipCloseNotify: {
      role: 'both',
      description: 'close() ends the connection without sending close_notify.',
      requirement: 'E2ED-APP-9',
      conformingPeer: 'Reports the connection as truncated when the transport ends.',
    },
    dontAnswerCloseNotify: {
      role: 'both',
      description: 'A received close_notify is not answered with close_notify.',
      requirement: 'E2ED-ALERT-7',
      conformingPeer: 'The side that closed never receives close_notify, so it reports truncated when the transport ends.',
    },
    fatalAsWarning: {
      role: 'both',
      description: 'Fatal alerts are sent with level="warning".',
      requirement: 'E2ED-ALERT-3',
      conformingPeer: 'Treats an alert whose code is always fatal as fatal whatever its level, and closes.',
    },
  },
  keyTransport: {
    corruptPremaster: {
      role: 'initiator',
      description: "The initiator's EncryptedPremaster is random bytes of the modulus length, not an OAEP encryption of its premaster.",
      requirement: 'E2ED-KS-11',
      conformingPeer: 'Goes on with a random Z (implicit rejection, E2ED-KS-13): the initiator then refuses Fin_R with decrypt_error.',
    },
    explicitRejection: {
      role: 'responder',
      description: 'The responder refuses an EncryptedPremaster that does not decrypt with decrypt_error at once, instead of going on with a random Z (a decryption oracle).',
      requirement: 'E2ED-KS-13',
      conformingPeer: 'Not observable against a conforming initiator; against a malformed premaster the alert comes from the responder after Hello_I, where a conforming responder answers Hello_R, CV_R and Fin_R.',
    },
  },
  validation: {
    acceptExpired: {
      role: 'both',
      description: "The receiver accepts a peer certificate that failed validation with certificate_expired.",
      requirement: 'E2ED-CERT-2',
      conformingPeer: 'Not observable by the peer; an expired certificate is now accepted.',
    },
    acceptUnknownCa: {
      role: 'both',
      description: 'The receiver accepts a peer certificate that failed validation with unknown_ca.',
      requirement: 'E2ED-CERT-3',
      conformingPeer: 'Not observable by the peer; an untrusted certificate is now accepted.',
    },
    acceptRevoked: {
      role: 'both',
      description: 'The receiver accepts a peer certificate that failed validation with certificate_revoked.',
      requirement: 'E2ED-CERT-24',
      conformingPeer: 'Not observable by the peer; a revoked certificate is now accepted.',
    },
    skipIdentityCheck: {
      role: 'both',
      description: "The receiver does not compare from/to and the certificate's user ID with what it expects.",
      requirement: 'E2ED-ID-5, E2ED-ID-6',
      conformingPeer: 'Not observable by the peer; a Hello with a false from is now accepted.',
    },
  },
} as const satisfies Record<string, Record<string, KnobSpec>>;

type Catalogue = typeof CATALOGUE;
export type KnobGroup = keyof Catalogue;

/** The knob configuration: `{}` (or undefined) is fully conforming. */
export type Bugs = {
  readonly [G in KnobGroup]?: { readonly [K in keyof Catalogue[G]]?: boolean };
};

export interface KnobInfo extends KnobSpec {
  /** Dotted path, e.g. `hello.reflectPeerNonce`; what `--bug` takes. */
  readonly id: string;
  readonly group: KnobGroup;
  readonly name: string;
}

export const KNOBS: readonly KnobInfo[] = Object.entries(CATALOGUE).flatMap(([group, knobs]) =>
  Object.entries(knobs as Record<string, KnobSpec>).map(([name, spec]) => ({
    id: `${group}.${name}`,
    group: group as KnobGroup,
    name,
    ...spec,
  })),
);

export class UnknownKnobError extends Error {
  constructor(readonly knob: string) {
    super(`unknown bug knob '${knob}'; known knobs: ${KNOBS.map((k) => k.id).join(', ')}`);
    this.name = 'UnknownKnobError';
  }
}

/** `['hello.reflectPeerNonce', 'record.corruptTag']` -> Bugs. Throws UnknownKnobError for an unknown id. */
export function parseBugs(list: readonly string[]): Bugs {
  const bugs: Record<string, Record<string, boolean>> = {};
  for (const raw of list) {
    const id = raw.trim();
    const knob = KNOBS.find((k) => k.id === id);
    if (knob === undefined) throw new UnknownKnobError(id);
    (bugs[knob.group] ??= {})[knob.name] = true;
  }
  return bugs as Bugs;
}

/** The ids of the knobs set in `bugs` (for reports and event logs). */
export function enabledKnobs(bugs: Bugs | undefined): string[] {
  if (bugs === undefined) return [];
  const groups = bugs as Record<string, Record<string, boolean | undefined> | undefined>;
  return KNOBS.filter((k) => groups[k.group]?.[k.name] === true).map((k) => k.id);
}
