/**
 * The decision for one customer message (the order of the checks is in ../policy.ts). Each step
 * below either decides the turn or passes (undefined) to the next; they share one `Turn`.
 */
import type { ConversationStatus, HandoffReason, TurnOutcome } from '../../handoff/types.ts';
import type { FaqEntry, Matcher } from '../../knowledge/index.ts';
import { renderTemplate, type Messages } from '../messages.ts';
import type { Action, Decision, PolicyInput, Session } from '../types.ts';
import { kindLabel } from './notices.ts';
import { bareText, CLOSING, DEFAULT_HUMAN_KEYWORDS, GREETING, HELP, HELPFUL, humanRequest, NO, normalizeText, NOT_HELPFUL, numberOf, RATING_WORDS, THUMBS, YES } from './words.ts';

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

/** One text message the bot handles (status bot or resolved): what every step reads. */
interface Turn {
  status: 'bot' | 'resolved';
  text: string;
  normalized: string;
  bare: string;
  human: 'ask' | 'negated' | null;
  /** The session as it came in. */
  session: Session;
  /** What survives the turn (`carry`): every new session starts from it. */
  base: Session;
  kb: PolicyKnowledge;
  messages: Messages;
  options: PolicyOptions;
}

const say = (text: string): Action => ({ type: 'say', text });
const numbered = (entries: readonly FaqEntry[], from: number): string[] => entries.map((e, i) => `${from + i}. ${e.question}`);
const reply = (t: Turn, text: string, session: Session = t.base): Decision => ({ actions: [say(text)], session });

/** What survives every turn; the prompt state (offered, feedbackFor, humanOffered) lasts one turn. */
function carry(session: Session): Session {
  const next: Session = {};
  if (session.greeted) next.greeted = true;
  if (session.fixNoticeSent) next.fixNoticeSent = true;
  return next;
}

/**
 * Decides the reply to one text message.
 *
 * @param input the message text, the conversation status and the session so far
 * @param kb the matcher and the current menu (`menuEntries(kb)`)
 * @param messages the validated phrases (`loadMessages`)
 * @returns the actions to carry out in order, and the session to keep for the next message
 */
export function decide(input: PolicyInput, kb: PolicyKnowledge, messages: Messages, options: PolicyOptions = DEFAULT_POLICY_OPTIONS): Decision {
  const { session, status } = input;
  const normalized = normalizeText(input.text);
  const human = normalized ? humanRequest(normalized, options.humanKeywords) : null;
  if (status !== 'bot' && status !== 'resolved') return withPerson(status, session, messages, normalized !== '', human === 'ask');
  if (!normalized) return { actions: [], session };
  const t: Turn = { status, text: input.text, normalized, bare: bareText(normalized), human, session, base: carry(session), kb, messages, options };
  return chatter(t) ?? pending(t) ?? picked(t) ?? typedOut(t) ?? fromKnowledge(t);
}

/**
 * A customer opened the chat (微信客服's enter_session, an Official Account follow): the greeting
 * and the menu, whose numbers then pick its entries.
 */
export function decideWelcome(session: Session, kb: PolicyKnowledge, messages: Messages, options: PolicyOptions = DEFAULT_POLICY_OPTIONS): Decision {
  const t: Turn = { status: 'bot', text: '', normalized: '', bare: '', human: null, session, base: carry(session), kb, messages, options };
  return menu(t, true);
}

