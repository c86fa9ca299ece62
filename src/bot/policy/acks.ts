/**
 * Short replies that only acknowledge, in the words customers string together ("好的 明白了 谢谢亲",
 * "可以了 谢谢", "嗯嗯 我试试", "搞定了"): read whole, word by word, so that no such reply reaches
 * the matcher (which hands "搞定了" to a person and answers "行吧" with a list). What the
 * customer means is the strongest word in it: thanks or "it worked" count as helpful after an
 * answer; "我试试" promises a verdict later, so a pending "有帮助吗" stays open.
 */
import { ASKING, clausesOf, compact } from './words.ts';

export type Ack = 'helpful' | 'understood' | 'trying' | 'bye';

/** Each word and what it says; `particle` words (亲, 啊) say nothing on their own. */
const WORDS: ReadonlyMap<string, Ack | 'thanks' | 'particle'> = new Map([
  ...(['谢谢', '谢谢你', '谢谢您', '谢谢啦', '谢啦', '谢了', '多谢', '多谢了', '感谢', '非常感谢', '太感谢了', '感谢感谢', '辛苦了', '辛苦啦', 'thanks', 'thank you', 'thx', '3q', 'xiexie', 'xiexieni', 'xiexienin'] as const).map(
    (w) => [w, 'thanks'] as const,
  ),
  ...(['解决了', '已解决', '搞定了', '搞定', '搞好了', '弄好了', '可以了', '可以啦', '好了', '好啦', '行了', '成功了', '找到了', '找到啦', '有用', '有帮助', '有效', '管用', '好使', 'haole', 'keyile', '有了', '好多了', '好点了', '正常了', '能用了', '可以用了', '出来了', 'zhaodaole', 'jiejuele', 'gaodingle', 'nonghaole'] as const).map(
    (w) => [w, 'helpful'] as const,
  ),
  ...(['好的', '好', '好吧', '好滴', '好嘞', '嗯', '嗯嗯', '哦', '哦哦', '噢', '知道了', '知道啦', '明白了', '明白', '懂了', '收到', '了解', '了解了', 'ok', 'okay', '行', '行吧', '没问题', '没问题了', '没事了', '可以', '可以的', '好的呢', 'haode', 'haoba', 'mingbaile', 'zhidaole', 'dongle', 'en', 'enen'] as const).map(
    (w) => [w, 'understood'] as const,
  ),
  ...(['我试试', '试试', '我试一下', '试一下', '我再试试', '再试试', '我去试试', '我看看', '看看', '我看一下', '我去看看', '我研究一下', '我先试试'] as const).map(
    (w) => [w, 'trying'] as const,
  ),
  ...(['拜拜', '再见', '晚安', 'bye', '88', '886'] as const).map((w) => [w, 'bye'] as const),
  ...(['亲', '啊', '呀', '啦', '哈', '哈哈', '了', '的', '呢', '吧', '那', '那我', '先', '我', '哈哈哈', '唉', '哎', '哦哦哦', '已经', '都', 'le', 'a', 'la'] as const).map((w) => [w, 'particle'] as const),
]);
const LONGEST = Math.max(...[...WORDS.keys()].map((w) => w.length));
/** Longer replies say something more than an acknowledgement. */
const MAX_CHARS = 14;
const MAX_LATIN_CHARS = 30;
/** A longer message still says it works when its first or last clause says only that (see worked). */
const MAX_WORKED_CHARS = 40;

/** Reports trouble (or asks something, ASKING), or a payment gone through ("付款成功了的"): never a mere acknowledgement. */
const TROUBLE = /不|没(?!事|问题)|还是|失败|错|坏|卡|黑屏|打不开|闪退|问题|无法|别|垃圾|破|烂|坑|骗|试过|都试|帮|(?:付款|支付|充值|购买|下单|扣款|扣费)成功|@|\d{5,}/u;
const CHANGED_MIND = /^(?:那|哦|嗯|好吧)?(?:算了吧?|那就|我)?(?:先|还是|暂时)?不(?:退|退了|要|买|弄|开|办|换|改|取消)了(?:吧|哈|啊)?$/u;
/** The same meanings by the words' stems, for the many ways of saying them ("感恩", "我去弄一下", "okk"). */
const THANKS_STEM = /谢|感恩|感激|辛苦|thank|thx|(?<![a-z0-9])3q(?![a-z0-9])/u;
const STEMS: readonly [Ack, RegExp][] = [
  ['helpful', new RegExp(`${THANKS_STEM.source}|解决|搞定|可以了|好了|好多了|正常了|成功|找到[了啦]|弄好|有用|管用|好使|ok了`, 'u')],
  ['bye', /拜拜|再见|晚安|bye|^88|^886/u],
  ['trying', /试|弄一下|弄下|操作|研究|瞅|看看|看下|看一下|找找|去弄|稍等|等我|等下|回头/u],
  ['understood', /^(?:ok|okay|好|行|嗯|哦|噢|收到|了解|明白|懂|知道|get)/u],
];

