/**
 * A message that asks two or three things ("怎么退款？还有发票怎么开"): the matcher reads each
 * question apart (knowledge/engine/questions.ts) and the policy answers each under a line naming it,
 * with one "有帮助吗？" that is about the first question in the customer's own words for it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate, type Messages } from '../../src/bot/messages.ts';
import { decide, DEFAULT_POLICY_OPTIONS, type PolicyKnowledge } from '../../src/bot/policy.ts';
import type { Decision, Session } from '../../src/bot/types.ts';
import type { ConversationStatus } from '../../src/handoff/types.ts';
import { productPolicy } from '../support/policy.ts';

let kb: PolicyKnowledge;
let messages: Messages;

beforeAll(async () => {
  ({ kb, messages } = await productPolicy());
});

const ask = (text: string, session: Session = {}, status: ConversationStatus = 'bot'): Decision => decide({ text, status, session }, kb, messages, DEFAULT_POLICY_OPTIONS);
const answers = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'answer' ? [a.faqId] : []));
const said = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'say' ? [a.text] : []));
const header = (id: string): string => renderTemplate(messages.answer_part, { question: kb.matcher.entry(id)!.question });

describe('two questions in one message', () => {
  it('answers each, in the order asked, under a line naming its question; one feedback check for the first', () => {
    const d = ask('会员怎么退款？另外发票在哪开');
    expect(answers(d)).toEqual(['refund', 'invoice']);
    expect(d.actions).toEqual([
      { type: 'answer', faqId: 'refund', confidence: expect.any(Number), lead: header('refund') },
      { type: 'answer', faqId: 'invoice', confidence: expect.any(Number), lead: header('invoice') },
      { type: 'say', text: messages.feedback_question },
    ]);
    expect(d.session).toMatchObject({ feedbackFor: 'refund', question: '会员怎么退款？' });
    // The editors' evidence is the first question alone: the whole message is no phrasing of one entry.
    expect(d.outcome).toEqual({ type: 'answer', faqId: 'refund', question: '会员怎么退款？' });
    expect(d.actions.some((a) => a.type === 'handoff')).toBe(false);
  });

  it('"1" after them counts as helpful for the first question, in its own words', () => {
    const first = ask('录屏没声音怎么回事，还有录好的视频存在哪了');
    expect(answers(first)).toEqual(['no-sound', 'find-recordings']);
    const verdict = ask('1', first.session);
    expect(verdict.actions[0]).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: true });
    expect(verdict.outcome).toEqual({ type: 'helpful', faqId: 'no-sound', question: '录屏没声音怎么回事' });
  });

  it('one question asked twice over, or context then a question, is one answer', () => {
    for (const text of ['会员能退吗？怎么退？', '不是问怎么退款，是想问发票怎么开']) {
      const d = ask(text);
      expect(answers(d)).toHaveLength(1);
      expect(d.actions.some((a) => a.type === 'answer' && a.lead !== undefined)).toBe(false);
    }
  });

  it('an entry the customer just turned down is not given again: the other question is answered alone', () => {
    const d = ask('会员怎么退款？另外发票在哪开', { rejected: 'refund' });
    expect(answers(d)).toEqual(['invoice']);
    expect(d.actions.some((a) => a.type === 'answer' && a.lead !== undefined)).toBe(false);
  });

  it('while waiting for a person, both are answered and the place in the queue is kept', () => {
    const d = ask('会员怎么退款？另外发票在哪开', {}, 'waiting');
    expect(answers(d)).toEqual(['refund', 'invoice']);
    expect(said(d).at(-1)).toBe(messages.waiting_answered);
    expect(d.outcome).toBeUndefined();
    // Nothing pending but that both were answered in this wait (not sent again) and just now.
    expect(d.session).toEqual({ waitingAnswered: true, answeredInQueue: ['refund', 'invoice'] });
  });
});
