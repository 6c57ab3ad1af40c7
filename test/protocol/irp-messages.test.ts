// Unit tests of the IRP codec (docs/spec.md chapter 14): byte-exact encodings and round trips of
// every request, response and signed document; literal XML in, alert code out for the rules.
import t from 'tap';
import {
  canonicalIpv6, clientAuthenticationSignedContent, decodeIrp, decodeIrpRequest, decodeIrpResponse, decodeRecordDocument,
  decodeStatusDocument, encodeIrp, encodeRecordDocument, encodeStatusDocument, isCanonicalAddress, readableRequestId,
  recordSignedContent, serialFromBytes, statusSignedContent, type IrpMessage, type IrpRecord, type IrpStatusDocument,
} from '../../src/protocol/irp-messages.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { withAlert } from '../helpers/alerts.js';

const NS = 'xmlns="urn:sixchat:irp:1"';
const CERT = Buffer.from('30820101', 'hex');
const CERT_B64 = CERT.toString('base64');
const CA = Buffer.from('30820202', 'hex');
const CA_B64 = CA.toString('base64');
const HEX32 = 'ab'.repeat(32);
const SIG = Buffer.from('3045022100aa', 'hex');
const SIG_B64 = SIG.toString('base64');

function alertOf(xml: string, direction: 'request' | 'response'): string {
  try {
    decodeIrp(Buffer.from(xml, 'utf8'), direction);
  } catch (e) {
    if (e instanceof ProtocolError) return e.alert;
    throw e;
  }
  return 'accepted';
}
const request = (xml: string): IrpMessage => decodeIrpRequest(Buffer.from(xml, 'utf8'));
const response = (xml: string): IrpMessage => decodeIrpResponse(Buffer.from(xml, 'utf8'));

const RECORD: IrpRecord = {
  user: 'bob@example.com', address: '2001:db8::7', port: 4605, timestamp: '2026-11-26T19:00:00Z', serial: '3f9a',
  certificates: [CERT, CA],
};
const RECORD_XML =
  `<Record ${NS} user="bob@example.com" address="2001:db8::7" port="4605" timestamp="2026-11-26T19:00:00Z" serial="3f9a">` +
  `<Certificate>${CERT_B64}</Certificate><Certificate>${CA_B64}</Certificate></Record>`;
const STATUS: IrpStatusDocument = { serial: '3f9a', status: 'revoked', nonce: Buffer.from(HEX32, 'hex'), timestamp: '2026-11-26T19:00:05Z' };
const STATUS_XML = `<Status ${NS} serial="3f9a" status="revoked" nonce="${HEX32}" timestamp="2026-11-26T19:00:05Z"/>`;

const REQUESTS: Array<[IrpMessage, string]> = [
  [{ kind: 'CapabilitiesRequest', id: 'c1' }, `<Capabilities ${NS} id="c1"/>`],
  [
    { kind: 'Login', id: 'l1', user: 'alice@example.com', password: 'correct "horse" & <battery>' },
    `<Login ${NS} id="l1" user="alice@example.com" password="correct &quot;horse&quot; &amp; &lt;battery&gt;"/>`,
  ],
  [{ kind: 'Enroll', id: 'e1', csr: CERT }, `<Enroll ${NS} id="e1"><Csr>${CERT_B64}</Csr></Enroll>`],
  [{ kind: 'AuthBegin', id: 'a1', user: 'alice@example.com' }, `<AuthBegin ${NS} id="a1" user="alice@example.com"/>`],
  [
    { kind: 'AuthProve', id: 'a2', algorithm: 'ecdsa-p256-sha256', certificates: [CERT, CA], signature: SIG },
    `<AuthProve ${NS} id="a2" algorithm="ecdsa-p256-sha256"><Certificate>${CERT_B64}</Certificate>` +
      `<Certificate>${CA_B64}</Certificate><Signature>${SIG_B64}</Signature></AuthProve>`,
  ],
  [{ kind: 'Register', id: 'g1', address: '2001:db8::7', port: 4605 }, `<Register ${NS} id="g1" address="2001:db8::7" port="4605"/>`],
  [{ kind: 'Lookup', id: 'q1', user: 'bob@example.com' }, `<Lookup ${NS} id="q1" user="bob@example.com"/>`],
  [{ kind: 'CaCertificatesRequest', id: 'k1' }, `<CaCertificates ${NS} id="k1"/>`],
  [{ kind: 'Revoke', id: 'v1', serial: '3f9a' }, `<Revoke ${NS} id="v1" serial="3f9a"/>`],
  [
    { kind: 'StatusRequest', id: 's1', serial: '3f9a', nonce: Buffer.from(HEX32, 'hex') },
    `<Status ${NS} id="s1" serial="3f9a" nonce="${HEX32}"/>`,
  ],
];

