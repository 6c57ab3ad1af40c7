// Unit tests of the hardened XML codec (docs/spec.md, section 3 "XML rules"): literal XML in,
// alert code out, one rule per test.
import t from 'tap';
import { parseXml, serializeXml, element, collectChildren, type XmlElement } from '../../src/protocol/xml.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { withAlert } from '../helpers/alerts.js';

const NS = 'urn:sixchat:e2ed:1';
const ROOT = `xmlns="${NS}"`;

function alertOf(xml: string | Uint8Array, namespace = NS): string {
  try {
    parseXml(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml, namespace);
  } catch (e) {
    if (e instanceof ProtocolError) return e.alert;
    throw e;
  }
  return 'accepted';
}

const parse = (xml: string): XmlElement => parseXml(Buffer.from(xml, 'utf8'), NS);

t.test('accepts a plain document and keeps child order and attribute order', async (t) => {
  const el = parse(`<Hello ${ROOT} b="2" a="1"><X>1</X><Y/><X>2</X></Hello>`);
  t.equal(el.name, 'Hello');
  t.same(Object.keys(el.attributes), ['b', 'a']);
  t.same(el.children.map((c) => `${c.name}:${c.text}`), ['X:1', 'Y:', 'X:2']);
});

t.test('accepts the XML declaration (with and without encoding) and comments', async (t) => {
  t.equal(alertOf(`<?xml version="1.0" encoding="UTF-8"?><Ping ${ROOT}/>`), 'accepted');
  t.equal(alertOf(`<?xml version='1.0'?>\n<Ping ${ROOT}/>\n`), 'accepted');
  t.equal(alertOf(`<?xml version="1.0" encoding="utf-8" standalone="yes"?><Ping ${ROOT}/>`), 'accepted');
  t.equal(parse(`<!-- a --><Ping ${ROOT}>a<!-- b -->b</Ping><!-- c -->`).text, 'ab');
});

t.test('billion laughs is decode_error', async (t) => {
  const xml = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
    `<Ping ${ROOT}>&lol2;</Ping>`;
  t.equal(alertOf(xml), 'decode_error');
});

