/**
 * Canned replies for agents: the editors' templates in `<kbDir>/_replies.yml` ("标题: 内容" lines)
 * and the answer of every FAQ entry. The file is re-read when it changes on disk (one stat per
 * request), and a broken edit keeps the last good templates serving while its problems are
 * reported as file:line: message, like the FAQ's.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap } from 'yaml';
import { z } from 'zod';
import { numbersAsWritten, parseYaml, stripBom } from '../knowledge/frontmatter.ts';
import { renderAnswer, type KbProblem, type KnowledgeBase } from '../knowledge/index.ts';

export const REPLIES_FILE = '_replies.yml';

export interface CannedReply {
  key: string;
  title: string;
  text: string;
  source: 'template' | 'faq';
  faqId?: string;
}

const MAX_TEMPLATES = 500;
const titleSchema = z.string().trim().min(1, 'the title must not be empty').max(40, 'the title must be at most 40 characters');
const textSchema = z.preprocess(
  (v) => (v === null ? '' : v),
  z
    .string({ error: 'must be text (put it in quotes when it starts with "{", "[" or contains ": ")' })
    .trim()
    .min(1, 'must not be empty')
    .max(2000, 'must be at most 2000 characters (one WeChat message)'),
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

export interface CannedReplies {
  /** Templates first (file order), then the FAQ answers (by menu order, then question). */
  list(kb: KnowledgeBase | null): Promise<CannedReply[]>;
  /** Problems of the file as it is on disk now ([] when it loaded, or when there is none). */
  problems(): Promise<KbProblem[]>;
}

export function cannedReplies(kbDir: string | undefined): CannedReplies {
  const file = kbDir ? path.join(kbDir, REPLIES_FILE) : null;
  let loadedMtime = -1;
  let good: CannedReply[] = [];
  let lastProblems: KbProblem[] = [];
  const faqCache = new WeakMap<KnowledgeBase, CannedReply[]>();

  async function refresh(): Promise<void> {
    if (!file) return;
    let mtime: number;
    try {
      mtime = (await stat(file)).mtimeMs;
    } catch {
      // No file: no templates, and nothing to report (it is optional).
      good = [];
      lastProblems = [];
      loadedMtime = -1;
      return;
    }
    if (mtime === loadedMtime) return;
    loadedMtime = mtime;
    const { replies, problems } = parseReplies(await readFile(file, 'utf8'), file);
    lastProblems = problems;
    if (problems.length === 0) good = replies;
  }

  function faqReplies(kb: KnowledgeBase): CannedReply[] {
    let out = faqCache.get(kb);
    if (!out) {
      const entries = [...kb.entries].sort((a, b) => (a.menu ?? 99) - (b.menu ?? 99) || a.question.localeCompare(b.question, 'zh-CN'));
      out = entries.map((e) => ({ key: `faq:${e.id}`, title: e.question, text: renderAnswer(e.answer).join('\n\n'), source: 'faq', faqId: e.id }));
      faqCache.set(kb, out);
    }
    return out;
  }

  return {
    async list(kb) {
      await refresh();
      return [...good, ...(kb ? faqReplies(kb) : [])];
    },
    async problems() {
      await refresh();
      return lastProblems;
    },
  };
}
