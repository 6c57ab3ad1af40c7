// What a verdict rests on at each level (issue 8 §2): at level 1 only the reference's side (the
// wire) is judged and the IUT's side is said not checked; from level 2 the IUT's events are judged
// too; a case that needs the IUT to act on command is a skip naming level 3. The reference through
// the door in-process, declaring less than it can.
import t from 'tap';
import { referenceImplementation } from '../../src/iut/reference.js';
import { runConformance } from '../../src/run/runner.js';
import type { RunReport } from '../../src/run/report.js';

const caseIds = ['interop.x25519.aes-256-gcm.i2r', 'cert.expired', 'knob.hello.offerOnlyNullCipher', 'knob.hello.selectUnofferedCipher', 'interop.ping.i2r'];
const byId = (r: RunReport, id: string) => r.cases.find((c) => c.id === id)!;

for (const level of [1, 2] as const) {
  t.test(`level ${level}`, async (t) => {
    const report = await runConformance({ seed: `levels-${level}`, caseIds, iut: referenceImplementation({ capabilities: { level } }) });
    t.equal(byId(report, 'sanity.first').verdict, 'pass', 'sanity (echo responder)');
    // The echo model (src/run/iut-echo.ts): the matrix case runs, as far as the wire can judge it.
    const matrix = byId(report, 'interop.x25519.aes-256-gcm.i2r@responder');
    t.equal(matrix.verdict, 'pass', 'the echo responder in the matrix');
    t.match(matrix.iut!.checks.join('\n'), /not checked: 2 Messages from the responder \(IUT\)/);
    const cert = byId(report, 'cert.expired@responder');
    t.equal(cert.verdict, 'pass', 'the expired chain is refused (seen on the wire)');
    const checks = cert.iut!.checks.join('\n');
    if (level === 1) t.match(checks, /not checked: the responder \(IUT\) side \(level 1: no events\)/);
    else t.match(checks, /the responder \(IUT\) side, from its events \(level 2\)/);
    // The scripted initiator at level 1 and 2: connect, (no Messages), end.
    t.equal(byId(report, 'knob.hello.selectUnofferedCipher@initiator').verdict, 'pass', 'the scripted initiator detects the knobbed responder');
    t.equal(byId(report, 'knob.hello.offerOnlyNullCipher@responder').verdict, 'pass');
    t.equal(byId(report, 'interop.ping.i2r@responder').verdict, 'pass', "the reference's Ping, answered by the echo responder");
    t.match(byId(report, 'interop.ping.i2r@initiator'), { verdict: 'skip', reason: /lacks level 3 \(control\): the IUT must ping, close on command/ }, 'the scripted initiator can only connect and close');
  });
}

t.test('level 1: every verdict says that the IUT side was not checked', async (t) => {
  const report = await runConformance({ seed: 'levels-blind', caseIds: ['cert.expired'], iut: referenceImplementation({ capabilities: { level: 1 } }) });
  t.ok(report.cases.every((c) => c.verdict === 'pass'));
  t.ok(report.cases.filter((c) => c.id !== 'sanity.first' && c.id !== 'sanity.last').every((c) => c.iut!.checks.some((x) => x.startsWith('not checked'))));
});
