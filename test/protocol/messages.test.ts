// Unit tests of the E2ED message codec (docs/spec.md, sections 4 "E2ED messages" and 11
// "Application messages"): literal XML in, alert code out, one rule per test; round trips and
// byte-exact encodings of every message type.
import t from 'tap';
import { decodeE2ed, encodeE2ed, METHODS, VERSIONS, SIGNATURE_ALGORITHMS, type E2edMessage } from '../../src/protocol/messages.js';
import { ProtocolError } from '../../src/protocol/errors.js';

const NS = 'xmlns="urn:sixchat:e2ed:1"';
const NONCE = '11'.repeat(32);
const X25519 = '22'.repeat(32);
const P256 = '04' + '33'.repeat(64);
const FINISHED = '44'.repeat(32);
const CERT_LEAF = 'MIIBAQ==';
const CERT_CA = 'MIICAg==';

function alertOf(xml: string | Uint8Array): string {
  try {
    decodeE2ed(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml);
  } catch (e) {
    if (e instanceof ProtocolError) return e.alert;
    throw e;
  }
  return 'accepted';
}

const decode = (xml: string): E2edMessage => decodeE2ed(Buffer.from(xml, 'utf8'));

const INITIATOR_HELLO =
  `<Hello ${NS} role="initiator" from="alice@example.com" to="bob@example.com">` +
  '<Version>1.0</Version><Version>0.9</Version>' +
  `<Nonce>${NONCE}</Nonce>` +
  '<Method>x25519</Method><Method>p256</Method>' +
  `<KeyShare method="x25519">${X25519}</KeyShare>` +
  '<Cipher>AES-256-GCM</Cipher><Cipher>CHACHA20-POLY1305</Cipher>' +
  `<Certificate>${CERT_LEAF}</Certificate><Certificate>${CERT_CA}</Certificate>` +
  '</Hello>';

const RESPONDER_HELLO =
  `<Hello ${NS} role="responder" from="bob@example.com" to="alice@example.com" version="1.0" method="p256" cipher="AES-256-GCM">` +
  `<Nonce>${NONCE}</Nonce>` +
  `<KeyShare method="p256">${P256}</KeyShare>` +
  `<Certificate>${CERT_LEAF}</Certificate>` +
  '</Hello>';

