/**
 * The bot's customer-facing phrases, kept next to the FAQ in `<kbDir>/_messages.yml` so editors
 * change the wording without touching code: the catalogue of keys with the `{placeholders}` each
 * may use, and the file's parsing and validation. It lives in the knowledge component, which owns
 * every editor file, so `kb lint` checks it like the FAQ; the bot renders the phrases and follows
 * edits of the file (bot/messages.ts). Every key is required, except the later ones with a default
 * (MESSAGE_DEFAULTS). Problems are reported as
 * `file:line: message`, like the FAQ loader's.
 *
 * (The FAQ loader ignores `_*` files other than `_synonyms.yml` / `_words.yml`, so a broken
 * phrase file never blocks the FAQ.)
 */
import path from 'node:path';
import { isMap } from 'yaml';
import { z } from 'zod';
import { KefuError } from '../errors.ts';
import { formatProblem } from './errors.ts';
import { readText } from './files.ts';
import { numbersAsWritten, parseYaml, stripBom } from './frontmatter.ts';
import { refuseUnsafe } from './schema.ts';
import type { KbProblem } from './types.ts';

export const DEFAULT_MESSAGES_FILE = '_messages.yml';

/**
 * Every message key and the placeholders its template may use (none of them is required).
 *
 * - `choices`: the numbers the customer may reply, e.g. `1-3` or `1`.
 * - `position`: place in the human queue, 1 = next.
 * - `time`: when an agent is expected to reply, e.g. `今天 15:30`, `明天 10:00`, `11月30日 周一 09:20`.
 * - `opens`: when business hours start again, e.g. `明天 09:00`, `周一 09:00`.
 * - `agent`: the agent's display name.
 * - `kind`: what the customer sent, in words: 图片, 语音, 文件, 表情, 链接, …
 * - `title`, `note`: a known problem's title and the note written when it was fixed.
 * - `question`: an FAQ entry's question, as its file writes it.
 */
