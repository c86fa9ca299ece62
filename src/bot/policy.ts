/**
 * The bot's dialogue policy: what to do with one customer message, as a pure function of the
 * message, the conversation status, the bot's memory of the customer (Session) and the knowledge
 * base. It never sends, stores or reads the clock; the plugin carries out the returned actions and
 * keeps the returned session.
 *
 * ## Order of the checks (status bot / resolved)
 *
 * 1. Empty text: nothing to do. Only emoji/punctuation: 👍 counts as "helpful" or a thank-you.
 * 2. Explicit request for a person (see `humanRequest`): hand off at once, reason customer_asked.
 *    A negated request ("不用转人工") is answered with `offer_declined`.
 * 3. Help / menu words (帮助, 菜单, ?, help, …): the numbered menu (with the greeting on first contact).
 * 4. A pure greeting (你好, hi, 在吗, …): greeting + menu on first contact, `greeting_again` later.
 * 5. A pending offer of a person (Session.humanOffered): "1" / 好 / 是 / 要 / … accepts (handoff with
 *    Session.offerReason), 不用 / 算了 / … declines.
 * 6. A pending "有帮助吗？" check (Session.feedbackFor): "1" / 有帮助 / 谢谢 / 👍 → helpful;
 *    "2" / 没解决 / 没用 → not helpful, and a person is offered.
 * 7. A number: the entry behind it in the most recent numbered list (Session.offered, shown from
 *    Session.offeredFrom); a number outside every pending choice → `pick_number` hint (the state
 *    is kept so the customer can try again); a number when no list is pending → the menu
 *    (status resolved: a 1-5 reply is a rating → `rating_thanks`).
 * 8. The full question of an offered entry, typed out: that entry.
 * 9. Thanks / ok / bye: `closing`.
 * 10. Otherwise the matcher: answer / "did you mean" list / low confidence (handoff or offer).
 *
 * Numbers are unambiguous by construction: after an answer, one message carries the feedback
 * check as 1 and 2 and the related questions from 3 on (from 1 when the check is off); a "did
 * you mean" list or the menu replaces any pending state. Pending state lives for one turn: a
 * message that does not use it (a new question) drops it, except the related list, which stays
 * valid after the feedback "1".
 *
 * Other statuses: `waiting` → silent (a repeated request for a person gets `already_queued`);
 * `active` → always silent; `awaiting_fix` → `awaiting_fix` once per session, else silent, but an
 * explicit request for a person is handed off (the queue accepts awaiting_fix → waiting).
 */
import { DateTime } from 'luxon';
import type { ConversationStatus, HandoffReason, TurnOutcome } from '../handoff/types.ts';
import type { QueueNotice } from '../handoff/sla.ts';
import { normalize, type FaqEntry, type Matcher } from '../knowledge/index.ts';
import { renderTemplate, type Messages } from './messages.ts';
import type { Action, Decision, PolicyInput, Session } from './types.ts';

export interface PolicyOptions {
  /** Low confidence: 'auto' hands off at once, 'offer' asks first ("回复 1 转人工"). */
  handoffMode: 'auto' | 'offer';
  /** Phrases that ask for a person; matched on the normalized message (see `humanRequest`). */
  humanKeywords: string[];
  /** How many of an entry's `related` questions to offer after its answer (0 = none). */
  relatedMax: number;
  /** Ask "有帮助吗？回复 1 有帮助 / 2 没解决" after every answer. */
  feedbackCheck: boolean;
}

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
]);

export const DEFAULT_POLICY_OPTIONS: Readonly<PolicyOptions> = Object.freeze({
  handoffMode: 'auto',
  humanKeywords: [...DEFAULT_HUMAN_KEYWORDS],
  relatedMax: 2,
  feedbackCheck: true,
});

/** What the policy needs of the knowledge base: the matcher and the current top-10 menu. */
export interface PolicyKnowledge {
  matcher: Pick<Matcher, 'match' | 'entry'>;
  /** `menuEntries(kb)`: the numbered menu, in order. */
  menu: readonly FaqEntry[];
}

