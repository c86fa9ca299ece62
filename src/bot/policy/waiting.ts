/**
 * The chat is with a person (waiting in the queue, an agent's, parked on a known problem). While
 * the customer waits the bot answers only what the FAQ is sure of (once per wait), tells where
 * they stand when they ask or nudge (with an apology to impatience, and a complaint escalated
 * first), notes other words for the agent now and then, and lets a customer who no longer needs
 * the person leave the queue; with an agent it keeps quiet. Found by three stranger tests.
 */
import type { ConversationStatus } from '../../handoff/types.ts';
import { renderTemplate, type Messages } from '../messages.ts';
import type { Decision, Session } from '../types.ts';
import { carry, say, type PolicyKnowledge } from './context.ts';
import { partAnswers } from './several.ts';
import { shownAlone } from './follow-up.ts';
import { acknowledgement, saysStillBroken, saysTried, signsOff, WORKS_NOW } from './acks.ts';
import { DEFAULT_SMALLTALK, detectSmalltalk } from '../../knowledge/index.ts';
import { ASKING, POINTS_AT, asksAfterWait, asksServiceHours, asksWhereOnly, asksWhichOfNothing, clausesOf, invitesPerson, asksHowLong, bareText, compact, impatient, isComplaint, namesDevice, nudges } from './words.ts';

/**
 * Waiting in the queue (out of hours that may be a night): a question the FAQ answers with
 * confidence is answered, with a word that the place in the queue is kept. Nothing else is said,
 * nothing is counted as the bot's answer (the chat is a person's), and no "有帮助吗" or list is
 * left pending for numbers the agent's chat would then have to read.
 */
export function answerWhileWaiting(text: string, kb: PolicyKnowledge, messages: Messages, session: Session): Decision | undefined {
  let match = kb.matcher.match(text);
  // "算了先问个简单的 视频存哪了": the question is the last clause.
  const clauses = clausesOf(text);
  if (match.decision !== 'answer' && clauses.length > 1) match = kb.matcher.match(clauses.at(-1)!);
  if (match.decision !== 'answer' || match.id === null || !kb.matcher.entry(match.id)) return undefined;
  // An entry already answered in this wait is not sent again ("发票怎么开", then "公司报销要用", "抬头是…"
  // all land on it): those are details for the agent. One line of it that says what is asked
  // ("帧率调多少合适" after the lag answer) is said, once.
  const given = new Set(session.answeredInQueue ?? []);
  const parts = (match.questions ?? []).filter((q) => kb.matcher.entry(q.id) && !given.has(q.id));
  const before = given.has(match.id) || session.answered?.includes(match.id) === true;
  const line = parts.length <= 1 && before ? kb.matcher.excerpt?.(match.id, text) : undefined;
  if (line) return lineOnce(line, messages, session);
  // Nor one answered before the queue ("我要退钱！！" after the refund answer, then 转人工): the customer
  // has read it and is waiting for a person; the words are the agent's.
  if (parts.length === 0 && before) return undefined;
  const answers = parts.length > 1 ? partAnswers(kb, messages, parts) : [{ type: 'answer' as const, faqId: parts[0]?.id ?? match.id, confidence: parts[0]?.score ?? match.score }];
  const ids = answers.flatMap((a) => (a.type === 'answer' ? [a.faqId] : []));
  return { actions: [...answers, say(messages.waiting_answered)], session: { ...session, waitingAnswered: true, answeredInQueue: [...given, ...ids].slice(-20) } };
}

/** One line of an answer, said once in a wait (what was said is remembered: linesInQueue). */
function lineOnce(line: string, messages: Messages, session: Session): Decision | undefined {
  const lines = new Set(session.linesInQueue ?? []);
  if (lines.has(line)) return undefined;
  return { actions: [say(shownAlone(line)), say(messages.waiting_answered)], session: { ...session, waitingAnswered: true, linesInQueue: [...lines, line].slice(-20) } };
}

/**
 * Right after an answer given in the queue, a detail ("win10") or where to do it ("在哪里点"): the
 * line of that answer that says it, once.
 */
function pointOfQueueAnswer(text: string, bare: string, kb: PolicyKnowledge, messages: Messages, session: Session): Decision | undefined {
  const last = session.waitingAnswered ? session.answeredInQueue?.at(-1) : undefined;
  if (!last || !(isDetail(bare) || asksWhereOnly(bare))) return undefined;
  const line = kb.matcher.excerpt?.(last, text);
  return line && !invitesPerson(line) ? lineOnce(line, messages, session) : undefined;
}

