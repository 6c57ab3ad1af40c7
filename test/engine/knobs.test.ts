// Every misbehaviour knob (src/protocol/bugs.ts) changes the bytes on the wire or the verdict, and a
// conforming peer reacts as docs/knobs.md says. Each knob has exactly one case here; a knob added
// to the catalogue without a case fails the catalogue test.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki } from '../../src/pki/ca.js';
import { validateChain } from '../../src/pki/validator.js';
import type { VerifyPeer } from '../../src/protocol/engine.js';
import { decodeE2ed, type InitiatorHello, type ResponderHello } from '../../src/protocol/messages.js';
import { enabledKnobs, KNOBS, parseBugs, UnknownKnobError, type Bugs } from '../../src/protocol/bugs.js';
import { alertReceived, alertSent, CAROL_RSA, closedHow, connect, eventsOf, frames, pki, pkiVerifier, plaintextMessages, user, type Pair, type SideOptions } from './harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const bugs = (...ids: string[]): { bugs: Bugs } => ({ bugs: parseBugs(ids) });

function helloI(p: Pair): InitiatorHello {
  return decodeE2ed(frames(p.i.sent)[0]!.payload) as InitiatorHello;
}
function helloR(p: Pair): ResponderHello {
  return decodeE2ed(frames(p.r.sent)[0]!.payload) as ResponderHello;
}

/** The conforming side refuses with `alert` (and the knob side hears it). */
function refused(t: Test, p: Pair, conforming: 'i' | 'r', alert: string, requirement?: string): void {
  const s = conforming === 'i' ? p.i : p.r;
  const other = conforming === 'i' ? p.r : p.i;
  t.equal(alertSent(s), alert, `the conforming ${conforming === 'i' ? 'initiator' : 'responder'} sends ${alert}`);
  if (requirement !== undefined) t.equal(eventsOf(s, 'alert_sent')[0]?.requirement, requirement, `citing ${requirement}`);
  t.equal(alertReceived(other), alert);
}

function bothConnected(t: Test, p: Pair): void {
  t.equal(p.i.conn.state, 'Connected', 'initiator connected');
  t.equal(p.r.conn.state, 'Connected', 'responder connected');
}

/** I sends one message after the handshake; returns the responder's alert if any. */
function firstMessages(p: Pair, n: number): void {
  for (let k = 0; k < n; k++) p.from('i', p.i.conn.sendText(`m${k}`, 'x', '2026-11-26T19:00:00Z'));
  p.pump();
}

const otherCaVerifier: VerifyPeer = (chain, ctx) => {
  const other = createTestPki({ seed: 'knob test: other CA' });
  const r = validateChain(chain, { trustAnchors: other.anchors, time: pki.referenceTime, purpose: 'clientAuth', expectedUserId: ctx.expectedUserId });
  return r.ok ? { ok: true, userId: r.userId ?? '', publicKey: r.publicKey } : { ok: false, alert: r.alert, reason: r.detail, requirement: r.requirement };
};
const late = new Date(pki.endEntityValidity.notAfter.getTime() + 24 * 3600 * 1000) // a day after the leaves expire;
const both09: SideOptions = { versions: ['1.0', '0.9'] };
const rsaInitiator: SideOptions = { peerUserId: CAROL_RSA, methods: ['rsa-oaep'], peerCertificateForKeyTransport: user(CAROL_RSA).chain };

