// The adversary's suites: suites/adversary.json (schema: suites/adversary.schema.json) expanded by
// the family generators into cases, each family between its sanity conversations, every script
// checked before the run starts (an unknown message, field, mutator, alert or state names the
// file, the case and the field).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlertName } from '../../protocol/alerts.js';
import { REACHABLE_STATES } from '../../adversary/adversary.js';
import { mutatorProblem } from '../../adversary/mutators.js';
import { STEP_KINDS, type ExpectStep, type ScriptStep } from '../../adversary/script.js';
import { MESSAGE_NAMES } from '../../adversary/templates.js';
import type { CaseSpec } from '../model.js';
import { FAMILIES, sanityCases, selfTestCase, type Family } from './cases.js';
import { parseBugs } from '../../protocol/bugs.js';
import { AdversaryDataError } from './data-error.js';
import { lineCases, type LineData } from './lines.js';
import { orderingCases, type OrderingData } from './ordering.js';
import { readStateTables } from './state-tables.js';
import { syntaxCases, type SyntaxData } from './syntax.js';

export const ADVERSARY_FILE = 'adversary.json';

export interface AdversaryData {
  description?: string;
  ordering: OrderingData;
  syntax: SyntaxData;
  records: Record<string, LineData>;
  limits: Record<string, LineData>;
  reflection: Record<string, LineData>;
  'key-transport': Record<string, LineData>;
  /** Cases reported as skip with this reason (BoGo's disabled-tests file): each names the defect it waits for. */
  disabled?: Record<string, string>;
}

const TOP_KEYS = ['$schema', 'description', 'disabled', ...FAMILIES];

export function loadAdversaryData(dir: string): AdversaryData {
  const file = path.join(dir, ADVERSARY_FILE);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AdversaryDataError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new AdversaryDataError(`${file}: the top level must be an object`);
  for (const k of Object.keys(data)) if (!TOP_KEYS.includes(k)) throw new AdversaryDataError(`${file}: unknown field "${k}" at the top level (known: ${TOP_KEYS.join(', ')})`);
  for (const f of FAMILIES) if (!(f in data)) throw new AdversaryDataError(`${file}: the family "${f}" is missing`);
  return data as AdversaryData;
}

/** Every adversary case, family by family, each between its sanity conversations. */
export function adversaryCases(dir: string, specText: string): CaseSpec[] {
  const data = loadAdversaryData(dir);
  const byFamily: Record<Family, CaseSpec[]> = {
    ordering: orderingCases(readStateTables(specText), data.ordering),
    syntax: syntaxCases(data.syntax),
    records: lineCases('records', data.records),
    limits: lineCases('limits', data.limits),
    reflection: lineCases('reflection', data.reflection),
    'key-transport': lineCases('key-transport', data['key-transport']),
  };
  const all = FAMILIES.flatMap((f) => byFamily[f]);
  for (const c of all) if (c.action.kind === 'adversary') checkScript(c.id, c.action.script.steps);
  const ids = new Set(all.map((c) => c.id));
  for (const [id, reason] of Object.entries(data.disabled ?? {})) {
    if (!ids.has(id)) throw new AdversaryDataError(`suites/${ADVERSARY_FILE}, disabled: there is no case "${id}"`);
    const c = all.find((x) => x.id === id)!;
    if (c.action.kind === 'adversary') c.action.knownDefect = reason;
  }
  const out: CaseSpec[] = [];
  for (const f of FAMILIES) {
    const { before, after } = sanityCases(f);
    const self = selfTestCase(f, byFamily[f]);
    parseBugs((self.action as { selfTest: { knobs: string[] } }).selfTest.knobs); // an unknown knob stops the run here
    out.push(before, ...byFamily[f], self, after);
  }
  return out;
}

const SEND_KEYS = ['do', 'message', 'raw', 'fields', 'set', 'mutate', 'as', 'record', 'advance', 'frame', 'split', 'hold', 'transcript', 'transcriptAs'];
const EXPECT_KEYS = ['do', 'message', 'where', 'alert', 'level', 'in', 'closed', 'nothing', 'oneOf', 'timeoutMs'];
const FIELD_NAMES = ['id', 'text', 'timestamp', 'level', 'code', 'reason', 'request', 'name', 'critical'];
const ALL_STATES: readonly string[] = [...REACHABLE_STATES.initiator, ...REACHABLE_STATES.responder];

