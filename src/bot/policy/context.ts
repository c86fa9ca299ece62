/**
 * What the steps of the decision share (decide.ts, chitchat.ts): the options, the knowledge the
 * policy reads, the `Turn` every step reads, and the replies more than one step gives (the menu,
 * an answer, a person now or offered, the verdict on an answer).
 */
import type { HandoffReason, TurnOutcome } from '../../handoff/types.ts';
import type { FaqEntry, Matcher, Smalltalk, SmalltalkMatch } from '../../knowledge/index.ts';
import type { Messages } from '../messages.ts';
import type { Action, Decision, Session } from '../types.ts';
import { DEFAULT_HUMAN_KEYWORDS } from './words.ts';

export interface PolicyOptions {
  /** Low confidence: 'auto' hands off at once, 'offer' asks first ("回复 1 转人工"). */
  handoffMode: 'auto' | 'offer';
  /** Phrases that ask for a person; matched on the normalized message (see `humanRequest`). */
  humanKeywords: string[];
  /** How many of an entry's `related` questions to offer after its answer (0 = none). */
  relatedMax: number;
  /** Ask "有帮助吗？回复 1 有帮助 / 2 没解决" after every answer. */
  feedbackCheck: boolean;
  /** After a 1-2 rating, how long the customer's next words go to a person instead of the bot (default 24 h). */
  lowRatingFollowUpMs?: number;
  /** The agents' hours as customers read them ("周一至周五 09:00-18:00", `hoursText`): "客服几点上班" is told them. */
  serviceHours?: string;
}

export const LOW_RATING_FOLLOW_UP_MS = 24 * 3600_000;
/** After a rating of 3-5, how long the next message may be a remark on the service rather than a question. */
export const RATING_COMMENT_MS = 10 * 60_000;

export const DEFAULT_POLICY_OPTIONS: Readonly<PolicyOptions> = Object.freeze({
  handoffMode: 'auto',
  humanKeywords: [...DEFAULT_HUMAN_KEYWORDS],
  relatedMax: 2,
  feedbackCheck: true,
});

/** What the policy needs of the knowledge base: the matcher, the current top-10 menu, the small talk. */
export interface PolicyKnowledge {
  /** `excerpt` is optional: without it a follow-up gets the answer_again phrase. */
  matcher: Pick<Matcher, 'match' | 'entry'> & Partial<Pick<Matcher, 'excerpt'>>;
  /** `menuEntries(kb)`: the numbered menu, in order. */
  menu: readonly FaqEntry[];
  /** The editors' `_smalltalk.yml` as loaded; the built-in phrases when absent. */
  smalltalk?: Smalltalk;
}

/** One text message the bot handles (status bot or resolved): what every step reads. */
export interface Turn {
  status: 'bot' | 'resolved';
  text: string;
  normalized: string;
  bare: string;
  human: 'ask' | 'negated' | null;
  /** How much of the message is small talk (null: none). */
  talk: SmalltalkMatch | null;
  /** The session as it came in. */
  session: Session;
  /** What survives the turn (`carry`): every new session starts from it. */
  base: Session;
  kb: PolicyKnowledge;
  messages: Messages;
  options: PolicyOptions;
  /** The decision's clock (the low-rating follow-up window). */
  now?: number;
}

export const say = (text: string): Action => ({ type: 'say', text });
export const numbered = (entries: readonly FaqEntry[], from: number): string[] => entries.map((e, i) => `${from + i}. ${e.question}`);
export const reply = (t: Turn, text: string, session: Session = t.base): Decision => ({ actions: [say(text)], session });

/**
 * After this long without a word from the customer, what the bot was waiting for is stale: a "2"
 * is not a verdict on an answer given an hour ago, and the same question asked again later gets
 * its answer again, not "还是刚才那个答案".
 */
export const PAUSE_MS = 30 * 60_000;

/** What a pause forgets: the prompts of the conversation before it (the rating windows keep their own clocks). */
const FORGOTTEN_AFTER_PAUSE = ['offered', 'suggested', 'listsInRow', 'unsureList', 'pointedAbove', 'answered', 'offeredFrom', 'feedbackFor', 'rejected', 'question', 'context', 'humanOffered', 'offerReason', 'rephrased'] as const satisfies readonly (keyof Session)[];

/** The session of a customer back after a pause (PAUSE_MS): greeted, rated and the rating windows stay. */
export function afterPause(session: Session): Session {
  const next = { ...session };
  for (const k of FORGOTTEN_AFTER_PAUSE) delete next[k];
  return next;
}

/** Entries answered in a session that are remembered (a "还是不行" later is about one of them). */
const ANSWERED_KEPT = 10;

