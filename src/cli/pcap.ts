// `sixbench pcap inspect FILE [--keylog FILE] [--json]` and `sixbench pcap check FILE --keylog FILE`
// (docs/run.md "Reading captures back"). Exit status: 0 done (check: no violation), 1 check found
// violations, 2 bad usage, 4 the file is not a readable classic pcap (not pcap, truncated,
// unsupported link type), 5 the key log is unusable (not a key log, or it opens no record).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkConversation, formatCheck } from '../capture/check.js';
import { conversationJson, formatConversation, KeyLogError, readKeyLog, viewConversation, type ConversationView, type KeyLog } from '../capture/conversation.js';
import { CaptureError, readTcpStreams } from '../capture/read.js';
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

/** The connections of a capture, each decoded (and decrypted with the key log when given). */
export async function loadConversations(file: string, keylogFile: string | undefined): Promise<{ views: ConversationView[]; log: KeyLog | undefined }> {
  const bytes = await readInput(file, 'capture');
  let log: KeyLog | undefined;
  if (keylogFile !== undefined) {
    try {
      log = readKeyLog((await readInput(keylogFile, 'key log')).toString('utf8'));
    } catch (err) {
      if (err instanceof KeyLogError) throw new UsageError(`${keylogFile}: ${err.message}`, EXIT_BAD_KEYLOG);
      throw err;
    }
  }
  let streams;
  try {
    streams = await readTcpStreams(bytes);
  } catch (err) {
    if (err instanceof CaptureError) throw new UsageError(`${file}: ${err.message}`, EXIT_BAD_CAPTURE);
    throw err;
  }
  return { views: streams.map((s) => viewConversation(s, log)), log };
}

/** A key log that opens no record of a capture that has records is the wrong key log. */
function keyLogMismatch(views: ConversationView[], keylogFile: string): string | undefined {
  const total = views.reduce((n, v) => n + v.records.total, 0);
  const opened = views.reduce((n, v) => n + v.records.opened, 0);
  if (total === 0 || opened > 0) return undefined;
  const nonces = views.map((v) => v.nonceI).filter((n): n is string => n !== undefined);
  return `${keylogFile} decrypts none of the ${total} records: it has no usable line for ${nonces.length > 0 ? `nonce_I ${nonces.join(', ')}` : 'this capture'}`;
}

export function registerPcapCommands(program: Command): void {
  const pcap = program.command('pcap').description('read E2ED packet captures back: the conversation, decrypted, and a passive conformance check');
  pcap
    .command('inspect')
    .description('print each E2ED connection of a capture as a person reads it (records decrypted with --keylog)')
    .argument('<FILE>', 'classic pcap file (Ethernet, Linux cooked, raw IP or loopback)')
    .option('--keylog <FILE>', 'key log in the format of docs/spec.md chapter 13')
    .option('--json', 'print the conversations as JSON')
    .action(async (file: string, opts: { keylog?: string; json?: boolean }) => {
      const { views } = await loadConversations(file, opts.keylog);
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, connections: views.map(conversationJson) }, null, 2)}\n`);
      else process.stdout.write(views.length === 0 ? 'no TCP connection in the capture\n' : views.map(formatConversation).join('\n'));
      const mismatch = opts.keylog !== undefined ? keyLogMismatch(views, opts.keylog) : undefined;
      if (mismatch) throw new UsageError(mismatch, EXIT_BAD_KEYLOG);
    });
  pcap
    .command('check')
    .description('passive conformance check of the captured connections: every violation with its requirement id')
    .argument('<FILE>', 'classic pcap file')
    .requiredOption('--keylog <FILE>', 'key log of the connections (docs/spec.md chapter 13)')
    .option('--json', 'print the outcome as JSON')
    .action(async (file: string, opts: { keylog: string; json?: boolean }) => {
      const { views, log } = await loadConversations(file, opts.keylog);
      const mismatch = keyLogMismatch(views, opts.keylog);
      if (mismatch) throw new UsageError(mismatch, EXIT_BAD_KEYLOG);
      const outcomes = views.map((v) => ({ view: v, outcome: checkConversation(v, log) }));
      const violations = outcomes.reduce((n, o) => n + o.outcome.violations.length, 0);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ file, connections: outcomes.map((o) => ({ stream: o.view.stream, ...o.outcome })) }, null, 2)}\n`);
      } else {
        process.stdout.write(outcomes.map((o) => formatCheck(o.view, o.outcome)).join('\n'));
        process.stdout.write(`${views.length} connection(s), ${violations} violation(s)\n`);
      }
      if (views.length === 0) throw new UsageError(`${file}: no TCP connection in the capture`, EXIT_BAD_CAPTURE);
      process.exitCode = violations > 0 ? 1 : 0;
    });
}
