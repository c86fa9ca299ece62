/**
 * Canned replies for agents: the editors' templates in `<kbDir>/_replies.yml` ("标题: 内容" lines)
 * and the answer of every FAQ entry. The file is re-read when it changes on disk (one stat per
 * request), and a broken edit keeps the last good templates serving while its problems are
 * reported as file:line: message, like the FAQ's.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseReplies, renderAnswer, REPLIES_FILE, type CannedReply, type KbProblem, type KnowledgeBase } from '../knowledge/index.ts';

export type { CannedReply };

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
