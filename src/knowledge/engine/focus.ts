/**
 * Where in a message the question is: a weight factor per character of the (normalized) text.
 *
 * - Negation that moves the topic: in "不是要退款，是想换个颜色" the refund is what the customer
 *   does NOT want, so its words count for little.
 * - Long messages: customers tell the story first and ask last ("…到现在还没到账，这钱怎么算").
 *   The clause that asks (a question word, "吗", "?") and the one before it count fully; the
 *   rest of the story counts half, so its incidental words neither win nor sink the match.
 */

/** Weight of words the customer says they do not mean. */
export const NEGATED = 0.15;
/** Weight of the story around the question in a long message. */
export const STORY = 0.5;
/**
 * What works: "画面是黑的 只有声音", "只有声音没画面", "有声音没画面". The sound is there; the picture is
 * the problem. X counts like a negated word; only where X ends its clause without asking, or is
 * followed by what is missing, and the rest of the message says something ("只有一年的吗" asks about X).
 */
const PRESENT = /只有([^，,。；;！!？?\s没不吗呢吧]{1,6}?)(?=(?:[，,。；;！!？?\s]|$)|没有?|不)|(?<![没还])有([^，,。；;！!？?\s没不吗呢吧有]{1,4}?)(?=没有?|不)/gu;
/**
 * When something happens, not how long something lasts: "10分钟后开会要录屏" (in ten minutes) says
 * nothing about a ten-minute limit. Not after a verb ("录了10分钟后") nor before what stops or
 * breaks ("10分钟后自动停了"): there the length is the trouble.
 */
const LATER_ON = /(?<![了到过录用播放\d一二三四五六七八九十两几半])(?:\d+|[一二三四五六七八九十两几半]+)个?(?:分钟|小时|钟头)(?:后|之后|以后)(?![^，,。；;！!？?\s]*?(?:停|断|卡|黑|没|结束|自动|退出|闪退|中断|掉))/gu;
/** Messages shorter than this (Han characters and letters) are one thought: no clause weighting. */
const LONG = 24;

const NEGATION = [
  // 不是(要)退款，(而)是(想)换颜色 / 不是说X，是Y
  // X never runs over a second 不是: in "不是这个 不是水印 是鼠标" the watermark is what is negated.
  /(?<!是)(?:并不是|不是说|不是|并非)(?:要|想|问|说)?((?:(?!不是)[^，,。；;！!？?\n]){1,14}?)(?:的事|的问题)?(?:[，,、\s]*)(?:而是|我是|只是|是|就想|就是想|只想)(?:想|要|问|说)?/gu,
  // 不想/不要 X 了，(我)想/要 Y；没有要 X，就是想 Y
  /(?:不想|不要|不用|没有要|没想)([^，,。；;！!？?\n]{1,12}?)了?[，,\s]+(?:我)?(?:想|要|是想|就想|就是想|就是|只想|直接)/gu,
  // 不 X 了，直接 Y ("不转网了，直接把号销掉")
  /(?<![是要])不([^，,。；;！!？?\n不]{1,6}?)了[，,\s]+(?:直接|就)/gu,
];

const CLAUSE_END = /[，,。.!！?？；;~～\n]+|\s{1,}(?=\p{Script=Han})/gu;
/** A clause that asks: a question word, 吗/呢, a question mark. */
export const ASKS = /怎么|咋|如何|吗|呢|[?？]|能否|能不能|可不可以|可以|多久|多长|哪|什么|啥|为什么|为啥|怎样|办|有没有|是不是|要不要|会不会|算|\bhow\b|\bwhy\b|\bwhen\b/u;

const meaningfulLength = (s: string): number => (s.match(/[\p{Script=Han}a-z0-9]/gu) ?? []).length;

export function focusFactors(text: string): Float32Array {
  const f = new Float32Array(text.length).fill(1);
  if (meaningfulLength(text) >= LONG) clauses(text, f);
  presentOnly(text, f);
  LATER_ON.lastIndex = 0;
  for (let m = LATER_ON.exec(text); m; m = LATER_ON.exec(text)) for (let i = m.index; i < m.index + m[0].length; i++) f[i] = Math.min(f[i]!, NEGATED);
  for (const re of NEGATION) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const negated = m[1]!;
      const start = m.index + m[0].indexOf(negated);
      for (let i = start; i < start + negated.length; i++) f[i] = Math.min(f[i]!, NEGATED);
    }
  }
  return f;
}

function presentOnly(text: string, f: Float32Array): void {
  PRESENT.lastIndex = 0;
  for (let m = PRESENT.exec(text); m; m = PRESENT.exec(text)) {
    const end = m.index + m[0].length;
    const after = text.slice(end);
    const missing = /^(?:没有?|不)/u.test(after);
    // "只有声音吗？" asks whether X alone: X is the question.
    if (!missing && /^\s*[吗呢吧?？]/u.test(after)) continue;
    if (meaningfulLength(text.slice(0, m.index) + after) < 3) continue;
    const start = end - (m[1] ?? m[2]!).length;
    for (let i = start; i < end; i++) f[i] = Math.min(f[i]!, NEGATED);
  }
}

/** The clauses of a message that carry words, in order. */
function spansOf(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  CLAUSE_END.lastIndex = 0;
  for (let m = CLAUSE_END.exec(text); m; m = CLAUSE_END.exec(text)) {
    if (m.index > start) spans.push({ start, end: m.index });
    start = m.index + m[0].length;
  }
  if (start < text.length) spans.push({ start, end: text.length });
  return spans.filter((s) => meaningfulLength(text.slice(s.start, s.end)) > 0);
}

/**
 * The clause that asks, as [start, end): the last one with a question word, else the last one.
 * In "买了年度会员，怎么开发票" it is "怎么开发票"; the membership is how the customer got here.
 */
export function askingClause(text: string): [number, number] {
  const real = spansOf(text);
  for (let i = real.length - 1; i >= 0; i--) if (ASKS.test(text.slice(real[i]!.start, real[i]!.end))) return [real[i]!.start, real[i]!.end];
  const last = real.at(-1);
  return last ? [last.start, last.end] : [0, text.length];
}

function clauses(text: string, f: Float32Array): void {
  const real = spansOf(text);
  if (real.length < 3) return;
  let ask = -1;
  for (let i = real.length - 1; i >= 0 && ask < 0; i--) if (ASKS.test(text.slice(real[i]!.start, real[i]!.end))) ask = i;
  // No question word: the end of the message is where people ask.
  const keep = new Set(ask < 0 ? [real.length - 1, real.length - 2] : [ask, ask - 1]);
  real.forEach((s, i) => {
    if (keep.has(i)) return;
    for (let k = s.start; k < s.end; k++) f[k] = STORY;
  });
}
