// The end of the key schedule (brief, "Key schedule"): MS = ExpandLabel(HS, "master",
// TH(Hello_I .. Fin_I), 32), the traffic secret per direction, the exporter, and the record
// layer built from them. keySchedule.wrongLabel is read here, where the sending secret is derived.
import { toHex } from '../bytes.js';
import { exporter, expandLabel, masterSecret, trafficSecrets } from '../keyschedule.js';
import { trafficSecretLabel } from '../keylog.js';
import { RecordLayer } from '../record-layer.js';
import type { Transcript } from '../transcript.js';
import { handshakeBinding } from './binding.js';
import { emitKeyLog, type HandshakeContext } from './context.js';
import type { HandshakeSession } from './session.js';
import type { Connected } from './states.js';

/** `transcript` runs through the initiator's Finished; in 0.9 the binding B09 stands in for it. */
export function establishTraffic(ctx: HandshakeContext, session: HandshakeSession, transcript: Transcript): Connected {
  const ms = masterSecret(session.hs, handshakeBinding(session, transcript));
  const secrets = trafficSecrets(ms);
  if (ctx.bugs.keySchedule?.wrongLabel) {
    const own = ctx.role === 'initiator' ? 'i2r' : 'r2i';
    secrets[own] = expandLabel(ms, 'traffic', Buffer.alloc(0), 32);
  }
  const exporterValue = exporter(ms);
  emitKeyLog(ctx, 'E2ED_MASTER_SECRET', session.nonceI, ms);
  emitKeyLog(ctx, trafficSecretLabel('i2r', 0), session.nonceI, secrets.i2r);
  emitKeyLog(ctx, trafficSecretLabel('r2i', 0), session.nonceI, secrets.r2i);
  emitKeyLog(ctx, 'E2ED_EXPORTER', session.nonceI, exporterValue);
  ctx.emit({ type: 'exporter', hex: toHex(exporterValue) });
  const recordLayer = new RecordLayer(session.cipher, ctx.role, secrets, ctx.bugs);
  // E2ED-KS-5: "A UA MUST erase HS, the finished keys, Z and ephemeral private keys once the
  // handshake ends" (best effort in a garbage-collected runtime: the buffers this code owns).
  session.hs.fill(0);
  ms.fill(0);
  secrets.i2r.fill(0);
  secrets.r2i.fill(0);
  return {
    name: 'Connected',
    session,
    recordLayer,
    exporter: exporterValue,
    peerRecordSeen: false,
  };
}
