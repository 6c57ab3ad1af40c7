// The `ua` commands as functions (runEnroll, startListen, runSend): enrol through the stub, listen
// with --register, send by user ID with a Receipt; and the error sentences a person sees.
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { runEnroll, runSend, startChat, startListen, registerUaCommands, type CliIo } from '../../src/cli/ua.js';
import { UsageError } from '../../src/cli/run-main.js';
import { IDENTITY_FILES, loadIdentity } from '../../src/ua/identity-store.js';
import { PASSWORD, startStub, type Stub } from './helpers.js';

function capture(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { stdout, stderr, out: () => o, err: () => e };
}

let stub: Stub;
let work: string;
let caFile: string;

t.before(async () => {
  stub = await startStub('ua cli test');
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-ua-cli-'));
  caFile = path.join(work, 'root.pem');
  await stub.server.writeRootCertificate(caFile);
});

t.teardown(async () => {
  await stub.close();
  await fs.rm(work, { recursive: true, force: true });
});

const irp = (): string => `[::1]:${stub.port}`;
const dirOf = (name: string): string => path.join(work, name);

async function rejectsWith(t: Test, p: Promise<unknown>, pattern: RegExp, what: string): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, UsageError, `${what}: a UsageError`);
  t.match((err as Error).message, pattern, what);
  t.ok((err as UsageError).exitCode > 0, `${what}: non-zero exit status`);
  return err as UsageError;
}

t.test('enroll leaves the key (0600), chain, anchors and registry address on disk', async (t) => {
  const io = capture();
  await runEnroll({ irp: irp(), ca: caFile, user: 'alice@example.com', password: PASSWORD, dir: dirOf('alice') }, io);
  t.match(io.out(), /enrolled alice@example.com/);
  const id = await loadIdentity(dirOf('alice'));
  t.equal(id.userId, 'alice@example.com');
  t.match(new X509Certificate(id.chain[0]!).subjectAltName, /email:alice@example.com/);
  t.equal((await fs.stat(path.join(dirOf('alice'), IDENTITY_FILES.key))).mode & 0o777, 0o600);
  t.same(id.registry, { host: '::1', port: stub.port });
  await runEnroll({ irp: irp(), ca: caFile, user: 'bob@example.com', password: PASSWORD, dir: dirOf('bob'), keyType: 'ed25519' }, capture());
});

t.test('listen --register, then send by user ID: delivered with a Receipt', async (t) => {
  const listenIo = capture();
  const bob = await startListen({ dir: dirOf('bob'), port: 0, host: '::1', register: true }, listenIo);
  t.teardown(() => bob.stop());
  const sendIo = capture();
  await runSend({ dir: dirOf('alice'), to: 'bob@example.com', text: 'hi bob, from the CLI' }, sendIo);
  t.match(sendIo.out(), /connected to bob@example.com \(verified\) with E2ED 1\.0/);
  t.match(sendIo.out(), /delivered to bob@example.com \(Receipt received\)/);
  // The listener's JSON-lines events: registered, then the message with the verified sender.
  const events = listenIo
    .out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(events.some((e) => e.event === 'registered' && e.user === 'bob@example.com'));
  t.ok(events.some((e) => e.event === 'message_received' && e.from === 'alice@example.com' && e.text === 'hi bob, from the CLI'));
  t.ok(events.some((e) => e.event === 'closed' && e.how === 'clean'));
});

