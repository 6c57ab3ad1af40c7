// The interop matrix (issue 8 §6): every pair each way over method x AEAD both support; a broken
// implementation shows in its row and column and nowhere else; the table and the JSON agree.
import t from 'tap';
import { referenceImplementation } from '../../src/iut/reference.js';
import { formatMatrix, runMatrix } from '../../src/run/matrix.js';

t.test('reference, a narrower reference, and a broken one', async (t) => {
  const ref = referenceImplementation();
  const narrow = referenceImplementation({ name: 'narrow', capabilities: { methods: ['x25519'], ciphers: ['CHACHA20-POLY1305'], roles: ['responder'] } });
  const broken = referenceImplementation({ name: 'broken', knobs: ['finished.corruptValue'], capabilities: { methods: ['p256'], ciphers: ['AES-256-GCM'] } });
  const report = await runMatrix({ implementations: [ref, narrow, broken], seed: 'matrix-test', concurrency: 2, timeoutMs: 10_000 });
  const cells = (i: string, r: string) => report.cells.filter((c) => c.initiator === i && c.responder === r);
  t.equal(cells(ref.name, ref.name).length, 6, 'reference with itself: 3 methods x 2 AEADs');
  t.ok(cells(ref.name, ref.name).every((c) => c.verdict === 'pass'), 'all pass');
  t.same(cells(ref.name, 'narrow').map((c) => `${c.method}/${c.cipher}:${c.verdict}`), ['x25519/CHACHA20-POLY1305:pass'], 'only what both support');
  t.same(cells('narrow', ref.name), [], 'narrow is never an initiator');
  for (const c of report.cells.filter((c) => c.initiator === 'broken' || c.responder === 'broken')) {
    t.equal(c.verdict, 'fail', `${c.initiator} -> ${c.responder} ${c.method}/${c.cipher} fails: ${c.reason}`);
  }
  t.ok(report.cells.filter((c) => c.initiator !== 'broken' && c.responder !== 'broken').every((c) => c.verdict === 'pass'), 'nothing else fails');
  const table = formatMatrix(report);
  t.match(table, /pass 6\/6/);
  t.match(table, /broken -> sixbench-reference-in-process p256\/AES-256-GCM: fail/);
});
