import { stat } from 'node:fs/promises';

/**
 * An editor file for readers that ask per request instead of watching (the console's canned
 * replies and its problems page): `read` runs again only when the file's mtime changed, so a
 * request costs one stat. Resolves to null while the file does not exist.
 */
export function followFile<T>(file: string, read: () => T): () => Promise<T | null> {
  let seen: { mtime: number; value: T } | undefined;
  return async () => {
    const st = await stat(file).catch(() => null);
    if (!st) {
      seen = undefined;
      return null;
    }
    if (seen?.mtime !== st.mtimeMs) seen = { mtime: st.mtimeMs, value: read() };
    return seen.value;
  };
}
