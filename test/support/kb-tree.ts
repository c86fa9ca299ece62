/** Knowledge-base trees for tests: entry files written into temp dirs, removed after each test. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** File contents by path relative to the tree root (forward slashes). */
export type Tree = Record<string, string | Uint8Array>;

/** Writes `files` into `root`, creating folders as needed. */
export async function writeTree(root: string, files: Tree): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

const made: string[] = [];

/** A fresh knowledge-base tree in a temp dir; remove them all with `removeTrees()` (afterEach). */
export async function makeTree(files: Tree = {}): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kefu-kb-'));
  made.push(root);
  await writeTree(root, files);
  return root;
}

export async function removeTrees(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** An entry file: front matter lines, then the body. */
export const entry = (frontMatter: string, body = 'Answer.'): string => `---\n${frontMatter.trim()}\n---\n${body}\n`;