/** Non-text message kinds the plugin may pass; any other string is accepted too. */
export type NonTextKind = 'image' | 'voice' | 'video' | 'file' | 'sticker' | 'link' | 'location' | 'contact' | 'miniprogram';

/** Above this many characters a message is a description, not a request: keywords only count as the whole message. */
export const HUMAN_SENTENCE_MAX_CHARS = 30;

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

/** The matcher's own normalization (NFKC, lower case, one space), so both read a message alike. */
export const normalizeText = normalize;

// WeChat sends its built-in emoji as text codes: [微笑], [强], [OK].
const WECHAT_EMOJI = /\[[\p{Script=Han}a-z]{1,4}\]/gu;
const EDGE = /^[\p{P}\p{S}\p{Z}\p{Cf}\p{M}\s]+|[\p{P}\p{S}\p{Z}\p{Cf}\p{M}\s]+$/gu;
const THUMBS = /👍|👌|🙏|\[强\]|\[ok\]|\[抱拳\]/u;

/** The normalized message without WeChat emoji codes, and without punctuation/emoji at its ends. */
function bareText(normalized: string): string {
  return normalized.replace(WECHAT_EMOJI, ' ').replace(EDGE, '').replace(/\s+/g, ' ');
}

const oneOf = (words: string[]): ReadonlySet<string> => new Set(words.map(normalizeText));

const HELP = oneOf(['帮助', '菜单', '帮助菜单', '目录', '常见问题', '问题列表', '功能菜单', 'help', 'menu']);
const GREETING =
  /^(?:(?:你好|您好|你好呀|你好啊|您好呀|hi|hello|hey|嗨|哈喽|哈啰|哈罗|在吗|在么|在嘛|在不在|有人吗|有人在吗|早上好|上午好|中午好|下午好|晚上好|早|亲|客服)[\s\p{P}\p{S}]*)+$/u;
const YES = oneOf([
  '1', '好', '好的', '好啊', '好吧', '好滴', '是', '是的', '要', '要的', '需要', '可以', '可以的', '行', '嗯', '嗯嗯',
  '对', '转', '转吧', '转人工吧', '麻烦了', '麻烦你了', 'ok', 'okay', 'yes', 'y',
]);
const NO = oneOf([
  '不用', '不用了', '不要', '不要了', '不了', '不需要', '先不用', '暂时不用', '算了', '没事', '没事了', 'no', 'n',
]);
const HELPFUL = oneOf([
  '1', '有帮助', '有用', '有效', '解决了', '已解决', '好了', '可以了', '行了', '谢谢', '谢谢你', '多谢', '感谢', '明白了',
  '懂了', '好的', 'ok', 'thanks', 'thank you', 'thx',
]);
const NOT_HELPFUL = oneOf([
  '2', '没解决', '没有解决', '未解决', '没帮助', '没有帮助', '没用', '没有用', '不管用', '没帮上', '不行', '还是不行', '不对',
]);
const CLOSING = oneOf([
  '谢谢', '谢谢你', '谢谢啦', '多谢', '感谢', '好的', '好', '好吧', '嗯', '嗯嗯', '哦', '知道了', '明白了', '懂了', '收到',
  '好了', '没事了', '没问题了', '拜拜', '再见', 'ok', 'bye', 'thanks', 'thank you', 'thx',
]);

const CN_DIGITS = '一二三四五六七八九';

/** "2", "第2个", "2号", "二": the number, else undefined. */
function numberOf(bare: string): number | undefined {
  const m = /^(?:第\s*)?(\d{1,3}|[一二三四五六七八九])\s*(?:个|条|项|号)?$/u.exec(bare);
  if (!m?.[1]) return undefined;
  const d = CN_DIGITS.indexOf(m[1]);
  return d >= 0 ? d + 1 : Number(m[1]);
}

