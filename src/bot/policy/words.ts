/**
 * How the policy reads a customer's short replies: the word lists (help, greeting, yes / no,
 * helpful / not, thanks, rating words), numbers ("2", "第2个", "二") and requests for a person
 * ("转人工", and "不用转人工" as a decline). All of it works on the normalized message, the same
 * normalization the matcher uses, so both read a message alike.
 */
import { normalize, toSimplified } from '../../knowledge/index.ts';

/** How the policy reads a message: normalized, traditional characters as simplified ("謝謝", "轉人工"). */
export const normalizeText = (text: string): string => normalize(toSimplified(text));

// WeChat sends its built-in emoji as text codes: [微笑], [强], [OK].
const WECHAT_EMOJI = /\[[\p{Script=Han}a-z]{1,4}\]/gu;
/** An emoji, or WeChat's code for one ("[微笑]"). */
export const EMOJI = new RegExp(`\\p{Extended_Pictographic}|${WECHAT_EMOJI.source}`, 'u');
const EDGE = /^[\p{P}\p{S}\p{Z}\p{Cf}\p{M}\s]+|[\p{P}\p{S}\p{Z}\p{Cf}\p{M}\s]+$/gu;
export const THUMBS = /👍|👌|🙏|\[强\]|\[ok\]|\[抱拳\]/u;

/** The normalized message without WeChat emoji codes, and without punctuation/emoji at its ends. */
export function bareText(normalized: string): string {
  return normalized.replace(WECHAT_EMOJI, ' ').replace(EDGE, '').replace(/\s+/g, ' ');
}

const oneOf = (words: string[]): ReadonlySet<string> => new Set(words.map(normalizeText));

/** The bare text without spaces, punctuation or emoji: how short replies are read word by word. */
export const compact = (bare: string): string => bare.replace(/[\s\p{P}\p{S}]+/gu, '');

/** Asks something: a question word, 吗/呢, a question mark; "在那里看" (那 typed for 哪, as often). */
export const ASKING = /[吗呢?？]|\b(?:how|what|where|when|why|which|can i|could i|do you|does it|is there)\b|怎么|怎样|咋|什么|啥|哪|为什么|为啥|多少|几|能不能|可不可以|是不是|有没有|有木有|要不要|会不会|(?<=\p{Script=Han})不$|(?:在|去|从)那(?:里|儿)(?:看|找|开|设置|改|弄|点|下载|买|查)/u;

export const HELP = oneOf(['帮助', '菜单', '帮助菜单', '目录', '常见问题', '问题列表', '功能菜单', 'help', 'menu']);
export const GREETING =
  /^(?:(?:你好|您好|你好呀|你好啊|您好呀|hi|hello|hey|嗨|哈喽|哈啰|哈罗|在吗|在么|在嘛|在不在|有人吗|有人在吗|早上好|上午好|中午好|下午好|晚上好|早|亲|客服|同志|老师|师傅|美女|帅哥|小姐姐|小哥哥|小哥|亲爱的|老板|朋友|工作人员)[\s\p{P}\p{S}]*)+(?:我是[\p{sc=Han}\w]{1,6}[\s\p{P}\p{S}]*)?$/u;
export const YES = oneOf([
  '1', '好', '好的', '好啊', '好吧', '好滴', '是', '是的', '要', '要的', '需要', '可以', '可以的', '行', '嗯', '嗯嗯',
  '对', '转', '转吧', '转人工吧', '麻烦了', '麻烦你了', 'ok', 'okay', 'yes', 'y',
]);
export const NO = oneOf([
  '不用', '不用了', '不要', '不要了', '不了', '不需要', '先不用', '暂时不用', '算了', '没事', '没事了', 'no', 'n',
]);
export const HELPFUL = oneOf([
  '1', '有帮助', '有用', '有效', '解决了', '已解决', '好了', '可以了', '行了', '谢谢', '谢谢你', '多谢', '感谢', '明白了',
  '懂了', '好的', 'ok', 'thanks', 'thank you', 'thx',
]);
export const NOT_HELPFUL = oneOf([
  '2', '没解决', '没有解决', '未解决', '没帮助', '没有帮助', '没用', '没有用', '不管用', '没帮上', '不行', '还是不行', '不对',
]);
/** Thanks in words: after an answer, "helpful", answered with 不客气 rather than "thanks for the feedback". */
const THANKS_WORDS = ['谢谢', '谢谢你', '谢谢啦', '多谢', '感谢', 'thanks', 'thank you', 'thx'];
export const THANKS = oneOf(THANKS_WORDS);
export const CLOSING = oneOf([
  ...THANKS_WORDS, '好的', '好', '好吧', '嗯', '嗯嗯', '哦', '知道了', '明白了', '懂了', '收到',
  '好了', '没事了', '没问题了', '拜拜', '再见', 'ok', 'bye',
]);

