// Endpoint mode (--iut-endpoint): a UA already listening, from a PKI of its own, that the bench
// cannot start. Responder-side cases at level 1 (the interop matrix by the echo model), all against
// the one address; the rest is a skip naming the missing capability.
import t from 'tap';
import { createTestPki } from '../../src/pki/ca.js';
import { UserAgent } from '../../src/ua/agent.js';
import { endpointImplementation } from '../../src/iut/endpoint.js';
import { runConformance } from '../../src/run/runner.js';

t.test('a foreign UA on its own address', async (t) => {
  const seed = 'endpoint';
  const benchPki = createTestPki({ seed }); // the run's PKI: the endpoint must trust its root
  const own = createTestPki({ seed: 'the endpoint operator', domain: 'example.org' });
  const user = own.issueUser(`bob@${own.domain}`);
  const ua = new UserAgent({
    identity: { userId: user.userId, privateKey: user.privateKey, chain: user.chain, trustAnchors: benchPki.anchors },
    now: () => benchPki.referenceTime,
  });
  ua.onConnection((conn) => conn.on('message', (m: { text: string }) => conn.connected && conn.sendText(m.text)));
  const at = await ua.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => ua.close());
  const iut = endpointImplementation({ host: at.address, port: at.port, userId: user.userId, anchors: own.anchors });
  const report = await runConformance({ seed, iut, caseIds: ['interop.x25519.aes-256-gcm.i2r', 'cert.expired', 'knob.hello.offerOnlyNullCipher'] });
  const v = Object.fromEntries(report.cases.map((c) => [c.id, `${c.verdict}${c.verdict === 'skip' ? ` ${c.reason}` : ''}`]));
  t.equal(v['sanity.first'], 'pass', 'the echo sanity case');
  t.equal(v['cert.expired@responder'], 'pass', 'it refuses the expired chain');
  t.equal(v['knob.hello.offerOnlyNullCipher@responder'], 'pass', 'it detects the knob');
  t.match(v['interop.x25519.aes-256-gcm.i2r@initiator'], /skip the IUT lacks role initiator/);
  t.equal(v['interop.x25519.aes-256-gcm.i2r@responder'], 'pass', 'the matrix case, as far as the wire can judge an echo responder');
  const r = report.cases.find((c) => c.id === 'cert.expired@responder');
  t.match(r?.iut?.checks.join('\n'), /not checked: the responder \(IUT\) side \(level 1: no events\)/, 'says which checks ran');
  t.match(report.iut?.command, [/--iut-endpoint 127.0.0.1:\d+/]);
});
