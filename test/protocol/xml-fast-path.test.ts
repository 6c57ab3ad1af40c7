// The flat-element fast path of parseXml returns exactly what the general path returns, and
// refuses exactly what it refuses (with the same alert), on a corpus of hand-written edge cases
// and of deterministic random mutations of real application messages.
import t, { type Test } from 'tap';
import { element, parseXml, parseXmlGeneral, serializeXml, serializeXmlGeneral, type XmlLimits } from '../../src/protocol/xml.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { encodeE2ed } from '../../src/protocol/messages.js';
import { seededRandom } from '../../src/protocol/random.js';

const NS = 'urn:sixchat:e2ed:1';

function outcome(parse: typeof parseXml, doc: Buffer, limits?: Partial<XmlLimits>): unknown {
  try {
    return { element: parse(doc, NS, limits) };
  } catch (err) {
    if (err instanceof ProtocolError) return { alert: err.alert };
    throw err;
  }
}

function same(t: Test, doc: Buffer, limits?: Partial<XmlLimits>): void {
  const fast = outcome(parseXml, doc, limits);
  const general = outcome(parseXmlGeneral, doc, limits);
  t.same(fast, general, JSON.stringify(doc.toString('utf8').slice(0, 100)));
}



const canonical = [
  encodeE2ed({ kind: 'Message', id: 'm-1', timestamp: '2026-11-26T19:00:00Z', text: 'hello world' }),
  encodeE2ed({ kind: 'Message', id: 'm-2', timestamp: '2026-11-26T19:00:00.123Z', text: '' }),
  encodeE2ed({ kind: 'Message', id: 'm-3', timestamp: '2026-11-26T19:00:00Z', text: 'tabs\tand\nnewlines, é, 𝄞, "quotes"' }),
  encodeE2ed({ kind: 'Message', id: 'm-4', timestamp: '2026-11-26T19:00:00Z', text: 'escapes <b> & </b>' }),
  encodeE2ed({ kind: 'Receipt', id: 'm-1' }),
  encodeE2ed({ kind: 'Ping', id: 'p' }),
  encodeE2ed({ kind: 'Pong', id: 'p' }),
  encodeE2ed({ kind: 'KeyUpdate', request: false }),
  encodeE2ed({ kind: 'Alert', level: 'warning', code: 'close_notify' }),
  encodeE2ed({ kind: 'Finished', verifyData: Buffer.alloc(32, 7) }),
  encodeE2ed({ kind: 'Alert', level: 'fatal', code: 'decode_error', reason: 'bad <thing> & more' }),
  encodeE2ed({
    kind: 'InitiatorHello', from: 'alice@example.com', to: 'bob@example.com', versions: ['1.0', '0.9'], nonce: Buffer.alloc(32, 1),
    methods: ['x25519', 'p256'], keyShare: { method: 'x25519', publicKey: Buffer.alloc(32, 2) }, ciphers: ['AES-256-GCM'],
    certificates: [Buffer.alloc(300, 3), Buffer.alloc(200, 4)],
  }),
  encodeE2ed({
    kind: 'ResponderHello', from: 'bob@example.com', to: 'alice@example.com', version: '1.0', method: 'rsa-oaep', cipher: 'AES-256-GCM',
    nonce: Buffer.alloc(32, 5), certificates: [Buffer.alloc(100, 6)],
  }),
];

