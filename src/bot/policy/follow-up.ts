/**
 * Right after an answer, what the customer adds to it: a detail ("mac", "耳机插着的", "我是安卓9")
 * or one point of it ("永久的呢", "怎么关自动续费"). Found by the third stranger test: the bot
 * jumped to another entry that shared the word, showed a list, or said "回答就在上面".
 */
import type { MatchResult } from '../../knowledge/index.ts';
import { renderTemplate } from '../messages.ts';
import type { Decision, Session } from '../types.ts';
import { saysStillBroken } from './acks.ts';
import { askedWith, offerPersonOn, reply, type Turn } from './context.ts';
import { ASKING, asksWhereOnly, clausesOf, compact, invitesPerson, namesDevice } from './words.ts';

/** Longer messages say more than a detail of the answer just given. */
const FOLLOW_UP_MAX_CHARS = 15;
const DETAIL_MAX_CHARS = 6;

/**
 * Right after an answer, a detail ("mac", "耳机插着的", "我是安卓9") or one point of it ("永久的呢",
 * "怎么关自动续费"): the one line of that answer that speaks of it (`answer_excerpt`), the check
 * still open. A question the FAQ answers with another entry ("水印怎么去" after the prices) is that
 * entry's; a detail is read against the answer even where alone it would match another entry
 * ("mac" after no sound is the Mac step of the sound answer, not the Mac black-screen entry).
 */
export function answerPoint(t: Turn, match: MatchResult): Decision | undefined {
  const { session, kb } = t;
  // An error code the answer does not know ("弹窗说 错误码 E1023 音频采集失败"): no line of it
  // helps (the nearest was another system's step); a person, who can look the code up.
  const code = session.feedbackFor ? errorCodeIn(t.text) : undefined;
  const entry = code ? kb.matcher.entry(session.feedbackFor!) : undefined;
  if (code && entry && ![entry.question, ...entry.alternates, entry.answer].some((x) => x.toLowerCase().includes(code.toLowerCase()))) {
    return offerPersonOn(t, session.feedbackFor, renderTemplate(t.messages.error_code_offer, { code }), 'not_helpful', askedWith(t, session.question));
  }
  // Their device in many letters ("m2芯片的macbook air") is a detail all the same.
  if (!session.feedbackFor || !kb.matcher.excerpt || ([...t.bare].length > FOLLOW_UP_MAX_CHARS && !namesDevice(t.bare))) return undefined;
  // "mac上还是不行" is a verdict on the answer, not a point of it.
  if (saysStillBroken(t.bare)) return undefined;
  // Answered with confidence by another entry: a question of its own, unless it is a bare detail
  // of a few characters ("mac", "苹果手机").
  const other = match.decision === 'answer' && match.id !== session.feedbackFor;
  // "我是windows" is as short a detail as "我是安卓", whatever its letters count.
  // "苹果手机呢" asks about a device: a detail all the same.
  const detail = namesDevice(t.bare) || (!ASKING.test(t.bare) && compact(t.bare).length <= DETAIL_MAX_CHARS);
  // "在哪里申请" right after the refund answer is its step, though another entry speaks of 申请 (开票).
  const about = other && !detail ? asksWhereOnly(t.bare) || saidOfIt(t, match) : true;
  if (!about) return undefined;
  const line = excerptOf(t, session.feedbackFor);
  if (line) return excerptReply(t, line, session);
  // About it, but no one line says it ("能找回来吗" after the crash answer): the answer is above.
  // Their computer or phone ("电脑配置i7 3060", "华为手机"), which no line names: noted, the answer stands.
  if (namesDevice(t.bare)) return reply(t, t.messages.detail_noted, session);
  if (other) return reply(t, t.messages.answer_again, session);
  return undefined;
}

/** An error code as customers copy it: "错误码 E1023", "错误代码 2003", "0x80070005", "error -1". */
const ERROR_CODE = /(?:错误码|错误代码|错误号|报错码|代码|error|code|err)\s*[:：]?\s*(-?[a-z]{0,3}-?\d{3,}|0x[0-9a-f]{4,})|(?<![0-9a-z])(0x[0-9a-f]{6,})(?![0-9a-z])/iu;
export const errorCodeIn = (text: string): string | undefined => {
  const m = ERROR_CODE.exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
};

/**
 * The line of entry `id`'s answer that speaks of the message, or of one of its clauses, the last
 * first ("算了 分段录吧 怎么合并": 怎么合并), where the question is.
 */