/** How often "人呢" / "喂" / "？？？" in the queue is answered (the customer's every nudge would be noise). */
export const WAIT_ACK_MS = 3 * 60_000;
/** How often a question about the wait in so many words ("还要等多久", "人工") is answered: asked again a little later, it is answered again. */
export const WAIT_ASK_MS = 10_000;
/** How often impatience or anger at the wait gets its apology (an apology on every message reads as a script). */
export const WAIT_SORRY_MS = 30_000;
/** Nothing but impatience ("怎么这么慢", "在线等"), not "录屏好慢怎么办": no FAQ question in it. */
const onlyImpatience = (bare: string): boolean =>
  compact(bare).replace(IMPATIENCE_WORDS, '').replace(/怎么|这么|那么|咋|真的?|太|你们|也|啊|呀|了|吧|啦|呢|哦|嘛|吗|好|我/gu, '') === '';
const IMPATIENCE_WORDS = /慢|在线等|急|等不了|等不及|求求|拜托/gu;
/** The place told this many times in a wait comes with an apology for it. */
const SORRY_FROM = 3;

/**
 * In the queue, asked after the wait, nudging, or impatient: the place in the queue and when to
 * expect a reply (the plugin reads them: the `queue_place` action), with an apology when `sorry`.
 * A ping at most once per WAIT_ACK_MS; a question once per WAIT_ASK_MS; an apology once per
 * WAIT_ASK_MS on its own clock (anger just after the place was told still gets one).
 */
export function waitAcknowledged(session: Session, now: number, opts: { sorry: boolean; asks: boolean; complains?: boolean }): Decision {
  const since = (at: number | undefined) => (at === undefined ? Infinity : now - at);
  const clock = opts.complains ? session.complainedAt : opts.sorry ? session.waitSorryAt : opts.asks ? session.placeAt : session.waitAckAt;
  if (since(clock) < (opts.sorry || opts.complains ? WAIT_SORRY_MS : opts.asks ? WAIT_ASK_MS : WAIT_ACK_MS)) return { actions: [], session };
  // Told twice already and still asking ("怎么还没人" after 25 minutes): the wait deserves an apology.
  const placeTold = (session.placeTold ?? 0) + 1;
  const sorry = opts.sorry || placeTold >= SORRY_FROM;
  const told: Session = { ...session, waitAckAt: now, placeAt: now, placeTold, ...(sorry ? { waitSorryAt: now } : {}), ...(opts.complains ? { complainedAt: now } : {}) };
  const tell = opts.complains ? 'escalated' : sorry ? 'sorry' : 'place';
  return { actions: [{ type: 'queue_place', tell }], session: told };
}

/**
 * In the queue, words the FAQ does not answer ("视频是昨天录的", "录好的东西找不到了"): a word that
 * they were seen and go to the agent, at most once per WAIT_ACK_MS (the same clock as "人呢"). A
 * wait can last a night; silence reads as nobody there.
 */
export function notedWhileWaiting(session: Session, messages: Messages, now: number): Decision {
  if (session.waitAckAt !== undefined && now - session.waitAckAt < WAIT_ACK_MS) return { actions: [], session };
  return { actions: [say(messages.waiting_noted)], session: { ...session, waitAckAt: now } };
}

/**
 * How long "reply 1 to leave the queue" stands while nothing else is said: a wait can last a night,
 * and a "1" in the queue means nothing else.
 */
export const LEAVE_ASK_MS = 24 * 3_600_000;