/** One example of every message, with its exact encoding. */
const EXAMPLES: Array<[string, E2edMessage, string]> = [
  [
    'InitiatorHello (ECDHE)',
    {
      kind: 'InitiatorHello', from: 'alice@example.com', to: 'bob@example.com', versions: ['1.0', '0.9'],
      nonce: Buffer.from(NONCE, 'hex'), methods: ['x25519', 'p256'],
      keyShare: { method: 'x25519', publicKey: Buffer.from(X25519, 'hex') },
      ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'],
      certificates: [Buffer.from(CERT_LEAF, 'base64'), Buffer.from(CERT_CA, 'base64')],
    },
    INITIATOR_HELLO,
  ],
  [
    'InitiatorHello (key transport)',
    {
      kind: 'InitiatorHello', from: 'alice@example.com', to: 'bob@example.com', versions: ['1.0'],
      nonce: Buffer.from(NONCE, 'hex'), methods: ['rsa-oaep'], encryptedPremaster: Buffer.from('premaster ciphertext'),
      ciphers: ['CHACHA20-POLY1305'], certificates: [Buffer.from(CERT_LEAF, 'base64')],
    },
    `<Hello ${NS} role="initiator" from="alice@example.com" to="bob@example.com"><Version>1.0</Version>` +
      `<Nonce>${NONCE}</Nonce><Method>rsa-oaep</Method>` +
      `<EncryptedPremaster>${Buffer.from('premaster ciphertext').toString('base64')}</EncryptedPremaster>` +
      `<Cipher>CHACHA20-POLY1305</Cipher><Certificate>${CERT_LEAF}</Certificate></Hello>`,
  ],
  [
    'ResponderHello (ECDHE)',
    {
      kind: 'ResponderHello', from: 'bob@example.com', to: 'alice@example.com', version: '1.0', method: 'p256',
      cipher: 'AES-256-GCM', nonce: Buffer.from(NONCE, 'hex'),
      keyShare: { method: 'p256', publicKey: Buffer.from(P256, 'hex') }, certificates: [Buffer.from(CERT_LEAF, 'base64')],
    },
    RESPONDER_HELLO,
  ],
  [
    'ResponderHello (key transport)',
    {
      kind: 'ResponderHello', from: 'bob@example.com', to: 'alice@example.com', version: '0.9', method: 'rsa-oaep',
      cipher: 'CHACHA20-POLY1305', nonce: Buffer.from(NONCE, 'hex'), certificates: [Buffer.from(CERT_LEAF, 'base64')],
    },
    `<Hello ${NS} role="responder" from="bob@example.com" to="alice@example.com" version="0.9" method="rsa-oaep" ` +
      `cipher="CHACHA20-POLY1305"><Nonce>${NONCE}</Nonce><Certificate>${CERT_LEAF}</Certificate></Hello>`,
  ],
  [
    'CertificateVerify',
    { kind: 'CertificateVerify', algorithm: 'ed25519', signature: Buffer.alloc(64, 0x55) },
    `<CertificateVerify ${NS} algorithm="ed25519">${Buffer.alloc(64, 0x55).toString('base64')}</CertificateVerify>`,
  ],
  ['Finished', { kind: 'Finished', verifyData: Buffer.from(FINISHED, 'hex') }, `<Finished ${NS}>${FINISHED}</Finished>`],
  ['Alert', { kind: 'Alert', level: 'fatal', code: 'decode_error' }, `<Alert ${NS} level="fatal" code="decode_error"/>`],
  [
    'Alert with Reason',
    { kind: 'Alert', level: 'warning', code: 'close_notify', reason: 'bye & <thanks>' },
    `<Alert ${NS} level="warning" code="close_notify"><Reason>bye &amp; &lt;thanks&gt;</Reason></Alert>`,
  ],
  [
    'Message',
    { kind: 'Message', id: 'm-1.a_b', timestamp: '2026-11-26T19:00:00Z', text: 'Hi "Bob", it\'s <3 & \u{1F600}\r\n' },
    `<Message ${NS} id="m-1.a_b" timestamp="2026-11-26T19:00:00Z">Hi &quot;Bob&quot;, it&apos;s &lt;3 &amp; \u{1F600}&#13;\n</Message>`,
  ],
  [
    'Message (empty text)',
    { kind: 'Message', id: 'm2', timestamp: '2026-11-26T19:00:00.123Z', text: '' },
    `<Message ${NS} id="m2" timestamp="2026-11-26T19:00:00.123Z"/>`,
  ],
  ['Receipt', { kind: 'Receipt', id: 'm-1' }, `<Receipt ${NS} id="m-1"/>`],
  ['Ping', { kind: 'Ping', id: 'p1' }, `<Ping ${NS} id="p1"/>`],
  ['Pong', { kind: 'Pong', id: 'p1' }, `<Pong ${NS} id="p1"/>`],
  ['KeyUpdate (request)', { kind: 'KeyUpdate', request: true }, `<KeyUpdate ${NS} request="true"/>`],
  ['KeyUpdate (no request)', { kind: 'KeyUpdate', request: false }, `<KeyUpdate ${NS} request="false"/>`],
  ['Unknown (critical)', { kind: 'Unknown', name: 'Sticker', critical: true }, `<Sticker ${NS} critical="true"/>`],
  ['Unknown', { kind: 'Unknown', name: 'Typing', critical: false }, `<Typing ${NS}/>`],
];

t.test('byte-exact encoding of every message type', async (t) => {
  for (const [label, msg, xml] of EXAMPLES) t.equal(encodeE2ed(msg).toString('utf8'), xml, label);
});

t.test('round trip of every message type: encode -> decode -> deep equal', async (t) => {
  for (const [label, msg] of EXAMPLES) t.same(decodeE2ed(encodeE2ed(msg)), msg, label);
});

t.test('decoding the literal examples gives the typed messages', async (t) => {
  for (const [label, msg, xml] of EXAMPLES) t.same(decode(xml), msg, label);
});

