/**
 * The one watcher of a knowledge-base folder: a single chokidar watch follows every editor file
 * and reloads only the part a change belongs to (editor-files.ts), so a saved phrase does not
 * recompile the matcher. Each part keeps its last good version: a broken save is reported
 * (file:line, in the log and by `problems()`) and what served before keeps serving. The bot's
 * phrases, the console's reply templates and the FAQ's matcher all read one versioned snapshot.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { EDITOR_PARTS, partFile, partOfPath, readPart, type EditorFileNames, type EditorPart, type OneFilePart } from './editor-files.ts';
import { EditorState, type EditorEvent, type EditorSnapshot } from './editor-state.ts';
import type { Messages } from './phrases.ts';
import type { CannedReply } from './replies.ts';
import type { KbProblem, KnowledgeBase } from './types.ts';

export type { EditorEvent, EditorSnapshot };

/** Per part read: true when its new version serves. */
export type PartResults = Partial<Record<EditorPart, boolean>>;

export interface EditorFiles<C = KnowledgeBase> {
  /** The folder, resolved. */
  readonly root: string;
  readonly parts: readonly EditorPart[];
  /** Follows the files (else only `reload()` and `refresh()` read them). */
  readonly watching: boolean;
  snapshot(): EditorSnapshot<C>;
  messages(): Messages | undefined;
  replies(): readonly CannedReply[];
  /** Problems of the files on disk, of one part or all (by file, then line); [] when they are what serves. */
  problems(part?: EditorPart): KbProblem[];
  /** Reads every part now. One read at a time; calls during one share a single follow-up. */
  reload(): Promise<PartResults>;
  /** Without a watcher: reads a one-file part again when its file changed since (one stat). */
  refresh(part: OneFilePart): Promise<EditorSnapshot<C>>;
  /** Listens to every read after the first; returns the unsubscribe. */
  onChange(listener: (event: EditorEvent<C>) => void): () => void;
  close(): Promise<void>;
}

export interface EditorFilesOptions<C> extends EditorFileNames {
  /** The parts to load and follow (default all). */
  parts?: readonly EditorPart[];
  /** Compiles each good FAQ (e.g. the matcher); a throw is a problem and the last good stays. */
  compile?: (kb: KnowledgeBase) => C;
  /** Quiet time after the last change before reading; default 200, at least 60. */
  debounceMs?: number;
  /** Follow file changes (default true). */
  watch?: boolean;
  logger?: Logger;
}

const CHOKIDAR_CHANGE_THROTTLE_MS = 50;

/**
 * Loads the parts and (unless `watch: false`) follows the folder. Never throws for the files'
 * content: a part that does not load has no value yet and its problems; the callers decide what
 * they cannot start without (createKnowledgeService: the FAQ; watchMessages: the phrases).
 */
export async function watchEditorFiles<C = KnowledgeBase>(root: string, opts: EditorFilesOptions<C> = {}): Promise<EditorFiles<C>> {
  const abs = path.resolve(root);
  const parts = EDITOR_PARTS.filter((p) => (opts.parts ?? EDITOR_PARTS).includes(p));
  // chokidar drops a file's further 'change' events for 50 ms after one: reading no sooner than
  // that after the last event means a save in that window is on disk by the time we read.
  const debounceMs = Math.max(opts.debounceMs ?? 200, CHOKIDAR_CHANGE_THROTTLE_MS + 10);
  // Without `compile` the FAQ serves as loaded (C defaults to KnowledgeBase).
  const state = new EditorState<C>(opts.compile ?? ((kb) => kb as unknown as C), opts, opts.logger);
  /** mtime (ms) of a one-file part's file when it was read; null: it did not exist. */
  const seen = new Map<EditorPart, number | null>();
  const fileOf = (part: OneFilePart): string => path.join(abs, partFile(part, opts));
  let closed = false;

  const queue = serialReads(async (todo) => {
    const results: PartResults = {};
    for (const part of parts.filter((p) => todo.includes(p))) {
      // The stat before the read: a save in between is read again next time, never missed.
      if (part !== 'faq') seen.set(part, await mtimeOf(fileOf(part)));
      const read = await readPart(abs, part, opts);
      if (closed) return {};
      results[part] = state.accept(part, read);
    }
    return results;
  }, () => closed);
  const fsw = opts.watch === false ? null : await follow(abs, parts, opts, opts.logger, (part) => queue.mark(part, debounceMs));
  queue.markAll(parts);
  await queue.run();
  state.started = true;

  const files: EditorFiles<C> = {
    root: abs,
    parts,
    watching: fsw !== null,
    snapshot: () => state.snapshot(),
    messages: () => state.snapshot().messages,
    replies: () => state.snapshot().replies,
    problems: (part) => state.problems(parts, part),
    reload: () => {
      queue.markAll(parts);
      return queue.run();
    },
    refresh: async (part) => {
      if (!fsw && parts.includes(part) && !closed && (await mtimeOf(fileOf(part))) !== seen.get(part)) {
        queue.markAll([part]);
        await queue.run();
      }
      return state.snapshot();
    },
    onChange: (listener) => state.onChange(listener),
    close: async () => {
      closed = true;
      open.delete(files as EditorFiles<unknown>);
      queue.cancel();
      state.clearListeners();
      await fsw?.close();
      await queue.idle();
    },
  };
  // Only a whole folder's watcher (the knowledge service's) is shared: it lives as long as the
  // process serves that folder, where a reader's own watcher closes with the reader.
  if (fsw && parts.includes('faq') && !opts.messagesFile) open.add(files as EditorFiles<unknown>);
  return files;
}

