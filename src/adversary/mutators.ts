// Mutators (tlsfuzzer's fuzzers, TLS-Attacker's modifications): each wraps one send and changes
// the message at one of three levels: the XML tree (a field removed, duplicated, emptied, given a
// value, moved, renamed, a sibling added), the document text (a declaration, a comment, PI,
// DOCTYPE, entity or CDATA injected, whitespace), or the payload bytes (a bit flipped, truncated,
// extended). They are data (`{ "op": ... }`), so that a script names them and the catalogue
// checks them before a run starts.
import { cloneNode, locate, node, type XNode } from './xml-tree.js';

export type TreeMutator =
  /** Removes the element or attribute at `path` (`all`: every sibling element of that name). */
  | { op: 'remove'; path: string; all?: boolean }
  /** Repeats the element or attribute at `path` right after itself. */
  | { op: 'duplicate'; path: string }
  /** Gives the element at `path` this text, or the attribute this value (creating the attribute if absent). */
  | { op: 'set'; path: string; value: string }
  /** Empties the element's text or the attribute's value. */
  | { op: 'empty'; path: string }
  /** Adds a child `name` to the element at `path` (default the root), at `at` (default last); `critical` sets critical="true". */
  | { op: 'addChild'; path?: string; name: string; critical?: boolean; text?: string; at?: number }
  /** Adds an element `name` right after the element at `path` (an unknown sibling). */
  | { op: 'addSibling'; path: string; name: string; critical?: boolean }
  /** Moves the element at `path` to position `to` among its siblings (0 = first; -1 = last). */
  | { op: 'move'; path: string; to: number }
  /** Renames the element or attribute at `path` (a case change, a prefix, another name). */
  | { op: 'rename'; path: string; name: string }
  /** Puts text beside the children of the element at `path` (mixed content). */
  | { op: 'mixText'; path?: string; text: string }
  /** Sets the root's namespace to `value`, or removes it (`value` absent). */
  | { op: 'namespace'; value?: string }
  /** Gives the child at `path` its own `xmlns` attribute. */
  | { op: 'childNamespace'; path: string; value: string };

export type TextMutator =
  /** An XML declaration (its whole text) before the root. */
  | { op: 'declaration'; text: string }
  /** Injects a construct at the start of the document, before the first child of the root (`inside`), or at the end. */
  | { op: 'inject'; what: 'comment' | 'pi' | 'doctype' | 'entity' | 'cdata' | 'whitespace' | 'text' | 'secondRoot' | 'charRef'; where: 'start' | 'inside' | 'end' }
  /** Replaces the first occurrence of `find` in the document text by `replace`. */
  | { op: 'replace'; find: string; replace: string };

export type ByteMutator =
  /** Flips bit `bit` (0..7) of payload byte `at` (negative: from the end). */
  | { op: 'flipBit'; at: number; bit?: number }
  /** Keeps only the first `keep` bytes (negative: drops that many from the end). */
  | { op: 'truncate'; keep: number }
  /** Appends these bytes (hex). */
  | { op: 'extend'; hex: string }
  /** Puts these bytes (hex) at the start of the payload (a BOM, invalid UTF-8). */
  | { op: 'prefix'; hex: string }
  /** Replaces the byte at `at` with `hex` (one or more bytes). */
  | { op: 'overwrite'; at: number; hex: string };

export type Mutator = TreeMutator | TextMutator | ByteMutator;

export const TREE_OPS = ['remove', 'duplicate', 'addSibling', 'set', 'empty', 'addChild', 'move', 'rename', 'mixText', 'namespace', 'childNamespace'] as const;
export const TEXT_OPS = ['declaration', 'inject', 'replace'] as const;
export const BYTE_OPS = ['flipBit', 'truncate', 'extend', 'prefix', 'overwrite'] as const;
export const MUTATOR_OPS: readonly string[] = [...TREE_OPS, ...TEXT_OPS, ...BYTE_OPS];
export const INJECTABLE = ['comment', 'pi', 'doctype', 'entity', 'cdata', 'whitespace', 'text', 'secondRoot', 'charRef'] as const;

