// Issue 13 §4 and §3: option values are checked when parsed, before any work (no identity read, no
// registry look-up), with a message naming the option; unbracketed IPv6 HOST:PORT; passwords
// read from a file or standard input instead of the command line (visible in ps).
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHostPort } from '../../src/ua/identity-store.js';
import { parseLimit } from '../../src/cli/irp.js';
import { sixbench } from './sixbench.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sixbench-values-'));
t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
// An identity folder that does not exist: a value checked only after the identity is read (or the
// registry asked) would fail on the folder instead, with another message.
const nowhere = path.join(dir, 'no-identity');

t.test('seeds are checked when parsed, on every command that takes one', async (t) => {
  for (const args of [
    ['ua', 'send', '--dir', nowhere, '--to', 'bob@example.com', '--text', 'x', '--seed', 'bad seed!'],
    ['irp', 'serve', '--port', '0', '--seed', 'bad seed!'],
    ['vectors', 'generate', '--out', path.join(dir, 'v'), '--no-spec', '--seed', 'bad seed!'],
  ]) {
    const r = await sixbench(args);
    t.equal(r.exitCode, 2, `${args.slice(0, 2).join(' ')}: exit 2`);
    t.match(r.stderr, /option '--seed <[A-Za-z]+>' argument 'bad seed!' is invalid\. a seed is 1 to 64 letters/, `${args.slice(0, 2).join(' ')}: names the option`);
    t.equal(r.stdout, '', 'nothing was done');
  }
  await t.rejects(fs.stat(path.join(dir, 'v')), 'vectors generate wrote nothing');
});

t.test('irp serve --domain must be a domain', async (t) => {
  const r = await sixbench(['irp', 'serve', '--port', '0', '--domain', 'not a domain']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /option '--domain <domain>' argument 'not a domain' is invalid\. a domain is letters, digits and hyphens/);
});

t.test('ua send --method / --cipher are checked before the identity or the registry', async (t) => {
  const method = await sixbench(['ua', 'send', '--dir', nowhere, '--to', 'bob@example.com', '--text', 'x', '--method', 'nope']);
  t.equal(method.exitCode, 2);
  t.match(method.stderr, /option '--method <NAME>' argument 'nope' is invalid\. the methods are x25519, p256, rsa-oaep\./);
  const cipher = await sixbench(['ua', 'send', '--dir', nowhere, '--to', 'bob@example.com', '--text', 'x', '--cipher', 'nope']);
  t.equal(cipher.exitCode, 2);
  t.match(cipher.stderr, /option '--cipher <NAME>' argument 'nope' is invalid\. the ciphers are AES-256-GCM, CHACHA20-POLY1305\./);
});

t.test('ua chat --port abc: our own wording, naming the option', async (t) => {
  const r = await sixbench(['ua', 'chat', '--dir', nowhere, '--port', 'abc']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /option '--port <PORT>' argument 'abc' is invalid\. a port is a whole number from 0 \(any free port\) to 65535\./);
  t.notMatch(r.stderr, /ERR_SOCKET_BAD_PORT|RangeError/);
});

t.test('HOST:PORT with an IPv6 address, bracketed or, when unambiguous, not', async (t) => {
  t.same(parseHostPort('[::1]:24604', 4604), { host: '::1', port: 24604 });
  t.same(parseHostPort('::1:24604', 4604), { host: '::1', port: 24604 }, 'the unbracketed form: ::1 then port 24604');
  t.same(parseHostPort('2001:db8::7', 4604), { host: '2001:db8::7', port: 4604 }, 'an address alone takes the default port');
  t.throws(() => parseHostPort('::1:2460', 4604), { message: '"::1:2460" is ambiguous: write [::1]:2460 for port 2460, or [::1:2460] for the address.' });
  t.throws(() => parseHostPort('::1:x', 4604), { message: /write an IPv6 address in brackets, e\.g\. \[::1\]:4604/ });
  const r = await sixbench(['ua', 'enroll', '--irp', '::1:2460', '--ca', 'x', '--user', 'a@example.com', '--password', 'p', '--dir', nowhere]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /is ambiguous: write \[::1\]:2460/);
});

