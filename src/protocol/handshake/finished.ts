// Finished (brief, "Key schedule"):
//   R's Finished = HMAC-SHA256(ExpandLabel(HS, "r finished", "", 32), TH(Hello_I .. CV_R));
//   I's Finished = HMAC-SHA256(ExpandLabel(HS, "i finished", "", 32), TH(Hello_I .. CV_I));
//   "wrong value: decrypt_error", compared in constant time.
import { constantTimeEqual } from '../bytes.js';
import { peerMisbehaved } from '../errors.js';
import { finishedKey, finishedValue } from '../keyschedule.js';
import type { Finished } from '../messages.js';
import type { Transcript } from '../transcript.js';
import { handshakeBinding } from './binding.js';
import { flipLastBit, type HandshakeContext } from './context.js';
import type { Role } from './events.js';
import type { HandshakeSession } from './session.js';

function expectedFinished(session: HandshakeSession, sender: Role, transcript: Transcript): Buffer {
  return finishedValue(finishedKey(session.hs, sender === 'initiator' ? 'i' : 'r'), handshakeBinding(session, transcript));
}

export function makeFinished(ctx: HandshakeContext, session: HandshakeSession, transcript: Transcript): Finished {
  const value = expectedFinished(session, ctx.role, transcript);
  return { kind: 'Finished', verifyData: ctx.bugs.finished?.corruptValue ? flipLastBit(value) : value };
}

export function checkFinished(ctx: HandshakeContext, msg: Finished, session: HandshakeSession, transcript: Transcript): void {
  if (ctx.bugs.finished?.skipVerification) return;
  const sender: Role = ctx.role === 'initiator' ? 'responder' : 'initiator';
  if (!constantTimeEqual(msg.verifyData, expectedFinished(session, sender, transcript))) {
    throw peerMisbehaved('decrypt_error', `${sender}'s Finished does not match the transcript`, 'E2ED-HS-30');
  }
}
