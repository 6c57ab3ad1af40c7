// docs/spec.md Appendix A is generated from vectors/handshake.json: the two never differ, and a
// change to the vectors is noticed.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentWalkthrough, renderWalkthrough } from '../../src/vectors/appendix.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const spec = readFileSync(path.join(root, 'docs', 'spec.md'), 'utf8');
const vectors = JSON.parse(readFileSync(path.join(root, 'vectors', 'handshake.json'), 'utf8'));

t.test('Appendix A is exactly what vectors/handshake.json renders to', async (t) => {
  const current = currentWalkthrough(spec);
  t.ok(current, 'the spec has the generated block');
  t.equal(current, renderWalkthrough(vectors).trim(), 'run `sixbench vectors generate` after changing the vectors');
});

t.test('a changed frame in the vectors makes the appendix differ', async (t) => {
  const copy = JSON.parse(JSON.stringify(vectors));
  const test = copy.testGroups[0].tests.find((x: { comment: string }) => x.comment === 'x25519 AES-256-GCM');
  const frame: string = test.firstRecordI2R.frame;
  test.firstRecordI2R.frame = frame.slice(0, -1) + (frame.endsWith('0') ? '1' : '0');
  t.not(renderWalkthrough(copy).trim(), currentWalkthrough(spec));
});