const RESPONSES: Array<[IrpMessage, string]> = [
  [
    { kind: 'Capabilities', id: 'c1', operations: ['Capabilities', 'Lookup'], versions: [1], domains: ['example.com', 'example.org'] },
    `<Capabilities ${NS} id="c1"><Operation>Capabilities</Operation><Operation>Lookup</Operation>` +
      '<Version>1</Version><Domain>example.com</Domain><Domain>example.org</Domain></Capabilities>',
  ],
  [{ kind: 'LoggedIn', id: 'l1', user: 'alice@example.com' }, `<LoggedIn ${NS} id="l1" user="alice@example.com"/>`],
  [
    { kind: 'Enrolled', id: 'e1', certificates: [CERT, CA] },
    `<Enrolled ${NS} id="e1"><Certificate>${CERT_B64}</Certificate><Certificate>${CA_B64}</Certificate></Enrolled>`,
  ],
  [{ kind: 'AuthChallenge', id: 'a1', challenge: Buffer.from(HEX32, 'hex') }, `<AuthChallenge ${NS} id="a1">${HEX32}</AuthChallenge>`],
  [{ kind: 'Authenticated', id: 'a2', user: 'alice@example.com' }, `<Authenticated ${NS} id="a2" user="alice@example.com"/>`],
  [{ kind: 'Registered', id: 'g1', timestamp: '2026-11-26T19:00:00Z' }, `<Registered ${NS} id="g1" timestamp="2026-11-26T19:00:00Z"/>`],
  [
    { kind: 'LookupResult', id: 'q1', record: Buffer.from(RECORD_XML), algorithm: 'ecdsa-p256-sha256', signature: SIG },
    `<LookupResult ${NS} id="q1"><Record>${Buffer.from(RECORD_XML).toString('base64')}</Record>` +
      `<Signature algorithm="ecdsa-p256-sha256">${SIG_B64}</Signature></LookupResult>`,
  ],
  [
    {
      kind: 'CaCertificates', id: 'k1',
      certificates: [{ role: 'root', der: CA }, { role: 'intermediate', der: CA }, { role: 'registry', der: CERT }],
    },
    `<CaCertificates ${NS} id="k1"><Certificate role="root">${CA_B64}</Certificate>` +
      `<Certificate role="intermediate">${CA_B64}</Certificate><Certificate role="registry">${CERT_B64}</Certificate></CaCertificates>`,
  ],
  [{ kind: 'Revoked', id: 'v1', serial: '3f9a' }, `<Revoked ${NS} id="v1" serial="3f9a"/>`],
  [
    { kind: 'StatusResult', id: 's1', status: Buffer.from(STATUS_XML), algorithm: 'ed25519', signature: SIG },
    `<StatusResult ${NS} id="s1"><Status>${Buffer.from(STATUS_XML).toString('base64')}</Status>` +
      `<Signature algorithm="ed25519">${SIG_B64}</Signature></StatusResult>`,
  ],
  [{ kind: 'Error', id: 'q1', code: 'not_found', text: 'no such user' }, `<Error ${NS} id="q1" code="not_found">no such user</Error>`],
  [{ kind: 'Error', code: 'bad_request', text: '' }, `<Error ${NS} code="bad_request"/>`],
];

