// `sixbench pcap check`: a passive conformance check of one captured E2ED connection between any
// two UAs, with its key log. It replays what each side sent through the spec's rules and reports
// every violation with its requirement id:
//   message order (docs/spec.md 5.1, 5.8: E2ED-HS-31, E2ED-HS-32, E2ED-REC-5, E2ED-APP-8),
//   CertificateVerify (5.5: E2ED-HS-27, E2ED-HS-28, E2ED-VER-3), Finished values over the
//   transcript (5.6, 7.4: E2ED-HS-30), the key schedule against the key log (7.2, 13:
//   E2ED-KS-3, E2ED-KEYLOG-4), records under the expected key, iv and sequence number (8:
//   E2ED-REC-2, E2ED-REC-3, E2ED-REC-8, E2ED-REC-10), alerts and closure (10: E2ED-ALERT-2,
//   -3, -4, -5, -7, E2ED-APP-9). Everything is computed with the protocol core; only HS (or MS)
//   comes from the key log. The Hellos are checked for what the wire alone shows (4.1, 4.2, 5.3,
//   5.7, 7.5: E2ED-HS-13, E2ED-HS-16, E2ED-HS-22, E2ED-HS-24, E2ED-ID-1, E2ED-ID-3, E2ED-KS-8,
//   E2ED-KS-9).
import { createECDH, X509Certificate } from 'node:crypto';
import { exporter, finishedKey, finishedValue, masterSecret, nextTrafficSecret, trafficKeys, trafficSecrets } from '../protocol/keyschedule.js';
import { trafficSecretLabel, type KeyLogEntry, type TrafficDirection } from '../protocol/keylog.js';
import type { E2edMessage, InitiatorHello, ResponderHello } from '../protocol/messages.js';
import { isCipherName, openRecord, type CipherName } from '../protocol/record.js';
import { signatureAlgorithmForKey, verify, type SignatureAlgorithm } from '../protocol/signature.js';
import { binding09, Transcript } from '../protocol/transcript.js';
import type { ConversationView, KeyLog, Sender, ViewFrame } from './conversation.js';

export interface Violation {
  requirement: string;
  sender: Sender;
  packet?: number;
  message: string;
}

export interface CheckOutcome {
  violations: Violation[];
  /** What could not be checked and why (no key log line, undecodable frames, ...). */
  notChecked: string[];
  /** What was checked, for the summary. */
  checked: string[];
  /**
   * The secrets of section 7 this replay worked with, in key-log form (label, nonce_I, secret):
   * HS as given, MS, the exporter and every traffic secret of every generation the capture
   * reached, derived from HS over the captured transcript. A caller holding its own HS compares
   * another party's key log with these (src/run/iut-keys.ts, E2ED-KEYLOG-4).
   */
  derived: KeyLogEntry[];
}

const HANDSHAKE_ORDER: Record<Sender, E2edMessage['kind'][]> = {
  initiator: ['InitiatorHello', 'CertificateVerify', 'Finished'],
  responder: ['ResponderHello', 'CertificateVerify', 'Finished'],
};
const APPLICATION_KINDS = new Set(['Message', 'Receipt', 'Ping', 'Pong', 'KeyUpdate']);

function secret(log: KeyLog | undefined, nonceI: string | undefined, label: string): Buffer | undefined {
  const e = log?.entries.find((x) => x.nonceI === nonceI && x.label === label);
  return e ? Buffer.from(e.secret, 'hex') : undefined;
}

function other(s: Sender): Sender {
  return s === 'initiator' ? 'responder' : 'initiator';
}

