// `sixbench pcap inspect FILE [--keylog FILE] [--json]` and `sixbench pcap check FILE --keylog FILE`
// (docs/run.md "Reading captures back"). Exit status: 0 done (check: no violation), 1 check found
// violations, 2 bad usage, 4 the file is not a readable classic pcap (not pcap, truncated,
// unsupported link type), 5 the key log is unusable (not a key log, or it opens no record).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkConversation, formatCheck } from '../capture/check.js';
import { conversationJson, formatConversation, KeyLogError, readKeyLog, viewConversation, type ConversationView, type KeyLog } from '../capture/conversation.js';
import { CaptureError, readTcpStreams } from '../capture/read.js';
import { formatIrpConnection, irpConnectionJson, isIrpStream, tlsRecordCounts, viewIrpConnection, type IrpConnectionView } from '../capture/irp.js';
import { isNssKeyLog, readTlsKeyLog, TlsKeyLogError, type TlsKeyLog } from '../capture/tls.js';
import { UsageError } from './run-main.js';

export const EXIT_BAD_CAPTURE = 4;
export const EXIT_BAD_KEYLOG = 5;

async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message}`);
  }
}

/** One connection of a capture: an E2ED conversation, or an IRP connection (TLS, then IRP frames). */
export type CapturedView = { protocol: 'e2ed'; view: ConversationView } | { protocol: 'irp'; view: IrpConnectionView };

async function readKeyLogFile<T>(file: string, parse: (text: string) => T): Promise<T> {
  try {
    return parse((await readInput(file, 'key log')).toString('utf8'));
  } catch (err) {
    if (err instanceof KeyLogError || err instanceof TlsKeyLogError) throw new UsageError(`${file}: ${err.message}`, EXIT_BAD_KEYLOG);
    throw err;
  }
}

/**
 * The connections of a capture, each decoded: E2ED ones with the E2ED key log, IRP ones (port
 * 4604, or TLS from the first byte) with the TLS key log. `--keylog` takes either format (an NSS
 * SSLKEYLOGFILE is recognised by its lines), `--tls-keylog` the NSS one only.
 */
export async function loadConversations(file: string, keylogFile: string | undefined, tlsKeylogFile?: string): Promise<{ views: CapturedView[]; log: KeyLog | undefined; tlsLog: TlsKeyLog | undefined }> {
  const bytes = await readInput(file, 'capture');
  let log: KeyLog | undefined;
  let tlsLog: TlsKeyLog | undefined;
  if (keylogFile !== undefined) {
    const text = await readKeyLogFile(keylogFile, (t) => t);
    if (isNssKeyLog(text)) tlsLog = await readKeyLogFile(keylogFile, readTlsKeyLog);
    else log = await readKeyLogFile(keylogFile, readKeyLog);
  }
  if (tlsKeylogFile !== undefined) {
    const more = await readKeyLogFile(tlsKeylogFile, readTlsKeyLog);
    tlsLog = new Map([...(tlsLog ?? []), ...more]);
  }
  let streams;
  try {
    streams = await readTcpStreams(bytes);
  } catch (err) {
    if (err instanceof CaptureError) throw new UsageError(`${file}: ${err.message}`, EXIT_BAD_CAPTURE);
    throw err;
  }
  const views = streams.map((s): CapturedView => (isIrpStream(s) ? { protocol: 'irp', view: viewIrpConnection(s, tlsLog) } : { protocol: 'e2ed', view: viewConversation(s, log) }));
  return { views, log, tlsLog };
}

function e2edViews(views: CapturedView[]): ConversationView[] {
  return views.flatMap((v) => (v.protocol === 'e2ed' ? [v.view] : []));
}

/** A key log that opens no record of a capture that has records is the wrong key log. */
function keyLogMismatch(views: ConversationView[], keylogFile: string): string | undefined {
  const total = views.reduce((n, v) => n + v.records.total, 0);
  const opened = views.reduce((n, v) => n + v.records.opened, 0);
  if (total === 0 || opened > 0) return undefined;
  const nonces = views.map((v) => v.nonceI).filter((n): n is string => n !== undefined);
  return `${keylogFile} decrypts none of the ${total} records: it has no usable line for ${nonces.length > 0 ? `nonce_I ${nonces.join(', ')}` : 'this capture'}`;
}

/** The same for TLS: protected records and none of them opened. */
function tlsKeyLogMismatch(views: CapturedView[], keylogFile: string): string | undefined {
  const irp = views.flatMap((v) => (v.protocol === 'irp' ? [v.view] : []));
  const counts = irp.map((v) => tlsRecordCounts(v.tls));
  const protectedRecords = counts.reduce((n, c) => n + c.protected, 0);
  if (protectedRecords === 0 || counts.some((c) => c.decrypted > 0)) return undefined;
  const randoms = irp.map((v) => v.tls.clientRandom).filter((r): r is string => r !== undefined);
  return `${keylogFile} decrypts none of the ${protectedRecords} protected TLS records: it has no usable line for ${randoms.length > 0 ? `client random ${randoms.join(', ')}` : 'this capture'}`;
}

function formatView(v: CapturedView): string {
  return v.protocol === 'e2ed' ? formatConversation(v.view) : formatIrpConnection(v.view);
}

export function registerPcapCommands(program: Command): void {
  const pcap = program.command('pcap').description('read E2ED packet captures back: the conversation, decrypted, and a passive conformance check');
  pcap
    .command('inspect')
    .description('print each E2ED connection of a capture as a person reads it (records decrypted with --keylog)')
    .argument('<FILE>', 'classic pcap file (Ethernet, Linux cooked, raw IP or loopback)')
    .option('--keylog <FILE>', 'key log in the format of docs/spec.md chapter 13 (E2ED), or an NSS SSLKEYLOGFILE (IRP over TLS)')
    .option('--tls-keylog <FILE>', 'NSS SSLKEYLOGFILE key log for the IRP connections (TLS 1.3 and TLS 1.2 AEAD records)')
    .option('--json', 'print the conversations as JSON')
    .action(async (file: string, opts: { keylog?: string; tlsKeylog?: string; json?: boolean }) => {
      const { views, log, tlsLog } = await loadConversations(file, opts.keylog, opts.tlsKeylog);
      if (opts.json) {
        const connections = views.map((v) => (v.protocol === 'e2ed' ? conversationJson(v.view) : { protocol: 'irp', ...(irpConnectionJson(v.view) as object) }));
        process.stdout.write(`${JSON.stringify({ file, connections }, null, 2)}\n`);
      } else process.stdout.write(views.length === 0 ? 'no TCP connection in the capture\n' : views.map(formatView).join('\n'));
      const mismatch =
        (log && opts.keylog !== undefined ? keyLogMismatch(e2edViews(views), opts.keylog) : undefined) ??
        (tlsLog ? tlsKeyLogMismatch(views, opts.tlsKeylog ?? opts.keylog!) : undefined);
      if (mismatch) throw new UsageError(mismatch, EXIT_BAD_KEYLOG);
    });
  pcap
    .command('check')
    .description('passive conformance check of the captured E2ED connections: every violation with its requirement id (IRP connections are listed, not checked)')
    .argument('<FILE>', 'classic pcap file')
    .requiredOption('--keylog <FILE>', 'key log of the connections (docs/spec.md chapter 13)')
    .option('--json', 'print the outcome as JSON')
    .action(async (file: string, opts: { keylog: string; json?: boolean }) => {
      const loaded = await loadConversations(file, opts.keylog);
      const { log } = loaded;
      const views = e2edViews(loaded.views);
      const irp = loaded.views.length - views.length;
      // The passive check knows E2ED's rules only; an IRP connection is said to be left out, never passed.
      const notChecked = irp > 0 ? `${irp} IRP connection(s) not checked: pcap check checks E2ED only (read them with pcap inspect --tls-keylog)\n` : '';
      const mismatch = log ? keyLogMismatch(views, opts.keylog) : undefined;
      if (mismatch) throw new UsageError(mismatch, EXIT_BAD_KEYLOG);
      const outcomes = views.map((v) => ({ view: v, outcome: checkConversation(v, log) }));
      const violations = outcomes.reduce((n, o) => n + o.outcome.violations.length, 0);
      if (opts.json) {
        const left = irp > 0 ? { notChecked: { irpConnections: irp, reason: 'pcap check checks E2ED only' } } : {};
        process.stdout.write(`${JSON.stringify({ file, connections: outcomes.map((o) => ({ stream: o.view.stream, ...o.outcome })), ...left }, null, 2)}\n`);
      } else {
        process.stdout.write(outcomes.map((o) => formatCheck(o.view, o.outcome)).join('\n'));
        process.stdout.write(notChecked);
        process.stdout.write(`${views.length} connection(s), ${violations} violation(s)\n`);
      }
      if (loaded.views.length === 0) throw new UsageError(`${file}: no TCP connection in the capture`, EXIT_BAD_CAPTURE);
      process.exitCode = violations > 0 ? 1 : 0;
    });
}
