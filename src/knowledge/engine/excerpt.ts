/**
 * The one line of an answer that speaks of a follow-up. Right after "录屏没声音" is answered, the
 * customer adds a detail ("mac", "耳机插着的", "我是安卓9") or asks about one point of the answer
 * ("永久的呢", "怎么关自动续费"). The answer already says it, in one of its lines; the customer
 * should not be told to read it all again, nor be sent to another entry that shares the word.
 */
import { renderPlainText } from '../render.ts';
import { wordsOf, type EntryDoc } from './compile.ts';
import type { Lexicon } from './lexicon.ts';
import type { Query } from './query.ts';
import { normalize } from './text.ts';

/** Terms weighing less say little of what is asked (particles, 我, 是; see query.ts). */
const INFORMATIVE = 0.3;
/** Asking the price: a line with an amount answers it, whether or not it says 价格. */
const PRICE_WORD = /^(?:多少钱|价格|价钱|费用|收费|怎么收费|几块|几块钱|多少|要多少|贵不贵|售价|price|cost)$/u;
const AMOUNT = /[¥￥$]\s*\d|\d\s*(?:元|块)/u;
/** Asking where: a line that gives a place in the app (a path, a 「button」) answers it, whatever its words. */
const WHERE_WORD = /^(?:在哪里?|在哪儿|哪里|哪儿|哪|where)$/u;
const PLACE = /→|「[^」]+」|->|在.{1,12}?(?:里|中|页|上)|点击?|进入|打开/u;
/**
 * How long ago or how long ("两天", "上个月", "一年"): a line that states a time limit ("7 天内",
 * "超过 30 天") speaks of it. Numbers weigh little in matching (query.ts); here, after "退款" is
 * answered, "买了两天了" is about the 7-day line, not the line that shares 买.
 */
const SPAN_WORD = /^(?:[一二两三四五六七八九十百\d]+|几|半|上|上个|这|前|昨|今|去)(?:个)?(?:天|日|周|星期|礼拜|月|年|小时|分钟)$|^(?:昨天|前天|刚才|小时|分钟|多久|多长时间|几天|多少天)$/u;
const SPAN_LINE = /(?:\d+|[一二两三四五六七八九十]+)\s*(?:个)?(?:天|日|周|星期|月|年|小时|分钟)/u;
/** A word weighing less names nothing a line could be found by (行, 开, 录, 多少). */
const KEY_ELSE = 0.5;
/** A line this short is a heading or a fragment, not something to send on its own. */
const MIN_LINE_CHARS = 6;

interface Line {
  /** As WeChat shows it (the answer rendered to plain text). */
  text: string;
  norm: string;
  /** Its words and their synonym concepts (a word itself is found in `norm`). */
  words: Set<string>;
}

const linesOf = new WeakMap<EntryDoc, Line[]>();

function answerLines(doc: EntryDoc, lexicon: Lexicon): Line[] {
  let lines = linesOf.get(doc);
  if (!lines) {
    lines = renderPlainText(doc.entry.answer)
      .split('\n')
      .map((l) => l.trim())
      // A line ending in a colon leads into the lines below it ("按下面顺序检查一下："): no point of its own.
      .filter((l) => [...l].length >= MIN_LINE_CHARS && !/[：:]$/u.test(l))
      .map((text) => {
        const norm = normalize(text);
        return { text, norm, words: new Set(wordsOf(norm, lexicon)) };
      });
    linesOf.set(doc, lines);
  }
  return lines;
}

/** A message this short is parsed whatever it shares: "怎么关" asks about 关闭 with one letter of it, "帧率调多少合适" about its 帧. */
const SHORT_CHARS = 8;

/**
 * Whether `text` (normalized) shares two letters in a row with `doc`'s answer, or is a few letters
 * only: most messages after an answer do not, and are let go before the question is parsed (this
 * runs on the bot's loop).
 */
export function touchesAnswer(doc: EntryDoc, text: string): boolean {
  const chars = [...text].filter((c) => /[\p{L}\p{N}]/u.test(c));
  if (chars.length <= SHORT_CHARS) return true;
  for (let i = 0; i + 1 < chars.length; i++) if (doc.body.includes(chars[i]! + chars[i + 1]!)) return true;
  return false;
}