t.test('byte-exact encoding of every request', async (t) => {
  for (const [msg, xml] of REQUESTS) t.equal(encodeIrp(msg).toString('utf8'), xml, msg.kind);
});

t.test('byte-exact encoding of every response', async (t) => {
  for (const [msg, xml] of RESPONSES) t.equal(encodeIrp(msg).toString('utf8'), xml, msg.kind);
});

t.test('round trip of every request: encode -> decode -> deep equal', async (t) => {
  for (const [msg] of REQUESTS) t.same(decodeIrp(encodeIrp(msg), 'request'), msg, msg.kind);
});

t.test('round trip of every response: encode -> decode -> deep equal', async (t) => {
  for (const [msg] of RESPONSES) t.same(decodeIrp(encodeIrp(msg), 'response'), msg, msg.kind);
});

t.test('the same root name decodes by direction', async (t) => {
  t.equal(request(`<Capabilities ${NS} id="c1"/>`).kind, 'CapabilitiesRequest');
  t.equal(alertOf(`<Capabilities ${NS} id="c1"/>`, 'response'), 'decode_error', 'a response must list its children');
  t.equal(request(`<CaCertificates ${NS} id="k1"/>`).kind, 'CaCertificatesRequest');
  t.equal(request(`<Status ${NS} id="s1" serial="01" nonce="${HEX32}"/>`).kind, 'StatusRequest');
});

t.test('signed Record document: exact bytes and round trip', async (t) => {
  t.equal(encodeRecordDocument(RECORD).toString('utf8'), RECORD_XML);
  t.same(decodeRecordDocument(encodeRecordDocument(RECORD)), RECORD);
});

t.test('signed Status document: exact bytes and round trip', async (t) => {
  t.equal(encodeStatusDocument(STATUS).toString('utf8'), STATUS_XML);
  t.same(decodeStatusDocument(encodeStatusDocument(STATUS)), STATUS);
});

t.test('signed content = context || 0x00 || bytes', async (t) => {
  const bytes = Buffer.from([1, 2, 3]);
  t.same(recordSignedContent(bytes), Buffer.concat([Buffer.from('IRP 1.0 record signature'), Buffer.from([0, 1, 2, 3])]));
  t.same(statusSignedContent(bytes), Buffer.concat([Buffer.from('IRP 1.0 status signature'), Buffer.from([0, 1, 2, 3])]));
  t.same(clientAuthenticationSignedContent(bytes), Buffer.concat([Buffer.from('IRP 1.0 client authentication'), Buffer.from([0, 1, 2, 3])]));
});

t.test('a Record document with another root is decode_error', async (t) => {
  t.throws(() => decodeRecordDocument(Buffer.from(STATUS_XML)), withAlert('decode_error'));
  t.throws(() => decodeStatusDocument(Buffer.from(RECORD_XML)), withAlert('decode_error'));
});

t.test('a Record document in the E2ED namespace is decode_error', async (t) => {
  t.throws(() => decodeRecordDocument(Buffer.from(RECORD_XML.replace('urn:sixchat:irp:1', 'urn:sixchat:e2ed:1'))), withAlert('decode_error'));
});

t.test('a Status document with an unknown status is illegal_parameter', async (t) => {
  t.throws(() => decodeStatusDocument(Buffer.from(STATUS_XML.replace('revoked', 'suspended'))), withAlert('illegal_parameter'));
});

t.test('a Status document with a nonce of the wrong length is decode_error', async (t) => {
  t.throws(() => decodeStatusDocument(Buffer.from(STATUS_XML.replace(HEX32, HEX32.slice(2)))), withAlert('decode_error'));
});

