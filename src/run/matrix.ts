// `sixbench matrix` (issue 8 §6, the QUIC interop runner's matrix, Autobahn's agents side by side):
// every implementation with every other and with itself, each as initiator and as responder, over
// every method x AEAD both support. Each cell is one conversation through the door on both ends:
// the responder echoes (level 1, so every implementation can take part), the initiator sends one
// Message, awaits its Receipt and the echo, and closes. The verdict comes from the events of both
// ends (level 2 and up); a pair where neither end has events gets no verdict, and says so.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImplementationUnderTest, IutExit, IutInstance, IutRole } from '../iut/door.js';
import { issueCredentials, pemOf } from '../iut/credentials.js';
import { IutStartError } from '../iut/errors.js';
import type { UaEvent } from '../ua/events.js';
import { RunEnvironment, type Slot } from './environment.js';

export type CellVerdict = 'pass' | 'fail' | 'error' | 'unsupported' | 'unjudged';

export interface MatrixCell {
  initiator: string;
  responder: string;
  method: string;
  cipher: string;
  verdict: CellVerdict;
  /** The first mismatch, the error, or why there is no verdict. */
  reason?: string;
}

export interface MatrixReport {
  format: 'sixbench-matrix/1';
  seed: string;
  implementations: { name: string; version: string; command: string[] | 'in-process'; level: number; methods: string[]; ciphers: string[]; roles: IutRole[] }[];
  cells: MatrixCell[];
}

interface EndView {
  connected: boolean;
  negotiated?: { method: string; cipher: string; version: string };
  exporter?: string;
  delivered: number;
  receipts: number;
  closed?: string;
  alerts: string[];
}

