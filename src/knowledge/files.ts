/**
 * Reading the editors' files: every file of the knowledge base (FAQ entries, `_messages.yml`,
 * `_replies.yml`, `_synonyms.yml`, `_words.yml`) goes through `readText`, so each reports an
 * unreadable or non-UTF-8 file the same way (file:line: message).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LineProblem } from './frontmatter.ts';

export const errText = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/** The file's text, a problem, or null when it does not exist (or vanished since a listing: a save or rename in flight). */
export function readText(root: string, rel: string): string | LineProblem | null {
  let buf: Buffer;
  try {
    // Synchronous on purpose: a knowledge base is many small files, and fs/promises' four
    // thread-pool round trips per file cost far more than the reads themselves.
    buf = readFileSync(path.join(root, rel));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { line: 1, message: `cannot read file: ${errText(err)}` };
  }
  return decodeUtf8(buf);
}

/** Strict UTF-8: a file saved in GBK must not reach customers as mojibake. */
export function decodeUtf8(buf: Uint8Array): string | LineProblem {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return { line: badUtf8Line(buf), message: 'not valid UTF-8 text: save the file as UTF-8' };
  }
}

/** A newline byte never occurs inside a UTF-8 sequence, so the buffer can be checked line by line. */
function badUtf8Line(buf: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = buf.indexOf(0x0a, start);
    try {
      decoder.decode(buf.subarray(start, end < 0 ? buf.length : end));
    } catch {
      return line;
    }
    if (end < 0) return 1;
    start = end + 1;
  }
}