/**
 * Anger at the service itself ("你们客服太垃圾了", "什么破软件", "骗子") or a threat to complain
 * ("去12315投诉", "投诉你们"): a person should take it, with an apology, not a "did you mean" list.
 * Words that name a thing ("垃圾清理", "垃圾分类") are not anger: 垃圾 counts only said of the
 * service, the product or the company. Asking for the agent's superior ("给我转你们领导") is a
 * complaint about the service too.
 */
const ANGER =
  /(?:(?:你们|客服|服务|态度|软件|产品|平台|公司|app|这)[^，。！？,.!?]{0,4}(?:太差|很差|真差|差劲|垃圾|太烂|真烂|烂透)|(?:太|真|什么|垃圾)(?:垃圾|坑)|(?:^|[\s，,。！!])(?:垃圾|辣鸡|差评)(?:[!！。.]*$|[\s，,。！!])|什么(?:破|烂)?(?:客服|服务|态度)(?:啊|呀|嘛)?[!！?？。]*$|(?:要|给你们|打个?|给个?)差评|一星(?!期)|倒闭|骗子|骗人|诈骗|坑人|坑爹|黑心|无良|欺诈|气死我|恶心死|破(?:软件|app|玩意|东西|平台)|傻逼|辣鸡|12315|消协|消费者协会|(?:去|就去|要去)投诉|投诉你们|曝光你们|听不懂人话|听得懂人话吗|能听懂人话吗|听懂人话没|人话都听不懂|不说人话|答非所问|驴唇不对马嘴|牛头不对马嘴|人工智障|智障|废物|垃圾(?:软件|app|产品|平台|客服|公司|东西|玩意)|有病吧|神经病|脑子有病|乱扣|乱收费|偷偷扣|私自扣|再不[来回理管].{0,6}(?:卸载|投诉|差评|退款|报警)|(?:就|这样|这么)对待(?:客户|顾客|用户|消费者|我们)|什么(?:服务|态度)啊|(?:找|转|叫|让|换)(?:你们|你们的)?(?:领导|主管|经理|负责人|上级)(?:来|过来|出来|接|说话|处理)?(?:[!！。.吧]*)$)/u;

export const isComplaint = (bare: string): boolean => ANGER.test(bare);

/** "都不是" after a "did you mean" list: none of the entries is what the customer asked. */
export const DEAD_END = oneOf([
  '都不是', '都不对', '不是这些', '以上都不是', '没有我要的', '没有我想要的', '没有我要问的', '没有想要的', '都没有', '都不是我要的',
  '都不是我想要的', '没找到', '没有', '不是', '不是这个', '不是这几个',
]);
/**
 * Right after an answer, the customer says it did not help in words the "2" check does not read
 * (NOT_HELPFUL is matched whole): "还是不行啊", "答非所问", "不是我要的".
 */
export const REJECTION = oneOf([
  '还是没解决', '还是没用', '还是没有用', '没什么用', '没啥用', '没效果', '没有效果', '不好使', '不起作用', '没反应', '答非所问',
  '说的不对', '你说的不对', '回答不对', '不是这个', '不是这个问题', '不是我要的', '不是我想要的', '不是这样', '不是这么回事', '文不对题',
]);

// Chat particles around a short reply: 没解决啊 / 不是这个吧 / 哎都不是.
const PARTICLES = /^(?:哎|唉|呃|额|嗯)+|(?:啊|呀|哦|噢|呢|吧|啦|了|嘛|哈|的|诶|欸|哇)+$/gu;

/** One of `words`, as written or without the chat particles at its ends (没有我要的 / 都不是啊). */
export const saysOneOf = (words: ReadonlySet<string>, bare: string): boolean => words.has(bare) || words.has(bare.replace(PARTICLES, ''));

/** A "did not help" after an answer that the exact NOT_HELPFUL words (and "2") miss. */
export function rejects(bare: string): boolean {
  if (NOT_HELPFUL.has(bare)) return false;
  return saysOneOf(REJECTION, bare) || (saysOneOf(NOT_HELPFUL, bare) && !/\d/.test(bare));
}

/** The 1-5 rating in words (非常满意 … 非常不满意), as customers answer the rating question. */
export const RATING_WORDS: ReadonlyMap<string, number> = new Map([
  ['非常满意', 5],
  ['很满意', 5],
  ['十分满意', 5],
  ['特别满意', 5],
  ['满意', 4],
  ['比较满意', 4],
  ['一般', 3],
  ['还行', 3],
  ['不满意', 2],
  ['不太满意', 2],
  ['非常不满意', 1],
  ['很不满意', 1],
]);

/**
 * A score in the customer's words: "5分", "五星好评", "给5分", "满分", "好评" / "差评", "⭐⭐⭐⭐".
 * Bare digits are numbers (`numberOf`): a list just offered may claim them first.
 */