const CASES: Record<string, (t: Test) => void> = {
  'hello.omitVersions10': (t) => {
    const p = connect(bugs('hello.omitVersions10'), {});
    t.same(helloI(p).versions, ['0.9'], 'Hello_I offers 0.9 only');
    refused(t, p, 'r', 'protocol_version', 'E2ED-HS-17');
  },
  'hello.offerNullCipher': (t) => {
    const p = connect(bugs('hello.offerNullCipher'), {});
    t.equal(helloI(p).ciphers[0], 'NULL', 'NULL listed first');
    bothConnected(t, p);
    t.equal(p.r.conn.negotiated?.cipher, 'AES-256-GCM', 'the responder never selects NULL');
  },
  'hello.offerOnlyNullCipher': (t) => {
    refused(t, connect(bugs('hello.offerOnlyNullCipher'), {}), 'r', 'insufficient_security', 'E2ED-HS-20');
  },
  'hello.sendWrongNonceLength': (t) => {
    refused(t, connect(bugs('hello.sendWrongNonceLength'), {}), 'r', 'decode_error');
    refused(t, connect({}, bugs('hello.sendWrongNonceLength')), 'i', 'decode_error');
  },
  'hello.reflectPeerNonce': (t) => {
    const p = connect({}, bugs('hello.reflectPeerNonce'));
    t.ok(helloR(p).nonce.equals(helloI(p).nonce), 'nonce_R = nonce_I on the wire');
    refused(t, p, 'i', 'illegal_parameter', 'E2ED-ID-3');
  },
  'hello.reflectPeerIdentity': (t) => {
    refused(t, connect(bugs('hello.reflectPeerIdentity'), {}), 'r', 'illegal_parameter', 'E2ED-ID-1');
    refused(t, connect({}, bugs('hello.reflectPeerIdentity')), 'i', 'illegal_parameter', 'E2ED-ID-3');
  },
  'hello.claimOtherFrom': (t) => {
    const p = connect(bugs('hello.claimOtherFrom'), {});
    t.equal(helloI(p).from, 'mallory@example.com');
    refused(t, p, 'r', 'identity_mismatch');
    refused(t, connect({}, bugs('hello.claimOtherFrom')), 'i', 'identity_mismatch', 'E2ED-ID-6');
  },
  'hello.wrongTo': (t) => {
    refused(t, connect(bugs('hello.wrongTo'), {}), 'r', 'identity_mismatch', 'E2ED-ID-4');
    refused(t, connect({}, bugs('hello.wrongTo')), 'i', 'identity_mismatch', 'E2ED-ID-7');
  },
  'hello.selectLegacyVersion': (t) => {
    const p = connect(both09, { ...both09, ...bugs('hello.selectLegacyVersion') });
    t.equal(helloR(p).version, '0.9');
    t.equal(helloR(p).nonce.subarray(24).toString('latin1'), 'E2EDDOWN', 'sentinel set');
    refused(t, p, 'i', 'insufficient_security', 'E2ED-VER-5');
  },
  'hello.omitDowngradeSentinel': (t) => {
    const p = connect(both09, { ...both09, ...bugs('hello.selectLegacyVersion', 'hello.omitDowngradeSentinel') });
    t.not(helloR(p).nonce.subarray(24).toString('latin1'), 'E2EDDOWN', 'no sentinel on the wire');
    bothConnected(t, p);
    t.equal(p.i.conn.negotiated?.version, '0.9', 'the downgrade goes unnoticed');
  },
  'hello.ignoreDowngradeSentinel': (t) => {
    const p = connect({ ...both09, ...bugs('hello.ignoreDowngradeSentinel') }, { ...both09, ...bugs('hello.selectLegacyVersion') });
    bothConnected(t, p);
    t.equal(p.i.conn.negotiated?.version, '0.9', 'the initiator accepted a downgrade it should refuse');
  },
  'hello.keyShareOffCurve': (t) => {
    const x = connect(bugs('hello.keyShareOffCurve'), {});
    t.ok(helloI(x).keyShare!.publicKey.equals(Buffer.alloc(32)), 'x25519: the all-zero point');
    refused(t, x, 'r', 'illegal_parameter');
    refused(t, connect({ methods: ['p256'], ...bugs('hello.keyShareOffCurve') }, {}), 'r', 'illegal_parameter');
    refused(t, connect({}, bugs('hello.keyShareOffCurve')), 'i', 'illegal_parameter');
  },
  'hello.selectUnofferedCipher': (t) => {
    const p = connect({ ciphers: ['AES-256-GCM'] }, bugs('hello.selectUnofferedCipher'));
    t.equal(helloR(p).cipher, 'CHACHA20-POLY1305');
    refused(t, p, 'i', 'illegal_parameter', 'E2ED-HS-24');
  },
  'hello.selectUnofferedMethod': (t) => {
    const p = connect({}, bugs('hello.selectUnofferedMethod'));
    t.equal(helloR(p).method, 'p256');
    refused(t, p, 'i', 'illegal_parameter', 'E2ED-HS-24');
  },
  'handshake.skipCertificateVerify': (t) => {
    const p = connect({}, bugs('handshake.skipCertificateVerify'));
    t.same(plaintextMessages(p.r.sent).slice(0, 2).map((m) => (m === 'record' ? m : m.kind)), ['ResponderHello', 'Finished']);
    refused(t, p, 'i', 'unexpected_message', 'E2ED-HS-31');
    refused(t, connect(bugs('handshake.skipCertificateVerify'), {}), 'r', 'unexpected_message', 'E2ED-HS-31');
  },
  'handshake.duplicateHello': (t) => {
    refused(t, connect(bugs('handshake.duplicateHello'), {}), 'r', 'unexpected_message', 'E2ED-HS-31');
    refused(t, connect({}, bugs('handshake.duplicateHello')), 'i', 'unexpected_message', 'E2ED-HS-31');
  },
  'handshake.reorderCvFinished': (t) => {
    refused(t, connect({}, bugs('handshake.reorderCvFinished')), 'i', 'unexpected_message', 'E2ED-HS-31');
    refused(t, connect(bugs('handshake.reorderCvFinished'), {}), 'r', 'unexpected_message', 'E2ED-HS-31');
  },
  'certificateVerify.corruptSignature': (t) => {
    refused(t, connect({}, bugs('certificateVerify.corruptSignature')), 'i', 'decrypt_error', 'E2ED-HS-28');
    refused(t, connect(bugs('certificateVerify.corruptSignature'), {}), 'r', 'decrypt_error', 'E2ED-HS-28');
  },
  'certificateVerify.wrongContext': (t) => {
    refused(t, connect({}, bugs('certificateVerify.wrongContext')), 'i', 'decrypt_error', 'E2ED-HS-28');
    refused(t, connect(bugs('certificateVerify.wrongContext'), {}), 'r', 'decrypt_error', 'E2ED-HS-28');
  },
  'certificateVerify.wrongAlgorithm': (t) => {
    refused(t, connect({}, bugs('certificateVerify.wrongAlgorithm')), 'i', 'illegal_parameter', 'E2ED-HS-27');
  },
  'certificateVerify.legacyBinding': (t) => {
    refused(t, connect({}, bugs('certificateVerify.legacyBinding')), 'i', 'decrypt_error', 'E2ED-HS-28');
  },
  'certificateVerify.skipVerification': (t) => {
    bothConnected(t, connect(bugs('certificateVerify.skipVerification'), bugs('certificateVerify.corruptSignature')));
  },
  'finished.corruptValue': (t) => {
    refused(t, connect({}, bugs('finished.corruptValue')), 'i', 'decrypt_error', 'E2ED-HS-30');
    // The responder refuses Fin_I in plaintext, and the Connected initiator still takes it (E2ED-HS-33).
    const p = connect(bugs('finished.corruptValue'), {});
    refused(t, p, 'r', 'decrypt_error', 'E2ED-HS-30');
    t.equal(frames(p.r.sent).at(-1)!.type, 0x01, 'plaintext alert from a responder not yet Connected');
    t.equal(closedHow(p.i), 'error');
  },
  'keyTransport.corruptPremaster': (t) => {
    // E2ED-KS-13: the conforming responder goes on with a random Z and answers its whole flight; the initiator refuses Fin_R.
    const p = connect({ ...rsaInitiator, ...bugs('keyTransport.corruptPremaster') }, { userId: CAROL_RSA });
    t.same(plaintextMessages(p.r.sent).map((m) => (m === 'record' ? m : m.kind)), ['ResponderHello', 'CertificateVerify', 'Finished'], 'the responder answers as on success');
    refused(t, p, 'i', 'decrypt_error');
  },
  'keyTransport.explicitRejection': (t) => {
    const p = connect({ ...rsaInitiator, ...bugs('keyTransport.corruptPremaster') }, { userId: CAROL_RSA, ...bugs('keyTransport.explicitRejection') });
    t.same(plaintextMessages(p.r.sent).map((m) => (m === 'record' ? m : m.kind)), ['Alert'], 'the responder refuses Hello_I at once (the oracle)');
    t.equal(alertSent(p.r), 'decrypt_error');
    t.equal(alertSent(p.i), undefined, 'the initiator never gets to its Finished check');
    bothConnected(t, connect(rsaInitiator, { userId: CAROL_RSA, ...bugs('keyTransport.explicitRejection') }));
  },
  'finished.skipVerification': (t) => {
    bothConnected(t, connect(bugs('finished.skipVerification'), bugs('finished.corruptValue')));
  },
  'keySchedule.wrongLabel': (t) => {
    const p = connect(bugs('keySchedule.wrongLabel'), {});
    bothConnected(t, p);
    firstMessages(p, 1);
    refused(t, p, 'r', 'bad_record_mac');
  },
  'record.corruptTag': (t) => {
    const p = connect(bugs('record.corruptTag'), {});
    firstMessages(p, 1);
    refused(t, p, 'r', 'bad_record_mac');
  },
  'record.reuseSequence': (t) => {
    const p = connect(bugs('record.reuseSequence'), {});
    firstMessages(p, 2);
    t.equal(eventsOf(p.r, 'message_received').length, 1, 'the first record (sequence 0) is fine');
    refused(t, p, 'r', 'bad_record_mac');
  },
  'record.reuseNonceAcrossDirections': (t) => {
    const p = connect(bugs('record.reuseNonceAcrossDirections'), {});
    firstMessages(p, 1);
    refused(t, p, 'r', 'bad_record_mac');
  },
  'record.skipAuthentication': (t) => {
    // The conforming receiver refuses a record whose tag bit is flipped; the careless one reads it.
    const p = connect(bugs('record.corruptTag'), bugs('record.skipAuthentication'));
    firstMessages(p, 1);
    t.equal(alertSent(p.r), undefined, 'no bad_record_mac');
    t.same(eventsOf(p.r, 'message_received').map((e) => (e.message as { id: string }).id), ['m0'], 'the tampered record is delivered');
  },
  'record.skipSequenceCheck': (t) => {
    // Two records under sequence 0: the second is a replay of the sequence the receiver already used.
    const p = connect(bugs('record.reuseSequence'), bugs('record.skipSequenceCheck'));
    firstMessages(p, 2);
    t.equal(alertSent(p.r), undefined, 'no bad_record_mac');
    t.same(eventsOf(p.r, 'message_received').map((e) => (e.message as { id: string }).id), ['m0', 'm1'], 'the record under a used sequence is delivered');
    // A record under another key still fails: the knob drops the order check, not authentication.
    const q = connect(bugs('record.reuseNonceAcrossDirections'), bugs('record.skipSequenceCheck'));
    firstMessages(q, 1);
    refused(t, q, 'r', 'bad_record_mac');
  },
  'record.acceptTruncation': (t) => {
    const p = connect(bugs('alert.skipCloseNotify'), bugs('record.acceptTruncation'));
    t.same(p.i.conn.close().frames, [], 'no close_notify');
    t.match(p.r.conn.transportEnded().events, [{ type: 'closed', how: 'clean' }], 'the end without close_notify is reported clean');
  },
  'record.sendAppDataBeforeFinished': (t) => {
    const p = connect(bugs('record.sendAppDataBeforeFinished'), {});
    t.same(plaintextMessages(p.i.sent).slice(1, 4).map((m) => (m === 'record' ? m : m.kind)), ['CertificateVerify', 'record', 'Finished']);
    refused(t, p, 'r', 'unexpected_message', 'E2ED-HS-31');
  },
  'record.plaintextAfterHandshake': (t) => {
    const p = connect(bugs('record.plaintextAfterHandshake'), {});
    firstMessages(p, 1);
    t.equal(frames(p.i.sent).at(-1)!.type, 0x01, 'the Message went in a plaintext frame');
    refused(t, p, 'r', 'unexpected_message', 'E2ED-REC-6');
  },
  'keyUpdate.dontSwitchKeys': (t) => {
    const p = connect(bugs('keyUpdate.dontSwitchKeys'), {});
    p.from('i', p.i.conn.keyUpdate(false));
    firstMessages(p, 1);
    refused(t, p, 'r', 'bad_record_mac');
  },
  'keyUpdate.dontResetSequence': (t) => {
    const p = connect(bugs('keyUpdate.dontResetSequence'), {});
    p.from('i', p.i.conn.keyUpdate(false));
    firstMessages(p, 1);
    refused(t, p, 'r', 'bad_record_mac');
  },
  'keyUpdate.ignoreRequest': (t) => {
    const p = connect({}, bugs('keyUpdate.ignoreRequest'));
    p.from('i', p.i.conn.keyUpdate(true));
    p.pump();
    t.same(eventsOf(p.r, 'key_updated').map((e) => e.direction), ['receive'], 'the responder did not send its own KeyUpdate');
    t.same(eventsOf(p.i, 'key_updated').map((e) => e.direction), ['send'], 'the initiator still receives under generation 0');
    t.equal(p.r.sent.length, 3, 'nothing on the wire from the responder');
  },
  'keyUpdate.misspellRequest': (t) => {
    const p = connect(bugs('keyUpdate.misspellRequest'), {});
    p.from('i', p.i.conn.keyUpdate(false));
    p.pump();
    refused(t, p, 'r', 'illegal_parameter', 'E2ED-REC-11');
  },
  'alert.sendDataAfterFatal': (t) => {
    const p = connect(bugs('finished.corruptValue'), bugs('alert.sendDataAfterFatal'));
    const after = plaintextMessages(p.r.sent).slice(3);
    t.match(after, [{ kind: 'Alert', code: 'decrypt_error' }, { kind: 'Message' }], 'a Message follows the fatal alert on the wire');
    t.equal(eventsOf(p.i, 'message_received').length, 0, 'the conforming peer discards it');
    t.equal(closedHow(p.i), 'error');
  },
  'alert.skipCloseNotify': (t) => {
    const p = connect(bugs('alert.skipCloseNotify'), {});
    const out = p.i.conn.close();
    t.same(out.frames, [], 'no close_notify');
    t.match(p.r.conn.transportEnded().events, [{ type: 'closed', how: 'truncated' }], 'the peer reports truncation');
  },
  'alert.dontAnswerCloseNotify': (t) => {
    const p = connect({}, bugs('alert.dontAnswerCloseNotify'));
    p.from('i', p.i.conn.close());
    p.pump();
    t.equal(closedHow(p.r), 'clean');
    t.equal(p.r.sent.length, 3, 'no close_notify in answer');
    t.equal(p.i.conn.state, 'Closing');
    t.match(p.i.conn.transportEnded().events, [{ type: 'closed', how: 'truncated' }]);
  },
  'alert.fatalAsWarning': (t) => {
    const p = connect(bugs('hello.offerOnlyNullCipher'), bugs('alert.fatalAsWarning'));
    t.match(plaintextMessages(p.r.sent)[0], { kind: 'Alert', level: 'warning', code: 'insufficient_security' });
    t.equal(closedHow(p.i), 'error', 'the conforming peer treats it as fatal (E2ED-ALERT-3)');
  },
  'validation.acceptExpired': (t) => {
    const expired = pkiVerifier({ time: late });
    refused(t, connect({}, { verifyPeer: expired }), 'r', 'certificate_expired');
    bothConnected(t, connect({}, { verifyPeer: expired, ...bugs('validation.acceptExpired') }));
  },
  'validation.acceptUnknownCa': (t) => {
    refused(t, connect({}, { verifyPeer: otherCaVerifier }), 'r', 'unknown_ca');
    bothConnected(t, connect({}, { verifyPeer: otherCaVerifier, ...bugs('validation.acceptUnknownCa') }));
  },
  'validation.acceptRevoked': (t) => {
    const revoked = pkiVerifier({ isRevoked: () => true });
    refused(t, connect({ verifyPeer: revoked }, {}), 'i', 'certificate_revoked');
    bothConnected(t, connect({ verifyPeer: revoked, ...bugs('validation.acceptRevoked') }, {}));
  },
  'validation.skipIdentityCheck': (t) => {
    // A Hello_I whose to names someone else is now accepted by the responder...
    bothConnected(t, connect(bugs('hello.wrongTo'), bugs('validation.skipIdentityCheck')));
    // ...and so is a from the certificate does not name (the knob initiator also skips E2ED-ID-7,
    // as the responder echoes the false from as its to).
    const p = connect(bugs('hello.claimOtherFrom', 'validation.skipIdentityCheck'), bugs('validation.skipIdentityCheck'));
    bothConnected(t, p);
    t.equal(eventsOf(p.r, 'peer_verified')[0]?.userId, 'alice@example.com', 'the identity reported is still the certificate\'s');
  },
};

