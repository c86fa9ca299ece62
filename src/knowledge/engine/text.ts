import { pinyin } from 'pinyin-pro';

const CJK = /\p{Script=Han}/u;
const WORD = /^[\p{Script=Han}\p{L}\p{N}]/u;

export const isCjk = (ch: string): boolean => CJK.test(ch);
const CJK_WORD = /^\p{Script=Han}+$/u;
/** Every character Han (one regex run: the same as testing each character with isCjk). */
export const isCjkWord = (w: string): boolean => CJK_WORD.test(w);
/** A token that carries letters or digits (not punctuation, spaces or emoji). */
export const isWordToken = (t: string): boolean => WORD.test(t);

/**
 * NFKC folds full-width letters, digits and punctuation (ＶＩＰ，１２) into their ASCII forms,
 * so "ＶＩＰ" and "vip" are the same word; lower case for English.
 */
export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Runs of Han characters; the unit for character bigrams (bigrams never cross punctuation). */
export function cjkRuns(text: string): string[] {
  return text.match(/\p{Script=Han}+/gu) ?? [];
}

export function charBigrams(text: string): string[] {
  const out: string[] = [];
  for (const run of cjkRuns(text)) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

const syllables = new Map<string, string>();

/**
 * Toneless pinyin syllables of a Han run: the same for homophone typos (声音 / 生音).
 * Character by character, each character's usual reading cached: context-aware readings of
 * polyphones cost ~10x more and typo matching only needs both sides read the same way.
 */
export function pinyinOf(run: string): string[] {
  const out: string[] = [];
  for (const ch of run) {
    let syl = syllables.get(ch);
    if (syl === undefined) {
      syl = pinyin(ch, { toneType: 'none', v: true });
      syllables.set(ch, syl);
    }
    out.push(syl);
  }
  return out;
}

/** Levenshtein distance, bounded: returns max+1 as soon as the distance must exceed max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
