// The evidence files of a case (docs/run.md "Captures"): one classic pcap per leg (vantage point:
// initiator <-> relay, relay <-> responder, the adversary's, the registry's) holding each TCP
// connection the leg saw, the case's key log (every UA's lines, the IUT's included, each once),
// and the `pcap inspect` text of the first leg. Addresses are
// the run's loopback host; ports are logical (the server's side on 4605, the spec's port, or
// 4604 for IRP; the connecting side an ephemeral port derived from the seed) and sequence numbers
// and timestamps come from the seed, so one seed gives byte-identical files.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { capturePcap, type TcpConversation, type TcpEvent } from '../capture/pcap.js';
import { readTcpStreams } from '../capture/read.js';
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

/** Links from the report to a case's files, relative to the run folder. */
export interface CaseCaptureFiles {
  pcaps: { leg: LegName; path: string; connections: number }[];
  keylog?: string;
  inspect?: string;
}

/** The wire of a case recorded at one relay: the initiator's and the responder's leg see the same connections. */
export function relayedWire(connections: readonly WireConnection[], keyLogs: string[]): CaseWire {
  return { legs: [{ name: 'initiator', connections: [...connections] }, { name: 'responder', connections: [...connections] }], keyLogs };
}

function logicalPort(seed: string): number {
  return 49152 + (createHash('sha256').update(seed).digest().readUInt16BE(0) % 16383);
}

/** The key log of a case: every line of every UA's log, each once, in the order first written. */
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
  let firstLeg: Buffer | undefined;
  for (const leg of wire.legs) {
    const pcap = capturePcap(legConversations(host, seed, leg.name, leg.connections));
    firstLeg ??= pcap;
    const rel = `captures/${stem}.${leg.name}.pcap`;
    await writeFileAtomic(path.join(runDir, rel), pcap);
    files.pcaps.push({ leg: leg.name, path: rel, connections: leg.connections.length });
  }
  const keyLogText = mergeKeyLogs(caseId, wire.keyLogs);
  if (wire.keyLogs.some((t) => t.trim() !== '')) {
    files.keylog = `captures/${stem}.keylog`;
    await writeFileAtomic(path.join(runDir, files.keylog), keyLogText, 0o600);
  }

  // The conversation as `sixbench pcap inspect` prints it, for the HTML report and reviewers.
  if (firstLeg) {
    let log;
    try {
      log = readKeyLog(keyLogText);
    } catch {
      log = undefined;
    }
    const streams = await readTcpStreams(firstLeg);
    const text = streams.length > 0 ? streams.map((s) => formatConversation(viewConversation(s, log))).join('\n') : 'no connection was made\n';
    files.inspect = `captures/${stem}.inspect.txt`;
    await writeFileAtomic(path.join(runDir, files.inspect), text);
  }
  return files;
}
