// Name syntax in subjectAltName and under name constraints (RFC 5280 4.2.1.6 and 4.2.1.10): rfc822Names
// are Mailboxes (RFC 5321 4.1.2: dot-atoms or quoted strings, one "@", an LDH domain), dNSNames are in
// preferred name syntax (no underscore, no empty or trailing label), and constraints of one form do
// not apply to names of another. Profile rfc5280 refuses a malformed name anywhere in a SAN; profile
// e2ed ignores GeneralName forms other than its one user ID (E2ED-CERT-13) unless a constraint of
// that form applies, and then a malformed name fails (E2ED-CERT-20) in both profiles.
import t from 'tap';
import { validateChain, type ValidationOptions, type ValidationResult } from '../../src/pki/validator.js';
import { parseMailbox } from '../../src/pki/name-constraints.js';
import { OIDS, TIME, caExtensions, cn, ext, gn, key, keyId, makePki, name, type Ext } from './validator-certs.js';

const reasonOf = (r: ValidationResult): string => (r.ok ? 'ok' : r.reason);
const intKey = key('int');
const rootKey = key('root');

/** root -> intermediate (with name constraints when given) -> leaf with exactly these SAN names. */
function run(
  san: Buffer[],
  nc: { permitted?: Buffer[]; excluded?: Buffer[] } | undefined,
  profile: 'rfc5280' | 'e2ed',
  extra: { subject?: Buffer; leafExt?: Ext[] } = {},
): string {
  const p = makePki({
    intExtensions: [...caExtensions(intKey, rootKey), ...(nc ? [ext.nc(nc.permitted, nc.excluded)] : [])],
    leafExtensions: [ext.ku([0]), ext.eku(OIDS.clientAuth), ext.san(san), ext.aki(keyId(intKey)), ...(extra.leafExt ?? [])],
    ...(extra.subject ? { leafSpec: { subject: extra.subject } } : {}),
  });
  const opts: ValidationOptions = { trustAnchors: [p.root], time: TIME, purpose: 'clientAuth', profile };
  return reasonOf(validateChain([p.leaf, p.intermediate], opts));
}
const permitEmail = (...bases: string[]) => ({ permitted: bases.map(gn.rfc822) });

t.test('parseMailbox: RFC 5321 4.1.2 Mailbox syntax', async (t) => {
  for (const ok of ['alice@example.com', 'a.b.c@example.com', '*@example.com', "o'hara+tag@example.com", '"alice bob"@example.com', '"a@b"@example.com', '"a\\"b"@example.com', 'alice@EXAMPLE.com', 'alice@xn--bcher-kva.example']) {
    t.not(parseMailbox(ok), undefined, `valid: ${ok}`);
  }
  for (const bad of ['alice', '@example.com', 'alice@', 'a@b@example.com', '.alice@example.com', 'alice.@example.com', 'al..ice@example.com', 'alice bob@example.com', 'al(ice@example.com', '"alice@example.com', 'alice@exa_mple.com', 'alice@example.com.', 'alice@[192.0.2.1]', 'alice@-example.com', `${'a'.repeat(65)}@example.com`]) {
    t.equal(parseMailbox(bad), undefined, `invalid: ${bad}`);
  }
  t.same(parseMailbox('"alice"@Example.COM'), { local: 'alice', domain: 'example.com' }, 'quoted content compared, domain folded');
  t.same(parseMailbox('"a\\\\b"@x.org'), { local: 'a\\b', domain: 'x.org' }, 'quoted-pair unescaped');
});

t.test('an invalid rfc822Name under an rfc822 constraint fails, whichever subtree it seems to be in', async (t) => {
  const permit = permitEmail('example.com', '.example.com');
  t.equal(run([gn.rfc822('alice@example.com')], permit, 'rfc5280'), 'ok');
  for (const bad of ['invalid@invalid@example.com', '.alice@example.com', 'al..ice@example.com', 'alice bob@example.com', 'alice@exa_mple.example.com', 'alice@[192.0.2.1]', 'alice']) {
    // Profile rfc5280 refuses the SAN itself; under the constraint it is a violation either way.
    t.match(run([gn.rfc822(bad)], permit, 'rfc5280'), /^(bad-subject-alt-name|name-constraints-violated)$/, `rfc5280: ${bad}`);
  }
  // The constraint check on its own, as profile e2ed applies it to subject emailAddress values
  // (E2ED-CERT-20): the SAN user ID is fine, the subject's address is malformed.
  const withSubject = (addr: string, nc: { permitted?: Buffer[]; excluded?: Buffer[] } = permit) =>
    run([gn.rfc822('alice@example.com')], nc, 'e2ed', { subject: name([OIDS.cn, 'alice'], [OIDS.email, addr]) });
  t.equal(withSubject('alice@example.com'), 'ok', 'e2ed: a valid subject address inside');
  t.equal(withSubject('invalid@invalid@example.com'), 'name-constraints-violated', 'e2ed: two @ in the subject address');
  t.equal(withSubject('alice bob@example.com'), 'name-constraints-violated', 'e2ed: an unquoted space');
  t.equal(withSubject('alice bob@example.com', { excluded: [gn.rfc822('evil.org')] }), 'name-constraints-violated', 'e2ed: malformed cannot be shown outside an excluded subtree');
});