export function excerptOf(t: Turn, id: string): string | undefined {
  const excerpt = t.kb.matcher.excerpt;
  if (!excerpt) return undefined;
  // What they asked this answer for ("苹果手机录屏没声音") picks among lines that all say it ("麦克风").
  const context = t.session.feedbackFor === id ? t.session.question : undefined;
  // Else a clause, the last first ("算了 分段录吧 怎么合并"; "麦克风在哪里开啊 我找不到").
  const clauses = clausesOf(t.text);
  return excerpt.call(t.kb.matcher, id, clauses.length < 2 ? [t.text] : [t.text, ...clauses.reverse()], context);
}

/** The customer says they are stuck: the line they were given did not help them find it. */
const STUCK = /找不到|找不着|没找到|不会弄|看不懂|没看懂|不明白/u;

/** A line of an answer sent alone: without the answer's "4." or "•", which would read as a number to reply with. */
export const shownAlone = (line: string): string => line.replace(/^(?:\d+[.、)]|[•·\-*])\s*/u, '');

/** One line of an answer, its check open. */
export function excerptReply(t: Turn, line: string, session: Session): Decision {
  if (t.session.excerpted === line) {
    // "麦克风在哪里开啊 我找不到" right after that very line: it did not land; where are they stuck, or a person.
    if (STUCK.test(t.bare)) {
      return offerPersonOn(t, session.feedbackFor, t.messages.unclear_offer, 'not_helpful', t.session.question, { excerpted: line });
    }
    // Their device, which that line already covers ("m2芯片的macbook air" after the Mac step): noted.
    if (namesDevice(t.bare)) return reply(t, t.messages.detail_noted, { ...session, excerpted: line });
    // The same line again ("合并在哪" after the line on 合并): it is right above, not sent twice.
    return reply(t, t.messages.answer_again, { ...session, excerpted: line });
  }
  // "要专票的" → "需要增值税专用发票的话，请回复「人工」…": the line itself sends them to a person; offered at once.
  if (invitesPerson(line)) {
    const offer = renderTemplate(t.messages.excerpt_person_offer, { line: shownAlone(line) });
    return offerPersonOn(t, session.feedbackFor, offer, 'customer_asked', askedWith(t, session.question), { excerpted: line });
  }
  return reply(t, renderTemplate(t.messages.answer_excerpt, { line: shownAlone(line) }), { ...session, excerpted: line });
}

/** Entry `id`'s line for this message, given as that entry's answer (its check open), when the check is on and a line says it. */
export function entryLine(t: Turn, id: string, question: string): Decision | undefined {
  const line = t.options.feedbackCheck ? excerptOf(t, id) : undefined;
  return line ? excerptReply(t, line, { ...t.base, feedbackFor: id, question }) : undefined;
}


/**
 * A question another entry answers alone may still be about the answer just given: read after the
 * question that answer was for ("软件闪退了" + "能找回来吗", "换电脑了会员咋用" + "旧电脑已经坏了开不了机"),
 * it lands on that answer's entry, at least as surely. A new question keeps its own entry: one of the
 * answer's related entries ("多少钱" after the watermark answer), or one read together as a second
 * question ("会员多少钱").
 */
function saidOfIt(t: Turn, alone: MatchResult): boolean {
  const { session, kb } = t;
  if (!session.question || session.question === t.text || alone.id === null) return false;
  // An entry the answer names as what customers ask next ("多少钱" after the watermark answer: the
  // prices) is a next question, however the two read together.
  if (kb.matcher.entry(session.feedbackFor!)?.related.includes(alone.id)) return false;
  // Alone, it must already point at the answer's entry a little, among its candidates: a question
  // of its own ("您好，想咨询下手机收不到验证码" after the webcam answer) does not, and read after a long
  // question it could still land there, swamped by that question's words.
  if (!alone.candidates.some((c) => c.id === session.feedbackFor)) return false;
  const both = kb.matcher.match(`${session.question}，${t.text}`);
  // Read as two questions (each its entry), they are two.
  return both.decision === 'answer' && both.id === session.feedbackFor && !both.questions && both.score >= alone.score;
}

/**
 * "这个问题的回答就在上面哦" twice in a row ("怎么解绑旧的", then "旧电脑已经卖了 没法登录了"): the answer
 * above is not landing; a person offered instead of pointing at it again.
 */
export function notAboveTwice(t: Turn, d: Decision): Decision {
  const again = d.actions.length === 1 && d.actions[0]!.type === 'say' && d.actions[0]!.text === t.messages.answer_again;
  if (!again) {
    if (!d.session.pointedAbove) return d;
    const { pointedAbove: _p, ...session } = d.session;
    return { ...d, session };
  }
  if (!t.session.pointedAbove) return { ...d, session: { ...d.session, pointedAbove: true } };
  return offerPersonOn(t, t.session.feedbackFor, t.messages.not_helpful_offer, 'not_helpful', t.session.question ?? t.text.slice(0, 500));
}
