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
