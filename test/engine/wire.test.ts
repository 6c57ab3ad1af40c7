// The handshake as seen on the wire, recomputed independently of the engine from the captured
// frames and the key log: what each signature and MAC covers (docs/spec.md 5.5, 5.6, 6.3, 7.2),
// and that the first records open with the logged traffic secrets. Two engines that agreed on a
// wrong rule would pass the handshake tests; they fail these.
import t from 'tap';
import { createHash, createHmac, verify as nodeVerify } from 'node:crypto';
import { expandLabel } from '../../src/protocol/keyschedule.js';
import { openRecord } from '../../src/protocol/record.js';
import { binding09 } from '../../src/protocol/transcript.js';
import { ALICE, BOB, connect, eventsOf, frames, user, type Pair } from './harness.js';
import { decodeE2ed, type CertificateVerify, type Finished, type InitiatorHello, type ResponderHello } from '../../src/protocol/messages.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

function capture(p: Pair) {
  const iFrames = frames(p.i.sent);
  const rFrames = frames(p.r.sent);
  const [helloI, cvI, finI] = iFrames;
  const [helloR, cvR, finR] = rFrames;
  const secret = (label: string) => Buffer.from(eventsOf(p.i, 'keylog').find((e) => e.label === label)!.secretHex, 'hex');
  return {
    helloI: helloI!, helloR: helloR!, cvR: cvR!, finR: finR!, cvI: cvI!, finI: finI!,
    iRecords: iFrames.slice(3), rRecords: rFrames.slice(3),
    hs: secret('E2ED_HANDSHAKE_SECRET'),
    ms: secret('E2ED_MASTER_SECRET'),
  };
}

function ecdsaOk(pub: ReturnType<typeof user>['publicKey'], data: Buffer, sig: Buffer): boolean {
  return nodeVerify('sha256', data, { key: pub, dsaEncoding: 'der' }, sig);
}

t.test('1.0: CertificateVerify, Finished and the key schedule cover the wire frames', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.sendText('m-1', 'hi', '2026-11-26T19:00:00Z'));
  p.pump();
  const c = capture(p);
  const helloIMsg = decodeE2ed(c.helloI.payload) as InitiatorHello;
  const helloRMsg = decodeE2ed(c.helloR.payload) as ResponderHello;

  // E2ED-KS-2 with Z recomputed is out of reach (the ephemeral keys stay inside); HS is taken from
  // the key log and everything after it is recomputed here.
  const cvRMsg = decodeE2ed(c.cvR.payload) as CertificateVerify;
  const th1 = sha256(c.helloI.wire, c.helloR.wire);
  t.ok(ecdsaOk(user(BOB).publicKey, Buffer.concat([Buffer.from('E2ED 1.0 responder signature\0', 'latin1'), th1]), cvRMsg.signature), 'CV_R signs TH(Hello_I, Hello_R)');

  const finRMsg = decodeE2ed(c.finR.payload) as Finished;
  const fkR = expandLabel(c.hs, 'r finished', Buffer.alloc(0), 32);
  t.ok(finRMsg.verifyData.equals(hmac(fkR, sha256(c.helloI.wire, c.helloR.wire, c.cvR.wire))), 'Fin_R = HMAC(fk_R, TH(.. CV_R))');

  const cvIMsg = decodeE2ed(c.cvI.payload) as CertificateVerify;
  const th3 = sha256(c.helloI.wire, c.helloR.wire, c.cvR.wire, c.finR.wire);
  t.ok(ecdsaOk(user(ALICE).publicKey, Buffer.concat([Buffer.from('E2ED 1.0 initiator signature\0', 'latin1'), th3]), cvIMsg.signature), 'CV_I signs TH(.. Fin_R)');

  const finIMsg = decodeE2ed(c.finI.payload) as Finished;
  const fkI = expandLabel(c.hs, 'i finished', Buffer.alloc(0), 32);
  t.ok(finIMsg.verifyData.equals(hmac(fkI, sha256(c.helloI.wire, c.helloR.wire, c.cvR.wire, c.finR.wire, c.cvI.wire))), 'Fin_I = HMAC(fk_I, TH(.. CV_I))');

  const thAll = sha256(c.helloI.wire, c.helloR.wire, c.cvR.wire, c.finR.wire, c.cvI.wire, c.finI.wire);
  t.ok(c.ms.equals(expandLabel(c.hs, 'master', thAll, 32)), 'MS = ExpandLabel(HS, "master", TH(.. Fin_I))');
  const i2r = expandLabel(c.ms, 'i2r traffic', Buffer.alloc(0), 32);
  const r2i = expandLabel(c.ms, 'r2i traffic', Buffer.alloc(0), 32);
  const keys = (ts: Buffer) => ({ key: expandLabel(ts, 'key', Buffer.alloc(0), 32), iv: expandLabel(ts, 'iv', Buffer.alloc(0), 12) });
  const k1 = keys(i2r);
  const k2 = keys(r2i);
  t.match(decodeE2ed(openRecord('AES-256-GCM', k1.key, k1.iv, 0n, c.iRecords[0]!)), { kind: 'Message', id: 'm-1' }, 'I protects with ts_i2r, seq 0');
  t.match(decodeE2ed(openRecord('AES-256-GCM', k2.key, k2.iv, 0n, c.rRecords[0]!)), { kind: 'Receipt', id: 'm-1' }, 'R protects with ts_r2i, seq 0');
  t.ok(p.i.conn.negotiated!.exporter.equals(expandLabel(c.ms, 'exporter', Buffer.alloc(0), 32)), 'exporter = ExpandLabel(MS, "exporter")');
  t.ok(p.i.conn.initiatorNonce!.equals(helloIMsg.nonce), 'initiatorNonce is the nonce on the wire');
  t.equal(helloRMsg.nonce.length, 32);
});

