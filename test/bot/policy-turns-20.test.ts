/**
 * What the twentieth and twenty-first stranger tests found, each said with what the bot had done: "刚买十分钟 一次没用过"
 * after the refund answer was read as "没用" (it did not help); "zhaodao le xiexie" got a list; "那年费的呢"
 * after the prices got "I can't answer that"; "转人工问问" was read as a question the FAQ could not
 * answer; the score sent twice got the menu; then (21st) "…没给权限 现在可以了" got a list; "4分吧
 * 回复有点慢" was thanked as praise; "点哪个" was answered with the save-location entry; "转人工帮我开吧"
 * got the invoice line again; "怎么 用" went to a person; "我已经登录了" was answered with the login entry.
 */
import { expect, it } from 'vitest';
import { acknowledgement } from '../../src/bot/policy/acks.ts';
import { statesContext } from '../../src/bot/policy/words.ts';
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

it('a longer message that ends by saying it works now is helpful ("哦哦 原来是windows隐私设置里没给权限 现在可以了")', () => {
  expect(acknowledgement('哦哦 原来是windows隐私设置里没给权限 现在可以了')).toBe('helpful');
  expect(acknowledgement('好了 不过录出来的视频还是有点卡怎么办呢 是不是配置不够')).toBeUndefined();
});

it('"4分吧 回复有点慢" is a 4 with a remark: thanked for the remark, not for praise', () => {
  const d = at('4分吧 回复有点慢', { ratingAsked: true }, 'resolved');
  expect(d.outcome).toEqual({ type: 'rating', score: 4 });
  expect(said(d)).toEqual([p.messages.rating_comment_noted]);
  expect(said(at('5分 小李很耐心', { ratingAsked: true }, 'resolved'))).toEqual([p.messages.rating_thanks_high]);
});

it('"点哪个", "选哪个": which of nothing named is not answered with the entry that asks 哪个 too', () => {
  const queued = at('转人工', { greeted: true }).session;
  const which = at('点哪个', queued, 'waiting', Date.UTC(2026, 0, 5, 2, 1));
  expect(answered(which)).toEqual([]);
  expect(answered(at('选哪个', { greeted: true }))).toEqual([]);
});

it('"转人工帮我开吧" asks for a person', () => {
  const [, ask] = chat(['要开发票', '转人工帮我开吧']);
  expect(ask!.actions.some((a) => a.type === 'handoff' && a.reason === 'customer_asked')).toBe(true);
});

it('"怎么 用" (typed with a space) asks how to use the product: the menu, not a person; "我已经登录了" says what they did', () => {
  const d = at('怎么 用', { greeted: true });
  expect(d.actions.some((a) => a.type === 'handoff')).toBe(false);
  expect(statesContext('我已经登录了')).toBe(true);
  expect(statesContext('我录不了')).toBe(false);
});

it('after leaving the queue, "不用了 已经登上了", "不评了" or a score nobody asked for are not questions for a person (they had queued the customer twice)', () => {
  let session = at('转人工 验证码收不到', { greeted: true }).session;
  for (const text of ['哦收到了 在垃圾短信里', '不用人工了']) session = at(text, session, 'waiting', Date.UTC(2026, 0, 5, 2, 1)).session;
  for (const text of ['不用了 已经登上了', '不评了', '5分']) {
    const d = at(text, session);
    expect(d.actions.some((a) => a.type === 'handoff'), text).toBe(false);
    expect(said(d), text).toEqual([p.messages.ack_ok]);
  }
  // A bad score is still a complaint, for a person.
  expect(at('差评', session).actions).toContainEqual(expect.objectContaining({ type: 'handoff', reason: 'complaint' }));
});
