// The reference through the door, in-process: the echo responder, the scripted initiator, level 3
// control and the events, with credentials issued by a run environment.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RunEnvironment } from '../../src/run/environment.js';
import { referenceImplementation } from '../../src/iut/reference.js';
import { issueCredentials } from '../../src/iut/credentials.js';
import type { UaEvent } from '../../src/ua/events.js';

t.test('reference door: scripted initiator against the echo responder, then control', async (t) => {
  const env = await RunEnvironment.start({ seed: 'door-ref', slots: 1 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-door-'));
  t.teardown(async () => {
    await env.close();
    await rm(dir, { recursive: true, force: true });
  });
  const slot = env.slots[0]!;
  const ref = referenceImplementation();
  const registry = { host: env.host, port: env.stub.port, caFile: '', ca: env.pki.anchors };
  const signal = new AbortController().signal;
  const responder = await ref.start(
    { caseId: 't', role: 'responder', workDir: dir, credentials: await issueCredentials(path.join(dir, 'r'), slot.responder.identity), listen: { host: env.host, port: 0 }, registry, seed: 's/r', now: env.pki.referenceTime },
    signal,
  );
  t.ok(responder.listening && responder.listening.port > 0, 'the responder reports where it listens');
  const rEvents: UaEvent[] = [];
  responder.onEvent((e) => rEvents.push(e));
  t.equal(rEvents[0]?.event, 'listening', 'events from before the listener was added are replayed');
  const initiator = await ref.start(
    {
      caseId: 't', role: 'initiator', workDir: dir, credentials: await issueCredentials(path.join(dir, 'i'), slot.initiator.identity),
      connect: { host: env.host, port: responder.listening!.port, peerUserId: slot.responder.identity.userId },
      registry, seed: 's/i', now: env.pki.referenceTime, messages: ['one', 'two'],
    },
    signal,
  );
  const iEvents: UaEvent[] = [];
  initiator.onEvent((e) => iEvents.push(e));
  const exit = await initiator.exited;
  t.same(exit, { how: 'exited', code: 0 }, 'the scripted initiator ends by itself');
  const kinds = iEvents.map((e) => e.event);
  t.equal(kinds.filter((k) => k === 'receipt_received').length, 2, 'two Receipts');
  t.equal(kinds.filter((k) => k === 'message_received').length, 2, 'the responder echoed both Messages');
  t.same(iEvents.filter((e) => e.event === 'message_received').map((e) => (e as { text: string }).text), ['one', 'two']);
  t.ok(iEvents.some((e) => e.event === 'closed' && e.how === 'clean'), 'a clean close');
  await responder.stop();
});
