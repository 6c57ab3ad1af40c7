// E2ED-XML-8/-9: sizes are those of the decoded text, known before anything is decoded, and
// decoding costs memory in proportion to the text, not to the number of references in it.
import t from 'tap';
import v8 from 'node:v8';
import { ProtocolError } from '../../src/protocol/errors.js';
import { decodeE2ed } from '../../src/protocol/messages.js';
import { parseXml, parseXmlGeneral } from '../../src/protocol/xml.js';
import { hostileDocument } from './fixtures/hostile-xml.js';

const NS = 'urn:sixchat:e2ed:1';
const MiB = 1024 * 1024;

function refusal(f: () => unknown): { alert: string; requirement: string | undefined } | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (err) {
    if (err instanceof ProtocolError) return { alert: err.alert, requirement: err.requirement };
    throw err;
  }
}

/** Bytes the garbage collector freed while `f` ran `times` times (0 when it never had to run). */
function garbageCollectedDuring(times: number, f: () => void): number {
  const profiler = new v8.GCProfiler();
  profiler.start();
  for (let i = 0; i < times; i++) f();
  const stats = profiler.stop()?.statistics ?? [];
  return stats.reduce((sum, s) => sum + Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize), 0);
}

t.test('a full frame of references, or of text on the general path, costs garbage in proportion to its size only', async (t) => {
  // Before: one frame of references left ~100 MB for the collector (a match array, a callback call
  // and a string per reference), ten of them 1.36 GB; on the general path (text behind a comment,
  // references in a child element) the parser also built the text one character at a time (ten
  // frames: 190 MiB and 863 MiB). Now the text is sized in one pass, decoded into one buffer, and
  // the parser sees only the markup (skeletonOf in src/protocol/xml.ts): what remains is a few
  // copies of the 1 MiB text. The bound leaves room for one young-generation collection of
  // whatever the test runner left behind.
  for (const [kind, requirement] of [['refs', 'E2ED-APP-1'], ['amp', 'E2ED-APP-1'], ['comment', 'E2ED-APP-1'], ['child-refs', undefined]]) {
    const doc = hostileDocument(kind!);
    const expected = requirement === undefined ? 'accepted' : { alert: 'decode_error', requirement };
    t.match(refusal(() => decodeE2ed(doc)), expected, `${kind}: ${requirement ?? 'an unknown child is ignored (E2ED-XML-17)'}`);
    const freed = garbageCollectedDuring(10, () => refusal(() => decodeE2ed(doc)));
    t.ok(freed < 96 * MiB, `${kind}: ten decodes left ${(freed / MiB).toFixed(1)} MiB of garbage (bound 96 MiB)`);
  }
});

t.test('text size is the decoded size: references and CRLF count as what they become', async (t) => {
  // "1048576 octets of text in one element", of the text as parsed: a CRLF is one LF, `&#x41;` one octet.
  const crlf = Buffer.from(`<Message xmlns="${NS}" id="a" timestamp="2026-01-01T00:00:00Z"><!---->12345678\r\n9</Message>`);
  for (const parse of [parseXml, parseXmlGeneral]) {
    t.equal(refusal(() => parse(crlf, NS, { maxTextBytes: 10 })), 'accepted', `${parse.name}: 11 raw octets, 10 parsed`);
    t.match(refusal(() => parse(crlf, NS, { maxTextBytes: 9 })), { alert: 'decode_error', requirement: 'E2ED-XML-8' });
  }
  const refs = Buffer.from(`<Message xmlns="${NS}" id="a" timestamp="2026-01-01T00:00:00Z">${'&#x41;'.repeat(10)}</Message>`);
  t.equal(parseXml(refs, NS, { maxTextBytes: 10 }).text, 'A'.repeat(10));
  t.match(refusal(() => parseXml(refs, NS, { maxTextBytes: 9 })), { alert: 'decode_error', requirement: 'E2ED-XML-8' });
});

t.test('an attribute value is measured decoded: 4096 octets from 24576 raw are allowed, 4097 are not', async (t) => {
  const over = Buffer.from(`<Ping xmlns="${NS}" id="a" pad="${'&#x41;'.repeat(4097)}"/>`);
  t.match(refusal(() => parseXmlGeneral(over, NS)), { alert: 'decode_error', requirement: 'E2ED-XML-8' });
  const at = Buffer.from(`<Ping xmlns="${NS}" id="a" pad="${'&#x41;'.repeat(4096)}"/>`);
  t.equal(refusal(() => parseXmlGeneral(at, NS)), 'accepted');
  const crlf = Buffer.from(`<Ping xmlns="${NS}" id="a" pad="${'v'.repeat(4094)}\r\n"/>`);
  t.equal(refusal(() => parseXmlGeneral(crlf, NS)), 'accepted', 'a CRLF in a value is one space');
});