/** What survives every turn; the prompt state (offered, feedbackFor, humanOffered, …) lasts one turn. */
export function carry(session: Session): Session {
  const next: Session = {};
  if (session.greeted) next.greeted = true;
  if (session.englishNoted) next.englishNoted = true;
  if (session.fixNoticeSent) next.fixNoticeSent = true;
  if (session.rated) next.rated = true;
  if (session.leftQueue) next.leftQueue = true;
  if (session.answered) next.answered = session.answered;
  // An answer the customer said did not help is not given them again (decide.ts notAgain).
  if (session.rejected) next.rejected = session.rejected;
  return next;
}

export function handoff(t: Turn, reason: HandoffReason, before: Action[] = [], question?: string): Decision {
  return { actions: [...before, question ? { type: 'handoff', reason, question } : { type: 'handoff', reason }], session: t.base };
}

/** `question`: what the customer asked, for the agent's queue when they accept ("1" says nothing). */
export function offerPerson(t: Turn, text: string, reason: HandoffReason, question?: string): Decision {
  return reply(t, text, { ...t.base, humanOffered: true, offerReason: reason, ...(question ? { question } : {}) });
}

/**
 * A person offered about answer `faqId`, which stays open (its "2" and "还是不行" still speak of it);
 * `keep`: more of the session that stays (the line just sent).
 */
export function offerPersonOn(t: Turn, faqId: string | undefined, text: string, reason: HandoffReason, question?: string, keep: Session = {}): Decision {
  const d = offerPerson(t, text, reason, question);
  return { ...d, session: { ...d.session, feedbackFor: faqId, ...keep } };
}

/** What was asked before and this message, for the person who reads the queue. */
export const askedWith = (t: Turn, question: string | undefined): string => [question, t.text.trim()].filter(Boolean).join('\n').slice(0, 500);

/**
 * No entry fits: a person, now (auto) or offered (offer). `question`: what was asked when it is not
 * this message (a second "都不是" stands for the question before it).
 */
export function lowConfidence(t: Turn, outcome: TurnOutcome | undefined, question?: string): Decision {
  const { messages } = t;
  const d =
    t.options.handoffMode === 'offer'
      ? offerPerson(t, messages.low_confidence_offer, 'low_confidence', question ?? t.text.slice(0, 500))
      : handoff(t, 'low_confidence', [say(messages.low_confidence_handoff)], question);
  return outcome ? { ...d, outcome } : d;
}

/** The numbered menu (the greeting first on first contact, `before` instead when given; `without`: entries left out). */
export function menu(t: Turn, withGreeting: boolean, before: Action[] = [], without?: ReadonlySet<string>): Decision {
  const { kb, messages } = t;
  const items = kb.menu.filter((e) => kb.matcher.entry(e.id) && !without?.has(e.id));
  const block = [messages.menu_header, ...numbered(items, 1), messages.menu_footer].join('\n');
  const next: Session = { ...t.base, greeted: true };
  if (items.length > 0) next.offered = items.map((e) => e.id);
  return { actions: [...(withGreeting ? [say(messages.greeting)] : []), ...before, say(block)], session: next };
}

/** An entry's answer, then the feedback check (1/2) and its related questions in one message. */
export function answer(t: Turn, id: string, confidence: number, question?: string): Decision {
  const { kb, messages, options } = t;
  const entry = kb.matcher.entry(id);
  if (!entry) return menu(t, false);
  const actions: Action[] = [{ type: 'answer', faqId: id, confidence }];
  const next: Session = { ...t.base, answered: [...(t.base.answered ?? []).filter((a) => a !== id), id].slice(-ANSWERED_KEPT) };
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
}

/**
 * The verdict on the answer just given: "2" offers a person; "1" keeps the related list pickable.
 * `outcome` replaces the helpful / not_helpful one (a rejection in words of its own); `thanks`
 * replaces "thanks for the feedback" (a customer who said 谢谢 is answered 不客气).
 */
export function helpful(t: Turn, yes: boolean, outcomeType?: TurnOutcome['type'], thanks?: string): Decision {
  const { session, messages } = t;
  const faqId = session.feedbackFor!;
  const feedback: Action = { type: 'feedback', faqId, helpful: yes };
  const outcome: TurnOutcome = { type: outcomeType ?? (yes ? 'helpful' : 'not_helpful'), faqId };
  if (session.question) outcome.question = session.question;
  if (!yes) {
    const offer = offerPerson(t, messages.not_helpful_offer, 'not_helpful', session.question);
    return { actions: [feedback, say(messages.not_helpful_offer)], session: { ...offer.session, rejected: faqId }, outcome };
  }
  const next: Session = { ...t.base };
  if (session.offered?.length) {
    next.offered = session.offered;
    next.offeredFrom = session.offeredFrom ?? 1;
  }
  return { actions: [feedback, say(thanks ?? messages.feedback_thanks)], session: next, outcome };
}

/** The numbers the customer may reply now, as "1-4" / "1"; undefined when nothing numbered is pending. */
export function pendingChoices(session: Session): string | undefined {
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
