// Session-key correctness of an implementation under test with a key log (issue 8 §4): every
// record the IUT sent, as captured between it and the reference, must open with the traffic
// secrets the IUT logged (generation 0, 1, ...: the sequence restarts after the record that
// carried a KeyUpdate, E2ED-REC-9). Together with src/run/iut-conversation.ts compareKeyLogs (each
// logged secret equals the bench's own derivation) this checks both the log and the keys in use.
import { FrameDecoder, FrameType } from '../protocol/frame.js';
import type { KeyLogEntry } from '../protocol/keylog.js';
import { trafficKeys } from '../protocol/keyschedule.js';
import { openRecord } from '../protocol/record.js';
import type { CipherName } from '../protocol/record.js';

export interface RecordCheck {
  records: number;
  opened: number;
  failure?: string;
}

/** Opens, in order, the records of one direction with the logged `${prefix}${generation}` secrets of the session `nonceI`. */
export function openLoggedRecords(bytes: Buffer, entries: readonly KeyLogEntry[], prefix: string, cipher: CipherName): RecordCheck {
  const records = new FrameDecoder().push(bytes).filter((f) => f.type === FrameType.Record);
  const sessions = [...new Set(entries.filter((e) => e.label.startsWith(prefix)).map((e) => e.nonceI))];
  if (records.length === 0) return { records: 0, opened: 0 };
  if (sessions.length !== 1) return { records: records.length, opened: 0, failure: `expected the key log of one session, found ${sessions.length}` };
  let generation = 0;
  let seq = 0n;
  let opened = 0;
  for (const frame of records) {
    const line = entries.find((e) => e.nonceI === sessions[0] && e.label === `${prefix}${generation}`);
    if (!line) return { records: records.length, opened, failure: `no ${prefix}${generation} in its key log for its record ${opened + 1}` };
    const { key, iv } = trafficKeys(Buffer.from(line.secret, 'hex'));
    let plaintext: Buffer;
    try {
      plaintext = openRecord(cipher, key, iv, seq, frame);
    } catch (err) {
      return { records: records.length, opened, failure: `its record ${opened + 1} (generation ${generation}, sequence ${seq}) does not open with the secret it logged: ${(err as Error).message}` };
    }
    opened++;
    seq++;
    if (plaintext.toString('utf8').includes('<KeyUpdate')) {
      generation++;
      seq = 0n;
    }
  }
  return { records: records.length, opened };
}
