/**
 * Small talk: greetings, thanks, "你是机器人吗", the weather and other chit-chat, which the FAQ
 * cannot answer and which should not cost a customer a place in the human queue. The phrases of
 * each intent are the editors' (`<kbDir>/_smalltalk.yml`, built-in defaults when the file or an
 * intent is absent); this module parses that file (problems as `file:line: message`) and tells
 * how much of a message is small talk. Pure: the policy decides what to do with it.
 */
import { pinyin } from 'pinyin-pro';
import { isMap, isScalar, isSeq } from 'yaml';
import { toSimplified } from './engine/simplified.ts';
import { normalize } from './engine/text.ts';
import { readText } from './files.ts';
import { numbersAsWritten, parseYaml, stripBom } from './frontmatter.ts';
import type { KbProblem } from './types.ts';

export const SMALLTALK_FILE = '_smalltalk.yml';

/** Ties between intents covering as many characters go to the earlier one (the more specific). */
export const SMALLTALK_INTENTS = ['bot_identity', 'weather', 'how_are_you', 'praise', 'thanks', 'bye', 'chitchat', 'preamble', 'presence', 'greeting'] as const;
export type SmalltalkIntent = (typeof SMALLTALK_INTENTS)[number];

/** The phrases of every intent, and the filler words said around them (请问, 呀, 小助手 …). */
export interface Smalltalk {
  readonly phrases: Readonly<Record<SmalltalkIntent, readonly string[]>>;
  readonly filler: readonly string[];
}

export interface SmalltalkMatch {
  intent: SmalltalkIntent;
  /** Every character of the message is a small-talk phrase or filler. */
  whole: boolean;
  /** The share (0..1) of the message's characters that are small talk or filler. */
  coverage: number;
}

/** Longer messages are questions, whatever they start with. */
export const SMALLTALK_MAX_CHARS = 40;
const MAX_PHRASE_CHARS = 20;

const freeze = (words: string[]): readonly string[] => Object.freeze(words);

