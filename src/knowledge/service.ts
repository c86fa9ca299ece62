import type { Logger } from 'pino';
import { Matcher } from './engine/matcher.ts';
import type { KbProblem, KnowledgeBase, MatchResult, Thresholds } from './types.ts';
import { watchKnowledgeBase, type KnowledgeWatcher } from './watcher.ts';

export interface KnowledgeServiceOptions {
  dir: string;
  thresholds?: Partial<Thresholds>;
  /** Watch the directory and apply edits without restart (default true). */
  watch?: boolean;
  debounceMs?: number;
  logger?: Logger;
  onReload?: (kb: KnowledgeBase) => void;
  onProblems?: (problems: KbProblem[]) => void;
}

export interface KnowledgeService {
  /** The matcher of the last good knowledge base. */
  matcher(): Matcher;
  match(question: string): MatchResult;
  /** Problems of the latest edit ([] when the files on disk are what is serving). */
  problems(): KbProblem[];
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

/** What the bot and the console use: a hot-reloaded knowledge base with its compiled matcher. */
export async function createKnowledgeService(opts: KnowledgeServiceOptions): Promise<KnowledgeService> {
  const log = opts.logger?.child({ module: 'knowledge' });
  const watcher: KnowledgeWatcher<Matcher> = await watchKnowledgeBase(opts.dir, {
    build: (kb) => new Matcher(kb, { thresholds: opts.thresholds }),
    debounceMs: opts.debounceMs,
    // Not watching still leaves reload() working (closing the watcher would disable it).
    watch: opts.watch,
    // The watcher logs each reload ('knowledge base reloaded') itself.
    logger: log,
    onReload: (m) => opts.onReload?.(m.kb),
    onProblems: opts.onProblems,
  });
  log?.info({ entries: watcher.current().kb.entries.length }, 'knowledge base loaded');
  return {
    matcher: () => watcher.current(),
    match: (q) => watcher.current().match(q),
    problems: () => watcher.problems(),
    reload: () => watcher.reload(),
    close: () => watcher.close(),
  };
}
