/**
 * Two questions in one message ("怎么退款？还有发票怎么开"): customers in a chat ask what they have
 * in one go. The message is cut into the questions it asks, so the matcher can answer each one
 * (matcher.ts) instead of offering both entries as a "did you mean" list.
 *
 * A question is a run of clauses that ends with a clause that asks (a question word, 吗, "?"):
 * "我买了年度会员，怎么开发票" stays one question (the membership is how the customer got there),
 * and clauses after the last asking one belong to it. Only text that asks twice or more is cut;
 * whether each part is a question the FAQ answers with confidence is the matcher's to say.
 */
import { ASKS } from './focus.ts';

/** At most this many questions are read out of one message (the rest stays in the last). */
export const MAX_QUESTIONS = 3;
/** …or this many when the customer numbered them ("1.手机能录多久 2.会员多少钱 3.…"): each was meant. */
const MAX_NUMBERED = 5;
/** A number leading a question of a list ("1.", "2、", "3）", "(4)"), not a decimal ("1.5倍"). */
const NUMBERED = /(?:^|(?<=[\s，,。；;：:]))[（(]?[1-9][.、)）](?!\d)\s*/gu;
/** A part shorter than this (Han characters and letters) is no question of its own ("怎么买", "在哪查"). */
const MIN_PART = 4;

// A clause ends at punctuation or at a space between Chinese characters ("水印怎么去 还有能录多久");
// not at the dot inside "H.265" or "1.5倍".
const CLAUSE = /(?:[^，,。.!！?？；;~～\n\s]|(?<=[\p{L}\p{N}])\.(?=[\p{L}\p{N}])|\s+(?!\p{Script=Han})|(?<!\p{Script=Han})\s+)+[，,。.!！?？；;~～\n\s]*/gu;
/** Openers that always start another topic ("还有水印" is "still has a watermark": not one of them). */
const TOPIC_WORDS = '另外|此外|而且|并且|顺便(?:问|说)?一?下|再问一?下|还想问一?下|还有个问题|还有一个问题|对了';
const NEW_TOPIC = new RegExp(`^\\s*(?:${TOPIC_WORDS})`, 'u');
/** Words that open a second question; dropped so they do not count as the question's words. */
const OPENER = new RegExp(`^\\s*(?:还有(?:就是)?|以及|然后|${TOPIC_WORDS})[，,、：:\\s]*`, 'u');

/** A part the customer disowns (the whole message's negation scope reads the rest: focus.ts). */
const DISOWNED = /^(?:我)?(?:并)?(?:不是|不想|不要|没有要|没想|不用)/u;

/** focus.ts's question words, and those asking for a number or a time ("几点关门", "多少钱"). */
const ASKING = new RegExp(`${ASKS.source}|几|多少|多大|多远`, 'u');

const meaningful = (s: string): number => (s.match(/[\p{Script=Han}\p{L}\p{N}]/gu) ?? []).length;

/**
 * The questions a message asks, in order, each with its lead-in words; [] when it asks at most one
 * (the common case: the caller matches the whole message and nothing else).
 */
export function questionParts(text: string): string[] {
  // Numbered questions ("1）… 2）…") end where the next number starts.
  const numbered = (text.match(NUMBERED) ?? []).length >= 2;
  const clauses = (numbered ? text.replace(NUMBERED, '，') : text).match(CLAUSE);
  if (!clauses || clauses.length < 2) return [];
  const parts: string[] = [];
  let open = '';
  for (const clause of clauses) {
    // "录屏没声音，另外保存在哪": what comes before 另外 is a question of its own, asked or stated.
    if (open && NEW_TOPIC.test(clause)) {
      parts.push(open);
      open = '';
    }
    open += clause;
    if (ASKING.test(clause.toLowerCase())) {
      parts.push(open);
      open = '';
    }
  }
  if (parts.length < 2) return [];
  // What follows the last question ("…怎么开发票，谢谢") is part of it.
  if (open) parts[parts.length - 1] += open;
  // "不是问怎么退款，是想问发票怎么开": the first part is what the customer does not ask.
  const cleaned = parts
    .map((p) => p.replace(OPENER, '').replace(/[，,、；;~～\s]+$/u, '').trim())
    .filter((p) => meaningful(p) >= MIN_PART && !DISOWNED.test(p));
  if (cleaned.length < 2) return [];
  // A fourth question and on stay with the third: the bot answers a few, not a questionnaire.
  const most = numbered ? MAX_NUMBERED : MAX_QUESTIONS;
  return cleaned.length <= most ? cleaned : [...cleaned.slice(0, most - 1), cleaned.slice(most - 1).join('')];
}
