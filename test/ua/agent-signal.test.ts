// UserAgent's signal (issue 13 §1): aborted, the agent stops listening, cuts its connections at
// once (no close_notify awaited) and refuses to listen or connect again; close() refuses them too.
import t from 'tap';
import net from 'node:net';
import { UserAgent } from '../../src/ua/agent.js';
import { enrol, startStub, type Stub } from './helpers.js';

let stub: Stub;
t.before(async () => {
  stub = await startStub('agent signal test');
});
t.teardown(() => stub.close());

t.test('an aborted signal ends the listener and every connection, and nothing new opens', async (t) => {
  const [alice, bob] = [await enrol(stub, 'alice@example.com'), await enrol(stub, 'bob@example.com')];
  const controller = new AbortController();
  const responder = new UserAgent({ identity: bob, signal: controller.signal, handshakeTimeoutMs: 60_000 });
  const { address, port } = await responder.listen({ port: 0, host: '::1' });
  // A client that never speaks: its connection would otherwise live until the handshake timer.
  const silent = net.connect({ host: address, port });
  silent.on('error', () => undefined);
  await new Promise<void>((resolve) => responder.onConnection(() => resolve()));
  const closed = new Promise<void>((resolve) => silent.on('close', () => resolve()));
  controller.abort();
  await closed;
  t.pass('the accepted connection was cut');
  await t.rejects(responder.listen({ port: 0, host: '::1' }), { message: 'this user agent was closed: it cannot listen' });
  await responder.close();
  const refused = net.connect({ host: address, port });
  const outcome = await new Promise<string>((resolve) => {
    refused.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    refused.on('connect', () => resolve('connected'));
  });
  refused.destroy();
  t.equal(outcome, 'ECONNREFUSED', 'nothing listens any more');

  const initiator = new UserAgent({ identity: alice });
  await initiator.close();
  await t.rejects(initiator.connectTo({ address, port, peerUserId: bob.userId }), { message: 'this user agent was closed: it cannot connect' });
});
