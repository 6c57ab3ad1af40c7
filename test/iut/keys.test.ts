// Every record an IUT sent must open with the traffic secrets it logged, generation by generation
// (src/run/iut-keys.ts): literal secrets, records sealed here, one wrong byte found.
import t from 'tap';
import { trafficKeys } from '../../src/protocol/keyschedule.js';
import { sealRecord } from '../../src/protocol/record.js';
import { openLoggedRecords } from '../../src/run/iut-keys.js';

const N = 'c'.repeat(64);
const g0 = Buffer.alloc(32, 1);
const g1 = Buffer.alloc(32, 2);
const seal = (secret: Buffer, seq: bigint, text: string): Buffer => {
  const { key, iv } = trafficKeys(secret);
  return sealRecord('CHACHA20-POLY1305', key, iv, seq, Buffer.from(text));
};
const wire = Buffer.concat([seal(g0, 0n, '<Message/>'), seal(g0, 1n, '<KeyUpdate request="false"/>'), seal(g1, 0n, '<Message/>')]);
const log = (s0: Buffer, s1: Buffer) => [
  { label: 'E2ED_R2I_TRAFFIC_SECRET_0', nonceI: N, secret: s0.toString('hex') },
  { label: 'E2ED_R2I_TRAFFIC_SECRET_1', nonceI: N, secret: s1.toString('hex') },
];

t.test('records open across a key update with the logged secrets', async (t) => {
  t.same(openLoggedRecords(wire, log(g0, g1), 'E2ED_R2I_TRAFFIC_SECRET_', 'CHACHA20-POLY1305'), { records: 3, opened: 3 });
});

t.test('a wrong logged secret, a missing generation, the wrong AEAD', async (t) => {
  const bad = Buffer.from(g1);
  bad[0]! ^= 1;
  t.match(openLoggedRecords(wire, log(g0, bad), 'E2ED_R2I_TRAFFIC_SECRET_', 'CHACHA20-POLY1305'), { opened: 2, failure: /record 3 \(generation 1, sequence 0\) does not open/ });
  t.match(openLoggedRecords(wire, log(g0, g1).slice(0, 1), 'E2ED_R2I_TRAFFIC_SECRET_', 'CHACHA20-POLY1305'), { opened: 2, failure: /no E2ED_R2I_TRAFFIC_SECRET_1/ });
  t.match(openLoggedRecords(wire, log(g0, g1), 'E2ED_R2I_TRAFFIC_SECRET_', 'AES-256-GCM'), { opened: 0, failure: /record 1/ });
});
