// The one table from a fault to the alert docs/spec.md names for it (sections 2.3, 3.5, 4.6, 10),
// with the requirement that names it. Generators never pick an alert themselves: they name the
// fault, and a change of the spec's rule (for example KeyUpdate `request` out of its set) is one
// edit here.
import { isAlertName } from '../protocol/alerts.js';

export interface AlertRule {
  alert: string;
  requirements: string[];
}

export const FAULT_ALERTS = {
  // framing (2.3)
  'frame.zeroLength': { alert: 'decode_error', requirements: ['E2ED-FRAME-2'] },
  'frame.overLimit': { alert: 'record_overflow', requirements: ['E2ED-FRAME-3', 'E2ED-LIM-2'] },
  'frame.unknownType': { alert: 'decode_error', requirements: ['E2ED-FRAME-4'] },
  'frame.recordBeforeConnected': { alert: 'unexpected_message', requirements: ['E2ED-FRAME-9', 'E2ED-REC-5'] },
  'frame.plaintextAfterHandshake': { alert: 'unexpected_message', requirements: ['E2ED-FRAME-9', 'E2ED-REC-6'] },
  'frame.notUtf8': { alert: 'decode_error', requirements: ['E2ED-FRAME-8'] },
  'frame.truncatedAtEnd': { alert: 'decode_error', requirements: ['E2ED-FRAME-7'] },
  // records (8.1)
  'record.authentication': { alert: 'bad_record_mac', requirements: ['E2ED-REC-3'] },
  'record.handshakeInside': { alert: 'unexpected_message', requirements: ['E2ED-REC-4', 'E2ED-APP-12'] },
  'record.notXml': { alert: 'decode_error', requirements: ['E2ED-REC-4'] },
  // XML (3.5)
  'xml.malformed': { alert: 'decode_error', requirements: ['E2ED-XML-1'] },
  'xml.declaration': { alert: 'decode_error', requirements: ['E2ED-XML-2'] },
  'xml.forbiddenConstruct': { alert: 'decode_error', requirements: ['E2ED-XML-3'] },
  'xml.reference': { alert: 'decode_error', requirements: ['E2ED-XML-4'] },
  'xml.mixedContent': { alert: 'decode_error', requirements: ['E2ED-XML-6'] },
  'xml.limit': { alert: 'decode_error', requirements: ['E2ED-XML-8', 'E2ED-XML-9', 'E2ED-LIM-1'] },
  'xml.namespace': { alert: 'decode_error', requirements: ['E2ED-XML-10'] },
  'xml.prefix': { alert: 'decode_error', requirements: ['E2ED-XML-11'] },
  'xml.order': { alert: 'decode_error', requirements: ['E2ED-XML-13'] },
  'xml.duplicate': { alert: 'decode_error', requirements: ['E2ED-XML-14'] },
  'xml.missing': { alert: 'decode_error', requirements: ['E2ED-XML-15'] },
  'xml.syntax': { alert: 'decode_error', requirements: ['E2ED-XML-16'] },
  'xml.outOfSet': { alert: 'illegal_parameter', requirements: ['E2ED-XML-16'] },
  'xml.criticalUnknown': { alert: 'unsupported_extension', requirements: ['E2ED-XML-17'] },
  'xml.unknownPlaintextRoot': { alert: 'unexpected_message', requirements: ['E2ED-XML-19'] },
  'xml.criticalUnknownRoot': { alert: 'unsupported_extension', requirements: ['E2ED-XML-19', 'E2ED-APP-12'] },
  // handshake (4.6, 5.8)
  'state.unexpected': { alert: 'unexpected_message', requirements: ['E2ED-HS-31'] },
  'hello.duplicateOffer': { alert: 'illegal_parameter', requirements: ['E2ED-HS-4'] },
  'hello.noVersion': { alert: 'protocol_version', requirements: ['E2ED-HS-17', 'E2ED-VER-2'] },
  'hello.keyMaterialNotOffered': { alert: 'illegal_parameter', requirements: ['E2ED-HS-18'] },
  'hello.noCipher': { alert: 'insufficient_security', requirements: ['E2ED-HS-20'] },
  'hello.methodOtherSupported': { alert: 'handshake_failure', requirements: ['E2ED-HS-19'] },
  'hello.methodNoneSupported': { alert: 'insufficient_security', requirements: ['E2ED-HS-19'] },
  'hello.downgradeSentinel': { alert: 'insufficient_security', requirements: ['E2ED-VER-5'] },
  'hello.selectionNotOffered': { alert: 'illegal_parameter', requirements: ['E2ED-HS-24'] },
  'hello.unsupportedVersionSelected': { alert: 'protocol_version', requirements: ['E2ED-HS-23', 'E2ED-VER-5'] },
  'hello.unofferedVersionSelected': { alert: 'illegal_parameter', requirements: ['E2ED-HS-23'] },
  'hello.keyShareSyntax': { alert: 'decode_error', requirements: ['E2ED-HS-6'] },
  'hello.keyShareMissing': { alert: 'decode_error', requirements: ['E2ED-HS-25'] },
  'hello.keyShareMethod': { alert: 'illegal_parameter', requirements: ['E2ED-HS-25'] },
  'hello.keyShareInvalidX25519': { alert: 'illegal_parameter', requirements: ['E2ED-KS-8'] },
  'hello.keyShareInvalidP256': { alert: 'illegal_parameter', requirements: ['E2ED-KS-9'] },
  'hello.role': { alert: 'illegal_parameter', requirements: ['E2ED-HS-2'] },
  'hello.nonceLength': { alert: 'decode_error', requirements: ['E2ED-HS-3'] },
  'hello.offerCount': { alert: 'decode_error', requirements: ['E2ED-HS-4'] },
  'hello.keyMaterialCount': { alert: 'decode_error', requirements: ['E2ED-HS-5'] },
  'hello.certificateCount': { alert: 'decode_error', requirements: ['E2ED-HS-7'] },
  'hello.certificateUnparseable': { alert: 'bad_certificate', requirements: ['E2ED-HS-7'] },
  'cv.algorithmUnknown': { alert: 'illegal_parameter', requirements: ['E2ED-HS-8'] },
  'cv.algorithmMismatch': { alert: 'illegal_parameter', requirements: ['E2ED-HS-27'] },
  'cv.signature': { alert: 'decrypt_error', requirements: ['E2ED-HS-28'] },
  'finished.length': { alert: 'decode_error', requirements: ['E2ED-HS-9'] },
  'finished.value': { alert: 'decrypt_error', requirements: ['E2ED-HS-30'] },
  'alert.level': { alert: 'illegal_parameter', requirements: ['E2ED-HS-10', 'E2ED-ALERT-6'] },
  'alert.reason': { alert: 'decode_error', requirements: ['E2ED-HS-10', 'E2ED-ALERT-6'] },
  'keyUpdate.request': { alert: 'illegal_parameter', requirements: ['E2ED-REC-11'] },
  'keyUpdate.requestMissing': { alert: 'decode_error', requirements: ['E2ED-REC-11'] },
  'app.textInEmpty': { alert: 'decode_error', requirements: ['E2ED-APP-7'] },
  'app.messageField': { alert: 'decode_error', requirements: ['E2ED-APP-1'] },
  'app.inPlaintext': { alert: 'unexpected_message', requirements: ['E2ED-APP-8', 'E2ED-HS-31'] },
  // identity (5.7)
  'id.reflectedFrom': { alert: 'illegal_parameter', requirements: ['E2ED-ID-1'] },
  'id.reflectedNonce': { alert: 'illegal_parameter', requirements: ['E2ED-ID-3'] },
  'id.reflectedResponder': { alert: 'illegal_parameter', requirements: ['E2ED-ID-3'] },
  'id.wrongTo': { alert: 'identity_mismatch', requirements: ['E2ED-ID-4'] },
  'id.fromNotCertificate': { alert: 'identity_mismatch', requirements: ['E2ED-ID-5', 'E2ED-CERT-14'] },
  'id.responderFrom': { alert: 'identity_mismatch', requirements: ['E2ED-ID-6'] },
  'id.responderTo': { alert: 'identity_mismatch', requirements: ['E2ED-ID-7'] },
  'cert.statusUnavailable': { alert: 'internal_error', requirements: ['E2ED-CERT-30'] },
  'cert.outsideValidity': { alert: 'certificate_expired', requirements: ['E2ED-CERT-2', 'E2ED-CERT-27'] },
  'cert.statusUnknown': { alert: 'bad_certificate', requirements: ['E2ED-CERT-30'] },
  'cert.untrustedRoot': { alert: 'unknown_ca', requirements: ['E2ED-CERT-3', 'E2ED-CERT-29'] },
  'kt.length': { alert: 'decode_error', requirements: ['E2ED-KS-12'] },
  'kt.implicitRejection': { alert: 'decrypt_error', requirements: ['E2ED-KS-13', 'E2ED-HS-30'] },
} as const satisfies Record<string, AlertRule>;

export type Fault = keyof typeof FAULT_ALERTS;

export function isFault(s: string): s is Fault {
  return Object.prototype.hasOwnProperty.call(FAULT_ALERTS, s);
}

export function ruleFor(fault: Fault): AlertRule {
  const r = FAULT_ALERTS[fault];
  return { alert: r.alert, requirements: [...r.requirements] };
}

/** Every alert the table names is a registered alert (checked by a test; a typo here is a defect in every case citing it). */
export function unregisteredAlerts(): string[] {
  return Object.values(FAULT_ALERTS)
    .map((r) => r.alert)
    .filter((a) => !isAlertName(a));
}
