import type { Lexicon } from './lexicon.ts';
import { cut, idfOf, RARE_IDF } from './segmenter.ts';
import { charBigrams, isCjkWord, normalize } from './text.ts';

/** Longest question text the matcher reads; the rest of an oversized message is ignored. */
export const MAX_QUERY_CHARS = 200;

/** Rare words are all equally informative; a lone character is vague unless jieba says otherwise. */
const IDF_CAP = RARE_IDF;
const LONE_CHAR_IDF = 5;

export interface QueryTerm {
  text: string;
  /** How much this term tells about what the customer wants, 0..1. */
  weight: number;
  concepts: readonly string[];
  /** Toneless pinyin, computed when first needed (most terms match without it). */
  pinyin?: string[];
  /**
   * For a run of single characters merged into one term: the characters, with their synonym
   * concepts. The run may be one unknown word ("录屏", a typo "生音") or several one-character
   * words ("崩" + "录"), so it is matched both as a whole and character by character.
   */
  parts?: { text: string; concepts: readonly string[] }[];
}

export interface Query {
  text: string;
  terms: QueryTerm[];
  /** Character bigrams of the informative part (filler words removed). */
  bigrams: string[];
  /** Sum of term weights: how much the message says at all. */
  mass: number;
  weightOf: Map<string, number>;
}

/**
 * Segments the question into weighted terms. Runs of single characters that jieba could not
 * place (unknown product words, typos such as 生音 for 声音) are merged back into one term, so
 * they can be matched as a whole by substring, pinyin or fuzzy comparison.
 */
export function parseQuery(raw: string, lexicon: Lexicon, meaningful: ReadonlySet<string>): Query {
  const text = normalize(raw).slice(0, MAX_QUERY_CHARS);
  const factor = (w: string): number => (meaningful.has(w) ? 1 : lexicon.fillerFactor(w));

  const pieces: string[] = [];
  /** Pieces that are jieba's own words, not merged runs. */
  const singles = new Set<string>();
  let chunk = '';
  for (const token of cut(text)) {
    if (token.length === 1 && isCjkWord(token) && factor(token) === 1) {
      chunk += token;
      continue;
    }
    if (chunk) pieces.push(chunk);
    chunk = '';
    pieces.push(token);
    singles.add(token);
  }
  if (chunk) pieces.push(chunk);

  const terms = new Map<string, QueryTerm>();
  const informative: string[] = [];
  for (const piece of pieces) {
    const f = factor(piece);
    const base = piece.length === 1 ? Math.min(idfOf(piece), LONE_CHAR_IDF) : idfOf(piece);
    const weight = (Math.min(base, IDF_CAP) / IDF_CAP) * f;
    informative.push(f >= 0.5 ? piece : ' ');
    if (terms.has(piece)) continue;
    const term: QueryTerm = { text: piece, weight, concepts: lexicon.concepts(piece) };
    if (piece.length > 1 && isCjkWord(piece) && !singles.has(piece)) {
      term.parts = [...piece].map((ch) => ({ text: ch, concepts: lexicon.concepts(ch) }));
    }
    terms.set(piece, term);
  }
  const list = [...terms.values()];
  return {
    text,
    terms: list,
    bigrams: [...new Set(charBigrams(informative.join('')))],
    mass: list.reduce((s, t) => s + t.weight, 0),
    weightOf: new Map(list.map((t) => [t.text, t.weight])),
  };
}
