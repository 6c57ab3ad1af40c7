// `npm run bench`: runs every benchmark in one process and prints one table with the ratios
// and targets of the issue. Never part of the test suite (no timed tests).
//
// The IRP and PKI benchmarks live in their owners' files (src/bench/irp.ts, src/bench/pki.ts);
// they are loaded when present so this runner works while they are still being written.
import type { IrpHostileResult } from './irp.js';
import { benchMessagePath, benchUa, type UaBenchResult } from './ua.js';
import type { CaptureCost } from './captures.js';
import { benchListener, formatListenerBench } from './listener.js';

/** The bulk Message size of src/bench/ua.ts, for the per-step table. */
const BULK_BYTES = 64 * 1024 - 1024;

interface Row {
  name: string;
  value: number;
  unit: string;
  /** The figure this one is compared with, and the minimum ratio value/baseline the issue asks for. */
  baseline?: { name: string; value: number };
  minRatio?: number;
  /** A minimum absolute value the issue asks for. */
  minValue?: number;
}

async function loadOptional<T>(file: string, exportName: string): Promise<(() => Promise<T>) | undefined> {
  try {
    const mod = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
    const fn = mod[exportName];
    return typeof fn === 'function' ? (fn as () => Promise<T>) : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

function uaRows(r: UaBenchResult): Row[] {
  return [
    {
      name: 'E2ED handshakes (x25519, P-256 certs, full validation)',
      value: r.handshakesPerSecond,
      unit: '/s',
      baseline: { name: 'node:tls 1.3 mutual', value: r.tlsHandshakesPerSecond },
      minRatio: 2.0,
    },
    { name: 'node:tls 1.3 mutual-cert handshakes (P-256)', value: r.tlsHandshakesPerSecond, unit: '/s' },
    { name: 'E2ED 1 KiB Messages (with Receipts)', value: r.messagesPerSecond, unit: '/s' },
    {
      name: `E2ED bulk (${r.bulkRecordBytes / 1024} KiB Messages, ${r.cipher})`,
      value: r.bulkMegabytesPerSecond,
      unit: 'MB/s',
      baseline: { name: 'node:tls 1.3 bulk', value: r.tlsBulkMegabytesPerSecond },
      minRatio: 0.5,
    },
    {
      name: `  its floor: node:crypto AEAD records alone (no XML, text)`,
      value: r.aeadFloorMegabytesPerSecond,
      unit: 'MB/s',
      baseline: { name: 'node:tls 1.3 bulk', value: r.tlsBulkMegabytesPerSecond },
    },
    {
      name: '  its floor with the text work (UTF-8 both ways, both checks)',
      value: r.aeadFloorWithTextMegabytesPerSecond,
      unit: 'MB/s',
      baseline: { name: 'node:tls 1.3 bulk', value: r.tlsBulkMegabytesPerSecond },
    },
    { name: 'node:tls 1.3 bulk (AES-256-GCM)', value: r.tlsBulkMegabytesPerSecond, unit: 'MB/s' },
  ];
}

function formatNumber(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function printTable(rows: Row[]): boolean {
  const header = ['benchmark', 'value', 'compared with', 'ratio', 'target', 'met'];
  const lines: string[][] = [header];
  let allMet = true;
  for (const row of rows) {
    let ratio = '';
    let target = '';
    let met = '';
    if (row.baseline) {
      const r = row.value / row.baseline.value;
      ratio = `${r.toFixed(2)}x`;
      if (row.minRatio !== undefined) {
        target = `>= ${row.minRatio.toFixed(1)}x`;
        met = r >= row.minRatio ? 'yes' : 'NO';
      }
    }
    if (row.minValue !== undefined) {
      target = `>= ${row.minValue}${row.unit}`;
      met = row.value >= row.minValue ? 'yes' : 'NO';
    }
    if (met === 'NO') allMet = false;
    lines.push([
      row.name,
      `${formatNumber(row.value)} ${row.unit}`,
      row.baseline ? `${row.baseline.name} (${formatNumber(row.baseline.value)} ${row.unit})` : '',
      ratio,
      target,
      met,
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const render = (l: string[]): string => l.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${render(lines[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const l of lines.slice(1)) process.stdout.write(`${render(l)}\n`);
  return allMet;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

  log('reference UA versus node:tls ...');
  rows.push(...uaRows(await benchUa({ log })));

  const irp = await loadOptional<{ lookupsPerSecond: number }>('./irp.js', 'benchIrpLookups');
  if (irp) {
    log('IRP signed look-ups ...');
    const r = await irp();
    rows.push({ name: 'IRP signed look-ups (one TLS connection)', value: r.lookupsPerSecond, unit: '/s', minValue: 5000 });
  } else {
    log('src/bench/irp.ts is not built: IRP look-ups skipped');
  }

  const hostile = await loadOptional<IrpHostileResult>('./irp.js', 'benchIrpHostile');
  let hostileLines: string[] = [];
  if (hostile) {
    log('IRP stub under hostile load ...');
    const h = await hostile();
    hostileLines = [
      `  silent TCP connections (no TLS hello), ${h.silent.connections} opened:`,
      `    stub RSS per held connection          ${h.silent.rssPerConnectionKiB.toFixed(1)} KiB`,
      `    held with the default caps            ${h.silent.heldWithDefaults} (the rest refused before TLS)`,
      `    time to refuse one past the cap       ${h.silent.refuseMs.toFixed(2)} ms (median)`,
      `    longest lived (deadline 1 s)          ${h.silent.closedAfterMs.toFixed(0)} ms`,
      `  TLS connections holding an almost-full 1 MiB frame, ${h.partialFrames.connections} opened:`,
      `    stub RSS per held connection          ${h.partialFrames.rssPerConnectionKiB.toFixed(0)} KiB (caps raised)`,
      `    held with the default caps            ${h.partialFrames.heldWithDefaults}, stub RSS +${h.partialFrames.peakRssDefaultsMiB.toFixed(1)} MiB`,
      `    all closed after (frame deadline 3 s) ${h.partialFrames.closedAfterMs.toFixed(0)} ms`,
      `  ${h.loginFlood.attempts} Logins, distinct unknown user IDs, one address:`,
      `    checked / rate_limited                ${h.loginFlood.unauthenticated} / ${h.loginFlood.rateLimited} in ${h.loginFlood.seconds.toFixed(2)} s`,
      `    another client's Capabilities         ${h.loginFlood.otherClientMs.toFixed(1)} ms`,
      `  Login answer time, median of ${h.loginTiming.samples} (stub CPU per Login):`,
      `    known user, wrong password            ${h.loginTiming.knownMedianMs.toFixed(2)} ms (${h.loginTiming.knownCpuMs.toFixed(2)} ms)`,
      `    unknown user                          ${h.loginTiming.unknownMedianMs.toFixed(2)} ms (${h.loginTiming.unknownCpuMs.toFixed(2)} ms)`,
      `  fsynced state commits per second:`,
      `    with ${h.store.smallCertificates} certificates                ${h.store.smallCommitsPerSecond.toFixed(0)}/s`,
      `    with ${h.store.largeCertificates} certificates             ${h.store.largeCommitsPerSecond.toFixed(0)}/s`,
    ];
  }

  const pki = await loadOptional<{ ms: number }>('./pki.js', 'benchPkiBuild');
  if (pki) {
    log('test PKI build ...');
    const r = await pki();
    rows.push({ name: 'test PKI build (root, intermediates, users, defects)', value: r.ms, unit: 'ms' });
  } else {
    log('src/bench/pki.ts is not built: PKI build skipped');
  }

  const adapter = await loadOptional<import('./adapter.js').AdapterBenchResult>('./adapter.js', 'benchAdapter');
  if (adapter) {
    log('conformance run in-process, through the door in-process, through the door as a command (examples/reference.json) ...');
    const r = await adapter();
    const what = `${r.suites.join('+')}: ${r.cases.inProcess} cases in-process, ${r.cases.adapter} through the adapter (both roles, sanity x2)`;
    rows.push({ name: `sixbench run, in-process (${what})`, value: r.inProcessMs / 1000, unit: 's' });
    rows.push({ name: '  run --iut, the reference door in-process', value: r.doorInProcessMs / 1000, unit: 's', baseline: { name: 'in-process run', value: r.inProcessMs / 1000 } });
    rows.push({ name: `  run --iut examples/reference.json (a process per case and role)${r.verdictsEqual ? '' : ' VERDICTS DIFFER'}`, value: r.doorProcessMs / 1000, unit: 's', baseline: { name: 'in-process run', value: r.inProcessMs / 1000 } });
  }

  const full = await loadOptional<import('./full-run.js').FullRunBenchResult>('./full-run.js', 'benchFullRun');
  let fullRun: import('./full-run.js').FullRunBenchResult | undefined;
  if (full) {
    log('the full default run (every suite, the adversary included) ...');
    fullRun = await full();
    rows.push({ name: `sixbench run, every suite (${fullRun.cases} cases, ${fullRun.passed} passed, ${fullRun.failed} failed, ${fullRun.skipped} skipped)`, value: fullRun.wallMs / 1000, unit: 's' });
    rows.push({ name: '  its CPU time (the process, user + system)', value: fullRun.cpuMs / 1000, unit: 's' });
    rows.push({ name: '  cases per second (wall)', value: fullRun.casesPerSecond, unit: '/s' });
  }

  process.stdout.write(`\nsixbench benchmarks (node ${process.version}, ${process.platform}/${process.arch})\n\n`);
  const allMet = printTable(rows);
  process.stdout.write(allMet ? '\nall targets met\n' : '\nsome targets missed (see docs/performance.md)\n');

  const captures = await loadOptional<CaptureCost>('./captures.js', 'benchCaptureCost');
  if (captures) {
    log('full run with --captures none and all ...');
    const c = await captures();
    process.stdout.write(`\nCaptures on a full run (median of ${c.runs}, wall time):\n`);
    process.stdout.write(`  --captures none   ${(c.noneMs / 1000).toFixed(2)} s\n`);
    process.stdout.write(`  --captures all    ${(c.allMs / 1000).toFixed(2)} s  (+${(((c.allMs - c.noneMs) / c.noneMs) * 100).toFixed(0)}%: ${c.cases} cases, ${c.files} files, ${(c.bytes / 1e6).toFixed(1)} MB)\n`);
    process.stdout.write(`  cases by what they recorded (of ${c.total}): ${Object.entries(c.byLegs).map(([legs, n]) => `${legs} ${n}`).join(', ')}\n`);
  }
  if (fullRun) {
    process.stdout.write(`\nWhere the full run's time goes (case durations summed per suite, ${fullRun.concurrency} at a time; set-up ${(fullRun.setupMs / 1000).toFixed(1)} s):\n`);
    for (const [suite, ms] of fullRun.bySuite) process.stdout.write(`  ${suite.padEnd(14)} ${(ms / 1000).toFixed(1).padStart(6)} s\n`);
  }
  if (hostileLines.length > 0) process.stdout.write(`\nIRP stub under hostile load (loopback, docs/spec.md 14.15):\n${hostileLines.join('\n')}\n`);

  log('E2ED data path, one step at a time ...');
  const path = benchMessagePath();
  const perMessage = (us: number): string => `${us.toFixed(1).padStart(7)} us  (${(BULK_BYTES / us).toFixed(0)} MB/s alone)`;
  process.stdout.write(`\nE2ED data path per ${BULK_BYTES / 1024} KiB Message:\n`);
  process.stdout.write(`  encodeE2ed (serialise)        ${perMessage(path.encodeMicros)}\n`);
  process.stdout.write(`  decodeE2ed (parse)            ${perMessage(path.decodeMicros)}\n`);
  process.stdout.write(`  sealRecord AES-256-GCM        ${perMessage(path.sealMicros)}\n`);
  process.stdout.write(`  openRecord AES-256-GCM        ${perMessage(path.openMicros)}\n`);
  process.stdout.write(`  FrameDecoder.push (4 chunks)  ${perMessage(path.framingMicros)}\n`);

  // Last: the flood leaves sockets and memory behind for a while, which the timed figures above
  // must not share.
  log('E2ED listener under hostile load (issue 13 section 2) ...');
  process.stdout.write(`\n${formatListenerBench(await benchListener(log))}\n`);
}

await main();