t.test('registries', async (t) => {
  t.same([...VERSIONS], ['1.0', '0.9']);
  t.same([...METHODS], ['x25519', 'p256', 'rsa-oaep']);
  t.same([...SIGNATURE_ALGORITHMS], ['ecdsa-p256-sha256', 'ed25519', 'rsa-pss-sha256']);
});

t.test('whitespace between the children is allowed', async (t) => {
  const pretty = INITIATOR_HELLO.replace(/></g, '>\n  <');
  t.same(decode(pretty), decode(INITIATOR_HELLO));
});

t.test('duplicated Nonce is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(`<Nonce>${NONCE}</Nonce>`, `<Nonce>${NONCE}</Nonce><Nonce>${NONCE}</Nonce>`)), 'decode_error');
});

t.test('missing Nonce is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(`<Nonce>${NONCE}</Nonce>`, '')), 'decode_error');
  t.equal(alertOf(RESPONDER_HELLO.replace(`<Nonce>${NONCE}</Nonce>`, '')), 'decode_error');
});

t.test('out-of-order children are decode_error', async (t) => {
  const swapped = INITIATOR_HELLO.replace(
    `<Nonce>${NONCE}</Nonce><Method>x25519</Method><Method>p256</Method>`,
    `<Method>x25519</Method><Method>p256</Method><Nonce>${NONCE}</Nonce>`,
  );
  t.equal(alertOf(swapped), 'decode_error');
});

t.test('unknown critical element is unsupported_extension', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Cipher>', '<Padding critical="true">x</Padding><Cipher>')), 'unsupported_extension');
  t.equal(alertOf(`<Ping ${NS} id="p"><Ext critical="true"/></Ping>`), 'unsupported_extension');
});

t.test('unknown non-critical element is ignored', async (t) => {
  const withUnknown = INITIATOR_HELLO.replace('<Cipher>', '<Padding critical="false"><Deep/></Padding><Cipher>');
  t.same(decode(withUnknown), decode(INITIATOR_HELLO));
});

t.test('unknown attributes are ignored', async (t) => {
  t.same(decode(INITIATOR_HELLO.replace('role="initiator"', 'role="initiator" flavour="x"')), decode(INITIATOR_HELLO));
});

t.test('unknown root element decodes as Unknown, with its critical flag', async (t) => {
  t.same(decode(`<Typing ${NS} critical="true"><X/></Typing>`), { kind: 'Unknown', name: 'Typing', critical: true });
  t.same(decode(`<Typing ${NS} critical="TRUE"/>`), { kind: 'Unknown', name: 'Typing', critical: false });
});

t.test('upper-case hex is decode_error', async (t) => {
  t.equal(alertOf(`<Finished ${NS}>${FINISHED.toUpperCase().replace(/4/g, 'A')}</Finished>`), 'decode_error');
  t.equal(alertOf(`<Finished ${NS}>${'AB'.repeat(32)}</Finished>`), 'decode_error');
});

t.test('odd-length hex is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(NONCE, NONCE + '1')), 'decode_error');
});

t.test('hex with whitespace is decode_error', async (t) => {
  t.equal(alertOf(`<Finished ${NS}> ${FINISHED}</Finished>`), 'decode_error');
});

t.test('wrong nonce length is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(NONCE, '11'.repeat(31))), 'decode_error');
  t.equal(alertOf(INITIATOR_HELLO.replace(NONCE, '11'.repeat(33))), 'decode_error');
});

t.test('Finished of other than 32 bytes is decode_error', async (t) => {
  t.equal(alertOf(`<Finished ${NS}>${'44'.repeat(31)}</Finished>`), 'decode_error');
});

t.test('bad base64 is decode_error', async (t) => {
  for (const bad of ['MIIBAQ', 'MIIB AQ==', 'MIIB\nAQ==', 'MIIBAR==', 'MI-_AQ==', '']) {
    t.equal(alertOf(INITIATOR_HELLO.replace(`<Certificate>${CERT_LEAF}`, `<Certificate>${bad}`)), 'decode_error', JSON.stringify(bad));
  }
});

t.test('x25519 KeyShare of the wrong length is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(X25519, '22'.repeat(31))), 'decode_error');
});

