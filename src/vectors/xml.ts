// vectors/xml.json: the hardened XML codec (docs/spec.md, XML rules and messages). Each test is a
// message's bytes, then either the kind it decodes to or the alert a receiver sends. The check
// decodes each message from a frame fed one byte at a time, as well as whole.
import { fromHex, toHex } from '../protocol/bytes.js';
import { encodeFrame, FrameDecoder, FrameType } from '../protocol/frame.js';
import { ProtocolError } from '../protocol/errors.js';
import { decodeE2ed, encodeE2ed, type E2edMessage } from '../protocol/messages.js';
import type { RandomSource } from '../protocol/random.js';
import type { VectorKind } from './kind.js';
import { makeVectorFile, type VectorTest } from './format.js';
import { field } from './check-util.js';

const NS = 'urn:sixchat:e2ed:1';

export function decodeOutcome(bytes: Buffer, chunk: number): { kind: string } | { alert: string; requirement?: string } {
  try {
    const decoder = new FrameDecoder();
    const frames = [];
    const step = chunk > 0 ? chunk : Math.max(1, bytes.length + 5);
    const wire = encodeFrame(FrameType.Plaintext, bytes);
    for (let i = 0; i < wire.length; i += step) frames.push(...decoder.push(wire.subarray(i, i + step)));
    decoder.end();
    if (frames.length !== 1) return { alert: 'decode_error' };
    return { kind: decodeE2ed(frames[0]!.payload).kind };
  } catch (err) {
    if (err instanceof ProtocolError) return err.requirement ? { alert: err.alert, requirement: err.requirement } : { alert: err.alert };
    throw err;
  }
}

function vector(comment: string, bytes: Buffer): VectorTest {
  const outcome = decodeOutcome(bytes, 0);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const base: VectorTest = { tcId: 0, comment, result: 'kind' in outcome ? 'valid' : 'invalid' };
  if (Buffer.from(text, 'utf8').equals(bytes)) base.message = text;
  base.messageHex = toHex(bytes);
  if ('kind' in outcome) base.kind = outcome.kind;
  else {
    base.alert = outcome.alert;
    base.flags = outcome.requirement ? [outcome.requirement] : [];
  }
  return base;
}

const s = (text: string) => Buffer.from(text, 'utf8');

