import path from 'node:path';
import { Matcher } from '../engine/matcher.ts';
import { lintKnowledgeBase } from '../loader.ts';
import type { KbProblem, Thresholds } from '../types.ts';

/** Problem paths as the editor typed the directory, so terminals and editors can open them. */
export function problemLine(kbDir: string, p: KbProblem): string {
  if (p.file === '.') return `${kbDir}: ${p.message}`;
  const file = path.join(kbDir, p.file);
  const message = p.see ? p.message.replace(`${p.see.file}:${p.see.line}`, `${path.join(kbDir, p.see.file)}:${p.see.line}`) : p.message;
  return `${file}:${p.line}: ${message}`;
}

/** Loads the knowledge base for a command; on problems prints them to stderr and returns null. */
export async function loadMatcher(kbDir: string, thresholds: Partial<Thresholds>): Promise<Matcher | null> {
  const { kb, problems } = await lintKnowledgeBase(kbDir);
  if (!kb) {
    for (const p of problems) process.stderr.write(`${problemLine(kbDir, p)}\n`);
    return null;
  }
  return new Matcher(kb, { thresholds });
}