/** What serves without a `_smalltalk.yml` (and for an intent the file leaves out). */
export const DEFAULT_SMALLTALK: Smalltalk = Object.freeze({
  phrases: Object.freeze({
    greeting: freeze([
      '你好', '您好', '哈喽', '哈啰', '哈罗', '嗨', 'hi', 'hello', 'hey', '早上好', '上午好', '中午好', '下午好', '晚上好', '早安', '午安',
    ]),
    // "Is anyone there": answered 在的~ once greeted, which would not answer a second 你好.
    // "在？" and "人呢" are as common a first bubble as 在吗: no question asked yet, so no person either.
    presence: freeze([
      '在吗', '在么', '在嘛', '在不在', '有人吗', '有人在吗', '在线吗', '在', '在不', '在没', '在没有', '在否', '有人没', '有人不', '有没有人',
      '人呢', '人在吗', '还在吗', '喂', '喂喂', '有空吗', '有空不', '有时间吗', '回复啊', '说话啊', '怎么不回', '怎么不说话',
    ]),
    thanks: freeze([
      '谢谢', '谢谢你', '谢谢您', '谢啦', '谢了', '多谢', '感谢', '太感谢了', '非常感谢', '辛苦了', '辛苦你了', '3q', 'thanks', 'thank you', 'thx', '唔该', '多谢晒',
    ]),
    bye: freeze(['再见', '拜拜', '回头见', '下次见', '晚安', '先这样', '88', '886', 'bye', 'bye bye', 'goodbye']),
    how_are_you: freeze([
      '你好吗', '最近好吗', '最近怎么样', '你怎么样', '你还好吗', '吃了吗', '吃饭了吗', '忙吗', '忙不忙', '累吗', '累不累', '过得怎么样', 'how are you',
    ]),
    bot_identity: freeze([
      '是机器人吗', '是不是机器人', '机器人吗', '是真人吗', '是不是真人', '是人吗', '是人还是机器人', '是真人还是机器人', '真人还是机器人',
      '机器人还是真人', '是机器人还是真人', '是机器人还是人', '是机器人吧', '机器人吧', '你是机器人', '是ai吗', '是自动回复吗', '自动回复吗', '你是谁', '你叫什么', '你叫什么名字', '是智能客服吗',
      '又是机器人', '果然是机器人', '原来是机器人', '能干嘛', '能干啥', '能做什么', '能做啥', '会什么', '会干嘛', '有什么用', '能帮我什么', '能帮我干嘛',
      '能帮我做什么',
    ]),
    weather: freeze([
      '天气怎么样', '天气如何', '天气好吗', '天气好不好', '什么天气', '天气预报', '下雨了吗', '会下雨吗', '下不下雨', '下雪了吗', '会下雪吗',
      '冷吗', '冷不冷', '热吗', '热不热', '多少度', '几度', '下雨', '下雨吗', '下雪', '好冷', '好热', '太冷了', '太热了', '冷死了', '热死了', '降温了',
    ]),
    praise: freeze([
      '真棒', '好棒', '太棒了', '厉害', '好厉害', '真厉害', '真聪明', '好聪明', '真好', '好可爱', '真可爱', '挺可爱', '还挺可爱', '可爱', '给你点赞', '点赞', '赞', '不错', '挺好',
      '态度好', '态度很好', '态度真好', '服务好', '服务很好', '服务真好', '服务周到', '很专业', '真专业', '很耐心', '真耐心', '好评', '给你们点赞', '给客服点赞', '很周到', '服务很周到',
    ]),
    // About to ask ("我想咨询一下", "有个问题"): customers type the question in the next message.
    preamble: freeze([
      '我想问一下', '我想问下', '想问一下', '想问下', '请问一下', '有个问题', '有个事', '有件事', '问个问题', '问个事', '我有问题', '有问题',
      '咨询一下', '咨询下', '我想咨询', '想咨询', '我要咨询', '请教一下', '请教下', '打扰一下', '麻烦问一下', '麻烦问下', '想了解一下', '问问',
      '是这样的', '是这样', '情况是这样的', '跟你说一下', '跟你说下', '我跟你说', '反映个问题', '反映一个问题', '反馈个问题', '反馈一个问题',
      // Urgent, or asking for help, before saying with what.
      '急', '着急', '急急急', '挺急的', '在线等', '求助', '求救', '救命', '帮帮我', '帮我看看', '帮我看下', '帮忙看看', '帮个忙', '麻烦一下',
      '麻烦你一下', '打扰了', '还有一个问题', '还有个问题', '我还有问题', '还有问题', '再问一个', '再问个问题', '再问一下',
    ]),
    chitchat: freeze([
      '哈哈', '呵呵', '嘿嘿', '嘻嘻', '在干嘛', '干嘛呢', '在干什么', '讲个笑话', '说个笑话', '来个笑话', '讲笑话', '无聊', '好无聊', '聊聊天',
      '陪我聊天', '陪我聊聊', '你几岁了', '你多大了', '我爱你', '爱你', '喜欢你', '单身吗', '唱首歌', '唱歌', '会唱歌', '随便聊聊', '聊会天', '聊会儿天', '睡不着', '失眠了', '测试', 'test',
      '今天几号', '今天星期几', '今天礼拜几', '现在几点', '几点了', '今天几月几号',
    ]),
  }),
  filler: freeze([
    '呀', '啊', '吧', '呢', '哦', '噢', '喔', '嘛', '啦', '了', '的', '嗯', '呐', '哟', '咯', '么', '吗', '哈', '呗', '诶', '欸', '哎',
    '请问', '问一下', '问下', '我想问', '想问', '那个', '亲', '亲亲', '客服', '小助手', '小姐姐', '小哥哥', '你', '您', '你们',
    '今天', '明天', '现在', '最近', '这两天', '外面', '那边', '一下', '真的', '非常', '太', '很', '也', '好的', '好', '嗯嗯', '哦哦', 'ok',
    '那', '那就', '然后', '就是', '就是说', '对了', '还有', '另外', '我想', '我要', '老师', '美女', '帅哥', '小哥', '姐姐', '师傅', '同学', '老板', '店家',
  ]),
});

