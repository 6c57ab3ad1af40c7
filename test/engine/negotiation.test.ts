// Selection (docs/spec.md 5.3, 5.4), downgrade protection (chapter 6), offer lists protected by
// the 1.0 signatures (E2ED-VER-6), and RSA-OAEP key transport (7.6). Each case asserts the alert
// and the side that sends it.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { alertReceived, alertSent, CAROL_RSA, closedHow, connect, eventsOf, pki, plaintextMessages, rewriteOnce, user, type Pair } from './harness.js';

function refusedBy(t: Test, p: Pair, by: 'i' | 'r', alert: string, requirement?: string): void {
  const sender = by === 'i' ? p.i : p.r;
  const other = by === 'i' ? p.r : p.i;
  t.equal(alertSent(sender), alert, `${by === 'i' ? 'initiator' : 'responder'} sends ${alert}`);
  if (requirement !== undefined) t.equal(eventsOf(sender, 'alert_sent')[0]?.requirement, requirement, `cites ${requirement}`);
  t.equal(alertReceived(other), alert, 'the peer receives it');
  t.equal(closedHow(sender), 'error');
  t.equal(closedHow(other), 'error');
  t.equal(sender.conn.state, 'Closed');
  t.equal(other.conn.state, 'Closed');
  t.equal(eventsOf(sender, 'alert_sent').length, 1, 'exactly one alert');
  t.equal(eventsOf(other, 'alert_sent').length, 0, 'a received fatal alert is not answered (E2ED-ALERT-5)');
}

t.test('no common version: protocol_version from the responder (E2ED-HS-17)', async (t) => {
  refusedBy(t, connect({ versions: ['1.0'] }, { versions: ['0.9'] }), 'r', 'protocol_version', 'E2ED-HS-17');
});

t.test('key material for a method the responder lacks: insufficient_security or handshake_failure (E2ED-HS-19)', async (t) => {
  refusedBy(t, connect({ methods: ['p256'] }, { methods: ['x25519'] }), 'r', 'insufficient_security', 'E2ED-HS-19');
  refusedBy(t, connect({ methods: ['p256', 'x25519'] }, { methods: ['x25519'] }), 'r', 'handshake_failure', 'E2ED-HS-19');
  // "The responder supports rsa-oaep only when its own leaf certificate has an RSA key".
  refusedBy(t, connect({ methods: ['rsa-oaep'], peerCertificateForKeyTransport: user(CAROL_RSA).chain }, {}), 'r', 'insufficient_security', 'E2ED-HS-19');
});

t.test('no common cipher: insufficient_security (E2ED-HS-20)', async (t) => {
  refusedBy(t, connect({ ciphers: ['CHACHA20-POLY1305'] }, { ciphers: ['AES-256-GCM'] }), 'r', 'insufficient_security', 'E2ED-HS-20');
});

t.test('key material method not among the offered methods: illegal_parameter (E2ED-HS-18)', async (t) => {
  const p = connect({}, {}, { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, methods: ['p256'] })) });
  refusedBy(t, p, 'r', 'illegal_parameter', 'E2ED-HS-18');
});

t.test('stripping offers on the path is detected by the 1.0 signature (E2ED-VER-6)', async (t) => {
  for (const [what, edit] of [
    ['a cipher', (h: any) => ({ ...h, ciphers: ['AES-256-GCM'] })],
    ['a method', (h: any) => ({ ...h, methods: ['x25519'] })],
    ['a version', (h: any) => ({ ...h, versions: ['1.0'] })],
  ] as const) {
    const p = connect({ versions: ['1.0', '0.9'] }, { versions: ['1.0', '0.9'] }, { intercept: rewriteOnce('i2r', 'InitiatorHello', edit) });
    t.equal(alertSent(p.i), 'decrypt_error', `stripping ${what}: the initiator's check of CV_R fails`);
    t.equal(eventsOf(p.i, 'alert_sent')[0]?.requirement, 'E2ED-HS-28');
    t.equal(p.r.conn.state, 'Closed');
  }
  // The responder's Hello is covered too: reordering nothing but its certificate list's encoding
  // is impossible, so change its nonce.
  const p = connect({}, {}, { intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, nonce: Buffer.alloc(32, 7) })) });
  t.equal(alertSent(p.i), 'decrypt_error');
});

