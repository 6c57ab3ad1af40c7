// Mutators and the adversary's XML writer, byte for byte (unit: literal XML in and out, one rule per test).
import t from 'tap';
import { applyMutators, type Mutator } from '../../src/adversary/mutators.js';
import { locate, node, writeXml } from '../../src/adversary/xml-tree.js';

const hello = (): ReturnType<typeof node> =>
  node('Hello', { xmlns: 'urn:sixchat:e2ed:1', role: 'initiator' }, [node('Version', {}, '1.0'), node('Nonce', {}, 'aa'), node('Certificate', {}, 'A'), node('Certificate', {}, 'B')]);
const run = (m: Mutator[]): string => applyMutators(hello(), m, writeXml).toString('utf8');

t.test('the writer writes what the tree says, escaping text and attributes', async (t) => {
  t.equal(writeXml(node('P', { a: 'x"<&' }, 'a<b&c')), '<P a="x&quot;&lt;&amp;">a&lt;b&amp;c</P>');
  t.equal(writeXml(node('E')), '<E/>');
});

t.test('tree mutators', async (t) => {
  t.equal(run([]), '<Hello xmlns="urn:sixchat:e2ed:1" role="initiator"><Version>1.0</Version><Nonce>aa</Nonce><Certificate>A</Certificate><Certificate>B</Certificate></Hello>');
  t.notMatch(run([{ op: 'remove', path: 'Nonce' }]), /Nonce/);
  t.match(run([{ op: 'remove', path: 'Certificate' }]), /<Certificate>B<\/Certificate>/, 'remove takes the first');
  t.notMatch(run([{ op: 'remove', path: 'Certificate', all: true }]), /Certificate/, 'all: every one of that name');
  t.match(run([{ op: 'duplicate', path: 'Nonce' }]), /<Nonce>aa<\/Nonce><Nonce>aa<\/Nonce>/);
  t.match(run([{ op: 'duplicate', path: '@role' }]), /role="initiator" role="initiator"/);
  t.match(run([{ op: 'set', path: 'Certificate[1]', value: 'Z' }]), /<Certificate>A<\/Certificate><Certificate>Z<\/Certificate>/);
  t.match(run([{ op: 'set', path: '@from', value: 'a@b.c' }]), /role="initiator" from="a@b.c"/);
  t.match(run([{ op: 'empty', path: 'Nonce' }]), /<Nonce\/>/);
  t.match(run([{ op: 'addSibling', path: 'Nonce', name: 'X', critical: true }]), /<Nonce>aa<\/Nonce><X critical="true"\/>/);
  t.match(run([{ op: 'move', path: 'Nonce', to: -1 }]), /<Certificate>B<\/Certificate><Nonce>aa<\/Nonce><\/Hello>$/);
  t.match(run([{ op: 'rename', path: 'Nonce', name: 'nonce' }]), /<nonce>aa<\/nonce>/);
  t.match(run([{ op: 'rename', path: '@role', name: 'x:role' }]), / x:role="initiator"/);
  t.match(run([{ op: 'namespace', value: 'urn:other' }]), /^<Hello xmlns="urn:other"/);
  t.match(run([{ op: 'namespace' }]), /^<Hello role=/);
  t.match(run([{ op: 'childNamespace', path: 'Nonce', value: 'urn:o' }]), /<Nonce xmlns="urn:o">/);
  t.match(run([{ op: 'mixText', text: 'stray' }]), /role="initiator">stray<Version>/);
  t.match(run([{ op: 'addChild', path: 'Nonce', name: 'Y' }]), /<Nonce><Y\/><\/Nonce>/, 'a leaf with text gives up its text for the child');
});

t.test('text mutators', async (t) => {
  t.match(run([{ op: 'declaration', text: '<?xml version="1.0"?>' }]), /^<\?xml version="1.0"\?><Hello/);
  t.match(run([{ op: 'inject', what: 'comment', where: 'inside' }]), /role="initiator"><!-- sixbench --><Version>/);
  t.match(run([{ op: 'inject', what: 'doctype', where: 'start' }]), /^<!DOCTYPE x \[<!ENTITY e "v">\]><Hello/);
  t.match(run([{ op: 'inject', what: 'secondRoot', where: 'end' }]), /<\/Hello><Extra\/>$/);
  t.equal(applyMutators(node('Ping', { id: 'p' }), [{ op: 'inject', what: 'pi', where: 'inside' }], writeXml).toString(), '<Ping id="p"><?sixbench probe?></Ping>', 'inside a self-closing root');
  t.match(run([{ op: 'replace', find: 'Version', replace: 'Versio' }]), /^.*<Versio>1.0<\/Version>/);
  t.throws(() => run([{ op: 'replace', find: 'nowhere', replace: '' }]));
});

t.test('byte mutators', async (t) => {
  const base = applyMutators(hello(), [], writeXml);
  const flipped = applyMutators(hello(), [{ op: 'flipBit', at: 0, bit: 1 }], writeXml);
  t.equal(flipped[0], base[0]! ^ 2);
  t.equal(applyMutators(hello(), [{ op: 'flipBit', at: -1 }], writeXml).at(-1), base.at(-1)! ^ 1);
  t.equal(applyMutators(hello(), [{ op: 'truncate', keep: -1 }], writeXml).length, base.length - 1);
  t.equal(applyMutators(hello(), [{ op: 'truncate', keep: 3 }], writeXml).toString(), '<He');
  t.same([...applyMutators(hello(), [{ op: 'prefix', hex: 'efbbbf' }], writeXml).subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  t.equal(applyMutators(hello(), [{ op: 'extend', hex: 'ff' }], writeXml).at(-1), 0xff);
  t.throws(() => applyMutators(hello(), [{ op: 'flipBit', at: 10_000 }], writeXml));
});

t.test('paths: first, indexed, attribute; an element that is not there is an error naming the path', async (t) => {
  const h = hello();
  t.equal(locate(h, 'Certificate[1]').node.text, 'B');
  t.equal(locate(h, '@role').attribute, 'role');
  t.throws(() => locate(h, 'Nope'), /no element Nope under <Hello>/);
  t.throws(() => locate(h, '@a/B'), /an attribute must be the last segment/);
});