t.test('passwords: --help says --password and --user are visible in ps and how to avoid it', async (t) => {
  // Commander wraps help to the terminal's width: any whitespace between words.
  const words = (text: string): RegExp => new RegExp(text.split(' ').map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));
  const enroll = await sixbench(['ua', 'enroll', '--help']);
  t.match(enroll.stdout, words('--password-file <FILE> read your enrolment password from the first line of FILE ("-": standard input)'));
  t.match(enroll.stdout, words('visible to every local user in ps; prefer --password-file'));
  const serve = await sixbench(['irp', 'serve', '--help']);
  t.match(serve.stdout, words('--users-file <file> password accounts'));
  t.match(serve.stdout, words('visible to every local user in ps; prefer --users-file'));
});

t.test('ua enroll needs the password one way, not both, and reads the file before connecting', async (t) => {
  const base = ['ua', 'enroll', '--irp', '[::1]:1', '--ca', path.join(dir, 'none.pem'), '--user', 'a@example.com', '--dir', nowhere];
  const neither = await sixbench(base);
  t.equal(neither.exitCode, 2);
  t.match(neither.stderr, /give the enrolment password with --password-file FILE/);
  const missing = await sixbench([...base, '--password-file', path.join(dir, 'no-such-password')]);
  t.equal(missing.exitCode, 2);
  t.match(missing.stderr, /cannot read the password file .*no-such-password: no such file or folder\./);
  const empty = path.join(dir, 'empty-password');
  await fs.writeFile(empty, '\n');
  const r = await sixbench([...base, '--password-file', empty]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /the password file .*empty-password is empty: its first line is the password\./);
});

t.test('irp serve --users-file: accounts from a file; a missing one is named', async (t) => {
  const missing = await sixbench(['irp', 'serve', '--port', '0', '--host', '::1', '--users-file', path.join(dir, 'no-users')]);
  t.equal(missing.exitCode, 2);
  t.match(missing.stderr, /cannot read the users file .*no-users: no such file or folder\./);
  const users = path.join(dir, 'users');
  await fs.writeFile(users, '# accounts\nalice@example.com:pw one\nbob@example.com:pw:two\n');
  // Event-driven: stop it (as Ctrl-C would) once it says how many accounts it holds.
  let stopped = false;
  const serving = sixbench(['irp', 'serve', '--port', '0', '--host', '::1', '--users-file', users], {
    onStdout: ((chunk: string | Uint8Array) => {
      if (!stopped && String(chunk).includes('password account(s)')) {
        stopped = true;
        setImmediate(() => process.emit('SIGINT'));
      }
      return true;
    }) as typeof process.stdout.write,
  });
  const r = await serving;
  t.equal(r.exitCode, 0);
  t.match(r.stdout, /2 password account\(s\)/);
});

t.test('irp serve --limit takes a known limit and a positive whole number, checked before anything starts', async (t) => {
  for (const [arg, message] of [
    ['nope=1', /--limit: there is no limit "nope"; the names are handshakeTimeoutMs, /],
    ['maxConnections=0', /--limit maxConnections must be a positive whole number, got "0"/],
    ['maxConnections', /--limit takes NAME=VALUE with a whole number, got "maxConnections"/],
  ] as const) {
    const r = await sixbench(['irp', 'serve', '--port', '0', '--limit', arg]);
    t.equal(r.exitCode, 2, `--limit ${arg}: exit 2`);
    t.match(r.stderr, message, `--limit ${arg}: names the problem`);
    t.equal(r.stdout, '', 'nothing started');
  }
});

t.test('ua listen --max-connections / --max-handshakes are checked when parsed', async (t) => {
  const r = await sixbench(['ua', 'listen', '--dir', nowhere, '--max-connections', 'many']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /option '--max-connections <N>' argument 'many' is invalid/);
});

t.test('--limit values reach the stub options, several at once', async (t) => {
  t.same(parseLimit('frameTimeoutMs=5000', parseLimit('maxConnections=8', {})), { maxConnections: 8, frameTimeoutMs: 5000 });
});
