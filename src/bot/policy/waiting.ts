/**
 * The chat is with a person (waiting in the queue, an agent's, parked on a known problem): the
 * bot mostly keeps quiet, answers only what the FAQ is sure of while the customer waits, and
 * says at most now and then that the place in the queue is kept.
 */
import type { ConversationStatus } from '../../handoff/types.ts';
import type { Messages } from '../messages.ts';
import type { Decision, Session } from '../types.ts';
import { carry, say, type PolicyKnowledge } from './context.ts';
import { partAnswers } from './several.ts';
import { acknowledgement } from './acks.ts';
import { ASKING, compact } from './words.ts';

/**
 * Waiting in the queue (out of hours that may be a night): a question the FAQ answers with
 * confidence is answered, with a word that the place in the queue is kept. Nothing else is said,
 * nothing is counted as the bot's answer (the chat is a person's), and no "有帮助吗" or list is
 * left pending for numbers the agent's chat would then have to read.
 */
export function answerWhileWaiting(text: string, kb: PolicyKnowledge, messages: Messages, session: Session): Decision | undefined {
  const match = kb.matcher.match(text);
  if (match.decision !== 'answer' || match.id === null || !kb.matcher.entry(match.id)) return undefined;
  const parts = (match.questions ?? []).filter((q) => kb.matcher.entry(q.id));
  const answers = parts.length > 1 ? partAnswers(kb, messages, parts) : [{ type: 'answer' as const, faqId: match.id, confidence: match.score }];
  return { actions: [...answers, say(messages.waiting_answered)], session: { ...session, waitingAnswered: true } };
}

/** How often "人呢" / "还要等多久" in the queue is answered (the customer's every nudge would be noise). */
export const WAIT_ACK_MS = 3 * 60_000;

/** In the queue, asked after the wait: "already queued", at most once per WAIT_ACK_MS. */
export function waitAcknowledged(session: Session, messages: Messages, now: number): Decision {
  if (session.waitAckAt !== undefined && now - session.waitAckAt < WAIT_ACK_MS) return { actions: [], session };
  return { actions: [say(messages.already_queued)], session: { ...session, waitAckAt: now } };
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

/** How long "reply 1 to leave the queue" stands: a "1" much later is not an answer to it. */
export const LEAVE_ASK_MS = 10 * 60_000;

/** Done without a person: "解决了", "问题已经解决了", "我自己弄好了", "没事了". */
const SOLVED = /(?:已经|都|我|自己|问题)*(?:解决|搞定|弄好|搞好|处理好|修好|找到|好)了|已解决|可以了|没事了|没问题了/u;
/** No longer wants one: "不用了", "算了 不等了", "取消排队". */
const NO_LONGER = /^(?:那|哦|嗯|好的?|哎|唉|那就)?(?:不用了|不需要了|算了|不等了|不想等了|等不了了|不排了|不排队了|取消排队|取消吧|不用等了)/u;
/** Before a "solved" word it is not solved: "还没好了", "没解决了". */
const NOT_YET = /[没未不还]$/u;
/** Besides it, trouble ("好了 但是又卡了") or another question: still needs the person. */
const MORE = /不|没|还是|又|但|可是|卡|错|失败/u;
/** A yes to "reply 1 to leave the queue". */
const YES = /^(?:1|是|是的|对|对的|嗯|嗯嗯|好|好的|确定|确认|结束|结束吧|结束排队|可以|行|ok)[吧的啊了呀]?$/iu;

/**
 * In the queue, the customer may not need the person any more: a short message that says it is
 * solved or that they no longer want one ("不用转人工了": `human` negated), asking nothing else.
 */
export function leavingQueue(bare: string, human: 'ask' | 'negated' | null): boolean {
  if (human === 'negated') return true;
  const s = compact(bare);
  if (!s || s.length > 16 || ASKING.test(bare)) return false;
  if (NO_LONGER.test(s)) return true;
  const m = SOLVED.exec(s);
  return m !== null && !NOT_YET.test(s.slice(0, m.index)) && !MORE.test(s.slice(0, m.index) + s.slice(m.index + m[0].length));
}

/** As leavingQueue, and right after an answer given in the queue, thanks for it ("好的 谢谢") too. */
function leaving(session: Session, bare: string, human: 'ask' | 'negated' | null): boolean {
  return leavingQueue(bare, human) || (session.waitingAnswered === true && acknowledgement(bare) === 'helpful');
}

/**
 * Leaving the queue takes two messages, so that a misread "好了" never closes a chat someone
 * needs: the customer says so, the bot asks them to reply 1 (`queue_leave_confirm`), and the 1 (or
 * a yes, or saying it again) leaves. Undefined for any other message: they keep waiting, and the
 * question lapses.
 */
export function leaveQueue(session: Session, bare: string, human: 'ask' | 'negated' | null, messages: Messages, now: number): Decision | undefined {
  const asked = session.leaveAskedAt !== undefined && now - session.leaveAskedAt < LEAVE_ASK_MS;
  if (asked && (YES.test(compact(bare)) || leaving(session, bare, human))) return { actions: [{ type: 'withdraw', then: messages.queue_left }], session: carry(session) };
  if (leaving(session, bare, human)) return { actions: [say(messages.queue_leave_confirm)], session: { ...waitingOn(session), leaveAskedAt: now } };
  return undefined;
}

/** The session of a turn in the queue that is not about leaving it: a "reply 1 to leave" or an answer just given lapses. */
export function waitingOn(session: Session): Session {
  if (session.leaveAskedAt === undefined && session.waitingAnswered === undefined) return session;
  const { leaveAskedAt: _l, waitingAnswered: _w, ...rest } = session;
  return rest;
}

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
