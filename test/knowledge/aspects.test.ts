import { afterAll, describe, expect, it } from 'vitest';
import { buildContrasts } from '../../src/knowledge/engine/contrast.ts';
import { focusFactors } from '../../src/knowledge/engine/focus.ts';
import { dataLines } from '../../src/knowledge/engine/lexicon.ts';
import { askedObjects, askedOperations, aspectGroups, entryAspects, parseAspects, unmentioned } from '../../src/knowledge/engine/aspects.ts';
import { cut } from '../../src/knowledge/engine/segmenter.ts';
import { loadKnowledgeBase, Matcher } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const ops = buildContrasts(parseAspects(['打印 打出来', '转赠 送给 送人', '购买 买', '办卡 办张卡', '签到']));
const things = buildContrasts(parseAspects(['评论 留言', '积分', '会员', '卡密码', '信用卡']));
/** A message as the matcher reads it: its focus and where the segmenter's words start. */
function read(text: string) {
  const starts = new Set<number>();
  let at = 0;
  for (const token of cut(text)) {
    at = text.indexOf(token, at);
    starts.add(at);
    at += token.length;
  }
  return { text, focus: focusFactors(text), starts };
}
const asked = (text: string, tokens: string[] = []) => [...askedOperations(ops, read(text), tokens).keys()];
const askedAbout = (text: string) => [...askedObjects(things, read(text)).keys()];

describe('operations a question asks for', () => {
  it('finds an operation in the asking part of a message', () => {
    expect(asked('征信报告在哪里打印')).toEqual([0]);
    expect(asked('优惠券能送给朋友用吗')).toEqual([1]);
  });

  it('does not take the customer story for the request', () => {
    // Done already, a time, a description of a thing.
    expect(asked('发票打印了还能改吗')).toEqual([]);
    expect(asked('额度还是办卡时的8000')).toEqual([]);
    expect(asked('签到领的红包在哪用')).toEqual([]);
    // Not wanted.
    expect(asked('不想再另外办张卡')).toEqual([]);
    // The story before the question in a long message.
    expect(asked('上个月打印了一份，单位说不能用，让我重新弄。我现在人在外地，手机上能改抬头吗')).toEqual([]);
  });

  it('reads a one-character verb only after a modal', () => {
    expect(asked('在网上买东西被扣了两次', ['在', '网上', '买', '东西'])).toEqual([]);
    expect(asked('机场能买充电宝吗', ['机场', '能', '买', '充电宝', '吗'])).toEqual([2]);
  });

  it('finds the objects of the clause that asks, not of how the customer got there', () => {
    expect(askedAbout('删除的评论怎么恢复')).toEqual([0]);
    expect(askedAbout('积分可以转给别人吗')).toEqual([1]);
    expect(askedAbout('买了年度会员，怎么开发票')).toEqual([]);
    expect(askedAbout('不是问积分，是问怎么退款')).toEqual([]);
  });

  it('does not read a lexicon word that starts inside another word', () => {
    // 信用卡|密码: "卡密码" (a card PIN) is not what "信用卡密码" starts with.
    expect(askedAbout('信用卡密码忘了怎么办')).toEqual([4]);
  });

  it('an entry speaks of an operation by its words or by a synonym concept of them', () => {
    const words = new Map([['恢复', 1], ['§7', 1]]);
    const conceptsOf = (w: string) => (w === '找回' ? ['§7'] : []);
    // The shipped lexicon has a group with 找回; the entry says 恢复, which shares its concept.
    const findBack = aspectGroups('operation').findIndex((g) => g.includes('找回'));
    expect(findBack).toBeGreaterThanOrEqual(0);
    expect(entryAspects('operation', '删除的项目怎么恢复', words, conceptsOf).has(findBack)).toBe(true);
    expect(entryAspects('operation', '删除的项目怎么恢复', words, () => []).has(findBack)).toBe(false);
  });

  it('names the first asked operation the entry never mentions', () => {
    expect(unmentioned(new Map([[0, new Set([0])]]), new Map())).toBe(0);
    expect(unmentioned(new Map([[0, new Set([0])]]), new Map([[0, new Set([0])]]))).toBeNull();
    // Asked 0 and 1 as the translations of one English word: an entry that mentions 1 will do.
    expect(unmentioned(new Map([[0, new Set([0])], [1, new Set([0])]]), new Map([[1, new Set([0])]]), [[0, 1]])).toBeNull();
    expect(unmentioned(new Map([[0, new Set([0])], [1, new Set([0])]]), new Map([[1, new Set([0])]]))).toBe(0);
    expect(unmentioned(new Map([[0, new Set([0])], [2, new Set([0])]]), new Map([[2, new Set([0])]]), [[0, 1]])).toBe(0);
  });

  it('ships a lexicon whose groups each have words, each word in one group', () => {
    const groups = parseAspects(dataLines('operations-zh.txt')).map((g) => g.sides[0]!);
    expect(groups.length).toBeGreaterThan(100);
    const words = groups.flat();
    expect(new Set(words).size).toBe(words.length);
  });
});

