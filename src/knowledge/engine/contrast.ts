import { dataLines } from './lexicon.ts';
import { NEGATED } from './focus.ts';
import { normalize } from './text.ts';

/**
 * Contrasts: words for alternatives that exclude each other (开通 | 取消, 信用卡 | 借记卡,
 * 登录密码 | 支付密码). Look-alike questions share nearly every word with an entry and differ in
 * exactly such a word ("怎么取消自动还款" against "如何设置开通自动还款"); the word evidence cannot
 * tell them apart, so this rule does: a question that names one side of a contrast is not answered
 * with an entry that is about another side and never mentions the question's.
 */

export interface ContrastSet {
  /** Each side: words that stand for the same alternative. */
  sides: string[][];
}

/** Where a member occurs: which set and which side. */
interface Member {
  word: string;
  set: number;
  side: number;
}

/** Sides named in a text: set index → side indexes. */
export type Sides = Map<number, Set<number>>;

export interface Contrasts {
  /** Sides named in an entry's text; `tokens` are its segmented words (one-character members match only whole tokens). */
  sidesOf(text: string, tokens: Iterable<string>): Sides;
  /**
   * Sides the customer asks about: like sidesOf, but a word the customer negates ("不是要取消")
   * does not count. `focus` is the per-character weight of focus.ts.
   */
  askedSides(text: string, focus: ArrayLike<number>, tokens: Iterable<string>): Sides;
  /** Sides named where `counts(start, end)` of the word holds (one-character members: whole tokens only). */
  scan(text: string, tokens: Iterable<string>, counts: (at: number, end: number) => boolean): Sides;
  /** The usual word of a side, to say which alternatives clashed ("取消" / "开通"). */
  word(set: number, side: number): string;
}

export function parseContrasts(lines: readonly string[]): ContrastSet[] {
  return lines
    .map((l) => ({ sides: l.split('|').map((side) => side.trim().split(/\s+/).filter(Boolean).map(normalize)) }))
    .filter((s) => s.sides.filter((side) => side.length > 0).length >= 2);
}

/** One character, then 不 or 得 and a result ("用不了", "领不到", "取不出"). */
const POTENTIAL = /^(\p{Script=Han})[不得]\p{Script=Han}{1,2}$/u;

export function buildContrasts(sets: readonly ContrastSet[]): Contrasts {
  // Longer members are found by scanning the text, indexed by their first two UTF-16 units (a
  // lookup per position, no strings made); one-character members only as whole tokens, or "开"
  // would be found in every "开发票".
  const byStart = new Map<number, Map<number, Member[]>>();
  const single = new Map<string, Member[]>();
  sets.forEach((s, set) =>
    s.sides.forEach((words, side) => {
      for (const word of words) {
        const m = { word, set, side };
        if ([...word].length === 1) {
          single.set(word, [...(single.get(word) ?? []), m]);
          continue;
        }
        let second = byStart.get(word.charCodeAt(0));
        if (!second) byStart.set(word.charCodeAt(0), (second = new Map()));
        second.set(word.charCodeAt(1), [...(second.get(word.charCodeAt(1)) ?? []), m]);
      }
    }),
  );
  const scan = (text: string, tokens: Iterable<string>, counts: (at: number, end: number) => boolean): Sides => {
    const out: Sides = new Map();
    const add = (m: Member): void => {
      const got = out.get(m.set);
      if (got) got.add(m.side);
      else out.set(m.set, new Set([m.side]));
    };
    // Longest words first: "退出登录" names the log-out side, not also the log-in one inside it.
    const hits: { at: number; m: Member }[] = [];
    for (let i = 0; i + 1 < text.length; i++) {
      const list = byStart.get(text.charCodeAt(i))?.get(text.charCodeAt(i + 1));
      if (list) for (const m of list) if (text.startsWith(m.word, i)) hits.push({ at: i, m });
    }
    hits.sort((a, b) => b.m.word.length - a.m.word.length);
    const taken: [number, number][] = [];
    for (const { at, m } of hits) {
      const end = at + m.word.length;
      // Inside a longer word it is not named; the same word in two sets names a side of each
      // ("苹果手机": ios | 安卓, and 苹果手机 | 苹果电脑).
      if (taken.some(([s, e]) => at >= s && end <= e && end - at < e - s)) continue;
      taken.push([at, end]);
      if (counts(at, end)) add(m);
    }
    for (const t of tokens) {
      const at = text.indexOf(t);
      // A verb with its potential complement ("用不了", "领不到", "存得进") names the verb's side.
      const verb = single.has(t) ? t : POTENTIAL.exec(t)?.[1];
      for (const m of (verb && single.get(verb)) || []) if (counts(at, at + t.length)) add(m);
    }
    return out;
  };
  return {
    scan,
    sidesOf: (text, tokens) => scan(text, tokens, () => true),
    // A side right before 的 describes a thing, it is not what is asked: "领的券结账时用不了" asks
    // about using a coupon that was claimed, "取消的订单能恢复吗" about an order that was cancelled.
    askedSides: (text, focus, tokens) => scan(text, tokens, (at, end) => at < 0 || ((focus[at] ?? 1) > 2 * NEGATED && text[end] !== '的')),
    word: (set, side) => sets[set]?.sides[side]?.[0] ?? '',
  };
}

/**
 * True when, for some contrast, the entry's question or keywords name one side and the entry
 * mentions (in any field) none of the sides the question names. A question naming a side the
 * entry also speaks of is on its topic, whatever else it names ("ipad和电脑同步" for an entry on
 * syncing phone and computer).
 */
export function contrasted(asked: Sides, entryAbout: Sides, entryMentions: Sides): boolean {
  return clash(asked, entryAbout, entryMentions) !== null;
}

/** A contrast a question and an entry fall on different sides of: its set, the question's sides and the entry's. */
export interface Clash {
  set: number;
  asked: number[];
  about: number[];
}

/** The contrast behind `contrasted`, or null. */
export function clash(asked: Sides, entryAbout: Sides, entryMentions: Sides): Clash | null {
  for (const [set, sides] of asked) {
    const about = entryAbout.get(set);
    if (!about) continue;
    const mentions = entryMentions.get(set);
    if ([...sides].some((side) => mentions?.has(side))) continue;
    return { set, asked: [...sides], about: [...about] };
  }
  return null;
}

let shipped: Contrasts | undefined;

/** The engine's own contrast lexicon (lexicon/contrasts-zh.txt), read once per process. */
export function defaultContrasts(): Contrasts {
  shipped ??= buildContrasts(parseContrasts(dataLines('contrasts-zh.txt')));
  return shipped;
}
