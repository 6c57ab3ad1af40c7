// Every message of docs/spec.md sections 4 and 11 as a template: the tree a correct peer would
// send at this point of the conversation, built from the session (nonces, key shares, transcript,
// keys), which a script then changes with `set` values and mutators.
import { toBase64, toHex } from '../protocol/bytes.js';
import { E2ED_NAMESPACE } from '../protocol/messages.js';
import type { EcdheMethod } from '../protocol/ecdhe.js';
import { node, type XNode } from './xml-tree.js';
import type { Session } from './session.js';

/** The message names a script may send or expect ("Hello" is the Hello of the adversary's own role when sent). */
export const MESSAGE_NAMES = [
  'Hello',
  'InitiatorHello',
  'ResponderHello',
  'CertificateVerify',
  'Finished',
  'Alert',
  'Message',
  'Receipt',
  'Ping',
  'Pong',
  'KeyUpdate',
  'Unknown',
] as const;
export type MessageName = (typeof MESSAGE_NAMES)[number];

export const HANDSHAKE_NAMES: readonly MessageName[] = ['Hello', 'InitiatorHello', 'ResponderHello', 'CertificateVerify', 'Finished'];

/** What the adversary offers or selects when the script says nothing else. */
export interface Offer {
  versions: string[];
  methods: string[];
  ciphers: string[];
}

export interface TemplateContext {
  session: Session;
  /** The user the adversary talks to. */
  peerUserId: string;
  offer: Offer;
  /** Application message fields a script can give (`id`, `text`, `level`, `code`, `request`, `name`, `critical`). */
  fields: Record<string, string | boolean | undefined>;
}

const str = (v: string | boolean | undefined, dflt: string): string => (v === undefined ? dflt : String(v));

export function template(name: MessageName, ctx: TemplateContext): XNode {
  const s = ctx.session;
  const f = ctx.fields;
  const root = (n: string, attrs: Record<string, string | undefined>, content: XNode[] | string = []): XNode =>
    node(n, { xmlns: E2ED_NAMESPACE, ...attrs }, content);
  const resolved = name === 'Hello' ? (s.role === 'initiator' ? 'InitiatorHello' : 'ResponderHello') : name;
  switch (resolved) {
    case 'InitiatorHello': {
      const method = ctx.offer.methods[0]!;
      const keyMaterial =
        method === 'rsa-oaep'
          ? node('EncryptedPremaster', {}, toBase64(s.encryptedPremaster(s.peerChain ?? [])))
          : node('KeyShare', { method }, toHex(s.ownShare(method as EcdheMethod)));
      return root('Hello', { role: 'initiator', from: s.identity.userId, to: ctx.peerUserId }, [
        ...ctx.offer.versions.map((v) => node('Version', {}, v)),
        node('Nonce', {}, toHex(s.ownNonce())),
        ...ctx.offer.methods.map((m) => node('Method', {}, m)),
        keyMaterial,
        ...ctx.offer.ciphers.map((c) => node('Cipher', {}, c)),
        ...s.identity.chain.map((c) => node('Certificate', {}, toBase64(c))),
      ]);
    }
    case 'ResponderHello': {
      const method = s.method;
      const children = [node('Nonce', {}, toHex(s.ownNonce()))];
      if (method === 'x25519' || method === 'p256') children.push(node('KeyShare', { method }, toHex(s.ownShare(method))));
      children.push(...s.identity.chain.map((c) => node('Certificate', {}, toBase64(c))));
      return root(
        'Hello',
        { role: 'responder', from: s.identity.userId, to: s.initiatorId ?? ctx.peerUserId, version: s.version, method, cipher: s.cipher },
        children,
      );
    }
    case 'CertificateVerify': {
      const cv = s.certificateVerify();
      return root('CertificateVerify', { algorithm: cv.algorithm }, toBase64(cv.signature));
    }
    case 'Finished':
      // Without a handshake secret (a Finished out of its place) any 32 bytes will do.
      return root('Finished', {}, toHex(s.hs ? s.finished() : Buffer.alloc(32)));
    default:
      return sessionlessTemplate(resolved, f);
  }
}

/** The messages whose template needs no session (no nonce, key share or transcript): what a relay, which holds no handshake keys, can build. */
export const SESSIONLESS_NAMES = ['Alert', 'Message', 'Receipt', 'Ping', 'Pong', 'KeyUpdate', 'Unknown'] as const satisfies readonly MessageName[];
export type SessionlessName = (typeof SESSIONLESS_NAMES)[number];

export function sessionlessTemplate(name: SessionlessName, f: TemplateContext['fields']): XNode {
  const root = (n: string, attrs: Record<string, string | undefined>, content: XNode[] | string = []): XNode =>
    node(n, { xmlns: E2ED_NAMESPACE, ...attrs }, content);
  switch (name) {
    case 'Alert': {
      const reason = f['reason'];
      return root('Alert', { level: str(f['level'], 'fatal'), code: str(f['code'], 'handshake_failure') }, reason === undefined ? [] : [node('Reason', {}, String(reason))]);
    }
    case 'Message':
      return root('Message', { id: str(f['id'], 'm1'), timestamp: str(f['timestamp'], '2026-11-26T19:00:00Z') }, str(f['text'], 'hello from sixbench'));
    case 'Receipt':
    case 'Ping':
    case 'Pong':
      return root(name, { id: str(f['id'], name === 'Ping' ? 'p1' : 'm1') });
    case 'KeyUpdate':
      return root('KeyUpdate', { request: str(f['request'], 'false') });
    case 'Unknown':
      return root(str(f['name'], 'Unheard'), { critical: f['critical'] === true || f['critical'] === 'true' ? 'true' : undefined }, str(f['text'], ''));
    default: {
      const never: never = name;
      throw new Error(`no template for ${String(never)}`);
    }
  }
}
