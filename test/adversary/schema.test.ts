// suites/adversary.schema.json and the code that checks the suite file agree: the step kinds,
// messages, mutators (with their fields), faults and alerts the schema allows are exactly the ones
// src/run/adversary/catalogue.ts accepts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FAULT_ALERTS } from '../../src/adversary/alert-rules.js';
import { MUTATOR_FIELDS, MUTATOR_OPS } from '../../src/adversary/mutators.js';
import { STEP_KINDS } from '../../src/adversary/script.js';
import { MESSAGE_NAMES } from '../../src/adversary/templates.js';
import { ALERT_NAMES } from '../../src/protocol/alerts.js';
import { SUITES_DIR } from '../../src/run/catalogue.js';

const schema = JSON.parse(readFileSync(path.join(SUITES_DIR, 'adversary.schema.json'), 'utf8'));
const defs = schema.$defs;

t.test('the schema and the code name the same vocabulary', async (t) => {
  t.same([...defs.step.properties.do.enum].sort(), [...STEP_KINDS].sort(), 'step kinds');
  t.same([...defs.step.properties.message.enum].sort(), [...MESSAGE_NAMES, 'any'].sort(), 'messages');
  t.same([...defs.fault.enum].sort(), Object.keys(FAULT_ALERTS).sort(), 'faults');
  t.same([...defs.alert.enum].sort(), [...ALERT_NAMES].sort(), 'alerts');
  const ops = defs.mutator.oneOf.map((o: { properties: { op: { const: string } } }) => o.properties.op.const);
  t.same([...ops].sort(), [...MUTATOR_OPS].sort(), 'mutators');
  for (const o of defs.mutator.oneOf) {
    const op = o.properties.op.const as string;
    t.same([...o.required].sort(), ['op', ...MUTATOR_FIELDS[op]!.required].sort(), `${op} required fields`);
  }
});

t.test('the suite file names the schema', async (t) => {
  t.equal(JSON.parse(readFileSync(path.join(SUITES_DIR, 'adversary.json'), 'utf8')).$schema, './adversary.schema.json');
});