const handWritten = [
  `<Ping xmlns="${NS}" id="a"/>`,
  `<Ping xmlns="${NS}" id="a"></Ping>`,
  `<Ping xmlns="${NS}" id="a"> </Ping>`,
  `<Ping id="a" xmlns="${NS}"/>`,
  `<Ping  xmlns="${NS}" id="a"/>`,
  `<Ping xmlns="${NS}" id="a" />`,
  `<Ping xmlns='${NS}' id='a'/>`,
  `<Ping xmlns="${NS}" id="a" id="b"/>`,
  `<Ping xmlns="${NS}" xmlns="${NS}" id="a"/>`,
  `<Ping id="a"/>`,
  `<Ping xmlns="urn:other" id="a"/>`,
  `<Ping xmlns="${NS}" id="a\tb"/>`,
  `<Ping xmlns="${NS}" id="a&amp;b"/>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">a > b</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">a ]]> b</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">line\r\nbreak</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">text</Messages>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">text</message>`,
  `<constructor xmlns="${NS}"/>`,
  `<Ping xmlns="${NS}" toString="x" id="a"/>`,
  `<Ping xmlns="${NS}" ${Array.from({ length: 16 }, (_, i) => `a${i}="v"`).join(' ')}/>`,
  `<Ping xmlns="${NS}" ${Array.from({ length: 15 }, (_, i) => `a${i}="v"`).join(' ')}/>`,
  `<${'P'.repeat(65)} xmlns="${NS}"/>`,
  `<${'P'.repeat(64)} xmlns="${NS}"/>`,
  `<Ping xmlns="${NS}" pad="${'v'.repeat(4097)}"/>`,
  `<Ping xmlns="${NS}" pad="${'v'.repeat(4096)}"/>`,
  `<?xml version="1.0"?><Ping xmlns="${NS}" id="a"/>`,
  `<Ping xmlns="${NS}" id="a"/>\n`,
  ` <Ping xmlns="${NS}" id="a"/>`,
  `<Ping xmlns="${NS}" id="a"/><Ping xmlns="${NS}" id="b"/>`,
  `<Future xmlns="${NS}" critical="true"/>`,
  `<Ping xmlns="${NS}" id=""/>`,
  `<Ping xmlns="${NS}" id="é"/>`,
  `<Ping xmlns="${NS}" 1d="a"/>`,
  `<Root xmlns="${NS}"><A>x</A><B/><C k="v">y</C></Root>`,
  `<Root xmlns="${NS}">\n  <A>x</A>\n  <B/>\n</Root>`,
  `<Root xmlns="${NS}">\r\n<A>x</A></Root>`,
  `<Root xmlns="${NS}"> t <A>x</A></Root>`,
  `<Root xmlns="${NS}"><A>x</A> t </Root>`,
  `<Root xmlns="${NS}"><A xmlns="${NS}">x</A></Root>`,
  `<Root xmlns="${NS}"><A xmlns="urn:other">x</A></Root>`,
  `<Root xmlns="${NS}"><A><B>x</B></A></Root>`,
  `<Root xmlns="${NS}"><A>x</B></Root>`,
  `<Root xmlns="${NS}"><A>x</A><!-- c --></Root>`,
  `<Root xmlns="${NS}"><A>x &amp; y</A></Root>`,
  `<Root xmlns="${NS}"><A>x > y</A></Root>`,
  `<Root xmlns="${NS}"><A>x</A></Root >`,
  `<Root xmlns="${NS}"><A>x</A ></Root>`,
  `<Root xmlns="${NS}"><A>x</A>`,
  `<Root xmlns="${NS}"><A>x</A></Root><B/>`,
  `<Root xmlns="${NS}"><A a="1" a="2">x</A></Root>`,
  `<Root xmlns="${NS}"><hasOwnProperty>x</hasOwnProperty></Root>`,
  `<Root xmlns="${NS}">${'<A/>'.repeat(255)}</Root>`,
  `<Root xmlns="${NS}">${'<A/>'.repeat(256)}</Root>`,
  `<Root xmlns="${NS}"><A/></Root>`,
  `<Root xmlns="${NS}"></Root>`,
  `<Message xmlns="${NS}" id="a>b" timestamp="2026-11-26T19:00:00Z">text</Message>`,
  `<Message xmlns="${NS}" id="a\u0001" timestamp="2026-11-26T19:00:00Z">text</Message>`,
  `<Message xmlns="${NS}" id="a\uffff" timestamp="2026-11-26T19:00:00Z">text</Message>`,
  `<Message xmlns="${NS}" id="é" timestamp="2026-11-26T19:00:00Z">é</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">é</Messagé>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z"></Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z"/>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">   </Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">\ufeff</Message>`,
  `\ufeff<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">x</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">x</Message >`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">`,
  `<Message>`,
  `<`,
  // Text whose only markup is references: the fast path sizes and decodes them itself (E2ED-XML-9).
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#x41;&#65;&lt;&gt;&amp;&quot;&apos;&#xe9;&#x1D11E;&#x20AC;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">a &amp; b, é</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#0;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#xFFFE;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#x110000;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#xD800;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#x123456789;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#12345678901;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#x;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#X41;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&nbsp;</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&amp</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&amp; > </Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&amp;\r\n</Message>`,
  `<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&amp;\u0001</Message>`,
];

t.test('hand-written edge cases', async (t) => {
  for (const d of handWritten) same(t, Buffer.from(d, 'utf8'));
  // Invalid UTF-8 in the text of a Message, short and long: both paths give E2ED-XML-1's decode_error.
  for (const text of ['x', 'x'.repeat(3000)]) {
    const [head, tail] = [`<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">${text}`, '</Message>'];
    for (const bad of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]]) {
      same(t, Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]));
    }
  }
  same(t, canonical[0]!, { maxTextBytes: 5 });
  // Sizes are those of the decoded text: 3 references of 1 to 4 octets each, around the limit.
  const references = Buffer.from(`<Message xmlns="${NS}" id="a" timestamp="2026-11-26T19:00:00Z">&#x41;&#xe9;&#x1D11E;</Message>`);
  for (const maxTextBytes of [6, 7, 8]) same(t, references, { maxTextBytes });
  same(t, canonical[0]!, { maxAttributes: 1 });
  same(t, canonical[0]!, { maxNameBytes: 4 });
  const hello = canonical.find((d) => d.toString('utf8').startsWith('<Hello'))!;
  for (const limits of [{ maxDepth: 1 }, { maxElements: 3 }, { maxTextBytes: 100 }, { maxAttributes: 3 }, { maxNameBytes: 5 }]) same(t, hello, limits);
});