t.test('profile e2ed: a valid user ID that is not a dot-string is judged on its domain (E2ED-CERT-13/20)', async (t) => {
  // The user-ID syntax (docs/spec.md 3.6) admits ".alice" and "a..b" as local parts; RFC 5321 does not.
  for (const id of ['a..b@example.com', '.alice@example.com', 'alice.@example.com']) {
    t.equal(run([gn.rfc822(id)], permitEmail('example.com'), 'e2ed'), 'ok', `e2ed: ${id} inside`);
    t.equal(run([gn.rfc822(id.replace('example.com', 'other.org'))], permitEmail('example.com'), 'e2ed'), 'name-constraints-violated', `e2ed: ${id} outside`);
    t.equal(run([gn.rfc822(id)], permitEmail('example.com'), 'rfc5280'), 'bad-subject-alt-name', `rfc5280: ${id} is no Mailbox`);
  }
});

t.test('profile rfc5280: an rfc822Name that is not a Mailbox is refused without any constraint (4.2.1.6)', async (t) => {
  t.equal(run([gn.rfc822('invalid@invalid@example.com')], undefined, 'rfc5280'), 'bad-subject-alt-name');
  t.equal(run([gn.rfc822('alice')], undefined, 'rfc5280'), 'bad-subject-alt-name');
  t.equal(run([gn.rfc822('"invalid@invalid"@example.com')], undefined, 'rfc5280'), 'ok');
});

t.test('valid but unusual mailboxes are judged on their parts', async (t) => {
  const permit = permitEmail('example.com');
  t.equal(run([gn.rfc822('"invalid@invalid"@example.com')], permit, 'rfc5280'), 'ok', 'an "@" inside quotes is part of the local part');
  t.equal(run([gn.rfc822('"alice bob"@example.com')], permit, 'rfc5280'), 'ok', 'a quoted space');
  t.equal(run([gn.rfc822('alice@EXAMPLE.COM')], permit, 'rfc5280'), 'ok', 'domain case does not matter');
  t.equal(run([gn.rfc822('alice@sub.example.com')], permit, 'rfc5280'), 'name-constraints-violated', 'a host constraint is that host only');
  t.equal(run([gn.rfc822('alice@xn--bcher-kva.example.org')], permitEmail('.example.org'), 'rfc5280'), 'ok', 'IDNA A-label inside a domain constraint');
  t.equal(run([gn.rfc822('alice@example.com')], permitEmail('"alice"@example.com'), 'rfc5280'), 'ok', 'a quoted mailbox constraint names the same mailbox');
  t.equal(run([gn.rfc822('Alice@example.com')], permitEmail('alice@example.com'), 'rfc5280'), 'name-constraints-violated', 'local parts are case-sensitive');
  t.equal(run([gn.rfc822('a.b@example.com')], permitEmail('a.b@example.com'), 'rfc5280'), 'ok', 'dot-atoms compare exactly');
  t.equal(run([gn.rfc822('alice@example.com')], { permitted: [gn.rfc822('alice@exa_mple.com')] }, 'rfc5280'), 'name-constraints-invalid', 'a malformed mailbox constraint');
});

t.test('constraints of one name form do not apply to names of another', async (t) => {
  t.equal(run([gn.rfc822('alice@other.org')], { permitted: [gn.dns('example.com')] }, 'rfc5280'), 'ok', 'a DNS constraint, an e-mail name');
  t.equal(run([gn.dns('other.org'), gn.rfc822('alice@example.com')], permitEmail('example.com'), 'rfc5280'), 'ok', 'an e-mail constraint, a DNS name');
  t.equal(run([gn.rfc822('alice@example.com')], { excluded: [gn.dns('example.com')] }, 'rfc5280'), 'ok', 'a DNS exclusion does not exclude mail');
  t.equal(run([gn.dns('example.com'), gn.rfc822('alice@example.com')], { excluded: [gn.rfc822('example.com')] }, 'rfc5280'), 'name-constraints-violated', 'but the e-mail exclusion does');
});

t.test('dNSName in preferred name syntax: an underscore or a stray dot is malformed', async (t) => {
  const user = gn.rfc822('alice@example.com');
  for (const ok of ['example.com', 'EXAMPLE.com', '*.example.com', 'xn--bcher-kva.example', 'localhost', 'a-b.example.com']) {
    t.equal(run([gn.dns(ok)], undefined, 'rfc5280'), 'ok', `rfc5280 accepts ${ok}`);
  }
  for (const bad of ['foo_bar.example.com', '_acme.example.com', 'example.com.', '.example.com', 'a..example.com', 'f*.example.com', 'foo.*.example.com', '*', '', '-a.example.com', 'exa mple.com']) {
    t.equal(run([gn.dns(bad)], undefined, 'rfc5280'), 'bad-subject-alt-name', `rfc5280 refuses "${bad}"`);
  }
  // Profile e2ed ignores dNSNames (E2ED-CERT-13)...
  t.equal(run([gn.dns('foo_bar.example.com'), user], undefined, 'e2ed'), 'ok', 'e2ed: no DNS constraint, the dNSName is ignored');
  // ... unless a dNSName constraint applies (E2ED-CERT-20 with RFC 5280 4.2.1.10).
  t.equal(run([gn.dns('foo_bar.example.com'), user], { permitted: [gn.dns('example.com')] }, 'e2ed'), 'name-constraints-violated', 'e2ed: permitted');
  t.equal(run([gn.dns('foo_bar.example.com'), user], { excluded: [gn.dns('evil.com')] }, 'e2ed'), 'name-constraints-violated', 'e2ed: excluded');
  t.equal(run([gn.dns('foo-bar.example.com'), user], { permitted: [gn.dns('example.com')] }, 'e2ed'), 'ok', 'e2ed: the hyphen spelling is fine');
});