t.test('0.9: signatures, Finished and MS cover B09, not the transcript', async (t) => {
  const p = connect({ versions: ['0.9'] }, { versions: ['0.9'] });
  const c = capture(p);
  const helloI = decodeE2ed(c.helloI.payload) as InitiatorHello;
  const helloR = decodeE2ed(c.helloR.payload) as ResponderHello;
  const b09 = binding09(helloI.nonce, helloR.nonce, helloI.from, helloR.from);
  const cvR = decodeE2ed(c.cvR.payload) as CertificateVerify;
  t.ok(ecdsaOk(user(BOB).publicKey, Buffer.concat([Buffer.from('E2ED 0.9 responder signature\0', 'latin1'), b09]), cvR.signature), 'CV_R signs B09');
  const cvI = decodeE2ed(c.cvI.payload) as CertificateVerify;
  t.ok(ecdsaOk(user(ALICE).publicKey, Buffer.concat([Buffer.from('E2ED 0.9 initiator signature\0', 'latin1'), b09]), cvI.signature), 'CV_I signs B09');
  const finR = decodeE2ed(c.finR.payload) as Finished;
  t.ok(finR.verifyData.equals(hmac(expandLabel(c.hs, 'r finished', Buffer.alloc(0), 32), b09)), 'Fin_R over B09');
  const finI = decodeE2ed(c.finI.payload) as Finished;
  t.ok(finI.verifyData.equals(hmac(expandLabel(c.hs, 'i finished', Buffer.alloc(0), 32), b09)), 'Fin_I over B09');
  t.ok(c.ms.equals(expandLabel(c.hs, 'master', b09, 32)), 'MS context is B09');
});

t.test('key update: the new secret is ExpandLabel(ts, "update") and the sequence restarts at 0', async (t) => {
  const p = connect();
  p.from('i', p.i.conn.keyUpdate(false));
  p.from('i', p.i.conn.sendText('after', 'x', '2026-11-26T19:00:00Z'));
  p.pump();
  const c = capture(p);
  const ts0 = expandLabel(c.ms, 'i2r traffic', Buffer.alloc(0), 32);
  const ts1 = expandLabel(ts0, 'update', Buffer.alloc(0), 32);
  const logged = eventsOf(p.i, 'keylog').find((e) => e.label === 'E2ED_I2R_TRAFFIC_SECRET_1');
  t.equal(logged?.secretHex, ts1.toString('hex'), 'key log line for generation 1');
  const k = { key: expandLabel(ts1, 'key', Buffer.alloc(0), 32), iv: expandLabel(ts1, 'iv', Buffer.alloc(0), 12) };
  t.match(decodeE2ed(openRecord('AES-256-GCM', k.key, k.iv, 0n, c.iRecords[1]!)), { kind: 'Message', id: 'after' });
});
