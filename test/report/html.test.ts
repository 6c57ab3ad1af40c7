// The HTML report in a real browser: Debian's chromium, headless, renders the self-contained file
// (its Content-Security-Policy forbids any load from outside), runs the page's own filter script
// from the URL hash, and the DOM it dumps is checked: the summary, coverage by spec area, the
// failure's requirement text, accepted and observed outcomes, both sides' events, the capture
// links and the `pcap inspect` text; and which rows each filter leaves visible. A screenshot is
// saved beside the report.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { mixedRun } from './fixture.js';

const run = promisify(execFile);

async function findChromium(): Promise<string | undefined> {
  for (const bin of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      await run(bin, ['--version']);
      return bin;
    } catch {
      // next
    }
  }
  return undefined;
}

const chromium = await findChromium();
const fx = await mixedRun('report-html');
t.teardown(() => rm(fx.out, { recursive: true, force: true }));
const html = await readFile(fx.files.html!, 'utf8');

t.test('the file is self-contained: no external script, style, image or link', async (t) => {
  t.notMatch(html, /<link\b|<img\b|\bsrc=|@import|url\(/i);
  t.notMatch(html, /href="(https?:)?\/\//i);
  t.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

async function browse(hash: string, extra: string[] = []): Promise<string> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'sixbench-chromium-'));
  try {
    const url = `${pathToFileURL(fx.files.html!).href}${hash}`;
    const { stdout } = await run(
      chromium!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...extra, url],
      { maxBuffer: 32 << 20, timeout: 60_000 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

interface Row {
  id: string;
  suite: string;
  verdict: string;
  hidden: boolean;
}

/** The case rows of a dumped DOM, read with an XML parser over the table (the page's markup is regular). */
function rows(dom: string): Row[] {
  const out: Row[] = [];
  for (const m of dom.matchAll(/<tr class="case"[^>]*>/g)) {
    const tag = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', allowBooleanAttributes: true }).parse(`${m[0].replace(/>$/, '/>')}`).tr as Record<string, string>;
    out.push({ id: tag['data-id']!, suite: tag['data-suite']!, verdict: tag['data-verdict']!, hidden: 'hidden' in tag });
  }
  return out;
}

const skip = chromium ? false : 'chromium is not installed (.ci/run installs it: apt-get install chromium)';

t.test('headless Chromium shows the summary, coverage and the failure with its evidence', { skip }, async (t) => {
  const dom = await browse('', ['--dump-dom']);
  t.match(dom, /<span id="passed">2 passed<\/span><span id="failed">1 failed<\/span><span id="skipped">1 skipped<\/span>/);
  t.match(dom, /<tr data-area="E2ED-HS"><td>E2ED-HS<\/td><td class="n">\d+ \/ \d+<\/td>/);
  t.equal(rows(dom).length, 4);
  t.ok(rows(dom).every((r) => !r.hidden), 'no filter: every case shown');
  t.match(dom, /id="shown">4</);
  const failure = dom.slice(dom.indexOf(`data-id="${fx.brokenId}"`));
  t.match(failure, /<dt class="req">E2ED-HS-30<\/dt><dd>[^<]*Finished/, 'the requirement text');
  t.match(failure, /<dd class="expected">[^<]*decrypt_error/, 'the accepted outcome');
  const first = fx.report.cases.find((c) => c.id === fx.brokenId)!.evidence!.mismatches[0]!;
  t.ok(failure.includes(`<dd class="observed"><ul><li>${first}</li>`), 'what happened');
  t.match(failure, /<pre class="events-initiator">[^<]*connected /, 'the initiator\'s events');
  t.match(failure, /<pre class="events-responder">[^<]*handshake_started responder/, 'the responder\'s events');
  t.match(failure, /<a class="capture" href="captures\/knob\.finished\.corruptValue\.initiator\.pcap">/, 'link to the capture');
  t.match(failure, /<a class="keylog" href="captures\/knob\.finished\.corruptValue\.keylog">/, 'link to the key log');
  t.match(failure, /<details class="inspect-text">[\s\S]*Hello_I from=[\s\S]*Finished [0-9a-f]{64}/, 'the pcap inspect text');
});

t.test('the filters work in the browser, set from the URL', { skip }, async (t) => {
  const visible = async (hash: string): Promise<string[]> => rows(await browse(hash, ['--dump-dom'])).filter((r) => !r.hidden).map((r) => r.id);
  t.same(await visible('#verdict=fail'), [fx.brokenId], 'verdict fail');
  t.same(await visible('#verdict=skip'), ['interop.ping.i2r'], 'verdict skip');
  t.same(await visible('#suite=interop'), ['interop.x25519.aes-256-gcm.i2r', 'interop.ping.i2r'], 'suite interop');
  const citing = (pred: (r: string) => boolean): string[] => fx.report.cases.filter((c) => c.requirements.some(pred)).map((c) => c.id);
  t.same(await visible('#req=E2ED-HS-30'), citing((r) => r === 'E2ED-HS-30'), 'one requirement');
  t.ok(citing((r) => r === 'E2ED-HS-30').includes(fx.brokenId));
  t.same(await visible('#req=E2ED-KS'), citing((r) => r.startsWith('E2ED-KS-')), 'a spec area');
  t.ok(citing((r) => r.startsWith('E2ED-KS-')).length < 4, 'the area filter does hide something');
  t.same(await visible('#suite=knobs&verdict=pass'), [], 'two filters together');
});

t.test('a screenshot is saved beside the report', { skip }, async (t) => {
  const shot = path.join(fx.runDir, 'report.png');
  await browse('#verdict=fail', [`--screenshot=${shot}`, '--window-size=1280,1600', '--hide-scrollbars']);
  const png = await readFile(shot);
  t.same(png.subarray(0, 8), Buffer.from('89504e470d0a1a0a', 'hex'), 'a PNG file');
  t.ok((await stat(shot)).size > 10_000, 'with something drawn in it');
});
