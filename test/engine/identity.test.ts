// Reflection and identity checks (docs/spec.md 5.7) and the certificate verdicts the engine turns
// into alerts (chapter 9, through the real validator).
import t from 'tap';
import { Connection } from '../../src/protocol/engine.js';
import { createTestPki } from '../../src/pki/ca.js';
import { validateChain } from '../../src/pki/validator.js';
import {
  ALICE, BOB, CAROL_RSA, alertSent, connect, eventsOf, initiatorConfig, pki, pkiVerifier, responderConfig, rewriteOnce, user,
} from './harness.js';

function sentAlert(p: ReturnType<typeof connect>, by: 'i' | 'r') {
  const e = eventsOf(by === 'i' ? p.i : p.r, 'alert_sent')[0];
  return e === undefined ? undefined : { alert: e.alert, requirement: e.requirement };
}

t.test("a Hello_I whose from is the responder's own user ID is refused (E2ED-ID-1)", async (t) => {
  // Bob's own Hello_I, reflected back to Bob's listening side.
  const bobAsInitiator = new Connection(initiatorConfig({ userId: BOB, peerUserId: ALICE }));
  const helloFromBob = bobAsInitiator.start().frames[0]!;
  const bobAsResponder = new Connection(responderConfig({ userId: BOB }));
  const out = bobAsResponder.receive(helloFromBob);
  t.match(out.events.find((e) => e.type === 'alert_sent'), { alert: 'illegal_parameter', requirement: 'E2ED-ID-1' });
  t.equal(out.frames.length, 1, 'only the alert');
  t.equal(out.closed, true);
});

t.test("a Hello_I carrying one of the UA's own pending nonces is refused (E2ED-ID-2)", async (t) => {
  const bobAsInitiator = new Connection(initiatorConfig({ userId: BOB, peerUserId: ALICE }));
  bobAsInitiator.start();
  const pending = [bobAsInitiator.initiatorNonce!];
  // An attacker relays Bob's nonce inside a Hello_I of Alice's making.
  const p = connect({}, { isOwnPendingNonce: (n) => pending.some((x) => x.equals(n)) }, {
    intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, nonce: pending[0]! })),
  });
  t.same(sentAlert(p, 'r'), { alert: 'illegal_parameter', requirement: 'E2ED-ID-2' });
  // Without the hook's match the same Hello is fine as far as reflection goes.
  const q = connect({}, { isOwnPendingNonce: () => false });
  t.equal(q.r.conn.state, 'Connected');
});

t.test("the initiator refuses its own nonce or its own user ID in Hello_R (E2ED-ID-3)", async (t) => {
  let nonceI: Buffer | undefined;
  const p = connect({}, {}, {
    intercept: (dir, f) => {
      if (dir === 'i2r' && nonceI === undefined) nonceI = Buffer.from(f.toString('latin1').match(/<Nonce>([0-9a-f]{64})/)![1]!, 'hex');
      return rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, nonce: nonceI! }))(dir, f);
    },
  });
  t.same(sentAlert(p, 'i'), { alert: 'illegal_parameter', requirement: 'E2ED-ID-3' });
  const q = connect({}, {}, { intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, from: ALICE })) });
  t.same(sentAlert(q, 'i'), { alert: 'illegal_parameter', requirement: 'E2ED-ID-3' });
});

t.test("the responder refuses a to that is not its own user ID (E2ED-ID-4)", async (t) => {
  const p = connect({ peerUserId: CAROL_RSA }, { userId: BOB });
  t.same(sentAlert(p, 'r'), { alert: 'identity_mismatch', requirement: 'E2ED-ID-4' });
  // Domain case is folded, the local part is not (E2ED-ID-8).
  const q = connect({ peerUserId: 'bob@EXAMPLE.com' }, { userId: BOB });
  t.equal(q.r.conn.state, 'Connected', 'domain compared case-insensitively');
  const r = connect({ peerUserId: 'Bob@example.com' }, { userId: BOB });
  t.equal(alertSent(r.r), 'identity_mismatch', 'local part compared exactly');
});