// Said right after a keyword it still reads as the request: 转人工吧 / 人工客服谢谢 / 投诉你们 / 人工在吗.
const TAIL = /^(?:客服|在吗|在么|在嘛|在不在|一下|服务|处理|谢谢|谢了|好吗|好不好|可以吗|行吗|行不行|你们|你|吧|啊|呀|吗|嘛|呢|了|啦|哦|喔|哈|呗|哟|please|pls)/u;
// Just before a keyword it cancels it: 不用转人工 / 别找客服 / 不需要人工.
const NEGATION = /(?:不|别|没|甭|无需|不需要|不用|不要|不想)(?:转|找|要|用|联系|接)?\s*$/u;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isLatin = (ch: string | undefined): boolean => ch !== undefined && /[a-z0-9]/.test(ch);

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

export function humanRequest(text: string, keywords: readonly string[]): 'ask' | 'negated' | null {
  // "转 人 工": spaces between Han characters do not split a word.
  const bare = bareText(normalizeText(text)).replace(/(?<=\p{Script=Han}) (?=\p{Script=Han})/gu, '');
  if (!bare) return null;
  const words = keywordList(keywords);
  // Most messages contain no keyword at all: one native search each settles them.
  if (!words.some((w) => bare.includes(w))) return null;
  if (words.includes(bare)) return 'ask';
  if ([...bare].length > HUMAN_SENTENCE_MAX_CHARS) return null;
  // Another keyword may follow directly: "转人工" then "人工客服" in "转人工客服".
  const startsKeyword = (i: number): boolean => words.some((w) => bare.startsWith(w, i));
  let negated = false;
  for (let i = 0; i < bare.length; i++) {
    const word = words.find((w) => bare.startsWith(w, i));
    if (!word) continue;
    const latin = isLatin(word[0]);
    if (latin && isLatin(bare[i - 1])) continue;
    let end = i + word.length;
    for (let tail = TAIL.exec(bare.slice(end)); tail && !latin; tail = TAIL.exec(bare.slice(end))) end += tail[0].length;
    const next = bare[end];
    const standsAlone = !isWordChar(next) || (latin ? !isLatin(next) : startsKeyword(end));
    if (!standsAlone) continue;
    if (NEGATION.test(bare.slice(0, i))) {
      negated = true;
      continue;
    }
    return 'ask';
  }
  return negated ? 'negated' : null;
}

// ---------------------------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------------------------

const say = (text: string): Action => ({ type: 'say', text });
const numbered = (entries: readonly FaqEntry[], from: number): string[] => entries.map((e, i) => `${from + i}. ${e.question}`);

/** What survives every turn; the prompt state (offered, feedbackFor, humanOffered) lasts one turn. */
function carry(session: Session): Session {
  const next: Session = {};
  if (session.greeted) next.greeted = true;
  if (session.fixNoticeSent) next.fixNoticeSent = true;
  return next;
}

