import { lintEditorFiles } from '../editor-files.ts';
import { problemLine } from './load.ts';

/** `kb lint`: every editor file of the knowledge base; exit 1 with file:line: message lines on any problem. */
export async function runLint(kbDir: string): Promise<number> {
  const { kb, messages, replies, problems } = await lintEditorFiles(kbDir);
  if (!kb || problems.length > 0) {
    for (const p of problems) process.stdout.write(`${problemLine(kbDir, p)}\n`);
    return 1;
  }
  const categories = new Set(kb.entries.map((e) => e.category));
  const alternates = kb.entries.reduce((n, e) => n + e.alternates.length, 0);
  const menu = kb.entries.filter((e) => e.menu !== undefined).length;
  const phrases = messages ? `, ${Object.keys(messages).length} bot phrases` : '';
  const templates = replies ? `, ${replies.length} reply templates` : '';
  process.stdout.write(
    `${kbDir}: ok — ${kb.entries.length} entries, ${alternates} alternates, ${categories.size} categories, ${menu} in the menu${phrases}${templates}\n`,
  );
  return 0;
}
