// The evidence files of a case (docs/run.md "Captures"): one classic pcap per leg the bench's side
// took part in (CaseWire: the conversation's two legs, the adversary's connection, the relay's two
// legs, the IRP connections to the registry on 4604), the case's key log (every party's lines, each
// once), the IRP connections' TLS key log (NSS format), and the `pcap inspect` text of its legs.
// Addresses are the run's loopback host; ports are logical (the responder's side on 4605, the
// spec's port, the connecting side an ephemeral port derived from the seed) and sequence numbers
// and timestamps come from the seed, so one seed gives byte-identical files.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { capturePcap, type TcpConversation, type TcpEvent } from '../capture/pcap.js';
import { readTcpStreams, type TcpStream } from '../capture/read.js';
import { formatIrpConnection, isIrpStream, viewIrpConnection } from '../capture/irp.js';
import { readTlsKeyLog } from '../capture/tls.js';
import { formatConversation, readKeyLog, viewConversation } from '../capture/conversation.js';
import { E2ED_PORT } from '../ua/agent.js';
import { writeFileAtomic } from '../util/atomic-write.js';

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
  /** Why the case has no capture at all (it opened no connection). */
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

export async function writeCaseCaptures(runDir: string, caseId: string, seed: string, host: string, wire: CaseWire): Promise<CaseCaptureFiles> {
  const dir = path.join(runDir, 'captures');
  await mkdir(dir, { recursive: true });
  const stem = caseFileStem(caseId);
  const files: CaseCaptureFiles = { pcaps: [] };
  // The legs `pcap inspect` reads for the report: each leg once (legs holding the very same
  // connections, as a forwarding recorder's two legs do, are read once).
  const inspected: { leg: LegName; pcap: Buffer }[] = [];
  const seen = new Set<readonly WireConnection[]>();
  for (const leg of wire.legs) {
    const pcap = capturePcap(legConversations(host, seed, leg.name, leg.connections));
    const rel = `captures/${stem}.${leg.name}.pcap`;
    await writeFileAtomic(path.join(runDir, rel), pcap);
    files.pcaps.push({ leg: leg.name, path: rel, connections: leg.connections.length });
    if (!seen.has(leg.connections)) inspected.push({ leg: leg.name, pcap });
    seen.add(leg.connections);
  }
  const keyLogText = mergeKeyLogs(caseId, wire.keyLogs);
  if (wire.keyLogs.some((t) => t.trim() !== '')) {
    files.keylog = `captures/${stem}.keylog`;
    await writeFileAtomic(path.join(runDir, files.keylog), keyLogText, 0o600);
  }
  // The IRP connections' TLS secrets, beside the capture (Wireshark: tls.keylog_file).
  if (wire.tlsKeyLogs?.some((t) => t.trim() !== '')) {
    files.tlsKeylog = `captures/${stem}.tls.keylog`;
    await writeFileAtomic(path.join(runDir, files.tlsKeylog), mergeKeyLogs(caseId, wire.tlsKeyLogs), 0o600);
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
    files.inspect = `captures/${stem}.inspect.txt`;
    await writeFileAtomic(path.join(runDir, files.inspect), parts.join('\n'));
  }
  return files;
}