/**
 * "咨询个事情", "有点问题想咨询", "问你个事儿", "我遇到个问题": a question is announced in more ways
 * than a list of phrases holds, and nothing of it is in the message yet (the matcher would read 个事
 * as 格式). Read as `preamble`, whole message only.
 */
const ANNOUNCES =
  /^(?:你好|您好|亲|在吗)?(?:我|我们)?(?:想|要|有|遇到了?|碰到了?)?(?:咨询|请教|问|问你|问您|反映|反馈)?(?:个|一个|点|些|一些|一点)?(?:事|事情|事儿|问题|情况|疑问)(?:想|要)?(?:咨询|请教|问|问问|反映|反馈)?(?:一下|下|你|您)?(?:啊|呀|哈|哦)?$|^那个啥$/u;

// WeChat sends its built-in emoji as text codes: [微笑], [强].
const WECHAT_EMOJI = /\[[\p{Script=Han}a-z]{1,4}\]/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;
const isLatin = (ch: string | undefined): boolean => ch !== undefined && /[a-z0-9]/.test(ch);

/** Letters and digits only, words apart by one space: how phrases and messages are compared. */
export function smalltalkText(text: string): string {
  return normalize(toSimplified(text)).replace(WECHAT_EMOJI, ' ').replace(NOT_WORD, ' ').replace(/(?<=\p{Script=Han}) (?=\p{Script=Han})/gu, '').trim();
}

interface Word {
  text: string;
  /** undefined for filler. */
  intent?: SmalltalkIntent;
  /** Its characters without spaces (what it covers). */
  chars: number;
}

interface Compiled {
  /**
   * Every phrase (and filler word) as compared, longest first, by first character: a message is
   * tried at each position only against the words that can start there (trying all ~250 at every
   * position was most of the time small talk cost a question).
   */
  byFirst: Map<string, Word[]>;
}

const compiledOf = new WeakMap<Smalltalk, Compiled>();

function compile(st: Smalltalk): Compiled {
  let c = compiledOf.get(st);
  if (c) return c;
  const words: Word[] = [];
  const word = (text: string, intent?: SmalltalkIntent): Word => ({ text, ...(intent ? { intent } : {}), chars: text.replace(/ /g, '').length });
  for (const intent of SMALLTALK_INTENTS) {
    for (const p of st.phrases[intent]) {
      const text = smalltalkText(p);
      words.push(word(text, intent));
      // Typed in pinyin ("ni hao", "nihao", "zai ma"): the phrase's syllables, apart and run together.
      // Phrases of one character ("在") stay out: as a syllable alone it is too often something else.
      if (/^\p{Script=Han}{2,}$/u.test(text)) {
        const syllables = pinyin(text, { toneType: 'none', v: true, type: 'array' });
        if (syllables.every((x) => /^[a-z]+$/.test(x))) for (const py of new Set([syllables.join(' '), syllables.join('')])) words.push(word(py, intent));
      }
    }
  }
  for (const f of st.filler) words.push(word(smalltalkText(f)));
  // Sorted before grouping, so each group keeps the order ties are decided in.
  const byFirst = new Map<string, Word[]>();
  for (const w of words.filter((x) => x.text !== '').sort((a, b) => b.text.length - a.text.length)) {
    const group = byFirst.get(w.text[0]!);
    if (group) group.push(w);
    else byFirst.set(w.text[0]!, [w]);
  }
  c = { byFirst };
  compiledOf.set(st, c);
  return c;
}

const NO_WORDS: readonly Word[] = [];

