// A hostile or broken implementation never breaks a run (issue 8 §5): each program of
// test/iut/hostile/ through the process driver, then through a whole run.
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IutStartError } from '../../src/iut/errors.js';
import type { IutStartRequest } from '../../src/iut/door.js';
import type { UaEvent } from '../../src/ua/events.js';
import { OUTPUT_CAP_BYTES } from '../../src/iut/process.js';
import { dummyCredentials, hostileIut, pidAlive } from './helpers.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'sixbench-hostile-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

function request(extra: Partial<IutStartRequest> = {}): IutStartRequest {
  return { caseId: 'hostile', role: 'responder', workDir: dir, credentials: dummyCredentials(dir), listen: { host: '127.0.0.1', port: 0 }, seed: 's', ...extra };
}

async function startFails(t: Test, script: string, problem: string, over: Record<string, unknown> = {}): Promise<IutStartError> {
  const iut = hostileIut(dir, script, over);
  const err = await iut.start(request(), new AbortController().signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof IutStartError, `${script}: the start fails with a reason`);
  t.equal((err as IutStartError).problem, problem, `${script}: ${problem}`);
  return err as IutStartError;
}

t.test('never listens: not ready within the start deadline, stopped', async (t) => {
  const err = await startFails(t, 'never-listens.mjs', 'not-ready', { startTimeoutMs: 1000 });
  t.match(err.message, /printed no \{"event":"listening","port":N\} line within 1000 ms/);
});

t.test('exits before it is ready: the exit status and its last words', async (t) => {
  const err = await startFails(t, 'exits-early.mjs', 'exited');
  t.match(err.message, /exited with status 3 before it was ready/);
  t.match(err.message, /cannot open my configuration/);
});

t.test('exit status 127: not supported', async (t) => {
  await startFails(t, 'unsupported.mjs', 'unsupported');
});

t.test('a command that does not exist never starts', async (t) => {
  const err = await startFails(t, 'hangs.mjs', 'not-started', { command: [path.join(dir, 'no-such-program'), '{listen_port}'] }).catch((e: unknown) => e);
  // loadIutConfig refuses it first (bad input, nothing started)
  t.match(String((err as Error).message), /no-such-program|not an executable/);
});

t.test('garbage on standard output is evidence, never a crash; the listening line still counts', async (t) => {
  const iut = hostileIut(dir, 'garbage-events.mjs');
  const inst = await iut.start(request(), new AbortController().signal);
  t.ok(inst.listening && inst.listening.port > 0, 'ready despite the garbage before the listening line');
  const events: UaEvent[] = [];
  inst.onEvent((e) => events.push(e));
  t.same(events.map((e) => e.event), ['listening'], 'only the well-formed event came through');
  await inst.stop();
  const d = inst.diagnostics!();
  t.equal(d.garbageLines, 6, 'six lines that are not events, counted');
  t.match(d.garbage.join('\n'), /not JSON: hello/);
  t.match(d.garbage.join('\n'), /closed with an unknown "how"/);
  t.match(d.garbage.join('\n'), /a line over 65536 bytes/);
});

t.test('floods standard output: capped, and the run goes on', async (t) => {
  const iut = hostileIut(dir, 'floods-stdout.mjs');
  const inst = await iut.start(request(), new AbortController().signal);
  await new Promise((r) => setTimeout(r, 300));
  const exit = await inst.stop();
  t.equal(exit.how, 'killed');
  const d = inst.diagnostics!();
  t.ok(d.stdoutHead.length <= OUTPUT_CAP_BYTES, 'what is kept is capped');
  t.ok(d.droppedBytes > 0, 'the rest is counted, not kept');
});

t.test('ignores SIGTERM: SIGKILL after the grace, and it is said', async (t) => {
  const iut = hostileIut(dir, 'ignores-sigterm.mjs');
  const inst = await iut.start(request(), new AbortController().signal);
  await new Promise((r) => setTimeout(r, 100));
  const exit = await inst.stop();
  t.equal(exit.how, 'killed');
  t.match(inst.diagnostics!().notes.join('\n'), /did not end within 300 ms of SIGTERM: SIGKILL/);
});

t.test('leaves children: the whole process group is killed', async (t) => {
  const iut = hostileIut(dir, 'leaves-children.mjs');
  const inst = await iut.start(request(), new AbortController().signal);
  let childPid: number | undefined;
  inst.onEvent((e) => {
    if ((e as { event: string }).event === 'child') childPid = (e as unknown as { pid: number }).pid;
  });
  t.ok(childPid && pidAlive(childPid), 'its child runs');
  await inst.stop();
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(pidAlive(childPid!), 'the child is gone too');
});