export const MESSAGE_PLACEHOLDERS = {
  /** First contact ("你好"), sent before the menu. */
  greeting: [],
  /** "你好" again after the greeting was sent once. */
  greeting_again: [],
  /** "在吗", "有人吗" after the greeting was sent once. */
  presence_again: [],
  /** Above the numbered top-10 menu ("帮助", "菜单", "?"). */
  menu_header: [],
  /** Below the menu. */
  menu_footer: [],
  /** Above the numbered "did you mean" list (medium confidence). */
  suggest_header: [],
  /** Below the "did you mean" list. */
  suggest_footer: [],
  /** Above the numbered related questions after an answer. */
  related_header: [],
  /** After an answer; the policy reads "1" as helpful and "2" as not solved. */
  feedback_question: [],
  /** After "1 有帮助". */
  feedback_thanks: [],
  /** After "2 没解决": offers a person, "1" accepts. */
  not_helpful_offer: [],
  /** Low confidence with HANDOFF_MODE=auto, sent just before the handoff. */
  low_confidence_handoff: [],
  /** Low confidence with HANDOFF_MODE=offer: offers a person, "1" accepts. */
  low_confidence_offer: [],
  /** The customer declined the offered person ("不用了"), or wrote "不用转人工". */
  offer_declined: [],
  /** A number outside the list just offered. */
  pick_number: ['choices'],
  /** "谢谢" / "好的" / "知道了" when nothing is pending. */
  closing: [],
  /** Queued within business hours. */
  queued: ['position', 'time'],
  /** Queued outside business hours. */
  outside_hours: ['position', 'opens', 'time'],
  /** Asked for a person again while already queued. */
  already_queued: [],
  /** An agent took the conversation (sent when ANNOUNCE_AGENT_JOIN is on, the default). */
  agent_joined: ['agent'],
  /** The same, for an agent with no customer-facing name set (an internal name never reaches customers). */
  agent_joined_unnamed: [],
  /** A picture, voice message, file, … while the bot handles the chat: offers a person, "1" accepts. */
  text_only: ['kind'],
  /** The customer sends too fast; the bot pauses. */
  flood: [],
  /** The handoff store (Redis) is unreachable: the request is noted, someone will get back. */
  delay_notice: [],
  /** The agent closed the conversation: asks for a 1-5 rating. */
  resolved: [],
  /** A number other than 1-5 after `resolved`: the scale again (the rating question stays open). */
  rating_range: [],
  /** A 3 after `resolved` (the middle: thanks, and room to say more). */
  rating_thanks: [],
  /** A 4 or 5. */
  rating_thanks_high: [],
  /** A 1 or 2: sorry, what went wrong? (the next message goes to a person as the reason). */
  rating_low_followup: [],
  /** After the customer said what went wrong: noted, a person follows up (the queue notice follows). */
  rating_comment_thanks: [],
  /** Right after a rating of 3-5, a remark the FAQ does not answer: thanks for the feedback. */
  rating_comment_noted: [],
  /** The customer writes in English: said once, after the reply (the FAQ and the phrases are Chinese; a person may help in English). */
  english_note: [],
  /** A 1 or 2 with what went wrong in the same message ("1分 等太久"): sorry, and it is noted for a person. */
  rating_low_noted: [],
  /** Praise in words instead of the score asked for ("太棒了", "挺好的"): thanks, and the scale once more. */
  rating_praise: [],
  /** An angry message about the service the FAQ does not answer: sorry, a person comes (the queue notice follows). */
  complaint_handoff: [],
  /** Status awaiting_fix: the known problem is being fixed (sent at most once per session). */
  awaiting_fix: [],
  /** The known problem the customer is waiting on was fixed (sent once to every linked customer). */
  problem_fixed: ['title', 'note'],
  /** Still waiting after the promised reply time (once per breach): sorry, and a new estimate. */
  sla_apology: ['time'],
  /** The same when the new estimate has passed too by the time it is sent (the bot was away). */
  sla_apology_soon: [],
  /** "都不是" after a "did you mean" list (once): asks to rephrase, the menu follows. */
  rephrase: [],
  /** Before an FAQ answer to an angry message ("我要退款！！！你们这个软件太垃圾了"): sorry first. */
  answer_apology: [],
  /** After "没解决", asked again in other words and the FAQ has only the same answer: a person comes (the queue notice follows). */
  same_answer_handoff: [],
  /** Small talk (`_smalltalk.yml`), each followed by the menu except thanks and bye: "太感谢了". */
  smalltalk_thanks: [],
  /** "拜拜", "再见". */
  smalltalk_bye: [],
  /** "你好吗", "吃了吗". */
  smalltalk_how_are_you: [],
  /** "你是机器人吗", "是真人吗". */
  smalltalk_bot_identity: [],
  /** "今天天气怎么样". */
  smalltalk_weather: [],
  /** "你真棒", "厉害". */
  smalltalk_praise: [],
  /** "哈哈", "在干嘛", "讲个笑话". */
  smalltalk_chitchat: [],
  /** "我想咨询一下", "有个问题", "那个": the customer is about to ask (no menu follows). */
  smalltalk_preamble: [],
  /** Above a "did you mean" list of one entry (suggest_header speaks of several). */
  suggest_header_one: [],
  /** Above a "did you mean" list the bot is far from sure of (best score under 0.5): it says so. */
  suggest_header_unsure: [],
  /** Below that list: a person is the next step when none is it. */
  suggest_footer_unsure: [],
  /** After an FAQ answer given while the customer waits in the human queue. */
  waiting_answered: [],
  /** In the queue, words the FAQ does not answer ("视频是昨天录的"): seen, kept for the agent (at most every few minutes). */
  waiting_noted: [],
  /** In the queue, "解决了" / "不用转人工了" / "算了不等了": does the customer want to leave the queue? "1" says yes. */
  queue_leave_confirm: [],
  /** The customer confirmed: the queue is left, the chat is the bot's again. */
  queue_left: [],
  /** The customer confirmed, but an agent had just taken the chat: it stays with them. */
  queue_leave_late: [],
  /** In the queue, "还要等多久" / "排到第几了" / "人呢": the place now and when to expect a reply. */
  queue_place: ['position', 'time'],
  /** The same, to impatience or anger at the wait ("好慢", "再不回我投诉了"): with an apology. */
  queue_place_sorry: ['position', 'time'],
  /** The apology when the place cannot be read right now (the store is slow): no numbers. */
  queue_wait_sorry: [],
  /** A complaint while waiting ("再不回我去12315了", "我要投诉"): sorry, it is prioritized, the new place and time. */
  queue_escalated: ['position', 'time'],
  /** "我用的是mac", "我是会员": the customer said something about themselves and asked nothing yet. */
  context_noted: [],
  /** "我年纪大了不太会弄", "第一次用": before the menu, when the FAQ answers nothing in it. */
  guidance: [],
  /** "好的" / "知道了" / "行吧" with nothing pending (thanks get `closing`). */
  ack_ok: [],
  /** "算了" with nothing pending: the customer gives up; sorry, and how to reach a person (no handoff). */
  gave_up: [],
  /** Right after an answer, "我试试" / "我看看": the "有帮助吗" stays open for later. */
  ack_trying: [],
  /** The entry just answered is what the next message asks again ("那年度的呢"): the answer is above; "2" offers a person. */
  answer_again: [],
  /** "我年纪大了不太会弄" right after the menu was sent: encouragement, the numbers above, 人工 for a person (not the menu again). */
  guidance_again: [],
  /** Right after an answer that says to give a person some information, the customer sends it (a tax number, an email): "1" for a person. */
  data_offer: [],
  /** "没解决啊" to the rating question after an agent resolved the chat: sorry, back to a person. */
  resolved_not_solved: [],
  /** Right after an answer, their device or setup ("电脑配置i7 3060", "华为手机") that no line of it names: noted; try it, "2" for a person. */
  detail_noted: [],
  /** Right after an answer, its line that itself sends the customer to a person ("需要专票的话，请回复「人工」"): that line, and a person offered at once. */
  excerpt_person_offer: ['line'],
  /** Right after an answer, an error code it does not know ("错误码 E1023"): a person offered, who can look it up. */
  error_code_offer: ['code'],
  /** "不好用", "用不了" and nothing said of what: sorry, what happened? (Once; a second message the FAQ cannot answer goes to a person.) */
  vague_problem: [],
  /** "你是机器人吗" while waiting for a person: the bot says what it is, and that a person is on the way. */
  queue_bot_identity: [],
  /** "客服几点上班", "人工什么时候有人" (and no FAQ entry answers it): the agents' hours, from the business hours configured. */
  service_hours: ['hours'],
  /** Right after an answer, "看不懂" / "怎么弄" / "具体在哪": sorry, say where you are stuck, or "1" for a person. */
  unclear_offer: [],
  /** A message that asks two or three things ("怎么退款？还有发票怎么开"): above each entry's answer. */
  answer_part: ['question'],
  /**
   * Right after an answer, a detail or one point of it ("mac", "永久的呢", "怎么关自动续费"): the one
   * line of that answer that speaks of it, instead of the whole answer again or another entry.
   */
  answer_excerpt: ['line'],
} as const satisfies Record<string, readonly string[]>;