/** Waiting, with an agent or a known problem: mostly silent (see ../policy.ts). */
function withPerson(status: Exclude<ConversationStatus, 'bot' | 'resolved'>, session: Session, messages: Messages, hasText: boolean, asks: boolean): Decision {
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

/** Steps 1-4: emoji only, a person now, help / menu, a greeting. */
function chatter(t: Turn): Decision | undefined {
  const { normalized, bare, session, messages } = t;
  // "?" / "？？" asks for help (below).
  const questionMarks = /^[?\s]+$/.test(normalized);
  if (!bare && !questionMarks) {
    if (!THUMBS.test(normalized)) return { actions: [], session };
    return session.feedbackFor ? helpful(t, true) : reply(t, messages.closing);
  }
  if (t.human === 'ask') return handoff(t, 'customer_asked');
  if (t.human === 'negated') return reply(t, messages.offer_declined);
  if (HELP.has(bare) || questionMarks) return menu(t, !session.greeted);
  if (GREETING.test(bare)) return session.greeted ? reply(t, messages.greeting_again) : menu(t, true);
  return undefined;
}

/** Steps 5-6: the answer to a pending offer of a person, or to "有帮助吗？". */
function pending(t: Turn): Decision | undefined {
  const { bare, session } = t;
  if (session.humanOffered) {
    if (YES.has(bare)) return handoff(t, session.offerReason ?? 'not_helpful', [], session.question);
    if (NO.has(bare)) return reply(t, t.messages.offer_declined);
  }
  if (session.feedbackFor) {
    if (HELPFUL.has(bare)) return helpful(t, true);
    if (NOT_HELPFUL.has(bare)) return helpful(t, false);
  }
  return undefined;
}

/** Step 7: a number picks from the most recent numbered list; else a hint, a rating or the menu. */
function picked(t: Turn): Decision | undefined {
  const n = numberOf(t.bare);
  if (n === undefined) return undefined;
  const { session } = t;
  const from = session.offeredFrom ?? 1;
  const id = (session.offered ?? [])[n - from];
  // After the menu there is no question of the customer's own: the entry's stands for it (editors
  // and the queue see what was asked if the answer does not help).
  if (id !== undefined && n >= from) return answer(t, id, 1, session.question ?? t.kb.matcher.entry(id)?.question);
  const choices = pendingChoices(session);
  // The state is kept so the customer can try again.
  if (choices) return reply(t, renderTemplate(t.messages.pick_number, { choices }), session);
  if (t.status === 'resolved' && n >= 1 && n <= 5) return rated(t, n);
  return menu(t, !session.greeted);
}

/** Step 8 and 9: an offered question typed out, a rating in words, thanks / ok / bye. */
function typedOut(t: Turn): Decision | undefined {
  const { bare, session, kb } = t;
  const typed = (session.offered ?? []).find((id) => {
    const e = kb.matcher.entry(id);
    return e !== undefined && bareText(normalizeText(e.question)) === bare;
  });
  if (typed) return answer(t, typed, 1, session.question ?? t.text.slice(0, 500));
  const rating = RATING_WORDS.get(bare);
  if (t.status === 'resolved' && rating !== undefined) return rated(t, rating);
  if (CLOSING.has(bare)) return reply(t, t.messages.closing);
  return undefined;
}

/** Step 10: the matcher answers, suggests, or the confidence is low (a person, now or offered). */
function fromKnowledge(t: Turn): Decision {
  const { kb, messages, base } = t;
  const match = kb.matcher.match(t.text);
  const question = t.text.slice(0, 500);
  if (match.decision === 'answer' && match.id !== null) return answer(t, match.id, match.score, question);
  if (match.decision === 'suggest') {
    const items = match.candidates.map((c) => kb.matcher.entry(c.id)).filter((e): e is FaqEntry => e !== undefined);
    if (items.length > 0) {
      const block = [messages.suggest_header, ...numbered(items, 1), messages.suggest_footer].join('\n');
      return { ...reply(t, block, { ...base, offered: items.map((e) => e.id), question }), outcome: { type: 'suggest' } };
    }
  }
  const unanswered: TurnOutcome = { type: 'unanswered', question };
  if (t.options.handoffMode === 'offer') return { ...offerPerson(t, messages.low_confidence_offer, 'low_confidence', question), outcome: unanswered };
  return { ...handoff(t, 'low_confidence', [say(messages.low_confidence_handoff)]), outcome: unanswered };
}

// ---------------------------------------------------------------------------------------------
// The replies the steps share
// ---------------------------------------------------------------------------------------------

function handoff(t: Turn, reason: HandoffReason, before: Action[] = [], question?: string): Decision {
  return { actions: [...before, question ? { type: 'handoff', reason, question } : { type: 'handoff', reason }], session: t.base };
}

/** `question`: what the customer asked, for the agent's queue when they accept ("1" says nothing). */
function offerPerson(t: Turn, text: string, reason: HandoffReason, question?: string): Decision {
  return reply(t, text, { ...t.base, humanOffered: true, offerReason: reason, ...(question ? { question } : {}) });
}

function rated(t: Turn, score: number): Decision {
  return { ...reply(t, t.messages.rating_thanks), outcome: { type: 'rating', score } };
}

/** The numbered menu (the greeting first on first contact). */
function menu(t: Turn, withGreeting: boolean): Decision {
  const { kb, messages } = t;
  const items = kb.menu.filter((e) => kb.matcher.entry(e.id));
  const block = [messages.menu_header, ...numbered(items, 1), messages.menu_footer].join('\n');
  const next: Session = { ...t.base, greeted: true };
  if (items.length > 0) next.offered = items.map((e) => e.id);
  return { actions: [...(withGreeting ? [say(messages.greeting)] : []), say(block)], session: next };
}

/** An entry's answer, then the feedback check (1/2) and its related questions in one message. */
function answer(t: Turn, id: string, confidence: number, question?: string): Decision {
  const { kb, messages, options } = t;
  const entry = kb.matcher.entry(id);
  if (!entry) return menu(t, false);
  const actions: Action[] = [{ type: 'answer', faqId: id, confidence }];
  const next: Session = { ...t.base };
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

/** The verdict on the answer just given: "2" offers a person; "1" keeps the related list pickable. */
function helpful(t: Turn, yes: boolean): Decision {
  const { session, messages } = t;
  const faqId = session.feedbackFor!;
  const feedback: Action = { type: 'feedback', faqId, helpful: yes };
  const outcome: TurnOutcome = { type: yes ? 'helpful' : 'not_helpful', faqId };
  if (session.question) outcome.question = session.question;
  if (!yes) {
    const offer = offerPerson(t, messages.not_helpful_offer, 'not_helpful', session.question);
    return { ...offer, actions: [feedback, say(messages.not_helpful_offer)], outcome };
  }
  const next: Session = { ...t.base };
  if (session.offered?.length) {
    next.offered = session.offered;
    next.offeredFrom = session.offeredFrom ?? 1;
  }
  return { actions: [feedback, say(messages.feedback_thanks)], session: next, outcome };
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

/** A status this version does not know (compile-time exhaustive): stay silent rather than crash. */
function unknownStatus(_status: never, silent: Decision): Decision {
  return silent;
}
