// Unit tests of user-ID syntax and comparison (docs/spec.md E2ED-XML-23, E2ED-XML-24).
import t from 'tap';
import { canonicalUserId, domainOf, isValidDomain, isValidUserId, parseUserId, sameDomain, sameMailbox, sameUserId } from '../../src/protocol/identity.js';
import { withAlert } from '../helpers/alerts.js';

t.test('parseUserId splits local part and domain', async (t) => {
  t.same(parseUserId('alice@example.com'), { local: 'alice', domain: 'example.com' });
  t.same(parseUserId('A.b_c%d+e-f@Sub-1.Example.COM'), { local: 'A.b_c%d+e-f', domain: 'Sub-1.Example.COM' });
  t.same(parseUserId('a@b'), { local: 'a', domain: 'b' }, '3 octets, one label');
});

t.test('malformed user IDs are decode_error', async (t) => {
  const bad = [
    '', 'ab', 'alice', 'alice@', '@example.com', 'a@b@example.com', 'al ice@example.com', '"alice"@example.com',
    'alice(x)@example.com', 'alïce@example.com', 'alice@exämple.com', 'alice@[192.0.2.1]', 'alice@example.com.',
    'alice@.example.com', 'alice@example..com', 'alice@-example.com', 'alice@example-.com', 'alice@exa_mple.com',
    `${'a'.repeat(65)}@example.com`, `alice@${'l'.repeat(64)}.com`,
  ];
  for (const id of bad) t.throws(() => parseUserId(id), withAlert('decode_error'), JSON.stringify(id));
});

t.test('length bounds: local part 64, label 63, whole ID 254 octets', async (t) => {
  t.ok(isValidUserId(`${'a'.repeat(64)}@example.com`));
  t.ok(isValidUserId(`alice@${'l'.repeat(63)}.com`));
  const label = 'l'.repeat(63);
  const domain = [label, label, label, 'l'.repeat(56)].join('.'); // 3 * 63 + 56 + 3 dots
  t.equal(domain.length, 248);
  t.ok(isValidUserId(`abcde@${domain}`), '254 octets');
  t.notOk(isValidUserId(`abcdef@${domain}`), '255 octets');
});

t.test('sameUserId: local part case-sensitive, domain case-insensitive', async (t) => {
  t.ok(sameUserId('alice@example.com', 'alice@EXAMPLE.com'));
  t.notOk(sameUserId('alice@example.com', 'Alice@example.com'));
  t.notOk(sameUserId('alice@example.com', 'alice@example.org'));
  t.notOk(sameUserId('alice+x@example.com', 'alice@example.com'), 'no + folding');
  t.notOk(sameUserId('a.lice@example.com', 'alice@example.com'), 'no dot folding');
  t.notOk(sameUserId('bad', 'bad'), 'a malformed ID equals nothing');
});

t.test('domainOf, canonicalUserId, domains', async (t) => {
  t.equal(domainOf('alice@Example.com'), 'Example.com');
  t.equal(canonicalUserId('Alice@Example.COM'), 'Alice@example.com');
  t.throws(() => domainOf('alice'), withAlert('decode_error'));
  t.ok(isValidDomain('xn--bcher-kva.example'));
  t.notOk(isValidDomain('example.com.'));
  t.ok(sameDomain('Example.COM', 'example.com'));
  t.notOk(sameDomain('example.com', 'example.org'));
});

t.test('sameMailbox compares any mailbox: local part exactly, domain case-insensitively', async (t) => {
  t.ok(sameMailbox('*@example.com', '*@EXAMPLE.com'), 'a local part outside the user-ID syntax still compares');
  t.ok(sameMailbox('user*@example.com', 'user*@example.com'));
  t.notOk(sameMailbox('Alice@example.com', 'alice@example.com'), 'local part is case-sensitive');
  t.notOk(sameMailbox('alice@exаmple.com', 'alice@example.com'), 'no look-alike folding (Cyrillic a)');
  t.notOk(sameMailbox('alice', 'alice'), 'no "@": names no one');
  t.notOk(sameUserId('*@example.com', '*@example.com'), 'sameUserId also demands the user-ID syntax');
});
