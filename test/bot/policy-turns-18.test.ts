/**
 * What the eighteenth stranger test found, each said with what the bot had done: a device named
 * with where it was used ("我是在苹果手机上开的") got the Mac entry; "专票" got the line on ordinary
 * invoices; lists of unrelated entries sounded sure of themselves; a thumb up to the rating question
 * was thanks; "你猜我打几分" went back to the queue; "给我转你们领导" and "要钱吗" in the queue got
 * silence; "算了不用了 我自己找到了" was asked to confirm; the refund answer was sent again to a
 * customer queued after it; "[图片]" as text got the greeting; "打字麻烦" after it got "答不上来";
 * "电脑上的" after "具体是哪里不好用呢" got a list; "the answer is above" twice in a row.
 */
import { describe, expect, it } from 'vitest';
import { namesDevice } from '../../src/bot/policy/words.ts';
import type { Session, Decision } from '../../src/bot/types.ts';
import { productTurns } from '../support/policy.ts';

const p = productTurns();
const { at, chat, said, answered } = p;
const t0 = Date.UTC(2026, 0, 5, 2);
const handoffOf = (d: Decision): string | undefined => d.actions.flatMap((a) => (a.type === 'handoff' ? [a.reason] : []))[0];

/** Queued after `first`, then each of `texts` in the queue, a minute apart. */
function queued(first: string[], texts: string[]): Decision[] {
  let session: Session = { greeted: true };
  for (const text of first) session = at(text, session).session;
  return texts.map((text, i) => {
    const d = at(text, session, 'waiting', t0 + (i + 1) * 60_000);
    session = d.session;
    return d;
  });
}

describe('a device, named with where it was used, after an answer', () => {
  it.each(['我是在苹果手机上开的', 'm2芯片的macbook air', '小米14 澎湃os', 'iOS 17.2', '鸿蒙4.0'])('"%s" names a device', (text) => {
    expect(namesDevice(text)).toBe(true);
  });
  it.each(['ios怎么弄', '开的', '在'])('"%s" does not', (text) => expect(namesDevice(text)).toBe(false));

  it('"我是在苹果手机上开的" after the auto-renewal answer is its iPhone line, not the Mac black-screen entry', () => {
    const [, device] = chat(['怎么关闭自动续费', '我是在苹果手机上开的']);
    expect(answered(device!)).toEqual([]);
    expect(said(device!).join('')).toContain('iPhone 在「设置 → Apple ID → 订阅」取消');
  });

  it('"m2芯片的macbook air" after the Mac line of the sound answer is noted, not answered with the Mac entry', () => {
    const [, mac, model] = chat(['录屏的时候录不到系统声音 win的', '哦不对 我是mac 搞错了', 'm2芯片的macbook air']);
    expect(said(mac!).join('')).toContain('Mac：录系统声音');
    expect(answered(model!)).toEqual([]);
    expect(said(model!)).toEqual([p.messages.detail_noted]);
  });
});

it('"专票" after the invoice answer is the line on 增值税专用发票 (专票 and 普票 are no longer one synonym)', () => {
  const [, special] = chat(['要开发票', '公司报销用 要专票']);
  expect(said(special!).join('')).toContain('需要增值税专用发票的话');
});

describe('a list the bot is far from sure of', () => {
  it('says so and names the person as the way out; a list it is surer of keeps the usual words', () => {
    const weak = at('OBS推流怎么设置的啊 你知道吗', { greeted: true });
    expect(weak.outcome).toEqual({ type: 'suggest' });
    expect(said(weak)[0]).toMatch(new RegExp(`^${p.messages.suggest_header_unsure}`));
    expect(said(weak)[0]).toContain(p.messages.suggest_footer_unsure);
    const surer = at('录屏', { greeted: true });
    expect(surer.outcome).toEqual({ type: 'suggest' });
    expect(said(surer)[0]).toMatch(new RegExp(`^${p.messages.suggest_header}`));
  });

  it('after "都不是" and a rephrasing, such a guess is not shown again: a person', () => {
    const [list, none, again] = chat(['那个视频怎么弄', '都不是', '就是我录好的视频想剪掉开头一段']);
    expect(list!.outcome).toEqual({ type: 'suggest' });
    expect(said(none!)[0]).toContain('换个说法');
    expect(handoffOf(again!)).toBe('low_confidence');
  });
});

describe('the rating question', () => {
  it.each([
    ['👍', 5],
    ['👍👍👍', 5],
    ['👍🏻', 5],
    ['[强]', 5],
    ['👎', 1],
    ['[弱]', 1],
  ])('"%s" is a %i', (text, score) => {
    expect(at(text, { ratingAsked: true }, 'resolved').outcome).toEqual({ type: 'rating', score });
  });

  it('"你猜我打几分" asks about the score: the scale again, not a person', () => {
    const d = at('你猜我打几分', { ratingAsked: true }, 'resolved');
    expect(said(d)).toEqual([p.messages.rating_range]);
    expect(handoffOf(d)).toBeUndefined();
    expect(d.session.ratingAsked).toBe(true);
  });
});