t.test('p256 KeyShare of the wrong length is decode_error', async (t) => {
  t.equal(alertOf(RESPONDER_HELLO.replace(P256, '02' + '33'.repeat(32))), 'decode_error');
});

t.test('p256 KeyShare that is not an uncompressed point is decode_error (E2ED-HS-6)', async (t) => {
  t.equal(alertOf(RESPONDER_HELLO.replace(P256, '03' + '33'.repeat(64))), 'decode_error');
  t.equal(alertOf(RESPONDER_HELLO.replace(P256, '06' + '33'.repeat(64))), 'decode_error');
});

t.test('KeyShare of an unregistered method is kept for the handshake to judge', async (t) => {
  const msg = decode(INITIATOR_HELLO.replace(`<KeyShare method="x25519">${X25519}`, '<KeyShare method="x448">abcd'));
  t.same(msg.kind === 'InitiatorHello' ? msg.keyShare : undefined, { method: 'x448', publicKey: Buffer.from('abcd', 'hex') });
});

t.test('initiator Hello with both KeyShare and EncryptedPremaster is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Cipher>', '<EncryptedPremaster>AAAA</EncryptedPremaster><Cipher>')), 'decode_error');
});

t.test('initiator Hello with neither KeyShare nor EncryptedPremaster is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(`<KeyShare method="x25519">${X25519}</KeyShare>`, '')), 'decode_error');
});

t.test('unknown version, method and cipher names in offer lists are kept', async (t) => {
  const msg = decode(
    INITIATOR_HELLO.replace('<Version>1.0</Version>', '<Version>2.7</Version><Version>1.0</Version>')
      .replace('<Method>x25519</Method>', '<Method>kyber768</Method><Method>x25519</Method>')
      .replace('<Cipher>AES-256-GCM</Cipher>', '<Cipher>NULL</Cipher><Cipher>AES-256-GCM</Cipher>'),
  );
  if (msg.kind !== 'InitiatorHello') return t.fail(msg.kind);
  t.same(msg.versions, ['2.7', '1.0', '0.9']);
  t.same(msg.methods, ['kyber768', 'x25519', 'p256']);
  t.same(msg.ciphers, ['NULL', 'AES-256-GCM', 'CHACHA20-POLY1305']);
});

t.test('the same value twice in an offer list is illegal_parameter (E2ED-HS-4)', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Method>p256</Method>', '<Method>x25519</Method>')), 'illegal_parameter');
  t.equal(alertOf(INITIATOR_HELLO.replace('<Version>0.9</Version>', '<Version>1.0</Version>')), 'illegal_parameter');
  t.equal(alertOf(INITIATOR_HELLO.replace('CHACHA20-POLY1305', 'AES-256-GCM')), 'illegal_parameter');
});

t.test('a token longer than 32 characters or with other characters is decode_error (E2ED-XML-27)', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Method>p256</Method>', `<Method>${'m'.repeat(32)}</Method>`)), 'accepted');
  t.equal(alertOf(INITIATOR_HELLO.replace('<Method>p256</Method>', `<Method>${'m'.repeat(33)}</Method>`)), 'decode_error');
  t.equal(alertOf(INITIATOR_HELLO.replace('<Method>p256</Method>', '<Method>p 256</Method>')), 'decode_error');
  t.equal(alertOf(INITIATOR_HELLO.replace('<Cipher>AES-256-GCM</Cipher>', '<Cipher></Cipher>')), 'decode_error');
});

t.test('a certificate above 16384 bytes is decode_error (E2ED-HS-7)', async (t) => {
  const big = (n: number): string => Buffer.alloc(n, 7).toString('base64');
  t.equal(alertOf(RESPONDER_HELLO.replace(`<Certificate>${CERT_LEAF}`, `<Certificate>${big(16384)}`)), 'accepted');
  t.equal(alertOf(RESPONDER_HELLO.replace(`<Certificate>${CERT_LEAF}`, `<Certificate>${big(16385)}`)), 'decode_error');
});

t.test('CertificateVerify with an unregistered algorithm is illegal_parameter (E2ED-HS-8)', async (t) => {
  t.equal(alertOf(`<CertificateVerify ${NS} algorithm="rsa-pkcs1-sha1">AAAA</CertificateVerify>`), 'illegal_parameter');
});

