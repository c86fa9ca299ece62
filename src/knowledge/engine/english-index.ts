import { readFileSync } from 'node:fs';

/**
 * English the curated table (lexicon/en-zh.txt) does not know, looked up in CC-CEDICT turned
 * around: "abroad" -> 国外 出国 海外. A dictionary's glosses are broad ("return" glosses dozens of
 * words), so the rewriter keeps only the words the knowledge base itself uses (see rewrite.ts);
 * the curated table stays first because it knows which sense customer service means.
 */
export const CEDICT_FILE = new URL('./lexicon/en-zh-cedict.txt', import.meta.url);

/** Chinese words kept per English key, the most frequent first (jieba's counts). */
const PER_KEY = 8;
/** Glosses of more words than this are descriptions, not translations. */
const MAX_GLOSS_WORDS = 2;
/** Words rarer than this in jieba's dictionary are left out: customers do not type them. */
const MIN_FREQ = 20;

/** Gloss text that is a note about the word, not a meaning of it. */
const NOT_A_MEANING = /^(?:surname|variant of|old variant|see |used in|cl:|abbr\.|also written|also pr\.|erhua variant|japanese variant|taiwan pr\.|\(old\)|\(bound form\)|\(literary\))/;

/** One gloss as a lookup key: "to get (sth) back" -> "get back"; null when it is not a short English phrase. */
export function glossKey(gloss: string): string | null {
  let g = gloss.toLowerCase().trim();
  if (NOT_A_MEANING.test(g)) return null;
  g = g.replace(/\([^)]*\)/g, ' ').replace(/\b(?:sb|sth|sb's|one's|oneself)\b/g, ' ');
  g = g.replace(/^(?:to|a|an|the)\s+/, '').replace(/\s+/g, ' ').trim();
  if (!/^[a-z][a-z' -]*[a-z]$/.test(g)) return null;
  return g.split(' ').length <= MAX_GLOSS_WORDS ? g : null;
}

export function buildEnglishIndex(entries: { simplified: string; english: string[] }[], jiebaDict: string): Map<string, string[]> {
  const freq = new Map<string, number>();
  for (const line of jiebaDict.split('\n')) {
    const [word, count] = line.split(' ');
    if (word && count) freq.set(word, Math.max(freq.get(word) ?? 0, Number(count)));
  }
  const byKey = new Map<string, Set<string>>();
  for (const e of entries) {
    const w = e.simplified;
    if (!/^\p{Script=Han}{2,4}$/u.test(w) || (freq.get(w) ?? 0) < MIN_FREQ) continue;
    for (const gloss of e.english.flatMap((g) => g.split(/[;,]/))) {
      const key = glossKey(gloss);
      if (!key) continue;
      let set = byKey.get(key);
      if (!set) byKey.set(key, (set = new Set()));
      set.add(w);
    }
  }
  const index = new Map<string, string[]>();
  for (const [key, words] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    index.set(key, [...words].sort((a, b) => (freq.get(b) ?? 0) - (freq.get(a) ?? 0) || (a < b ? -1 : 1)).slice(0, PER_KEY));
  }
  return index;
}

export function formatEnglishIndex(index: Map<string, string[]>): string {
  const header = [
    '# English words and short phrases with the common Chinese words CC-CEDICT glosses with them,',
    '# most frequent first (written by scripts/en-words.ts; do not edit by hand: add to en-zh.txt).',
    '# Data from CC-CEDICT (https://www.mdbg.net/chinese/dictionary?page=cc-cedict), licensed under',
    '# Creative Commons Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/);',
    '# this file, rearranged from it, is under the same licence.',
  ];
  return `${[...header, ...[...index].map(([k, ws]) => `${k}\t${ws.join(' ')}`)].join('\n')}\n`;
}

let loaded: Map<string, string[]> | undefined;

/** The index, read when first needed (most questions have no English the curated table lacks). */
export function englishIndex(): Map<string, string[]> {
  if (loaded) return loaded;
  loaded = new Map();
  for (const line of readFileSync(CEDICT_FILE, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    if (tab > 0) loaded.set(line.slice(0, tab), line.slice(tab + 1).split(' '));
  }
  return loaded;
}
