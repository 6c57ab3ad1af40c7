// iut.json, adapter profile 1 (docs/adapter.md): read, validated against schemas/iut.schema.json,
// its argv template checked for unknown placeholders and its command for being executable, before
// anything is started. Every refusal names the file, the field and the value (IutConfigError).
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate, type JsonSchema } from './schema.js';
import type { IutCapabilities, IutRole } from './door.js';

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'iut.schema.json');

/** Every placeholder of the argv template and env values, with what it stands for (docs/adapter.md). */
export const PLACEHOLDERS: Readonly<Record<string, string>> = {
  role: '"initiator" or "responder"',
  drive: '"script" (level 1: echo responder, scripted initiator) or "control" (level 3: commands on standard input)',
  listen_host: 'responder: the address to listen on',
  listen_port: 'responder: the port to listen on ("0": pick one and report it in the listening event)',
  connect_host: 'initiator: the address of the responder',
  connect_port: 'initiator: the port of the responder',
  user_id: 'its own user ID',
  peer_chain: "initiator: the responder's certificate chain, PEM, as an IRP look-up would return it (rsa-oaep key transport)",
  peer_user_id: "initiator: the responder's user ID",
  key: 'its private key, PEM PKCS#8',
  chain: 'its certificate chain, PEM, leaf first',
  anchors: 'the trust anchors to validate the peer against, PEM',
  irp_host: 'the IRP registry host (certificate status)',
  irp_port: 'the IRP registry port',
  irp_ca: "the registry's CA, PEM",
  keylog: 'where to write the key log (only when capabilities.keyLog)',
  workdir: "the case's own directory (the process's working directory too)",
  messages: 'initiator, drive "script": a file holding a JSON array of the Message texts to send',
  now: 'the fixed validation time, RFC 3339 (E2ED-CERT-27)',
  seed: 'a seed for implementations that take one',
  versions: 'offer restriction: comma-separated versions',
  methods: 'offer restriction: comma-separated methods',
  ciphers: 'offer restriction: comma-separated AEADs',
  knobs: 'reference only: comma-separated misbehaviour knobs',
  iut_dir: 'the directory of the iut.json file',
  irp_user: 'irpEnrolment: the user ID of the enrolment account the bench opened for this start (its own user ID)',
  irp_password: 'irpEnrolment: the password of that account',
  key_type: 'irpEnrolment: the key type to enrol, "p256" or "rsa2048"',
  enrolled_key: 'irpEnrolment: where to write the private key it generated, PEM PKCS#8',
  enrolled_chain: 'irpEnrolment: where to write the chain the registry issued, PEM, leaf first',
};

/** Placeholders that have a value only for an implementation that enrols itself. */
export const ENROLMENT_PLACEHOLDERS = ['irp_user', 'irp_password', 'key_type', 'enrolled_key', 'enrolled_chain'] as const;
/** What an enrolling implementation's command must use: its account, and where the bench reads the chain back. */
const ENROLMENT_NEEDS = ['irp_user', 'irp_password', 'enrolled_chain'] as const;

export type ArgvElement = string | string[];

export interface IutConfig {
  file: string;
  dir: string;
  name: string;
  version: string;
  description?: string;
  command: ArgvElement[];
  env: Record<string, string>;
  ready: 'listening-event' | 'tcp-connect';
  startTimeoutMs: number;
  stopGraceMs: number;
  capabilities: IutCapabilities & { knobs: boolean };
}

export class IutConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`${file}: ${field || '(the document)'} ${problem}${value === undefined ? '' : ` (value: ${JSON.stringify(value)?.slice(0, 200)})`}`);
    this.name = 'IutConfigError';
  }
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

let schemaCache: JsonSchema | undefined;
export function iutSchema(): JsonSchema {
  return (schemaCache ??= JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JsonSchema);
}

/** Expands one template string; undefined when a placeholder in it has no value. */
function expand(text: string, values: Readonly<Record<string, string | undefined>>): string | undefined {
  let missing = false;
  const out = text.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

/**
 * The argv for one start. A string element with a placeholder that has no value is an error of
 * the bench's (the template asked for something this start does not have: say so, start nothing);
 * an array element is left out as a whole.
 */
export function expandArgv(template: readonly ArgvElement[], values: Readonly<Record<string, string | undefined>>): string[] {
  const argv: string[] = [];
  for (const el of template) {
    if (typeof el === 'string') {
      const v = expand(el, values);
      if (v === undefined) throw new Error(`the command element "${el}" needs ${placeholdersIn(el).filter((p) => values[p] === undefined).join(', ')}, which this start does not have (put it in an optional group: ["--flag", "${el}"])`);
      argv.push(v);
    } else {
      const group = el.map((s) => expand(s, values));
      if (group.every((s): s is string => s !== undefined)) argv.push(...group);
    }
  }
  return argv;
}

export function expandEnv(env: Readonly<Record<string, string>>, values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const e = expand(v, values);
    if (e !== undefined) out[k] = e;
  }
  return out;
}

