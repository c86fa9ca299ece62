import { beforeAll, describe, expect, it } from 'vitest';
import type { Messages } from '../../src/bot/messages.ts';
import { decide, type PolicyKnowledge } from '../../src/bot/policy.ts';
import { LEAVE_ASK_MS, leavingQueue } from '../../src/bot/policy/waiting.ts';
import { bareText, humanRequest, normalizeText } from '../../src/bot/policy/words.ts';
import { DEFAULT_POLICY_OPTIONS } from '../../src/bot/policy.ts';
import type { Decision, Session } from '../../src/bot/types.ts';
import type { ConversationStatus } from '../../src/handoff/types.ts';
import { fixturePolicy } from '../support/policy.ts';

let kb: PolicyKnowledge;
let messages: Messages;
beforeAll(async () => {
  ({ kb, messages } = await fixturePolicy());
});

const now = Date.parse('2026-12-07T10:00:00Z');
const busy: Session = { greeted: true, waitAckAt: now - 3_600_000 };
const turn = (text: string, session: Session, at = now, status: ConversationStatus = 'waiting'): Decision => decide({ text, status, session, now: at }, kb, messages);
const reads = (text: string): boolean => {
  const normalized = normalizeText(text);
  return leavingQueue(bareText(normalized), humanRequest(normalized, DEFAULT_POLICY_OPTIONS.humanKeywords));
};

