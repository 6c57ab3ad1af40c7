// A message as the adversary builds it (docs/spec.md sections 3 and 4): a plain XML tree that can
// hold anything the codec in src/protocol/xml.ts would refuse (prefixed names, a second xmlns,
// duplicated attributes, text beside children), written out byte for byte as the tree says. The
// core's serialiser is deliberately not used: it checks what it writes, and the adversary must not.

export interface XNode {
  name: string;
  /** In order; duplicates allowed. The root's `xmlns` is an attribute like any other, so it can be changed or removed. */
  attrs: [string, string][];
  children: XNode[];
  /** Character data: before the children when there are children (mixed content is a mutation). */
  text: string;
}

export function node(name: string, attrs: Record<string, string | undefined> = {}, content: XNode[] | string = []): XNode {
  const list: [string, string][] = [];
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) list.push([k, v]);
  return typeof content === 'string' ? { name, attrs: list, children: [], text: content } : { name, attrs: list, children: content, text: '' };
}

export function cloneNode(n: XNode): XNode {
  return { name: n.name, attrs: n.attrs.map(([k, v]) => [k, v]), children: n.children.map(cloneNode), text: n.text };
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

/** The document text: no declaration, no whitespace between elements, self-closing empty elements. */
export function writeXml(n: XNode): string {
  const out: string[] = [];
  write(n, out);
  return out.join('');
}

function write(n: XNode, out: string[]): void {
  out.push('<', n.name);
  for (const [k, v] of n.attrs) out.push(' ', k, '="', escapeAttr(v), '"');
  if (n.children.length === 0 && n.text === '') {
    out.push('/>');
    return;
  }
  out.push('>', escapeText(n.text));
  for (const c of n.children) write(c, out);
  out.push('</', n.name, '>');
}

/**
 * A path into a tree: segments separated by `/`, each `Name` (first child of that name), `Name[k]`
 * (the k-th, from 0) or, last, `@attr`. The empty path is the root. Examples: `@from`, `Nonce`,
 * `Certificate[1]`, `Reason`, `KeyShare/@method`.
 */
export interface Located {
  parent: XNode | undefined;
  node: XNode;
  index: number;
  attribute?: string;
}

export class PathError extends Error {}

export function locate(root: XNode, path: string): Located {
  if (path === '' || path === '.') return { parent: undefined, node: root, index: -1 };
  const segments = path.split('/');
  let parent: XNode | undefined;
  let cur = root;
  let index = -1;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.startsWith('@')) {
      if (s !== segments.length - 1) throw new PathError(`"${path}": an attribute must be the last segment`);
      return { parent, node: cur, index, attribute: seg.slice(1) };
    }
    const m = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(seg);
    if (!m) throw new PathError(`"${path}": bad segment "${seg}"`);
    const want = Number(m[2] ?? 0);
    let seen = 0;
    let found = -1;
    for (let i = 0; i < cur.children.length; i++) {
      if (cur.children[i]!.name === m[1]) {
        if (seen === want) {
          found = i;
          break;
        }
        seen++;
      }
    }
    if (found < 0) throw new PathError(`"${path}": no element ${seg} under <${cur.name}>`);
    parent = cur;
    index = found;
    cur = cur.children[found]!;
  }
  return { parent, node: cur, index };
}

export function getAttr(n: XNode, name: string): string | undefined {
  return n.attrs.find(([k]) => k === name)?.[1];
}

export function setAttr(n: XNode, name: string, value: string): void {
  const a = n.attrs.find(([k]) => k === name);
  if (a) a[1] = value;
  else n.attrs.push([name, value]);
}