const RATING_PHRASE = /^(?:给(?:你们?|您)?|打|给个|给你们?个|打个)?(?:([1-5一二三四五])(?:分|星|颗星)(?:好评|满意)?|(满分|好评|差评))(?:吧|啦|了|哈|呀)?$/u;
const STARS = /^(?:⭐|🌟|★)+$/u;
/** A thumb up or down, as an emoji or WeChat's own ("[强]" / "[弱]"), skin tone whatever: 好评 / 差评. */
const THUMBS_UP = /^(?:👍|\[强\])+$/u;
const THUMBS_DOWN = /^(?:👎|\[弱\])+$/u;

const TOP_MARKS = /^(?:给(?:你们?|您)?|打)?(?:100|一百|10|十)分[!！]*$/u;
const BOTTOM_MARKS = /^(?:给(?:你们?|您)?|打)?(?:0|零)分[!！]*$/u;
/** A score off the 1-5 scale in the same words ("10分", "100分", "零分"): the scale is asked again. */
export const offScale = (normalized: string): boolean => /^(?:给(?:你们?|您)?|打)?(?:\d{2,}|[06-9]|零|十|一百)(?:分(?!钟)|星)/u.test(bareText(normalized).replace(/\s+/g, ''));

/** The 1-5 rating a reply to the rating question gives, in words or stars; undefined when it gives none. */
export function ratingOf(normalized: string): number | undefined {
  const bare = bareText(normalized);
  const plain = bare.replace(PARTICLES, '').replace(/\s+/g, '');
  const word = RATING_WORDS.get(bare) ?? RATING_WORDS.get(plain);
  if (word !== undefined) return word;
  // Stars are symbols: bareText drops them, so they are read from the message itself.
  const stars = normalized.replace(/\s|\uFE0F|\p{Emoji_Modifier}/gu, '');
  if (THUMBS_UP.test(stars)) return 5;
  if (THUMBS_DOWN.test(stars)) return 1;
  if (STARS.test(stars)) {
    const n = [...stars].length;
    return n <= 5 ? n : undefined;
  }
  // "five stars", "4 stars", "5 points": in English.
  const english = /^(one|two|three|four|five|[1-5])(?:stars?|points?)$/u.exec(plain);
  if (english) return ['one', 'two', 'three', 'four', 'five'].indexOf(english[1]!) + 1 || Number(english[1]);
  // "100分", "十分" (of ten), "零分": the top or the bottom of any scale, whatever scale it is.
  if (TOP_MARKS.test(plain)) return 5;
  if (BOTTOM_MARKS.test(plain)) return 1;
  const m = RATING_PHRASE.exec(plain);
  if (!m) return undefined;
  if (m[2]) return m[2] === '差评' ? 1 : 5;
  return digitValue(m[1]!);
}

/** A slip owned up to ("按错了", "点错了", "手滑") with the score meant ("5分", "应该是5", "五星"). */
const SLIP = /按错|点错|打错|选错|手滑|误触|弄错|输错|看错/u;
const MEANT_SCORE = /([1-5一二三四五])\s*(?:分|星|颗星)|(?:^|[^\d])([1-5])(?:[^\d]|$)/u;
export function correctedRating(bare: string): number | undefined {
  if (!SLIP.test(bare)) return undefined;
  const m = MEANT_SCORE.exec(bare);
  return scoreOf(m?.[1] ?? m?.[2]);
}

/**
 * "钱退回来我再给5分，现在先给3分": scores named in so many words ("3分", "四星") inside a longer
 * message; the last one is the one given ("本来想给5分 算了4分吧"). Not "15分钟", "十五分", "五星级酒店".
 */
const SCORE_NAMED = /(?<![\d.十百])([1-5一二三四五])\s*(?:分(?!钟)|星(?![级期])|颗星)/gu;
export const lastScoreNamed = (bare: string): number | undefined => scoreOf([...bare.matchAll(SCORE_NAMED)].at(-1)?.[1]);

/** A score's digit, 1-5 or 一-五. */
const scoreOf = (d: string | undefined): number | undefined => (d === undefined ? undefined : '一二三四五'.includes(d) ? '一二三四五'.indexOf(d) + 1 : Number(d));

const CN_DIGITS = '一二三四五六七八九';

/** "3" or "三": 3. */
const digitValue = (digits: string): number => {
  const d = CN_DIGITS.indexOf(digits);
  return d >= 0 ? d + 1 : Number(digits);
};

