/**
 * Editing FAQ files from the console: add an alternate phrasing to an entry, set the menu order,
 * start a new entry. The files stay the editors' files: a change touches only the lines it has to
 * (one added line for an alternate in the common case; edit-splice.ts), keeps comments, key order,
 * quoting, line endings and the answer body byte for byte, so `git diff` shows exactly what the
 * console did.
 *
 * Every change is checked before it lands: the input here, and the files are written atomically
 * and put back when the change adds a problem to the tree (edit-write.ts). A tree with a broken
 * file elsewhere can still be edited: one editor's typo does not stop the others, and the bot
 * serves the last good version until it is fixed (`reloaded` false in the console's answer). The
 * hot reload (or the caller's `reload()`) then serves the new version.
 */
import path from 'node:path';
import { Document } from 'yaml';
import type { YAMLSeq } from 'yaml';
import { formatProblem, KbEditError } from './errors.ts';
import { splitFrontMatter, withAlternate, withMenu } from './edit-splice.ts';
import { applyKbEdits, exists, readEntryFile, serialized, type EditedTree, type FileChange } from './edit-write.ts';
import { lintKnowledgeBase } from './loader.ts';
import { normalize } from './engine/text.ts';
import { unsafeText } from './safe-text.ts';
import type { FaqEntry, KnowledgeBase } from './types.ts';

export { KbEditError, type KbEditCode } from './errors.ts';
export { applyKbEdits, type EditedTree, type FileChange } from './edit-write.ts';

/** Longest phrasing accepted (the matcher reads no more of a question either). */
export const MAX_PHRASE_CHARS = 200;
export const MAX_MENU = 10;
const MAX_ANSWER_CHARS = 4000;
const MAX_NEW_ALTERNATES = 50;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

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

export interface AnswerSet {
  id: string;
  file: string;
  /** False when the answer was already this text (nothing written). */
  changed: boolean;
}

export interface EntryCreated {
  id: string;
  file: string;
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
    const tree = await lintKnowledgeBase(root);
    const entry = findEntry(tree, entryId);
    checkPhrasing(tree, [text], entry);
    const raw = await readEntryFile(root, entry.file);
    const content = withAlternate(raw, text, entry.file);
    const after = await applyKbEdits(root, [{ file: entry.file, content, expected: raw }], tree.problems);
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
    const tree = await lintKnowledgeBase(root);
    for (const id of ids) findEntry(tree, id);
    const changes: FileChange[] = [];
    for (const entry of tree.entries) {
      const i = ids.indexOf(entry.id);
      const want = i < 0 ? undefined : i + 1;
      if (entry.menu === want) continue;
      const raw = await readEntryFile(root, entry.file);
      changes.push({ file: entry.file, content: withMenu(raw, want, entry.file), expected: raw });
    }
    const after = changes.length > 0 ? await applyKbEdits(root, changes, tree.problems) : tree;
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
    const tree = await lintKnowledgeBase(root);
    const file = `${category}/${id}.md`;
    const taken = tree.entries.find((e) => e.id === id);
    if (taken) throw new KbEditError('CONFLICT', `id "${id}" is taken by ${taken.file}`);
    if (await exists(path.join(root, file))) throw new KbEditError('CONFLICT', `${file} exists already`);
    checkPhrasing(tree, [question, ...alternates]);
    const doc = new Document({ question, ...(alternates.length > 0 ? { alternates } : {}), tags: [category], id });
    (doc.get('tags', true) as YAMLSeq).flow = true;
    const content = `---\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}---\n${answer}\n`;
    await applyKbEdits(root, [{ file, content, expected: null }], tree.problems);
    return { id, file };
  });
}

/**
 * Replaces entry `entryId`'s answer (the markdown below the front matter). The front matter stays
 * byte for byte; the file keeps its line endings. Refused: an empty answer, one over 4,000
 * characters, hidden or unsafe characters (the loader's rules).
 */
export async function setAnswer(kbDir: string, entryId: string, text: string): Promise<AnswerSet> {
  const answer = text.replace(/\r\n?/g, '\n').trim();
  if (!answer) throw new KbEditError('INVALID', 'the answer is empty: write what the bot should reply');
  refuseUnsafe(answer, 'answer');
  if (answer.length > MAX_ANSWER_CHARS) throw new KbEditError('INVALID', `the answer has more than ${MAX_ANSWER_CHARS} characters`);
  return serialized(kbDir, async (root) => {
    const tree = await lintKnowledgeBase(root);
    const entry = findEntry(tree, entryId);
    const raw = await readEntryFile(root, entry.file);
    const { head, yaml, tail } = splitFrontMatter(raw, entry.file);
    // The closing fence line as written, then the new body in the file's line endings.
    const fenceEnd = tail.indexOf('\n');
    const fence = fenceEnd < 0 ? `${tail}\n` : tail.slice(0, fenceEnd + 1);
    const eol = fence.endsWith('\r\n') ? '\r\n' : '\n';
    const content = `${head}${yaml}${fence}${answer.replace(/\n/g, eol)}${eol}`;
    if (content === raw) return { id: entry.id, file: entry.file, changed: false };
    await applyKbEdits(root, [{ file: entry.file, content, expected: raw }], tree.problems);
    return { id: entry.id, file: entry.file, changed: true };
  });
}

/** The menu of a loaded knowledge base (or of the entries of a tree that parse), by position. */
export function menuOf(kb: Pick<KnowledgeBase, 'entries'>): MenuItem[] {
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

export function findEntry(kb: EditedTree, id: string): FaqEntry {
  const entry = kb.entries.find((e) => e.id === id);
  if (entry) return entry;
  // Its file may be the broken one: say so rather than that it does not exist.
  if (kb.problems.length > 0) throw new KbEditError('KB_INVALID', `no entry "${id}" loads; the knowledge base has ${kb.problems.length} problem(s):\n${kb.problems.map(formatProblem).join('\n')}`, kb.problems);
  throw new KbEditError('NOT_FOUND', `no entry "${id}"`);
}

/** One phrasing belongs to one entry (README tip 7): refuse what an entry already has. */
function checkPhrasing(kb: EditedTree, texts: string[], target?: FaqEntry): void {
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