/** Done without a person: "解决了", "问题已经解决了", "我自己弄好了", "没事了", "能放了". */
const SOLVED = /(?:已经|都|我|自己|问题)*(?:解决|搞定|弄好|搞好|处理好|修好|找到|收到|学会|会|好)了|已解决|可以了|没事了|没问题了|(?:能|可以)(?:用|放|播|播放|打开|录|看|登|登录|登上)了/u;
/** No longer wants one: "不用了", "算了 不等了", "取消排队". */
const NO_LONGER = /^(?:那|哦|嗯|好的?|好吧|哎|唉|那就)?(?:你们|那你们)?(?:不用回了|不用回复了|不用了|不需要了|算了|不等了|不想等了|等不了了|不排了|不排队了|取消排队|取消吧|不用等了|不用管了|别管了|不用管我了|不麻烦了|不用麻烦了|我?不要了|我?不买了)/u;
/** Something still wanted: "会员开通成功了 要开发票", "要是能直接导出mp4就好了". */
const WANTS = /要|想|请|帮|能不能|可不可以/u;
/** Before a "solved" word it is not solved: "还没好了", "没解决了". */
const NOT_YET = /[没未不还]$/u;
/** Besides it, trouble ("好了 但是又卡了") or another question: still needs the person. */
const MORE = /不|没|还是|又|但|可是|卡|错|失败/u;
/** A yes to "reply 1 to leave the queue"; so are thanks, an "ok" or a goodbye right after it ("谢谢", "thx", "不好意思打扰了"). */
const YES = /^(?:1|是|是的|对|对的|嗯|嗯嗯|好|好的|确定|确认|结束|结束吧|结束排队|可以|行|ok)[吧的啊了呀]?$/iu;
const PARTING = /^(?:不好意思)?打扰(?:了|啦)$/u;
/** "👌", "👍", "[OK]" alone: a yes too (emoji carry no letters for the words above). */
const OK_SIGN = /^(?:👌|👍|🆗|✅|🙆|\[OK\]|\[好的\]|\[强\])+$/u;
const saysYes = (bare: string): boolean => {
  const s = compact(bare);
  return YES.test(s) || PARTING.test(s) || acknowledgement(bare) !== undefined;
};

/**
 * In the queue, the customer may not need the person any more: a short message that says it is
 * solved or that they no longer want one ("不用转人工了": `human` negated), asking nothing else.
 */
export function leavingQueue(bare: string, human: 'ask' | 'negated' | null): boolean {
  if (human === 'negated') return true;
  if (!compact(bare) || compact(bare).length > 16 || ASKING.test(bare)) return false;
  // "我不需要人工了 已经退了": each clause on its own; one that leaves, and none that asks for more.
  const clauses = bare.split(/[\s\p{P}]+/u).map(compact).filter(Boolean);
  return clauses.some(leavingClause) && !clauses.some((c) => STILL_MORE.test(c) && !leavingClause(c));
}

/** In another clause, more trouble ("弄好了 但是又卡住了"); a cause found is not ("我找到了 麦克风没开"). */
const STILL_MORE = /但|可是|又|还是|还有|另外|不行|没用|不管用|就是|只是|退钱|要退款|给我退|赔|投诉/u;

/** "那我继续用obs了", "那我还是用剪映吧": going to another tool; asked whether the person is still wanted. */
const ELSEWHERE = /^(?:行吧|好吧|那|那我|我)*(?:还是|继续|先|就|改|换)用.{1,8}?(?:了|吧|算了)?$/u;
/** "好吧我去官网重新下一个": doing it themselves. */
const MYSELF = /^(?:好吧|行吧|那|那我)*我(?:自己)?(?:再)?去(?:官网|应用商店|商店|应用市场)?(?:重新)?(?:下|下载|装|安装|重装)/u;
/** "我让我闺女回来给我弄吧", "好吧 那等双十一", "那我明儿再来": someone else will do it, or not now. */
const LATER = /^(?:好的?|好吧|行|嗯|那)?(?:我)?(?:让|叫|等)(?:我)?(?:闺女|女儿|儿子|孩子|孙子|孙女|老公|老婆|家里人|家人|朋友|同事).{0,6}(?:弄|搞|看|帮)|^(?:好吧|行吧|那|那我|那就)*(?:明儿|明天|改天|回头|下次|晚点|晚些)再(?:来|问|说|弄|找)|^(?:好吧|行吧|那|那我|那就)*等(?:到)?(?:双十一|双11|618|明天|后天|下周|下个月|周末|发工资|放假|有空|有时间|以后|过年|过几天|回家)(?:再说|再买|再弄|吧|了)*$/u;

/** The clause says it is solved (not "还没好了"); the match, for what is said around it. */
function solvedIn(s: string): RegExpExecArray | undefined {
  const m = SOLVED.exec(s);
  return m !== null && !NOT_YET.test(s.slice(0, m.index)) ? m : undefined;
}

function leavingClause(s: string): boolean {
  if (NO_LONGER.test(s) || NO_PERSON.test(s) || ELSEWHERE.test(s) || LATER.test(s) || MYSELF.test(s)) return true;
  const m = solvedIn(s);
  return m !== undefined && !MORE.test(s.slice(0, m.index) + s.slice(m.index + m[0].length));
}

