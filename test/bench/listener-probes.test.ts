// The hostile-load probes of src/bench/listener.ts, small: bounded in connections, bytes and time,
// loopback only; they check what the listener held and refused, never how fast (the figures at the
// issue's sizes come from `npm run bench`, docs/performance.md).
import t from 'tap';
import { probeConnectionFlood, probeForeignHellos, probeHeldReassembly, probePki, probeReferenceFrames, probeSlowRegistry } from '../../src/bench/listener.js';

const p = probePki();

t.test('connection flood: the listener holds maxHandshakes connections and refuses the rest (E2ED-LIM-8)', async (t) => {
  const f = await probeConnectionFlood(p, { connections: 40, maxFrameLength: 64 * 1024, limits: { maxHandshakes: 8 } });
  t.equal(f.held, 8, 'held: the handshake limit');
  t.equal(f.refused, 32, 'refused: every other connection');
  t.equal(f.refusedClosed, 32, 'each refused client saw its connection closed, and no held one');
  t.comment(`peak RSS +${(f.peakRssDelta / 1048576).toFixed(1)} MiB, median ${f.medianMsToRefuse.toFixed(1)} ms to refuse`);
});

t.test('slow registry: the listener holds one frame while the status hangs, then answers (E2ED-LIM-7)', async (t) => {
  const f = await probeSlowRegistry(p, { ms: 500, maxBytes: 8 * 1024 * 1024 });
  t.ok(f.heldBytes <= 1048576 + 65536, `held ${f.heldBytes} of ${f.offeredBytes} bytes offered`);
  t.equal(f.alert, 'unexpected_message', 'the records after the Hello get the alert E2ED-REC-5 names, once the status is known');
});

t.test('foreign Hellos: refused with their own alerts, and no registry request (E2ED-LIM-9)', async (t) => {
  const f = await probeForeignHellos(p, { hellos: 12 });
  t.equal(f.registryRequests, 0);
  t.notOk('ResponderHello' in f.alerts, 'none answered');
  t.notOk('none' in f.alerts, 'each one got an alert');
});

t.test('reference frames: decoded and refused (E2ED-XML-9)', async (t) => {
  const f = probeReferenceFrames({ frames: 3 });
  t.equal(f.frames, 3);
  t.ok(f.garbagePerFrame < 32 * 1048576, `garbage per frame ${(f.garbagePerFrame / 1048576).toFixed(1)} MiB`);
});

t.test('held reassembly: memory allocated is linear in the frame, whatever the chunking (E2ED-LIM-7)', async (t) => {
  // Joining on every chunk allocated the whole held prefix again per chunk: 256 KiB in 1 KiB
  // chunks was 64 MiB of allocations (quadratic), in 1-byte chunks 64 GiB and a minute of CPU.
  const frameBytes = 256 * 1024;
  for (const chunkBytes of [1, 1024, frameBytes]) {
    const f = await probeHeldReassembly(p, { frameBytes, chunkBytes });
    t.ok(f.allocatedBytes <= 3 * frameBytes, `${chunkBytes}-byte chunks: ${f.allocatedBytes} bytes allocated for a ${frameBytes}-byte frame`);
  }
});