/** The folder watchers to share (with the default file names), for `followingWatcher`. */
const open = new Set<EditorFiles<unknown>>();

/**
 * A watcher of this process that already follows `part` in folder `root`, if any: a reader
 * started without one (`watchMessages(dir)`) shares it instead of watching the folder twice.
 */
export function followingWatcher(root: string, part: EditorPart): EditorFiles<unknown> | undefined {
  const abs = path.resolve(root);
  for (const f of open) if (f.root === abs && f.parts.includes(part)) return f;
  return undefined;
}

const mtimeOf = async (file: string): Promise<number | null> => (await stat(file).catch(() => null))?.mtimeMs ?? null;

/**
 * One read at a time: the parts marked dirty are read by the next run; runs requested during one
 * share a single follow-up, so the newest files are always read after the last change.
 */
function serialReads(attempt: (parts: EditorPart[]) => Promise<PartResults>, isClosed: () => boolean) {
  const dirty = new Set<EditorPart>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<PartResults> | null = null;
  let queued: Promise<PartResults> | null = null;
  const run = (): Promise<PartResults> => {
    clearTimeout(timer);
    if (isClosed()) return Promise.resolve({});
    if (!inFlight) {
      const todo = [...dirty];
      dirty.clear();
      inFlight = attempt(todo).finally(() => {
        inFlight = null;
      });
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = null;
      return run();
    });
    return queued;
  };
  return {
    run,
    markAll: (parts: readonly EditorPart[]) => parts.forEach((p) => dirty.add(p)),
    /** A change on disk: read its part once the folder has been quiet for `debounceMs`. */
    mark: (part: EditorPart, debounceMs: number) => {
      dirty.add(part);
      clearTimeout(timer);
      timer = setTimeout(() => void run(), debounceMs);
    },
    cancel: () => clearTimeout(timer),
    idle: async () => {
      await inFlight?.catch(() => undefined);
    },
  };
}

/** Starts the chokidar watch; resolves once it is ready, so no change after the first load is missed. */
async function follow(
  abs: string,
  parts: readonly EditorPart[],
  names: EditorFileNames,
  logger: Logger | undefined,
  changed: (part: EditorPart) => void,
): Promise<FSWatcher> {
  const rel = (p: string): string => path.relative(abs, p).split(path.sep).join('/');
  const faq = parts.includes('faq');
  // Editors' lock/swap files and VCS folders start with a dot; the loader skips them too. Without
  // the FAQ only the root's own files matter.
  const ignored = (p: string): boolean => {
    const r = rel(p);
    if (r === '' || r.startsWith('..')) return false;
    if (r.split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules')) return true;
    return !faq && !parts.includes(partOfPath(r, names));
  };
  const fsw = watch(abs, { ignoreInitial: true, ignored, ...(faq ? {} : { depth: 0 }) });
  fsw.on('error', (err) => logger?.warn({ err }, 'knowledge base watcher error'));
  // Every kind of change matters (add/unlink/rename of files and folders); the part decides.
  fsw.on('all', (_event, p) => {
    const part = partOfPath(rel(p), names);
    if (parts.includes(part)) changed(part);
  });
  await new Promise<void>((resolve) => fsw.once('ready', resolve));
  return fsw;
}
