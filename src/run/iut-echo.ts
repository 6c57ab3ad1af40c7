// The echo model (issue 8 §1, docs/adapter.md §2): what an interop conversation becomes when the
// implementation under test cannot be commanded (level 1 or 2) and the wire has to judge it.
// - The IUT as responder echoes: each Message the reference sends comes back with its Receipt and
//   as a new Message with the same text; Ping and the reference's KeyUpdate are answered as the
//   spec says. The reference's own steps stay; the IUT's own Messages, Pings and KeyUpdates (it
//   cannot be told to send them) are dropped and said not checked; its close becomes the
//   reference's (the wire still shows that the IUT answers close_notify and ends cleanly).
// - The IUT as initiator runs its script: connect, send the Messages it is given one at a time,
//   each after the Receipt of the one before, close. It gets every Message the case has it send;
//   the reference's own steps are dropped (the script does not wait for them: a Message of the
//   reference could cross the IUT's close_notify) and said not checked.
// The expectations of the case are moved by what was dropped, field by field, so that what is
// left is judged exactly as the case judges it. A conversation that keeps none of its steps beyond
// the handshake and the close judges nothing the sanity case does not: it stays a skip.
import { otherSide, type Conversation, type ConversationExpectation, type SideExpectation, type Side, type Step } from './model.js';

export interface EchoModel {
  /** The conversation the wire can judge: the case's parties, the derived steps and expectations. */
  conversation: Conversation;
  /** What the case asks that this conversation cannot check, and why (for `iut.checks`). */
  notChecked: string[];
  /** false: nothing of the case beyond a handshake and a close is left to judge. */
  judgesSomething: boolean;
  /** The steps of the case the IUT would have to take on command (for the skip reason). */
  commanded: string[];
}

/** What one side does in a conversation, counted. */
interface Acts {
  messages: number;
  pings: number;
  keyUpdates: number;
  /** KeyUpdates with request="true": the other side answers with its own. */
  requests: number;
}

const noActs = (): Acts => ({ messages: 0, pings: 0, keyUpdates: 0, requests: 0 });

function count(acts: Acts, step: Step): void {
  if (step.do === 'message') acts.messages += step.count ?? 1;
  else if (step.do === 'ping') acts.pings += 1;
  else if (step.do === 'keyUpdate') {
    acts.keyUpdates += 1;
    if (step.request) acts.requests += 1;
  }
}

