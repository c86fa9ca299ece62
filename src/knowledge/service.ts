import type { Logger } from 'pino';
import { Matcher } from './engine/matcher.ts';
import { watchEditorFiles, type EditorFiles } from './editor-watch.ts';
import { KnowledgeBaseInvalidError } from './errors.ts';
import type { KbProblem, KnowledgeBase, MatchResult, Thresholds } from './types.ts';

export interface KnowledgeServiceOptions {
  dir: string;
  thresholds?: Partial<Thresholds>;
  /** Watch the directory and apply edits without restart (default true). */
  watch?: boolean;
  debounceMs?: number;
  logger?: Logger;
  /** A new FAQ serves. */
  onReload?: (kb: KnowledgeBase) => void;
  /** An edit of the FAQ (entries, synonyms, words) did not load; the last good one keeps serving. */
  onProblems?: (problems: KbProblem[]) => void;
}

export interface KnowledgeService {
  /** The matcher of the last good knowledge base. */
  matcher(): Matcher;
  match(question: string): MatchResult;
  /** Problems of the latest edit of the FAQ ([] when the files on disk are what is serving). */
  problems(): KbProblem[];
  /** Reads every editor file now; true when the FAQ's new version serves. */
  reload(): Promise<boolean>;
  /**
   * Every editor file of the folder through the same watcher: the bot's phrases, the agents'
   * reply templates, the problems of each and their change events (`watchMessages({ files })`,
   * `cannedReplies(dir, files)`).
   */
  readonly files: EditorFiles<Matcher>;
  close(): Promise<void>;
}

/** What the bot and the console use: a hot-reloaded knowledge base with its compiled matcher. */
export async function createKnowledgeService(opts: KnowledgeServiceOptions): Promise<KnowledgeService> {
  const log = opts.logger?.child({ module: 'knowledge' });
  const files = await watchEditorFiles(opts.dir, {
    compile: (kb) => new Matcher(kb, { thresholds: opts.thresholds }),
    debounceMs: opts.debounceMs,
    // Not watching still leaves reload() working (closing the watcher would disable it).
    watch: opts.watch,
    // The watcher logs each reload ('knowledge base reloaded') itself.
    logger: log,
  });
  const first = files.snapshot().faq;
  if (!first) {
    await files.close();
    throw new KnowledgeBaseInvalidError(files.problems('faq'));
  }
  files.onChange((e) => {
    if (e.part !== 'faq') return;
    if (e.applied) opts.onReload?.(e.snapshot.kb!);
    else opts.onProblems?.(e.problems);
  });
  log?.info({ entries: first.kb.entries.length }, 'knowledge base loaded');
  const matcher = (): Matcher => files.snapshot().faq!;
  return {
    matcher,
    match: (q) => matcher().match(q),
    problems: () => files.problems('faq'),
    reload: async () => (await files.reload()).faq ?? false,
    files,
    close: () => files.close(),
  };
}
