// The case catalogues of the five suites, built from the case data in suites/*.json and from the
// project's own catalogues (KNOBS in src/protocol/bugs.ts, DEFECTS in src/pki/defects.ts, the vector
// kinds of src/vectors/all.ts), so that a knob, defect or vector file cannot be added without a
// case. Every case id is stable and derived from a name, never from a position.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFECTS } from '../pki/defects.js';
import { KNOBS } from '../protocol/bugs.js';
import { relayCases, RelaySuiteError, type RelaySuiteData } from './relay-cases.js';
import { VECTOR_KINDS } from '../vectors/all.js';
import { adversaryCases } from './adversary/catalogue.js';
import { AdversaryDataError } from './adversary/data-error.js';
import {
  otherSide,
  SIDES,
  UA_CHECKS,
  type CaseSpec,
  type ConversationExpectation,
  type IrpCheckName,
  type KnobForm,
  type PeerSetup,
  type Side,
  type SideExpectation,
  type Step,
  type SuiteName,
} from './model.js';

/** The repository root: src/run/ (tap, TypeScript) and dist/run/ (built) both sit two levels below it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SUITES_DIR = path.join(REPO_ROOT, 'suites');

/** The suite data file is missing, malformed, or out of step with a project catalogue. */
export class CatalogueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueError';
  }
}