/** Which fields each op takes (required, optional): the catalogue's check of a script. */
export const MUTATOR_FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  remove: { required: ['path'], optional: ['all'] },
  duplicate: { required: ['path'], optional: [] },
  set: { required: ['path', 'value'], optional: [] },
  empty: { required: ['path'], optional: [] },
  addChild: { required: ['name'], optional: ['path', 'critical', 'text', 'at'] },
  move: { required: ['path', 'to'], optional: [] },
  addSibling: { required: ['path', 'name'], optional: ['critical'] },
  rename: { required: ['path', 'name'], optional: [] },
  mixText: { required: ['text'], optional: ['path'] },
  namespace: { required: [], optional: ['value'] },
  childNamespace: { required: ['path', 'value'], optional: [] },
  declaration: { required: ['text'], optional: [] },
  inject: { required: ['what', 'where'], optional: [] },
  replace: { required: ['find', 'replace'], optional: [] },
  flipBit: { required: ['at'], optional: ['bit'] },
  truncate: { required: ['keep'], optional: [] },
  extend: { required: ['hex'], optional: [] },
  prefix: { required: ['hex'], optional: [] },
  overwrite: { required: ['at', 'hex'], optional: [] },
};

/**
 * What is wrong with a mutator given as data, as the field it concerns and the problem, or
 * undefined when it is well formed: the one check of the vocabulary, for the adversary's scripts
 * and the relay's (src/run/adversary/catalogue.ts, src/relay/check.ts).
 */
export function mutatorProblem(m: unknown): { field: string; problem: string } | undefined {
  if (typeof m !== 'object' || m === null) return { field: 'op', problem: 'a mutator is an object { "op": ... }' };
  const op = (m as { op?: unknown }).op;
  if (typeof op !== 'string' || !MUTATOR_OPS.includes(op)) return { field: 'op', problem: `unknown mutator "${String(op)}" (known: ${MUTATOR_OPS.join(', ')})` };
  const spec = MUTATOR_FIELDS[op]!;
  const fields = m as Record<string, unknown>;
  for (const r of spec.required) if (fields[r] === undefined) return { field: r, problem: `the mutator ${op} needs it` };
  for (const k of Object.keys(fields)) if (k !== 'op' && !spec.required.includes(k) && !spec.optional.includes(k)) return { field: k, problem: `the mutator ${op} has no such field` };
  if (op === 'inject' && !(INJECTABLE as readonly string[]).includes(String(fields['what']))) return { field: 'what', problem: `unknown injection "${String(fields['what'])}"` };
  return undefined;
}

export const isByteMutator = (m: Mutator): m is ByteMutator => (BYTE_OPS as readonly string[]).includes(m.op);

/** The bytes after the byte mutators of the list (the others are skipped), in list order. */
export function applyByteMutators(bytes: Buffer, mutators: readonly Mutator[]): Buffer {
  let out = bytes;
  for (const m of mutators) if (isByteMutator(m)) out = mutateBytes(out, m);
  return out;
}

const isTree = (m: Mutator): m is TreeMutator => (TREE_OPS as readonly string[]).includes(m.op);
const isText = (m: Mutator): m is TextMutator => (TEXT_OPS as readonly string[]).includes(m.op);

/** The payload bytes of `tree` after every mutator, applied tree first, then text, then bytes (each group in script order). */
export function applyMutators(tree: XNode, mutators: readonly Mutator[], write: (n: XNode) => string): Buffer {
  let t = cloneNode(tree);
  for (const m of mutators) if (isTree(m)) t = mutateTree(t, m);
  let text = write(t);
  for (const m of mutators) if (isText(m)) text = mutateText(text, m, t.name);
  let bytes: Buffer = Buffer.from(text, "utf8");
  for (const m of mutators) if (!isTree(m) && !isText(m)) bytes = mutateBytes(bytes, m);
  return bytes;
}