/** The numbers the customer may reply now, as "1-4" / "1"; undefined when nothing numbered is pending. */
function pendingChoices(session: Session): string | undefined {
  const nums: number[] = [];
  if (session.humanOffered) nums.push(1);
  if (session.feedbackFor) nums.push(1, 2);
  const offered = session.offered ?? [];
  if (offered.length > 0) {
    const from = session.offeredFrom ?? 1;
    nums.push(from, from + offered.length - 1);
  }
  if (nums.length === 0) return undefined;
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/**
 * Decides the reply to one text message.
 *
 * @param input the message text, the conversation status and the session so far
 * @param kb the matcher and the current menu (`menuEntries(kb)`)
 * @param messages the validated phrases (`loadMessages`)
 * @returns the actions to carry out in order, and the session to keep for the next message
 */
export function decide(
  input: PolicyInput,
  kb: PolicyKnowledge,
  messages: Messages,
  options: PolicyOptions = DEFAULT_POLICY_OPTIONS,
): Decision {
  const { session, status } = input;
  const normalized = normalizeText(input.text);
  const bare = bareText(normalized);
  const human = normalized ? humanRequest(normalized, options.humanKeywords) : null;
  const none: Decision = { actions: [], session };

  switch (status) {
    case 'active':
      return none;
    case 'waiting':
      return human === 'ask' ? { actions: [say(messages.already_queued)], session } : none;
    case 'awaiting_fix':
      if (human === 'ask') return { actions: [{ type: 'handoff', reason: 'customer_asked' }], session: carry(session) };
      if (session.fixNoticeSent || !normalized) return none;
      return { actions: [say(messages.awaiting_fix)], session: { ...session, fixNoticeSent: true } };
    case 'bot':
    case 'resolved':
      break;
    default:
      return unknownStatus(status, none);
  }
  if (!normalized) return none;

  const base = carry(session);
  const handoff = (reason: HandoffReason, before: Action[] = [], question?: string): Decision => ({
    actions: [...before, question ? { type: 'handoff', reason, question } : { type: 'handoff', reason }],
    session: base,
  });
  const menu = (withGreeting: boolean): Decision => {
    const items = kb.menu.filter((e) => kb.matcher.entry(e.id));
    const block = [messages.menu_header, ...numbered(items, 1), messages.menu_footer].join('\n');
    const next: Session = { ...base, greeted: true };
    if (items.length > 0) next.offered = items.map((e) => e.id);
    return { actions: [...(withGreeting ? [say(messages.greeting)] : []), say(block)], session: next };
  };
  const answer = (id: string, confidence: number, question?: string): Decision => {
    const entry = kb.matcher.entry(id);
    if (!entry) return menu(false);
    const actions: Action[] = [{ type: 'answer', faqId: id, confidence }];
    const next: Session = { ...base };
    const lines: string[] = [];
    if (options.feedbackCheck) {
      lines.push(messages.feedback_question);
      next.feedbackFor = id;
    }
    const related = entry.related
      .map((r) => kb.matcher.entry(r))
      .filter((e): e is FaqEntry => e !== undefined)
      .slice(0, Math.max(0, options.relatedMax));
    if (related.length > 0) {
      const from = options.feedbackCheck ? 3 : 1;
      lines.push(messages.related_header, ...numbered(related, from));
      next.offered = related.map((e) => e.id);
      next.offeredFrom = from;
    }
    if (lines.length > 0) actions.push(say(lines.join('\n')));
    // Kept while a verdict or a pick may follow that an editor would want to read it with.
    if (question && (next.feedbackFor || next.offered)) next.question = question;
    return { actions, session: next, outcome: { type: 'answer', faqId: id } };
  };
  /** `question`: what the customer asked, for the agent's queue when they accept ("1" says nothing). */
  const rated = (score: number): Decision => ({ actions: [say(messages.rating_thanks)], session: base, outcome: { type: 'rating', score } });
  const offerPerson = (text: string, reason: HandoffReason, question?: string): Decision => ({
    actions: [say(text)],
    session: { ...base, humanOffered: true, offerReason: reason, ...(question ? { question } : {}) },
  });
  const helpful = (yes: boolean): Decision => {
    const faqId = session.feedbackFor!;
    const feedback: Action = { type: 'feedback', faqId, helpful: yes };
    const outcome: TurnOutcome = { type: yes ? 'helpful' : 'not_helpful', faqId };
    if (session.question) outcome.question = session.question;
    if (!yes) {
      return { ...offerPerson(messages.not_helpful_offer, 'not_helpful', session.question), actions: [feedback, say(messages.not_helpful_offer)], outcome };
    }
    // The related questions of the same message stay valid.
    const next: Session = { ...base };
    if (session.offered?.length) {
      next.offered = session.offered;
      next.offeredFrom = session.offeredFrom ?? 1;
    }
    return { actions: [feedback, say(messages.feedback_thanks)], session: next, outcome };
  };

  // 1. Only emoji / punctuation ("?" / "？？" asks for help, see 3).
  const questionMarks = /^[?\s]+$/.test(normalized);
  if (!bare && !questionMarks) {
    if (!THUMBS.test(normalized)) return none;
    if (session.feedbackFor) return helpful(true);
    return { actions: [say(messages.closing)], session: base };
  }
  // 2. A person, now.
  if (human === 'ask') return handoff('customer_asked');
  if (human === 'negated') return { actions: [say(messages.offer_declined)], session: base };
  // 3. Help and menu; a message of question marks only ("?", "？？") too.
  if (HELP.has(bare) || questionMarks) return menu(!session.greeted);
  // 4. Greeting.
  if (GREETING.test(bare)) {
    return session.greeted ? { actions: [say(messages.greeting_again)], session: base } : menu(true);
  }
  // 5. A person was offered.
  if (session.humanOffered) {
    if (YES.has(bare)) return handoff(session.offerReason ?? 'not_helpful', [], session.question);
    if (NO.has(bare)) return { actions: [say(messages.offer_declined)], session: base };
  }
  // 6. "有帮助吗？"
  if (session.feedbackFor) {
    if (HELPFUL.has(bare)) return helpful(true);
    if (NOT_HELPFUL.has(bare)) return helpful(false);
  }
  // 7. A number.
  const n = numberOf(bare);
  if (n !== undefined) {
    const offered = session.offered ?? [];
    const from = session.offeredFrom ?? 1;
    const id = offered[n - from];
    if (id !== undefined && n >= from) return answer(id, 1, session.question);
    const choices = pendingChoices(session);
    if (choices) return { actions: [say(renderTemplate(messages.pick_number, { choices }))], session };
    if (status === 'resolved' && n >= 1 && n <= 5) return rated(n);
    return menu(!session.greeted);
  }
  // 8. An offered question, typed out.
  const typed = (session.offered ?? []).find((id) => {
    const e = kb.matcher.entry(id);
    return e !== undefined && bareText(normalizeText(e.question)) === bare;
  });
  if (typed) return answer(typed, 1, session.question);
  // The rating asked for at the resolve, in words.
  if (status === 'resolved' && RATING_WORDS.has(bare)) return rated(RATING_WORDS.get(bare)!);
  // 9. Thanks, ok, bye.
  if (CLOSING.has(bare)) return { actions: [say(messages.closing)], session: base };

  // 10. The knowledge base.
  const match = kb.matcher.match(input.text);
  const question = input.text.slice(0, 500);
  if (match.decision === 'answer' && match.id !== null) return answer(match.id, match.score, question);
  if (match.decision === 'suggest') {
    const items = match.candidates.map((c) => kb.matcher.entry(c.id)).filter((e): e is FaqEntry => e !== undefined);
    if (items.length > 0) {
      const block = [messages.suggest_header, ...numbered(items, 1), messages.suggest_footer].join('\n');
      return { actions: [say(block)], session: { ...base, offered: items.map((e) => e.id), question }, outcome: { type: 'suggest' } };
    }
  }
  const unanswered: TurnOutcome = { type: 'unanswered', question };
  if (options.handoffMode === 'offer') return { ...offerPerson(messages.low_confidence_offer, 'low_confidence', question), outcome: unanswered };
  return { ...handoff('low_confidence', [say(messages.low_confidence_handoff)]), outcome: unanswered };
}

/** The 1-5 rating in words (非常满意 … 非常不满意), as customers answer the rating question. */
const RATING_WORDS = new Map<string, number>([
  ['非常满意', 5],
  ['很满意', 5],
  ['满意', 4],
  ['比较满意', 4],
  ['一般', 3],
  ['还行', 3],
  ['不满意', 2],
  ['不太满意', 2],
  ['非常不满意', 1],
  ['很不满意', 1],
]);

const KIND_LABELS: Record<string, string> = {
  image: '图片',
  picture: '图片',
  photo: '图片',
  voice: '语音',
  audio: '语音',
  video: '视频',
  file: '文件',
  attachment: '文件',
  sticker: '表情',
  emoticon: '表情',
  emoji: '表情',
  link: '链接',
  url: '链接',
  location: '位置',
  contact: '名片',
  card: '名片',
  miniprogram: '小程序',
  mini_program: '小程序',
};

/** The kind of a non-text message in words, for `{kind}`: image → 图片, … (unknown kinds: 这类消息). */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind.toLowerCase()] ?? '这类消息';
}