t.test('request without id is decode_error', async (t) => {
  t.equal(alertOf(`<Lookup ${NS} user="bob@example.com"/>`, 'request'), 'decode_error');
  t.equal(alertOf(`<Lookup ${NS} id="a b" user="bob@example.com"/>`, 'request'), 'decode_error');
});

t.test('readableRequestId: the id of an undecodable request, when it can be read', async (t) => {
  t.equal(readableRequestId(Buffer.from(`<Lookup ${NS} id="q9" user="not a user"/>`)), 'q9');
  t.equal(readableRequestId(Buffer.from(`<Lookup ${NS} id="bad id"/>`)), undefined);
  t.equal(readableRequestId(Buffer.from('<Lookup id="q9"/>')), undefined);
});

t.test('unknown request root decodes as Unknown with its id', async (t) => {
  t.same(request(`<Delete ${NS} id="d1" critical="true"/>`), { kind: 'Unknown', name: 'Delete', critical: true, id: 'd1' });
  t.same(request(`<LoggedIn ${NS} id="x" user="alice@example.com"/>`), { kind: 'Unknown', name: 'LoggedIn', critical: false, id: 'x' });
  t.same(response(`<Login ${NS} id="x" user="alice@example.com" password="p"/>`), { kind: 'Unknown', name: 'Login', critical: false, id: 'x' });
});

t.test('Login password of 1..256 characters; otherwise decode_error', async (t) => {
  t.equal(alertOf(`<Login ${NS} id="l" user="alice@example.com" password=""/>`, 'request'), 'decode_error');
  t.equal(alertOf(`<Login ${NS} id="l" user="alice@example.com" password="${'é'.repeat(256)}"/>`, 'request'), 'accepted');
  t.equal(alertOf(`<Login ${NS} id="l" user="alice@example.com" password="${'p'.repeat(257)}"/>`, 'request'), 'decode_error');
});

t.test('Login with a malformed user ID is decode_error', async (t) => {
  t.equal(alertOf(`<Login ${NS} id="l" user="alice" password="p"/>`, 'request'), 'decode_error');
});

t.test('Register port: syntax is decode_error, range is illegal_parameter', async (t) => {
  const reg = (port: string): string => alertOf(`<Register ${NS} id="g" address="::1" port="${port}"/>`, 'request');
  t.equal(reg('1'), 'accepted');
  t.equal(reg('65535'), 'accepted');
  t.equal(reg('0'), 'illegal_parameter');
  t.equal(reg('65536'), 'illegal_parameter');
  t.equal(reg('99999999999999999999'), 'illegal_parameter');
  t.equal(reg('04605'), 'decode_error');
  t.equal(reg('-1'), 'decode_error');
  t.equal(reg(' 4605'), 'decode_error');
});

