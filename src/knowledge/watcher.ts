import path from 'node:path';
import { watch } from 'chokidar';
import type { Logger } from 'pino';
import { formatProblem, KnowledgeBaseInvalidError } from './errors.ts';
import { lintKnowledgeBase } from './loader.ts';
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

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Loads the knowledge base (throwing KnowledgeBaseInvalidError if it is broken), then keeps
 * `current()` up to date as editors change files. A broken edit never replaces the last good value.
 */
export async function watchKnowledgeBase<T>(root: string, opts: WatchOptions<T>): Promise<KnowledgeWatcher<T>> {
  const abs = path.resolve(root);
  const { build, logger, debounceMs = 200 } = opts;

  // Editors' lock/swap files and VCS folders start with a dot; the loader skips them too.
  const ignored = (p: string): boolean =>
    path
      .relative(abs, p)
      .split(path.sep)
      .some((seg) => (seg.startsWith('.') && seg !== '..') || seg === 'node_modules');
  const fsw = opts.watch === false ? null : watch(abs, { ignoreInitial: true, ignored });
  fsw?.on('error', (err) => logger?.warn({ err }, 'knowledge base watcher error'));

  let ready = false;
  let dirty = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<boolean> | null = null;
  let queued: Promise<boolean> | null = null;
  let lastProblems: KbProblem[] = [];

  const schedule = (): void => {
    if (closed) return;
    if (!ready) {
      dirty = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };
  // Every kind of change matters (add/unlink/rename of files and folders, `_*.yml` edits);
  // the loader decides what counts.
  fsw?.on('all', schedule);

  if (fsw) await new Promise<void>((resolve) => fsw.once('ready', resolve));
  let value: T;
  try {
    const { kb, problems } = await lintKnowledgeBase(abs);
    if (!kb) throw new KnowledgeBaseInvalidError(problems);
    value = build(kb);
  } catch (err) {
    await fsw?.close();
    throw err;
  }

  const report = (problems: KbProblem[]): void => {
    lastProblems = problems;
    for (const p of problems) logger?.warn({ file: p.file, line: p.line }, formatProblem(p));
    logger?.warn(`knowledge base not reloaded (${problems.length} problem(s)); still serving the last good version`);
    callSafely(() => opts.onProblems?.(problems));
  };
  const callSafely = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger?.error({ err }, 'knowledge base reload listener failed');
    }
  };

  const attempt = async (): Promise<boolean> => {
    const { kb, problems } = await lintKnowledgeBase(abs).catch((err: unknown) => ({
      kb: null,
      problems: [{ file: '.', line: 1, message: `cannot load: ${errText(err)}` }],
    }));
    if (closed) return false;
    if (!kb) {
      report(problems);
      return false;
    }
    let next: T;
    try {
      next = build(kb);
    } catch (err) {
      report([{ file: '.', line: 1, message: `build failed: ${errText(err)}` }]);
      return false;
    }
    value = next;
    lastProblems = [];
    logger?.info({ entries: kb.entries.length }, 'knowledge base reloaded');
    callSafely(() => opts.onReload?.(next, kb));
    return true;
  };

  // One reload at a time; requests during a reload share a single follow-up reload so the
  // newest files are always read after the last change.
  const reload = (): Promise<boolean> => {
    clearTimeout(timer);
    if (closed) return Promise.resolve(false);
    if (!inFlight) {
      inFlight = attempt().finally(() => {
        inFlight = null;
      });
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = null;
      return reload();
    });
    return queued;
  };

  ready = true;
  if (dirty) schedule();

  return {
    current: () => value,
    problems: () => lastProblems,
    reload,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await fsw?.close();
      await inFlight?.catch(() => false);
    },
  };
}