/** Throws naming the file, the case, the step and the field when a script says something the adversary does not know. */
export function checkScript(caseId: string, steps: readonly ScriptStep[], where = 'step'): void {
  const fail = (i: number, field: string, what: string): never => {
    throw new AdversaryDataError(`suites/${ADVERSARY_FILE}, case ${caseId}, ${where} ${i + 1}, field "${field}": ${what}`);
  };
  const unknownKeys = (i: number, o: object, known: string[]): void => {
    for (const k of Object.keys(o)) if (!known.includes(k)) fail(i, k, `unknown field (known: ${known.join(', ')})`);
  };
  steps.forEach((s, i) => {
    if (!(STEP_KINDS as readonly string[]).includes(s.do)) fail(i, 'do', `unknown step "${String(s.do)}" (known: ${STEP_KINDS.join(', ')})`);
    switch (s.do) {
      case 'send': {
        unknownKeys(i, s, SEND_KEYS);
        if ((s.message === undefined) === (s.raw === undefined)) fail(i, 'message', 'a send names exactly one of message and raw');
        if (s.message !== undefined && !(MESSAGE_NAMES as readonly string[]).includes(s.message)) fail(i, 'message', `unknown message "${s.message}" (known: ${MESSAGE_NAMES.join(', ')})`);
        for (const k of Object.keys(s.fields ?? {})) if (!FIELD_NAMES.includes(k)) fail(i, `fields.${k}`, `unknown template field (known: ${FIELD_NAMES.join(', ')})`);
        if (s.fields?.['code'] !== undefined && s.message === 'Alert' && !/^[a-z_]{1,32}$/.test(String(s.fields['code']))) fail(i, 'fields.code', 'not an alert name');
        for (const [j, m] of (s.mutate ?? []).entries()) {
          const wrong = mutatorProblem(m);
          if (wrong) fail(i, `mutate[${j}].${wrong.field}`, wrong.problem);
        }
        if (s.as !== undefined && s.as !== 'plaintext' && s.as !== 'record') fail(i, 'as', 'plaintext or record');
        if (s.record?.keys !== undefined && !['current', 'previous', 'next', 'other-direction'].includes(s.record.keys)) fail(i, 'record.keys', `unknown keys "${s.record.keys}"`);
        break;
      }
      case 'expect':
        checkExpect(s, i, fail, unknownKeys);
        break;
      case 'refused':
        unknownKeys(i, s, ['do', 'alert', 'in']);
        for (const a of s.alert) if (!isAlertName(a)) fail(i, 'alert', `unknown alert "${a}"`);
        break;
      case 'handshake':
        unknownKeys(i, s, ['do', 'until']);
        if (s.until !== undefined && !ALL_STATES.includes(s.until)) fail(i, 'until', `unknown state "${s.until}"`);
        break;
      case 'roundTrip':
        unknownKeys(i, s, ['do', 'id']);
        break;
      case 'close':
        unknownKeys(i, s, ['do', 'how']);
        if (!['notify', 'fin', 'reset'].includes(s.how)) fail(i, 'how', `unknown closing "${s.how}"`);
        break;
      case 'wait':
        unknownKeys(i, s, ['do', 'ms']);
        break;
    }
  });
}

function checkExpect(s: ExpectStep, i: number, fail: (i: number, f: string, w: string) => never, unknownKeys: (i: number, o: object, k: string[]) => void): void {
  unknownKeys(i, s, EXPECT_KEYS);
  if (s.message !== undefined && s.message !== 'any' && !(MESSAGE_NAMES as readonly string[]).includes(s.message)) fail(i, 'message', `unknown message "${s.message}"`);
  for (const a of s.alert ?? []) if (!isAlertName(a)) fail(i, 'alert', `unknown alert "${a}"`);
  if (s.closed !== undefined && !['any', 'fin', 'reset'].includes(s.closed)) fail(i, 'closed', `unknown ending "${s.closed}"`);
  for (const branch of s.oneOf ?? []) for (const e of branch) checkExpect(e, i, fail, unknownKeys);
}
