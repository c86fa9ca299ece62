/**
 * Every file the editors keep in the knowledge base, checked in one pass for `kb lint`: the FAQ
 * entries with `_synonyms.yml` and `_words.yml` (what the matcher needs), the bot's phrases
 * (`_messages.yml`) and the agents' reply templates (`_replies.yml`). The phrases and templates
 * are loaded apart from the FAQ at run time, so a broken one never blocks the FAQ; here they are
 * reported together, so an editor learns before the bot does.
 */
import { lintKnowledgeBase } from './loader.ts';
import { readMessages, type Messages } from './phrases.ts';
import { readReplies, type CannedReply } from './replies.ts';
import type { KbProblem, KnowledgeBase } from './types.ts';

export interface EditorFilesReport {
  /** The FAQ, or null when any FAQ, synonym or word file has a problem. */
  kb: KnowledgeBase | null;
  /** The bot's phrases; undefined when `_messages.yml` is absent or has problems. */
  messages?: Messages;
  /** The agents' reply templates; undefined when `_replies.yml` is absent or has problems. */
  replies?: CannedReply[];
  /** Every problem of every editor file, by file, then line; paths relative to the root. */
  problems: KbProblem[];
}

export async function lintEditorFiles(root: string): Promise<EditorFilesReport> {
  const { kb, problems } = await lintKnowledgeBase(root);
  // No folder to look into: the loader said so once, for the whole tree.
  if (!kb && problems.some((p) => p.file === '.')) return { kb, problems };
  const messages = readMessages(root);
  const replies = readReplies(root);
  const all = [...problems, ...(messages?.problems ?? []), ...(replies?.problems ?? [])];
  all.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  const report: EditorFilesReport = { kb, problems: all };
  if (messages?.messages) report.messages = messages.messages;
  if (replies && replies.problems.length === 0) report.replies = replies.replies;
  return report;
}
