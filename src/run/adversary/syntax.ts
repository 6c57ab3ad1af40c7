// The message-syntax family (docs/spec.md sections 3, 4 and 11): every element and attribute of
// every handshake and application message, from suites/adversary.json "syntax.messages", times
// {missing, duplicated, empty, too long, wrong type, value outside its set, unknown sibling,
// unknown critical sibling, wrong namespace}; and every document-level fault (namespace, prefix,
// declaration, comment, PI, DOCTYPE, entity, CDATA, BOM, text outside the root) on each message.
// The alert of each fault comes from the one table (src/adversary/alert-rules.ts); a field whose
// requirement names another alert says so in the data.
import { handshakeSteps } from '../../adversary/adversary.js';
import { isFault, type Fault } from '../../adversary/alert-rules.js';
import type { Mutator } from '../../adversary/mutators.js';
import type { Script, ScriptStep, SendStep } from '../../adversary/script.js';
import type { MessageName } from '../../adversary/templates.js';
import type { CaseSpec } from '../model.js';
import { AdversaryDataError as CatalogueError } from './data-error.js';
import { adversaryCase, idPart, type Ending } from './cases.js';

export const MUTATIONS = ['missing', 'duplicated', 'empty', 'tooLong', 'wrongType', 'outOfSet', 'unknownSibling', 'criticalSibling', 'wrongNamespace'] as const;
export type MutationKind = (typeof MUTATIONS)[number];

/** The fault each mutation is, unless the field's data names another one (or `null`: accepted). */
const DEFAULT_FAULT: Record<MutationKind, Fault | null> = {
  missing: 'xml.missing',
  duplicated: 'xml.duplicate',
  empty: 'xml.syntax',
  tooLong: 'xml.syntax',
  wrongType: 'xml.syntax',
  outOfSet: 'xml.outOfSet',
  unknownSibling: null,
  criticalSibling: 'xml.criticalUnknown',
  wrongNamespace: 'xml.prefix',
};

/** A mutation of a field: `true` (the default value and fault), a value, or `{ value, fault }` (fault null: accepted). */
export type MutationSpec = true | string | { value?: string; fault: string | null; requirements?: string[] };

export interface FieldData {
  requirements: string[];
  mutations: Partial<Record<MutationKind, MutationSpec>>;
}

export interface MessageData {
  /** The implementation's role(s) receiving it. */
  iutRoles: ('initiator' | 'responder')[];
  requirements: string[];
  fields: Record<string, FieldData>;
  /** Extra named cases: mutators and the fault (null: accepted). */
  extra?: Record<string, { title: string; mutate: Mutator[]; fault: string | null; requirements: string[] }>;
  /** What the implementation is started with for these cases. */
  iut?: Script['iut'];
}

export interface DocumentFault {
  title: string;
  mutate: Mutator[];
  /** The fault (null: accepted), and where a message differs. */
  fault: string | null;
  byMessage?: Record<string, string | null>;
  requirements: string[];
  /** Only these messages. */
  only?: string[];
}

export interface SyntaxData {
  messages: Record<string, MessageData>;
  documents: { messages: string[]; faults: Record<string, DocumentFault> };
}

/** Where a message is sent from, and how the conversation goes on when it is accepted. */
function placement(message: string, advRole: 'initiator' | 'responder'): { before: ScriptStep[]; send: SendStep; after: ScriptStep[]; where: 'plaintext' | 'record'; accepted: ScriptStep[] } {
  const full = handshakeSteps(advRole);
  const handshakeAt = (name: MessageName): { before: ScriptStep[]; after: ScriptStep[] } => {
    const i = full.findIndex((s) => s.do === 'send' && (s.message === name || (name.endsWith('Hello') && s.message === 'Hello')));
    return { before: full.slice(0, i), after: full.slice(i + 1) };
  };
  const alive: ScriptStep[] = [{ do: 'roundTrip', id: 'after' }];
  switch (message) {
    case 'InitiatorHello':
    case 'ResponderHello':
    case 'CertificateVerify':
    case 'Finished': {
      const at = handshakeAt(message as MessageName);
      return { before: at.before, send: { do: 'send', message: message as MessageName }, after: at.after, where: 'plaintext', accepted: [...at.after, ...alive] };
    }
    case 'Alert':
      // After the first flight: a responder that has not received Hello_I sends nothing (E2ED-HS-11).
      return {
        before: handshakeSteps(advRole, advRole === 'initiator' ? 'ExpectInitiatorCertificateVerify' : 'ExpectResponderHello'),
        send: { do: 'send', message: 'Alert', fields: { level: 'fatal', code: 'handshake_failure', reason: 'probe' } },
        after: [],
        where: 'plaintext',
        accepted: [{ do: 'expect', closed: 'any' }],
      };
    case 'Message':
      return { before: full, send: { do: 'send', message: 'Message', fields: { id: 'm-1' } }, after: [], where: 'record', accepted: [{ do: 'expect', message: 'Receipt' }, ...alive] };
    case 'Ping':
      return { before: full, send: { do: 'send', message: 'Ping', fields: { id: 'p-1' } }, after: [], where: 'record', accepted: [{ do: 'expect', message: 'Pong' }, ...alive] };
    case 'Receipt':
    case 'Pong':
      return { before: full, send: { do: 'send', message: message as MessageName, fields: { id: 'unknown-id' } }, after: [], where: 'record', accepted: alive };
    case 'KeyUpdate':
      return { before: full, send: { do: 'send', message: 'KeyUpdate', fields: { request: 'false' } }, after: [], where: 'record', accepted: alive };
    default:
      throw new CatalogueError(`suites/adversary.json syntax: no placement for message ${message}`);
  }
}