/**
 * The line of `doc`'s answer that holds every informative word of `query` (the word itself or a
 * synonym), when exactly one line does and the answer has more than one: a word the whole answer
 * repeats ("声音" in an answer on sound) points at no line in particular. Where several lines do,
 * the words of `context` (what the customer said before: "苹果手机录屏没声音") pick one of them
 * ("麦克风在哪里开" → the iPhone line). Undefined otherwise.
 */
export function answerExcerpt(doc: EntryDoc, query: Query, lexicon: Lexicon, context?: Query): string | undefined {
  const terms = query.terms.flatMap((t) => (SPAN_WORD.test(t.text) ? [{ ...t, weight: 1 }] : t.weight >= INFORMATIVE ? [t] : []));
  if (terms.length === 0) return undefined;
  const lines = answerLines(doc, lexicon);
  if (lines.length < 2) return undefined;
  const holds = (l: Line, t: Query['terms'][number]): boolean =>
    l.norm.includes(t.text) ||
    t.concepts.some((c) => l.words.has(c)) ||
    (PRICE_WORD.test(t.text) && AMOUNT.test(l.norm)) ||
    (SPAN_WORD.test(t.text) && SPAN_LINE.test(l.norm)) ||
    (WHERE_WORD.test(t.text) && PLACE.test(l.text));
  const found = lines.filter((l) => terms.every((t) => holds(l, t)));
  if (found.length === 1) return found[0]!.text;
  // Of several lines, the one that also holds most of what was said before, if one does.
  const said = context?.terms.filter((t) => t.weight >= INFORMATIVE && !terms.some((x) => x.text === t.text)) ?? [];
  // By weight, and a compound said before counts by its head too (Chinese compounds end in what
  // they are): "年会员" is the "会员" of the refund's first line, which outweighs the App Store
  // line's "购买" for "怎么申请".
  const saidIn = (l: Line, t: Query['terms'][number]): boolean => holds(l, t) || (/^\p{Script=Han}{3,}$/u.test(t.text) && l.norm.includes(t.text.slice(-2)));
  const byContext = (among: readonly Line[]): string | undefined => {
    const sums = among.map((l) => said.reduce((sum, t) => sum + (saidIn(l, t) ? t.weight : 0), 0));
    const most = Math.max(0, ...sums);
    return most > 0 && sums.filter((n) => n === most).length === 1 ? among[sums.indexOf(most)]!.text : undefined;
  };
  if (found.length > 1) return byLetters(found, terms) ?? byContext(found);
  // No line holds every word: the line that holds the weightiest word asked ("mov" of "mov也行吗",
  // "帧率" of "帧率调多少合适") and more of the rest, by weight, than any other line.
  const heaviest = terms.reduce((a, b) => (b.weight > a.weight ? b : a));
  if (heaviest.weight < KEY_ELSE || WHERE_WORD.test(heaviest.text)) return undefined;
  const weight = (l: Line): number => terms.reduce((sum, t) => sum + (holds(l, t) ? t.weight : 0), 0);
  const named = lines.filter((l) => holds(l, heaviest)).map((l) => ({ l, w: weight(l) }));
  const best = Math.max(...named.map((x) => x.w));
  const top = named.filter((x) => x.w === best);
  return top.length === 1 ? top[0]!.l.text : byContext(top.map((x) => x.l));
}

/**
 * Several lines hold every word, by synonyms: the one that shares the most letters with the words
 * that say something ("专票" is in "专用发票" of one line, where the others say only "发票"), if one does.
 */
function byLetters(found: readonly Line[], terms: Query['terms']): string | undefined {
  const letters = [...new Set(terms.filter((t) => t.weight >= KEY_ELSE).flatMap((t) => [...t.text]))];
  if (letters.length === 0) return undefined;
  const shared = found.map((l) => letters.filter((c) => l.norm.includes(c)).length);
  const best = Math.max(...shared);
  return shared.filter((n) => n === best).length === 1 ? found[shared.indexOf(best)]!.text : undefined;
}