t.test('CertificateVerify without a signature is decode_error', async (t) => {
  t.equal(alertOf(`<CertificateVerify ${NS} algorithm="ed25519"/>`), 'decode_error');
});

t.test('a Version that is not N.N is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Version>1.0</Version>', '<Version>one</Version>')), 'decode_error');
});

t.test('more than 8 offered versions is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Version>0.9</Version>', '<Version>0.9</Version>'.repeat(8))), 'decode_error');
});

t.test('more than 8 certificates is decode_error', async (t) => {
  t.equal(alertOf(RESPONDER_HELLO.replace(`<Certificate>${CERT_LEAF}</Certificate>`, `<Certificate>${CERT_LEAF}</Certificate>`.repeat(9))), 'decode_error');
});

t.test('empty offer list is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('<Cipher>AES-256-GCM</Cipher><Cipher>CHACHA20-POLY1305</Cipher>', '')), 'decode_error');
});

t.test('malformed user ID is decode_error', async (t) => {
  for (const bad of ['alice', 'alice@', '@example.com', 'a@b@c', 'al ice@example.com', 'alice@-example.com', 'alice@example..com']) {
    t.equal(alertOf(INITIATOR_HELLO.replace('alice@example.com', bad)), 'decode_error', bad);
  }
});

t.test('Hello without role is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace(' role="initiator"', '')), 'decode_error');
});

t.test('Hello with an unknown role is illegal_parameter', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('role="initiator"', 'role="observer"')), 'illegal_parameter');
});

t.test('responder Hello without a selected cipher is decode_error', async (t) => {
  t.equal(alertOf(RESPONDER_HELLO.replace(' cipher="AES-256-GCM"', '')), 'decode_error');
});

t.test('duplicated attribute is decode_error', async (t) => {
  t.equal(alertOf(INITIATOR_HELLO.replace('to="bob@example.com"', 'to="bob@example.com" to="eve@example.com"')), 'decode_error');
});

t.test('Alert with an unregistered code is kept (E2ED-ALERT-3 treats it as fatal)', async (t) => {
  t.same(decode(`<Alert ${NS} level="warning" code="no_such_alert"/>`), { kind: 'Alert', level: 'warning', code: 'no_such_alert' });
});

t.test('Alert with a code outside [a-z_]{1,32} is decode_error', async (t) => {
  t.equal(alertOf(`<Alert ${NS} level="fatal" code="Decode-Error"/>`), 'decode_error');
  t.equal(alertOf(`<Alert ${NS} level="fatal" code="${'a'.repeat(33)}"/>`), 'decode_error');
});

t.test('Alert with an unknown level is illegal_parameter', async (t) => {
  t.equal(alertOf(`<Alert ${NS} level="severe" code="decode_error"/>`), 'illegal_parameter');
});

t.test('Alert Reason longer than 256 characters is decode_error', async (t) => {
  t.equal(alertOf(`<Alert ${NS} level="fatal" code="decode_error"><Reason>${'é'.repeat(256)}</Reason></Alert>`), 'accepted');
  t.equal(alertOf(`<Alert ${NS} level="fatal" code="decode_error"><Reason>${'é'.repeat(257)}</Reason></Alert>`), 'decode_error');
});

t.test('Message with a bad id is decode_error', async (t) => {
  t.equal(alertOf(`<Message ${NS} id="a b" timestamp="2026-11-26T19:00:00Z">x</Message>`), 'decode_error');
  t.equal(alertOf(`<Message ${NS} id="${'a'.repeat(65)}" timestamp="2026-11-26T19:00:00Z">x</Message>`), 'decode_error');
});

t.test('timestamps: leap years counted', async (t) => {
  for (const ts of ['2024-02-29T00:00:00Z', '2000-02-29T23:59:59.9Z', '0000-02-29T00:00:00Z']) {
    t.equal(alertOf(`<Message ${NS} id="m" timestamp="${ts}">x</Message>`), 'accepted', ts);
  }
  for (const ts of ['2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-26T19:00:60Z', '2026-13-01T00:00:00Z']) {
    t.equal(alertOf(`<Message ${NS} id="m" timestamp="${ts}">x</Message>`), 'decode_error', ts);
  }
});

