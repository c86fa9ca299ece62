/**
 * Atomic multi-file writes for the console's FAQ edits (edit.ts): every file of a change is
 * written atomically (temp file + rename), then the tree is linted; when it does not lint, every
 * file gets its previous content back. A file changed on disk meanwhile (an editor's save) refuses
 * the change instead of overwriting it, and edits in one process are serialized per folder.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, KbEditError } from './errors.ts';
import { lintKnowledgeBase } from './loader.ts';
import type { FaqEntry, KbProblem } from './types.ts';

/** One file's new content; null removes it (only used to undo a created file). */
export interface FileChange {
  /** Relative to the knowledge-base root, forward slashes. */
  file: string;
  content: string | null;
  /** The content the change was computed from (null: the file must not exist yet). */
  expected: string | null;
}

/** The tree after a change: its entries that parse, and the problems it still has (those it had before). */
export interface EditedTree {
  entries: FaqEntry[];
  problems: KbProblem[];
}

/**
 * Writes `changes` (each atomically), then lints the tree; when the change adds a problem, every
 * file gets its previous content back (created files are removed) and KB_INVALID lists the new
 * problems. `before`: the problems the tree had already (another editor's broken file must not
 * block every edit from the console; the bot keeps serving the last good version until it is
 * fixed). A file whose content is no longer `expected` refuses the whole change (CONFLICT) before
 * anything is written.
 */
export async function applyKbEdits(root: string, changes: readonly FileChange[], before: readonly KbProblem[] = []): Promise<EditedTree> {
  const abs = path.resolve(root);
  for (const c of changes) {
    if ((await currentContent(abs, c.file)) !== c.expected) {
      throw new KbEditError('CONFLICT', `${c.file} changed on disk meanwhile: reload and try again`);
    }
  }
  const done: FileChange[] = [];
  const createdDirs: string[] = [];
  const undo = async (): Promise<void> => {
    for (const c of done.reverse()) await writeAtomic(abs, c.file, c.expected).catch(() => undefined);
    for (const dir of createdDirs.reverse()) await rmdir(dir).catch(() => undefined);
  };
  try {
    for (const c of changes) {
      const dir = path.dirname(path.join(abs, c.file));
      if (!(await exists(dir))) {
        createdDirs.push(...(await missingDirs(abs, dir)));
        await mkdir(dir, { recursive: true });
      }
      await writeAtomic(abs, c.file, c.content, c.expected === null);
      done.push(c);
    }
  } catch (err) {
    await undo();
    if (err instanceof KbEditError) throw err;
    throw new KbEditError('CONFLICT', `could not write the change: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { problems, entries } = await lintKnowledgeBase(abs);
  const added = newProblems(problems, before);
  if (added.length > 0) {
    await undo();
    throw new KbEditError('KB_INVALID', `the change would break the knowledge base, nothing was changed:\n${added.map(formatProblem).join('\n')}`, added);
  }
  return { entries, problems };
}

/**
 * Problems of `after` that `before` did not have. Compared by file and message, not line: a line
 * added above a problem moves it without making it new.
 */
export function newProblems(after: readonly KbProblem[], before: readonly KbProblem[]): KbProblem[] {
  const had = new Map<string, number>();
  const key = (p: KbProblem): string => `${p.file}\u0000${p.message}`;
  for (const p of before) had.set(key(p), (had.get(key(p)) ?? 0) + 1);
  return after.filter((p) => {
    const n = had.get(key(p)) ?? 0;
    if (n > 0) had.set(key(p), n - 1);
    return n === 0;
  });
}


export async function readEntryFile(root: string, file: string): Promise<string> {
  const text = await currentContent(root, file);
  if (text === null) throw new KbEditError('CONFLICT', `${file} is gone from disk: reload and try again`);
  return text;
}

async function currentContent(root: string, file: string): Promise<string | null> {
  try {
    return await readFile(path.join(root, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

/** The folders between `root` and `dir` that do not exist yet, outermost first. */
async function missingDirs(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; d.startsWith(root) && d !== root; d = path.dirname(d)) {
    if (await exists(d)) break;
    out.unshift(d);
  }
  return out;
}

/**
 * Replaces (or creates, or with null removes) a file so that readers see the old or the new
 * content, never half of it: a dot-named temp file next to it (the loader and the watcher skip dot
 * files), then a rename; a new file is linked in, so an existing one is never overwritten.
 */
async function writeAtomic(root: string, file: string, content: string | null, create = false): Promise<void> {
  const target = path.join(root, file);
  if (content === null) {
    await unlink(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = (await stat(target).catch(() => null))?.mode;
  await writeFile(temp, content, mode === undefined ? {} : { mode: mode & 0o777 });
  try {
    if (create) {
      await link(temp, target).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new KbEditError('CONFLICT', `${file} exists already`);
        throw err;
      });
      await unlink(temp);
    } else {
      await rename(temp, target);
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** One edit at a time per knowledge-base folder (in this process). */
const queues = new Map<string, Promise<unknown>>();

export async function serialized<T>(kbDir: string, fn: (root: string) => Promise<T>): Promise<T> {
  const root = path.resolve(kbDir);
  const before = queues.get(root) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => fn(root));
  const tail = run.catch(() => undefined);
  queues.set(root, tail);
  try {
    return await run;
  } finally {
    if (queues.get(root) === tail) queues.delete(root);
  }
}