t.test('canonical application messages', async (t) => {
  for (const d of canonical) same(t, d);
});

t.test('random single-byte mutations of canonical messages', async (t) => {
  const rng = seededRandom('xml-fast-path');
  const alphabet = Buffer.from(' <>&"\'=/\t\r\nxX:;#0a-._?!', 'utf8');
  let n = 0;
  for (const base of canonical) {
    for (let i = 0; i < 150; i++) {
      const doc = Buffer.from(base);
      const [pos, pick, op] = rng.bytes(3);
      const at = pos! % doc.length;
      const c = alphabet[pick! % alphabet.length]!;
      const mutated = op! % 3 === 0 ? Buffer.concat([doc.subarray(0, at), doc.subarray(at + 1)])
        : op! % 3 === 1 ? Buffer.concat([doc.subarray(0, at), Buffer.from([c]), doc.subarray(at)])
          : (doc[at] = c, doc);
      same(t, mutated);
      n++;
    }
  }
  t.equal(n, canonical.length * 150);
});

const LONG = 'x'.repeat(2000);
const longTexts = [
  LONG, `${LONG}é𝄞中`, `${LONG}\n\t`, `${LONG}<`, `${LONG}&`, `${LONG}>`, `${LONG}"`, `${LONG}'`, `${LONG}\r`,
  `${LONG}\u0001`, `${LONG}\u000b`, `${LONG}\ufffe`, `${LONG}\uffff`, `${LONG}\ud800`, `\udc00${LONG}`, `${LONG}\ud83d\ude00`,
  'short & plain',
  // Lead byte 0xEF without being U+FFFE/U+FFFF (fullwidth forms, U+FFFD): the scan must look past it.
  `${LONG}\uff01\ufffd`, `\ufffd${LONG}\uff01`, `\uff01${LONG}\uffff`,
  // An offending character at every offset around the scanner's 16- and 64-byte blocks.
  ...Array.from({ length: 70 }, (_, k) => `${'y'.repeat(1024 + k)}${['\u0001', '<', '&', '>', '\r', '"', '\ufffe'][k % 7]}${'z'.repeat(70 - k)}`),
]

function serialised(f: typeof serializeXml, text: string): unknown {
  try {
    return { bytes: f(element('Message', { id: 'm', timestamp: '2026-11-26T19:00:00Z' }, text), NS).toString('hex') };
  } catch (err) {
    if (err instanceof ProtocolError) return { alert: err.alert };
    throw err;
  }
}

t.test('the plain-leaf serialiser writes exactly what the general one writes, or refuses alike', async (t) => {
  for (const text of longTexts) t.same(serialised(serializeXml, text), serialised(serializeXmlGeneral, text), JSON.stringify(text.slice(-4)));
});

t.test('transient serialisation gives the same bytes; the ordinary result is the caller\'s own copy', async (t) => {
  const el = (text: string) => element('Message', { id: 'm', timestamp: '2026-11-26T19:00:00Z' }, text);
  for (const text of longTexts) {
    let expected: string;
    try {
      expected = serializeXmlGeneral(el(text), NS).toString('hex');
    } catch {
      continue;
    }
    t.equal(serializeXml(el(text), NS, { transient: true }).toString('hex'), expected, JSON.stringify(text.slice(-4)));
  }
  const first = serializeXml(el('a'.repeat(3000)), NS);
  const kept = Buffer.from(first);
  const transient = serializeXml(el('b'.repeat(3000)), NS, { transient: true });
  serializeXml(el('c'.repeat(3000)), NS, { transient: true });
  t.same(first, kept, 'a later transient serialisation does not touch an earlier ordinary result');
  t.match(transient.toString(), /^<Message [^>]*>c{3000}<\/Message>$/, 'a transient result is overwritten by the next call, as documented');
});

t.test('long messages and their mutations read alike on both paths', async (t) => {
  const rng = seededRandom('xml-fast-path-long');
  for (const text of longTexts) {
    let doc: Buffer;
    try {
      doc = serializeXmlGeneral(element('Message', { id: 'm', timestamp: '2026-11-26T19:00:00Z' }, text), NS);
    } catch {
      continue;
    }
    same(t, doc);
    for (let i = 0; i < 20; i++) {
      const copy = Buffer.from(doc);
      const [a, b, c] = rng.bytes(3);
      const at = ((a! << 8) | b!) % copy.length;
      copy[at] = [0x3c, 0x26, 0x3e, 0x0d, 0x01, 0x0b, 0xef, 0xbf, 0x22, 0x80][c! % 10]!;
      same(t, copy);
    }
  }
});
