// The ordering family and docs/spec.md 5.8 cannot drift: the generator reads the tables, this test
// reads them too and checks that every state is one the adversary can bring an implementation to,
// that every (state, message) pair the table does not accept has a case, and that a changed table
// (a new state, an acceptable message the generator does not know) stops the catalogue.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REACHABLE_STATES } from '../../src/adversary/adversary.js';
import { REPO_ROOT } from '../../src/run/catalogue.js';
import { loadAdversaryData } from '../../src/run/adversary/catalogue.js';
import { orderingCases } from '../../src/run/adversary/ordering.js';
import { readStateTables } from '../../src/run/adversary/state-tables.js';

const spec = readFileSync(path.join(REPO_ROOT, 'docs', 'spec.md'), 'utf8');
const rows = readStateTables(spec);
const data = loadAdversaryData(path.join(REPO_ROOT, 'suites'));

t.test('the states of both tables are exactly the states the adversary can reach', async (t) => {
  for (const role of ['initiator', 'responder'] as const) {
    t.same(rows.filter((r) => r.role === role).map((r) => r.state), [...REACHABLE_STATES[role]], role);
  }
  t.same(rows.find((r) => r.role === 'responder' && r.state === 'ExpectInitiatorHello')?.acceptable.sort(), ['Alert', 'Hello role=initiator']);
  t.same(rows.find((r) => r.role === 'initiator' && r.state === 'Connected')?.acceptable.sort(), ['Alert', 'records'], 'the E2ED-HS-33 exception');
  t.same(rows.find((r) => r.role === 'responder' && r.state === 'Connected')?.acceptable, ['records']);
});

t.test('every state x every message the table does not accept there has its case', async (t) => {
  const ids = new Set(orderingCases(rows, data.ordering).map((c) => c.id));
  for (const row of rows) {
    for (const [key, m] of Object.entries(data.ordering.messages)) {
      if (row.state === 'Connected') {
        if (m.class !== 'record') t.ok(ids.has(`ordering.${row.role}.Connected.plaintext.${key}`) || (m.class === 'alert' && row.acceptable.includes('Alert')), `${row.role} Connected plaintext ${key}`);
        continue;
      }
      const acceptable = m.class === 'handshake' && row.acceptable.includes(m.matches as never);
      t.equal(ids.has(`ordering.${row.role}.${row.state}.${key}`), !acceptable, `${row.role} ${row.state} ${key}`);
    }
  }
});

t.test('a table the generator does not understand stops it', async (t) => {
  t.throws(() => readStateTables(spec.replace('| ExpectInitiatorFinished | plaintext `Finished`', '| ExpectInitiatorFinished | plaintext `Goodbye`')), /names `Goodbye`, which the ordering generator does not know/);
  t.throws(() => readStateTables(spec.replace('In every state before Connected, a\nplaintext `Alert` is acceptable', 'In some states')), /no longer says that a plaintext Alert is acceptable/);
  const renamed = readStateTables(spec.replace('| ExpectInitiatorFinished | plaintext', '| ExpectInitiatorFinish | plaintext'));
  t.throws(() => orderingCases(renamed, data.ordering), /cannot bring/, 'a state the adversary cannot reach');
});
