import { focusFactors } from './focus.ts';
import type { Lexicon } from './lexicon.ts';
import { cut, idfOf, RARE_IDF } from './segmenter.ts';
import { charBigrams, isCjkWord, normalize } from './text.ts';

/** Longest question text the matcher reads; the rest of an oversized message is ignored. */
export const MAX_QUERY_CHARS = 200;

/**
 * Amounts, dates and counts ("199", "五千", "15号", "两笔") are the customer's particulars, not
 * what they ask about: they weigh a fifth of an ordinary word unless the knowledge base names them.
 */
const NUMBER =
  /^(?:好几|[0-9.,]+|[一二三四五六七八九十百千万两几半]+)(?:块钱?|元|号|天|个月|月|年|岁|次|趟|遍|笔|张|件|个|分钟|小时|个钟|钟|周|星期|个礼拜|礼拜|公斤|斤|块|毛|g|gb|m|mb|k|w)?$/u;
const NUMBER_FACTOR = 0.2;

/**
 * A run of single characters jieba could not place: an unknown word or typo ("生音"), or loose
 * characters of a colloquial sentence ("钱付不出去" -> "钱付"). Its weight is its characters'
 * average, not that of a rare word: a typo of a common word stays fairly heavy, loose common
 * characters do not dominate the question.
 */
function mergedIdf(run: string): number {
  const chars = [...run];
  return chars.reduce((s, ch) => s + idfOf(ch), 0) / chars.length;
}

/**
 * Loose characters the segmenter could not join that sound like one word of the knowledge base
 * ("卡片到其了": 到 其 -> 到期, "宽代": 宽 代 -> 宽带): an input-method slip across what would have
 * been one word. Only runs of one-character tokens are read so; a word the segmenter found is
 * never cut ("价格是" stays 价格 是, not 价 格式).
 */
/** Measure words, particles and pronouns: the first of loose characters that are grammar, not a word mistyped. */
const GRAMMAR_CHARS = new Set([...'个了的是在有这那把给和跟也都就还又很太吗呢吧啊我你他她它']);

function heard(tokens: string[], soundsLike: ((chars: string) => string | undefined) | undefined): [word: string, typed: string][] {
  if (!soundsLike) return tokens.map((t) => [t, t]);
  const out: [string, string][] = [];
  for (let i = 0; i < tokens.length; ) {
    let taken = 0;
    // Loose characters from here (at most 3 are read): most positions have none, at no cost.
    let loose = 0;
    while (loose < 3 && i + loose < tokens.length && tokens[i + loose]!.length === 1 && isCjkWord(tokens[i + loose]!)) loose++;
    // A run led by a grammar word ("问你个事": 个事 is not 格式) is grammar, not a slip of the FAQ's word.
    if (loose >= 2 && GRAMMAR_CHARS.has(tokens[i]!)) loose = 0;
    for (let len = loose; len >= 2 && taken === 0; len--) {
      const typed = tokens.slice(i, i + len).join('');
      const word = soundsLike(typed);
      if (word === undefined) continue;
      out.push([word, typed]);
      taken = len;
    }
    if (taken === 0) {
      out.push([tokens[i]!, tokens[i]!]);
      taken = 1;
    }
    i += taken;
  }
  return out;
}

/** Rare words are all equally informative; a lone character is vague unless jieba says otherwise. */
const IDF_CAP = RARE_IDF;
const LONE_CHAR_IDF = 5;

export interface QueryTerm {
  text: string;
  /** How much this term tells about what the customer wants, 0..1. */
  weight: number;
  /** Where the message puts it: 1 in the part that asks, less in the story around it or when negated (focus.ts). */
  focus?: number;
  concepts: readonly string[];
  /** Categories the word is an instance of ("猫": 宠物), weaker evidence than a synonym (lexicon.ts). */
  broader?: readonly string[];
  /**
   * The dictionary sub-words of a word of three or more characters ("开发票": 开发, 发票), matched
   * when the whole word is not in the entry; computed when first needed.
   */
  subwords?: string[];
  /** Toneless pinyin, computed when first needed (most terms match without it). */
  pinyin?: string[];
  /**
   * For a run of single characters merged into one term: the characters, with their synonym
   * concepts. The run may be one unknown word ("录屏", a typo "生音") or several one-character
   * words ("崩" + "录"), so it is matched both as a whole and character by character.
   */
  parts?: QueryPart[];
}

/** One character of a merged run, with its synonym concepts and categories. */
export interface QueryPart {
  text: string;
  concepts: readonly string[];
  broader?: readonly string[];
}

export interface Query {
  text: string;
  terms: QueryTerm[];
  /** Character bigrams of the informative part (filler words removed). */
  bigrams: string[];
  /** Sum of term weights: how much the message says at all. */
  mass: number;
  weightOf: Map<string, number>;
  /** Per-character weight of where the message puts each part (focus.ts). */
  focus: Float32Array;
  /** Where the segmenter's words start in `text`: a lexicon word found inside another word ("卡密码" in 信用卡密码) starts elsewhere. */
  starts: Set<number>;
  /**
   * Where the last two characters of a compound the segmenter kept whole start: its head noun
   * (公司地址 is an 地址, 会员积分 are 积分), which the aspect checks read as asked too.
   */
  heads: Set<number>;
  /** The translations of English words that offer several Chinese words, each as rewritten ("预订 预约 订"). */
  alternatives: readonly string[];
}