function mutateTree(root: XNode, m: TreeMutator): XNode {
  switch (m.op) {
    case 'namespace': {
      root.attrs = root.attrs.filter(([k]) => k !== 'xmlns');
      if (m.value !== undefined) root.attrs.unshift(['xmlns', m.value]);
      return root;
    }
    case 'addChild': {
      const at = locate(root, m.path ?? '');
      const child = node(m.name, { critical: m.critical ? 'true' : undefined }, m.text ?? '');
      const list = at.node.children;
      if (at.node.text !== '' && list.length === 0) at.node.text = ''; // a leaf with text cannot take a child without becoming mixed
      list.splice(m.at === undefined || m.at < 0 ? list.length : m.at, 0, child);
      return root;
    }
    case 'mixText': {
      const at = locate(root, m.path ?? '');
      at.node.text = m.text;
      return root;
    }
    default:
      break;
  }
  const at = locate(root, m.path);
  if (at.attribute !== undefined) {
    const name = at.attribute;
    const i = at.node.attrs.findIndex(([k]) => k === name);
    switch (m.op) {
      case 'remove':
        if (i >= 0) at.node.attrs.splice(i, 1);
        return root;
      case 'duplicate':
        if (i >= 0) at.node.attrs.splice(i + 1, 0, [name, at.node.attrs[i]![1]]);
        return root;
      case 'set':
        if (i >= 0) at.node.attrs[i]![1] = m.value;
        else at.node.attrs.push([name, m.value]);
        return root;
      case 'empty':
        if (i >= 0) at.node.attrs[i]![1] = '';
        return root;
      case 'rename':
        if (i >= 0) at.node.attrs[i]![0] = m.name;
        return root;
      default:
        throw new Error(`${m.op} does not apply to an attribute (${m.path})`);
    }
  }
  switch (m.op) {
    case 'remove':
      if (!at.parent) throw new Error('cannot remove the root');
      if (m.all) at.parent.children = at.parent.children.filter((c) => c.name !== at.node.name);
      else at.parent.children.splice(at.index, 1);
      return root;
    case 'duplicate':
      if (!at.parent) throw new Error('cannot duplicate the root');
      at.parent.children.splice(at.index + 1, 0, cloneNode(at.node));
      return root;
    case 'set':
      at.node.text = m.value;
      at.node.children = [];
      return root;
    case 'empty':
      at.node.text = '';
      at.node.children = [];
      return root;
    case 'rename':
      at.node.name = m.name;
      return root;
    case 'addSibling':
      if (!at.parent) throw new Error('the root has no siblings');
      at.parent.children.splice(at.index + 1, 0, node(m.name, { critical: m.critical ? 'true' : undefined }));
      return root;
    case 'move': {
      if (!at.parent) throw new Error('cannot move the root');
      const [moved] = at.parent.children.splice(at.index, 1);
      const list = at.parent.children;
      list.splice(m.to < 0 ? list.length : m.to, 0, moved!);
      return root;
    }
    case 'childNamespace':
      at.node.attrs.unshift(['xmlns', m.value]);
      return root;
    default:
      throw new Error(`unknown tree mutator ${(m as { op: string }).op}`);
  }
}

const INJECTIONS: Record<(typeof INJECTABLE)[number], string> = {
  comment: '<!-- sixbench -->',
  pi: '<?sixbench probe?>',
  doctype: '<!DOCTYPE x [<!ENTITY e "v">]>',
  entity: '&sixbench;',
  cdata: '<![CDATA[x]]>',
  whitespace: ' \n\t',
  text: 'stray',
  secondRoot: '<Extra/>',
  charRef: '&#1;',
};

function mutateText(text: string, m: TextMutator, rootName: string): string {
  switch (m.op) {
    case 'declaration':
      return m.text + text;
    case 'replace': {
      const i = text.indexOf(m.find);
      if (i < 0) throw new Error(`replace: "${m.find}" is not in the document`);
      return text.slice(0, i) + m.replace + text.slice(i + m.find.length);
    }
    case 'inject': {
      const s = INJECTIONS[m.what];
      if (m.where === 'start') return s + text;
      if (m.where === 'end') return text + s;
      // inside: right after the root's start tag (before its first child or its text)
      const close = text.indexOf('>');
      if (text[close - 1] === '/') return `${text.slice(0, close - 1)}>${s}</${rootName}>`;
      return text.slice(0, close + 1) + s + text.slice(close + 1);
    }
  }
}

function mutateBytes(b: Buffer, m: ByteMutator): Buffer {
  switch (m.op) {
    case 'flipBit': {
      const out = Buffer.from(b);
      const at = m.at < 0 ? out.length + m.at : m.at;
      if (at < 0 || at >= out.length) throw new Error(`flipBit: byte ${m.at} is outside the ${out.length}-byte payload`);
      out[at] = out[at]! ^ (1 << (m.bit ?? 0));
      return out;
    }
    case 'truncate':
      return Buffer.from(m.keep < 0 ? b.subarray(0, Math.max(0, b.length + m.keep)) : b.subarray(0, m.keep));
    case 'extend':
      return Buffer.concat([b, Buffer.from(m.hex, 'hex')]);
    case 'prefix':
      return Buffer.concat([Buffer.from(m.hex, 'hex'), b]);
    case 'overwrite': {
      const out = Buffer.from(b);
      const at = m.at < 0 ? out.length + m.at : m.at;
      Buffer.from(m.hex, 'hex').copy(out, at);
      return out;
    }
  }
}