t.test('every knob changes the wire or the verdict as documented', async (t) => {
  for (const knob of KNOBS) {
    t.test(knob.id, async (t) => {
      const run = CASES[knob.id];
      t.ok(run, `a case exists for ${knob.id}`);
      if (run) run(t);
    });
  }
  t.same(Object.keys(CASES).filter((id) => !KNOBS.some((k) => k.id === id)), [], 'no case for a knob that does not exist');
});

t.test('the catalogue', async (t) => {
  t.ok(KNOBS.length >= 25, `${KNOBS.length} knobs`);
  t.equal(new Set(KNOBS.map((k) => k.id)).size, KNOBS.length, 'ids are unique');
  for (const k of KNOBS) {
    t.match(k.id, /^[a-zA-Z]+\.[a-zA-Z0-9]+$/, `${k.id}: dotted id`);
    t.ok(k.description.length > 10 && k.conformingPeer.length > 10, `${k.id}: described`);
    t.match(k.requirement, /^E2ED-[A-Z]+-\d+(, E2ED-[A-Z]+-\d+)*$/, `${k.id}: requirement id`);
  }
  t.same(parseBugs([]), {});
  t.same(parseBugs(['record.corruptTag', 'hello.wrongTo']), { record: { corruptTag: true }, hello: { wrongTo: true } });
  t.same(enabledKnobs(parseBugs(['record.corruptTag', 'hello.wrongTo'])).sort(), ['hello.wrongTo', 'record.corruptTag']);
  t.throws(() => parseBugs(['record.corruptTg']), UnknownKnobError);
  t.throws(() => parseBugs(['record.corruptTg']), /unknown bug knob 'record.corruptTg'/);
});

t.test('the cited requirement ids exist in docs/spec.md', async (t) => {
  const spec = readFileSync(path.join(repoRoot, 'docs/spec.md'), 'utf8');
  for (const k of KNOBS) for (const id of k.requirement.split(', ')) t.ok(spec.includes(`**${id}**`), `${k.id}: ${id} is defined`);
});

t.test('docs/knobs.md documents every knob', async (t) => {
  const doc = readFileSync(path.join(repoRoot, 'docs/knobs.md'), 'utf8');
  for (const k of KNOBS) t.ok(doc.includes(`\`${k.id}\``), `${k.id} is in docs/knobs.md`);
});