/**
 * Segments the question into weighted terms. Runs of single characters that jieba could not
 * place (unknown product words, typos such as 生音 for 声音) are merged back into one term, so
 * they can be matched as a whole by substring, pinyin or fuzzy comparison.
 */
export function parseQuery(
  raw: string,
  lexicon: Lexicon,
  meaningful: ReadonlySet<string>,
  rewrite?: (text: string, alternatives: string[]) => string,
  soundsLike?: (chars: string) => string | undefined,
): Query {
  const clipped = normalize(raw).slice(0, MAX_QUERY_CHARS);
  const alternatives: string[] = [];
  const text = rewrite ? rewrite(clipped, alternatives) : clipped;
  const factor = (w: string): number => (meaningful.has(w) ? 1 : lexicon.fillerFactor(w));
  const focus = focusFactors(text);

  /** Each piece with where the message puts it (focus: 1 the question, less the story or a negated topic). */
  const pieces: { text: string; focus: number; start: number }[] = [];
  /** Pieces that are jieba's own words, not merged runs. */
  const singles = new Set<string>();
  let chunk = '';
  let chunkFocus = 0;
  let chunkStart = 0;
  let at = 0;
  const starts = new Set<number>();
  const heads = new Set<number>();
  for (const [token, typed] of heard(cut(text), soundsLike)) {
    // Where the customer typed it (a slip read as the knowledge base's word is not in the text).
    const found = text.indexOf(typed, at);
    const start = found >= 0 ? found : at;
    at = start + token.length;
    starts.add(start);
    if (token.length >= 4 && isCjkWord(token)) heads.add(start + token.length - 2);
    const tokenFocus = focus[start] ?? 1;
    if (token.length === 1 && isCjkWord(token) && factor(token) === 1) {
      if (!chunk) chunkStart = start;
      chunk += token;
      chunkFocus = Math.max(chunkFocus, tokenFocus);
      continue;
    }
    if (chunk) pieces.push({ text: chunk, focus: chunkFocus, start: chunkStart });
    chunk = '';
    chunkFocus = 0;
    pieces.push({ text: token, focus: tokenFocus, start });
    singles.add(token);
  }
  if (chunk) pieces.push({ text: chunk, focus: chunkFocus, start: chunkStart });
  // A lexicon phrase lends its concepts to the words inside it ("会员有什么用": 会员, 用).
  const spans = lexicon.phrases(text);
  const spanConcepts = (start: number, length: number): string[] =>
    spans.filter((sp) => start < sp.end && start + length > sp.start).flatMap((sp) => sp.concepts);

  const terms = new Map<string, QueryTerm>();
  const informative: string[] = [];
  for (const { text: piece, focus: where, start } of pieces) {
    const f = factor(piece) * (NUMBER.test(piece) && !meaningful.has(piece) ? NUMBER_FACTOR : 1);
    const base = piece.length === 1 ? Math.min(idfOf(piece), LONE_CHAR_IDF) : singles.has(piece) ? idfOf(piece) : mergedIdf(piece);
    const weight = (Math.min(base, IDF_CAP) / IDF_CAP) * f * where;
    informative.push(f >= 0.5 && where >= 0.5 ? piece : ' ');
    const seen = terms.get(piece);
    if (seen) {
      // Said twice (in the story and in the question): it counts where it weighs most.
      if (weight > seen.weight) {
        seen.weight = weight;
        seen.focus = where < 1 ? where : undefined;
      }
      continue;
    }
    const own = lexicon.concepts(piece);
    const lent = spans.length > 0 && factor(piece) >= 0.5 ? spanConcepts(start, piece.length) : [];
    // Every term has every field, so the matcher's loops see one object shape (no field is deleted later either).
    const term: QueryTerm = {
      text: piece,
      weight,
      focus: where < 1 ? where : undefined,
      concepts: lent.length > 0 ? [...new Set([...own, ...lent])] : own,
      broader: undefined,
      subwords: undefined,
      pinyin: undefined,
      parts: undefined,
    };
    let broader = lexicon.broader(piece);
    // A two-character word jieba glued around a one-character thing ("带狗"): the thing's
    // category, when the word has none of its own.
    if (broader.length === 0 && [...piece].length === 2 && isCjkWord(piece)) broader = [...piece].flatMap((ch) => lexicon.broader(ch));
    if (broader.length > 0) term.broader = broader;
    if (piece.length > 1 && isCjkWord(piece) && !singles.has(piece)) {
      term.parts = [...piece].map((ch) => {
        // A one-character thing inside the run ("带狗" of "可以带狗过来吗") still finds its category.
        const up = lexicon.broader(ch);
        return { text: ch, concepts: lexicon.concepts(ch), broader: up.length > 0 ? up : undefined };
      });
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
    focus,
    starts,
    heads,
    alternatives,
  };
}