t.test('external entity is decode_error', async (t) => {
  t.equal(alertOf(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Ping ${ROOT}>&xxe;</Ping>`), 'decode_error');
});

t.test('DOCTYPE is decode_error', async (t) => {
  t.equal(alertOf(`<!DOCTYPE Ping><Ping ${ROOT}/>`), 'decode_error');
});

t.test('entity declaration outside a DOCTYPE is decode_error', async (t) => {
  t.equal(alertOf(`<!ENTITY a "b"><Ping ${ROOT}/>`), 'decode_error');
});

t.test('undefined entity reference is decode_error', async (t) => {
  t.equal(alertOf(`<Ping ${ROOT}>&nbsp;</Ping>`), 'decode_error');
});

t.test('bare ampersand is decode_error, in text and in attributes', async (t) => {
  t.equal(alertOf(`<Ping ${ROOT}>a & b</Ping>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT} id="a&b"/>`), 'decode_error');
});

t.test('character reference to a character XML forbids is decode_error', async (t) => {
  t.equal(alertOf(`<Ping ${ROOT}>&#0;</Ping>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT}>&#xFFFE;</Ping>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT}>&#xD800;</Ping>`), 'decode_error');
});

t.test('predefined entities and character references are decoded', async (t) => {
  const el = parse(`<Ping ${ROOT} v="&quot;&apos;&#x41;&#10;">&lt;&gt;&amp;&#65;&#x1F600;</Ping>`);
  t.equal(el.text, '<>&A\u{1F600}');
  t.equal(el.attributes['v'], '"\'A\n');
});

t.test('processing instruction is decode_error', async (t) => {
  t.equal(alertOf(`<?xml-stylesheet href="a"?><Ping ${ROOT}/>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT}><?php x ?></Ping>`), 'decode_error');
});

t.test('XML declaration not at the very start is decode_error', async (t) => {
  t.equal(alertOf(` <?xml version="1.0"?><Ping ${ROOT}/>`), 'decode_error');
});

t.test('XML declaration with another version or encoding is decode_error', async (t) => {
  t.equal(alertOf(`<?xml version="1.1"?><Ping ${ROOT}/>`), 'decode_error');
  t.equal(alertOf(`<?xml version="1.0" encoding="ISO-8859-1"?><Ping ${ROOT}/>`), 'decode_error');
  t.equal(alertOf(`<?xml version="1.0" standalone="maybe"?><Ping ${ROOT}/>`), 'decode_error');
  t.equal(alertOf(`<?xml encoding="UTF-8" version="1.0"?><Ping ${ROOT}/>`), 'decode_error');
});

t.test('CDATA section is decode_error', async (t) => {
  t.equal(alertOf(`<Ping ${ROOT}><![CDATA[x]]></Ping>`), 'decode_error');
});

t.test('depth 8 is accepted, 9 levels is decode_error', async (t) => {
  const nest = (levels: number): string => {
    let inner = '';
    for (let d = levels; d >= 2; d--) inner = `<L${d}>${inner}</L${d}>`;
    return `<Root ${ROOT}>${inner}</Root>`;
  };
  t.equal(alertOf(nest(8)), 'accepted');
  t.equal(alertOf(nest(9)), 'decode_error');
});

t.test('16 attributes are accepted, 17 is decode_error', async (t) => {
  const attrs = (count: number): string => Array.from({ length: count }, (_, k) => `a${k}="v"`).join(' ');
  t.equal(alertOf(`<Ping ${ROOT} ${attrs(15)}/>`), 'accepted', 'xmlns counts as one of the 16');
  t.equal(alertOf(`<Ping ${ROOT} ${attrs(16)}/>`), 'decode_error');
});

t.test('256 elements are accepted, 257 is decode_error', async (t) => {
  t.equal(alertOf(`<Root ${ROOT}>${'<E/>'.repeat(255)}</Root>`), 'accepted');
  t.equal(alertOf(`<Root ${ROOT}>${'<E/>'.repeat(256)}</Root>`), 'decode_error');
});

t.test('name longer than 64 octets is decode_error', async (t) => {
  t.equal(alertOf(`<Root ${ROOT}><${'N'.repeat(64)}/></Root>`), 'accepted');
  t.equal(alertOf(`<Root ${ROOT}><${'N'.repeat(65)}/></Root>`), 'decode_error');
  t.equal(alertOf(`<Root ${ROOT} ${'a'.repeat(65)}="1"/>`), 'decode_error');
});

t.test('attribute value longer than 4096 octets is decode_error', async (t) => {
  t.equal(alertOf(`<Root ${ROOT} v="${'x'.repeat(4096)}"/>`), 'accepted');
  t.equal(alertOf(`<Root ${ROOT} v="${'x'.repeat(4097)}"/>`), 'decode_error');
  t.equal(alertOf(`<Root ${ROOT} v="${'é'.repeat(2049)}"/>`), 'decode_error', 'octets, not characters');
});

t.test('text node above the limit is decode_error', async (t) => {
  const xml = Buffer.from(`<Root ${ROOT}>${'x'.repeat(101)}</Root>`);
  t.throws(() => parseXml(xml, NS, { maxTextBytes: 100 }), withAlert('decode_error'));
  t.doesNotThrow(() => parseXml(xml, NS, { maxTextBytes: 101 }));
});

t.test('missing namespace is decode_error', async (t) => {
  t.equal(alertOf('<Ping/>'), 'decode_error');
});

t.test('wrong namespace is decode_error', async (t) => {
  t.equal(alertOf('<Ping xmlns="urn:sixchat:irp:1"/>'), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT}><X xmlns="urn:other"/></Ping>`), 'decode_error', 'a child may not switch namespace');
  t.equal(alertOf(`<Ping ${ROOT}><X ${ROOT}/></Ping>`), 'accepted', 'a child may repeat the same one');
});

t.test('prefixed names are decode_error', async (t) => {
  t.equal(alertOf(`<e:Ping xmlns:e="${NS}"/>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT} xmlns:p="urn:x"/>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT}><p:X xmlns:p="urn:x"/></Ping>`), 'decode_error');
  t.equal(alertOf(`<Ping ${ROOT} xml:base="a"/>`), 'decode_error');
});

t.test('xml:lang and xml:space are allowed and ignored', async (t) => {
  const el = parse(`<Ping ${ROOT} xml:lang="en" xml:space="preserve" id="p"/>`);
  t.same(el.attributes, { id: 'p' });
});

t.test('invalid UTF-8 is decode_error', async (t) => {
  const bytes = Buffer.concat([Buffer.from(`<Ping ${ROOT}>`), Buffer.from([0xc3, 0x28]), Buffer.from('</Ping>')]);
  t.equal(alertOf(bytes), 'decode_error');
  const overlong = Buffer.concat([Buffer.from(`<Ping ${ROOT}>`), Buffer.from([0xc0, 0xbc]), Buffer.from('</Ping>')]);
  t.equal(alertOf(overlong), 'decode_error', 'overlong encoding of "<"');
});

t.test('byte order mark is decode_error', async (t) => {
  t.equal(alertOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`<Ping ${ROOT}/>`)])), 'decode_error');
});

t.test('control character in the document is decode_error', async (t) => {
  t.equal(alertOf(`<Ping ${ROOT}>a\u0001b</Ping>`), 'decode_error');
});

t.test('mixed content is decode_error; whitespace between elements is not', async (t) => {
  t.equal(alertOf(`<Root ${ROOT}>text<E/></Root>`), 'decode_error');
  t.equal(alertOf(`<Root ${ROOT}><E/>text</Root>`), 'decode_error');
  const el = parse(`<Root ${ROOT}>\n  <E/>\n\t<F/>\r\n</Root>`);
  t.equal(el.text, '');
  t.same(el.children.map((c) => c.name), ['E', 'F']);
});

t.test('whitespace-only text of a leaf element is kept', async (t) => {
  t.equal(parse(`<Message ${ROOT}>  </Message>`).text, '  ');
});

t.test('malformed XML is decode_error', async (t) => {
  const cases: Record<string, string> = {
    'unclosed tag': `<Root ${ROOT}><E></Root>`,
    'unclosed root': `<Root ${ROOT}><E/>`,
    'mismatched tags': `<Root ${ROOT}><E></F></Root>`,
    'duplicate attribute': `<Root ${ROOT} a="1" a="2"/>`,
    'attribute without value': `<Root ${ROOT} a/>`,
    'unquoted attribute': `<Root ${ROOT} a=1/>`,
    'attributes not separated': `<Root ${ROOT} a="1"b="2"/>`,
    '"<" in attribute value': `<Root ${ROOT} a="<"/>`,
    'two roots': `<Root ${ROOT}/><Root ${ROOT}/>`,
    'text after root': `<Root ${ROOT}/>junk`,
    'text before root': `junk<Root ${ROOT}/>`,
    'empty document': '',
    'only a comment': '<!-- x -->',
    'bad name': `<Root ${ROOT}><1E/></Root>`,
    'space after <': `< Root ${ROOT}/>`,
    '"--" in comment': `<Root ${ROOT}><!-- a -- b --></Root>`,
    'unterminated comment': `<Root ${ROOT}><!-- a </Root>`,
    '"]]>" in text': `<Root ${ROOT}>a]]>b</Root>`,
    'stray end tag': `<Root ${ROOT}/></Root>`,
  };
  for (const [label, xml] of Object.entries(cases)) t.equal(alertOf(xml), 'decode_error', label);
});

t.test('names the parser would rename or refuse are decode_error, not misread', async (t) => {
  t.equal(alertOf(`<Root ${ROOT}><hasOwnProperty/></Root>`), 'decode_error');
  t.equal(alertOf(`<Root ${ROOT} __proto__="1"/>`), 'decode_error');
});

t.test('attribute values are normalised as XML requires', async (t) => {
  t.equal(parse(`<Root ${ROOT} a="x\r\ny\tz"/>`).attributes['a'], 'x y z');
  t.equal(parse(`<Root ${ROOT} a="x&#13;&#10;y"/>`).attributes['a'], 'x\r\ny');
  t.equal(parse(`<Root ${ROOT} a="p&gt;q/>"/>`).attributes['a'], 'p>q/>');
});

t.test('serializer: deterministic bytes, escaping, self-closing, no declaration', async (t) => {
  const el = element('Root', { b: 'a"b\'c<d>&e', a: 'tab\tnl\ncr\r' }, [
    element('Text', {}, '<&>"\'\r\n'),
    element('Empty'),
  ]);
  const bytes = serializeXml(el, NS);
  t.equal(
    bytes.toString('utf8'),
    `<Root xmlns="${NS}" b="a&quot;b&apos;c&lt;d&gt;&amp;e" a="tab&#9;nl&#10;cr&#13;">` +
      '<Text>&lt;&amp;&gt;&quot;&apos;&#13;\n</Text><Empty/></Root>',
  );
  t.same(parseXml(bytes, NS), el, 'what is serialised reads back the same');
});

t.test('serializer refuses characters XML cannot carry and mixed content', async (t) => {
  t.throws(() => serializeXml(element('Root', {}, 'a\u0000b'), NS), withAlert('internal_error'));
  t.throws(() => serializeXml(element('Root', { a: '\uD800' }), NS), withAlert('internal_error'));
  t.throws(() => serializeXml({ name: 'Root', attributes: {}, children: [element('E')], text: 'x' }, NS), withAlert('internal_error'));
  t.throws(() => serializeXml(element('p:Root'), NS), withAlert('internal_error'));
});

t.test('collectChildren: order, cardinality, unknown and critical elements', async (t) => {
  const rules = [{ name: 'A', min: 1, max: 1 }, { name: 'B', min: 0, max: 2 }];
  const kids = (xml: string): XmlElement => parse(`<Root ${ROOT}>${xml}</Root>`);
  const alert = (xml: string): string => {
    try {
      collectChildren(kids(xml), rules);
      return 'accepted';
    } catch (e) {
      return (e as ProtocolError).alert;
    }
  };
  t.equal(alert('<A/><B/><B/>'), 'accepted');
  t.equal(alert('<B/>'), 'decode_error', 'missing');
  t.equal(alert('<A/><A/>'), 'decode_error', 'duplicate');
  t.equal(alert('<A/><B/><B/><B/>'), 'decode_error', 'too many');
  t.equal(alert('<B/><A/>'), 'decode_error', 'out of order');
  t.equal(alert('<A/><Z/><B/>'), 'accepted', 'unknown ignored');
  t.equal(alert('<A/><Z critical="false"/>'), 'accepted', 'only critical="true" counts');
  t.equal(alert('<A/><Z critical="true"/>'), 'unsupported_extension');
});

t.test('errors name the requirement they enforce', async (t) => {
  t.throws(() => parse(`<!DOCTYPE Ping><Ping ${ROOT}/>`), withAlert('decode_error', 'E2ED-XML-3'));
  t.throws(() => parse('<Ping/>'), withAlert('decode_error', 'E2ED-XML-10'));
  t.throws(() => parse(`<Root ${ROOT}>x<E/></Root>`), withAlert('decode_error', 'E2ED-XML-6'));
});

t.test('valid edge cases are read as XML defines them', async (t) => {
  const el = parse(`<Root ${ROOT}><!-- <E/> & "quoted" --><E a='x"y' b="p>q" c = "s"/><!----></Root  >`);
  t.same(el.children, [{ name: 'E', attributes: { a: 'x"y', b: 'p>q', c: 's' }, children: [], text: '' }]);
  t.equal(parse(`<Root ${ROOT}>a&gt;b]]&gt;c</Root>`).text, 'a>b]]>c');
  t.equal(parse(`<Root ${ROOT}>\u{10FFFD}\uE000</Root>`).text, '\u{10FFFD}\uE000');
});

// E2ED-XML-29: a sender escapes tab, CR and LF in attribute values, CR in text; a receiver's XML 1.0
// normalisation (E2ED-XML-7) then gives back exactly what was sent.
t.test('tab, CR, LF and CR LF survive serialise -> parse in attributes and text (E2ED-XML-7, E2ED-XML-29)', async (t) => {
  const NS_E2ED = 'urn:sixchat:e2ed:1';
  const value = 'a\tb\nc\r\nd\re';
  const wire = serializeXml(element('R', { x: value }, value), NS_E2ED);
  t.notOk(wire.includes(0x0d), 'no literal CR on the wire');
  t.notOk(wire.toString('utf8').match(/x="[^"]*[\t\n][^"]*"/), 'no literal tab or LF inside the attribute value');
  const parsed = parseXml(wire, NS_E2ED);
  t.equal(parsed.attributes['x'], value, 'attribute intact');
  t.equal(parsed.text, value, 'text intact');
  const unescaped = Buffer.from(`<R xmlns="${NS_E2ED}" x="${value}">${value}</R>`, 'utf8');
  const normalised = parseXml(unescaped, NS_E2ED);
  t.equal(normalised.attributes['x'], 'a b c d e', 'unescaped: end-of-line handling, then attribute-value normalisation turns each tab and line end into a space');
  t.equal(normalised.text, 'a\tb\nc\nd\ne', 'unescaped: end-of-line handling turns CR LF and CR into LF');
});
