/**
 * The agents' reply templates, `_replies.yml` at the root of the knowledge base: "标题: 内容"
 * lines. Not FAQ entries (the loader skips `_*` files): a broken edit never blocks the FAQ, and
 * problems are reported as file:line: message like the FAQ's (by `kb lint` and the console).
 */
import { isMap } from 'yaml';
import { z } from 'zod';
import { readText } from './files.ts';
import { numbersAsWritten, parseYaml, stripBom } from './frontmatter.ts';
import { unsafeText } from './safe-text.ts';
import { refuseUnsafe } from './schema.ts';
import type { KbProblem } from './types.ts';

export const REPLIES_FILE = '_replies.yml';

export interface CannedReply {
  /** `t:<title>` for a template, `faq:<id>` for an FAQ answer. */
  key: string;
  title: string;
  text: string;
  source: 'template' | 'faq';
  faqId?: string;
}

const MAX_TEMPLATES = 500;
const titleSchema = z
  .string()
  .trim()
  .min(1, 'the title must not be empty')
  .max(40, 'the title must be at most 40 characters')
  .superRefine((s, ctx) => {
    const bad = unsafeText(s);
    if (bad) ctx.addIssue({ code: 'custom', message: `the title ${bad.message}` });
  });
const textSchema = z.preprocess(
  (v) => (v === null ? '' : v),
  z
    .string({ error: 'must be text (put it in quotes when it starts with "{", "[" or contains ": ")' })
    .trim()
    .min(1, 'must not be empty')
    .max(2000, 'must be at most 2000 characters (one WeChat message)')
    .superRefine(refuseUnsafe),
);

/** Parses the text of a replies file; `file` only names it in the problems. */
export function parseReplies(source: string, file: string = REPLIES_FILE): { replies: CannedReply[]; problems: KbProblem[] } {
  const problems: KbProblem[] = [];
  const report = (line: number, message: string): void => void problems.push({ file, line, message });
  const { doc, problems: yamlProblems, lineOf } = parseYaml(stripBom(source), 1);
  if (yamlProblems.length > 0) {
    for (const p of yamlProblems) report(p.line, p.message);
    return { replies: [], problems };
  }
  if (doc.contents === null) return { replies: [], problems };
  if (!isMap(doc.contents)) {
    report(lineOf([], 1), 'must be "标题: 内容" lines, e.g. "稍等查询: 好的，我帮您查一下"');
    return { replies: [], problems };
  }
  numbersAsWritten(doc.contents);
  const raw = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  const replies: CannedReply[] = [];
  for (const [title, value] of Object.entries(raw)) {
    const t = titleSchema.safeParse(title);
    const v = textSchema.safeParse(value);
    if (!t.success) report(lineOf([title], 1), t.error.issues[0]!.message);
    else if (!v.success) report(lineOf([title], 1), `"${t.data}" ${v.error.issues[0]!.message}`);
    else replies.push({ key: `t:${t.data}`, title: t.data, text: v.data, source: 'template' });
  }
  if (replies.length > MAX_TEMPLATES) report(1, `at most ${MAX_TEMPLATES} replies (got ${replies.length})`);
  return { replies: replies.slice(0, MAX_TEMPLATES), problems };
}

/**
 * Reads and checks `<root>/_replies.yml`; null when there is none (the templates are optional).
 * Problems name the file as `file` (default: relative to the root).
 */
export function readReplies(root: string, file: string = REPLIES_FILE): { replies: CannedReply[]; problems: KbProblem[] } | null {
  const text = readText(root, REPLIES_FILE);
  if (text === null) return null;
  if (typeof text !== 'string') return { replies: [], problems: [{ file, ...text }] };
  return parseReplies(text, file);
}