/**
 * Decides the reply to a picture, voice message, file, sticker, link, ….
 * waiting / active: nothing (the plugin relays a typed placeholder to the transcript);
 * awaiting_fix: the awaiting_fix notice once per session, else nothing;
 * bot / resolved: `text_only` (the bot reads text only) and a person is offered ("1" accepts,
 * reason non_text).
 */
export function decideNonText(kind: NonTextKind | string, status: ConversationStatus, session: Session, messages: Messages): Decision {
  switch (status) {
    case 'waiting':
    case 'active':
      return { actions: [], session };
    case 'awaiting_fix':
      if (session.fixNoticeSent) return { actions: [], session };
      return { actions: [say(messages.awaiting_fix)], session: { ...session, fixNoticeSent: true } };
    case 'bot':
    case 'resolved':
      return {
        actions: [say(renderTemplate(messages.text_only, { kind: kindLabel(kind) }))],
        session: { ...carry(session), humanOffered: true, offerReason: 'non_text' },
      };
    default:
      return unknownStatus(status, { actions: [], session });
  }
}

// ---------------------------------------------------------------------------------------------
// Queue notices
// ---------------------------------------------------------------------------------------------

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/**
 * A moment as the customer reads it, relative to `now` in `timezone`: "今天 15:30", "明天 10:00";
 * further away "11月30日 周一 09:20" (with the year when it differs), or with `weekdayOnly`
 * "周一 09:00" when within the coming 6 days. Seconds are rounded up: "before 15:30" stays true.
 */
