/**
 * Canned replies for agents: the editors' templates in `<kbDir>/_replies.yml` ("标题: 内容" lines)
 * and the answer of every FAQ entry. The file is re-read when it changes on disk (one stat per
 * request), and a broken edit keeps the last good templates serving while its problems are
 * reported as file:line: message, like the FAQ's. Reading and checking it is the knowledge
 * component's (it owns every editor file, so `kb lint` and the console agree).
 */
import path from 'node:path';
import { followFile, readReplies, renderAnswer, REPLIES_FILE, type CannedReply, type KbProblem, type KnowledgeBase } from '../knowledge/index.ts';

export type { CannedReply };

export interface CannedReplies {
  /** Templates first (file order), then the FAQ answers (by menu order, then question). */
  list(kb: KnowledgeBase | null): Promise<CannedReply[]>;
  /** Problems of the file as it is on disk now ([] when it loaded, or when there is none). */
  problems(): Promise<KbProblem[]>;
}

export function cannedReplies(kbDir: string | undefined): CannedReplies {
  // Problems name the file in full (the console shows them next to the FAQ's).
  const file = kbDir ? path.join(kbDir, REPLIES_FILE) : null;
  const follow = kbDir && file ? followFile(file, () => readReplies(kbDir, file)) : null;
  let good: CannedReply[] = [];
  let lastProblems: KbProblem[] = [];
  const faqCache = new WeakMap<KnowledgeBase, CannedReply[]>();

  async function refresh(): Promise<void> {
    const read = await follow?.();
    // No file: no templates, and nothing to report (it is optional).
    lastProblems = read?.problems ?? [];
    if (!read) good = [];
    else if (read.problems.length === 0) good = read.replies;
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