describe('in the queue', () => {
  it('"给我转你们领导" is a complaint: escalated, and the place said', () => {
    const [boss] = queued(['转人工'], ['给我转你们领导']);
    expect(boss!.actions).toEqual([{ type: 'escalate' }, { type: 'queue_place', tell: 'escalated' }]);
  });

  it('"要钱吗" is a short question: noted for the agent, not silence; "好吗" and "在吗" are not questions for the agent', () => {
    const [costs] = queued(['转人工'], ['要钱吗']);
    expect(said(costs!)).toEqual([p.messages.waiting_noted]);
    expect(said(queued(['转人工'], ['好吗'])[0]!)).toEqual([]);
  });

  it('"算了不用了 我自己找到了" says both that the person is not wanted and that it is solved: the queue is left at once', () => {
    const [leaves] = queued(['转人工'], ['算了不用了 我自己找到了']);
    expect(leaves!.actions).toEqual([{ type: 'withdraw', then: p.messages.queue_left }]);
    // One signal alone is still asked about; trouble besides it keeps the chat queued.
    expect(said(queued(['转人工'], ['不用了'])[0]!)).toEqual([p.messages.queue_leave_confirm]);
    expect(queued(['转人工'], ['算了不用了 还是不行'])[0]!.actions.some((a) => a.type === 'withdraw')).toBe(false);
  });

  it('an answer given before the queue is not sent again in it ("我要退钱！！" after the refund answer)', () => {
    const [again] = queued(['我都没同意怎么就自动扣钱了？？？', '骗子吧你们'], ['我要退钱！！']);
    expect(answered(again!)).toEqual([]);
    expect(said(again!)).toEqual([p.messages.waiting_noted]);
  });
});

describe('pictures and voice as text, and who cannot type', () => {
  it('"[图片]" and "[语音]" get what a picture or a voice message gets, not the greeting', () => {
    for (const [text, kind] of [['[图片]', '图片'], ['[语音]', '语音']] as const) {
      const d = at(text, {});
      expect(said(d)).toEqual([p.messages.text_only.replace('{kind}', kind)]);
      expect(d.session.offerReason).toBe('non_text');
    }
    expect(at('[图片]', {}, 'waiting').actions).toEqual([]);
  });

  it('"打字麻烦" or "这个报错是什么意思" after that goes to a person, who can see it', () => {
    const [, lazy] = chat(['[语音]', '打字麻烦']);
    expect(handoffOf(lazy!)).toBe('non_text');
    const [, error] = chat(['[图片]', '这个报错是什么意思']);
    expect(handoffOf(error!)).toBe('non_text');
  });
});

it('"电脑上的" after "具体是哪里不好用呢" is noted and asked after, not matched into a list', () => {
  const [vague, device] = chat(['用不了了', '电脑上的']);
  expect(said(vague!)).toEqual([p.messages.vague_problem]);
  expect(said(device!)).toEqual([p.messages.context_noted]);
  expect(device!.session.context).toBe('电脑上的');
});

it('"the answer is above" twice in a row becomes an offer of a person', () => {
  const [, , above, again, yes] = chat(['一个会员能几台电脑用', '我换新电脑了 旧的那个不用了 新的登不上 说设备超了', '怎么解绑旧的', '旧电脑已经卖了 没法登录了', '1']);
  expect(said(above!)).toEqual([p.messages.answer_again]);
  expect(said(again!)).toEqual([p.messages.not_helpful_offer]);
  expect(handoffOf(yes!)).toBe('not_helpful');
});

it('"没事了 已经解决了 谢谢" is thanks, not a question for a person; "邮箱没问题 垃圾箱也看了" is a step done, not the answer again', () => {
  const thanks = at('没事了 已经解决了 谢谢', { greeted: true });
  expect(handoffOf(thanks)).toBeUndefined();
  expect(said(thanks)).toEqual([p.messages.closing]);
  const [, looked] = chat(['上周申请的电子发票还没收到', '邮箱没问题 垃圾箱也看了']);
  expect(looked!.actions).toContainEqual({ type: 'feedback', faqId: 'invoice', helpful: false });
  expect(answered(looked!)).toEqual([]);
});

it('"买了两天了" right after the refund answer is its 7-day line (how long ago names a time limit), not the line that shares 买', () => {
  const [, ago] = chat(['退款', '买了两天了']);
  expect(said(ago!).join('')).toContain('7 天内可以申请无理由全额退款');
  const [, month] = chat(['退款', '上个月买的']);
  expect(said(month!).join('')).toContain('超过 7 天');
});
