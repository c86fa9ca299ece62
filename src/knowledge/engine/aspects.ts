import { buildContrasts, type Contrasts, type Sides } from './contrast.ts';
import { askingClause } from './focus.ts';
import { dataLines } from './lexicon.ts';
import { normalize } from './text.ts';

/**
 * What a question asks about besides its topic: an operation (打印, 转赠, 购买, 作废, 改签 …) or a
 * service object (积分, 评论, 航站楼, 优惠活动 …). A trap shares an entry's topic word and asks about
 * an operation or object the entry never speaks of ("优惠券能送给朋友吗" against "优惠券为什么用不了",
 * "删除的评论怎么恢复" against "删除的项目怎么恢复"); its words cover the entry well, so only this
 * check tells it apart: an entry whose text (answer included) has no word of what the question
 * asks for is at most suggested.
 *
 * Groups are read like one-sided contrasts (contrast.ts): the same scan, the same longest-word
 * rule, the same reading of negation ("不是问积分").
 */
export type Aspect = 'operation' | 'object';

const FILES: Record<Aspect, string> = { operation: 'operations-zh.txt', object: 'objects-zh.txt' };

export function parseAspects(lines: readonly string[]): { sides: string[][] }[] {
  return lines.map((l) => ({ sides: [l.split(/\s+/).filter(Boolean).map(normalize)] })).filter((s) => s.sides[0]!.length > 0);
}

/** A question as the aspect checks read it (query.ts). */
export interface AskedText {
  text: string;
  /** Per-character weight of focus.ts: 1 where the message asks. */
  focus: ArrayLike<number>;
  /** Where the segmenter's words start: a lexicon word inside another word ("卡密码" in 信用卡密码) does not count. */
  starts: ReadonlySet<number>;
  /** Where a compound's two-character head starts (公司地址 → 地址): a thing asked about, too. */
  heads?: ReadonlySet<number>;
}

/**
 * After a verb, what tells it is the customer's story, not their request: it already happened
 * ("买了", "打印过"), it names a time ("办卡时") or it describes a thing ("签到领的红包", checked one
 * character further on).
 */
const DONE = /^[了过的完好时]$/u;
/** One-character verbs (买, 租) are in nearly every customer's story ("在网上买东西"): they ask only after these ("能租", "在哪买"). */
const MODAL = /(?:能|可以|怎么|咋|哪|哪里|哪儿|去哪|想|要)$/u;
/** Before a verb: the customer does not want it ("不想再另外办张卡", "没有要换手机号"). */
const UNWANTED = /(?:不想|不要|不用|不需要|无需|不必|不打算|别|没有要|没要|没想)[再去另外想给也]{0,4}$/u;

/** The operations a question asks for: in the part that asks, not negated, not told as done or unwanted. `tokens`: its words, for one-character verbs. */
export function askedOperations(scanner: Contrasts, q: AskedText, tokens: Iterable<string>): Sides {
  const { text, focus, starts } = q;
  return scanner.scan(
    text,
    tokens,
    (at, end) =>
      at >= 0 &&
      starts.has(at) &&
      // Not the head of a longer word: 洗衣 in 洗衣机 is the machine, not washing.
      (end >= text.length || starts.has(end) || !/[\p{L}\p{N}]/u.test(text[end]!)) &&
      (focus[at] ?? 1) >= 1 &&
      !DONE.test(text[end] ?? '') &&
      text[end + 1] !== '的' &&
      !UNWANTED.test(text.slice(Math.max(0, at - 8), at)) &&
      (end - at > 1 || MODAL.test(text.slice(Math.max(0, at - 3), at))),
  );
}

/** The objects a question asks about: in the clause that asks (not how the customer got there), not negated. */
export function askedObjects(scanner: Contrasts, q: AskedText): Sides {
  const [from, to] = askingClause(q.text);
  return scanner.scan(
    q.text,
    [],
    (at, end) => at >= from && end <= to && (q.starts.has(at) || (end - at === 2 && q.heads?.has(at) === true)) && (q.focus[at] ?? 1) >= 1,
  );
}

