// The relay cases against an implementation under test: one case per honest position it can take,
// a skip naming what it lacks otherwise (src/run/relay-iut.ts, through src/run/iut-plan.ts).
import t from 'tap';
import { referenceImplementation } from '../../src/iut/reference.js';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { planIutCases } from '../../src/run/iut-plan.js';

const relay = loadCatalogue().filter((c) => c.suite === 'relay');

t.test('every relay case in each position a full implementation takes', async (t) => {
  const plan = planIutCases(relay, referenceImplementation());
  t.equal(plan.notApplicable.length, 0);
  const steered = relay.filter((c) => c.action.kind === 'relay' && c.action.relay.steer).length;
  t.equal(plan.cases.length, relay.length * 2 - steered, 'both positions, the initiator alone when steered to the attacker');
  t.ok(plan.cases.some((c) => c.id === 'relay.splice.record.i2r@responder'));
  t.equal(plan.cases.filter((c) => c.disabled !== undefined && !c.disabled.startsWith('the reference answers')).length, 0);
});

t.test('a narrower implementation: the positions it cannot take are skips naming what it lacks', async (t) => {
  const iut = referenceImplementation({ capabilities: { roles: ['responder'], versions: ['1.0'], level: 1, methods: ['x25519', 'p256'] } });
  const plan = planIutCases(relay, iut);
  const byId = new Map(plan.cases.map((c) => [c.id, c]));
  t.match(byId.get('relay.record.r2i.drop-first@initiator')?.disabled, /role initiator/);
  t.match(byId.get('relay.downgrade.version.strip-1.0.i1.0-0.9.r1.0-0.9@responder')?.disabled, /version 0\.9/);
  t.equal(byId.get('relay.downgrade.version.strip-1.0.i1.0-0.9.r1.0@responder')?.disabled, undefined, 'the verdict rests on the reference initiator');
  t.match(byId.get('relay.record.i2r.flip-byte0@responder')?.disabled, /level 2/, 'only the IUT detects: its events are needed');
  t.match(byId.get('relay.tamper.Hello-I.encryptedPremaster.rsa-oaep.bit9@responder')?.disabled, /method rsa-oaep/, 'the reference initiator offers rsa-oaep only');
});

t.test('--case takes globs against an implementation under test, as --help says', async (t) => {
  const { selectIutCases } = await import('../../src/run/iut-session.js');
  const { SelectionError } = await import('../../src/run/catalogue.js');
  const catalogue = loadCatalogue();
  const iut = referenceImplementation();
  const picked = selectIutCases(catalogue, iut, { caseIds: ['relay.record.*'] }).cases.filter((c) => c.iut?.of !== undefined && c.suite === 'relay');
  t.ok(picked.length > 10, `${picked.length} relay record cases`);
  t.ok(picked.every((c) => c.iut!.of.startsWith('relay.record.')), 'and only those');
  t.ok(picked.some((c) => c.id.endsWith('@initiator')) && picked.some((c) => c.id.endsWith('@responder')), 'both sides');
  const one = selectIutCases(catalogue, iut, { caseIds: ['interop.ping.i2r@responder'] }).cases.map((c) => c.id);
  t.same(one.filter((id) => !id.startsWith('sanity.')), ['interop.ping.i2r@responder'], 'an exact side-id still selects just that side');
  t.throws(() => selectIutCases(catalogue, iut, { caseIds: ['relay.nothing.*'] }), SelectionError);
});
