/**
 * The FAQ alone, hot-reloaded: `watchKnowledgeBase` is the one watcher (editor-watch.ts) limited
 * to the FAQ part, for callers that compile it into something of their own.
 */
import type { Logger } from 'pino';
import { watchEditorFiles } from './editor-watch.ts';
import { KnowledgeBaseInvalidError } from './errors.ts';
import type { KbProblem, KnowledgeBase } from './types.ts';

export interface KnowledgeWatcher<T> {
  /** Last good compiled value. */
  current(): T;
  /** Problems of the latest attempt ([] when it loaded). */
  problems(): KbProblem[];
  /** Forces a reload now; true when it was applied. */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export interface WatchOptions<T> {
  /** Compiles a loaded knowledge base (e.g. the matcher); runs once per successful load. */
  build: (kb: KnowledgeBase) => T;
  /** Quiet time after the last change before reloading; default 200. */
  debounceMs?: number;
  /** Follow file changes (default true); when false, only `reload()` reloads. */
  watch?: boolean;
  logger?: Logger;
  onReload?: (value: T, kb: KnowledgeBase) => void;
  onProblems?: (problems: KbProblem[]) => void;
}

/**
 * Loads the knowledge base (throwing KnowledgeBaseInvalidError if it is broken), then keeps
 * `current()` up to date as editors change files. A broken edit never replaces the last good value.
 */
export async function watchKnowledgeBase<T>(root: string, opts: WatchOptions<T>): Promise<KnowledgeWatcher<T>> {
  const files = await watchEditorFiles(root, { parts: ['faq'], compile: opts.build, debounceMs: opts.debounceMs, watch: opts.watch, logger: opts.logger });
  const first = files.snapshot().faq;
  if (first === undefined) {
    await files.close();
    throw new KnowledgeBaseInvalidError(files.problems('faq'));
  }
  files.onChange((e) => {
    if (e.applied) opts.onReload?.(e.snapshot.faq as T, e.snapshot.kb!);
    else opts.onProblems?.(e.problems);
  });
  return {
    current: () => files.snapshot().faq as T,
    problems: () => files.problems('faq'),
    reload: async () => (await files.reload()).faq ?? false,
    close: () => files.close(),
  };
}
