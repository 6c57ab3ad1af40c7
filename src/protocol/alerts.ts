// The alert registry of E2ED 1.0 and IRP (docs/spec.md, section "Alerts").
// One table: every alert name, its code number, and whether it is always fatal.
// Handlers never pick alert codes themselves: they raise a typed ProtocolError
// (src/protocol/errors.ts) and the error's fault kind carries the alert.

export const ALERTS = {
  close_notify: { code: 0, fatal: false },
  unexpected_message: { code: 10, fatal: true },
  bad_record_mac: { code: 20, fatal: true },
  record_overflow: { code: 22, fatal: true },
  handshake_failure: { code: 40, fatal: true },
  bad_certificate: { code: 42, fatal: true },
  unsupported_certificate: { code: 43, fatal: true },
  certificate_revoked: { code: 44, fatal: true },
  certificate_expired: { code: 45, fatal: true },
  illegal_parameter: { code: 47, fatal: true },
  unknown_ca: { code: 48, fatal: true },
  decode_error: { code: 50, fatal: true },
  decrypt_error: { code: 51, fatal: true },
  protocol_version: { code: 70, fatal: true },
  insufficient_security: { code: 71, fatal: true },
  internal_error: { code: 80, fatal: true },
  user_canceled: { code: 90, fatal: false },
  unsupported_extension: { code: 110, fatal: true },
  identity_mismatch: { code: 120, fatal: true },
  handshake_timeout: { code: 121, fatal: true },
} as const;

export type AlertName = keyof typeof ALERTS;
export type AlertLevel = 'warning' | 'fatal';

export const ALERT_NAMES = Object.keys(ALERTS) as AlertName[];

export function isAlertName(s: string): s is AlertName {
  return Object.prototype.hasOwnProperty.call(ALERTS, s);
}

export function alertCode(name: AlertName): number {
  return ALERTS[name].code;
}