describe('leaving the human queue, and other words while waiting', () => {
  it('reads "solved" and "no longer needed" as maybe leaving; thanks, trouble and questions as not', () => {
    for (const text of ['解决了', '问题已经解决了', '我自己弄好了', '好了 谢谢', '搞定了！', '没事了', '不用了', '算了 不等了', '取消排队', '不用转人工了', '不要人工了 谢谢', '你们不用管了', '不麻烦了', '我不需要人工了 已经退了', '哦我找到了 麦克风没开'])
      expect(reads(text), text).toBe(true);
    for (const text of ['谢谢', '好的', '还没好', '还是没解决', '好了吗', '好了没有？', '弄好了 但是又卡住了', '解决了吗', '人呢', '录屏没声音怎么办', '等了好久了', '转人工', '好了 可是还是没声音'])
      expect(reads(text), text).toBe(false);
  });

  it('asks first, then a "1" leaves the queue: the withdraw action, the chat the bot\'s again', () => {
    const asked = turn('我自己弄好了', busy);
    expect(asked.actions).toEqual([{ type: 'say', text: messages.queue_leave_confirm }]);
    expect(asked.session.leaveAskedAt).toBe(now);
    const left = turn('1', asked.session, now + 30_000);
    expect(left.actions).toEqual([{ type: 'withdraw', then: messages.queue_left }]);
    // Nothing of the wait is kept (not the "already queued" clock, not the question); that they
    // left is, so the resolved chat does not read their next words as a rating.
    expect(left.session).toEqual({ greeted: true, leftQueue: true, justLeft: true });
    expect(turn('2', left.session, now + 60_000, 'resolved').actions.some((a) => a.type === 'say' && a.text === messages.rating_low_followup)).toBe(false);
    expect(turn('2', { greeted: true }, now + 60_000, 'resolved').actions.some((a) => a.type === 'say' && a.text === messages.rating_low_followup)).toBe(true);
    // A yes in words, or saying it again, leaves too.
    expect(turn('好的', asked.session, now + 30_000).actions[0]?.type).toBe('withdraw');
    expect(turn('不用了', asked.session, now + 30_000).actions[0]?.type).toBe('withdraw');
  });

  it('after the question, thanks, an "ok" or a goodbye leave too, and a "1" hours later still does (the third stranger test)', () => {
    const asked = turn('好了好了 重启一下就好了', busy);
    for (const text of ['谢谢', 'thx', '谢谢哈', '不好意思打扰了', '拜拜']) expect(turn(text, asked.session, now + 60_000).actions[0]?.type, text).toBe('withdraw');
    expect(turn('1', asked.session, now + 2 * 3_600_000).actions[0]?.type).toBe('withdraw');
    // The "1" meant for the question, just after thanks already left: an ok, not the greeting and the menu.
    const left = turn('搞定了 谢谢', asked.session, now + 60_000);
    expect(left.actions[0]?.type).toBe('withdraw');
    expect(turn('1', left.session, now + 80_000, 'resolved').actions).toEqual([{ type: 'say', text: messages.ack_ok }]);
  });

  it('any acknowledgement right after an answer given in the queue asks whether the person is still needed ("收到了")', () => {
    const answered = turn('收不到验证码怎么办', busy);
    expect(answered.actions[0]).toMatchObject({ type: 'answer' });
    expect(turn('收到了', answered.session, now + 60_000).actions).toEqual([{ type: 'say', text: messages.queue_leave_confirm }]);
  });

  it('said again later in the same wait, after other words, it leaves without a second question (the fifth stranger test)', () => {
    const asked = turn('哦不用了', busy);
    const other = turn('我看错了 以为是别的问题', asked.session, now + 20_000);
    expect(other.actions.some((a) => a.type === 'withdraw')).toBe(false);
    expect(turn('没事了', other.session, now + 40_000).actions).toEqual([{ type: 'withdraw', then: messages.queue_left }]);
  });

  it('"慢慢来不急" is nothing to note for the agent, and "不着急" no impatience', () => {
    expect(turn('谢谢哈 慢慢来不急', busy).actions).toEqual([]);
    expect(turn('好的 没关系 不着急', busy).actions).toEqual([]);
  });

  it('"👌" to the question leaves too (the seventh stranger test)', () => {
    const asked = turn('我重启了一下电脑 好了', busy);
    expect(asked.actions).toEqual([{ type: 'say', text: messages.queue_leave_confirm }]);
    expect(turn('👌', asked.session, now + 20_000).actions[0]?.type).toBe('withdraw');
  });

  it('a short detail for the agent ("mp4的", "苹果手机") is not answered from the FAQ while waiting; a short question is', () => {
    expect(kb.matcher.match('mp4的').decision).toBe('answer');
    expect(turn('mp4的', busy).actions.some((a) => a.type === 'answer')).toBe(false);
    expect(kb.matcher.match('mac').decision).toBe('answer');
    for (const text of ['mac', '苹果手机', 'win10', 'mac版 14.2系统', '重装过了']) expect(turn(text, busy).actions.some((a) => a.type === 'answer'), text).toBe(false);
    // A short topic is still a question: "发票", "退款".
    for (const text of ['发票', '退款']) expect(turn(text, busy).actions[0], text).toMatchObject({ type: 'answer' });
  });

  it('anything else keeps the customer waiting and the question lapses; so does a "1" long after', () => {
    const asked = turn('算了 不等了', busy);
    const other = turn('视频是昨天晚上录的，两个小时', asked.session, now + 10_000);
    expect(other.actions).toEqual([{ type: 'say', text: messages.waiting_noted }]);
    expect(other.session.leaveAskedAt).toBeUndefined();
    expect(turn('1', other.session, now + 20_000).actions).toEqual([]);
    // Silence, then a "1" after the question's time: not an answer to it.
    expect(turn('1', asked.session, now + LEAVE_ASK_MS + 1).actions).toEqual([]);
    // A request for a person is not a yes.
    expect(turn('转人工', asked.session, now + 10_000).actions.some((a) => a.type === 'withdraw')).toBe(false);
  });

  it('right after an answer given in the queue, thanks for it may mean the person is not needed: asked too; plain thanks otherwise are not', () => {
    const answered = turn('录屏没声音怎么办', busy);
    expect(answered.actions.map((a) => a.type)).toEqual(['answer', 'say']);
    const thanks = turn('好的 谢谢', answered.session, now + 60_000);
    expect(thanks.actions).toEqual([{ type: 'say', text: messages.queue_leave_confirm }]);
    expect(turn('1', thanks.session, now + 90_000).actions[0]?.type).toBe('withdraw');
    // Thanks with no answer just before (for the queue notice): nothing to ask.
    expect(turn('好的 谢谢', busy).actions).toEqual([]);
    // The answer's moment passes with the next message.
    const later = turn('视频是昨天晚上录的，两个小时', answered.session, now + 60_000);
    expect(turn('谢谢', later.session, now + 120_000).actions).toEqual([]);
  });

  it('only in the queue: with an agent, or with the bot, "解决了" means what it always did', () => {
    expect(turn('解决了', busy, now, 'active').actions).toEqual([]);
    expect(turn('1', { ...busy, leaveAskedAt: now }, now + 1_000, 'active').actions).toEqual([]);
    expect(turn('解决了', {}, now, 'bot').actions.some((a) => a.type === 'withdraw' || (a.type === 'say' && a.text === messages.queue_leave_confirm))).toBe(false);
  });
});