export function checkConversation(view: ConversationView, log: KeyLog | undefined): CheckOutcome {
  const out: CheckOutcome = { violations: [], notChecked: [], checked: [], derived: [] };
  const derive = (label: string, value: Buffer): void => {
    if (view.nonceI && !out.derived.some((d) => d.label === label)) out.derived.push({ label, nonceI: view.nonceI, secret: value.toString('hex') });
  };
  /** One violation per requirement, sender and kind of fault: a bug repeated on every record is reported once, with a count. */
  const counts = new Map<string, Violation & { count: number }>();
  const violate = (requirement: string, sender: Sender, frame: ViewFrame | undefined, message: string, kind = message): void => {
    const key = `${requirement}|${sender}|${kind}`;
    const existing = counts.get(key);
    if (existing) {
      existing.count++;
      return;
    }
    const v = { requirement, sender, ...(frame ? { packet: frame.packet } : {}), message, count: 1 };
    counts.set(key, v);
  };

  for (const f of view.faults) violate(f.requirement ?? 'E2ED-FRAME-1', f.sender, undefined, `framing fault at packet ${f.packet}: ${f.message}`);
  for (const f of view.frames) {
    if (f.decodeError !== undefined && (f.type === 'plaintext' || f.record?.opened)) {
      violate(f.decodeRequirement ?? 'E2ED-XML-1', f.sender, f, `the ${f.type === 'record' ? 'record plaintext' : 'frame'} is not a valid E2ED message: ${f.decodeError}`);
    }
  }

  // --- message order, connection states, alerts and closure -----------------------------------
  const position: Record<Sender, number> = { initiator: 0, responder: 0 };
  const connected: Record<Sender, boolean> = { initiator: false, responder: false };
  const ended: Record<Sender, { by: 'fatal' | 'close_notify'; frame: ViewFrame } | undefined> = { initiator: undefined, responder: undefined };
  const hs: Partial<Record<'helloI' | 'helloR' | 'cvR' | 'finR' | 'cvI' | 'finI', ViewFrame>> = {};
  let pendingRequest: Record<Sender, boolean> = { initiator: false, responder: false };
  for (const f of view.frames) {
    const s = f.sender;
    const m = f.message;
    const after = ended[s];
    if (after) {
      if (after.by === 'fatal') violate('E2ED-ALERT-2', s, f, `sent ${m ? m.kind : 'a frame'} after its fatal alert ${(after.frame.message as { code: string }).code} (packet ${after.frame.packet})`, 'after-fatal');
      else violate('E2ED-ALERT-7', s, f, `sent ${m ? m.kind : 'a frame'} after its close_notify (packet ${after.frame.packet})`, 'after-close');
      continue;
    }
    if (m?.kind === 'Alert') {
      const closing = m.code === 'close_notify' || m.code === 'user_canceled';
      // E2ED-ALERT-3: close_notify and user_canceled are warnings, every other code fatal.
      if (closing && m.level !== 'warning') violate('E2ED-ALERT-3', s, f, `${m.code} sent with level="${m.level}"`);
      if (!closing && m.level !== 'fatal') violate('E2ED-ALERT-3', s, f, `${m.code} sent with level="${m.level}" (it is fatal)`);
      // E2ED-ALERT-4: plaintext before the sender is Connected, a record once it is.
      if (f.type === 'plaintext' && connected[s]) violate('E2ED-ALERT-4', s, f, `alert ${m.code} sent in plaintext although the ${s} is Connected`);
      const peerEnd = ended[other(s)];
      // E2ED-ALERT-5: a UA that received a fatal alert closes without sending any alert.
      if (peerEnd?.by === 'fatal' && f.packet > peerEnd.frame.packet + 1) violate('E2ED-ALERT-5', s, f, `answered the fatal alert of packet ${peerEnd.frame.packet} with ${m.code}`);
      if (m.code === 'close_notify' || !closing) ended[s] = { by: closing ? 'close_notify' : 'fatal', frame: f };
      continue;
    }
    if (f.type === 'plaintext') {
      if (m && APPLICATION_KINDS.has(m.kind)) {
        violate('E2ED-APP-8', s, f, `${m.kind} sent in a plaintext frame${connected[s] ? ' after the handshake' : ''}`);
        continue;
      }
      if (!m) continue;
      const expected = HANDSHAKE_ORDER[s][position[s]];
      if (m.kind !== expected) {
        violate('E2ED-HS-31', s, f, `sent ${m.kind} where the handshake has ${expected ?? 'no further handshake message'}`);
        continue;
      }
      position[s]++;
      if (s === 'initiator' && m.kind === 'CertificateVerify' && !hs.finR) violate('E2ED-HS-31', s, f, 'sent CertificateVerify before the responder\'s Finished');
      if (s === 'responder' && m.kind === 'ResponderHello' && !hs.helloI) violate('E2ED-HS-31', s, f, 'sent Hello before the initiator\'s Hello');
      const slot = ({ initiator: { InitiatorHello: 'helloI', CertificateVerify: 'cvI', Finished: 'finI' }, responder: { ResponderHello: 'helloR', CertificateVerify: 'cvR', Finished: 'finR' } } as const)[s][m.kind as 'Finished'];
      hs[slot] = f;
      if (s === 'initiator' && m.kind === 'Finished') connected.initiator = true;
      continue;
    }
    // A record.
    if (s === 'initiator' && !connected.initiator) violate('E2ED-HS-32', s, f, 'sent a record before its Finished');
    if (s === 'responder' && !connected.responder) {
      if (!hs.finI) violate('E2ED-REC-5', s, f, 'sent a record before it received the initiator\'s Finished');
      connected.responder = true;
    }
    if (m?.kind === 'KeyUpdate') {
      pendingRequest[s] = false;
      if (m.request) pendingRequest = { ...pendingRequest, [other(s)]: true };
    } else if (f.record?.opened && pendingRequest[s]) {
      // E2ED-REC-10: the answer to request="true" comes before any other record.
      violate('E2ED-REC-10', s, f, `sent ${m ? m.kind : 'a record'} before answering the peer's KeyUpdate request`);
      pendingRequest[s] = false;
    }
  }
  // Closure (E2ED-ALERT-7, E2ED-APP-9): after the handshake, a side that ends the stream has sent
  // close_notify or a fatal alert, or answers the peer's close_notify with its own.
  for (const s of ['initiator', 'responder'] as const) {
    const streamEnded = view.end.fin[s] || view.end.reset === s;
    // The responder is Connected once it has verified Fin_I: a Fin_I it did not reject with an alert.
    const wasConnected = connected[s] || (s === 'responder' && hs.finI !== undefined);
    if (!wasConnected || ended[s] || !streamEnded) continue;
    const peer = ended[other(s)];
    if (peer?.by === 'close_notify') violate('E2ED-ALERT-7', s, undefined, `received close_notify (packet ${peer.frame.packet}) and closed the connection without answering with its own`);
    else if (!peer) violate('E2ED-APP-9', s, undefined, `ended the connection after the handshake without close_notify (${view.end.reset === s ? 'reset' : 'FIN'})`);
  }
  out.checked.push('message order', 'alerts and closure');

  // --- CertificateVerify, Finished, the key schedule ---------------------------------------------
  const helloI = hs.helloI?.message as InitiatorHello | undefined;
  const helloR = hs.helloR?.message as ResponderHello | undefined;
  checkHellos(hs.helloI, helloI, hs.helloR, helloR, violate);
  if (helloI) out.checked.push('Hello contents');
  const legacy = helloR?.version === '0.9';
  const b09 = helloI && helloR ? binding09(helloI.nonce, helloR.nonce, helloI.from, helloR.from) : undefined;
  const th = (...frames: (ViewFrame | undefined)[]): Buffer | undefined => {
    if (frames.some((f) => !f)) return undefined;
    const t = new Transcript();
    for (const f of frames) t.add(f!.wire);
    return t.hash();
  };
  const checkCv = (s: Sender, cvFrame: ViewFrame | undefined, hello: InitiatorHello | ResponderHello | undefined, hash: Buffer | undefined): void => {
    if (!cvFrame || !hello || !hash || !b09) return;
    const cv = cvFrame.message as Extract<E2edMessage, { kind: 'CertificateVerify' }>;
    let key;
    try {
      key = new X509Certificate(hello.certificates[0]!).publicKey;
    } catch {
      out.notChecked.push(`${s} CertificateVerify: the leaf certificate does not parse`);
      return;
    }
    const expectedAlg = signatureAlgorithmForKey(key);
    if (expectedAlg !== cv.algorithm) violate('E2ED-HS-27', s, cvFrame, `CertificateVerify algorithm ${cv.algorithm}, but the leaf key takes ${expectedAlg ?? 'none of the algorithms'}`);
    const alg = (expectedAlg ?? cv.algorithm) as SignatureAlgorithm;
    const content = (version: string, h: Buffer): Buffer => Buffer.concat([Buffer.from(`E2ED ${version} ${s} signature`, 'ascii'), Buffer.from([0]), h]);
    const ok = (c: Buffer): boolean => {
      try {
        return verify(alg, key, c, cv.signature);
      } catch {
        return false;
      }
    };
    if (ok(content(legacy ? '0.9' : '1.0', legacy ? b09 : hash))) return;
    if (!legacy && ok(content('1.0', b09))) violate('E2ED-VER-3', s, cvFrame, 'the 1.0 CertificateVerify signs the 0.9 binding B09 instead of the transcript hash');
    else violate('E2ED-HS-28', s, cvFrame, `the CertificateVerify signature does not verify over the ${legacy ? 'B09' : 'transcript'} with the ${s}'s leaf key`);
  };
  checkCv('responder', hs.cvR, helloR, th(hs.helloI, hs.helloR));
  checkCv('initiator', hs.cvI, helloI, th(hs.helloI, hs.helloR, hs.cvR, hs.finR));
  if (hs.cvR || hs.cvI) out.checked.push('CertificateVerify signatures');

  const nonceI = view.nonceI;
  const hsSecret = secret(log, nonceI, 'E2ED_HANDSHAKE_SECRET');
  let ms: Buffer | undefined;
  if (!log) out.notChecked.push('Finished values, key schedule and records: no key log');
  else if (!nonceI) out.notChecked.push('Finished values, key schedule and records: no Hello_I in the capture');
  else if (!hsSecret) out.notChecked.push(`Finished values: no E2ED_HANDSHAKE_SECRET for nonce_I ${nonceI} in the key log`);
  if (hsSecret) derive('E2ED_HANDSHAKE_SECRET', hsSecret);
  if (hsSecret && b09) {
    const fin = (who: 'i' | 'r', frame: ViewFrame | undefined, hash: Buffer | undefined): void => {
      if (!frame || !hash) return;
      const got = (frame.message as Extract<E2edMessage, { kind: 'Finished' }>).verifyData;
      const want = finishedValue(finishedKey(hsSecret, who), legacy ? b09 : hash);
      if (!want.equals(got)) violate('E2ED-HS-30', who === 'i' ? 'initiator' : 'responder', frame, `Finished value ${got.toString('hex').slice(0, 16)}... is not HMAC(fk_${who.toUpperCase()}, ${legacy ? 'B09' : 'TH'}) ${want.toString('hex').slice(0, 16)}...`);
    };
    fin('r', hs.finR, th(hs.helloI, hs.helloR, hs.cvR));
    fin('i', hs.finI, th(hs.helloI, hs.helloR, hs.cvR, hs.finR, hs.cvI));
    out.checked.push('Finished values');
    const all = th(hs.helloI, hs.helloR, hs.cvR, hs.finR, hs.cvI, hs.finI);
    if (all) {
      ms = masterSecret(hsSecret, legacy ? b09 : all);
      derive('E2ED_MASTER_SECRET', ms);
      derive('E2ED_EXPORTER', exporter(ms));
      const logged = secret(log, nonceI, 'E2ED_MASTER_SECRET');
      if (logged && !logged.equals(ms)) violate('E2ED-KEYLOG-4', 'initiator', undefined, 'the logged E2ED_MASTER_SECRET is not ExpandLabel(HS, "master", TH(Hello_I .. Fin_I))');
    }
  } else if (log && nonceI) {
    ms = secret(log, nonceI, 'E2ED_MASTER_SECRET');
    if (ms) out.notChecked.push('the master secret is taken from the key log (no handshake secret to derive it from)');
  }

  if (ms) {
    const first = trafficSecrets(ms);
    for (const dir of ['i2r', 'r2i'] as const) derive(trafficSecretLabel(dir, 0), first[dir]);
  }

  // --- records: expected key, iv and sequence number per direction --------------------------------
  const cipher: CipherName | undefined = view.cipher;
  const records = view.frames.filter((f) => f.type === 'record');
  if (records.length > 0 && ms && cipher) {
    const derived0 = trafficSecrets(ms);
    for (const dir of ['i2r', 'r2i'] as TrafficDirection[]) {
      const sender: Sender = dir === 'i2r' ? 'initiator' : 'responder';
      const logged0 = secret(log, nonceI, trafficSecretLabel(dir, 0));
      if (logged0 && !logged0.equals(derived0[dir])) violate('E2ED-KS-3', sender, undefined, `the logged ${trafficSecretLabel(dir, 0)} is not the value derived from the master secret`);
      let ts = derived0[dir];
      let previous: Buffer | undefined;
      let seq = 0n;
      let generation = 0;
      let carried = 0n; // records sent under earlier generations (for a sequence that was not reset)
      for (const f of records.filter((r) => r.sender === sender)) {
        const frame = { type: 2, header: f.wire.subarray(0, 5), payload: f.wire.subarray(5), wire: f.wire };
        const tryOpen = (secretBytes: Buffer, n: bigint): Buffer | undefined => {
          const { key, iv } = trafficKeys(secretBytes);
          try {
            return openRecord(cipher, key, iv, n, frame);
          } catch {
            return undefined;
          }
        };
        let plaintext = tryOpen(ts, seq);
        if (!plaintext) {
          const candidates: [string, () => Buffer | undefined, string][] = [
            ['E2ED-REC-8', () => (previous ? tryOpen(previous, seq + carried) ?? tryOpen(previous, seq) : undefined), `record ${seq} of generation ${generation} is protected with the previous generation's key`],
            ['E2ED-REC-8', () => (generation > 0 ? tryOpen(ts, seq + carried) : undefined), `after the key update the sequence number continues at ${seq + carried} instead of restarting at 0`],
            ['E2ED-REC-2', () => {
              for (let n = 0n; n < seq + 3n; n++) if (n !== seq) { const p = tryOpen(ts, n); if (p) return p; }
              return undefined;
            }, `record ${seq} of generation ${generation} does not use sequence number ${seq}`],
            ['E2ED-KS-3', () => tryOpen(dir === 'i2r' ? derived0.r2i : derived0.i2r, seq), `records are protected with the other direction's key`],
            ['E2ED-KS-3', () => {
              const l = secret(log, nonceI, trafficSecretLabel(dir, generation));
              return l && !l.equals(ts) ? tryOpen(l, seq) : undefined;
            }, `records are protected with a traffic secret other than the one derived from the master secret`],
          ];
          let diagnosed = false;
          for (const [req, attempt, message] of candidates) {
            plaintext = attempt();
            if (plaintext) {
              violate(req, sender, f, message, message.replace(/\d+/g, 'N'));
              diagnosed = true;
              break;
            }
          }
          if (!diagnosed) violate('E2ED-REC-3', sender, f, `record ${seq} of generation ${generation} does not authenticate under ${trafficSecretLabel(dir, generation)} (derived) at sequence ${seq}`, 'no-open');
        }
        seq++;
        if (plaintext && /<KeyUpdate[\s/>]/.test(plaintext.toString('utf8'))) {
          carried += seq;
          previous = ts;
          ts = nextTrafficSecret(ts);
          generation++;
          seq = 0n;
          derive(trafficSecretLabel(dir, generation), ts);
        }
      }
    }
    out.checked.push('record keys and sequence numbers');
  } else if (records.length > 0) {
    out.notChecked.push(`records: ${!cipher ? 'no cipher selected in the capture' : 'no master secret (key log)'}`);
  }

  out.violations = [...counts.values()].map(({ count, ...v }) => (count > 1 ? { ...v, message: `${v.message} (and ${count - 1} more time(s))` } : v));
  return out;
}

