import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { lintKnowledgeBase } from '../loader.ts';
import { parseReplies, REPLIES_FILE } from '../replies.ts';
import type { KbProblem } from '../types.ts';
import { problemLine } from './load.ts';

/** The agents' reply templates, when the knowledge base has them (they are optional). */
async function lintReplies(kbDir: string): Promise<{ count: number; problems: KbProblem[] } | null> {
  const text = await readFile(path.join(kbDir, REPLIES_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  const { replies, problems } = parseReplies(text, REPLIES_FILE);
  return { count: replies.length, problems };
}

export async function runLint(kbDir: string): Promise<number> {
  const [{ kb, problems }, replies] = await Promise.all([lintKnowledgeBase(kbDir), lintReplies(kbDir)]);
  const all = [...problems, ...(replies?.problems ?? [])];
  if (!kb || all.length > 0) {
    for (const p of all) process.stdout.write(`${problemLine(kbDir, p)}\n`);
    return 1;
  }
  const categories = new Set(kb.entries.map((e) => e.category));
  const alternates = kb.entries.reduce((n, e) => n + e.alternates.length, 0);
  const menu = kb.entries.filter((e) => e.menu !== undefined).length;
  const templates = replies ? `, ${replies.count} reply templates` : '';
  process.stdout.write(
    `${kbDir}: ok — ${kb.entries.length} entries, ${alternates} alternates, ${categories.size} categories, ${menu} in the menu${templates}\n`,
  );
  return 0;
}
