// src/run/case-scope.ts: what a case adopted is released, most recent first, when it ends; a step
// that goes on after the end cannot open anything; waits end with the case; a release that never
// finishes is reported by name after the grace, not waited on forever.
import t from 'tap';
import { CaseEnded, CaseScope } from '../../src/run/case-scope.js';

t.test('releases most recent first, and reports nothing left', async (t) => {
  const scope = new CaseScope(new AbortController().signal);
  const order: string[] = [];
  scope.adopt('a server', 's', () => order.push('server'));
  scope.adopt('a connection', 'c', async () => {
    await Promise.resolve();
    order.push('connection');
  });
  t.same(await scope.release(1000), []);
  t.same(order, ['server', 'connection'], 'both released; the connection started first');
});

t.test('after the end, adopt releases at once and throws CaseEnded', async (t) => {
  const controller = new AbortController();
  const scope = new CaseScope(controller.signal);
  controller.abort();
  let released = false;
  t.throws(() => scope.adopt('a late socket', 'x', () => (released = true)), CaseEnded);
  await Promise.resolve();
  t.equal(released, true);
});

t.test('wait rejects with CaseEnded when the case ends first, and passes values through otherwise', async (t) => {
  const controller = new AbortController();
  const scope = new CaseScope(controller.signal);
  t.equal(await scope.wait(Promise.resolve(7), 'seven'), 7);
  const never = scope.wait(new Promise<never>(() => undefined), 'a relay to close');
  controller.abort();
  await t.rejects(never, { name: 'CaseEnded', message: 'the case ended (time limit or interruption) while waiting for a relay to close' });
});

t.test('a release that never finishes is named after the grace; tracked work too', async (t) => {
  const scope = new CaseScope(new AbortController().signal);
  scope.adopt('a stuck server', 's', () => new Promise(() => undefined));
  scope.track('the check itself', new Promise(() => undefined));
  scope.adopt('a socket', 'x', () => undefined);
  t.same((await scope.release(20)).sort(), ['a stuck server', 'the check itself']);
});