function view(events: UaEvent[]): EndView {
  const v: EndView = { connected: false, delivered: 0, receipts: 0, alerts: [] };
  for (const ev of events) {
    switch (ev.event) {
      case 'connected':
        v.connected = true;
        break;
      case 'parameters_negotiated':
        v.negotiated = { method: ev.method, cipher: ev.cipher, version: ev.version };
        break;
      case 'exporter':
        v.exporter = ev.value;
        break;
      case 'message_received':
        v.delivered++;
        break;
      case 'receipt_received':
        v.receipts++;
        break;
      case 'alert_sent':
      case 'alert_received':
        if (ev.alert !== 'close_notify') v.alerts.push(`${ev.event === 'alert_sent' ? 'sent' : 'received'} ${ev.alert}`);
        break;
      case 'closed':
        v.closed = ev.how;
        break;
      default:
        break;
    }
  }
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Pairs an implementation can take part in, for one method and AEAD. */
function supports(iut: ImplementationUnderTest, role: IutRole, method: string, cipher: string): boolean {
  const c = iut.capabilities;
  return c.roles.includes(role) && c.methods.includes(method) && c.ciphers.includes(cipher);
}

async function runCell(
  env: RunEnvironment,
  slot: Slot,
  ini: ImplementationUnderTest,
  res: ImplementationUnderTest,
  method: string,
  cipher: string,
  seed: string,
  timeoutMs: number,
  workRoot: string,
): Promise<MatrixCell> {
  const cell: MatrixCell = { initiator: ini.name, responder: res.name, method, cipher, verdict: 'pass' };
  const dir = await mkdtemp(path.join(workRoot, 'cell-'));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const caFile = path.join(dir, 'irp-ca.pem');
  await writeFile(caFile, pemOf(env.pki.anchors));
  const registry = { host: env.host, port: env.stub.port, caFile, ca: env.pki.anchors };
  const rUser = method === 'rsa-oaep' ? slot.rsaResponder : slot.responder;
  const common = { workDir: dir, registry, now: env.pki.referenceTime, methods: [method], ciphers: [cipher], drive: 'script' as const };
  const evI: UaEvent[] = [];
  const evR: UaEvent[] = [];
  let rInst: IutInstance | undefined;
  let iInst: IutInstance | undefined;
  try {
    rInst = await res.start(
      { ...common, caseId: 'matrix', role: 'responder', credentials: await issueCredentials(path.join(dir, 'r'), rUser.identity), listen: { host: env.host, port: 0 }, seed: `${seed}/r` },
      controller.signal,
    );
    rInst.onEvent((e) => evR.push(e));
    const peerChainFile = path.join(dir, 'peer-chain.pem');
    await writeFile(peerChainFile, pemOf(rUser.identity.chain));
    iInst = await ini.start(
      {
        ...common,
        caseId: 'matrix',
        role: 'initiator',
        credentials: await issueCredentials(path.join(dir, 'i'), slot.initiator.identity),
        connect: { host: rInst.listening!.host, port: rInst.listening!.port, peerUserId: rUser.identity.userId, peerChain: rUser.identity.chain },
        peerChainFile,
        messages: ['matrix 1'],
        seed: `${seed}/i`,
      },
      controller.signal,
    );
    iInst.onEvent((e) => evI.push(e));
    const ended = await Promise.race([iInst.exited, new Promise<'timeout'>((r) => controller.signal.addEventListener('abort', () => r('timeout'), { once: true }))]);
    if (ended === 'timeout') {
      cell.verdict = 'error';
      cell.reason = `the initiator did not finish within ${timeoutMs} ms`;
    } else if ((ended as IutExit).unsupported) {
      cell.verdict = 'unsupported';
      cell.reason = 'the initiator exited with status 127';
    }
    await sleep(200); // the responder's last events (closed) come from another process
  } catch (err) {
    if (err instanceof IutStartError && err.problem === 'unsupported') {
      cell.verdict = 'unsupported';
      cell.reason = err.message;
    } else {
      cell.verdict = 'error';
      cell.reason = (err as Error).message;
    }
  } finally {
    clearTimeout(timer);
    await iInst?.stop();
    await rInst?.stop();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  if (cell.verdict !== 'pass') return cell;
  const levels = { i: ini.capabilities.level >= 2, r: res.capabilities.level >= 2 };
  if (!levels.i && !levels.r) return { ...cell, verdict: 'unjudged', reason: 'neither end has events (level 1 on both)' };
  const mismatches: string[] = [];
  const check = (who: string, v: EndView, delivered: number | undefined, receipts: number | undefined): void => {
    if (!v.connected) mismatches.push(`${who} never Connected${v.alerts.length ? ` (${v.alerts.join(', ')})` : ''}`);
    else {
      if (v.negotiated?.method !== method || v.negotiated?.cipher !== cipher) mismatches.push(`${who} negotiated ${v.negotiated ? `${v.negotiated.method}/${v.negotiated.cipher}` : 'nothing'}`);
      if (v.alerts.length > 0) mismatches.push(`${who} alert ${v.alerts.join(', ')}`);
      if (delivered !== undefined && v.delivered !== delivered) mismatches.push(`${who} delivered ${v.delivered} Message(s), expected ${delivered}`);
      if (receipts !== undefined && v.receipts !== receipts) mismatches.push(`${who} got ${v.receipts} Receipt(s), expected ${receipts}`);
      if (v.closed !== 'clean') mismatches.push(`${who} ended ${v.closed ?? 'still open'}, expected clean`);
    }
  };
  const vi = view(evI);
  const vr = view(evR);
  // The initiator closes once its Message is receipted; the echo may or may not reach it first.
  if (levels.i) check('the initiator', vi, undefined, 1);
  if (levels.r) check('the responder', vr, 1, undefined);
  if (levels.i && levels.r && vi.exporter !== undefined && vr.exporter !== undefined && vi.exporter !== vr.exporter) mismatches.push('the exporters differ');
  if (mismatches.length > 0) return { ...cell, verdict: 'fail', reason: mismatches[0]! };
  return cell;
}

export async function runMatrix(input: { implementations: ImplementationUnderTest[]; seed: string; concurrency: number; timeoutMs: number }): Promise<MatrixReport> {
  const impls = input.implementations;
  const jobs: { ini: ImplementationUnderTest; res: ImplementationUnderTest; method: string; cipher: string }[] = [];
  const methods = ['x25519', 'p256', 'rsa-oaep'];
  const ciphers = ['AES-256-GCM', 'CHACHA20-POLY1305'];
  for (const ini of impls) {
    for (const res of impls) {
      for (const method of methods) {
        for (const cipher of ciphers) {
          if (supports(ini, 'initiator', method, cipher) && supports(res, 'responder', method, cipher)) jobs.push({ ini, res, method, cipher });
        }
      }
    }
  }
  const env = await RunEnvironment.start({ seed: input.seed, slots: input.concurrency });
  const workRoot = await mkdtemp(path.join(os.tmpdir(), 'sixbench-matrix-'));
  const cells: MatrixCell[] = new Array(jobs.length);
  try {
    await Promise.all(
      Array.from({ length: Math.min(input.concurrency, Math.max(1, jobs.length)) }, async (_, w) => {
        for (let k = w; k < jobs.length; k += input.concurrency) {
          const j = jobs[k]!;
          cells[k] = await runCell(env, env.slots[w]!, j.ini, j.res, j.method, j.cipher, `${input.seed}/${j.ini.name}/${j.res.name}/${j.method}/${j.cipher}`, input.timeoutMs, workRoot);
        }
      }),
    );
  } finally {
    await env.close();
    await rm(workRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  return {
    format: 'sixbench-matrix/1',
    seed: input.seed,
    implementations: impls.map((i) => ({ name: i.name, version: i.version, command: i.command, level: i.capabilities.level, methods: i.capabilities.methods, ciphers: i.capabilities.ciphers, roles: i.capabilities.roles })),
    cells,
  };
}

/** The table: one row per initiator, one column per responder; a cell sums its method x AEAD runs. */
export function formatMatrix(report: MatrixReport): string {
  const names = report.implementations.map((i) => i.name);
  const cellText = (ini: string, res: string): string => {
    const cs = report.cells.filter((c) => c.initiator === ini && c.responder === res);
    if (cs.length === 0) return 'not supported';
    const pass = cs.filter((c) => c.verdict === 'pass').length;
    const bad = cs.find((c) => c.verdict !== 'pass');
    return bad ? `${pass}/${cs.length} pass; ${bad.verdict} ${bad.method}/${bad.cipher}: ${bad.reason ?? ''}` : `pass ${pass}/${cs.length}`;
  };
  const header = ['initiator \\ responder', ...names];
  const rows = names.map((ini) => [ini, ...names.map((res) => cellText(ini, res))]);
  const widths = header.map((_, i) => Math.min(60, Math.max(...[header, ...rows].map((r) => r[i]!.length))));
  const fmt = (r: string[]): string => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 3)}...` : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  const failing = report.cells.filter((c) => c.verdict !== 'pass');
  if (failing.length > 0) {
    lines.push('', 'cells that did not pass:');
    for (const c of failing) lines.push(`  ${c.initiator} -> ${c.responder} ${c.method}/${c.cipher}: ${c.verdict}${c.reason ? ` (${c.reason})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