t.test("the responder refuses a from that the certificate does not name (E2ED-ID-5)", async (t) => {
  const p = connect({}, {}, { intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, from: 'mallory@example.com' })) });
  t.match(sentAlert(p, 'r'), { alert: 'identity_mismatch' });
});

t.test("the initiator refuses a responder other than the one it asked for (E2ED-ID-6)", async (t) => {
  // The path delivers Alice's Hello for Carol to Bob, rewritten to name Bob; Bob answers as Bob.
  const p = connect({ peerUserId: CAROL_RSA }, { userId: BOB }, {
    intercept: rewriteOnce('i2r', 'InitiatorHello', (h) => ({ ...h, to: BOB })),
  });
  t.match(sentAlert(p, 'i'), { alert: 'identity_mismatch' });
  // A Hello_R whose from names the intended peer but whose certificate is another user's.
  const q = connect({}, {}, {
    intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, certificates: user(CAROL_RSA).chain })),
  });
  t.match(sentAlert(q, 'i'), { alert: 'identity_mismatch' });
});

t.test("the initiator refuses a Hello_R whose to is not its own user ID (E2ED-ID-7)", async (t) => {
  const p = connect({}, {}, { intercept: rewriteOnce('r2i', 'ResponderHello', (h) => ({ ...h, to: CAROL_RSA })) });
  t.same(sentAlert(p, 'i'), { alert: 'identity_mismatch', requirement: 'E2ED-ID-7' });
});

t.test('an initiator cannot be configured to reach itself (E2ED-HS-16)', async (t) => {
  t.throws(() => new Connection(initiatorConfig({ peerUserId: ALICE })).start(), RangeError);
});

t.test('certificate verdicts become the validator alert, at either side', async (t) => {
  const late = new Date(pki.endEntityValidity.notAfter.getTime() + 24 * 3600 * 1000) // a day after the leaves expire;
  const p1 = connect({}, { verifyPeer: pkiVerifier({ time: late }) });
  t.equal(alertSent(p1.r), 'certificate_expired');
  const p2 = connect({ verifyPeer: pkiVerifier({ isRevoked: () => true }) }, {});
  t.equal(alertSent(p2.i), 'certificate_revoked');
  const otherPki = createTestPki({ seed: 'another CA' });
  const p3 = connect({}, {
    verifyPeer: (chain, ctx) => {
      const r = validateChain(chain, { trustAnchors: otherPki.anchors, time: pki.referenceTime, purpose: 'clientAuth', expectedUserId: ctx.expectedUserId });
      return r.ok ? { ok: true, userId: r.userId ?? '', publicKey: r.publicKey } : { ok: false, alert: r.alert, reason: r.detail, requirement: r.requirement };
    },
  });
  t.equal(alertSent(p3.r), 'unknown_ca');
  t.equal(eventsOf(p3.r, 'alert_sent')[0]?.requirement?.startsWith('E2ED-CERT-'), true, 'the validator requirement is carried');
});

t.test('the responder asks the validator for keyEncipherment only when it is the key-transport target', async (t) => {
  const asked: boolean[] = [];
  const spy = (chain: Buffer[], ctx: { expectedUserId?: string; requireKeyEncipherment: boolean }) => {
    asked.push(ctx.requireKeyEncipherment);
    return pkiVerifier()(chain, ctx);
  };
  const p = connect(
    { methods: ['rsa-oaep'], peerUserId: CAROL_RSA, peerCertificateForKeyTransport: user(CAROL_RSA).chain, verifyPeer: spy },
    { userId: CAROL_RSA, verifyPeer: spy },
  );
  t.equal(p.i.conn.state, 'Connected');
  t.same(asked, [false, true], 'R checks I without keyEncipherment; I checks R with it (E2ED-CERT-11)');
});
