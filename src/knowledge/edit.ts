/**
 * Editing FAQ files from the console: add an alternate phrasing to an entry, set the menu order,
 * start a new entry. The files stay the editors' files: a change touches only the lines it has to
 * (one added line for an alternate in the common case), keeps comments, key order, quoting, line
 * endings and the answer body byte for byte, so `git diff` shows exactly what the console did.
 *
 * Every change is checked before it lands: the tree on disk must lint before the edit, each file
 * is written atomically (temp file + rename), and when the tree does not lint afterwards every file
 * of the change gets its previous content back. The hot reload (or the caller's `reload()`) then
 * serves the new version. Edits in one process are serialized per knowledge-base folder; a file
 * changed on disk meanwhile (an editor's save) refuses the change instead of overwriting it.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { KefuError } from '../errors.ts';
import { formatProblem } from './errors.ts';
import { lintKnowledgeBase } from './loader.ts';
import { normalize } from './engine/text.ts';
import { unsafeText } from './safe-text.ts';
import type { FaqEntry, KbProblem, KnowledgeBase } from './types.ts';

/** Longest phrasing accepted (the matcher reads no more of a question either). */
export const MAX_PHRASE_CHARS = 200;
export const MAX_MENU = 10;
const MAX_ANSWER_CHARS = 4000;
const MAX_NEW_ALTERNATES = 50;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export type KbEditCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'UNSAFE_TEXT' | 'KB_INVALID';

/**
 * Why an edit was refused. NOT_FOUND: no such entry; CONFLICT: the phrasing, id or file exists
 * already, or the file changed on disk meanwhile; INVALID: bad input; UNSAFE_TEXT: a text with a
 * control character, a lone surrogate or nothing visible (see safe-text.ts); KB_INVALID: the tree
 * does not lint (before the edit, or it would not after it: then nothing was changed), `problems`
 * says why.
 */
export class KbEditError extends KefuError {
  declare readonly code: KbEditCode;
  readonly problems: KbProblem[];
  constructor(code: KbEditCode, message: string, problems: KbProblem[] = []) {
    super(code, message);
    this.problems = problems;
  }
}

export interface AlternateAdded {
  id: string;
  /** The entry's file, relative to the knowledge-base root. */
  file: string;
  /** The entry's alternates after the change, as the loader reads them. */
  alternates: string[];
}

export interface MenuItem {
  id: string;
  question: string;
  menu: number;
}

export interface NewEntry {
  id: string;
  question: string;
  alternates?: string[];
  /** The first tag and the folder: `<category>/<id>.md`. */
  category: string;
  /** The answer body, markdown. */
  answer: string;
}

export interface EntryCreated {
  id: string;
  file: string;
}

