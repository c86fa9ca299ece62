import { lintKnowledgeBase } from '../loader.ts';
import { problemLine } from './load.ts';

export async function runLint(kbDir: string): Promise<number> {
  const { kb, problems } = await lintKnowledgeBase(kbDir);
  if (!kb) {
    for (const p of problems) process.stdout.write(`${problemLine(kbDir, p)}\n`);
    return 1;
  }
  const categories = new Set(kb.entries.map((e) => e.category));
  const alternates = kb.entries.reduce((n, e) => n + e.alternates.length, 0);
  const menu = kb.entries.filter((e) => e.menu !== undefined).length;
  process.stdout.write(
    `${kbDir}: ok — ${kb.entries.length} entries, ${alternates} alternates, ${categories.size} categories, ${menu} in the menu\n`,
  );
  return 0;
}