/** Where an executable named on the command line lives, or undefined. */
export function findExecutable(command: string, cwd: string): string | undefined {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export function loadIutConfig(file: string): IutConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new IutConfigError(file, '', undefined, `cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new IutConfigError(file, '', undefined, `is not JSON: ${(err as Error).message}`);
  }
  const errors = validate(iutSchema(), doc);
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new IutConfigError(file, e.pointer, e.value, `${e.message}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : ''}`);
  }
  const d = doc as {
    name: string; version: string; description?: string; command: ArgvElement[]; env?: Record<string, string>;
    ready?: IutConfig['ready']; startTimeoutMs?: number; stopGraceMs?: number;
    capabilities: { roles: IutRole[]; versions?: string[]; methods: string[]; ciphers: string[]; signatureAlgorithms?: string[]; level: 1 | 2 | 3; keyLog?: boolean; irpEnrolment?: boolean; knobs?: boolean };
  };
  d.command.forEach((el, i) => {
    const parts = typeof el === 'string' ? [el] : el;
    parts.forEach((s, j) => {
      for (const p of placeholdersIn(s)) {
        if (!(p in PLACEHOLDERS)) throw new IutConfigError(file, `/command/${i}${typeof el === 'string' ? '' : `/${j}`}`, s, `uses the unknown placeholder {${p}}`);
      }
    });
  });
  for (const [k, v] of Object.entries(d.env ?? {})) {
    for (const p of placeholdersIn(v)) if (!(p in PLACEHOLDERS)) throw new IutConfigError(file, `/env/${k}`, v, `uses the unknown placeholder {${p}}`);
  }
  const dir = path.dirname(abs);
  const first = d.command[0]!;
  if (typeof first !== 'string') throw new IutConfigError(file, '/command/0', first, 'must be a string: the program to run');
  const program = expand(first, { iut_dir: dir });
  if (program === undefined) throw new IutConfigError(file, '/command/0', first, 'may use no placeholder but {iut_dir}');
  if (!findExecutable(program, dir)) throw new IutConfigError(file, '/command/0', first, 'is not an executable file (looked in the PATH, or relative to the file)');
  const caps = d.capabilities;
  if (caps.keyLog !== true && d.command.some((el) => (typeof el === 'string' ? [el] : el).some((s) => placeholdersIn(s).includes('keylog')))) {
    // Harmless but a sign of a mistake: say so rather than never passing the key-log path.
    throw new IutConfigError(file, '/capabilities/keyLog', caps.keyLog, 'must be true when the command uses {keylog}');
  }
  const used = new Set([...d.command.flatMap((el) => (typeof el === 'string' ? [el] : el)), ...Object.values(d.env ?? {})].flatMap(placeholdersIn));
  if (caps.irpEnrolment === true) {
    // The bench must learn the enrolled chain and the IUT must learn its account: without these it cannot enrol.
    const missing = ENROLMENT_NEEDS.filter((p) => !used.has(p));
    if (missing.length > 0) throw new IutConfigError(file, '/capabilities/irpEnrolment', true, `needs the command (or env) to use ${missing.map((p) => `{${p}}`).join(', ')}`);
  } else {
    const enrolling = ENROLMENT_PLACEHOLDERS.filter((p) => used.has(p));
    if (enrolling.length > 0) throw new IutConfigError(file, '/capabilities/irpEnrolment', caps.irpEnrolment, `must be true when the command uses ${enrolling.map((p) => `{${p}}`).join(', ')}`);
  }
  return {
    file: abs,
    dir,
    name: d.name,
    version: d.version,
    ...(d.description !== undefined ? { description: d.description } : {}),
    command: d.command,
    env: d.env ?? {},
    ready: d.ready ?? 'listening-event',
    startTimeoutMs: d.startTimeoutMs ?? 10_000,
    stopGraceMs: d.stopGraceMs ?? 1_000,
    capabilities: {
      roles: caps.roles,
      versions: caps.versions ?? ['1.0'],
      methods: caps.methods,
      ciphers: caps.ciphers,
      signatureAlgorithms: caps.signatureAlgorithms ?? [],
      level: caps.level,
      keyLog: caps.keyLog ?? false,
      irpEnrolment: caps.irpEnrolment ?? false,
      knobs: caps.knobs ?? false,
    },
  };
}
