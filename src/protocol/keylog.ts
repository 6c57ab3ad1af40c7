// Key-log lines (docs/spec.md, section 13 "Key log"): one line per secret,
// `LABEL <nonce_I hex> <secret hex>`, so a capture can be decrypted offline. Lines starting
// with `#` are comments. The nonce of the initiator identifies the connection.
import { toHex } from './bytes.js';

export type TrafficDirection = 'i2r' | 'r2i';

export type KeyLogLabel =
  | 'E2ED_HANDSHAKE_SECRET'
  | 'E2ED_MASTER_SECRET'
  | 'E2ED_EXPORTER'
  | `E2ED_I2R_TRAFFIC_SECRET_${number}`
  | `E2ED_R2I_TRAFFIC_SECRET_${number}`;

/** "n = 0 initially, +1 per key update". */
export function trafficSecretLabel(direction: TrafficDirection, generation: number): KeyLogLabel {
  return direction === 'i2r' ? `E2ED_I2R_TRAFFIC_SECRET_${generation}` : `E2ED_R2I_TRAFFIC_SECRET_${generation}`;
}

export function keyLogLine(label: KeyLogLabel, nonceI: Uint8Array, secret: Uint8Array): string {
  return `${label} ${toHex(nonceI)} ${toHex(secret)}`;
}

export interface KeyLogEntry {
  label: string;
  nonceI: string;
  secret: string;
}

const LINE = /^(E2ED_[A-Z0-9_]+) ([0-9a-f]{64}) ((?:[0-9a-f]{2})+)$/;

/** Parse a key-log file: comments and blank lines skipped, malformed lines reported by number. */
export function parseKeyLog(text: string): { entries: KeyLogEntry[]; malformedLines: number[] } {
  const entries: KeyLogEntry[] = [];
  const malformedLines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (m === null) malformedLines.push(index + 1);
    else entries.push({ label: m[1], nonceI: m[2], secret: m[3] });
  });
  return { entries, malformedLines };
}
