/**
 * Front matter surgery for the console's FAQ edits (edit.ts): the `yaml` document model finds the
 * nodes and their offsets; the text is spliced there, so nothing else of the file is re-serialized
 * (comments, key order, quoting, line endings and the answer stay byte for byte). The result is
 * parsed again and must mean exactly the old front matter plus the change; otherwise the document
 * model writes it, and if even that does not, the edit is refused.
 */
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { KbEditError } from './errors.ts';

interface FileParts {
  /** Everything up to the front matter (BOM, opening fence line). */
  head: string;
  yaml: string;
  /** The closing fence and the body, untouched. */
  tail: string;
  eol: string;
  doc: ReturnType<typeof parseDocument>;
  map: YAMLMap;
}

/** The opening fence line, the front matter and the closing fence with the body, as written. */
export function splitFrontMatter(raw: string, file: string): { head: string; yaml: string; tail: string } {
  const bom = raw.startsWith('\uFEFF') ? 1 : 0;
  const fence = /^---[ \t]*\r?$/;
  const firstEnd = raw.indexOf('\n', bom);
  if (firstEnd < 0 || !fence.test(raw.slice(bom, firstEnd))) throw new KbEditError('KB_INVALID', `${file}: no front matter`);
  let start = firstEnd + 1;
  for (;;) {
    const end = raw.indexOf('\n', start);
    const line = raw.slice(start, end < 0 ? raw.length : end);
    if (fence.test(line)) break;
    if (end < 0) throw new KbEditError('KB_INVALID', `${file}: front matter is not closed`);
    start = end + 1;
  }
  return { head: raw.slice(0, firstEnd + 1), yaml: raw.slice(firstEnd + 1, start), tail: raw.slice(start) };
}

function splitFile(raw: string, file: string): FileParts {
  const { head, yaml, tail } = splitFrontMatter(raw, file);
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new KbEditError('KB_INVALID', `${file}: front matter does not parse`);
  const eol = head.endsWith('\r\n') ? '\r\n' : '\n';
  return { head, yaml, tail, eol, doc, map: doc.contents };
}

const pairOf = (map: YAMLMap, key: string): Pair | undefined =>
  map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);

const rangeOf = (node: unknown): [number, number, number] | undefined => (node as Node | null | undefined)?.range ?? undefined;

/** Start of the line after the one holding offset `at`. */
export function nextLine(text: string, at: number): number {
  const nl = text.indexOf('\n', Math.max(0, at));
  return nl < 0 ? text.length : nl + 1;
}

/** Start of the line holding offset `at`. */
export const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

/** Start of the line after a value (a block value's range ends on the next line's start). */
const afterValue = (text: string, node: unknown, fallback: number): number => {
  const r = rangeOf(node);
  return r ? nextLine(text, Math.max(r[0], r[1] - 1)) : fallback;
};

const splice = (text: string, at: number, remove: number, insert: string): string => text.slice(0, at) + insert + text.slice(at + remove);

/** One scalar as YAML would write it in a block or flow list, in the neighbours' quoting style. */
function scalarSource(text: string, style: Scalar['type'], flow: boolean): string {
  const doc = new Document([text]);
  const seq = doc.contents as YAMLSeq<Scalar>;
  if (style === 'QUOTE_DOUBLE' || style === 'QUOTE_SINGLE') seq.items[0]!.type = style;
  seq.flow = flow;
  const out = doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return flow ? out.slice(1, -1) : out.replace(/^- /, '');
}

const jsOf = (yaml: string): Record<string, unknown> | undefined => {
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  return doc.toJS() as Record<string, unknown>;
};

/** True when `after` means `before` with only `key` changed to `value` (undefined: removed). */
function onlyChanged(before: string, after: string, key: string, value: unknown): boolean {
  const a = jsOf(before);
  const b = jsOf(after);
  if (!a || !b) return false;
  const { [key]: _old, ...restA } = a;
  const { [key]: now, ...restB } = b;
  void _old;
  return JSON.stringify(restA) === JSON.stringify(restB) && JSON.stringify(now) === JSON.stringify(value);
}

