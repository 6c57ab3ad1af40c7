// Parsing of the lie settings and the Login rate limit (time injected, never waited for).
import t from 'tap';
import { corruptSignature, DEFAULT_STALE_SECONDS, DEFAULT_WRONG_ADDRESS, parseLie, recordLieKey } from '../../src/irp/adversary.js';
import { LoginLimiter } from '../../src/irp/login-limiter.js';

t.test('parseLie: every kind, with and without values', async (t) => {
  t.same(parseLie('stale-address'), { staleAddress: { seconds: DEFAULT_STALE_SECONDS } });
  t.same(parseLie('stale-address=60'), { staleAddress: { seconds: 60 } });
  t.same(parseLie('wrong-address'), { wrongAddress: { address: DEFAULT_WRONG_ADDRESS } });
  t.same(parseLie('wrong-address=::1,4711'), { wrongAddress: { address: '::1', port: 4711 } });
  t.same(parseLie('wrong-certificate'), { wrongCertificate: {} });
  t.same(parseLie('wrong-certificate=bob@example.com'), { wrongCertificate: { user: 'bob@example.com' } });
  t.same(parseLie('bad-signature'), { badSignature: true });
  t.same(parseLie('revoked-status'), { revokedStatus: true });
  t.same(parseLie('slow=250'), { slowMs: 250 });
  const merged = parseLie('slow=1', parseLie('bad-signature'));
  t.same(merged, { badSignature: true, slowMs: 1 });
});

t.test('parseLie: refuses what it does not know', async (t) => {
  for (const bad of ['lying', 'slow', 'slow=-1', 'slow=1.5', 'wrong-address=::1,0', 'wrong-address=::1,1,2', 'bad-signature=1']) {
    t.throws(() => parseLie(bad), { name: 'LieSyntaxError' }, bad);
  }
});

t.test('recordLieKey: null for an honest registry, distinct per setting', async (t) => {
  t.equal(recordLieKey({}), null);
  t.equal(recordLieKey({ badSignature: true, slowMs: 5, revokedStatus: true }), null, 'these do not change records');
  t.not(recordLieKey({ wrongAddress: { address: 'a' } }), recordLieKey({ wrongAddress: { address: 'b' } }));
});

t.test('corruptSignature changes exactly one bit', async (t) => {
  const sig = Buffer.from('3045022100aa', 'hex');
  const bad = corruptSignature(sig);
  t.not(bad.toString('hex'), sig.toString('hex'));
  t.equal(bad.length, sig.length);
  t.equal(sig.toString('hex'), '3045022100aa', 'the input is untouched');
});

t.test('LoginLimiter: 5 failures within 60 s limit the user, then the window slides', async (t) => {
  let now = 1_000_000;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < 4; i++) {
    limiter.recordFailure('alice@example.com');
    now += 1000;
  }
  t.notOk(limiter.isLimited('alice@example.com'), '4 failures are allowed');
  limiter.recordFailure('alice@example.com');
  t.ok(limiter.isLimited('alice@example.com'), 'the 5th failure limits');
  t.notOk(limiter.isLimited('bob@example.com'), 'per user');
  now += 56_001; // the first failure is now older than 60 s
  t.notOk(limiter.isLimited('alice@example.com'), 'the oldest failure left the window');
});