export const xmlVectors: VectorKind = {
  file: 'xml.json',
  generate(seed: string, rng: RandomSource) {
    const nonce = rng.bytes(32);
    const share = rng.bytes(32);
    const cert = rng.bytes(48);
    const n = toHex(nonce);
    const k = toHex(share);
    const c = cert.toString('base64');
    const hello = (inner: string, attrs = `xmlns="${NS}" role="initiator" from="alice@example.com" to="bob@example.com"`) =>
      `<Hello ${attrs}>${inner}</Hello>`;
    const helloBody = `<Version>1.0</Version><Nonce>${n}</Nonce><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><Cipher>AES-256-GCM</Cipher><Certificate>${c}</Certificate>`;
    const samples: E2edMessage[] = [
      { kind: 'InitiatorHello', from: 'alice@example.com', to: 'bob@example.com', versions: ['1.0', '0.9'], nonce, methods: ['x25519', 'p256'], keyShare: { method: 'x25519', publicKey: share }, ciphers: ['AES-256-GCM', 'CHACHA20-POLY1305'], certificates: [cert] },
      { kind: 'ResponderHello', from: 'bob@example.com', to: 'alice@example.com', version: '1.0', method: 'x25519', cipher: 'AES-256-GCM', nonce, keyShare: { method: 'x25519', publicKey: share }, certificates: [cert] },
      { kind: 'CertificateVerify', algorithm: 'ecdsa-p256-sha256', signature: rng.bytes(71) },
      { kind: 'Finished', verifyData: rng.bytes(32) },
      { kind: 'Alert', level: 'fatal', code: 'decode_error' },
      { kind: 'Message', id: 'm-1', timestamp: '2026-11-26T19:00:00Z', text: 'hello <world> & "you"' },
      { kind: 'Receipt', id: 'm-1' },
      { kind: 'Ping', id: 'p.1' },
      { kind: 'Pong', id: 'p.1' },
      { kind: 'KeyUpdate', request: true },
    ];
    const tests: VectorTest[] = samples.map((m) => vector(`${m.kind}: canonical encoding`, encodeE2ed(m)));
    tests.push(
      vector('initiator Hello as a peer might write it: XML declaration, whitespace between elements, a comment',
        s(`<?xml version="1.0" encoding="UTF-8"?>\n<Hello xmlns="${NS}" role="initiator" from="alice@example.com" to="bob@example.com">\n  <!-- offer -->\n  <Version>1.0</Version>\n  <Nonce>${n}</Nonce>\n  <Method>x25519</Method>\n  <KeyShare method="x25519">${k}</KeyShare>\n  <Cipher>AES-256-GCM</Cipher>\n  <Certificate>${c}</Certificate>\n</Hello>`)),
      vector('unknown non-critical element is ignored', s(hello(`${helloBody}<Extension>future</Extension>`))),
      vector('unknown attribute is ignored', s(hello(helloBody, `xmlns="${NS}" role="initiator" from="alice@example.com" to="bob@example.com" future="1"`))),
      vector('unknown root element (the receiver decides by context)', s(`<Future xmlns="${NS}"/>`)),
      vector('predefined entities and a numeric character reference in text', s(`<Message xmlns="${NS}" id="e" timestamp="2026-11-26T19:00:00Z">&lt;b&gt; &amp; &quot;&apos; &#233;</Message>`)),
      vector('billion laughs', s(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Message xmlns="${NS}" id="x" timestamp="2026-11-26T19:00:00Z">&lol3;</Message>`)),
      vector('external entity', s(`<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Message xmlns="${NS}" id="x" timestamp="2026-11-26T19:00:00Z">&xxe;</Message>`)),
      vector('DOCTYPE without entities', s(`<!DOCTYPE Ping><Ping xmlns="${NS}" id="a"/>`)),
      vector('undeclared entity reference', s(`<Message xmlns="${NS}" id="x" timestamp="2026-11-26T19:00:00Z">&nbsp;</Message>`)),
      vector('processing instruction', s(`<?xml-stylesheet href="a"?><Ping xmlns="${NS}" id="a"/>`)),
      vector('processing instruction inside the element', s(`<Ping xmlns="${NS}" id="a"><?php x?></Ping>`)),
      vector('XML declaration not at the start', s(` <?xml version="1.0"?><Ping xmlns="${NS}" id="a"/>`)),
      vector('CDATA section', s(`<Message xmlns="${NS}" id="x" timestamp="2026-11-26T19:00:00Z"><![CDATA[hi]]></Message>`)),
      vector('nesting 9 deep (limit 8)', s(`<Ping xmlns="${NS}" id="a">${'<X>'.repeat(8)}${'</X>'.repeat(8)}</Ping>`)),
      vector('nesting 8 deep (at the limit)', s(`<Ping xmlns="${NS}" id="a">${'<X>'.repeat(7)}${'</X>'.repeat(7)}</Ping>`)),
      vector('deep nesting (10000)', s(`<Ping xmlns="${NS}" id="a">${'<X>'.repeat(10000)}${'</X>'.repeat(10000)}</Ping>`)),
      vector('17 attributes on one element (limit 16)', s(`<Ping xmlns="${NS}" id="a" ${Array.from({ length: 15 }, (_, i) => `a${i}="v"`).join(' ')}/>`)),
      vector('257 elements (limit 256)', s(`<Ping xmlns="${NS}" id="a">${'<X/>'.repeat(256)}</Ping>`)),
      vector('attribute value over 4096 octets', s(`<Ping xmlns="${NS}" id="a" pad="${'v'.repeat(4097)}"/>`)),
      vector('missing namespace', s(`<Ping id="a"/>`)),
      vector('wrong namespace', s(`<Ping xmlns="urn:sixchat:e2ed:2" id="a"/>`)),
      vector('IRP namespace on an E2ED message', s(`<Ping xmlns="urn:sixchat:irp:1" id="a"/>`)),
      vector('namespace prefix', s(`<e:Ping xmlns:e="${NS}" id="a"/>`)),
      vector('duplicated Nonce', s(hello(`<Version>1.0</Version><Nonce>${n}</Nonce><Nonce>${n}</Nonce><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><Cipher>AES-256-GCM</Cipher><Certificate>${c}</Certificate>`))),
      vector('duplicated attribute', s(`<Ping xmlns="${NS}" id="a" id="b"/>`)),
      vector('missing Nonce', s(hello(`<Version>1.0</Version><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><Cipher>AES-256-GCM</Cipher><Certificate>${c}</Certificate>`))),
      vector('missing from attribute', s(hello(helloBody, `xmlns="${NS}" role="initiator" to="bob@example.com"`))),
      vector('children out of order (Cipher before Method)', s(hello(`<Version>1.0</Version><Nonce>${n}</Nonce><Cipher>AES-256-GCM</Cipher><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><Certificate>${c}</Certificate>`))),
      vector('unknown critical element', s(hello(`${helloBody}<Extension critical="true">must understand</Extension>`))),
      vector('unknown critical root element', s(`<Future xmlns="${NS}" critical="true"/>`)),
      vector('nonce in upper-case hex', s(hello(helloBody.replace(n, n.toUpperCase())))),
      vector('nonce of 31 bytes', s(hello(helloBody.replace(n, n.slice(2))))),
      vector('nonce with odd hex length', s(hello(helloBody.replace(n, n.slice(1))))),
      vector('certificate in URL-safe base64 with no padding', s(hello(helloBody.replace(c, cert.toString('base64url'))))),
      vector('certificate base64 with a line break', s(hello(helloBody.replace(c, `${c.slice(0, 20)}\n${c.slice(20)}`)))),
      vector('x25519 key share of 33 bytes', s(hello(helloBody.replace(k, `${k}00`)))),
      vector('both KeyShare and EncryptedPremaster', s(hello(`<Version>1.0</Version><Nonce>${n}</Nonce><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><EncryptedPremaster>${c}</EncryptedPremaster><Cipher>AES-256-GCM</Cipher><Certificate>${c}</Certificate>`))),
      vector('9 certificates (limit 8)', s(hello(`<Version>1.0</Version><Nonce>${n}</Nonce><Method>x25519</Method><KeyShare method="x25519">${k}</KeyShare><Cipher>AES-256-GCM</Cipher>${`<Certificate>${c}</Certificate>`.repeat(9)}`))),
      vector('invalid UTF-8', Buffer.concat([s(`<Message xmlns="${NS}" id="u" timestamp="2026-11-26T19:00:00Z">`), Buffer.from([0xc3, 0x28]), s('</Message>')])),
      vector('overlong UTF-8 encoding of "/"', Buffer.concat([s(`<Message xmlns="${NS}" id="u" timestamp="2026-11-26T19:00:00Z">`), Buffer.from([0xc0, 0xaf]), s('</Message>')])),
      vector('mixed content', s(`<Ping xmlns="${NS}" id="a">text<X/>more</Ping>`)),
      vector('mismatched closing tag', s(`<Ping xmlns="${NS}" id="a"></Pong>`)),
      vector('unclosed element', s(`<Ping xmlns="${NS}" id="a">`)),
      vector('two root elements', s(`<Ping xmlns="${NS}" id="a"/><Ping xmlns="${NS}" id="b"/>`)),
      vector('empty document', s('')),
      vector('bad timestamp', s(`<Message xmlns="${NS}" id="t" timestamp="26/11/2026">x</Message>`)),
      vector('bad message id', s(`<Message xmlns="${NS}" id="has space" timestamp="2026-11-26T19:00:00Z">x</Message>`)),
      vector('bad user ID in from', s(hello(helloBody, `xmlns="${NS}" role="initiator" from="alice" to="bob@example.com"`))),
      vector('role neither initiator nor responder', s(hello(helloBody, `xmlns="${NS}" role="observer" from="alice@example.com" to="bob@example.com"`))),
      vector('alert level neither warning nor fatal', s(`<Alert xmlns="${NS}" level="severe" code="decode_error"/>`)),
      vector('KeyUpdate request neither true nor false', s(`<KeyUpdate xmlns="${NS}" request="yes"/>`)),
      vector('Finished of 31 bytes', s(`<Finished xmlns="${NS}">${toHex(rng.bytes(31))}</Finished>`)),
    );
    return makeVectorFile(
      'E2ED-XML',
      'schemas/xml.schema.json',
      seed,
      {
        message: '`messageHex` is the exact payload of a plaintext frame (type 0x01); `message` is the same text when it is valid UTF-8.',
        valid: '`kind` is the message it decodes to (InitiatorHello, ResponderHello, CertificateVerify, Finished, Alert, Message, Receipt, Ping, Pong, KeyUpdate, or Unknown for an unknown root element, which the receiver then treats by context).',
        invalid: '`alert` is what a conforming receiver sends; `flags` names the requirement of docs/spec.md the refusal enforces; docs/spec.md Appendix D states, per requirement, the alert a vector citing it must carry.',
      },
      [{ type: 'XmlDecodeTest', tests }],
    );
  },
  verify(t) {
    const bytes = fromHex(field(t, 'messageHex'));
    if (typeof t.message === 'string' && !Buffer.from(t.message, 'utf8').equals(bytes)) return 'message and messageHex disagree';
    const whole = decodeOutcome(bytes, 0);
    const bytewise = decodeOutcome(bytes, 1);
    if (JSON.stringify(whole) !== JSON.stringify(bytewise)) return 'decoding one byte at a time differs from decoding whole';
    const flags = (t.flags as string[] | undefined) ?? [];
    const expected = t.result === 'valid' ? { kind: t.kind } : flags.length > 0 ? { alert: t.alert, requirement: flags[0] } : { alert: t.alert };
    return JSON.stringify(whole) === JSON.stringify(expected) ? null : `expected ${JSON.stringify(expected)}, the code gives ${JSON.stringify(whole)}`;
  },
};