/** Two signals in one message: the person is not wanted ("不用了", "不用转人工了") and it is solved ("我自己找到了"). */
function leavesForSure(bare: string, human: 'ask' | 'negated' | null): boolean {
  const clauses = bare.split(/[\s\p{P}]+/u).map(compact).filter(Boolean);
  const unwanted = human === 'negated' || clauses.some((c) => NO_LONGER.test(c) || NO_PERSON.test(c));
  return unwanted && clauses.some((c) => solvedIn(c) !== undefined && !NO_LONGER.test(c)) && !clauses.some((c) => STILL_MORE.test(c));
}

/** "我不需要人工了", "不用客服了": said in a clause of a longer message (humanRequest reads short ones). */
const NO_PERSON = /不(?:需要|用|要)(?:转|找)?(?:人工|客服|真人)了?$/u;

/**
 * As leavingQueue, and right after an answer given in the queue, any acknowledgement of it ("好的
 * 谢谢", "收到了"): the answer may have been enough, and asking costs the customer nothing.
 */
function leaving(session: Session, bare: string, human: 'ask' | 'negated' | null): boolean {
  // "88", "拜拜" while waiting: going, maybe for good; asked whether the person is still wanted.
  const ack = acknowledgement(bare);
  // "换了个usb口插 出来了 ok了", "好的 我先试试 有问题再来问": it works now, or they will see for themselves.
  // Thanks alone is no sign of that (a customer thanks for the wait too).
  // A plan read as "trying" ("我先试试 有问题再来问") leaves too; as "bye" it is counted already.
  return leavingQueue(bare, human) || ack === 'bye' || (ack === 'helpful' && WORKS_NOW.test(bare) && !WANTS.test(bare)) || (ack === 'trying' && signsOff(bare)) || (session.waitingAnswered === true && ack !== undefined);
}

/**
 * Leaving the queue takes two messages, so that a misread "好了" never closes a chat someone
 * needs: the customer says so, the bot asks them to reply 1 (`queue_leave_confirm`), and the 1 (or
 * a yes, or saying it again) leaves. Undefined for any other message: they keep waiting, and the
 * question lapses.
 */
export function leaveQueue(session: Session, bare: string, human: 'ask' | 'negated' | null, messages: Messages, now: number, text = bare): Decision | undefined {
  const asked = session.leaveAskedAt !== undefined && now - session.leaveAskedAt < LEAVE_ASK_MS;
  // Said so again in the same wait, after other words ("哦不用了", "我看错了", "没事了"): no second question.
  if ((asked && (saysYes(bare) || OK_SIGN.test(text.trim()))) || ((asked || session.leaveAsked) && leaving(session, bare, human))) {
    return { actions: [{ type: 'withdraw', then: messages.queue_left }], session: { ...carry(session), leftQueue: true, justLeft: true } };
  }
  if (leaving(session, bare, human)) {
    // "算了不用了 我自己找到了": no longer wanted and solved, both said; asking again reads as not listening.
    if (leavesForSure(bare, human)) return { actions: [{ type: 'withdraw', then: messages.queue_left }], session: { ...carry(session), leftQueue: true, justLeft: true } };
    return { actions: [say(messages.queue_leave_confirm)], session: { ...waitingOn(session), leaveAskedAt: now, leaveAsked: true } };
  }
  return undefined;
}

/** The session of a turn in the queue that is not about leaving it: a "reply 1 to leave" or an answer just given lapses. */
export function waitingOn(session: Session): Session {
  if (session.leaveAskedAt === undefined && session.waitingAnswered === undefined) return session;
  const { leaveAskedAt: _l, waitingAnswered: _w, ...rest } = session;
  return rest;
}

/**
 * Waiting in the queue: leaving it ("解决了" … "1"), the place and the time when asked, nudged or
 * impatient (with an apology), an FAQ answer the bot is sure of, a word that details were noted.
 */