/**
 * What a short reply that only acknowledges means (its bare, normalized text), or undefined when
 * it asks something, reports trouble or is long. Thanks or success outweigh the rest (helpful), a
 * goodbye an "ok", a promise to try any plain "ok". Read by the words above first, then by stems.
 */
export function acknowledgement(bare: string): Ack | undefined {
  const s = compact(bare);
  if (!s) return undefined;
  // "好吧 我去官网下个apk试试" will try it: a verdict may still come.
  if (signsOff(bare)) return /试|看看|问问|找找|查查/u.test(bare) ? 'trying' : 'bye';
  // Pinyin and English spell a word in several letters ("zhaodaole xiexie"): more room.
  if (s.length > (/^[a-z0-9]+$/u.test(s) ? MAX_LATIN_CHARS : MAX_CHARS)) {
    // "哦哦 原来是windows隐私设置里没给权限 现在可以了": why it failed, then that it works now.
    return s.length <= MAX_WORKED_CHARS ? worked(bare) : undefined;
  }
  // "算了不退了", "那先不买了": a change of mind, nothing more to do.
  if (CHANGED_MIND.test(s)) return 'understood';
  // English asks in words apart ("ok thanks. how much is the yearly plan"), read before they are run together.
  return covered(s) ?? (ASKING.test(s) || ASKING.test(bare) || TROUBLE.test(s) ? worked(bare) : STEMS.find(([, re]) => re.test(s))?.[0]);
}

/**
 * What the customer will do next, elsewhere or later: "我去官网看看", "我找我们IT问问", "那我再等等",
 * "那我还是去公证处吧", "那我先用obs了", "我考虑一下". Nothing more is wanted of the bot now.
 */
const PLAN =
  /^(?:那|那我|我|那就|就|还是|先|再)*(?:(?:还是)?去.{1,8}?(?:吧|看看|问问|找找|试试|查查)|找.{1,8}?(?:问问|看看|帮忙|弄)|(?:再)?等等(?:看)?|考虑(?:一下|考虑|下)|(?:还是|继续|先|就|改|换)用.{1,8}?(?:了|吧)|自己(?:再)?(?:研究|琢磨|摸索|弄)(?:一下|下|研究)?|(?:先|再)试试(?:看)?|有问题再(?:来)?(?:问|找|联系)(?:你们)?)(?:吧|了|哈|啊)*$/u;
/**
 * "好 那我再等等 今天还没有我就再来问", "明白 那我还是去公证处吧 谢谢", "ok 那我先用obs了 出了linux版记得通知一声":
 * an ok first, then a plan (PLAN), asking nothing and reporting no new trouble: the customer signs off.
 */
export function signsOff(bare: string): boolean {
  const clauses = clausesOf(bare).map(compact).filter(Boolean);
  if (clauses.length < 2 || compact(bare).length > 40 || ASKING.test(bare) || /但|可是|还是不|又/u.test(bare)) return false;
  // Trouble in any other clause ("好的 去设置里打开了 还是没声音", "再等等 已经等了一个小时了") is no sign-off;
  // "今天还没有我就再来问" is a plan for later, not trouble.
  if (clauses.some((c, i) => i > 0 && !PLAN.test(c) && !LATER_AGAIN.test(c) && (TROUBLE.test(c) || /等了/u.test(c)))) return false;
  return covered(clauses[0]!) !== undefined && clauses.slice(1).some((c) => PLAN.test(c));
}
/** "今天还没有我就再来问": what they will do if it does not come. */
const LATER_AGAIN = /(?:就|再)(?:再)?(?:来问|来找|问|找你们|联系)/u;

