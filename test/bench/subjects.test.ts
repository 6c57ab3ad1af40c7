// The bulk benchmark's subjects move what they claim: whole Messages or records, all of them
// received and authenticated (a floor reader that lost bytes or skipped a tag would inflate the
// floor). Functional checks only: no figure is asserted (benchmarks are never timed tests).
import t from 'tap';
import { createTestPki } from '../../src/pki/ca.js';
import { e2edStream, tlsStream } from '../../src/bench/ua.js';
import { aeadFloorStream } from '../../src/bench/aead-floor.js';

const SIZE = 64 * 1024 - 1024;
const pki = createTestPki({ seed: 'bench subjects test', users: ['alice@example.com', 'bob@example.com'], keyType: 'p256' });

for (const [name, make] of [
  ['E2ED Messages', () => e2edStream(pki, SIZE)],
  ['node:crypto AEAD floor', () => aeadFloorStream(SIZE)],
  ['node:crypto AEAD floor with the text work', () => aeadFloorStream(SIZE, { text: true })],
  ['node:tls', () => tlsStream(pki, SIZE)],
] as const) {
  t.test(`${name}: every unit sent is received, in whole ${SIZE}-byte units`, async (t) => {
    const subject = await make();
    try {
      const first = await subject.runFor(60);
      const second = await subject.runFor(60);
      for (const run of [first, second]) {
        t.ok(run.units >= SIZE, 'something was moved');
        t.equal(run.units % SIZE, 0, 'whole units only: the pump waits for everything it sent');
        t.ok(run.seconds > 0);
      }
    } finally {
      await subject.close();
    }
  });
}
