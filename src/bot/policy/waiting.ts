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
  return { actions: [...answers, say(messages.waiting_answered)], session };
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