function faultOrNull(s: string | null, where: string): Fault | null {
  if (s === null) return null;
  if (!isFault(s)) throw new CatalogueError(`suites/adversary.json ${where}: unknown fault "${s}" (src/adversary/alert-rules.ts lists them)`);
  return s;
}

function fieldMutators(path: string, kind: MutationKind, value: string | undefined): Mutator[] {
  const isAttr = path.includes('@');
  const elementPath = path === 'text' ? '' : path;
  switch (kind) {
    case 'missing':
      // every element of that name (a repeated one, like Certificate, is missing only when none is left)
      return [{ op: 'remove', path: elementPath, ...(isAttr ? {} : { all: true }) }];
    case 'duplicated':
      return [{ op: 'duplicate', path: elementPath }];
    case 'empty':
      return [{ op: 'empty', path: elementPath }];
    case 'tooLong':
    case 'wrongType':
    case 'outOfSet':
      if (value === undefined) throw new CatalogueError(`suites/adversary.json syntax: ${path} ${kind} needs a value`);
      return [{ op: 'set', path: elementPath, value }];
    case 'unknownSibling':
      return isAttr ? [{ op: 'set', path: path.replace(/@[^/]*$/, '@sixbench-unknown'), value: 'x' }] : [{ op: 'addSibling', path: elementPath, name: 'SixbenchUnknown' }];
    case 'criticalSibling':
      return [{ op: 'addSibling', path: elementPath, name: 'SixbenchUnknown', critical: true }];
    case 'wrongNamespace':
      return isAttr ? [{ op: 'rename', path: elementPath, name: `x:${path.split('@').pop()!}` }] : [{ op: 'childNamespace', path: elementPath, value: 'urn:sixchat:other:1' }];
  }
}

export function syntaxCases(data: SyntaxData): CaseSpec[] {
  const cases: CaseSpec[] = [];
  const make = (message: string, iutRole: 'initiator' | 'responder', idTail: string, title: string, mutate: Mutator[], fault: Fault | null, requirements: string[], iut: Script['iut']) => {
    const advRole = iutRole === 'initiator' ? 'responder' : 'initiator';
    const p = placement(message, advRole);
    const ending: Ending = fault === null ? { goesOn: p.accepted } : { refused: fault, in: p.where };
    cases.push(
      adversaryCase({
        id: `syntax.${iutRole}.${message}.${idTail}`,
        suite: 'syntax',
        title: `The ${iutRole} receives ${message} with ${title}`,
        requirements: ['E2ED-HS-1', ...requirements],
        script: { role: advRole, ...(iut ? { iut } : {}), steps: [...p.before, { ...p.send, mutate }] },
        ending,
      }),
    );
  };
  for (const [message, m] of Object.entries(data.messages)) {
    for (const iutRole of m.iutRoles) {
      for (const [path, field] of Object.entries(m.fields)) {
        for (const kind of MUTATIONS) {
          const spec = field.mutations[kind];
          if (spec === undefined) continue;
          const where = `syntax.messages.${message}.fields.${path}.mutations.${kind}`;
          let value: string | undefined;
          let fault: Fault | null = DEFAULT_FAULT[kind];
          let extraReqs: string[] = [];
          if (typeof spec === 'string') value = spec;
          else if (spec !== true) {
            value = spec.value;
            fault = faultOrNull(spec.fault, where);
            extraReqs = spec.requirements ?? [];
          }
          if (fault === null && kind === 'unknownSibling') extraReqs.push(path.includes('@') ? 'E2ED-XML-18' : 'E2ED-XML-17');
          const words = `${path === 'text' ? 'its text' : path} ${KIND_WORDS[kind]}${value !== undefined && value.length <= 40 ? ` ("${value}")` : ''}`;
          make(message, iutRole, `${idPart(path === 'text' ? 'text' : path)}.${kind}`, words, fieldMutators(path, kind, value), fault, [...m.requirements, ...field.requirements, ...extraReqs], m.iut);
        }
      }
      for (const [name, x] of Object.entries(m.extra ?? {})) {
        make(message, iutRole, name, x.title, x.mutate, faultOrNull(x.fault, `syntax.messages.${message}.extra.${name}`), [...m.requirements, ...x.requirements], m.iut);
      }
    }
  }
  for (const message of data.documents.messages) {
    const m = data.messages[message];
    if (!m) throw new CatalogueError(`suites/adversary.json syntax.documents.messages names ${message}, which syntax.messages does not define`);
    for (const [name, d] of Object.entries(data.documents.faults)) {
      if (d.only && !d.only.includes(message)) continue;
      const faultName = d.byMessage && message in d.byMessage ? d.byMessage[message]! : d.fault;
      const fault = faultOrNull(faultName, `syntax.documents.faults.${name}`);
      for (const iutRole of m.iutRoles) make(message, iutRole, `document.${name}`, d.title, d.mutate, fault, d.requirements, m.iut);
    }
  }
  return cases;
}

const KIND_WORDS: Record<MutationKind, string> = {
  missing: 'missing',
  duplicated: 'duplicated',
  empty: 'empty',
  tooLong: 'too long',
  wrongType: 'of the wrong syntax',
  outOfSet: 'outside its set',
  unknownSibling: 'followed by an unknown sibling',
  criticalSibling: 'followed by an unknown critical sibling',
  wrongNamespace: 'in another namespace',
};