t.test('Register address must be canonical IPv6 or dotted-quad IPv4', async (t) => {
  const reg = (address: string): string => alertOf(`<Register ${NS} id="g" address="${address}" port="4605"/>`, 'request');
  for (const good of ['2001:db8::7', '::1', '::', '127.0.0.1', '192.0.2.255', '::ffff:192.0.2.1', '2001:db8:0:1:1:1:1:1', '1::', 'fe80::1:0:0:1']) {
    t.equal(reg(good), 'accepted', good);
  }
  for (const bad of ['2001:DB8::7', '2001:0db8::7', '2001:db8:0:0:0:0:0:7', '2001:db8::1:1:1:1:1:1', '2001:db8::0:1', 'fe80::1%eth0',
    '0:0:0:0:0:0:0:1', '::ffff:c000:201', '1::1:0:0:0:1', '01.2.3.4', '256.1.1.1', '1.2.3', 'localhost', '', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8', ':::1']) {
    t.equal(reg(bad), 'decode_error', bad);
  }
});

t.test('canonicalIpv6 gives RFC 5952 text', async (t) => {
  t.equal(canonicalIpv6('2001:0DB8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  t.equal(canonicalIpv6('2001:db8:0:0:1:0:0:0'), '2001:db8:0:0:1::');
  t.equal(canonicalIpv6('0:0:0:0:0:ffff:c000:0201'), '::ffff:192.0.2.1');
  t.equal(canonicalIpv6('::1.2.3.4'), '::102:304');
  t.equal(canonicalIpv6('1::1:0:0:0:1'), '1:0:0:1::1', 'the longest run is compressed');
  t.equal(canonicalIpv6('1:0:0:1:1:0:0:1'), '1::1:1:0:0:1', 'the first of equal runs is compressed');
  t.equal(canonicalIpv6('nonsense'), null);
  t.ok(isCanonicalAddress('::1'));
});

t.test('serial: shortest lower-case hex of 1..20 bytes; otherwise decode_error', async (t) => {
  const revoke = (serial: string): string => alertOf(`<Revoke ${NS} id="v" serial="${serial}"/>`, 'request');
  t.equal(revoke('01'), 'accepted');
  t.equal(revoke('7f'.repeat(20)), 'accepted');
  t.equal(revoke('7f'.repeat(21)), 'decode_error');
  t.equal(revoke('00ff'), 'decode_error', 'leading zero byte');
  t.equal(revoke('FF'), 'decode_error');
  t.equal(revoke('f'), 'decode_error');
  t.equal(revoke(''), 'decode_error');
  t.equal(serialFromBytes(Buffer.from([0, 0, 0xff])), 'ff');
});

t.test('Status request nonce of the wrong length is decode_error', async (t) => {
  t.equal(alertOf(`<Status ${NS} id="s" serial="01" nonce="${HEX32}ab"/>`, 'request'), 'decode_error');
});

t.test('AuthProve: unregistered algorithm is illegal_parameter, missing Signature decode_error', async (t) => {
  const base = `<AuthProve ${NS} id="a" algorithm="ed25519"><Certificate>${CERT_B64}</Certificate><Signature>${SIG_B64}</Signature></AuthProve>`;
  t.equal(alertOf(base, 'request'), 'accepted');
  t.equal(alertOf(base.replace('ed25519', 'dsa-sha1'), 'request'), 'illegal_parameter');
  t.equal(alertOf(base.replace(`<Signature>${SIG_B64}</Signature>`, ''), 'request'), 'decode_error');
  t.equal(alertOf(base.replace(`<Certificate>${CERT_B64}</Certificate>`, ''), 'request'), 'decode_error');
  t.equal(alertOf(base.replace(`<Signature>${SIG_B64}</Signature>`, '').replace('</Certificate>', `</Certificate><Signature>${SIG_B64}</Signature><Certificate>${CERT_B64}</Certificate>`), 'request'), 'decode_error', 'out of order');
});

t.test('AuthChallenge of the wrong length is decode_error', async (t) => {
  t.equal(alertOf(`<AuthChallenge ${NS} id="a">${'ab'.repeat(31)}</AuthChallenge>`, 'response'), 'decode_error');
});

t.test('LookupResult: missing Signature is decode_error, unregistered algorithm illegal_parameter', async (t) => {
  t.equal(alertOf(`<LookupResult ${NS} id="q"><Record>AAAA</Record></LookupResult>`, 'response'), 'decode_error');
  t.equal(alertOf(`<LookupResult ${NS} id="q"><Record>AAAA</Record><Signature algorithm="md5">AAAA</Signature></LookupResult>`, 'response'), 'illegal_parameter');
  t.equal(alertOf(`<LookupResult ${NS} id="q"><Record>AAA</Record><Signature algorithm="ed25519">AAAA</Signature></LookupResult>`, 'response'), 'decode_error', 'bad base64');
});

t.test('CaCertificates: unknown role is illegal_parameter, missing role decode_error', async (t) => {
  t.equal(alertOf(`<CaCertificates ${NS} id="k"><Certificate role="leaf">${CA_B64}</Certificate></CaCertificates>`, 'response'), 'illegal_parameter');
  t.equal(alertOf(`<CaCertificates ${NS} id="k"><Certificate>${CA_B64}</Certificate></CaCertificates>`, 'response'), 'decode_error');
  t.equal(alertOf(`<CaCertificates ${NS} id="k">${`<Certificate role="root">${CA_B64}</Certificate>`.repeat(17)}</CaCertificates>`, 'response'), 'decode_error');
});

t.test('Capabilities response: cardinalities and syntax', async (t) => {
  const caps = (inner: string): string => alertOf(`<Capabilities ${NS} id="c">${inner}</Capabilities>`, 'response');
  t.equal(caps('<Operation>Lookup</Operation><Version>1</Version><Domain>example.com</Domain>'), 'accepted');
  t.equal(caps('<Version>1</Version><Domain>example.com</Domain>'), 'decode_error', 'no Operation');
  t.equal(caps('<Operation>Lookup</Operation><Domain>example.com</Domain>'), 'decode_error', 'no Version');
  t.equal(caps('<Operation>Lookup</Operation><Version>01</Version><Domain>example.com</Domain>'), 'decode_error', 'leading zero');
  t.equal(caps('<Operation>Lookup</Operation><Version>1</Version><Domain>-bad.com</Domain>'), 'decode_error', 'bad domain');
  t.equal(caps('<Domain>example.com</Domain><Operation>Lookup</Operation><Version>1</Version>'), 'decode_error', 'out of order');
});

t.test('Error: unknown code kept, text limited to 256 characters', async (t) => {
  t.same(response(`<Error ${NS} id="x" code="teapot">short</Error>`), { kind: 'Error', id: 'x', code: 'teapot', text: 'short' });
  t.equal(alertOf(`<Error ${NS} code="Not-Found"/>`, 'response'), 'decode_error');
  t.equal(alertOf(`<Error ${NS} code="internal">${'x'.repeat(257)}</Error>`, 'response'), 'decode_error');
});

// IRP-FRAME-7: "at most 256 characters (Unicode code points after entity decoding)", not octets.
t.test('Error text: 256 code points of any width are accepted, 257 refused (IRP-FRAME-7)', async (t) => {
  const wide = '\u{1F600}'.repeat(256);
  t.equal(Buffer.byteLength(wide, 'utf8'), 1024);
  t.same(response(`<Error ${NS} code="internal">${wide}</Error>`), { kind: 'Error', code: 'internal', text: wide }, '1024 octets, 256 code points');
  t.equal(alertOf(`<Error ${NS} code="internal">${wide}\u{1F600}</Error>`, 'response'), 'decode_error');
  t.same(response(`<Error ${NS} code="internal">${'&lt;'.repeat(256)}</Error>`), { kind: 'Error', code: 'internal', text: '<'.repeat(256) }, 'counted after entity decoding');
});

t.test('unknown critical child is unsupported_extension; non-critical ignored', async (t) => {
  t.equal(alertOf(`<Lookup ${NS} id="q" user="bob@example.com"><Hint critical="true"/></Lookup>`, 'request'), 'unsupported_extension');
  t.same(request(`<Lookup ${NS} id="q" user="bob@example.com"><Hint/></Lookup>`), { kind: 'Lookup', id: 'q', user: 'bob@example.com' });
});

t.test('XML hardening applies to IRP documents', async (t) => {
  t.equal(alertOf(`<!DOCTYPE Lookup><Lookup ${NS} id="q" user="bob@example.com"/>`, 'request'), 'decode_error');
  t.equal(alertOf('<Lookup xmlns="urn:sixchat:e2ed:1" id="q" user="bob@example.com"/>', 'request'), 'decode_error');
  t.equal(alertOf(`<Lookup ${NS} id="q" user="bob@example.com" user="eve@example.com"/>`, 'request'), 'decode_error');
});
