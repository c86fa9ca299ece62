import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';
// With its extension: the package has no exports map, and plain Node's ESM resolver does not guess one.
import { dict } from '@node-rs/jieba/dict.js';
import { isWordToken } from './text.ts';

/**
 * One segmenter per process: loading jieba's dictionary costs ~0.3 s, so knowledge-base
 * reloads add their words to the shared instance instead of building a new one. Words of
 * an older version stay in the dictionary; they only change how finely text is cut.
 */
let jieba: Jieba | undefined;
const added = new Set<string>();

function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

/** Teach the segmenter product words (keywords, feature names) so they are kept whole. */
export function addWords(words: Iterable<string>): void {
  const lines: string[] = [];
  for (const w of words) {
    const word = w.trim();
    // jieba's dictionary format is "word freq"; spaces would break the line.
    if (word.length < 2 || /\s/.test(word) || added.has(word)) continue;
    added.add(word);
    lines.push(`${word} 3000`);
  }
  if (lines.length > 0) {
    segmenter().loadDict(Buffer.from(lines.join('\n')));
    // New words cut differently: what was cut with the old dictionary is stale.
    subwords.clear();
  }
}

/** Words of normalized text, punctuation and spaces dropped. */
export function cut(text: string): string[] {
  return segmenter().cut(text, false).filter(isWordToken);
}

/** Finer cut for indexing: long words also yield their dictionary sub-words. */
export function cutForIndex(text: string): string[] {
  return segmenter().cutForSearch(text, false).filter(isWordToken);
}

/** Sub-words of one word, per word (customers reuse their words; the dictionary grows only by addWords). */
const subwords = new Map<string, string[]>();
const MAX_SUBWORDS = 20_000;

/** The dictionary sub-words of a word ("开发票": 开发, 发票), two characters or more, itself excluded. Do not change the array. */
export function subwordsOf(word: string): string[] {
  let out = subwords.get(word);
  if (!out) {
    if (subwords.size >= MAX_SUBWORDS) subwords.clear();
    out = cutForIndex(word).filter((w) => w !== word && w.length >= 2);
    subwords.set(word, out);
  }
  return out;
}

/**
 * General informativeness of a word: jieba's inverse document frequency over a large
 * general corpus. It says how much a word narrows down what someone talks about in any
 * context, which a small knowledge base cannot tell ("蓝屏" is specific even when no FAQ
 * mentions it). Words at or above RARE_IDF (most of the table) and words outside it are all
 * "rare" alike, so only the commoner words are kept: a third of the table, loaded in half
 * the time.
 */
export const RARE_IDF = 11;
let idf: Map<string, number> | undefined;

function generalIdf(): Map<string, number> {
  if (idf) return idf;
  const require = createRequire(import.meta.url);
  const text = readFileSync(require.resolve('@node-rs/jieba/idf.txt'), 'utf8');
  const map = new Map<string, number>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const space = text.lastIndexOf(' ', end);
    if (space > start) {
      const value = Number(text.slice(space + 1, end));
      if (value < RARE_IDF) map.set(text.slice(start, space), value);
    }
    start = end + 1;
  }
  idf = map;
  return map;
}

/** jieba's IDF of a word; RARE_IDF for rare words and words it has never seen. */
export function idfOf(word: string): number {
  return generalIdf().get(word) ?? RARE_IDF;
}

/** Warm the shared resources (for servers, so the first customer does not wait). */
export function warmUp(): void {
  segmenter();
  generalIdf();
}
