/**
 * Every file the editors keep in the knowledge base, as three parts that load apart, so a broken
 * one never blocks another: the FAQ (entries with `_synonyms.yml` and `_words.yml`, what the
 * matcher compiles; loader.ts), the bot's phrases (`_messages.yml`; phrases.ts), the agents'
 * reply templates (`_replies.yml`; replies.ts) and the small-talk phrases (`_smalltalk.yml`;
 * smalltalk.ts). Each part's module parses and validates its files;
 * this one routes a path to its part and reads a part, for `kb lint` (all parts in one pass) and
 * the watcher (editor-watch.ts).
 */
import { lintKnowledgeBase } from './loader.ts';
import { DEFAULT_MESSAGES_FILE, readMessages, type Messages } from './phrases.ts';
import { readReplies, REPLIES_FILE, type CannedReply } from './replies.ts';
import { DEFAULT_SMALLTALK, readSmalltalk, SMALLTALK_FILE, type Smalltalk } from './smalltalk.ts';
import type { KbProblem, KnowledgeBase } from './types.ts';

export type EditorPart = 'faq' | 'messages' | 'replies' | 'smalltalk';
export const EDITOR_PARTS: readonly EditorPart[] = Object.freeze(['faq', 'messages', 'replies', 'smalltalk']);
/** The parts kept in one file at the root. */
export type OneFilePart = Exclude<EditorPart, 'faq'>;

/** What each part serves once loaded. */
export interface EditorPartValues {
  faq: KnowledgeBase;
  messages: Messages;
  replies: readonly CannedReply[];
  smalltalk: Smalltalk;
}

/**
 * A part as read from disk: `value` when it loaded, else its problems (paths relative to the
 * root). Neither: the part's file is absent and it has no value of its own then (the phrases; the
 * templates are optional and load as none).
 */
export interface PartRead<T> {
  value?: T;
  problems: KbProblem[];
}

export interface EditorFileNames {
  /** The phrases' file, relative to the root (default `_messages.yml`). */
  messagesFile?: string;
}

/** The file of a one-file part (paths relative to the root, forward slashes). */
export function partFile(part: OneFilePart, names: EditorFileNames = {}): string {
  if (part === 'smalltalk') return SMALLTALK_FILE;
  return part === 'messages' ? (names.messagesFile ?? DEFAULT_MESSAGES_FILE) : REPLIES_FILE;
}

/** The part a changed path belongs to; anything else in the tree (a folder, a rename) is the FAQ's. */
export function partOfPath(rel: string, names: EditorFileNames = {}): EditorPart {
  if (rel === partFile('messages', names)) return 'messages';
  if (rel === REPLIES_FILE) return 'replies';
  if (rel === SMALLTALK_FILE) return 'smalltalk';
  return 'faq';
}

const cannotLoad = (err: unknown): KbProblem[] => [{ file: '.', line: 1, message: `cannot load: ${err instanceof Error ? err.message : String(err)}` }];

/** Reads one part of the knowledge base at `root`; never throws (a failure is a problem). */
export async function readPart<P extends EditorPart>(root: string, part: P, names: EditorFileNames = {}): Promise<PartRead<EditorPartValues[P]>> {
  try {
    return (await readAny(root, part, names)) as PartRead<EditorPartValues[P]>;
  } catch (err) {
    return { problems: cannotLoad(err) };
  }
}

async function readAny(root: string, part: EditorPart, names: EditorFileNames): Promise<PartRead<EditorPartValues[EditorPart]>> {
  switch (part) {
    case 'faq': {
      const { kb, problems } = await lintKnowledgeBase(root);
      return kb ? { value: kb, problems } : { problems };
    }
    case 'messages': {
      const read = readMessages(root, partFile('messages', names));
      if (!read) return { problems: [] };
      return read.messages ? { value: read.messages, problems: [] } : { problems: read.problems };
    }
    case 'replies': {
      // No file: no templates, and nothing to report (they are optional).
      const read = readReplies(root);
      if (!read) return { value: [], problems: [] };
      return read.problems.length === 0 ? { value: read.replies, problems: [] } : { problems: read.problems };
    }
    case 'smalltalk': {
      // No file: the built-in phrases.
      const read = readSmalltalk(root);
      if (!read) return { value: DEFAULT_SMALLTALK, problems: [] };
      return read.smalltalk ? { value: read.smalltalk, problems: [] } : { problems: read.problems };
    }
  }
}

export const byFileThenLine = (a: KbProblem, b: KbProblem): number => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);

export interface EditorFilesReport {
  /** The FAQ, or null when any FAQ, synonym or word file has a problem. */
  kb: KnowledgeBase | null;
  /** The bot's phrases; undefined when `_messages.yml` is absent or has problems. */
  messages?: Messages;
  /** The agents' reply templates; undefined when `_replies.yml` is absent or has problems. */
  replies?: CannedReply[];
  /** The small-talk phrases (built-in without `_smalltalk.yml`); undefined when the file has problems. */
  smalltalk?: Smalltalk;
  /** Every problem of every editor file, by file, then line; paths relative to the root. */
  problems: KbProblem[];
}

/** `kb lint`: every part in one pass, so an editor learns of a problem before the bot does. */
export async function lintEditorFiles(root: string): Promise<EditorFilesReport> {
  const faq = await readPart(root, 'faq');
  // No folder to look into: the loader said so once, for the whole tree.
  if (!faq.value && faq.problems.some((p) => p.file === '.')) return { kb: null, problems: faq.problems };
  const messages = await readPart(root, 'messages');
  const replies = readReplies(root);
  const smalltalk = await readPart(root, 'smalltalk');
  const problems = [...faq.problems, ...messages.problems, ...(replies?.problems ?? []), ...smalltalk.problems].sort(byFileThenLine);
  const report: EditorFilesReport = { kb: faq.value ?? null, problems };
  if (messages.value) report.messages = messages.value;
  if (smalltalk.value) report.smalltalk = smalltalk.value;
  if (replies && replies.problems.length === 0) report.replies = replies.replies;
  return report;
}
