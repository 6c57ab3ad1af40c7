// The evidence files of a case (docs/run.md "Captures"): one classic pcap per leg the bench's side
// took part in (CaseWire: the conversation's two legs, the adversary's connection, the relay's two
// legs, the IRP connections to the registry on 4604), the case's key log (every party's lines, each
// once), the IRP connections' TLS key log (NSS format), and the `pcap inspect` text of its legs.
// Addresses are the run's loopback host; ports are logical (the responder's side on 4605, the
// spec's port, the connecting side an ephemeral port derived from the seed) and sequence numbers
// and timestamps come from the seed, so one seed gives byte-identical files.
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { capturePcap, type TcpConversation, type TcpEvent } from '../capture/pcap.js';
import { readTcpStreams, type TcpStream } from '../capture/read.js';
import { formatIrpConnection, isIrpStream, viewIrpConnection } from '../capture/irp.js';
import { readTlsKeyLog } from '../capture/tls.js';
import { formatConversation, readKeyLog, viewConversation } from '../capture/conversation.js';
import { E2ED_PORT } from '../ua/agent.js';
import { syncFolder, writeFileAtomic } from '../util/atomic-write.js';

export const CAPTURE_MODES = ['none', 'failed', 'all'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

/** One TCP connection as recorded (client = the side that connected). */
export interface WireConnection { events: TcpEvent[]; /** the server's logical port in the capture: default 4605 (E2ED_PORT); 4604 for IRP */ serverPort?: number }
/** One vantage point of the case; one pcap file per leg: captures/<stem>.<name>.pcap */
export interface WireLeg { name: 'initiator' | 'responder' | 'adversary' | 'irp'; connections: WireConnection[] }
export interface CaseWire {
  legs: WireLeg[];
  /** E2ED key log texts (spec chapter 13 format), merged into captures/<stem>.keylog */
  keyLogs: string[];
  /** TLS key log texts (NSS SSLKEYLOGFILE format) of IRP connections, merged into captures/<stem>.tls.keylog */
  tlsKeyLogs?: string[];
}

export type LegName = WireLeg['name'];
export const LEG_NAMES: readonly LegName[] = ['initiator', 'responder', 'adversary', 'irp'];

/** Links from the report to a case's files, relative to the run folder. */
export interface CaseCaptureFiles {
  pcaps: { leg: LegName; path: string; connections: number }[];
  keylog?: string;
  tlsKeylog?: string;
  inspect?: string;
  /** Why the case has no capture at all (it opened no connection, or its files could not be written). */
  none?: string;
}

/** The `none` of a kept case that was skipped, so opened no connection. */
export function skippedCaptures(reason: string | undefined): CaseCaptureFiles {
  return { pcaps: [], none: `the case opened no connection: it was skipped (${reason ?? 'no reason given'})` };
}

/**
 * The wire of a case whose connections went through one forwarding recorder (src/run/relay.ts):
 * both legs carried the same bytes, so each leg holds them all (one array: inspected once).
 */
export function relayedWire(connections: readonly WireConnection[], keyLogs: string[]): CaseWire {
  const all = [...connections];
  return { legs: [{ name: 'initiator', connections: all }, { name: 'responder', connections: all }], keyLogs };
}

function logicalPort(seed: string): number {
  return 49152 + (createHash('sha256').update(seed).digest().readUInt16BE(0) % 16383);
}

/** The key log of a case: every line of every log, each once, in the order first written. */
export function mergeKeyLogs(caseId: string, texts: readonly string[]): string {
  const seen = new Set<string>();
  const lines = [`# sixbench key log of case ${caseId}`];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#') || seen.has(line)) continue;
      seen.add(line);
      lines.push(line);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The TCP conversations of one leg, with logical endpoints. */
export function legConversations(host: string, seed: string, leg: LegName, connections: readonly WireConnection[]): { conversation: TcpConversation; seed: string }[] {
  return connections.map((c, n) => {
    const connSeed = `${seed}/${leg}/${n}`;
    return {
      seed: connSeed,
      conversation: { client: { address: host, port: logicalPort(connSeed) }, server: { address: host, port: c.serverPort ?? E2ED_PORT }, events: c.events },
    };
  });
}

/** File-name safe form of a case id (ids are dotted words; anything else becomes "_"). */
export function caseFileStem(caseId: string): string {
  return caseId.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** One evidence file of a case, ready to be written (path relative to the run folder). */
export interface CaptureFile { rel: string; data: string | Uint8Array; mode: number }

/**
 * The files of a case's evidence and the report's links to them, made in memory: the pcaps of its
 * legs, its key logs and the `pcap inspect` text. Nothing is written here (CaptureWriter does).
 */
export async function caseCaptureFiles(caseId: string, seed: string, host: string, wire: CaseWire): Promise<{ links: CaseCaptureFiles; files: CaptureFile[] }> {
  const stem = caseFileStem(caseId);
  const links: CaseCaptureFiles = { pcaps: [] };
  const files: CaptureFile[] = [];
  // The legs `pcap inspect` reads for the report: each leg once (legs holding the very same
  // connections, as a forwarding recorder's two legs do, are read once).
  const inspected: { leg: LegName; pcap: Buffer }[] = [];
  const seen = new Set<readonly WireConnection[]>();
  for (const leg of wire.legs) {
    const pcap = capturePcap(legConversations(host, seed, leg.name, leg.connections));
    const rel = `captures/${stem}.${leg.name}.pcap`;
    files.push({ rel, data: pcap, mode: 0o644 });
    links.pcaps.push({ leg: leg.name, path: rel, connections: leg.connections.length });
    if (!seen.has(leg.connections)) inspected.push({ leg: leg.name, pcap });
    seen.add(leg.connections);
  }
  const keyLogText = mergeKeyLogs(caseId, wire.keyLogs);
  if (wire.keyLogs.some((t) => t.trim() !== '')) {
    links.keylog = `captures/${stem}.keylog`;
    files.push({ rel: links.keylog, data: keyLogText, mode: 0o600 });
  }
  // The IRP connections' TLS secrets, beside the capture (Wireshark: tls.keylog_file).
  if (wire.tlsKeyLogs?.some((t) => t.trim() !== '')) {
    links.tlsKeylog = `captures/${stem}.tls.keylog`;
    files.push({ rel: links.tlsKeylog, data: mergeKeyLogs(caseId, wire.tlsKeyLogs), mode: 0o600 });
  }
  // The conversation as `sixbench pcap inspect` prints it, for the HTML report and reviewers.
  if (inspected.length > 0) {
    let log;
    try {
      log = readKeyLog(keyLogText);
    } catch {
      log = undefined;
    }
    let tlsLog;
    try {
      tlsLog = wire.tlsKeyLogs ? readTlsKeyLog(mergeKeyLogs(caseId, wire.tlsKeyLogs)) : undefined;
    } catch {
      // A line this reader does not know: the records are listed undecrypted, with the reason.
      tlsLog = undefined;
    }
    const view = (s: TcpStream): string => (isIrpStream(s) ? formatIrpConnection(viewIrpConnection(s, tlsLog)) : formatConversation(viewConversation(s, log)));
    const parts: string[] = [];
    for (const { leg, pcap } of inspected) {
      const streams = await readTcpStreams(pcap);
      const text = streams.length > 0 ? streams.map(view).join('\n') : 'no connection was made\n';
      parts.push(inspected.length > 1 ? `${leg} leg:\n${text}` : text);
    }
    links.inspect = `captures/${stem}.inspect.txt`;
    files.push({ rel: links.inspect, data: parts.join('\n'), mode: 0o644 });
  }
  return { links, files };
}

/** Cases whose evidence files are written at once, off the cases' path (CaptureWriter). */
const CAPTURE_WRITES_IN_FLIGHT = 4;

/**
 * Writes the evidence files of a run's cases in the background, so that a case's verdict and the
 * next case do not wait for the disk: with every file fsynced on the case's path, `--captures all`
 * spent most of its added time waiting for writes (docs/performance.md). Each file is still written
 * whole (temporary sibling, fsync, rename); the folder's entries are made durable once, by flush(),
 * which the run awaits before its report links to any of them. At most a few cases' files wait at a
 * time: add() resolves when there is room, which bounds the memory held for the disk.
 */
export class CaptureWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures = new Map<string, string>();
  private folder: Promise<void> | undefined;

  constructor(
    readonly runDir: string,
    private readonly limit = CAPTURE_WRITES_IN_FLIGHT,
  ) {}

  /** Queues a case's files; resolves once another case's files may be queued, not once these are written. */
  async add(caseId: string, files: readonly CaptureFile[]): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    const job: Promise<void> = this.write(caseId, files).finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  private async write(caseId: string, files: readonly CaptureFile[]): Promise<void> {
    try {
      await (this.folder ??= mkdir(path.join(this.runDir, 'captures'), { recursive: true }).then(() => undefined));
      for (const f of files) await writeFileAtomic(path.join(this.runDir, f.rel), f.data, f.mode, { inPreparedFolder: true });
    } catch (err) {
      // Node's file-system messages name the code, the call and the path: "EISDIR: illegal operation on a directory, rename ...".
      this.failures.set(caseId, (err as Error).message);
      // The report will not link a part of the case's evidence as if it were the whole of it.
      await Promise.all(files.map((f) => rm(path.join(this.runDir, f.rel), { force: true }).catch(() => undefined)));
    }
  }

  /**
   * Every queued file written and the captures folder's entries durable. Returns the cases whose
   * files could not be written, with why; throws only when the folder itself cannot be synced.
   */
  async flush(): Promise<ReadonlyMap<string, string>> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    if (this.folder) await syncFolder(path.join(this.runDir, 'captures'));
    return this.failures;
  }
}