export type MessageKey = keyof typeof MESSAGE_PLACEHOLDERS;
export const MESSAGE_KEYS = Object.keys(MESSAGE_PLACEHOLDERS) as MessageKey[];

/**
 * Phrases added after files were already in use: a file without them still loads, with these
 * words (written for any product). Every other key is required.
 */
export const MESSAGE_DEFAULTS: Readonly<Partial<Record<MessageKey, string>>> = Object.freeze({
  presence_again: '在的~ 直接说说您遇到的问题吧。',
  suggest_header_one: '您想问的是不是这个？',
  suggest_header_unsure: '这个问题我不太确定😅 您看是下面哪个吗？',
  suggest_footer_unsure: '回复数字看答案；都不是的话回复「人工」，我帮您转给客服。',
  waiting_answered: '以上答案您可以先参考～您仍在排队，客服接入后会继续帮您处理。',
  waiting_noted: '收到～ 已经帮您记下了，客服接入后会一起处理，请稍等。',
  queue_leave_confirm: '问题已经解决了吗？不需要人工的话回复 1，我帮您结束排队；还需要的话不用管，客服接入后会马上回复您。',
  queue_left: '好的，已为您结束排队😊 之后有问题随时找我，需要人工回复「人工」就行。',
  queue_leave_late: '客服刚刚已经接入啦，有什么直接跟客服说就行~',
  queue_place: '已经在为您排队啦，您现在排第 {position} 位，最晚{time} 前回复您，请再稍等一下~',
  queue_place_sorry: '非常抱歉让您久等了🙏 您现在排第 {position} 位，最晚{time} 前回复您，客服会尽快接入。',
  queue_wait_sorry: '非常抱歉让您久等了🙏 客服会尽快接入，请再稍等一下。',
  queue_escalated: '非常抱歉给您带来不好的体验🙏 已为您加急处理，您现在排第 {position} 位，最晚{time} 前回复您。',
  answer_part: '关于「{question}」：',
  answer_excerpt: '{line}\n（还没解决的话回复 2，我帮您找人工客服）',
  context_noted: '好的～ 您遇到什么问题了？直接说就行。',
  guidance: '别着急，慢慢来😊 常见问题都在下面，回复数字就能看答案；也可以直接打字告诉我遇到了什么问题。',
  ack_ok: '好的😊 还有问题随时找我~',
  gave_up: '抱歉没能帮上您😔 需要的话随时回复「人工」，我帮您找客服。',
  ack_trying: '好的～ 试了还不行随时告诉我。',
  answer_again: '这个问题的回答就在上面哦～ 还没解决的话回复 2，我帮您找人工客服。',
  data_offer: '收到～ 这些信息需要人工客服来处理，回复 1 我帮您转人工，客服会直接看到您发的内容。',
  resolved_not_solved: '抱歉问题还没解决😣 已经请客服继续跟进，请稍等一下。',
  guidance_again: '别着急，慢慢来😊 回复上面的数字就能看答案；也可以直接打字告诉我遇到了什么问题，或者回复「人工」找客服。',
  detail_noted: '好的，收到～ 先按上面的方法试试，还不行的话回复 2，我帮您找人工客服。',
  excerpt_person_offer: '{line}\n（回复 1，我这就帮您转人工客服）',
  error_code_offer: '这个报错（{code}）需要人工客服帮您查一下😣 回复 1 转人工，客服会直接看到您发的报错信息。',
  vague_problem: '抱歉给您添麻烦了😣 具体是哪里不好用呢？比如打不开、报错，还是哪个功能用不了？说说看我帮您查。',
  queue_bot_identity: '我是智能客服小助手🤖 您已经在排队等真人客服了，接入后会马上回复您~',
  service_hours: '人工客服的上班时间是{hours}。其他时间也可以直接留言，上班后会第一时间回复您~',
  unclear_offer: '抱歉没说清楚😅 您可以告诉我卡在哪一步，或者回复 1 转人工客服。',
  rephrase: '抱歉，这几个都不是您要的😅 麻烦换个说法再问我一次，或者看看下面的常见问题：',
  same_answer_handoff: '这个问题我能找到的还是刚才那个答案，看来帮不上您😣 这就为您转人工客服~',
  answer_apology: '非常抱歉给您添麻烦了🙏 您先试试下面的办法：',
  smalltalk_thanks: '不客气😊 还有问题随时找我~',
  smalltalk_bye: '再见👋 有问题随时来找我~',
  smalltalk_how_are_you: '我挺好的，谢谢关心😊 您遇到什么问题了吗？',
  smalltalk_bot_identity: '我是智能客服小助手🤖 常见问题我都能回答；需要真人客服的话回复「人工」。',
  smalltalk_weather: '天气我可查不到😅 不过产品使用上的问题尽管问我：',
  smalltalk_praise: '谢谢夸奖😊 有问题随时问我~',
  smalltalk_chitchat: '哈哈，我是客服小助手，陪聊不太在行😅 有问题尽管问我：',
  smalltalk_preamble: '您请说～ 直接把问题发给我就好。',
  agent_joined_unnamed: '您好，人工客服已接入，接下来由我为您服务~',
  rating_thanks_high: '谢谢您的好评😊 有问题随时来找我们~',
  rating_range: '请回复 1-5 的数字打分，5 分最满意~',
  rating_low_followup: '很抱歉这次没让您满意😔 能说说哪里不好吗？直接回复就行，我们会请客服跟进处理。',
  rating_comment_thanks: '谢谢您告诉我们，已经请客服跟进，请稍等🙏',
  complaint_handoff: '非常抱歉给您带来不好的体验🙏 我马上请人工客服来处理。',
  rating_comment_noted: '收到您的反馈，谢谢🙏 我们会继续改进~',
  english_note: 'Hi! This bot replies in Chinese. For help in English, reply "human" and an agent will take over.',
  rating_low_noted: '很抱歉这次没让您满意😔 您说的情况我们已经记下，会请客服跟进改进。',
  rating_praise: '谢谢您的肯定😊 方便的话回复 1-5 打个分吧（5 分最满意）~',
  sla_apology: '抱歉让您久等了🙏 客服还在忙，预计{time} 前回复您，请再稍等一下。',
  sla_apology_soon: '抱歉让您久等了🙏 客服马上就来，请再稍等一下。',
});

