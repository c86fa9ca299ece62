/**
 * The bot's customer-facing phrases (`<kbDir>/_messages.yml`): the bot follows edits of the file
 * (`watchMessages`), so saved phrases apply without a restart.
 *
 * The phrase catalogue (keys and the `{placeholders}` each may use, MESSAGE_PLACEHOLDERS) and the
 * file's parsing and validation live in ../knowledge/phrases.ts: the knowledge component owns every
 * editor file, so `kb lint` checks the phrases the same way the bot loads them. Add a phrase key
 * there. This module re-exports them so the bot's code and tests keep one import.
 */
import path from 'node:path';
import { watch } from 'chokidar';
import type { Logger } from 'pino';
import { DEFAULT_MESSAGES_FILE, formatProblem, loadMessages, MessagesInvalidError, type KbProblem, type Messages } from '../knowledge/index.ts';

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

/**
 * Loads the phrases and follows edits of the file: a valid save replaces them within
 * `debounceMs`, a broken one is reported (file:line) and the last good phrases keep serving.
 * @throws MessagesInvalidError when the file is broken at start
 */
export async function watchMessages(
  kbDir: string,
  opts: { file?: string; debounceMs?: number; logger?: Logger; onProblems?: (problems: KbProblem[]) => void } = {},
): Promise<MessagesWatcher> {
  const file = opts.file ?? DEFAULT_MESSAGES_FILE;
  let current = await loadMessages(kbDir, file);
  let timer: NodeJS.Timeout | undefined;
  const reload = async (): Promise<void> => {
    try {
      current = await loadMessages(kbDir, file);
      opts.logger?.info({ file }, 'messages reloaded');
    } catch (err) {
      const problems = err instanceof MessagesInvalidError ? err.problems : [{ file, line: 1, message: String(err) }];
      opts.logger?.warn({ problems: problems.map(formatProblem) }, 'messages file has problems; the last good version keeps serving');
      opts.onProblems?.(problems);
    }
  };
  const watcher = watch(path.join(kbDir, file), { ignoreInitial: true });
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), opts.debounceMs ?? 200);
  });
  watcher.on('error', (err) => opts.logger?.warn({ err }, 'messages watcher error'));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    current: () => current,
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
