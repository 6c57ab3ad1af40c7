// Issue 13 §4, `ua chat`: your own /quit is not reported as the other person leaving; "left" is
// printed once; /help is a local command that lists the commands and is never sent; a user's
// identity goes to the user's data folder, not the current folder, unless --dir says otherwise.
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultIdentityDir, runEnroll, startChat } from '../../src/cli/ua.js';
import { PASSWORD, startStub, type Stub } from './helpers.js';

function person(): { stdout: PassThrough; stderr: PassThrough; stdin: PassThrough; out: () => string; until: (re: RegExp) => Promise<void> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', () => undefined);
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    out: () => o,
    // Event-driven: resolves once the output matches (the test's own time limit bounds it).
    until: (re) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (re.test(o)) {
            stdout.off('data', check);
            resolve();
          }
        };
        stdout.on('data', check);
        check();
      }),
  };
}

let stub: Stub;
let work: string;
t.before(async () => {
  stub = await startStub('ua chat test');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-chat-'));
  const ca = path.join(work, 'root.pem');
  await stub.server.writeRootCertificate(ca);
  for (const name of ['alice', 'bob']) {
    const io = person();
    await runEnroll({ irp: `[::1]:${stub.port}`, ca, user: `${name}@example.com`, password: PASSWORD, dir: path.join(work, name) }, io);
  }
});
t.teardown(async () => {
  await stub.close();
  await fs.rm(work, { recursive: true, force: true });
});

t.test('own /quit, the peer leaving, and /help', { timeout: 60_000 }, async (t) => {
  const bob = person();
  const bobChat = await startChat({ dir: path.join(work, 'bob') }, bob);
  const alice = person();
  const aliceChat = await startChat({ dir: path.join(work, 'alice'), to: 'bob@example.com' }, alice);
  await bob.until(/talking to alice@example.com/);

  alice.stdin.write('/help\n');
  await alice.until(/\/quit/);
  t.match(alice.out(), /\/help +.*\n.*\/quit +/s, '/help lists the commands');
  alice.stdin.write('after help\n');
  await bob.until(/<alice@example\.com> after help/);
  t.notMatch(bob.out(), /<alice@example\.com> \/help/, '/help was not sent to the peer');

  bob.stdin.write('/quit\n');
  await bobChat.done;
  await alice.until(/bob@example\.com left/);
  alice.stdin.end();
  await aliceChat.done;
  t.notMatch(bob.out(), /alice@example\.com left/, "bob's own /quit is not reported as alice leaving");
  t.match(bob.out(), /conversation with alice@example\.com closed/, 'bob is told his conversation closed');
  t.equal(alice.out().match(/left/g)?.length, 1, `"left" printed once on alice's side:\n${alice.out()}`);
});

t.test('without --dir, enroll writes the identity to the data folder, says where, and chat finds it by --user', async (t) => {
  t.equal(defaultIdentityDir('carol@example.com', { XDG_DATA_HOME: '/data' }), '/data/sixbench/identities/carol@example.com');
  t.equal(defaultIdentityDir('carol@example.com', { XDG_DATA_HOME: 'relative' }), path.join(os.homedir(), '.local', 'share', 'sixbench', 'identities', 'carol@example.com'), 'a relative XDG_DATA_HOME is ignored, as the XDG spec says');
  const previous = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = path.join(work, 'data');
  t.teardown(() => {
    if (previous === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = previous;
  });
  const io = person();
  const passwordFile = path.join(work, 'carol-password');
  await fs.writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  await runEnroll({ irp: `[::1]:${stub.port}`, ca: path.join(work, 'root.pem'), user: 'carol@example.com', passwordFile }, io);
  const expected = path.join(work, 'data', 'sixbench', 'identities', 'carol@example.com');
  t.equal(io.out(), `enrolled carol@example.com: key, certificate chain and trust anchors written to ${expected}\n`);
  t.ok((await fs.stat(path.join(expected, 'key.pem'))).isFile());
  const carol = person();
  const chat = await startChat({ user: 'carol@example.com' }, carol);
  t.match(carol.out(), /^carol@example\.com: registered at /);
  carol.stdin.end();
  await chat.done;
});
