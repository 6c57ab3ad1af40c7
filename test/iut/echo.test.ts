// The echo model (src/run/iut-echo.ts): below level 3 an interop conversation runs as far as the
// wire can judge it, and it fails when the IUT does not echo, echoes the wrong text, ignores a
// KeyUpdate or does not switch its keys; the reference at level 1 and 2 passes. The broken IUTs
// are the reference started in control mode (so it does not echo by itself) with a flawed echo of
// their own, or the reference with a knob.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadIutConfig } from '../../src/iut/config.js';
import { processImplementation } from '../../src/iut/process.js';
import { referenceImplementation, startReference } from '../../src/iut/reference.js';
import { runConformance } from '../../src/run/runner.js';
import { referenceCommandUnavailable, referenceIutFile } from './helpers.js';
import type { ImplementationUnderTest } from '../../src/iut/door.js';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { RunEnvironment } from '../../src/run/environment.js';
import { echoModel, judgeEchoes, judgeScriptedMessages } from '../../src/run/iut-echo.js';
import { planIutCases } from '../../src/run/iut-plan.js';
import { executeIutCase } from '../../src/run/iut-run.js';
import type { CaseResult, CaseSpec, Conversation } from '../../src/run/model.js';

const catalogue = loadCatalogue();
const conversationOf = (id: string): Conversation => {
  const spec = catalogue.find((c) => c.id === id)!;
  if (spec.action.kind !== 'conversation') throw new Error(`${id} is not a conversation`);
  return spec.action.conversation;
};

t.test('the matrix case driven by the initiator, the IUT as echo responder', async (t) => {
  const m = echoModel(conversationOf('interop.x25519.aes-256-gcm.i2r'), 'responder');
  t.same(m.conversation.steps, [
    { do: 'handshake' },
    { do: 'message', from: 'initiator' },
    { do: 'keyUpdate', from: 'initiator', request: true },
    { do: 'message', from: 'initiator' },
    { do: 'close', from: 'initiator' },
  ], "the reference's steps stay; the responder's own Messages are dropped (its echoes stand for them)");
  t.match(m.conversation.expect.initiator, { delivered: 0, receipts: 2, receiveGeneration: 1, sendGeneration: 1, closed: ['clean'] }, 'the echoes are added at run time (expectationsFor), the answer to the requested KeyUpdate is kept');
  t.match(m.conversation.expect.responder, { delivered: 2, receipts: 0, receiveGeneration: 1, sendGeneration: 1 });
  t.ok(m.judgesSomething);
  t.match(m.notChecked.join('\n'), /not checked: 2 Messages from the responder \(IUT\)/);
});

t.test('the matrix case driven by the responder, the IUT as echo responder', async (t) => {
  const m = echoModel(conversationOf('interop.x25519.aes-256-gcm.r2i'), 'responder');
  t.same(m.conversation.steps, [{ do: 'handshake' }, { do: 'message', from: 'initiator' }, { do: 'message', from: 'initiator' }, { do: 'close', from: 'initiator' }]);
  t.match(m.conversation.expect.initiator, { receipts: 2, receiveGeneration: 0, sendGeneration: 0 }, "the responder's own KeyUpdate (and the answer to it) taken out of the expectation");
  t.match(m.notChecked.join('\n'), /own KeyUpdate \(with request="true"\)[^\n]*\n.*closing on its own/s);
});

t.test('the IUT as scripted initiator gets every Message of its side on its command line', async (t) => {
  const m = echoModel(conversationOf('interop.x25519.aes-256-gcm.r2i'), 'initiator');
  t.same(m.conversation.steps, [{ do: 'handshake' }, { do: 'message', from: 'initiator', count: 2 }, { do: 'close', from: 'initiator' }]);
  t.match(m.conversation.expect.responder, { delivered: 2, receipts: 0, receiveGeneration: 0, sendGeneration: 0 });
  t.match(m.notChecked.join('\n'), /2 Messages from the responder \(reference\)/);
});