/** A Latin phrase is a word of its own ("hi" is not in "this"). */
function fits(s: string, i: number, word: string): boolean {
  if (!s.startsWith(word, i)) return false;
  if (!isLatin(word[0])) return true;
  return !isLatin(s[i - 1]) && !isLatin(s[i + word.length]);
}

/**
 * How much of `text` is small talk: the intent said (the one covering the most characters, ties
 * by SMALLTALK_INTENTS order), whether the whole message is small talk or filler, and the share
 * covered. A message of filler alone ("那个", "请问"), or one that only announces a question
 * ("咨询个事情"), is `preamble`: nothing asked yet. null when
 * neither phrase nor filler covers it all and no phrase occurs, or the message is longer than
 * SMALLTALK_MAX_CHARS.
 */
export function detectSmalltalk(text: string, st: Smalltalk = DEFAULT_SMALLTALK): SmalltalkMatch | null {
  const s = smalltalkText(text);
  const total = s.replace(/ /g, '').length;
  if (total === 0 || total > SMALLTALK_MAX_CHARS) return null;
  if (ANNOUNCES.test(s.replace(/ /g, ''))) return { intent: 'preamble', whole: true, coverage: 1 };
  const { byFirst } = compile(st);
  // The cover of s[i..] leaving the fewest characters uncovered (then the most in phrases), per i,
  // in flat arrays (this runs on every customer message: no object per character): its counts,
  // whether it starts covered, and the step it takes (to `next[i]`, by the phrase `step[i]`).
  const n = s.length;
  const uncovered = new Int32Array(n + 1);
  const phraseChars = new Int32Array(n + 1);
  const startsCovered = new Uint8Array(n + 1);
  const next = new Int32Array(n + 1);
  const step: (Word | undefined)[] = new Array<Word | undefined>(n + 1);
  startsCovered[n] = 1;
  for (let i = n - 1; i >= 0; i--) {
    let u = uncovered[i + 1]! + (s[i] === ' ' ? 0 : 1);
    let p = phraseChars[i + 1]!;
    let sc = s[i] === ' ' ? 1 : 0;
    let to = i + 1;
    let by: Word | undefined;
    for (const w of byFirst.get(s[i]!) ?? NO_WORDS) {
      if (!fits(s, i, w.text)) continue;
      const after = i + w.text.length;
      // A lone particle inside a question (the 么 of 怎么弄) is not filler: only before small talk or at the end.
      if (!w.intent && w.text.length === 1 && !startsCovered[after]) continue;
      const cu = uncovered[after]!;
      const cp = phraseChars[after]! + (w.intent ? w.chars : 0);
      if (cu < u || (cu === u && cp > p)) [u, p, sc, to, by] = [cu, cp, 1, after, w];
    }
    uncovered[i] = u;
    phraseChars[i] = p;
    startsCovered[i] = sc;
    next[i] = to;
    step[i] = by;
  }
  const used: { intent: SmalltalkIntent; chars: number }[] = [];
  for (let i = 0; i < n; i = next[i]!) {
    const w = step[i];
    if (w?.intent) used.push({ intent: w.intent, chars: w.chars });
  }
  // Only filler ("那个", "请问", "嗯"): the customer has not said what they want yet.
  if (used.length === 0) return uncovered[0] === 0 ? { intent: 'preamble', whole: true, coverage: 1 } : null;
  const cover = { uncovered: uncovered[0]!, used };
  const chars = new Map<SmalltalkIntent, number>();
  for (const u of cover.used) chars.set(u.intent, (chars.get(u.intent) ?? 0) + u.chars);
  const intent = SMALLTALK_INTENTS.reduce<SmalltalkIntent | undefined>((top, i) => {
    const n = chars.get(i) ?? 0;
    return n > 0 && (top === undefined || n > (chars.get(top) ?? 0)) ? i : top;
  }, undefined)!;
  return { intent, whole: cover.uncovered === 0, coverage: (total - cover.uncovered) / total };
}

// ---------------------------------------------------------------------------------------------
// The editors' file
// ---------------------------------------------------------------------------------------------