t.test('Message with a bad timestamp is decode_error', async (t) => {
  for (const ts of ['2026-11-26T19:00:00', '2026-11-26T19:00:00+01:00', '2026-02-30T19:00:00Z', '2026-11-26T24:00:00Z', '2026-11-26T19:00:00.1234Z', '2026-11-26 19:00:00Z']) {
    t.equal(alertOf(`<Message ${NS} id="m" timestamp="${ts}">x</Message>`), 'decode_error', ts);
  }
});

t.test('Message text of 65536 characters is accepted, 65537 is decode_error', async (t) => {
  t.equal(alertOf(`<Message ${NS} id="m" timestamp="2026-11-26T19:00:00Z">${'\u{1F600}'.repeat(65536)}</Message>`), 'accepted');
  t.equal(alertOf(`<Message ${NS} id="m" timestamp="2026-11-26T19:00:00Z">${'x'.repeat(65537)}</Message>`), 'decode_error');
});

t.test('KeyUpdate request other than true/false is illegal_parameter, a missing one decode_error (E2ED-REC-11)', async (t) => {
  t.equal(alertOf(`<KeyUpdate ${NS} request="yes"/>`), 'illegal_parameter');
  t.equal(alertOf(`<KeyUpdate ${NS} request="TRUE"/>`), 'illegal_parameter');
  t.equal(alertOf(`<KeyUpdate ${NS} request="1"/>`), 'illegal_parameter');
  // E2ED-REC-11: "another value is illegal_parameter", a token or not (E2ED-XML-27 covers names, not this attribute).
  t.equal(alertOf(`<KeyUpdate ${NS} request="not a token"/>`), 'illegal_parameter', 'not even a token: still another value');
  t.equal(alertOf(`<KeyUpdate ${NS} request=""/>`), 'illegal_parameter', 'empty: another value');
  t.equal(alertOf(`<KeyUpdate ${NS}/>`), 'decode_error');
});

// E2ED-HS-35: within one message, every decode_error first, then a critical unknown element
// (unsupported_extension), then a disallowed value (illegal_parameter).
t.test('one message with several faults: decode_error, then unsupported_extension, then illegal_parameter (E2ED-HS-35)', async (t) => {
  const critical = '<Padding critical="true">x</Padding>';
  const dupMethod = '<Method>x25519</Method><Method>x25519</Method>';
  const helloWith = (methods: string, extra: string, nonce = NONCE) => INITIATOR_HELLO
    .replace('<Method>x25519</Method><Method>p256</Method>', methods)
    .replace(`<Nonce>${NONCE}</Nonce>`, `<Nonce>${nonce}</Nonce>`)
    .replace('<Cipher>', `${extra}<Cipher>`);
  t.equal(alertOf(helloWith(dupMethod, '')), 'illegal_parameter', 'a duplicated offer alone (E2ED-HS-4)');
  t.equal(alertOf(helloWith(dupMethod, critical)), 'unsupported_extension', 'a critical unknown element before a duplicated offer');
  t.equal(alertOf(helloWith(dupMethod, '', 'AB'.repeat(32))), 'decode_error', 'an upper-case Nonce beside a duplicated Method');
  t.equal(alertOf(helloWith('<Method>x25519</Method>', critical, NONCE.slice(2))), 'decode_error', 'a short Nonce before a critical unknown element');
  const dupVersion = INITIATOR_HELLO.replace('<Version>0.9</Version>', '<Version>1.0</Version>');
  t.equal(alertOf(dupVersion.replace(`<Certificate>${CERT_CA}</Certificate>`, '<Certificate>not base64</Certificate>')), 'decode_error', 'a duplicated Version before a malformed Certificate');
  t.equal(alertOf(`<KeyUpdate ${NS} request="yes"><Ext critical="true"/></KeyUpdate>`), 'unsupported_extension');
  t.equal(alertOf(`<KeyUpdate ${NS} request="yes">text</KeyUpdate>`), 'decode_error');
  t.equal(alertOf(`<Alert ${NS} level="severe" code="decode_error"><Reason>${'x'.repeat(257)}</Reason></Alert>`), 'decode_error');
  t.equal(alertOf(`<Alert ${NS} level="severe" code="decode_error"><Ext critical="true"/></Alert>`), 'unsupported_extension');
  t.equal(alertOf(`<CertificateVerify ${NS} algorithm="dsa">not base64</CertificateVerify>`), 'decode_error');
  t.equal(alertOf(`<Hello ${NS} role="server" from="alice@example.com" to="bob@@example.com"/>`), 'decode_error', 'a bad user ID beside an illegal role');
  t.equal(alertOf(`<Hello ${NS} role="server" from="alice@example.com" to="bob@example.com"/>`), 'illegal_parameter', 'an illegal role: the children cannot be judged');
});