t.test('what judges nothing beyond the sanity case stays a skip, with the capability named', async (t) => {
  const ping = echoModel(conversationOf('interop.ping.i2r'), 'initiator');
  t.notOk(ping.judgesSomething, 'the scripted initiator can neither Ping nor wait for one');
  t.ok(echoModel(conversationOf('interop.ping.i2r'), 'responder').judgesSomething, "the reference's Ping to an echo responder");
  t.ok(echoModel(conversationOf('interop.method.none-supported'), 'initiator').judgesSomething, 'a handshake-only case is judged as it is');
  const plan = planIutCases(catalogue, referenceImplementation({ capabilities: { level: 1 } }));
  const skip = plan.cases.find((c) => c.id === 'interop.ping.i2r@initiator')!;
  t.match(skip.disabled, /lacks level 3 \(control\): the IUT must ping, close on command/);
  const run = plan.cases.find((c) => c.id === 'interop.p256.chacha20-poly1305.r2i@responder')!;
  t.equal(run.disabled, undefined);
  t.ok(run.iut?.notChecked?.length, 'the case carries what it does not check');
  const l3 = planIutCases(catalogue, referenceImplementation()).cases.find((c) => c.id === 'interop.p256.chacha20-poly1305.r2i@responder')!;
  t.same(l3.action, catalogue.find((c) => c.id === 'interop.p256.chacha20-poly1305.r2i')!.action, 'level 3: the case as written');
});