/** The user ID of a leaf certificate: its rfc822Name (the E2ED certificate profile, chapter 9). */
function certificateUserId(der: Buffer | undefined): string | undefined {
  if (!der) return undefined;
  try {
    const san = new X509Certificate(der).subjectAltName ?? '';
    return /(?:^|, )email:([^,\s]+)/.exec(san)?.[1];
  } catch {
    return undefined;
  }
}

/** Whether a key share is a usable public key of its method (E2ED-KS-8, E2ED-KS-9). */
function keyShareProblem(method: string, key: Buffer): string | undefined {
  if (method === 'x25519') {
    // The all-zero point (and the other low-order points) give an all-zero shared secret.
    if (key.length === 32 && key.every((b) => b === 0)) return 'the x25519 key share is the all-zero (low-order) point';
    return undefined;
  }
  if (method === 'p256') {
    try {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      ecdh.computeSecret(key);
      return undefined;
    } catch {
      return 'the p256 key share is not a point on the curve';
    }
  }
  return undefined;
}

function checkHellos(
  fI: ViewFrame | undefined,
  helloI: InitiatorHello | undefined,
  fR: ViewFrame | undefined,
  helloR: ResponderHello | undefined,
  violate: (requirement: string, sender: Sender, frame: ViewFrame | undefined, message: string) => void,
): void {
  if (helloI && fI) {
    // E2ED-HS-13: only registered ciphers are offered (NULL never is).
    const unknown = helloI.ciphers.filter((c) => !isCipherName(c));
    if (unknown.length > 0) violate('E2ED-HS-13', 'initiator', fI, `Hello_I offers cipher(s) ${unknown.join(', ')} that are not registered`);
    // E2ED-ID-1: a Hello_I from the receiver's own user ID is a reflection.
    if (helloI.from.toLowerCase() === helloI.to.toLowerCase()) violate('E2ED-ID-1', 'initiator', fI, `Hello_I from and to are the same user (${helloI.from})`);
    const certId = certificateUserId(helloI.certificates[0]);
    if (certId !== undefined && certId.toLowerCase() !== helloI.from.toLowerCase()) violate('E2ED-HS-16', 'initiator', fI, `Hello_I from=${helloI.from} but the leaf certificate is ${certId}'s`);
    if (helloI.keyShare) {
      const problem = keyShareProblem(helloI.keyShare.method, helloI.keyShare.publicKey);
      if (problem) violate(helloI.keyShare.method === 'p256' ? 'E2ED-KS-9' : 'E2ED-KS-8', 'initiator', fI, problem);
    }
  }
  if (helloR && fR) {
    const certId = certificateUserId(helloR.certificates[0]);
    if (certId !== undefined && certId.toLowerCase() !== helloR.from.toLowerCase()) violate('E2ED-HS-22', 'responder', fR, `Hello_R from=${helloR.from} but the leaf certificate is ${certId}'s`);
    if (helloR.from.toLowerCase() === helloR.to.toLowerCase()) violate('E2ED-ID-3', 'responder', fR, `Hello_R from and to are the same user (${helloR.from})`);
    if (helloR.keyShare) {
      const problem = keyShareProblem(helloR.keyShare.method, helloR.keyShare.publicKey);
      if (problem) violate(helloR.keyShare.method === 'p256' ? 'E2ED-KS-9' : 'E2ED-KS-8', 'responder', fR, problem);
    }
  }
  if (helloI && helloR && fR) {
    // E2ED-ID-3: a Hello_R carrying the initiator's own nonce is a reflection.
    if (helloR.nonce.equals(helloI.nonce)) violate('E2ED-ID-3', 'responder', fR, 'Hello_R carries the initiator\'s own nonce');
    // E2ED-HS-22: Hello_R is addressed to the initiator.
    if (helloR.to.toLowerCase() !== helloI.from.toLowerCase()) violate('E2ED-HS-22', 'responder', fR, `Hello_R to=${helloR.to}, the initiator is ${helloI.from}`);
    // E2ED-HS-24: the selected cipher and method are among those offered, the method the key share's.
    if (!helloI.ciphers.includes(helloR.cipher)) violate('E2ED-HS-24', 'responder', fR, `Hello_R selects cipher ${helloR.cipher}, which Hello_I did not offer`);
    if (!helloI.methods.includes(helloR.method)) violate('E2ED-HS-24', 'responder', fR, `Hello_R selects method ${helloR.method}, which Hello_I did not offer`);
    else if (helloI.keyShare && helloR.method !== 'rsa-oaep' && helloR.method !== helloI.keyShare.method) violate('E2ED-HS-24', 'responder', fR, `Hello_R selects method ${helloR.method}, but Hello_I's key share is ${helloI.keyShare.method}`);
    if (!helloI.versions.includes(helloR.version)) violate('E2ED-HS-23', 'responder', fR, `Hello_R selects version ${helloR.version}, which Hello_I did not offer`);
  }
}

export function formatCheck(view: ConversationView, outcome: CheckOutcome): string {
  const lines = [`connection ${view.stream}: initiator ${view.initiator.address} port ${view.initiator.port} -> responder ${view.responder.address} port ${view.responder.port}`];
  lines.push(`  checked: ${outcome.checked.join(', ')}`);
  for (const n of outcome.notChecked) lines.push(`  not checked: ${n}`);
  if (outcome.violations.length === 0) lines.push('  no violation');
  for (const v of outcome.violations) lines.push(`  VIOLATION ${v.requirement} (${v.sender}${v.packet !== undefined ? `, packet ${v.packet}` : ''}): ${v.message}`);
  return `${lines.join('\n')}\n`;
}