t.test('downgrade: stripping 1.0 makes a 1.0 responder select 0.9 with the sentinel; the initiator refuses (E2ED-VER-4, -5)', async (t) => {
  const p = connect(
    { versions: ['1.0', '0.9'] },
    { versions: ['1.0', '0.9'] },
    { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, versions: ['0.9'] })) },
  );
  const helloR = plaintextMessages(p.r.sent)[0];
  t.match(helloR, { kind: 'ResponderHello', version: '0.9' });
  if (helloR !== 'record' && helloR?.kind === 'ResponderHello') t.equal(helloR.nonce.subarray(24).toString('latin1'), 'E2EDDOWN');
  refusedBy(t, p, 'i', 'insufficient_security', 'E2ED-VER-5');
});

t.test('an initiator without 0.9 refuses a 0.9 selection with protocol_version, sentinel or not (E2ED-HS-23)', async (t) => {
  const p = connect(
    { versions: ['1.0'] },
    { versions: ['0.9'] },
    { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, versions: ['0.9'] })) },
  );
  refusedBy(t, p, 'i', 'protocol_version', 'E2ED-HS-23');
});

t.test('a 0.9-only initiator accepts 0.9 from a 0.9-only responder without sentinel', async (t) => {
  const p = connect({ versions: ['0.9'] }, { versions: ['0.9'] });
  t.equal(p.i.conn.state, 'Connected');
});

t.test('initiator checks of the selection (E2ED-HS-23..25)', async (t) => {
  const cases: Array<[string, (h: any) => any, string, string]> = [
    ['unoffered version', (h) => ({ ...h, version: '0.9' }), 'protocol_version', 'E2ED-HS-23'],
    // E2ED-HS-23: an unregistered version it did not offer is illegal_parameter, a registered one it does not support protocol_version.
    ['unknown version', (h) => ({ ...h, version: '2.0' }), 'illegal_parameter', 'E2ED-HS-23'],
    ['other method', (h) => ({ ...h, method: 'p256' }), 'illegal_parameter', 'E2ED-HS-24'],
    ['unoffered cipher', (h) => ({ ...h, cipher: 'CHACHA20-POLY1305' }), 'illegal_parameter', 'E2ED-HS-24'],
    ['NULL cipher', (h) => ({ ...h, cipher: 'NULL' }), 'illegal_parameter', 'E2ED-HS-24'],
    ['missing KeyShare', (h) => ({ ...h, keyShare: undefined }), 'decode_error', 'E2ED-HS-25'],
    ['KeyShare of another method', (h) => ({ ...h, keyShare: { method: 'p256', publicKey: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]) } }), 'illegal_parameter', 'E2ED-HS-25'],
  ];
  for (const [what, edit, alert, req] of cases) {
    const p = connect({ ciphers: ['AES-256-GCM'] }, {}, { intercept: rewriteOnce('r2i', 'ResponderHello', edit) });
    t.equal(alertSent(p.i), alert, `${what}: ${alert}`);
    t.equal(eventsOf(p.i, 'alert_sent')[0]?.requirement, req, `${what}: ${req}`);
  }
  const p = connect(
    { methods: ['rsa-oaep'], peerUserId: CAROL_RSA, peerCertificateForKeyTransport: user(CAROL_RSA).chain },
    { userId: CAROL_RSA },
    { intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, keyShare: { method: 'x25519', publicKey: Buffer.alloc(32, 9) } })) },
  );
  t.equal(alertSent(p.i), 'illegal_parameter', 'a KeyShare with rsa-oaep is illegal_parameter');
});

t.test('a KeyShare for rsa-oaep in Hello_I is illegal_parameter (E2ED-HS-18)', async (t) => {
  const p = connect({}, {}, {
    intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, keyShare: { method: 'rsa-oaep', publicKey: h.keyShare!.publicKey } })),
  });
  refusedBy(t, p, 'r', 'illegal_parameter', 'E2ED-HS-18');
});

