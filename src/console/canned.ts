/**
 * Canned replies for agents: the editors' templates in `<kbDir>/_replies.yml` ("标题: 内容" lines)
 * and the answer of every FAQ entry. The templates come from the knowledge base's one watcher
 * (the service's `files`), so a broken edit keeps the last good templates serving while its
 * problems are reported as file:line: message, like the FAQ's. Reading and checking the file is
 * the knowledge component's (it owns every editor file, so `kb lint` and the console agree).
 */
import path from 'node:path';
import { renderAnswer, watchEditorFiles, type CannedReply, type EditorFiles, type KbProblem, type KnowledgeBase } from '../knowledge/index.ts';

export type { CannedReply };

export interface CannedReplies {
  /** Templates first (file order), then the FAQ answers (by menu order, then question). */
  list(kb: KnowledgeBase | null): Promise<CannedReply[]>;
  /** Problems of the file as it is on disk now ([] when it loaded, or when there is none). */
  problems(): Promise<KbProblem[]>;
}

/**
 * @param kbDir the knowledge base folder (names the problems' file in full)
 * @param files the process's watcher of that folder (`KnowledgeService.files`); without it the
 *   templates are read on their own, again whenever the file's mtime changed
 */
export function cannedReplies(kbDir: string | undefined, files?: EditorFiles<unknown>): CannedReplies {
  let own: Promise<EditorFiles<unknown>> | undefined;
  // Not watching: no file handles to close, so a console without a knowledge service needs no stop.
  const editorFiles = async (): Promise<EditorFiles<unknown> | undefined> =>
    files ?? (kbDir ? await (own ??= watchEditorFiles<unknown>(kbDir, { parts: ['replies'], watch: false })) : undefined);
  const faqCache = new WeakMap<KnowledgeBase, CannedReply[]>();

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
      const f = await editorFiles();
      const templates = f ? (await f.refresh('replies')).replies : [];
      return [...templates, ...(kb ? faqReplies(kb) : [])];
    },
    async problems() {
      const f = await editorFiles();
      if (!f) return [];
      await f.refresh('replies');
      // Problems name the file in full (the console shows them next to the FAQ's).
      return f.problems('replies').map((p) => ({ ...p, file: path.join(kbDir ?? f.root, p.file) }));
    },
  };
}
