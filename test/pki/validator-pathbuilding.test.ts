// Path building (RFC 4158; E2ED-CERT-3/21/28): cross-signed CAs that form cycles of two, three or
// more, with and without a way out to the trust anchor; expired alternatives; dead ends that must be
// backtracked out of; and the depth bound, which must refuse only when no path within it exists.
import t from 'tap';
import { validateChain, type ValidationOptions, type ValidationResult } from '../../src/pki/validator.js';
import { TIME, caExtensions, cn, der, key, keyId, leafExtensions, makeCert, type Key } from './validator-certs.js';

const reasonOf = (r: ValidationResult): string => (r.ok ? 'ok' : r.reason);

const rootKey = key('pb-root');
const root = makeCert({ subject: cn('PB Root'), issuer: cn('PB Root'), key: rootKey, signer: rootKey, extensions: caExtensions(rootKey, undefined) });
const caKey = (i: number): Key => key(`pb-ca-${i}`);
const caName = (i: number) => cn(`PB CA ${i}`);

/** A certificate for CA i issued by CA j (or by the root when j is 'root'). */
function cross(i: number, j: number | 'root', validity?: { notBefore: Buffer; notAfter: Buffer }): Buffer {
  const signer = j === 'root' ? rootKey : caKey(j);
  return makeCert({ subject: caName(i), issuer: j === 'root' ? cn('PB Root') : caName(j), key: caKey(i), signer, extensions: caExtensions(caKey(i), signer), ...validity });
}

const leafOf = (i: number) => makeCert({ subject: cn('alice'), issuer: caName(i), key: key('pb-leaf'), signer: caKey(i), extensions: leafExtensions(caKey(i)) });
const opts = (intermediates: Buffer[], extra: Partial<ValidationOptions> = {}): ValidationOptions => ({
  trustAnchors: [root],
  intermediates,
  time: TIME,
  purpose: 'clientAuth',
  expectedUserId: 'alice@example.com',
  ...extra,
});
const pathLength = (r: ValidationResult) => (r.ok ? r.path.length : -1);

t.test('a cycle of two cross-signed CAs with a way out validates', async (t) => {
  // CA 0 <-> CA 1, and CA 1 certified by the root; the leaf is issued by CA 0.
  const r = validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 0), cross(1, 'root')]));
  t.equal(reasonOf(r), 'ok');
  t.equal(pathLength(r), 4, 'leaf, CA 0 (by CA 1), CA 1 (by root), root');
});

t.test('a cycle of three cross-signed CAs with a way out validates', async (t) => {
  // CA 0 <- CA 1 <- CA 2 <- CA 0 (a ring), and CA 2 certified by the root.
  const r = validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 2), cross(2, 0), cross(2, 'root')]));
  t.equal(reasonOf(r), 'ok');
  t.equal(pathLength(r), 5);
});

t.test('cycles without a way out end as unknown_ca, not as too long', async (t) => {
  const two = validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 0)]));
  t.equal(reasonOf(two), 'unknown-issuer', 'two CAs');
  if (!two.ok) t.equal(two.alert, 'unknown_ca');
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 2), cross(2, 0)]))), 'unknown-issuer', 'three CAs');
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 0)], { maxDepth: 64 }))), 'unknown-issuer', 'with a large depth bound');
});

t.test('a mesh of six mutually cross-signed CAs: the one short path to the root is found', async (t) => {
  // 30 cross-certificates (every CA certifies every other) and one certificate of CA 5 by the root.
  // A depth-first search without loop detection by logical CA explores the simple paths of this
  // mesh (thousands) and runs out of budget before it tries the exit; the result was "too long".
  const mesh: Buffer[] = [];
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (i !== j) mesh.push(cross(i, j));
  const exit = cross(5, 'root');
  for (const order of [
    [...mesh, exit],
    [exit, ...mesh],
  ]) {
    const r = validateChain([leafOf(0)], opts(order));
    t.equal(reasonOf(r), 'ok');
    t.equal(pathLength(r), 4, 'leaf, CA 0 (by CA 5), CA 5 (by root), root: the shortest');
  }
  t.equal(reasonOf(validateChain([leafOf(0)], opts(mesh))), 'unknown-issuer', 'without the exit: no path, typed quickly');
});

t.test('the shortest path wins over a longer one presented first, and decides the depth verdict', async (t) => {
  // CA 0 is certified both by the root and by CA 1 (itself certified by the root).
  const long = [cross(0, 1), cross(1, 'root')];
  const short = cross(0, 'root');
  const r = validateChain([leafOf(0)], opts([...long, short], { maxIntermediates: 1 }));
  t.equal(reasonOf(r), 'ok', 'max one intermediate: the direct path qualifies');
  t.equal(pathLength(r), 3);
  t.equal(reasonOf(validateChain([leafOf(0)], opts(long, { maxIntermediates: 1 }))), 'path-too-long', 'only the long path: too long');
  t.equal(reasonOf(validateChain([leafOf(0)], opts([...long, short], { maxDepth: 3 }))), 'ok', 'E2ED-CERT-21 bound of 3 certificates');
});

t.test('an expired alternative is passed over for a current one, wherever it stands', async (t) => {
  const expired = { notBefore: der.utcTime('200101000000Z'), notAfter: der.utcTime('250101000000Z') };
  const old = cross(0, 'root', expired);
  const current = cross(0, 'root');
  for (const pool of [
    [old, current],
    [current, old],
  ]) {
    t.equal(reasonOf(validateChain([leafOf(0)], opts(pool))), 'ok');
  }
  t.equal(reasonOf(validateChain([leafOf(0)], opts([old]))), 'expired', 'only the expired one: its failure is the verdict');
  // A cycle whose only exit is expired: the failure names the expiry, not a loop or the depth.
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), cross(1, 0), cross(1, 'root', expired)]))), 'expired');
});

t.test('dead ends are backtracked out of: bad signature, pathLen, wrong key identifier', async (t) => {
  // CA 0 certified by CA 1, where the only CA 1 certificate is signed by the wrong key...
  const forged = makeCert({ subject: caName(1), issuer: cn('PB Root'), key: caKey(1), signer: key('pb-someone'), extensions: caExtensions(caKey(1), rootKey) });
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), forged, cross(0, 'root')]))), 'ok', 'bad signature two levels up');
  // ... or CA 1 has pathLen 0 and so cannot have CA 0 below it.
  const k1 = caKey(1);
  const len0 = makeCert({ subject: caName(1), issuer: cn('PB Root'), key: k1, signer: rootKey, extensions: caExtensions(k1, rootKey, 0) });
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), len0, cross(0, 'root')]))), 'ok', 'pathLen violated on one branch');
  t.equal(reasonOf(validateChain([leafOf(0)], opts([cross(0, 1), len0]))), 'path-length-exceeded', 'and alone it is the verdict');
  void keyId;
});
