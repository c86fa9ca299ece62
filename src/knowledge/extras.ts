/**
 * The matcher's editor files at the root of the knowledge base: `_synonyms.yml` (groups of words
 * that mean the same) and `_words.yml` (words the segmenter keeps whole), `.yaml` accepted too.
 * They are part of the FAQ's load (the matcher compiles them with the entries), so a problem in
 * one keeps the last good FAQ serving, like a problem in an entry.
 */
import type { z } from 'zod';
import { readText } from './files.ts';
import { numbersAsWritten, parseYaml, stripBom } from './frontmatter.ts';
import type { LineProblem, YamlPath } from './frontmatter.ts';
import { issueProblems, synonymsSchema, wordsSchema } from './schema.ts';
import type { KbExtras, KbProblem } from './types.ts';

const synonymLabel = (p: YamlPath): string =>
  p.length === 0 ? 'the file' : `group ${Number(p[0]) + 1}${p.length > 1 ? ` word ${Number(p[1]) + 1}` : ''}`;
const wordLabel = (p: YamlPath): string => (p.length === 0 ? 'the file' : `word ${Number(p[0]) + 1}`);

/**
 * Reads `_synonyms` and `_words` from `root`; `rootFiles` are the names present at the root (other
 * `_*` files are the editors' own or other parts'). Problems go to `problems`; a broken file counts
 * as empty here (the caller refuses the whole load on any problem).
 */
export function readExtras(root: string, rootFiles: readonly string[], problems: KbProblem[]): KbExtras {
  const find = (name: string): string | undefined => {
    const [yml, yaml] = [`_${name}.yml`, `_${name}.yaml`].map((f) => (rootFiles.includes(f) ? f : undefined));
    if (yml && yaml) problems.push({ file: yaml, line: 1, message: `${yml} exists too: keep only one of them` });
    return yml ?? yaml;
  };
  const synonyms = readExtra(root, find('synonyms'), synonymsSchema, synonymLabel, problems);
  const words = readExtra(root, find('words'), wordsSchema, wordLabel, problems);
  return { synonyms: synonyms ?? [], words: words ?? [] };
}

function readExtra<T>(
  root: string,
  file: string | undefined,
  schema: z.ZodType<T>,
  label: (p: YamlPath) => string,
  problems: KbProblem[],
): T | undefined {
  if (!file) return undefined;
  const report = (p: LineProblem): void => void problems.push({ file, ...p });
  const text = readText(root, file);
  if (text === null) return undefined;
  if (typeof text !== 'string') return void report(text);
  const yaml = parseYaml(stripBom(text), 1);
  if (yaml.problems.length > 0) return void yaml.problems.forEach(report);
  numbersAsWritten(yaml.doc.contents);
  let raw: unknown;
  try {
    raw = yaml.doc.toJS({ maxAliasCount: 100 }) ?? null;
  } catch {
    raw = null; // only alias abuse gets here; an empty list then
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  issueProblems(parsed.error, yaml.lineOf, label).forEach(report);
  return undefined;
}