function isAction(step: Step): boolean {
  return step.do === 'message' || step.do === 'ping' || step.do === 'keyUpdate';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describeDropped(who: string, acts: Acts, why: string): string[] {
  const out: string[] = [];
  if (acts.messages > 0) out.push(`not checked: ${plural(acts.messages, 'Message')} from the ${who} (${why})`);
  if (acts.pings > 0) out.push(`not checked: the ${who}'s Ping and its Pong (${why})`);
  if (acts.keyUpdates > 0) out.push(`not checked: the ${who}'s own KeyUpdate${acts.requests > 0 ? ' (with request="true") and the answer to it' : ''} (${why})`);
  return out;
}

/**
 * Moves one side's expectation by what was dropped: `own` are the steps this side no longer takes,
 * `peer` those its peer no longer takes (E2ED-APP-2 a Receipt per Message, E2ED-APP-6 a Pong per
 * Ping, E2ED-REC-9/10 a KeyUpdate moves the sender's sending and the receiver's receiving
 * generation, a request makes the receiver answer with its own).
 */
function lessBy(e: SideExpectation | undefined, own: Acts, peer: Acts): void {
  if (!e) return;
  const minus = (field: 'delivered' | 'receipts' | 'pongs' | 'receiveGeneration' | 'sendGeneration', n: number): void => {
    if (e[field] !== undefined) e[field] = Math.max(0, e[field]! - n);
  };
  minus('delivered', peer.messages);
  minus('receipts', own.messages);
  minus('pongs', own.pings);
  minus('sendGeneration', own.keyUpdates + peer.requests);
  minus('receiveGeneration', peer.keyUpdates + own.requests);
}

/**
 * A copy whose two sides are apart: the suites may give both sides one expectation object, which
 * structuredClone would keep shared, so that moving one side would move the other.
 */
export function cloneExpectation(expect: ConversationExpectation): ConversationExpectation {
  const out: ConversationExpectation = { ...expect };
  if (expect.initiator) out.initiator = structuredClone(expect.initiator);
  if (expect.responder) out.responder = structuredClone(expect.responder);
  return out;
}

/** The interop conversation as the wire can judge it with an IUT on `iutSide` that takes no commands. */
export function echoModel(conv: Conversation, iutSide: Side): EchoModel {
  const refSide = otherSide(iutSide);
  const [first, ...rest] = conv.steps;
  const steps: Step[] = first ? [first] : [];
  const dropped: Record<Side, Acts> = { initiator: noActs(), responder: noActs() };
  const commanded = new Set<string>();
  const notChecked: string[] = [];
  let kept = 0;
  const actions = rest.filter(isAction).length;
  if (iutSide === 'responder') {
    for (const step of rest) {
      if (step.do === 'handshake') steps.push(step);
      else if (step.do === 'close') {
        if (step.from === iutSide) {
          commanded.add('close');
          notChecked.push('not checked: the responder (IUT) closing on its own: the reference closes instead, and the wire shows the IUT answer close_notify and end');
        }
        steps.push({ do: 'close', from: refSide });
      } else if (step.from === refSide) {
        steps.push(step);
        kept += 1;
      } else {
        commanded.add(step.do);
        count(dropped[iutSide], step);
      }
    }
    notChecked.unshift(...describeDropped('responder (IUT)', dropped.responder, 'it cannot be told to send it below level 3; its echoes stand for its Messages'));
  } else {
    let messages = 0;
    for (const step of rest) {
      if (step.do === 'handshake') continue; // one connection per case: the script makes no second
      if (step.do === 'close') {
        if (step.from === iutSide) commanded.add('close');
        continue;
      }
      if (step.from === iutSide && step.do === 'message') messages += step.count ?? 1;
      else {
        if (step.from === iutSide) commanded.add(step.do);
        count(dropped[step.from], step);
      }
    }
    if (messages > 0) {
      steps.push({ do: 'message', from: iutSide, count: messages });
      kept += 1;
    }
    // A conversation that is only a handshake (a refusal) stays one: the script ends by itself.
    if (rest.length > 0) steps.push({ do: 'close', from: iutSide });
    const why = 'the scripted initiator sends its Messages and closes without waiting for the reference';
    notChecked.push(...describeDropped('initiator (IUT)', dropped.initiator, 'it cannot be told to send it below level 3'));
    notChecked.push(...describeDropped('responder (reference)', dropped.responder, why));
    if (rest.some((s) => s.do === 'close' && s.from === refSide)) notChecked.push('not checked: the reference closing first (the scripted initiator closes after its last Receipt)');
  }
  const expect = cloneExpectation(conv.expect);
  lessBy(expect.initiator, dropped.initiator, dropped.responder);
  lessBy(expect.responder, dropped.responder, dropped.initiator);
  return {
    conversation: { ...conv, steps, expect },
    notChecked,
    judgesSomething: actions === 0 || kept > 0,
    commanded: [...commanded],
  };
}

/**
 * The echo as the wire shows it (docs/adapter.md §2, level 1): each Message of the reference comes
 * back with the same text, in order, and (E2ED-REC-10: a requested KeyUpdate is answered before
 * any other record) an echo of a Message sent after the reference's requested KeyUpdate arrives
 * under the new receiving generation.
 */
export interface SentMessage {
  text: string;
  /** The reference's receiving generation the echo must have reached: its requested KeyUpdates before this Message. */
  generation: number;
}

export interface ReceivedMessage {
  text: string;
  /** The reference's receiving generation when the Message arrived. */
  generation: number;
}

export function judgeEchoes(sent: readonly SentMessage[], received: readonly ReceivedMessage[]): string[] {
  const mismatches: string[] = [];
  // How many echoes came is the case's own `delivered` (a refusal ends a conversation before its echoes); here, what they carried.
  for (let k = 0; k < received.length; k++) {
    const s = sent[k];
    const r = received[k]!;
    if (!s) mismatches.push(`echo model: a Message the reference did not send was echoed: ${JSON.stringify(r.text)}`);
    else if (r.text !== s.text) mismatches.push(`echo model: the echo of Message ${k + 1} carried ${JSON.stringify(r.text)}, expected ${JSON.stringify(s.text)}`);
    else if (r.generation < s.generation) {
      mismatches.push(`E2ED-REC-10: the echo of Message ${k + 1} came under receiving generation ${r.generation}, expected ${s.generation} (a requested KeyUpdate must be answered before any other record)`);
    }
  }
  return mismatches;
}

/** The scripted initiator's Messages, as the reference responder must receive them: in order, with the texts given. */
export function judgeScriptedMessages(given: readonly string[], received: readonly string[]): string[] {
  const mismatches: string[] = [];
  // How many came is the case's own `delivered`; here, what they carried.
  for (let k = 0; k < received.length; k++) {
    if (given[k] === undefined) mismatches.push(`the scripted initiator sent a Message it was not given: ${JSON.stringify(received[k])}`);
    else if (received[k] !== given[k]) mismatches.push(`the scripted initiator's Message ${k + 1} carried ${JSON.stringify(received[k])}, expected ${JSON.stringify(given[k])}`);
  }
  return mismatches;
}