describe('operations in matching', () => {
  afterAll(removeTrees);

  const tree = () =>
    makeTree({
      'coupon.md': entry('question: 优惠券为什么用不了\nkeywords: [优惠券]', '看一下券的使用门槛和有效期，过期或未满金额都不能用。'),
      'credit.md': entry('question: 逾期会影响征信吗\nkeywords: [征信]', '逾期超过 3 天会上报征信，请按时还款。'),
      'bill.md': entry('question: 账单怎么查\nkeywords: [账单]', '在 App 的账单页面查看。'),
    });

  it('suggests, never answers, an entry that does not speak of the operation asked', async () => {
    const m = new Matcher(await loadKnowledgeBase(await tree()));
    expect(m.match('优惠券怎么用不了')).toMatchObject({ decision: 'answer', id: 'coupon' });
    const gift = m.match('优惠券能送给朋友用吗');
    expect(gift.decision).toBe('suggest');
    expect(gift.candidates[0]?.id).toBe('coupon');
    expect(m.match('征信报告在哪里打印').decision).not.toBe('answer');
    expect(m.loweredNote('征信报告在哪里打印', 'credit')).toBe('the question asks to 打印, which this entry never mentions');
    expect(m.loweredNote('优惠券怎么用不了', 'coupon')).toBeNull();
  });

  it('"能退吗" asks to refund, return or cancel: a price entry is not answered with it; any of them in the entry will do', async () => {
    const m = new Matcher(
      await loadKnowledgeBase(
        await makeTree({
          'plans.md': entry('question: 会员多少钱\nalternates: [年度会员价格]\nkeywords: [年度, 价格]', '月度 ¥25，年度 ¥168，永久 ¥298。'),
          'refund.md': entry('question: 会员可以退款吗\nkeywords: [退款]', '开通 7 天内没用过会员权益可以全额退款。'),
          'booking.md': entry('question: 订单怎么取消', '未发货的订单可在订单详情里取消。'),
        }),
      ),
    );
    // Before, the price entry was answered: its words (年度) were all the question named.
    expect(m.match('那年度的能退吗').decision).not.toBe('answer');
    expect(m.loweredNote('那年度的能退吗', 'plans')).toBe('the question asks to 退款, which this entry never mentions');
    // An entry that speaks of one of the family (取消订单) is not lowered for it.
    expect(m.loweredNote('没发货的订单能退吗', 'booking')).toBeNull();
    // Only the verb standing alone where the customer asks: done, unwanted or part of a word is not it.
    expect(m.loweredNote('年度会员退了以后还能用吗', 'plans')).toBeNull();
    expect(m.loweredNote('不想退，年度会员多少钱', 'plans')).toBeNull();
    expect(m.loweredNote('年度会员价格能退还吗', 'plans')).toBeNull();
  });

  it('never answers a lowered entry, even under a configured answer threshold below its score', async () => {
    const m = new Matcher(await loadKnowledgeBase(await tree()), { thresholds: { answer: 0.3 } });
    const r = m.match('优惠券能送给朋友用吗');
    expect(r.score).toBeGreaterThan(0.3);
    expect(r.decision).toBe('suggest');
  });

  it('suggests, never answers, an entry about another thing than the one asked about', async () => {
    const kb = await loadKnowledgeBase(
      await makeTree({
        'restore.md': entry('question: 删除的评论怎么恢复\nkeywords: [评论]', '在 我的 → 最近删除 里找到它，点恢复；30 天内都可以。'),
        'bill.md': entry('question: 账单怎么查\nkeywords: [账单]', '在 App 的账单页面查看。'),
        'hours.md': entry('question: 客服几点上班', '每天 9:00-21:00。'),
      }),
    );
    const m = new Matcher(kb);
    expect(m.match('删掉的评论还能恢复吗')).toMatchObject({ decision: 'answer', id: 'restore' });
    // 草稿 is a thing the entry never speaks of: at most a suggestion.
    const drafts = m.match('删除的草稿怎么恢复');
    expect(drafts.decision).toBe('suggest');
    expect(m.loweredNote('删除的草稿怎么恢复', 'restore')).toBe('the question is about 草稿, which this entry never mentions');
    // How the customer got there is not what they ask about.
    expect(m.match('草稿箱清空了就算了，删掉的评论怎么恢复').decision).toBe('answer');
  });

  it('an entry about an operation does not answer a question about a thing it never mentions; an instance mentions its category', async () => {
    const kb = await loadKnowledgeBase(
      await makeTree({
        'porting.md': entry('question: 如何办理携号转网', '在营业厅或 App 申请，一般 1-3 个工作日完成。'),
        'export.md': entry('question: 笔记怎么导出\nkeywords: [导出]', '打开笔记，点 … → 导出 → PDF。'),
        'hours.md': entry('question: 客服几点上班', '每天 9:00-21:00。'),
      }),
    );
    const m = new Matcher(kb);
    expect(m.match('如何办理携号转网')).toMatchObject({ decision: 'answer', id: 'porting' });
    expect(m.match('携号转网以后原来的积分还能用吗').decision).not.toBe('answer');
    expect(m.loweredNote('携号转网以后原来的积分还能用吗', 'porting')).toBe('the question is about 积分, which this entry never mentions');
    // The answer says PDF, a 文档: asked about 文档, it is not lowered.
    expect(m.loweredNote('笔记能导出成文档吗', 'export')).toBeNull();
  });

  it("a compound the segmenter keeps whole asks about its head (公司地址 is an address)", async () => {
    const kb = await loadKnowledgeBase(
      await makeTree({
        'invoice.md': entry('question: 可以开发票吗\nkeywords: [发票]', '可以。申请开票时填写公司抬头和税号，电子发票发到邮箱。'),
        'hours.md': entry('question: 客服几点上班', '每天 9:00-21:00。'),
      }),
    );
    const m = new Matcher(kb);
    expect(m.match('你们公司地址在哪').decision).not.toBe('answer');
    expect(m.loweredNote('你们公司地址在哪', 'invoice')).toBe('the question is about 地址, which this entry never mentions');
    // What the entry does speak of stays answered.
    expect(m.match('公司抬头的发票怎么开')).toMatchObject({ decision: 'answer', id: 'invoice' });
  });
});

describe('operations asked in English', () => {
  afterAll(removeTrees);

  it('one English word with several Chinese senses asks for one of them, not all', async () => {
    // "book" reads 预订 预约 订: an entry on 预订 speaks of what was asked, though it never says 预约.
    const m = new Matcher(
      await loadKnowledgeBase(
        await makeTree({
          'book.md': entry('question: 怎么在小程序上预订房间\nkeywords: [预订]', '打开小程序，选日期和房型，点预订。'),
          'cancel.md': entry('question: 订好的房间怎么取消', '在订单里点取消，入住前一天 18 点前免费。'),
        }),
      ),
    );
    expect(m.loweredNote('how do I book a room in the mini program', 'book')).toBeNull();
    expect(m.match('how do I book a room in the mini program')).toMatchObject({ decision: 'answer', id: 'book' });
    // Two English words, two operations: each still has to be spoken of ("transfer" is not "book").
    expect(m.loweredNote('can I transfer my booking to a friend', 'book')).toMatch(/never mentions/);
  });
});