export function inQueue(
  text: string,
  normalized: string,
  human: 'ask' | 'negated' | null,
  session: Session,
  kb: PolicyKnowledge,
  messages: Messages,
  now: number,
  serviceHours?: string,
): Decision {
  const bare = bareText(normalized);
  const leave = human === 'ask' ? undefined : leaveQueue(session, bare, human, messages, now, text);
  if (leave) return leave;
  const waiting = waitingOn(session);
  const talk = detectSmalltalk(text, kb.smalltalk ?? DEFAULT_SMALLTALK);
  // "你是机器人吗": a fair question while waiting for a person; what the bot is, and that one is coming.
  // "你是真人吗" names 真人, a keyword, but asks who is answering (as in the bot's own chat).
  if (talk?.whole && talk.intent === 'bot_identity') return { actions: [say(messages.queue_bot_identity)], session: waiting };
  // A complaint ("再不回我去12315了", "我要投诉") also moves the chat up the queue (escalate);
  // impatience ("好慢") gets the apology only.
  const complains = isComplaint(bare) || (human === 'ask' && /投诉/u.test(bare));
  const sorry = complains || impatient(text);
  const escalating = (d: Decision): Decision => (complains ? { ...d, actions: [{ type: 'escalate' }, ...d.actions] } : d);
  // "你们客服几点下班", "人工什么时候有人": the hours configured, which is what the wait depends on.
  if (serviceHours && asksServiceHours(bare)) return escalating({ actions: [say(renderTemplate(messages.service_hours, { hours: serviceHours }))], session: waiting });
  if (human === 'ask' || asksAfterWait(bare) || nudges(normalized)) return escalating(waitAcknowledged(waiting, now, { sorry, complains, asks: human === 'ask' || asksHowLong(bare) }));
  // "怎么这么慢" while waiting is about the wait, whatever entry 慢 finds (the lag one).
  if (sorry && onlyImpatience(bare)) return escalating(waitAcknowledged(waiting, now, { sorry, complains, asks: true }));
  // A detail for the agent ("mp4的", "苹果手机", "win10") is no question for the FAQ, unless it is
  // one of the answer just given there.
  const early = pointOfQueueAnswer(text, bare, kb, messages, session) ?? (isDetail(bare) || asksWhichOfNothing(bare) ? undefined : answerWhileWaiting(text, kb, messages, waiting));
  if (early) return escalating(early);
  if (sorry) return escalating(waitAcknowledged(waiting, now, { sorry, complains, asks: true }));
  if (saysSomething(bare) && !talk?.whole) return notedWhileWaiting(waiting, messages, now);
  return { actions: [], session: waiting };
}

/** A short detail ending in 的 ("mp4的", "mac的", "win10的"). */
const DETAIL = /^.{1,5}的$/u;
/**
 * In the queue, a detail for the agent rather than a question: "X的", a device alone ("I'm using a
 * Mac" too), a step already tried ("重装过了") or that did nothing ("换个格式也一样"), a pointer at a
 * screenshot or a thing ("就那个录制按钮").
 */
const isDetail = (bare: string): boolean => {
  const c = compact(bare);
  return (
    DETAIL.test(c) || namesDevice(bare) || EN_DEVICE.test(bare) || saysTried(bare) || (saysStillBroken(bare) && !ASKING.test(c)) || (c.length <= 10 && POINTS_AT.test(c) && !ASKING.test(c))
  );
};
const EN_DEVICE = /^(?:i'?m using|i use|using|on|it'?s)\s+(?:a |an |the |my )?(?:mac|macbook|imac|windows|win\s?\d+|iphone|ipad|android|pc|laptop|huawei|xiaomi|samsung)\b[\w\s.]{0,12}$/iu;

/**
 * Words with something in them for the agent: not an "ok", thanks or a lone sign ("？", "嗯嗯").
 * A short question ("要钱吗", "多少钱") is one too: left unanswered it reads as nobody listening.
 */
const saysSomething = (bare: string): boolean => {
  const c = compact(bare);
  return (c.length >= 4 || (c.length >= 2 && SHORT_QUESTION.test(c))) && acknowledgement(bare) === undefined && !PATIENT.test(bare);
};
const SHORT_QUESTION = /[吗嘛呢?？]$|多少|怎么|哪|几/u;
/** The customer says they can wait ("谢谢哈 慢慢来不急"): nothing for the agent, nothing to say. */
const PATIENT = /慢慢来|不急|不着急|不用急|你们忙/u;

/** Waiting, with an agent or a known problem: mostly silent (see ../policy.ts). */
export function withPerson(status: Exclude<ConversationStatus, 'bot' | 'resolved'>, session: Session, messages: Messages, hasText: boolean, asks: boolean): Decision {
  const none: Decision = { actions: [], session };
  switch (status) {
    case 'active':
      return none;
    case 'waiting':
      return asks ? { actions: [say(messages.already_queued)], session } : none;
    case 'awaiting_fix':
      if (asks) return { actions: [{ type: 'handoff', reason: 'customer_asked' }], session: carry(session) };
      if (session.fixNoticeSent || !hasText) return none;
      return { actions: [say(messages.awaiting_fix)], session: { ...session, fixNoticeSent: true } };
    default:
      return unknownStatus(status, none);
  }
}

/** A status this version does not know (compile-time exhaustive): stay silent rather than crash. */
export function unknownStatus(_status: never, silent: Decision): Decision {
  return silent;
}