/** Every phrase, validated: non-empty, trimmed, only known placeholders. */
export type Messages = Readonly<Record<MessageKey, string>>;

/** `_messages.yml` could not be loaded; every problem is listed. */
export class MessagesInvalidError extends KefuError {
  readonly problems: KbProblem[];
  constructor(problems: KbProblem[]) {
    super('MESSAGES_INVALID', `messages file has ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * The notice a customer gets when the known problem they wait on is fixed: `problem_fixed` with
 * the words chosen for customers (`title`) and the fix note as a sentence: trimmed, on one line,
 * closed with "。" when it ends without punctuation ("已在 3.2.1 修复" -> "已在 3.2.1 修复。"), so the
 * phrase after it starts cleanly. The bot sends exactly this; the console previews it.
 */
export function renderFixNotice(messages: Pick<Messages, 'problem_fixed'>, fix: { title: string; note: string }): string {
  const t = fix.note.trim().replace(/\s*\n\s*/g, ' ');
  const note = !t || /[。！？!?.…~～)）」”"'🙏😊]$/u.test(t) ? t : `${t}。`;
  return renderTemplate(messages.problem_fixed, { title: fix.title.trim(), note });
}

/** The "did you mean" message: its header (one entry or several), the numbered questions, the footer. */
export function renderSuggestions(
  messages: Pick<Messages, 'suggest_header' | 'suggest_header_one' | 'suggest_footer' | 'suggest_header_unsure' | 'suggest_footer_unsure'>,
  questions: readonly string[],
  unsure = false,
): string {
  const header = unsure ? messages.suggest_header_unsure : questions.length === 1 ? messages.suggest_header_one : messages.suggest_header;
  return [header, ...questions.map((q, i) => `${i + 1}. ${q}`), unsure ? messages.suggest_footer_unsure : messages.suggest_footer].join('\n');
}

const PLACEHOLDER = /\{([^{}\s]*)\}/g;

/** Placeholder names used in a template, in order of appearance (duplicates kept out). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

/**
 * Fills `{name}` placeholders. A placeholder without a value is left as written (templates are
 * validated at load, so that only happens on a caller bug; a visible `{x}` beats a crash).
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = vars[name];
    return v === undefined ? whole : String(v);
  });
}

const phrase = (key: MessageKey) => {
  const allowed: readonly string[] = MESSAGE_PLACEHOLDERS[key];
  const fallback = MESSAGE_DEFAULTS[key];
  return z.preprocess(
    (v) => (v === undefined && fallback !== undefined ? fallback : v === null ? '' : v),
    z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? 'is missing'
            : 'must be text (put it in quotes when it starts with "{", "[" or contains ": ")',
      })
      .trim()
      .min(1, { error: 'must not be empty' })
      .superRefine(refuseUnsafe)
      .superRefine((s, ctx) => {
        for (const name of placeholdersOf(s)) {
          if (allowed.includes(name)) continue;
          const hint = allowed.length > 0 ? `allowed here: ${allowed.map((a) => `{${a}}`).join(', ')}` : 'this message takes no placeholders';
          ctx.addIssue({ code: 'custom', message: `has unknown placeholder {${name}} (${hint})` });
        }
      }),
  );
};

const messagesSchema = z.strictObject(
  Object.fromEntries(MESSAGE_KEYS.map((k) => [k, phrase(k)])) as Record<MessageKey, ReturnType<typeof phrase>>,
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? undefined
        : 'must be "key: text" lines, e.g. "greeting: 您好！"',
  },
);

/**
 * Parses and validates the text of a messages file; `file` is only used in the problems.
 * Problems are sorted by line.
 */
export function parseMessages(text: string, file: string = DEFAULT_MESSAGES_FILE): { messages?: Messages; problems: KbProblem[] } {
  const problems: KbProblem[] = [];
  const report = (line: number, message: string): void => void problems.push({ file, line, message });
  const { doc, problems: yamlProblems, lineOf } = parseYaml(stripBom(text), 1);
  if (yamlProblems.length > 0) {
    yamlProblems.forEach((p) => report(p.line, p.message));
    return { problems };
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    report(lineOf([], 1), 'must be "key: text" lines, e.g. "greeting: 您好！"');
    return { problems };
  }
  // "1" or "618" as a whole message is still text.
  numbersAsWritten(doc.contents);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch {
    raw = {};
  }
  const parsed = messagesSchema.safeParse(raw);
  if (parsed.success) return { messages: Object.freeze(parsed.data), problems };
  for (const iss of parsed.error.issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) report(lineOf([key], 1), `unknown message "${key}" (known: ${MESSAGE_KEYS.join(', ')})`);
      continue;
    }
    const key = iss.path[0];
    if (key === undefined) report(1, iss.message);
    // A missing key has no line of its own: the whole file (line 1).
    else report(iss.message === 'is missing' ? 1 : lineOf([key], 1), `"${String(key)}" ${iss.message}`);
  }
  problems.sort((a, b) => a.line - b.line);
  return { problems };
}

/**
 * Reads and validates `<root>/<file>` (default `_messages.yml`, UTF-8, zh-CN); null when there is
 * no such file. Problems name the file as given (relative to the root, for `kb lint`).
 */
export function readMessages(root: string, file: string = DEFAULT_MESSAGES_FILE): { messages?: Messages; problems: KbProblem[] } | null {
  const text = readText(root, file);
  if (text === null) return null;
  if (typeof text !== 'string') return { problems: [{ file, ...text }] };
  return parseMessages(text, file);
}

/**
 * Reads and validates `<kbDir>/<file>` (default `_messages.yml`): the bot cannot speak without it.
 * Problems name the file as `path.join(kbDir, file)`.
 * @throws MessagesInvalidError listing every problem (also when the file is missing or unreadable).
 */
export async function loadMessages(kbDir: string, file: string = DEFAULT_MESSAGES_FILE): Promise<Messages> {
  const where = path.join(kbDir, file);
  const read = readMessages(kbDir, file) ?? { problems: [{ file, line: 1, message: 'messages file not found' }] };
  if (read.messages) return read.messages;
  throw new MessagesInvalidError(read.problems.map((p) => ({ ...p, file: where })));
}
