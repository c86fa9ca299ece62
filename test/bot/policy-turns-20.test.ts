/**
 * What the twentieth stranger test found, each said with what the bot had done: "刚买十分钟 一次没用过"
 * after the refund answer was read as "没用" (it did not help); "zhaodao le xiexie" got a list; "那年费的呢"
 * after the prices got "I can't answer that"; "转人工问问" was read as a question the FAQ could not
 * answer; the score sent twice got the menu.
 */
import { expect, it } from 'vitest';
import { acknowledgement } from '../../src/bot/policy/acks.ts';
import { productTurns } from '../support/policy.ts';

const p = productTurns();
const { at, chat, said, answered } = p;

it('"一次没用过" says the membership was never used, not that the answer did not help: the refund line', () => {
  const [, unused] = chat(['会圆怎么退啊 买错了', '刚买十分钟 一次没用过']);
  expect(unused!.outcome?.type).not.toBe('rejected');
  expect(said(unused!).join('')).toContain('7 天内可以申请无理由全额退款');
});

it('acknowledgements in pinyin: "zhaodao le xiexie", "hao de"', () => {
  expect(acknowledgement('zhaodao le xiexie')).toBe('helpful');
  expect(acknowledgement('hao de')).toBe('understood');
  const [, found] = chat(['luwan de shipin baocun zai nali', 'zhaodao le xiexie']);
  expect(found!.outcome).toMatchObject({ type: 'helpful' });
});

it('"那年费的呢" after the prices is the yearly line (年费 is 年度会员)', () => {
  const [prices, yearly] = chat(['会员一个月多少钱', '那年费的呢']);
  expect(answered(prices!)).toEqual(['membership-plans']);
  expect(said(yearly!).join('')).toContain('年度会员 ¥168/年');
});

it('"转人工问问" asks for a person', () => {
  const [, ask] = chat(['我会员不想用了 能转给我同学吗 他也想用', '转人工问问']);
  expect(ask!.actions).toContainEqual({ type: 'handoff', reason: 'customer_asked' });
});

it('the score sent again right after it was thanked for is taken, not answered with the menu', () => {
  const first = at('5', { ratingAsked: true }, 'resolved');
  expect(first.outcome).toEqual({ type: 'rating', score: 5 });
  const again = at('5', first.session, 'resolved');
  expect(said(again)).toEqual([p.messages.ack_ok]);
  expect(again.outcome).toBeUndefined();
});