t.test('error sentences', async (t) => {
  t.test('registry unreachable', async (t) => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '::1', () => resolve()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await rejectsWith(
      t,
      runEnroll({ irp: `[::1]:${port}`, ca: caFile, user: 'carol@example.com', password: PASSWORD, dir: dirOf('carol') }, capture()),
      /registry at \[::1\]:\d+ is unreachable \(ECONNREFUSED\)/,
      'enroll against a closed port',
    );
  });

  t.test('wrong password', async (t) => {
    await rejectsWith(
      t,
      runEnroll({ irp: irp(), ca: caFile, user: 'carol@example.com', password: 'nope', dir: dirOf('carol') }, capture()),
      /refused the credentials for carol@example.com/,
      'enroll with a wrong password',
    );
  });

  t.test('unknown user', async (t) => {
    await rejectsWith(
      t,
      runSend({ dir: dirOf('alice'), to: 'nobody@example.com', text: 'x' }, capture()),
      /unknown user nobody@example.com/,
      'send to a user the registry does not know',
    );
  });

  t.test('no identity directory', async (t) => {
    await rejectsWith(t, runSend({ dir: dirOf('missing'), to: 'bob@example.com', text: 'x' }, capture()), /does not exist; run "sixbench ua enroll/, 'send without enrolling');
  });

  t.test('unknown --bug knob', async (t) => {
    await rejectsWith(t, runSend({ dir: dirOf('alice'), to: 'bob@example.com', text: 'x', bug: ['hello.noSuchKnob'] }, capture()), /unknown --bug knob "hello.noSuchKnob"/, '--bug with an unknown knob');
  });

  t.test('certificate rejected (with the reason) and peer refused (with the alert)', async (t) => {
    await runEnroll({ irp: irp(), ca: caFile, user: 'dave@example.com', password: PASSWORD, dir: dirOf('dave') }, capture());
    const dave = await startListen({ dir: dirOf('dave'), port: 0, host: '::1', register: true }, capture());
    t.teardown(() => dave.stop());
    // Our corrupted CertificateVerify: dave refuses it.
    await rejectsWith(
      t,
      runSend({ dir: dirOf('alice'), to: 'dave@example.com', text: 'x', bug: ['certificateVerify.corruptSignature'] }, capture()),
      /^dave@example.com refused the connection with alert decrypt_error\.$/,
      'our corrupted signature: the peer refuses',
    );
    // Our Hello names someone else as `to`: dave refuses before any key is derived.
    await rejectsWith(
      t,
      runSend({ dir: dirOf('alice'), to: 'dave@example.com', text: 'x', bug: ['hello.wrongTo'] }, capture()),
      /^dave@example.com refused the connection with alert identity_mismatch\.$/,
      'a Hello naming someone else',
    );
    // The registry's signed status says dave's certificate is revoked: we reject it, with the reason.
    stub.server.setLies({ revokedStatus: true });
    t.teardown(() => stub.server.setLies({}));
    await rejectsWith(
      t,
      runSend({ dir: dirOf('alice'), to: 'dave@example.com', text: 'x' }, capture()),
      /^the certificate of dave@example.com was rejected: .*revoked.* \(alert certificate_revoked\)\.$/,
      'a revoked peer certificate',
    );
  });
});

t.test('chat: two people find each other by user ID and talk; /quit closes cleanly', async (t) => {
  const bobIn = new PassThrough();
  const bobIo = { ...capture(), stdin: bobIn };
  const bob = await startChat({ dir: dirOf('bob') }, bobIo);
  const aliceIn = new PassThrough();
  const aliceIo = { ...capture(), stdin: aliceIn };
  const alice = await startChat({ dir: dirOf('alice'), to: 'bob@example.com' }, aliceIo);
  t.match(aliceIo.out(), /talking to bob@example.com \(certificate verified\) - E2ED 1\.0/);
  const bobSees = new Promise<void>((resolve) => {
    bobIo.stdout.on('data', () => {
      if (bobIo.out().includes('<alice@example.com> hello from alice')) resolve();
    });
  });
  aliceIn.write('hello from alice\n');
  await bobSees;
  const aliceSeesLeave = new Promise<void>((resolve) => {
    aliceIo.stdout.on('data', () => {
      if (/bob@example.com left \(clean/.test(aliceIo.out())) resolve();
    });
  });
  bobIn.write('/quit\n');
  await bob.done;
  await aliceSeesLeave;
  aliceIn.end();
  await alice.done;
  t.match(bobIo.out(), /talking to alice@example.com/);
  t.match(bobIo.out(), /\* bye/);
});

t.test('every ua command has --help', async (t) => {
  for (const sub of ['enroll', 'listen', 'send', 'chat']) {
    const program = new Command().exitOverride();
    let help = '';
    program.configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
    registerUaCommands(program);
    for (const c of program.commands) {
      c.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
      for (const cc of c.commands) cc.exitOverride().configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
    }
    await program.parseAsync(['node', 'sixbench', 'ua', sub, '--help']).catch(() => undefined);
    t.match(help, new RegExp(`Usage: sixbench ua ${sub}`), `ua ${sub} --help`);
  }
});
