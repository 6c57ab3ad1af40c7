// The line generator of the records, limits, reflection and key-transport families: one line of
// suites/adversary.json is a conversation (where it starts, what the adversary does, how the spec
// says it ends) expanded over the implementation's roles and, where the line says so, over the
// ciphers, into cases with stable ids `<family>.<role>[.<cipher>].<name>`.
import { handshakeSteps } from '../../adversary/adversary.js';
import { isFault } from '../../adversary/alert-rules.js';
import type { Script, ScriptStep } from '../../adversary/script.js';
import type { CaseSpec } from '../model.js';
import { adversaryCase, type Ending, type Family } from './cases.js';
import { AdversaryDataError } from './data-error.js';

export interface LineData {
  title: string;
  requirements: string[];
  /** Where the conversation starts: 'start' (nothing sent), 'connected' (a complete handshake), or a state of the implementation (docs/spec.md 5.8). */
  from: string;
  steps: ScriptStep[];
  /** How it ends: a fault of the alert table (refused), 'silent' (closed, no alert), or 'goesOn' (the steps of `then` hold). */
  ending: { refused: string; in?: 'plaintext' | 'record' } | { silent: true } | { goesOn: ScriptStep[] };
  /** The implementation's roles (default both). */
  roles?: ('initiator' | 'responder')[];
  /** Expand over both ciphers. */
  perCipher?: boolean;
  offer?: Script['offer'];
  iut?: Script['iut'];
  identity?: Script['identity'];
}

export const CIPHER_IDS: Record<string, string> = { 'AES-256-GCM': 'aes', 'CHACHA20-POLY1305': 'chacha' };

export function lineCases(family: Family, lines: Record<string, LineData>): CaseSpec[] {
  const cases: CaseSpec[] = [];
  for (const [name, line] of Object.entries(lines)) {
    const where = `suites/adversary.json ${family}.${name}`;
    let ending: Ending;
    if ('refused' in line.ending) {
      if (!isFault(line.ending.refused)) throw new AdversaryDataError(`${where}: ending.refused names unknown fault "${line.ending.refused}"`);
      ending = { refused: line.ending.refused, ...(line.ending.in ? { in: line.ending.in } : {}) };
    } else if ('silent' in line.ending) ending = { silentClose: true };
    else ending = { goesOn: line.ending.goesOn };
    for (const iutRole of line.roles ?? ['responder', 'initiator']) {
      const advRole = iutRole === 'initiator' ? 'responder' : 'initiator';
      let prefix: ScriptStep[];
      try {
        prefix = line.from === 'start' ? [] : handshakeSteps(advRole, line.from === 'connected' ? 'Connected' : line.from);
      } catch (err) {
        throw new AdversaryDataError(`${where}: from: ${(err as Error).message}`);
      }
      for (const cipher of line.perCipher ? Object.keys(CIPHER_IDS) : [undefined]) {
        const offer = cipher ? { ...line.offer, ciphers: [cipher] } : line.offer;
        cases.push(
          adversaryCase({
            id: `${family}.${iutRole}${cipher ? `.${CIPHER_IDS[cipher]}` : ''}.${name}`,
            suite: family,
            title: `${line.title} (the implementation is the ${iutRole}${cipher ? `, ${cipher}` : ''})`,
            requirements: line.requirements,
            script: { role: advRole, ...(offer ? { offer } : {}), ...(line.iut ? { iut: line.iut } : {}), ...(line.identity ? { identity: line.identity } : {}), steps: [...prefix, ...line.steps] },
            ending,
          }),
        );
      }
    }
  }
  return cases;
}