/**
 * One-character verbs that stand for any of several operations: "能退吗" asks to 退款, 退货, 退订 …
 * (lexicon/verb-families-zh.txt). Each family: the verb, and the sets of the operations it may mean.
 */
interface Family {
  verb: string;
  sets: number[];
}
let families: Family[] | undefined;

function verbFamilies(): Family[] {
  if (!families) {
    const scanner = aspectScanner('operation');
    families = dataLines('verb-families-zh.txt').map((line) => {
      const [verb = '', meanings = ''] = line.split('=').map((x) => x.trim());
      const sets = meanings.split(/\s+/).flatMap((w) => [...scanner.sidesOf(normalize(w), [normalize(w)]).keys()]);
      return { verb: normalize(verb), sets: [...new Set(sets)] };
    });
  }
  return families;
}

/**
 * The families of operations a question asks for by a one-character verb standing as its own word
 * where it asks ("年度的能退吗", "怎么退"), read as askedOperations reads one-character verbs: after
 * 能 / 怎么 / 想 …, not told as done ("退了") or unwanted ("不想退"). Each family is a class of which
 * an entry must speak of one (see `unmentioned`'s `eitherOf`).
 */
export function askedFamilies(q: AskedText): number[][] {
  const { text, focus, starts } = q;
  const found: number[][] = [];
  for (const f of verbFamilies()) {
    for (let at = text.indexOf(f.verb); at >= 0; at = text.indexOf(f.verb, at + 1)) {
      const end = at + f.verb.length;
      const alone = starts.has(at) && (end >= text.length || starts.has(end));
      if (!alone || (focus[at] ?? 1) < 1 || DONE.test(text[end] ?? '') || UNWANTED.test(text.slice(Math.max(0, at - 8), at))) continue;
      if (!MODAL.test(text.slice(Math.max(0, at - 3), at))) continue;
      found.push(f.sets);
      break;
    }
  }
  return found;
}

/** Per aspect, classes of groups of which mentioning one is enough (an English word's translations). */
export type AnyOf = Record<Aspect, readonly (readonly number[])[]>;

/**
 * The first group the question asks for that the entry never mentions, or null. A group in one of
 * `eitherOf`'s classes counts as mentioned when the entry mentions another group of that class.
 */
export function unmentioned(asked: Sides, entryMentions: Sides, eitherOf: readonly (readonly number[])[] = []): number | null {
  for (const set of asked.keys()) {
    if (entryMentions.has(set)) continue;
    if (eitherOf.some((groups) => groups.includes(set) && groups.some((g) => entryMentions.has(g)))) continue;
    return set;
  }
  return null;
}

interface Shipped {
  groups: string[][];
  scanner: Contrasts;
}
const shipped = new Map<Aspect, Shipped>();

function load(aspect: Aspect): Shipped {
  let s = shipped.get(aspect);
  if (!s) {
    const sets = parseAspects(dataLines(FILES[aspect]));
    s = { groups: sets.map((set) => set.sides[0]!), scanner: buildContrasts(sets) };
    shipped.set(aspect, s);
  }
  return s;
}

/** The engine's own lexicon of an aspect (lexicon/operations-zh.txt, objects-zh.txt), read once per process. */
export const aspectScanner = (aspect: Aspect): Contrasts => load(aspect).scanner;

/** The words of each group, indexed like the sets of aspectScanner(aspect). */
export const aspectGroups = (aspect: Aspect): readonly (readonly string[])[] => load(aspect).groups;

/**
 * The groups an entry speaks of: by their words in its text, or by a synonym concept its words
 * share with a group's words (an entry that says 恢复 speaks of 找回 when the lexicon says so).
 * `conceptsOf` gives a word's synonym concepts (lexicon.ts), `words` the entry's words and concepts.
 */
export function entryAspects(aspect: Aspect, text: string, words: ReadonlyMap<string, number>, conceptsOf: (w: string) => readonly string[]): Sides {
  const found = aspectScanner(aspect).sidesOf(text, words.keys());
  aspectGroups(aspect).forEach((group, set) => {
    if (found.has(set)) return;
    if (group.some((w) => conceptsOf(w).some((c) => words.has(c)))) found.set(set, new Set([0]));
  });
  return found;
}