const KEYS: readonly string[] = [...SMALLTALK_INTENTS, 'filler'];
const SHAPE = 'must be "intent: [phrase, phrase]" lines, e.g. "weather: [天气怎么样, 会下雨吗]"';

/**
 * Parses and checks the text of a small-talk file; `file` only names it in the problems. An
 * intent left out keeps the built-in phrases; an empty one (`weather: []`) has none.
 */
export function parseSmalltalk(source: string, file: string = SMALLTALK_FILE): { smalltalk?: Smalltalk; problems: KbProblem[] } {
  const problems: KbProblem[] = [];
  const report = (line: number, message: string): void => void problems.push({ file, line, message });
  const { doc, problems: yamlProblems, lineOf } = parseYaml(stripBom(source), 1);
  if (yamlProblems.length > 0) {
    for (const p of yamlProblems) report(p.line, p.message);
    return { problems };
  }
  if (doc.contents === null) return { smalltalk: DEFAULT_SMALLTALK, problems };
  if (!isMap(doc.contents)) {
    report(lineOf([], 1), SHAPE);
    return { problems };
  }
  numbersAsWritten(doc.contents);
  const lists = new Map<string, string[]>();
  const owner = new Map<string, string>();
  for (const pair of doc.contents.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    const line = lineOf([key], 1);
    if (!KEYS.includes(key)) {
      report(line, `unknown intent "${key}" (known: ${KEYS.join(', ')})`);
      continue;
    }
    const value = pair.value as unknown;
    const empty = value === null || (isScalar(value) && value.value === null);
    const items = empty ? [] : isSeq(value) ? value.items : undefined;
    if (!items) {
      report(line, `"${key}" ${SHAPE}`);
      continue;
    }
    const words: string[] = [];
    items.forEach((node, i) => {
      const at = lineOf([key, i], line);
      const raw = (node as { value?: unknown } | null)?.value;
      const phrase = typeof raw === 'string' ? raw.trim() : '';
      const compared = smalltalkText(phrase);
      if (typeof raw !== 'string' || compared === '') return report(at, `"${key}" phrase ${i + 1} must be words (letters or characters), not empty`);
      if ([...phrase].length > MAX_PHRASE_CHARS) return report(at, `"${key}" phrase "${phrase}" must be at most ${MAX_PHRASE_CHARS} characters`);
      const other = owner.get(compared);
      if (other !== undefined && other !== key) return report(at, `"${phrase}" is under both "${other}" and "${key}"`);
      owner.set(compared, key);
      words.push(phrase);
    });
    lists.set(key, words);
  }
  if (problems.length > 0) return { problems: problems.sort((a, b) => a.line - b.line) };
  // A file written before an intent existed (在吗 under greeting, no presence line) keeps its
  // phrases where it put them: the built-in ones of an absent intent leave those out.
  const builtIn = (i: SmalltalkIntent): string[] => DEFAULT_SMALLTALK.phrases[i].filter((p) => !owner.has(smalltalkText(p)));
  const phrases = Object.fromEntries(SMALLTALK_INTENTS.map((i) => [i, freeze(lists.get(i) ?? builtIn(i))]));
  return {
    smalltalk: Object.freeze({
      phrases: Object.freeze(phrases) as Smalltalk['phrases'],
      filler: freeze(lists.get('filler') ?? [...DEFAULT_SMALLTALK.filler]),
    }),
    problems,
  };
}

/**
 * Reads and checks `<root>/<file>` (default `_smalltalk.yml`); null when there is none (the
 * built-in phrases serve then). Problems name the file as given.
 */
export function readSmalltalk(root: string, file: string = SMALLTALK_FILE): { smalltalk?: Smalltalk; problems: KbProblem[] } | null {
  const text = readText(root, file);
  if (text === null) return null;
  if (typeof text !== 'string') return { problems: [{ file, ...text }] };
  return parseSmalltalk(text, file);
}