export function formatWhen(at: number, now: number, timezone: string, weekdayOnly = false): string {
  const when = DateTime.fromMillis(Math.ceil(at / 60_000) * 60_000, { zone: timezone });
  const today = DateTime.fromMillis(now, { zone: timezone }).startOf('day');
  const days = Math.round(when.startOf('day').diff(today, 'days').days);
  const time = when.toFormat('HH:mm');
  if (days === 0) return `今天 ${time}`;
  if (days === 1) return `明天 ${time}`;
  const weekday = WEEKDAYS[when.weekday - 1] ?? '';
  if (weekdayOnly && days > 1 && days < 7) return `${weekday} ${time}`;
  const year = when.year === today.year ? '' : `${when.year}年`;
  return `${year}${when.month}月${when.day}日 ${weekday} ${time}`;
}

/**
 * Tells a customer who was just queued where they stand (zh-CN).
 * Within business hours (`queued`): position and "预计 今天 15:30 前"; outside (`outside_hours`):
 * position and when the agents start ("客服将在 周一 09:00 上班后回复您"). Times are shown in the
 * business `timezone`; `now` is the moment of queuing (epoch ms), for "今天" / "明天".
 */
export function queueNoticeText(notice: QueueNotice, messages: Messages, timezone: string, now: number): string {
  const vars = { position: notice.position, time: formatWhen(notice.expectedBy, now, timezone) };
  if (notice.withinHours || notice.opensAt === undefined) return renderTemplate(messages.queued, vars);
  return renderTemplate(messages.outside_hours, { ...vars, opens: formatWhen(notice.opensAt, now, timezone, true) });
}

/** When the handoff store (Redis) is unreachable: the request is noted, an agent will get back. */
export function delayNoticeText(messages: Messages): string {
  return messages.delay_notice;
}

/** A status this version does not know (compile-time exhaustive): stay silent rather than crash. */
function unknownStatus(_status: never, silent: Decision): Decision {
  return silent;
}