/** One file's new content; null removes it (only used to undo a created file). */
export interface FileChange {
  /** Relative to the knowledge-base root, forward slashes. */
  file: string;
  content: string | null;
  /** The content the change was computed from (null: the file must not exist yet). */
  expected: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Adds `question` to the `alternates` of entry `entryId`, creating the list when the entry has none.
 * Refused: an empty text, one over 200 characters or with a line break, and a phrasing that is
 * already this entry's question or alternate, or another entry's (compared normalized: width,
 * case, spaces and punctuation ignored).
 */
export async function addAlternate(kbDir: string, entryId: string, question: string): Promise<AlternateAdded> {
  const text = phrase(question, 'question');
  return serialized(kbDir, async (root) => {
    const kb = await lintedTree(root);
    const entry = findEntry(kb, entryId);
    checkPhrasing(kb, [text], entry);
    const raw = await readEntryFile(root, entry.file);
    const content = withAlternate(raw, text, entry.file);
    const after = await applyKbEdits(root, [{ file: entry.file, content, expected: raw }]);
    const updated = after.entries.find((e) => e.id === entry.id);
    return { id: entry.id, file: entry.file, alternates: updated?.alternates ?? [] };
  });
}

/**
 * Makes `ids` the menu, in that order (`menu: 1` for the first …, at most 10), and removes `menu`
 * from every other entry that has one. Only the `menu:` lines of the entries whose position
 * changes are touched. Returns the new menu.
 */
export async function setMenuOrder(kbDir: string, ids: readonly string[]): Promise<MenuItem[]> {
  if (ids.length > MAX_MENU) throw new KbEditError('INVALID', `the menu has at most ${MAX_MENU} entries (got ${ids.length})`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new KbEditError('INVALID', `"${id}" is in the menu twice`);
    seen.add(id);
  }
  return serialized(kbDir, async (root) => {
    const kb = await lintedTree(root);
    for (const id of ids) findEntry(kb, id);
    const changes: FileChange[] = [];
    for (const entry of kb.entries) {
      const i = ids.indexOf(entry.id);
      const want = i < 0 ? undefined : i + 1;
      if (entry.menu === want) continue;
      const raw = await readEntryFile(root, entry.file);
      changes.push({ file: entry.file, content: withMenu(raw, want, entry.file), expected: raw });
    }
    const after = changes.length > 0 ? await applyKbEdits(root, changes) : kb;
    return menuOf(after);
  });
}

/**
 * Writes a new entry as `<category>/<id>.md` in the documented format: question, alternates,
 * `tags: [category]`, id, then the answer. Refused: an id that is not kebab-case or is taken, an
 * existing file, an empty answer, and phrasings another entry already has.
 */
export async function createEntry(kbDir: string, input: NewEntry): Promise<EntryCreated> {
  const id = input.id.trim();
  const category = input.category.trim();
  if (!KEBAB.test(id) || id.length > 64) throw new KbEditError('INVALID', `id "${id}" must be kebab-case: lower-case letters, digits and "-" (e.g. export-gif)`);
  if (!KEBAB.test(category) || category.length > 32) throw new KbEditError('INVALID', `category "${category}" must be kebab-case (e.g. recording, billing)`);
  const question = phrase(input.question, 'question');
  const alternates: string[] = [];
  const keys = new Set([phraseKey(question)]);
  for (const a of input.alternates ?? []) {
    const alt = phrase(a, 'alternate');
    if (keys.has(phraseKey(alt))) continue;
    keys.add(phraseKey(alt));
    alternates.push(alt);
  }
  if (alternates.length > MAX_NEW_ALTERNATES) throw new KbEditError('INVALID', `at most ${MAX_NEW_ALTERNATES} alternates`);
  const answer = input.answer.replace(/\r\n?/g, '\n').trim();
  if (!answer) throw new KbEditError('INVALID', 'the answer is empty: write what the bot should reply');
  refuseUnsafe(answer, 'answer');
  if (answer.length > MAX_ANSWER_CHARS) throw new KbEditError('INVALID', `the answer has more than ${MAX_ANSWER_CHARS} characters`);

  return serialized(kbDir, async (root) => {
    const kb = await lintedTree(root);
    const file = `${category}/${id}.md`;
    const taken = kb.entries.find((e) => e.id === id);
    if (taken) throw new KbEditError('CONFLICT', `id "${id}" is taken by ${taken.file}`);
    if (await exists(path.join(root, file))) throw new KbEditError('CONFLICT', `${file} exists already`);
    checkPhrasing(kb, [question, ...alternates]);
    const doc = new Document({ question, ...(alternates.length > 0 ? { alternates } : {}), tags: [category], id });
    (doc.get('tags', true) as YAMLSeq).flow = true;
    const content = `---\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}---\n${answer}\n`;
    await applyKbEdits(root, [{ file, content, expected: null }]);
    return { id, file };
  });
}

/**
 * Writes `changes` (each atomically), then lints the tree; when it does not lint, every file gets
 * its previous content back (created files are removed) and KB_INVALID lists the problems. A file
 * whose content is no longer `expected` refuses the whole change (CONFLICT) before anything is
 * written. Returns the knowledge base as loaded after the change.
 */
export async function applyKbEdits(root: string, changes: readonly FileChange[]): Promise<KnowledgeBase> {
  const abs = path.resolve(root);
  for (const c of changes) {
    if ((await currentContent(abs, c.file)) !== c.expected) {
      throw new KbEditError('CONFLICT', `${c.file} changed on disk meanwhile: reload and try again`);
    }
  }
  const done: FileChange[] = [];
  const createdDirs: string[] = [];
  const undo = async (): Promise<void> => {
    for (const c of done.reverse()) await writeAtomic(abs, c.file, c.expected).catch(() => undefined);
    for (const dir of createdDirs.reverse()) await rmdir(dir).catch(() => undefined);
  };
  try {
    for (const c of changes) {
      const dir = path.dirname(path.join(abs, c.file));
      if (!(await exists(dir))) {
        createdDirs.push(...(await missingDirs(abs, dir)));
        await mkdir(dir, { recursive: true });
      }
      await writeAtomic(abs, c.file, c.content, c.expected === null);
      done.push(c);
    }
  } catch (err) {
    await undo();
    if (err instanceof KbEditError) throw err;
    throw new KbEditError('CONFLICT', `could not write the change: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { kb, problems } = await lintKnowledgeBase(abs);
  if (!kb) {
    await undo();
    throw new KbEditError('KB_INVALID', `the change would break the knowledge base, nothing was changed:\n${problems.map(formatProblem).join('\n')}`, problems);
  }
  return kb;
}

/** The menu of a loaded knowledge base, by position. */
export function menuOf(kb: KnowledgeBase): MenuItem[] {
  return kb.entries
    .filter((e) => e.menu !== undefined)
    .map((e) => ({ id: e.id, question: e.question, menu: e.menu! }))
    .sort((a, b) => a.menu - b.menu);
}

/** Two phrasings are the same when they differ only in width, case, spaces or punctuation. */
export const phraseKey = (text: string): string => normalize(text).replace(/[\s\p{P}\p{S}]+/gu, '');

// ---------------------------------------------------------------------------------------------------------------
// Checks

function phrase(value: string, what: string): string {
  const text = value.trim();
  if (!text) throw new KbEditError('INVALID', `the ${what} is empty`);
  if (/[\r\n\u2028\u2029]/.test(text)) throw new KbEditError('INVALID', `the ${what} must be one line`);
  refuseUnsafe(text, what);
  if ([...text].length > MAX_PHRASE_CHARS) throw new KbEditError('INVALID', `the ${what} has more than ${MAX_PHRASE_CHARS} characters`);
  if (!phraseKey(text)) throw new KbEditError('INVALID', `the ${what} has no words`);
  return text;
}

/** The loader would refuse the file anyway; refusing the text first names the field, not a file. */
function refuseUnsafe(text: string, what: string): void {
  const bad = unsafeText(text);
  if (bad) throw new KbEditError('UNSAFE_TEXT', `the ${what} ${bad.message}`);
}

function findEntry(kb: KnowledgeBase, id: string): FaqEntry {
  const entry = kb.entries.find((e) => e.id === id);
  if (!entry) throw new KbEditError('NOT_FOUND', `no entry "${id}"`);
  return entry;
}

/** One phrasing belongs to one entry (README tip 7): refuse what an entry already has. */
function checkPhrasing(kb: KnowledgeBase, texts: string[], target?: FaqEntry): void {
  const owner = new Map<string, { entry: FaqEntry; question: boolean }>();
  for (const e of kb.entries) {
    owner.set(phraseKey(e.question), { entry: e, question: true });
    for (const a of e.alternates) if (!owner.has(phraseKey(a))) owner.set(phraseKey(a), { entry: e, question: false });
  }
  for (const text of texts) {
    const hit = owner.get(phraseKey(text));
    if (!hit) continue;
    const what = hit.question ? 'the question' : 'an alternate';
    if (hit.entry === target) throw new KbEditError('CONFLICT', `"${text}" is ${what} of "${target.id}" already`);
    throw new KbEditError('CONFLICT', `"${text}" is ${what} of "${hit.entry.id}" (${hit.entry.file}): one phrasing belongs to one entry`);
  }
}

async function lintedTree(root: string): Promise<KnowledgeBase> {
  const { kb, problems } = await lintKnowledgeBase(root);
  if (!kb) {
    throw new KbEditError('KB_INVALID', `the knowledge base has ${problems.length} problem(s), fix them first:\n${problems.map(formatProblem).join('\n')}`, problems);
  }
  return kb;
}

// ---------------------------------------------------------------------------------------------------------------
// Front matter surgery: the `yaml` document model finds the nodes and their offsets; the text is
// spliced there, so nothing else of the file is re-serialized. The result is parsed again and must
// mean exactly the old front matter plus the change; otherwise the document model writes it.

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

function splitFile(raw: string, file: string): FileParts {
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
  const head = raw.slice(0, firstEnd + 1);
  const yaml = raw.slice(firstEnd + 1, start);
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new KbEditError('KB_INVALID', `${file}: front matter does not parse`);
  const eol = raw.slice(0, firstEnd + 1).endsWith('\r\n') ? '\r\n' : '\n';
  return { head, yaml, tail: raw.slice(start), eol, doc, map: doc.contents };
}

const pairOf = (map: YAMLMap, key: string): Pair | undefined =>
  map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);

const rangeOf = (node: unknown): [number, number, number] | undefined => (node as Node | null | undefined)?.range ?? undefined;

/** Start of the line after the one holding offset `at`. */
function nextLine(text: string, at: number): number {
  const nl = text.indexOf('\n', Math.max(0, at));
  return nl < 0 ? text.length : nl + 1;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

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

function withAlternate(raw: string, text: string, file: string): string {
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

function withMenu(raw: string, menu: number | undefined, file: string): string {
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

// ---------------------------------------------------------------------------------------------------------------
// Files

async function readEntryFile(root: string, file: string): Promise<string> {
  const text = await currentContent(root, file);
  if (text === null) throw new KbEditError('CONFLICT', `${file} is gone from disk: reload and try again`);
  return text;
}

async function currentContent(root: string, file: string): Promise<string | null> {
  try {
    return await readFile(path.join(root, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

/** The folders between `root` and `dir` that do not exist yet, outermost first. */
async function missingDirs(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; d.startsWith(root) && d !== root; d = path.dirname(d)) {
    if (await exists(d)) break;
    out.unshift(d);
  }
  return out;
}

/**
 * Replaces (or creates, or with null removes) a file so that readers see the old or the new
 * content, never half of it: a dot-named temp file next to it (the loader and the watcher skip dot
 * files), then a rename; a new file is linked in, so an existing one is never overwritten.
 */
async function writeAtomic(root: string, file: string, content: string | null, create = false): Promise<void> {
  const target = path.join(root, file);
  if (content === null) {
    await unlink(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = (await stat(target).catch(() => null))?.mode;
  await writeFile(temp, content, mode === undefined ? {} : { mode: mode & 0o777 });
  try {
    if (create) {
      await link(temp, target).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new KbEditError('CONFLICT', `${file} exists already`);
        throw err;
      });
      await unlink(temp);
    } else {
      await rename(temp, target);
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** One edit at a time per knowledge-base folder (in this process). */
const queues = new Map<string, Promise<unknown>>();

async function serialized<T>(kbDir: string, fn: (root: string) => Promise<T>): Promise<T> {
  const root = path.resolve(kbDir);
  const before = queues.get(root) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => fn(root));
  const tail = run.catch(() => undefined);
  queues.set(root, tail);
  try {
    return await run;
  } finally {
    if (queues.get(root) === tail) queues.delete(root);
  }
}