/** Said that it works, alone in a clause: "好了", "收到了", "找到了", "可以了". */
const WORKS =
  /^(?:哦+|噢+|嗯+|啊|哇|终于|总算|现在)?(?:好了|好啦|可以了|行了|收到了|找到了|解决了|搞定了?|弄好了|成功了|出来了|有了|好多了|正常了|能用了|没问题了|ok了|好使了)(?:啊|呀|哈|哈哈|的|呢)?$|^.{1,12}?(?:就|才|终于|总算|现在|这回|这下)(?:好了|好啦|可以了|行了|正常了|能用了|没问题了|好使了)(?:啊|呀|哈|的|呢)?$/u;
/**
 * "好了 收到了 刚才信号不好", "哦哦 权限没开 好了": it works now, and why it had not. A clause says so
 * alone; none asks, turns ("但是还是没声音", "就是有点卡") or says it still fails.
 */
function worked(bare: string): Ack | undefined {
  const clauses = clausesOf(bare);
  // "改了 好多了 稳在120左右 👍": any clause may say it, the others only telling how.
  if (clauses.length < 2 || !clauses.some((c) => WORKS.test(c))) return undefined;
  return ASKING.test(bare) || /但|可是|不过|还是|又|就是|只是|不行|没用/u.test(bare) ? undefined : 'helpful';
}

/** The reading by whole words: every character of `s` is one of WORDS. */
function covered(s: string): Ack | undefined {
  // Fewest words covering all of s (longest first is not enough: 好了 vs 好 + 了解).
  const best: (number | undefined)[] = new Array<number | undefined>(s.length + 1);
  const via: string[] = new Array<string>(s.length + 1);
  best[0] = 0;
  for (let i = 0; i < s.length; i++) {
    if (best[i] === undefined) continue;
    for (let n = 1; n <= LONGEST && i + n <= s.length; n++) {
      const w = s.slice(i, i + n);
      if (!WORDS.has(w)) continue;
      if (best[i + n] === undefined || best[i]! + 1 < best[i + n]!) {
        best[i + n] = best[i]! + 1;
        via[i + n] = w;
      }
    }
  }
  if (best[s.length] === undefined) return undefined;
  const said = new Set<string>();
  for (let i = s.length; i > 0; i -= via[i]!.length) said.add(WORDS.get(via[i]!)!);
  if (said.has('thanks') || said.has('helpful')) return 'helpful';
  if (said.has('bye')) return 'bye';
  if (said.has('trying')) return 'trying';
  return said.has('understood') ? 'understood' : undefined;
}

/** Words that say it works now, beside thanks: "出来了 ok了", "好多了", "导出成功了", "能打开", "重启之后好了". */
export const WORKS_NOW = /解决|搞定|可以了|好了|好多了|正常了|成功|找到|弄好|有用|管用|好使|ok了|出来了|有了|能(?:打开|用|录|看|放|播)/u;

/** Thanks in the reply: answered 不客气 rather than "thanks for the feedback". */
export const thanksIn = (bare: string): boolean => THANKS_STEM.test(bare);

/**
 * Right after an answer, a short "I don't follow" ("看不懂", "怎么弄", "具体在哪", "然后呢"): the
 * answer may be right but did not land. Not a new question for the matcher (which hands "怎么弄"
 * to a person and answers "在哪里设置" with another entry).
 */
const UNCLEAR =
  /^(?:我|那|可是|但是)?(?:还是)?(?:看不懂|看不明白|没看懂|没看明白|不懂|没懂|不明白|不太明白|不太懂|不会弄|不会|怎么弄|怎么搞|咋弄|咋搞|咋整|怎么办|咋办|什么意思|啥意思|为什么|为啥|怎么回事|咋回事|然后呢|然后|下一步呢|下一步|具体怎么弄|具体怎么做|具体咋操作|具体怎么操作|具体在哪|具体在哪里|在哪|在哪里|在哪儿|在哪设置|在哪里设置|哪里设置|找不到|没找到|能说详细点|说详细点|详细点|详细说说|再详细一点|能具体点|具体点|说具体点)(?:啊|呀|呢|啦|哦|吗|嘛|了|的)*$/u;

export const asksToExplain = (bare: string): boolean => UNCLEAR.test(compact(bare));

/**
 * Right after an answer, it did not work ("试了 还是没声", "按你说的弄了还是不行", "都试过了",
 * "still no audio"): a verdict, even where the words also name the entry just answered. Not the
 * questions that share its words: "专票还是普票" (还是 as "or"), "用微信登录行不行".
 */