/** "2", "第2个", "2号", "二": the number, else undefined. */
export function numberOf(bare: string): number | undefined {
  // "88", "886": goodbye in digits, no pick.
  if (/^886?$/u.test(bare)) return undefined;
  // "3", "第二个", "2吧", "选4", "看下第4个".
  const m = /^(?:(?:就|那就|那)?我?(?:选|要|看下?|看看)?\s*)?(?:第\s*)?(\d{1,3}|[一二三四五六七八九])\s*(?:个|条|项|号)?\s*(?:吧|呀|啊|哈|的|了|呢)?$/u.exec(bare);
  return m?.[1] ? digitValue(m[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// A request for a person
// ---------------------------------------------------------------------------------------------

export const DEFAULT_HUMAN_KEYWORDS: readonly string[] = Object.freeze([
  '转人工',
  '人工',
  '人工客服',
  '人工服务',
  '找人工',
  '找客服',
  '联系客服',
  '客服人员',
  '真人',
  '真人客服',
  '投诉',
  'human',
  'agent',
  'real person',
  '活人',
  '工作人员',
  '客服电话',
  '人工电话',
  '不要机器人',
]);

/**
 * Above this many characters a message is a description, not a request: keywords count only in its
 * first or last clause ("…都不行，麻烦帮我转人工"), read as a short message of its own.
 */
export const HUMAN_SENTENCE_MAX_CHARS = 30;
/** English spends more letters on a short request: "hi can i talk to a real person please". */
const sentenceMax = (bare: string): number => (/^[\x20-\x7e]*$/u.test(bare) ? HUMAN_SENTENCE_MAX_CHARS * 2 : HUMAN_SENTENCE_MAX_CHARS);
const CLAUSE_BREAK = /[，。！？；,.!?;\n]+/u;

// Said right after a keyword it still reads as the request: 转人工吧 / 人工客服谢谢 / 人工在吗, and whom
// a complaint is about: 投诉你们 / 投诉你们的客服 / 投诉商家.
const TAIL =
  /^(?:客服|在吗|在么|在嘛|在不在|一下|下|服务|处理|看看|看下|问问|问一下|问下|问|咨询|谢谢|谢了|好吗|好不好|可以吗|行吗|行不行|你们|你|的客服|的服务|的员工|的工作人员|的人|商家|店家|卖家|快递员|骑手|司机|吧|啊|呀|吗|嘛|呢|了|啦|哦|喔|哈|呗|哟|please|pls)/u;
const SENDS_FOR =
  /(?:^|[\s，,。])(?:能|能不能|可以|可不可以|麻烦|请|快|赶紧|你|帮我|你?给我|你帮我)?(?:(?:找|叫|来|派|转|整|弄|换)(?:个|一个|你们的?)?(?:真人|人|客服|销售|技术人员|技术支持|技术|工程师|专员|经理|负责人|主管)|(?:找|叫|来|派|整|弄|换)个?人工|转人工(?=帮|处理|看)|让(?:真人|人工|客服))(?:来|过来)?(?:帮我|帮帮我|帮忙|处理|看看|看一下|弄|教教我|教我|唠唠|聊聊|问问|问一下|问下|问|咨询|(?=$|[\s，,。吗吧啊呀么嘛]))/u;
/** "你们有没有人工啊帮我看看", "还有真人吗": whether there is one, which asks for one. */
const ASKS_IF_ONE = /有没有(?:人工|真人|客服)|有(?:人工|真人)(?:客服)?(?:吗|没)/u;
// Just before a keyword it cancels it: 不用转人工 / 别找客服 / 不需要人工.
const NEGATION = /(?:不|别|没|甭|无需|不需要|不用|不要|不想)(?:转|找|要|用|联系|接)?\s*$/u;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isLatin = (ch: string | undefined): boolean => ch !== undefined && /[a-z0-9]/.test(ch);

const preparedKeywords = new WeakMap<readonly string[], string[]>();

/** Normalized keywords, longest first; prepared once per list (this runs on every message). */
function keywordList(keywords: readonly string[]): string[] {
  let words = preparedKeywords.get(keywords);
  if (!words) {
    words = [...new Set(keywords.map((k) => bareText(normalizeText(k))).filter(Boolean))].sort((a, b) => b.length - a.length);
    preparedKeywords.set(keywords, words);
  }
  return words;
}

/**
 * Whether a message asks for a person: 'ask', 'negated' ("不用转人工"), or null.
 *
 * The rule: the whole message is a keyword, or — in a short message (at most
 * HUMAN_SENTENCE_MAX_CHARS characters) — a keyword stands as a word of its own. A keyword stands
 * alone when what follows it (after chat particles such as 吧/啊/了/谢谢/一下) is the end of the
 * message, punctuation, a space or another keyword; and, for Latin keywords, when no letter or
 * digit precedes it. So "我要转人工", "帮我转人工客服", "人工客服谢谢", "投诉！" and
 * "talk to a human" ask for a person, while "人工智能是什么" (人工 continues into 智能),
 * "真人秀" or "agents" do not. The longest keyword at a position wins ("人工客服" over "人工").
 */
export function humanRequest(text: string, keywords: readonly string[]): 'ask' | 'negated' | null {
  // "转 人 工": spaces between Han characters do not split a word.
  // Only between single characters: "转人工 我要问退款的事" is a request, then the question.
  const bare = bareText(normalizeText(text)).replace(/(?<=(?:^|\s)\p{Script=Han}) (?=\p{Script=Han}(?:\s|$))/gu, '');
  if (!bare) return null;
  // "客服", "客服客服客服": calling for one (客服 in a sentence is no request: "你是客服吗").
  if (/^(?:客服[\s\p{P}]*)+$/u.test(bare)) return 'ask';
  // "能找人帮我弄一下吗", "客服呢 叫人", "来个人": sent for, not named as a keyword.
  if ([...bare].length <= sentenceMax(bare) && (SENDS_FOR.test(bare) || ASKS_IF_ONE.test(bare))) return 'ask';
  const words = keywordList(keywords);
  // Most messages contain no keyword at all: one native search each settles them.
  if (!words.some((w) => bare.includes(w))) return null;
  if (words.includes(bare)) return 'ask';
  if ([...bare].length > sentenceMax(bare)) {
    // A long description ends (or starts) with its request: "…重装都不行，麻烦帮我转人工".
    const clauses = bare.split(CLAUSE_BREAK).filter(Boolean);
    if (clauses.length < 2) return null;
    const ends = [clauses.at(-1)!, clauses[0]!].filter((c) => [...c].length <= HUMAN_SENTENCE_MAX_CHARS);
    const found = ends.map((c) => humanRequest(c, keywords));
    return found.includes('ask') ? 'ask' : found.includes('negated') ? 'negated' : null;
  }
  let negated = false;
  for (let i = 0; i < bare.length; i++) {
    const word = words.find((w) => bare.startsWith(w, i));
    if (!word || !standsAlone(bare, i, word, words)) continue;
    if (!NEGATION.test(bare.slice(0, i))) return 'ask';
    negated = true;
  }
  return negated ? 'negated' : null;
}

/** Whether `word`, found at `i` of `bare`, is a word of its own there (see humanRequest). */
function standsAlone(bare: string, i: number, word: string, words: readonly string[]): boolean {
  const latin = isLatin(word[0]);
  if (latin && isLatin(bare[i - 1])) return false;
  let end = i + word.length;
  for (let tail = TAIL.exec(bare.slice(end)); tail && !latin; tail = TAIL.exec(bare.slice(end))) end += tail[0].length;
  const next = bare[end];
  // Another keyword may follow directly: "转人工" then "人工客服" in "转人工客服".
  return !isWordChar(next) || (latin ? !isLatin(next) : words.some((w) => bare.startsWith(w, end)));
}

/**
 * An FAQ answer that itself tells the customer to ask for a person ("请回复「人工」说明情况"):
 * a 转人工 right after it follows the answer, it does not reject it.
 */
const INVITES_PERSON = /(回复|发送|输入|打)\s*[「『“"【]?\s*(转?人工|客服)/u;
export const invitesPerson = (answer: string): boolean => INVITES_PERSON.test(answer);
/** Nothing but the request for a person ("人工", "转人工客服"): no verdict on the answer in it. */
export const barePersonRequest = (bare: string): boolean => /^(我要|请|帮我)?转?(人工|真人)(客服|服务)?(吧|啊|呀|呢)?$/u.test(bare);

/**
 * A waiting customer asking after the wait or whether anyone is there ("人呢？？？", "还要等多久",
 * "怎么还没人回"): told they are in the queue, not answered from the FAQ ("多久" is a word of many
 * entries) and not met with silence.
 */
const PRESENCE = /^(?:闺女|姑娘|小姐姐|小哥哥?|美女|帅哥|师傅|亲|你|您|客服)*(?:(?:在吗|在么|在嘛|在不在|有人吗|有人在吗|人呢|人在吗|有没有人|客服呢|客服在吗|还在吗|还有人吗|还有人在吗|有人没|有人不|回复啊|回个话|说话啊)(?:啊|呀|哇|呐)?[\s\p{P}\p{S}]*)+$/u;
const WAIT =
  /(?:还要|要|得|需要)等(?:多久|多长时间|多少分钟|几分钟|到什么时候|到啥时候)|^(?:请问|还|还要|还有|仲|仲要|要|得|需要|大概|大约|到底|那|等|再)*(?:多久|多长时间|几分钟|几耐)(?:啊|呀|呢|了|哦|嘛|来着)*$|说(?:的)?多久|到我(?:了)?(?:没|吗|嘛|么)|\beta\b|下班了|还没好(?:吗|嘛|么|啊)?$|多久(?:才|能|可以)?(?:有人|回|轮到|接|处理|好|到我)|(?:什么|啥子?)时候(?:才|能|可以)?(?:有人|回|轮到|接|处理|到我)|how long|still waiting|any ?one (?:there|here)|(?:怎么|咋|一直|还是|怎么还|咋还)没(?:有)?(?:人|回|轮到|接)|没人(?:回|理|管)|排到(?:第)?几|排第几|第几(?:个|位)了?$|前面还有(?:几|多少)|(?:等|排)了(?:好久|半天|这么久|很久)|还在排(?:队|着)?(?:吗|嘛|么|没)?$|排上了(?:吗|没)|any ?updates?|\bupdate\??$|处理了(?:没有?|吗|么)|^还要等(?:吗|么|嘛)?$|(?:今天|什么时候|啥时候)能(?:回复?|处理|回我)(?:吗|么)?|(?:客服|人工|人)(?:怎么)?还没(?:来|到|上线|回|出现)|(?:怎么|咋)?还不来|(?:怎么|咋)还没(?:来|好)/u;
/** A message's clauses, split at spaces and punctuation: "还要多久啊 我等不了了" asks how long in its first. */
export const clausesOf = (bare: string): string[] => bare.split(/[\s，,。.！!？?~～；;]+/u).filter((c) => c !== '');
const anyClause = (re: RegExp, bare: string): boolean => re.test(bare) || clausesOf(bare).some((c) => re.test(c));
export const asksAfterWait = (bare: string): boolean => anyClause(PRESENCE, bare) || anyClause(WAIT, bare);
/** Asks how long or where in the queue in so many words ("还要等多久", "排到第几了"): answered more often than a ping. */
export const asksHowLong = (bare: string): boolean => anyClause(WAIT, bare);
/** A ping with nothing in it ("喂", "？？？", "。。。") while waiting: like "人呢". `normalized` keeps the marks. */
export const nudges = (normalized: string): boolean => /^(?:喂+|哈喽|hello|你好|您好|[?？.。!！…~～\s]+)[?？.。!！…~～\s]*$/iu.test(normalized.trim());
/** Impatience at the wait ("好慢", "快点", "等了半天了", "😡"): an apology comes with the place in the queue. */
const IMPATIENT = /好慢|太慢|慢死|真慢|这么慢|在线等|咁慢|快点|快一点|快些|赶紧|磨叽|磨蹭|心焦|等了(?:好久|半天|这么久|很久|一个?多?小时|半个?小时|\d+多?分钟)|等半天|这么久|太久|急死|等不了|等不及|不想等|求求了?|拜托了?$|都.{0,4}(?:半小时|半个小时|一个?多?小时|\d+分钟|好久|这么久)了|(?:很|挺|好|特别)急|(?<![不别着])急[!！]*$|(?<![不别])着急|到底|装死|😡|😠|🤬|💢|😤/u;
export const impatient = (text: string): boolean => IMPATIENT.test(text);

/**
 * A customer who does not know where to start ("我年纪大了不太会弄", "第一次用这个", "这软件怎么用"):
 * when the FAQ answers nothing in it, the menu is the help, not a person. Short messages only.
 */
const LOST = /不太?会(?:用|弄|操作|搞)|不知道(?:该)?怎么(?:用|弄|操作|开始)|(?:第一次|刚开始|刚下载|刚装好?)(?:用|使用)|新手(?!机)|小白|教教我|用不来|玩不转|不会打字|打字(?:不方便|太慢|慢)|眼睛不好|看不清字?|不识字/u;
export const needsGuidance = (bare: string): boolean => bare.length <= 24 && LOST.test(bare);
/** "我不会打字 打得慢": whatever entry 慢 would find (the lag one), the guidance. */
export const cannotType = (bare: string): boolean => bare.length <= 24 && /不会打字|打字(?:不方便|太慢|慢|麻烦|好麻烦|太麻烦|累)|打得慢|懒得打字?|不想打字|不方便打字/u.test(bare);
/**
 * "不好用", "用不了", "软件有问题": something is wrong, and nothing says what. Asking what happened
 * does better than a list of entries or a place in the queue for a person to ask the same.
 */
const VAGUE =
  /^(?:你们的?|你们这个?|这个|这|那个|软件|app|我的?)*(?:不好用|不能用|用不了|没法用|有问题|出问题了?|有毛病|坏了|不灵|有bug|好难用|太难用了?|真难用|难用|不太好用|不怎么好用|用不成|(?:我|一)?(?:点了|点|按了|按)(?:一下|半天)?(?:没动静|没反应|没用|不动))(?:了|啊|呀|吧|哦|呢|阿|啦)*$/iu;
export const vaguelyBroken = (bare: string): boolean => VAGUE.test(bare.replace(/\s+/g, ''));

/**
 * "在哪里申请", "在哪关", "入口在哪": where to do a step, with nothing named but a verb; right after
 * an answer that is the step of that answer.
 */
const WHERE_ONLY = /^(?:那|那么|请问|所以)?(?:(?:要|去|可以|能|该)?在?(?:哪里|哪儿|哪)[\p{sc=Han}]{1,2}|(?:入口|按钮|开关|设置)在哪(?:里|儿)?)(?:啊|呀|呢|的|啦)?$/u;
export const asksWhereOnly = (bare: string): boolean => WHERE_ONLY.test(compact(bare));

/**
 * "客服几点上班", "你们几点下班", "人工什么时候有人", "工作时间是几点到几点": the agents' hours. Said of
 * the service (客服, 人工, 你们) or of the hours themselves; "几点下单发货" is no such question.
 */
const SERVICE_HOURS =
  /(?:几点|什么时候|啥时候|何时)(?:上班|下班|开始上班|有人|开工|营业|开门|关门)|(?:上班|下班|工作|服务|营业|在线|值班)时间|(?:客服|人工|你们).{0,4}(?:几点|什么时候|啥时候)(?:上班|下班|在|有人|开始|结束)|(?:周末|晚上|节假日|假期)(?:有人|上班|有客服)/u;
export const asksServiceHours = (bare: string): boolean => SERVICE_HOURS.test(compact(bare)) && ASKING.test(bare);

/** "就是这个报错", "如图", "这个报错是什么意思": about a picture or a thing just shown, which only a person can see. */
export const POINTS_AT = /^(?:就是|就|是|看|请问)?(?:这个|那个|这种|这样的?|这|如图|图上的?|图片上|截图上?的?|图里的?)/u;

/**
 * "点哪个", "选哪个", "哪个好": which one, of nothing named; the matcher would answer it with
 * whichever entry asks "哪个" too (the save-location one).
 */
export const asksWhichOfNothing = (bare: string): boolean => /^(?:那|就|我)?(?:点|选|按|用|买|开|弄|去|看)?(?:哪个|哪些|哪一个|哪种|什么|啥)(?:好|呢|啊|吧|呀|的)?$/u.test(compact(bare));

/** A tax number, an email, an order or phone number, a company name: data for a person to act on; named in a question ("要填税号吗"), none. */
export const carriesData = (text: string): boolean =>
  /@[\w-]+\.|\d{6,}|[0-9a-z]{15,20}/iu.test(text) || (/有限公司|税号|订单号/u.test(text) && !ASKING.test(text));

/** The product or "this" and nothing else named ("这个软件怎么用", "你们这app咋用啊"): no entry's topic. */
const ONLY_THE_PRODUCT = /^(?:你好|您好|请问|问下|那个|这个|这|你们的?|你们这个?|这款|软件|app|应用|东西|玩意儿?|怎么|咋|如何|用|使用|啊|呀|呢|的|吗)+$/iu;
/** "你好请问这个软件怎么用", "怎么用": how to use the product at all; the menu is the answer, not an entry that shares a word. */
export const asksHowToUseIt = (bare: string): boolean =>
  (LOST.test(bare) || /(?<![没不])(?:怎么|咋|如何)(?:用|使用)(?:啊|呀|呢|的)?$/u.test(compact(bare))) && ONLY_THE_PRODUCT.test(bare.replace(/\s+/g, ''));

/**
 * The customer says something about themselves and asks nothing yet ("我用的是mac", "我是会员",
 * "我已经开了会员了"): no question for the matcher, which would answer "我用的mac" with the Mac
 * entry. Short, no question word, no trouble, no wish.
 */
const CONTEXT = /^(?:你好|您好|亲)?(?:我|我们|俺)(?:是|用的是?|在用|用|已经|刚|买了|开了|充了|办了)/u;
/** Trouble or a wish in it: a question after all. */
const NOT_CONTEXT = /能|可以|想|要|不|没|失败|错|坏|卡|黑|打不开|闪退|问题|无法|帮|请|(?<!登)录|导|找|退|开票|发票/u;
export function statesContext(bare: string): boolean {
  const s = compact(bare);
  return s.length <= 14 && CONTEXT.test(s) && !ASKING.test(s) && !NOT_CONTEXT.test(s);
}

/**
 * The customer's device or system alone ("苹果手机", "我是windows", "mac版 14.2系统", "m2芯片的macbook
 * air"), or where they did it ("我是在苹果手机上开的"): what they use, no question.
 */
const DEVICE =
  /^(?:我|我的|是|在|用的是?|用)*(?:(?:是|用的是?|的)?(?:苹果|安卓|安桌|华为|小米|红米|redmi|荣耀|oppo|vivo|iqoo|realme|一加|三星|魅族|联想|戴尔|惠普|华硕|thinkpad|surface|iphone|ipad|mac|macbook|macos|ios|ipados|鸿蒙|harmonyos|澎湃|澎湃os|hyperos|miui|coloros|originos|windows|win|m[123]|电脑|手机|平板|笔记本|台式机?|芯片|系统|版本|版|配置|显卡|内存|处理器|cpu|gpu|i[3579]|r[3579]|rtx|gtx|intel|amd|英特尔|独显|集显|\d+g[b]?|\d{3,5})(?:[a-z]{0,6}\d{1,4})?(?:pro|max|plus|ultra|mini|se|air)*[\d.]*)+(?:上|里)?(?:录|用|装|开|开通|买|付|付款|充|下载|登|登录|订阅)?(?:的|啊|呀|呢|的呢)?$/iu;
/**
 * What a spec sheet says, read off a message to leave what else it says: versions ("3.2.1",
 * "23h2", "v5.6"), brands and systems, where it came from ("应用市场下的", "app store 更新过"),
 * editions and generations ("家庭中文版", "第五代").
 */
const SPEC_PARTS = new RegExp(
  [
    /v?\d+(?:\.\d+)+[a-z]?|\d{2}h\d|\d+(?:g|gb|t|tb|寸|英寸|hz)(?![a-z])|[a-z]*\d+[a-z]*/.source,
    /苹果|安卓|华为|小米|红米|荣耀|一加|三星|魅族|联想|戴尔|惠普|华硕|英特尔|鸿蒙|澎湃|独显|集显|显卡|内存|处理器|芯片|硬盘|固态|机械/.source,
    /iphone|ipad|macbook|imac|mac|macos|ios|ipados|harmonyos|hyperos|miui|coloros|originos|oneui|windows|win|ubuntu|linux|android|samsung|huawei|xiaomi|oppo|vivo|iqoo|realme|redmi|honor|surface|thinkpad|intel|amd|rtx|gtx|cpu|gpu|nvidia|pro|max|plus|ultra|mini|air|se|os|ventura|sonoma|sequoia|monterey|bigsur|catalina|version|app|appstore|store|googleplay|google|play|flashrec/.source,
    /闪录|软件|客户端|版本号?|最新版?|正式版|测试版|家庭中文版|家庭版|专业版|企业版|教育版|中文版|国行|海外版|国际版|第[一二三四五六七八九十\d]+代|官网|应用市场|应用商店|商店|下载|更新|升级|安装|装|系统|电脑|手机|平板|笔记本|台式机?|机型|型号|配置|版/.source,
    /我的|我|用的|用|是|的|了|过|下|在|上|里|都|也|已经|刚|和|跟|还|就|学校|公司|办公室|单位|家里|家用|工作用?/.source,
  ].join('|'),
  'giu',
);
/** Words only English has (no pinyin syllable: not "you", "can", "an", "a"): "how", "my", "please". */
const ENGLISH_WORDS = new Set(['the', 'i', 'my', 'your', 'is', 'are', 'do', 'does', 'could', 'how', 'what', 'why', 'where', 'when', 'to', 'of', 'for', 'it', 'with', 'please', 'hi', 'hello', 'not', 'no', 'yes', 'help', 'speak', 'english', 'thanks', 'thank', 'there', 'this', 'that', 'have', 'has', 'want', 'need', 'get', 'be', 'am']);
/** A message in English: two words or more, no Han characters, one of them English only ("ni hao" and "zen me tui kuan" are pinyin). */
export const writesEnglish = (text: string): boolean => {
  if (/\p{Script=Han}/u.test(text)) return false;
  const words = text.toLowerCase().match(/[a-z']+/gu) ?? [];
  return words.length >= 2 && words.some((w) => ENGLISH_WORDS.has(w));
};

/** A version or a system, brand or part named: "mp4", "ok" or "3分钟" are no spec. */
const SPEC_SIGNAL =
  /\d+\.\d+|\d{2}h\d|鸿蒙|澎湃|苹果|安卓|华为|小米|显卡|内存|处理器|版本|iphone|ipad|mac|ios|android|windows|win\d|coloros|miui|hyperos|harmonyos|oneui|ubuntu|linux|samsung|oppo|vivo|redmi|honor|rtx|gtx|cpu|mate|nova|reno|galaxy|pixel/iu;
/**
 * Their device or software in so many words: "华为mate60", "m2芯片的macbook air", and spec details
 * ("app版本是3.2.1 应用市场下的", "win11 家庭中文版 23H2 闪录 5.6.2", "iOS 17.4.1 闪录是最新的") that
 * ask nothing and report no trouble.
 */
export const namesDevice = (bare: string): boolean => {
  if (DEVICE.test(compact(bare))) return true;
  // Compact, keeping the dots of a version ("3.2.1").
  const c = bare.replace(/(?<=\d)\.(?=\d)/gu, '\uE000').replace(/[\s\p{P}\p{S}]+/gu, '').replace(/\uE000/gu, '.');
  if (c.length > 40 || ASKING.test(bare) || /不|没|(?<!显)卡|黑|闪退|报错|失败|错误|坏|停|崩|问题|怎|办(?!公)/u.test(c)) return false;
  const rest = c.replace(SPEC_PARTS, '');
  // Something of a spec named (a version, a system), and next to nothing else.
  return rest.length <= 1 && SPEC_SIGNAL.test(c);
};