export function withAlternate(raw: string, text: string, file: string): string {
  const parts = splitFile(raw, file);
  const { yaml, eol, map, doc } = parts;
  const pair = pairOf(map, 'alternates');
  const value = pair?.value;
  const old = isSeq(value) ? (value.toJSON() as unknown[]) : [];
  const expected = [...old, text];
  let next: string | undefined;

  if (!pair) {
    // No list yet: right after the question (the documented order), as a block list.
    const question = pairOf(map, 'question');
    const at = question ? afterValue(yaml, question.value, yaml.length) : yaml.length;
    next = splice(yaml, at, 0, `alternates:${eol}${blockIndent(yaml, map)}- ${scalarSource(text, 'PLAIN', false)}${eol}`);
  } else if (isSeq(value) && value.flow) {
    const last = value.items[value.items.length - 1];
    const end = rangeOf(value);
    const lastRange = rangeOf(last);
    const style = isScalar(last) ? last.type : 'PLAIN';
    if (lastRange) next = splice(yaml, lastRange[1], 0, `, ${scalarSource(text, style, true)}`);
    else if (end && yaml[end[1] - 1] === ']') next = splice(yaml, end[1] - 1, 0, scalarSource(text, 'PLAIN', true));
  } else if (isSeq(value)) {
    const last = value.items[value.items.length - 1];
    const r = rangeOf(last);
    if (r && isScalar(last)) {
      const ls = lineStart(yaml, r[0]);
      const prefix = yaml.slice(ls, r[0]);
      if (/^[ \t]*-[ \t]+$/.test(prefix)) {
        next = splice(yaml, afterValue(yaml, last, yaml.length), 0, `${prefix}${scalarSource(text, last.type, false)}${eol}`);
      }
    }
  } else if (value === null || (isScalar(value) && value.value === null)) {
    const r = rangeOf(value);
    const keyEnd = rangeOf(pair.key)?.[1] ?? 0;
    if (!r || r[0] === r[1] || (isScalar(value) && !value.source)) {
      // `alternates:` with nothing after it: the item goes on the next line.
      next = splice(yaml, nextLine(yaml, keyEnd), 0, `${blockIndent(yaml, map)}- ${scalarSource(text, 'PLAIN', false)}${eol}`);
    } else {
      next = splice(yaml, r[0], r[1] - r[0], `[${scalarSource(text, 'PLAIN', true)}]`);
    }
  }

  if (next === undefined || !onlyChanged(yaml, next, 'alternates', expected)) {
    // Something unusual (a multi-line item, a tag): let the document model write it.
    if (isSeq(value)) value.add(doc.createNode(text));
    else doc.set('alternates', doc.createNode([text]));
    next = doc.toString({ lineWidth: 0 });
    if (!onlyChanged(yaml, next, 'alternates', expected)) throw new KbEditError('KB_INVALID', `${file}: could not add the alternate safely`);
  }
  return parts.head + next + parts.tail;
}

/** The indentation of the file's block lists (`  - ` in the documented format). */
function blockIndent(yaml: string, map: YAMLMap): string {
  for (const p of map.items) {
    if (isSeq(p.value) && !p.value.flow && p.value.items[0]) {
      const r = rangeOf(p.value.items[0]);
      if (!r) continue;
      const m = /^([ \t]*)-[ \t]+$/.exec(yaml.slice(lineStart(yaml, r[0]), r[0]));
      if (m) return m[1]!;
    }
  }
  return '  ';
}

export function withMenu(raw: string, menu: number | undefined, file: string): string {
  const parts = splitFile(raw, file);
  const { yaml, eol, map, doc } = parts;
  const pair = pairOf(map, 'menu');
  let next: string | undefined;
  const keyRange = rangeOf(pair?.key);
  const valueRange = rangeOf(pair?.value);
  if (pair && keyRange && valueRange && menu !== undefined) {
    next = splice(yaml, valueRange[0], valueRange[1] - valueRange[0], String(menu));
  } else if (pair && keyRange && menu === undefined) {
    const from = lineStart(yaml, keyRange[0]);
    const to = nextLine(yaml, Math.max(keyRange[1], (valueRange?.[1] ?? 0) - 1));
    next = splice(yaml, from, to - from, '');
  } else if (!pair && menu !== undefined) {
    // After `id:` (the documented order), else before `related:`, else at the end.
    const id = pairOf(map, 'id');
    const related = rangeOf(pairOf(map, 'related')?.key);
    const at = id ? afterValue(yaml, id.value, yaml.length) : related ? lineStart(yaml, related[0]) : yaml.length;
    next = splice(yaml, at, 0, `menu: ${menu}${eol}`);
  } else {
    return raw;
  }
  if (next === undefined || !onlyChanged(yaml, next, 'menu', menu)) {
    if (menu === undefined) doc.delete('menu');
    else doc.set('menu', menu);
    next = doc.toString({ lineWidth: 0 });
    if (!onlyChanged(yaml, next, 'menu', menu)) throw new KbEditError('KB_INVALID', `${file}: could not set the menu position safely`);
  }
  return parts.head + next + parts.tail;
}