t.test('rsa-oaep: implicit rejection, ciphertext length, and the key the premaster went to', async (t) => {
  const rsaCaChain = [pki.intermediates.rsa.der];
  t.equal(new X509Certificate(rsaCaChain[0]!).publicKey.asymmetricKeyType, 'rsa');
  // Encrypted to another RSA key: the responder cannot decrypt, continues with random Z and sends
  // its whole flight exactly as on success (E2ED-KS-13); the initiator then sees that the
  // responder's leaf is not the key it encrypted to (E2ED-HS-26).
  const p = connect({ methods: ['rsa-oaep'], peerUserId: CAROL_RSA, peerCertificateForKeyTransport: rsaCaChain }, { userId: CAROL_RSA });
  t.same(
    plaintextMessages(p.r.sent).map((m) => (m === 'record' ? m : m.kind)),
    ['ResponderHello', 'CertificateVerify', 'Finished'],
    'responder: no alert, the full flight',
  );
  refusedBy(t, p, 'i', 'handshake_failure', 'E2ED-HS-26');

  // Implicit rejection seen from the Finished: a corrupted premaster ciphertext on the path.
  // The initiator's CV_R check fails first (the Hello was altered), so cut it out of the picture:
  // feed the altered Hello to a responder directly and check it answers without an alert.
  const q = connect(
    { methods: ['rsa-oaep'], peerUserId: CAROL_RSA, peerCertificateForKeyTransport: user(CAROL_RSA).chain },
    { userId: CAROL_RSA },
    { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, encryptedPremaster: Buffer.from(h.encryptedPremaster!.map((b, i) => (i === 5 ? b ^ 1 : b))) })) },
  );
  t.equal(eventsOf(q.r, 'alert_sent').length, 0, 'a bad OAEP ciphertext draws no alert from the responder');
  t.equal(alertSent(q.i), 'decrypt_error', 'the handshake fails with decrypt_error');

  const short = connect(
    { methods: ['rsa-oaep'], peerUserId: CAROL_RSA, peerCertificateForKeyTransport: user(CAROL_RSA).chain },
    { userId: CAROL_RSA },
    { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, encryptedPremaster: h.encryptedPremaster!.subarray(1) })) },
  );
  refusedBy(t, short, 'r', 'decode_error', 'E2ED-KS-12');
});

t.test('invalid key shares: illegal_parameter (E2ED-KS-8, E2ED-KS-9)', async (t) => {
  const zero = connect({}, {}, { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, keyShare: { method: 'x25519', publicKey: Buffer.alloc(32) } })) });
  refusedBy(t, zero, 'r', 'illegal_parameter');
  const offCurve = connect({ methods: ['p256'] }, {}, {
    intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, keyShare: { method: 'p256', publicKey: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]) } })),
  });
  refusedBy(t, offCurve, 'r', 'illegal_parameter');
  const atR = connect({}, {}, { intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, keyShare: { method: 'x25519', publicKey: Buffer.alloc(32) } })) });
  refusedBy(t, atR, 'i', 'illegal_parameter');
});

// E2ED-HS-13 and E2ED-HS-14 are sender rules: a responder does not check them and sends no alert
// for them (it selects from the lists as sent). The Hellos are edited in flight, so the
// initiator's own checks (transcript, downgrade sentinel) end these handshakes, never the responder.
t.test('a responder does not check E2ED-HS-14: key material for a method other than the first listed', async (t) => {
  const p = connect({}, {}, { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, methods: ['p256', 'x25519'] })) });
  const [helloR] = plaintextMessages(p.r.sent);
  t.match(helloR, { kind: 'ResponderHello', method: 'x25519' }, 'the responder answers, selecting the key material\'s method');
  t.equal(alertSent(p.r), undefined, 'no alert from the responder');
  t.equal(alertSent(p.i), 'decrypt_error', 'the initiator sees the edited transcript (E2ED-VER-6)');
});

t.test('a responder does not check E2ED-HS-13: 0.9 listed before 1.0 is selected as listed', async (t) => {
  const p = connect({ versions: ['1.0', '0.9'] }, { versions: ['1.0', '0.9'] },
    { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, versions: ['0.9', '1.0'] })) });
  const [helloR] = plaintextMessages(p.r.sent) as { kind: string; version?: string; nonce?: Buffer }[];
  t.match(helloR, { kind: 'ResponderHello', version: '0.9' }, 'the first supported entry as listed (section 5.3)');
  t.equal(helloR!.nonce!.subarray(24).toString('latin1'), 'E2EDDOWN', 'with the downgrade sentinel (E2ED-VER-4)');
  t.equal(alertSent(p.r), undefined, 'no alert from the responder');
  t.equal(alertSent(p.i), 'insufficient_security', 'the 1.0 initiator refuses the downgrade (E2ED-VER-5)');
});
