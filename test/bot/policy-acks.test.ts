/**
 * Right after an answer and around it, the short replies customers string together (found by a
 * stranger test: most chats ended with a thank-you that went to the human queue):
 * acknowledgements in several words (bot/policy/acks.ts), "看不懂" / "怎么弄", and the same
 * entry asked after again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Messages } from '../../src/bot/messages.ts';
import { decide, DEFAULT_POLICY_OPTIONS, type PolicyKnowledge } from '../../src/bot/policy.ts';
import { acknowledgement, asksToExplain } from '../../src/bot/policy/acks.ts';
import type { Decision, Session } from '../../src/bot/types.ts';
import { playChat, productPolicy } from '../support/policy.ts';

let kb: PolicyKnowledge;
let messages: Messages;

beforeAll(async () => {
  ({ kb, messages } = await productPolicy());
});

const ask = (text: string, session: Session = {}): Decision => decide({ text, status: 'bot', session }, kb, messages, DEFAULT_POLICY_OPTIONS);
const chat = (texts: string[]): Decision[] => playChat((text, s) => ask(text, s), texts, { greeted: true });
const said = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'say' ? [a.text] : []));
const handedOff = (d: Decision): boolean => d.actions.some((a) => a.type === 'handoff');

describe('acknowledgement: a reply made only of "ok" words', () => {
  it.each([
    ['好的 明白了 谢谢亲', 'helpful'],
    ['可以了 谢谢', 'helpful'],
    ['搞定了', 'helpful'],
    ['谢谢 解决了！', 'helpful'],
    ['好的知道了', 'understood'],
    ['行吧', 'understood'],
    ['嗯嗯 我试试', 'trying'],
    ['我看看', 'trying'],
    ['好的拜拜', 'bye'],
    // By the words' stems:
    ['感恩', 'helpful'],
    ['万分感谢🙏', 'helpful'],
    ['okk', 'understood'],
    ['好哒', 'understood'],
    ['好滴 我瞅瞅', 'trying'],
    ['我去弄一下', 'trying'],
    ['稍等 我操作下', 'trying'],
  ] as const)('%s -> %s', (text, ack) => {
    expect(acknowledgement(text)).toBe(ack);
  });

  it.each(['好的 那怎么退款', '我试试看怎么导出', '不好', '谢谢你们的垃圾软件', '', '亲', '试了还是不行', '好的 发票呢', '好 但是还是没声音', '都试过了', '帮我看看'])('not an acknowledgement: "%s"', (text) => {
    expect(acknowledgement(text)).toBeUndefined();
  });

  it.each(['看不懂', '怎么弄啊', '具体在哪？', '然后呢', '还是不会'])('"%s" asks to explain', (text) => {
    expect(asksToExplain(text)).toBe(true);
  });
  it.each(['怎么导出gif', '在哪里开发票', '看不懂英文界面怎么改中文'])('"%s" is a question of its own', (text) => {
    expect(asksToExplain(text)).toBe(false);
  });
});

describe('right after an answer', () => {
  it.each(['好的 明白了 谢谢亲', '可以了 谢谢', '搞定了', '好的知道了', '謝謝'])('"%s" counts as helpful, never a person', (text) => {
    const [, d] = chat(['录屏没有声音怎么办', text]);
    expect(d!.actions[0]).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: true });
    expect(handedOff(d!)).toBe(false);
  });

  it('"我试试" keeps "有帮助吗" open: a later "还是不行" is still about that answer', () => {
    const [, trying, verdict] = chat(['录屏没有声音怎么办', '嗯嗯 我试试', '还是不行']);
    expect(said(trying!)).toEqual([messages.ack_trying]);
    expect(trying!.outcome).toBeUndefined();
    expect(verdict!.actions[0]).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: false });
  });

  it('"看不懂" / "怎么弄": asked where they are stuck, "1" then a person for the question asked', () => {
    for (const text of ['看不懂', '怎么弄', '具体在哪']) {
      const [, unclear, yes] = chat(['录屏没有声音怎么办', text, '1']);
      expect(said(unclear!), text).toEqual([messages.unclear_offer]);
      expect(handedOff(unclear!)).toBe(false);
      expect(yes!.actions).toEqual([{ type: 'handoff', reason: 'not_helpful', question: '录屏没有声音怎么办' }]);
    }
  });

  it('the same entry asked after again is not sent twice; "2" then still offers a person', () => {
    const [first, again, two] = chat(['会员多少钱', '那会员多少钱呢', '2']);
    expect(first!.actions[0]).toMatchObject({ type: 'answer', faqId: 'membership-plans' });
    expect(again!.actions).toEqual([{ type: 'say', text: messages.answer_again }]);
    expect(two!.actions[0]).toEqual({ type: 'feedback', faqId: 'membership-plans', helpful: false });
    // Another entry is answered as usual.
    const [, other] = chat(['会员多少钱', '怎么开发票']);
    expect(other!.actions[0]).toMatchObject({ type: 'answer', faqId: 'invoice' });
  });

  it('asked again insisting ("退钱！！！" after the refund answer): not "the answer is above", a person offered', () => {
    const [, d] = chat(['怎么退款', '退钱！！！']);
    expect(d!.actions[0]).toEqual({ type: 'feedback', faqId: 'refund', helpful: false });
    expect(said(d!)).toEqual([messages.not_helpful_offer]);
  });

  it.each(['试了 还是没声', '2 还是没声音', '按你说的弄了还是不行', '2吧', '你说的我都试过了', '都试过了', '重启过了', '重装过了'])('"%s" is "没解决": a person offered, the answer not sent again', (text) => {
    const [, d] = chat(['录屏没有声音怎么办', text]);
    expect(d!.actions[0]).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: false });
    expect(said(d!)).toEqual([messages.not_helpful_offer]);
  });

  it('after "没解决": "不了 谢谢" / "不用 我再看看" decline the person, "好的 转吧" accepts', () => {
    for (const text of ['不了 谢谢', '算了不用了', '不用 我再看看']) {
      const [, , d] = chat(['录屏没有声音怎么办', '2', text]);
      expect(said(d!), text).toEqual([messages.offer_declined]);
    }
    const [, , yes] = chat(['录屏没有声音怎么办', '2', '好的 转吧']);
    expect(yes!.actions).toEqual([{ type: 'handoff', reason: 'not_helpful', question: '录屏没有声音怎么办' }]);
  });

  it('"拜拜" says goodbye with its own phrase, not 不客气', () => {
    expect(said(ask('拜拜', { greeted: true, offered: ['refund'], suggested: true }))).toEqual([messages.smalltalk_bye]);
  });
});

describe('a customer who does not know where to start', () => {
  it.each(['你好 我年纪大了不太会弄', '我不太会用这个软件', '第一次用 怎么开始录屏', '新手求教'])('"%s": a word of encouragement and the menu, not a person', (text) => {
    const d = ask(text, { greeted: true });
    expect(said(d)[0]).toBe(messages.guidance);
    expect(said(d)[1]).toContain(messages.menu_header);
    expect(handedOff(d)).toBe(false);
    expect(d.session.offered).toEqual(kb.menu.map((e) => e.id));
  });

  it('a question the FAQ answers is answered, whoever asks it', () => {
    expect(ask('第一次用，录屏没有声音怎么办').actions[0]).toMatchObject({ type: 'answer', faqId: 'no-sound' });
  });

  it('"这个软件怎么用" names nothing but the product: the menu, not an entry that shares 软件 or 用 (sixth stranger test)', () => {
    for (const text of ['你好请问这个软件怎么用', '这软件咋用啊', '怎么用']) {
      expect(kb.matcher.match(text).decision, text).toBe('answer');
      expect(said(ask(text, { greeted: true }))[0], text).toBe(messages.guidance);
    }
    // A feature named is that feature's entry.
    expect(ask('画中画怎么用').actions[0]).toMatchObject({ type: 'answer', faqId: 'webcam-pip' });
  });
});

describe('a question announced, and numbers with a word around them', () => {
  it.each(['咨询个事情', '有点问题想咨询', '问你个事儿', '我遇到个问题', '有个事想请教'])('"%s": smalltalk_preamble, not the matcher (个事 is no 格式)', (text) => {
    expect(said(ask(text, { greeted: true }))).toEqual([messages.smalltalk_preamble]);
  });

  it('"问个事 录屏好卡" carries the question: matched as usual', () => {
    expect(said(ask('问个事 录屏好卡', { greeted: true }))).not.toContain(messages.smalltalk_preamble);
  });

  it.each(['选2', '2吧', '看下第2个'])('"%s" picks the second entry of the list', (text) => {
    const [list, pick] = chat(['导出', text]);
    expect(list!.session.offered?.length).toBeGreaterThanOrEqual(2);
    expect(pick!.actions[0]).toMatchObject({ type: 'answer', faqId: list!.session.offered![1] });
  });
});

describe('what the customer says about themselves', () => {
  it.each(['亲 我用的是mac', '我是会员', '我已经开了会员了', '我是安卓的'])('"%s": noted, asked what the problem is; no answer, list or person', (text) => {
    const d = ask(text, { greeted: true });
    expect(d.actions).toEqual([{ type: 'say', text: messages.context_noted }]);
    expect(d.session.context).toBeDefined();
  });

  it('right after the menu too ("你好" then "我是个老师"), not while a "did you mean" list waits for a pick', () => {
    const menu = ask('你好');
    expect(menu.session.offered?.length).toBeGreaterThan(0);
    expect(ask('我是个老师', menu.session).actions).toEqual([{ type: 'say', text: messages.context_noted }]);
    const listed = { greeted: true, offered: ['no-sound', 'recording-lag'], suggested: true, question: '录的时候' };
    expect(ask('我是个老师', listed).actions).not.toEqual([{ type: 'say', text: messages.context_noted }]);
  });

  it('is read with the next message when that alone finds no answer, and only then', () => {
    const [, black] = chat(['亲 我用的是mac', '录出来全是黑的']);
    expect(black!.actions[0]).toMatchObject({ type: 'answer', faqId: 'mac-permission' });
    expect(handedOff(black!)).toBe(false);
    // Alone, the same words find nothing to answer.
    expect(ask('录出来全是黑的', { greeted: true }).actions[0]?.type).not.toBe('answer');
    // A question answered on its own is answered as asked, and the context is gone after one turn.
    const [, refund, later] = chat(['我用的是mac', '怎么退款', '录出来全是黑的']);
    expect(refund!.actions[0]).toMatchObject({ type: 'answer', faqId: 'refund' });
    expect(refund!.session.context).toBeUndefined();
    expect(later!.actions[0]?.type).not.toBe('answer');
  });

  it.each(['我用的是mac 录屏黑屏', '我是会员为什么还有水印', '我想录网课'])('"%s" asks something: matched as usual', (text) => {
    expect(said(ask(text, { greeted: true }))).not.toContain(messages.context_noted);
  });
});

describe('a question about the answer just given that alone lands elsewhere (fifth stranger test)', () => {
  it('"是录游戏的" after the no-sound answer is about it: read after that question it is that entry\'s, not the lag entry', () => {
    expect(kb.matcher.match('是录游戏的')).toMatchObject({ decision: 'answer', id: 'recording-lag' });
    const [, d] = chat(['我录的视频没声音啊', '是录游戏的']);
    expect(d!.actions).toEqual([{ type: 'say', text: messages.answer_again }]);
    // The check stays open: "2" still offers a person.
    expect(d!.session.feedbackFor).toBe('no-sound');
  });

  it('"我是windows": a Latin word counts as one, so it is a short detail of the answer (the seventh stranger test)', () => {
    const [, d] = chat(['录屏没有声音怎么办', '我是windows']);
    expect(d!.actions.some((a) => a.type === 'answer')).toBe(false);
    expect(d!.session.feedbackFor).toBe('no-sound');
  });

  it('a next question stays one: an entry the answer lists as related ("多少钱" after the watermark answer), or two questions read together', () => {
    const [, price] = chat(['请问有水印吗', '多少钱']);
    expect(price!.actions[0]).toMatchObject({ type: 'answer', faqId: 'membership-plans' });
    const [, refund] = chat(['怎么去水印', '会员多少钱']);
    expect(refund!.actions[0]).toMatchObject({ type: 'answer', faqId: 'membership-plans' });
  });
});

describe('a detail or one point of the answer just given (third stranger test)', () => {
  const line = (d: Decision): string | undefined => {
    const text = said(d)[0] ?? '';
    const [, l] = /^(.*)\n（还没解决/su.exec(text) ?? [];
    return l;
  };
  it.each([
    ['录屏没有声音怎么办', 'mac', /^Mac：录系统声音需要安装闪录音频组件/u],
    ['录屏没有声音怎么办', '苹果手机', /^手机：.*iPhone 请在控制中心/u],
    ['录屏没有声音怎么办', '耳机插着的', /插了耳机或外置声卡时最容易选错/u],
    ['录屏没有声音怎么办', '我电脑是win7的', /^Windows：/u],
    ['会员多少钱', '永久的呢', /^永久会员 ¥298/u],
    ['会员多少钱', '那年度的会员多少钱呢', /^年度会员 ¥168/u],
    ['怎么退款', '怎么关自动续费', /^取消自动续费：微信在/u],
  ])('after "%s", "%s" gets the one line of that answer that speaks of it, the check still open', (question, followUp, want) => {
    const [first, d] = chat([question, followUp]);
    const id = (first!.actions[0] as { faqId: string }).faqId;
    expect(d!.actions.every((a) => a.type === 'say')).toBe(true);
    expect(line(d!)).toMatch(want);
    // Shown alone, a step's number would read as a number to reply with.
    expect(line(d!)).not.toMatch(/^\d/u);
    expect(d!.session.feedbackFor).toBe(id);
    expect(handedOff(d!)).toBe(false);
  });

  it('a new question is answered with its own entry; a word the whole answer repeats, or a verdict, is no point of it', () => {
    expect(chat(['会员多少钱', '水印怎么去'])[1]!.actions[0]).toMatchObject({ type: 'answer', faqId: 'remove-watermark' });
    expect(chat(['录屏没有声音怎么办', 'mac上录屏黑屏'])[1]!.actions[0]).toMatchObject({ type: 'answer', faqId: 'mac-permission' });
    expect(line(chat(['录屏没有声音怎么办', '声音'])[1]!)).toBeUndefined();
    expect(chat(['录屏没有声音怎么办', '耳机插着的还是不行'])[1]!.actions[0]).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: false });
    // Nothing pending: a detail is no follow-up.
    expect(line(ask('永久的呢', { greeted: true }))).toBeUndefined();
  });
});