t.test('Reason of 256 characters (code points) is accepted, 257 is decode_error (E2ED-HS-10)', async (t) => {
  const alert = (reason: string) => `<Alert ${NS} level="fatal" code="decode_error"><Reason>${reason}</Reason></Alert>`;
  t.equal(alertOf(alert('\u{1F600}'.repeat(256))), 'accepted', '256 code points of 4 UTF-8 octets each (1024 octets)');
  t.equal(alertOf(alert('é'.repeat(256))), 'accepted');
  t.equal(alertOf(alert('\u{1F600}'.repeat(257))), 'decode_error');
  t.equal(alertOf(alert('&amp;'.repeat(256))), 'accepted', 'counted after entity decoding');
  t.equal(alertOf(alert('x'.repeat(257))), 'decode_error');
});

t.test('text inside an element that carries none is decode_error', async (t) => {
  t.equal(alertOf(`<Ping ${NS} id="p">hello</Ping>`), 'decode_error');
});

t.test('XML-level violations surface through decodeE2ed as decode_error', async (t) => {
  t.equal(alertOf(`<!DOCTYPE Ping><Ping ${NS} id="p"/>`), 'decode_error');
  t.equal(alertOf('<Ping id="p"/>'), 'decode_error');
  t.equal(alertOf('<Ping xmlns="urn:sixchat:irp:1" id="p"/>'), 'decode_error');
});

// E2ED-XML-7 and E2ED-XML-29: XML 1.0 end-of-line handling turns a literal CR or CR LF into LF,
// and attribute-value normalisation turns a literal tab, CR or LF into a space; a sender escapes
// them (CR as &#xD; in text) so the text arrives as it was sent.
t.test('CR, CR LF and tab in a Message and a Reason survive encode -> decode (E2ED-XML-7, E2ED-XML-29)', async (t) => {
  const texts = ['line 1\r\nline 2', 'old mac\rline', 'tab\there', '\r\n\r\n', ' padded\t\r\n '];
  for (const text of texts) {
    const message: E2edMessage = { kind: 'Message', id: 'm1', timestamp: '2026-11-26T19:00:00Z', text };
    const wire = encodeE2ed(message);
    t.notOk(wire.includes(0x0d), `${JSON.stringify(text)}: no literal CR on the wire`);
    t.same(decodeE2ed(wire), message, `${JSON.stringify(text)} arrives intact`);
    const alert: E2edMessage = { kind: 'Alert', level: 'fatal', code: 'decode_error', reason: text };
    t.same(decodeE2ed(encodeE2ed(alert)), alert, `${JSON.stringify(text)} as a Reason`);
  }
});

t.test('a receiver applies XML 1.0 normalisation and nothing more (E2ED-XML-7)', async (t) => {
  const message = (body: string) => decode(`<Message ${NS} id="m" timestamp="2026-11-26T19:00:00Z">${body}</Message>`);
  t.same(message('a\r\nb'), { kind: 'Message', id: 'm', timestamp: '2026-11-26T19:00:00Z', text: 'a\nb' }, 'literal CR LF becomes LF');
  t.match(message('a\rb'), { text: 'a\nb' }, 'a literal CR alone becomes LF');
  t.match(message('a&#xD;&#xA;b'), { text: 'a\r\nb' }, 'escaped CR LF is kept');
  t.match(message('  a\tb  '), { text: '  a\tb  ' }, 'no trimming, tab kept');
});
