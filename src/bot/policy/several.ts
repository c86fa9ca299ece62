/**
 * Several questions in one message ("怎么退款？还有发票怎么开"), as the matcher reads them apart
 * (knowledge/engine/questions.ts): each answered under a line naming it (`answer_part`), one
 * "有帮助吗" about the first.
 */
import type { AnsweredQuestion, MatchResult } from '../../knowledge/index.ts';
import { renderTemplate, type Messages } from '../messages.ts';
import type { Action, Decision, Session } from '../types.ts';
import { say, type PolicyKnowledge, type Turn } from './context.ts';

/**
 * Two or three questions in one message, each answered with confidence by its own entry ("怎么退款？
 * 还有发票怎么开"): undefined when fewer than two are left to answer (an entry the customer just
 * turned down is not given again; notAgain handles a single one).
 */
export function answeredParts(t: Turn, match: MatchResult): AnsweredQuestion[] | undefined {
  const parts = (match.questions ?? []).filter((q) => q.id !== t.session.rejected && t.kb.matcher.entry(q.id));
  return parts.length > 1 ? parts : undefined;
}

/** Each entry's answer under a line naming its question, so the customer sees which answer is which. */
export function partAnswers(kb: PolicyKnowledge, messages: Messages, parts: readonly AnsweredQuestion[]): Action[] {
  return parts.map((p) => ({ type: 'answer', faqId: p.id, confidence: p.score, lead: renderTemplate(messages.answer_part, { question: kb.matcher.entry(p.id)!.question }) }));
}

/**
 * The answers to several questions, then one "有帮助吗？" for the first (no related list: the
 * message is long enough). The verdict and the editors' evidence are about the first question in
 * the customer's own words for it, never the whole message (which no one entry answers).
 */
export function answerEach(t: Turn, parts: readonly AnsweredQuestion[]): Decision {
  const { messages, options } = t;
  const first = parts[0]!;
  const actions = partAnswers(t.kb, messages, parts);
  const next: Session = { ...t.base };
  if (options.feedbackCheck) {
    actions.push(say(messages.feedback_question));
    next.feedbackFor = first.id;
    next.question = first.text.slice(0, 500);
  }
  return { actions, session: next, outcome: { type: 'answer', faqId: first.id, question: first.text.slice(0, 500) } };
}
