/**
 * The bot's customer-facing phrases (`<kbDir>/_messages.yml`): the bot follows edits of the file
 * (`watchMessages`, over the knowledge base's one watcher, editor-watch.ts), so saved phrases
 * apply without a restart.
 *
 * The phrase catalogue (keys and the `{placeholders}` each may use, MESSAGE_PLACEHOLDERS) and the
 * file's parsing and validation live in ../knowledge/phrases.ts: the knowledge component owns every
 * editor file, so `kb lint` checks the phrases the same way the bot loads them. Add a phrase key
 * there. This module re-exports them so the bot's code and tests keep one import.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import {
  DEFAULT_MESSAGES_FILE,
  followingWatcher,
  MessagesInvalidError,
  watchEditorFiles,
  type EditorFiles,
  type KbProblem,
  type Messages,
} from '../knowledge/index.ts';

export {
  DEFAULT_MESSAGES_FILE,
  loadMessages,
  MESSAGE_KEYS,
  MESSAGE_PLACEHOLDERS,
  MessagesInvalidError,
  parseMessages,
  placeholdersOf,
  renderTemplate,
  type MessageKey,
  type Messages,
} from '../knowledge/index.ts';

export interface MessagesWatcher {
  /** The last valid phrases. */
  current(): Messages;
  close(): Promise<void>;
}

export interface WatchMessagesOptions {
  /** The phrases' file in `kbDir` (default `_messages.yml`); ignored with `files`, which names its own. */
  file?: string;
  debounceMs?: number;
  logger?: Logger;
  /** A save that does not load; problems name the file under `kbDir`. */
  onProblems?: (problems: KbProblem[]) => void;
  /**
   * The process's watcher of the folder (`KnowledgeService.files`): the phrases then come from it
   * and `close()` leaves it open. Without it, a watcher of this process already following the
   * folder's phrases is shared the same way, else a watcher of the phrases alone is started.
   */
  files?: EditorFiles<unknown>;
}

/**
 * The phrases, following edits of the file: a valid save replaces them within `debounceMs`, a
 * broken one is reported (file:line) and the last good phrases keep serving.
 * @throws MessagesInvalidError when the file is missing or broken at start
 */
export async function watchMessages(kbDir: string, opts: WatchMessagesOptions = {}): Promise<MessagesWatcher> {
  const file = opts.files ? DEFAULT_MESSAGES_FILE : (opts.file ?? DEFAULT_MESSAGES_FILE);
  const shared = opts.files ?? (file === DEFAULT_MESSAGES_FILE ? followingWatcher(kbDir, 'messages') : undefined);
  const own = !shared;
  const files = shared ?? (await watchEditorFiles(kbDir, { parts: ['messages'], messagesFile: file, debounceMs: opts.debounceMs, logger: opts.logger }));
  // Named under the folder as given, like loadMessages' problems.
  const named = (problems: KbProblem[]): KbProblem[] => problems.map((p) => ({ ...p, file: path.join(kbDir, p.file) }));
  const first = files.messages();
  if (!first) {
    const problems = files.problems('messages');
    if (own) await files.close();
    throw new MessagesInvalidError(named(problems.length > 0 ? problems : [{ file, line: 1, message: 'messages file not found' }]));
  }
  const unsubscribe = files.onChange((e) => {
    // The watcher logs each problem; the caller may want them too.
    if (e.part === 'messages' && !e.applied) opts.onProblems?.(named(e.problems));
  });
  return {
    current: () => files.messages() ?? first,
    async close() {
      unsubscribe();
      if (own) await files.close();
    },
  };
}