t.test('the echoes and the scripted Messages, judged by their texts', async (t) => {
  const sent = [{ text: 'message 1 from the initiator', generation: 0 }, { text: 'message 2 from the initiator', generation: 1 }];
  t.same(judgeEchoes(sent, [{ text: 'message 1 from the initiator', generation: 0 }, { text: 'message 2 from the initiator', generation: 1 }]), []);
  t.match(judgeEchoes(sent, [{ text: 'MESSAGE 1 FROM THE INITIATOR', generation: 0 }]), [/echo of Message 1 carried "MESSAGE 1/]);
  t.match(judgeEchoes(sent, [sent[0]!, { text: 'message 2 from the initiator', generation: 0 }]), [/E2ED-REC-10: the echo of Message 2 came under receiving generation 0, expected 1/]);
  t.match(judgeEchoes([], [{ text: 'x', generation: 0 }]), [/did not send was echoed/]);
  t.same(judgeScriptedMessages(['a', 'b'], ['a', 'b']), []);
  t.match(judgeScriptedMessages(['a', 'b'], ['b']), [/Message 1 carried "b", expected "a"/]);
});

// --- Against running implementations (in-process, through the door) ---

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-echo-'));
const env = await RunEnvironment.start({ seed: 'echo-model', slots: 1 });
t.teardown(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

type Flaw = 'no-echo' | 'wrong-text';
/** The reference as a level 1/2 responder whose echo is flawed (commanded by the test, not by the bench). */
function flawedEcho(level: 1 | 2, flaw: Flaw): ImplementationUnderTest {
  const base = referenceImplementation({ capabilities: { level } });
  return {
    ...base,
    name: `echo-${flaw}`,
    start: async (request, signal) => {
      const inst = await startReference({ ...request, drive: 'control' }, signal);
      inst.onEvent((ev) => {
        if (ev.event === 'message_received' && flaw === 'wrong-text') inst.control!.send(ev.text.toUpperCase());
      });
      return inst;
    },
  };
}

async function runCase(iut: ImplementationUnderTest, id: string): Promise<CaseResult> {
  const spec: CaseSpec = planIutCases(catalogue, iut).cases.find((c) => c.id === id)!;
  if (spec.disabled) return { id, suite: spec.suite, title: spec.title, requirements: spec.requirements, verdict: 'skip', reason: spec.disabled };
  const base = { id: spec.id, suite: spec.suite, title: spec.title, requirements: spec.requirements };
  return executeIutCase(spec, base, { env, slot: env.slots[0]!, seed: `echo/${id}`, signal: AbortSignal.timeout(20_000), iut, workRoot: dir }, (mismatches, extra) => ({ requirements: [], expected: '', mismatches, ...extra }));
}

const MATRIX = ['interop.x25519.aes-256-gcm.i2r', 'interop.x25519.chacha20-poly1305.r2i'];

for (const level of [1, 2] as const) {
  t.test(`level ${level}: the reference passes every echo-model case`, async (t) => {
    const iut = referenceImplementation({ capabilities: { level } });
    for (const id of [...MATRIX.flatMap((m) => [`${m}@responder`, `${m}@initiator`]), 'interop.ping.i2r@responder', 'interop.ping.r2i@responder', 'interop.version.legacy-0.9@initiator', 'interop.version.1.0-preferred@responder', 'interop.alert.plaintext-alert-after-fin-i@responder']) {
      const r = await runCase(iut, id);
      t.equal(r.verdict, 'pass', `${id}: ${r.reason ?? ''}`);
      if (id.includes('.i2r@responder') && !id.includes('ping')) {
        const checks = r.iut?.checks.join('\n');
        t.match(checks, /the echoes: the text of each Message/, 'the checks say what ran');
        t.match(checks, /not checked: 2 Messages from the responder \(IUT\)/, 'and what did not');
      }
    }
  });

  t.test(`level ${level}: a responder that does not echo fails, judged, not an error`, async (t) => {
    const r = await runCase(flawedEcho(level, 'no-echo'), `${MATRIX[0]}@responder`);
    t.equal(r.verdict, 'fail');
    t.match(r.reason, /initiator messages delivered: expected 2, got 0|delivered/);
  });

  t.test(`level ${level}: a responder that echoes another text fails`, async (t) => {
    const r = await runCase(flawedEcho(level, 'wrong-text'), `${MATRIX[0]}@responder`);
    t.equal(r.verdict, 'fail');
    t.match(r.evidence?.mismatches.join('\n'), /echo of Message 1 carried "MESSAGE 1 FROM THE INITIATOR", expected "message 1 from the initiator"/);
  });

  t.test(`level ${level}: a responder that ignores the requested KeyUpdate fails`, async (t) => {
    const r = await runCase(referenceImplementation({ capabilities: { level }, knobs: ['keyUpdate.ignoreRequest'] }), `${MATRIX[0]}@responder`);
    t.equal(r.verdict, 'fail');
    t.match(r.evidence?.mismatches.join('\n'), /initiator receive key generation: expected 1, got 0/);
  });

  t.test(`level ${level}: a responder that answers the KeyUpdate but keeps its old sending key fails`, async (t) => {
    const r = await runCase(referenceImplementation({ capabilities: { level }, knobs: ['keyUpdate.dontSwitchKeys'] }), `${MATRIX[0]}@responder`);
    t.equal(r.verdict, 'fail', 'the echo after the KeyUpdate does not open under the new generation');
    t.match(r.evidence?.mismatches.join('\n'), /bad_record_mac|alert/);
  });
}

t.test('level 1: a scripted initiator that sends other texts than it was given fails', async (t) => {
  const base = referenceImplementation({ capabilities: { level: 1 } });
  const iut: ImplementationUnderTest = { ...base, start: (request, signal) => startReference({ ...request, messages: (request.messages ?? []).map((m) => `${m}!`) }, signal) };
  const r = await runCase(iut, `${MATRIX[1]}@initiator`);
  t.equal(r.verdict, 'fail');
  t.match(r.evidence?.mismatches.join('\n'), /scripted initiator's Message 1 carried "message 1 from the initiator!"/);
});

// The reference as a command (sixbench shim, examples/reference.json) declaring level 1: the echo
// responder and the scripted initiator of src/iut/reference.ts pass the echo-model cases. Level 2
// adds only the events, which the in-process level 2 test above and every level 3 adapter test
// (test/iut/equality.test.ts) read through the same process driver.
for (const level of [1] as const) {
  t.test(`the shim at level ${level} passes the echo-model cases`, { skip: referenceCommandUnavailable() ?? false }, async (t) => {
    const file = referenceIutFile(dir, [], `reference-level-${level}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { capabilities: { level: number } };
    doc.capabilities.level = level;
    writeFileSync(file, JSON.stringify(doc));
    const caseIds = ['interop.p256.aes-256-gcm.i2r', 'interop.rsa-oaep.chacha20-poly1305.r2i', 'interop.ping.r2i', 'interop.alert.plaintext-alert-after-fin-i'];
    const report = await runConformance({ seed: `echo-shim-${level}`, caseIds, iut: processImplementation(loadIutConfig(file)) });
    t.same(
      report.cases.filter((c) => c.verdict !== 'pass').map((c) => `${c.id} ${c.verdict}`),
      ['interop.ping.r2i@initiator skip'],
      'all pass but the Ping a scripted initiator cannot send',
    );
  });
}