function readSuite<T>(dir: string, name: SuiteName): T {
  const file = path.join(dir, `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new CatalogueError(`cannot read the ${name} suite data ${file}: ${(err as Error).message}`);
  }
}

/** "E2ED-ID-1, E2ED-ID-3" -> ['E2ED-ID-1', 'E2ED-ID-3'] (the knob catalogue's spelling). */
function splitIds(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

// ---- interop ---------------------------------------------------------------------------------

interface InteropData {
  requirements: string[];
  methods: { name: string; responderIdentity: 'p256' | 'rsa'; requirements: string[] }[];
  ciphers: string[];
  directions: Record<string, string>;
  steps: TemplateStep[];
  expectEachSide: SideExpectation;
  pingCases: { requirements: string[]; method: string; cipher: string; steps: TemplateStep[]; expectEachSide: SideExpectation };
  /** Cases run by a check of their own (src/run/model.ts UA_CHECKS). */
  checkCases?: { id: string; check: string; title: string; requirements: string[]; expected: string }[];
  /** Further fully written conversations (method negotiation, alerts), the same shape as versionCases. */
  conversationCases?: InteropData['versionCases'];
  /** Fully written conversations about version negotiation. */
  versionCases: { id: string; title: string; requirements: string[]; initiator: PeerSetup; responder: PeerSetup; steps: Step[]; expect: ConversationExpectation }[];
}

/** A step whose `from` names the driving end of the connection or the other end. */
type TemplateStep = { do: Step['do']; from?: 'driver' | 'other'; request?: boolean; count?: number };

function stepsFor(template: TemplateStep[], driver: Side): Step[] {
  return template.map((s): Step => {
    const from = s.from === 'driver' ? driver : otherSide(driver);
    switch (s.do) {
      case 'handshake':
        return { do: 'handshake' };
      case 'message':
        return { do: 'message', from, ...(s.count !== undefined ? { count: s.count } : {}) };
      case 'ping':
        return { do: 'ping', from };
      case 'keyUpdate':
        return { do: 'keyUpdate', from, request: s.request === true };
      case 'close':
        return { do: 'close', from };
    }
  });
}

function interopCases(data: InteropData): CaseSpec[] {
  const cases: CaseSpec[] = [];
  for (const method of data.methods) {
    for (const cipher of data.ciphers) {
      for (const [direction, description] of Object.entries(data.directions)) {
        const driver: Side = direction === 'i2r' ? 'initiator' : 'responder';
        const steps = stepsFor(data.steps, driver);
        const side: SideExpectation = { ...data.expectEachSide, negotiated: { version: ['1.0'], method: [method.name], cipher: [cipher] } };
        const expect: ConversationExpectation = { initiator: side, responder: side, agree: true };
        cases.push({
          id: `interop.${method.name}.${cipher.toLowerCase()}.${direction}`,
          suite: 'interop',
          title: `${method.name} with ${cipher}; ${description}`,
          requirements: unique([...data.requirements, ...method.requirements]),
          expected: `both sides Connected with 1.0/${method.name}/${cipher} and the same exporter; every Message gets its Receipt; a requested key update moves both directions to generation 1; close_notify both ways, a clean end on both sides; no alert`,
          action: {
            kind: 'conversation',
            conversation: {
              initiator: { methods: [method.name], ciphers: [cipher] },
              responder: { identity: method.responderIdentity },
              steps,
              expect,
            },
          },
        });
      }
    }
  }
  const ping = data.pingCases;
  for (const [direction, description] of Object.entries(data.directions)) {
    const driver: Side = direction === 'i2r' ? 'initiator' : 'responder';
    const side: SideExpectation = { ...ping.expectEachSide };
    cases.push({
      id: `interop.ping.${direction}`,
      suite: 'interop',
      title: `Ping and Pong from each end (${ping.method} with ${ping.cipher}); ${description}`,
      requirements: unique([...ping.requirements]),
      expected: 'each Ping is answered by a Pong; a clean end on both sides; no alert',
      action: {
        kind: 'conversation',
        conversation: {
          initiator: { methods: [ping.method], ciphers: [ping.cipher] },
          responder: {},
          steps: stepsFor(ping.steps, driver),
          expect: { initiator: side, responder: side },
        },
      },
    });
  }
  for (const v of [...data.versionCases, ...(data.conversationCases ?? [])]) {
    cases.push({
      id: v.id,
      suite: 'interop',
      title: v.title,
      requirements: unique([...v.requirements, ...alertRequirements(v.expect)]),
      expected: describeExpectation(v.expect),
      action: { kind: 'conversation', conversation: { initiator: v.initiator, responder: v.responder, steps: v.steps, expect: v.expect } },
    });
  }
  for (const c of data.checkCases ?? []) {
    const check = UA_CHECKS.find((n) => n === c.check);
    if (!check) throw new CatalogueError(`suites/interop.json: case ${c.id} names unknown check ${c.check}`);
    cases.push({ id: c.id, suite: 'interop', title: c.title, requirements: unique(c.requirements), expected: c.expected, action: { kind: 'check', check } });
  }
  return cases;
}

// ---- knobs -----------------------------------------------------------------------------------

interface KnobData {
  knobs: Record<
    string,
    {
      form: KnobForm;
      knobbed: Side;
      requirements?: string[];
      note?: string;
      initiator?: PeerSetup;
      responder?: PeerSetup;
      steps?: Step[];
      expect: ConversationExpectation;
    }
  >;
}

/** Says an expectation in words, for the report and for failure evidence. */
export function describeExpectation(expect: ConversationExpectation): string {
  const parts: string[] = [];
  for (const side of SIDES) {
    const e = expect[side];
    if (!e) continue;
    const said: string[] = [];
    if (e.alertSent !== undefined) said.push(e.alertSent === null ? 'sends no alert' : `sends ${e.alertSent.join(' or ')}`);
    if (e.alertReceived !== undefined) said.push(e.alertReceived === null ? 'receives no alert' : `receives ${e.alertReceived.join(' or ')}`);
    if (e.connected !== undefined) said.push(e.connected ? 'becomes Connected' : 'never becomes Connected');
    if (e.closed !== undefined) said.push(`ends ${e.closed.join(' or ')}`);
    if (e.negotiated?.version) said.push(`negotiates version ${e.negotiated.version.join(' or ')}`);
    if (e.negotiated?.method) said.push(`method ${e.negotiated.method.join(' or ')}`);
    if (e.negotiated?.cipher) said.push(`cipher ${e.negotiated.cipher.join(' or ')}`);
    if (e.delivered !== undefined) said.push(`delivers ${e.delivered} message(s)`);
    if (e.receipts !== undefined) said.push(`gets ${e.receipts} receipt(s)`);
    if (e.pongs !== undefined) said.push(`gets ${e.pongs} pong(s)`);
    if (e.receiveGeneration !== undefined) said.push(`ends at receive key generation ${e.receiveGeneration}`);
    if (e.sendGeneration !== undefined) said.push(`ends at send key generation ${e.sendGeneration}`);
    parts.push(`the ${side} ${said.join(', ')}`);
  }
  if (expect.agree) parts.push('both report the same exporter and parameters');
  return parts.join('; ');
}

const FORM_WORDS: Record<KnobForm, string> = {
  detect: 'against a conforming UA, which must detect it',
  tolerate: 'against a conforming UA, which must go on as the spec says',
  observe: 'against a conforming UA, which cannot see it by design; the case observes its consequence',
  accept: 'run the other way round: against a peer sending the bad input, which the knobbed UA must fail to reject',
};

/**
 * A case that demands one exact alert checks E2ED-ALERT-1 ("MUST send exactly the alert that the
 * violated requirement names"); one that demands a received fatal alert ends the connection checks
 * E2ED-ALERT-5 ("MUST close the connection ... and MUST report the received code").
 */
function alertRequirements(expect: ConversationExpectation): string[] {
  const ids: string[] = [];
  for (const side of SIDES) {
    const e = expect[side];
    if (e?.alertSent) ids.push('E2ED-ALERT-1');
    if (e?.alertReceived && e.closed) ids.push('E2ED-ALERT-5');
  }
  return ids;
}

function knobCases(data: KnobData): CaseSpec[] {
  const missing = KNOBS.filter((k) => data.knobs[k.id] === undefined).map((k) => k.id);
  const unknown = Object.keys(data.knobs).filter((id) => !KNOBS.some((k) => k.id === id));
  if (missing.length > 0) throw new CatalogueError(`suites/knobs.json has no case for knob(s) ${missing.join(', ')}`);
  if (unknown.length > 0) throw new CatalogueError(`suites/knobs.json names unknown knob(s) ${unknown.join(', ')}`);
  return KNOBS.map((knob): CaseSpec => {
    const d = data.knobs[knob.id]!;
    const setups: Record<Side, PeerSetup> = { initiator: { ...d.initiator }, responder: { ...d.responder } };
    const knobbed = setups[d.knobbed];
    knobbed.knobs = [knob.id, ...(knobbed.knobs ?? [])];
    for (const side of SIDES) {
      for (const k of setups[side].knobs ?? []) {
        if (!KNOBS.some((x) => x.id === k)) throw new CatalogueError(`suites/knobs.json: case for ${knob.id} uses unknown knob ${k}`);
      }
    }
    return {
      id: `knob.${knob.id}`,
      suite: 'knobs',
      title: `${knob.description} (the ${d.knobbed} has the knob, ${FORM_WORDS[d.form]})${d.note ? ` ${d.note}` : ''}`,
      requirements: unique([...splitIds(knob.requirement), ...(d.requirements ?? []), ...alertRequirements(d.expect)]),
      expected: describeExpectation(d.expect),
      form: d.form,
      action: {
        kind: 'conversation',
        conversation: { initiator: setups.initiator, responder: setups.responder, steps: d.steps ?? [{ do: 'handshake' }], expect: d.expect },
      },
    };
  });
}

// ---- certificates ----------------------------------------------------------------------------

interface CertificateData {
  requirements: string[];
  defaultConforming: Side;
  overrides: Record<string, { conforming?: Side; methods?: string[] }>;
  disabled: Record<string, string>;
}

function certificateCases(data: CertificateData): CaseSpec[] {
  for (const id of [...Object.keys(data.overrides), ...Object.keys(data.disabled)]) {
    if (!DEFECTS.some((d) => d.id === id)) throw new CatalogueError(`suites/certificates.json names unknown defect ${id}`);
  }
  return DEFECTS.map((defect): CaseSpec => {
    const o = data.overrides[defect.id] ?? {};
    const conforming = o.conforming ?? data.defaultConforming;
    const setups: Record<Side, PeerSetup> = { initiator: {}, responder: {} };
    setups[otherSide(conforming)] = { identity: { defect: defect.id } };
    if (o.methods) setups.initiator.methods = o.methods;
    // The holder is a reference UA too: it must take the fatal alert, end the connection and not
    // answer it with an alert of its own (E2ED-ALERT-5, E2ED-ALERT-6, cited in suites/certificates.json).
    const expect: ConversationExpectation = {
      [conforming]: { alertSent: [defect.alert], connected: false },
      [otherSide(conforming)]: { alertReceived: [defect.alert], alertSent: null, closed: ['alert-received'] },
    };
    const disabled = data.disabled[defect.id];
    return {
      id: `cert.${defect.id}`,
      suite: 'certificates',
      title: `the ${otherSide(conforming)} presents a chain whose defect is: ${defect.title}`,
      requirements: unique([defect.requirement, ...data.requirements]),
      expected: `the conforming ${conforming} refuses the chain with ${defect.alert} and never becomes Connected; the holder receives ${defect.alert}, ends the connection and sends no alert back`,
      action: { kind: 'conversation', conversation: { ...setups, steps: [{ do: 'handshake' }], expect } } as CaseSpec['action'],
      ...(disabled !== undefined ? { disabled } : {}),
    };
  });
}

// ---- vectors ---------------------------------------------------------------------------------

interface VectorData {
  files: Record<string, { requirements: string[]; title: string }>;
}

/** Every requirement id the tests of vectors/FILE carry in their `flags`. */
function vectorFlags(file: string): string[] {
  let parsed: { testGroups?: { tests?: { flags?: unknown }[] }[] };
  try {
    parsed = JSON.parse(readFileSync(path.join(REPO_ROOT, 'vectors', file), 'utf8'));
  } catch {
    return []; // a missing or broken file fails its own case when it runs
  }
  const flags = (parsed.testGroups ?? []).flatMap((g) => (g.tests ?? []).flatMap((t) => (Array.isArray(t.flags) ? t.flags : [])));
  return [...new Set(flags.filter((f): f is string => typeof f === 'string'))].sort();
}

function vectorCases(data: VectorData): CaseSpec[] {
  const missing = VECTOR_KINDS.filter((k) => data.files[k.file] === undefined).map((k) => k.file);
  if (missing.length > 0) throw new CatalogueError(`suites/vectors.json has no entry for vector file(s) ${missing.join(', ')}`);
  return VECTOR_KINDS.map((kind): CaseSpec => {
    const d = data.files[kind.file]!;
    return {
      id: `vectors.${kind.file.replace(/\.json$/, '')}`,
      suite: 'vectors',
      title: d.title,
      // The file's own tests name, in Wycheproof's `flags`, the requirement each refusal enforces.
      requirements: [...new Set([...d.requirements, ...vectorFlags(kind.file)])],
      expected: `vectors/${kind.file} matches its schema, regenerates identically from its seed, and every test recomputes from its inputs`,
      action: { kind: 'vectors', file: kind.file },
    };
  });
}

// ---- irp -------------------------------------------------------------------------------------

interface IrpData {
  cases: { id: string; check: IrpCheckName; requirements: string[]; title: string; expected: string; disabled?: string }[];
}

function irpCases(data: IrpData): CaseSpec[] {
  return data.cases.map((c) => ({
    id: c.id,
    suite: 'irp',
    title: c.title,
    requirements: c.requirements,
    expected: c.expected,
    action: { kind: 'irp', check: c.check },
    ...(c.disabled !== undefined ? { disabled: c.disabled } : {}),
  }));
}

/** Every case of every suite, in suite order then catalogue order (the order of the report). */
export function loadCatalogue(dir: string = SUITES_DIR): CaseSpec[] {
  const cases = [
    ...interopCases(readSuite<InteropData>(dir, 'interop')),
    ...knobCases(readSuite<KnobData>(dir, 'knobs')),
    ...certificateCases(readSuite<CertificateData>(dir, 'certificates')),
    ...vectorCases(readSuite<VectorData>(dir, 'vectors')),
    ...irpCases(readSuite<IrpData>(dir, 'irp')),
    ...adversarySuites(dir),
    ...relaySuite(dir),
  ];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new CatalogueError(`duplicate case id ${c.id}`);
    seen.add(c.id);
  }
  return cases;
}

/** The relay suite: a script the relay does not know stops the run before it starts. */
function relaySuite(dir: string): CaseSpec[] {
  try {
    return relayCases(readSuite<RelaySuiteData>(dir, 'relay'));
  } catch (err) {
    if (err instanceof RelaySuiteError) throw new CatalogueError(err.message);
    throw err;
  }
}

/** The adversary's families (suites/adversary.json with the state tables of docs/spec.md). */
function adversarySuites(dir: string): CaseSpec[] {
  try {
    return adversaryCases(dir, readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8'));
  } catch (err) {
    if (err instanceof AdversaryDataError || (err as Error).name === 'StateTableError') throw new CatalogueError((err as Error).message);
    throw err;
  }
}

/** A case that cites a requirement id docs/spec.md does not define: the run refuses to start. */
export class UnknownRequirementError extends Error {
  constructor(readonly unknown: { caseId: string; requirement: string }[]) {
    super(
      `case(s) cite requirement ids that docs/spec.md does not define: ${unknown.map((u) => `${u.caseId} cites ${u.requirement}`).join('; ')}`,
    );
    this.name = 'UnknownRequirementError';
  }
}

export function checkRequirementIds(cases: readonly CaseSpec[], known: ReadonlySet<string>): void {
  const unknown = cases.flatMap((c) => c.requirements.filter((r) => !known.has(r)).map((requirement) => ({ caseId: c.id, requirement })));
  if (unknown.length > 0) throw new UnknownRequirementError(unknown);
}

/** An unknown suite or case id asked for on the command line. */
export class SelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionError';
  }
}

/**
 * The cases to run: all, or those of the named suites, or those with the named ids (both given:
 * the union). Order stays the catalogue's.
 */
export function selectCases(cases: readonly CaseSpec[], opts: { suites?: readonly string[]; caseIds?: readonly string[] }): CaseSpec[] {
  const suites = opts.suites ?? [];
  const ids = opts.caseIds ?? [];
  const knownSuites = [...new Set(cases.map((c) => c.suite))];
  for (const s of suites) {
    if (!knownSuites.includes(s as SuiteName)) throw new SelectionError(`there is no suite "${s}"; the suites are ${knownSuites.join(', ')}.`);
  }
  const patterns = ids.map(casePattern);
  ids.forEach((id, n) => {
    if (cases.some((c) => patterns[n]!.test(c.id))) return;
    if (isGlob(id)) throw new SelectionError(`no case matches "${id}" ("*" stands for any characters, "?" for one).`);
    const close = cases.filter((c) => c.id.includes(id)).slice(0, 3).map((c) => c.id);
    throw new SelectionError(`there is no case "${id}"${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}.`);
  });
  if (suites.length === 0 && ids.length === 0) return [...cases];
  return cases.filter((c) => suites.includes(c.suite) || patterns.some((p) => p.test(c.id)));
}

function isGlob(id: string): boolean {
  return /[*?]/.test(id);
}

/** A case id, or a glob over case ids (`knob.hello.*`): "*" any characters (dots included), "?" one. */
export function casePattern(id: string): RegExp {
  const body = id.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