const STILL =
  /也(?:一样|不行|没用|不管用|没反应)|还是(?:[^，,。.？?！!\s]{0,4}?[不没]|一样|老样子|那样|这样|黑|卡|闪退|报错|失败|显示|有|会)|依然|仍然|照样|试了|试过|弄了|弄过|按你说的|按照你说的|没用(?!过)|(?<!行)不行|不管用|没反应|没(?:别的)?办法|有没有别的办法|木有|无语|不好使|(?:也|还)没(?:有|收到|来|到|动静)?$|(?:整|弄|搞)了半天|第[二三四五两几]次了|已经.{0,3}(?:天|周|个月|小时)了|still|doesn'?t work|not working/iu;
export const saysStillBroken = (bare: string): boolean => bare.length <= 30 && STILL.test(bare);

/**
 * "重启过了", "都试过了", "重装过了": a step already done, nothing new asked. Right after an answer it
 * is a verdict on it, whatever entry its one word would match alone (重装 is the crash entry's).
 */
const TRIED = /^(?:我|都|也|早就?|已经|全)*(?:试|弄|做|重启|重装|装|设置|打开|开|关|检查|查|看|授权|允许|卸载)过(?:了|啦)(?:啊|呀|的|呢)?$|^(?:我|都|也|早就?|已经)+试(?:过|了)(?:了)?(?:重启|重装|卸载|重新安装|重新登录|重新下载|更新|升级|清缓存)(?:了|过了)?$/u;
/** "已经选原画了", "权限已经开了", "早就勾选了": the step named, done already. */
const DONE = /^.{0,6}?(?:已经|早就?|都)(?:选|勾选|勾|调|改|设置|设|开|打开|关|关掉|装|安装|授权|允许|换|插|重启|重装|更新|升级)(?:了|好了|过了)?.{0,6}?(?:了|啦)(?:啊|呀|的|呢)?$/u;
/** "已经给了权限了", "权限早就开了": the permission or switch the answer names, given already. */
const GAVE = /(?:已经|早就?|都)(?:给|开|打开|勾|勾上|勾选|授权|允许)(?:了|过|好)?(?:权限|授权|开关)?(?:了|啦)(?:啊|呀|的|呢)?$|权限(?:已经|早就?|都)(?:给|开|打开|授权|允许)(?:了|过|好)(?:了)?(?:啊|呀|的|呢)?$/u;
/** "垃圾箱也看了", "设置里都找了": looked there too, as the answer said, and it is not there. */
const LOOKED_TOO = /^.{1,6}?(?:也|都)(?:看|查|找|翻|试|检查)(?:过)?了(?:啊|呀|的|呢)?$/u;
export const saysTried = (bare: string): boolean => {
  const c = compact(bare);
  // "已经开了权限还是录不了" reports trouble and may ask of another entry: not a step done, only.
  if (TRIED.test(c) || (c.length <= 14 && !ASKING.test(c) && !/还是|不|没/u.test(c) && DONE.test(c))) return true;
  // "系统设置-隐私与安全性-麦克风 已经给了权限了啊": where, then the permission given already.
  if (c.length <= 30 && !ASKING.test(c) && !/还是|不|没/u.test(c) && GAVE.test(c)) return true;
  // "邮箱没问题 垃圾箱也看了": the last clause says so, and nothing in the message asks.
  return c.length <= 20 && !ASKING.test(c) && LOOKED_TOO.test(compact(clausesOf(bare).at(-1) ?? ''));
};

/** "2 还是没声音" / "2，没用": the "没解决" number with words after it. */
export const startsWithTwo = (bare: string): boolean => /^2(?![\d.])\s*[\p{P}\s]*\S/u.test(bare);

/** While a person is offered: "好的 转吧" accepts; "不了 谢谢", "算了不用了", "不用 我再看看" decline. */
export const declinesOffer = (bare: string): boolean => /^(?:不|算了|没事|先不|暂时不|暂不)/u.test(bare) && !/^不(?:行|好使|管用|对|灵)/u.test(bare) && !/转|人工|真人|客服/u.test(bare);
export const acceptsOffer = (bare: string): boolean =>
  bare.length <= 10 && !/不|没/u.test(bare) && (/转/u.test(bare) || /^(?:1|好|行|可以|要|是|嗯|ok|麻烦)/u.test(bare));
