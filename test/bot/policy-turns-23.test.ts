/**
 * What the twenty-third stranger test found, each said with what the bot had done: after the
 * rating question, "好嘞 谢谢[抱拳]" closed it, so the "5" that followed got the menu; "行吧 下次别这样了"
 * and "看到了 付了 已经显示终身了[强]" put the customer back in the queue, where "3分 等太久了" was
 * met with the place; in the queue, "换了个usb口插 出来了 ok了", "改了 好多了 稳在120左右 👍",
 * "好的 我先试试 有问题再来问" got silence or "记下了"; "系统设置-隐私与安全性-麦克风 已经给了权限了啊"
 * was answered with the Mac permission steps.
 */
import { describe, expect, it } from 'vitest';
import { acknowledgement, saysTried } from '../../src/bot/policy/acks.ts';
import { playChat, productTurns } from '../support/policy.ts';

const p = productTurns();
const { at, chat, said, answered } = p;
const handedOff = (d: ReturnType<typeof at>): boolean => d.actions.some((a) => a.type === 'handoff');

/** After an agent resolved the chat and the rating was asked: each message decided in turn, the chat the bot's after the first. */
const afterResolve = (texts: string[]) =>
  playChat((text, session) => at(text, session, session.ratingAsked && !session.rated ? 'resolved' : 'bot'), texts, { greeted: true, ratingAsked: true });

describe('the rating question stays open past an ok', () => {
  it('"好嘞 谢谢[抱拳]" is thanked for, and the "5" after it is the score (not the menu)', () => {
    const [thanks, five] = afterResolve(['好嘞 谢谢[抱拳]', '5']);
    expect(said(thanks!)).toEqual([p.messages.closing]);
    expect(five!.outcome).toEqual({ type: 'rating', score: 5 });
  });

  it('"行吧 下次别这样了" is a remark noted, not a new place in the queue; "3分 等太久了" then rates', () => {
    const [remark, three] = afterResolve(['行吧 下次别这样了', '3分 等太久了']);
    expect(handedOff(remark!)).toBe(false);
    expect(said(remark!)).toEqual([p.messages.rating_comment_noted]);
    expect(three!.outcome).toEqual({ type: 'rating', score: 3 });
  });

  it('"看到了 付了 已经显示终身了[强]" is noted too; "4分 排队太久" rates', () => {
    const [seen, four] = afterResolve(['看到了 付了 已经显示终身了[强]', '4分 排队太久']);
    expect(handedOff(seen!)).toBe(false);
    expect(four!.outcome).toEqual({ type: 'rating', score: 4 });
  });

  it('a new question closes it: answered, and a later "5" is no score', () => {
    const [question] = afterResolve(['怎么导出gif']);
    expect(answered(question!)).toEqual(['export-formats']);
    expect(question!.session.ratingAsked).toBeUndefined();
  });

  it('trouble after the close still goes back to a person', () => {
    const [still] = afterResolve(['还是不行啊']);
    expect(handedOff(still!)).toBe(true);
  });
});

describe('in the queue, it works now', () => {
  it.each(['换了个usb口插 出来了 ok了', '自启动也开了 多任务里锁了 这回录了20分钟没断 可以了', '改了 好多了 稳在120左右 👍', '换移动硬盘导出成功了', '装了 能打开 谢谢', '直接插hdmi就好了 原来是扩展坞的问题', '好的 我先试试 有问题再来问', '好的我让儿子晚上帮我弄 谢谢你'])(
    '"%s" is asked whether the person is still wanted',
    (text) => expect(said(at(text, {}, 'waiting'))).toEqual([p.messages.queue_leave_confirm]),
  );

  it.each(['可以了 就是有点卡', '好了 但是又卡了'])('"%s" still needs the person', (text) => {
    expect(said(at(text, {}, 'waiting'))).not.toContain(p.messages.queue_leave_confirm);
  });

  it('the words for it', () => {
    expect(acknowledgement('改了 好多了 稳在120左右 👍')).toBe('helpful');
    expect(acknowledgement('直接插hdmi就好了 原来是扩展坞的问题')).toBe('helpful');
    expect(acknowledgement('好了 不过录出来还是有点卡')).toBeUndefined();
  });
});

describe('a step done, named with where', () => {
  it('"系统设置-隐私与安全性-麦克风 已经给了权限了啊" after the sound answer is a verdict on it, not the Mac permission entry', () => {
    expect(saysTried('系统设置-隐私与安全性-麦克风 已经给了权限了啊')).toBe(true);
    expect(saysTried('权限已经给了 还是没声音')).toBe(false);
    const [, , given] = chat(['macbook air m2 录的视频麦克风没声音', 'macOS 14.2 Sonoma，闪录版本 3.4.0', '系统设置-隐私与安全性-麦克风 已经给了权限了啊']);
    expect(answered(given!)).not.toContain('mac-permission');
    expect(given!.outcome).toMatchObject({ type: 'rejected', faqId: 'no-sound' });
  });
});

describe('small things', () => {
  it('"在吗", "在不在", then "2": the menu still answers to its numbers', () => {
    const [menu, again, two] = playChat((text, session) => at(text, session), ['在吗', '在不在', '2']);
    expect(menu!.session.offered?.length).toBeGreaterThan(2);
    expect(said(again!)).toEqual([p.messages.presence_again]);
    expect(answered(two!)).toEqual([menu!.session.offered![1]]);
  });

  it('"有木有试用的" asks (有木有 is 有没有); it is no promise to try', () => {
    expect(acknowledgement('有木有试用的')).toBeUndefined();
    expect(said(at('有木有试用的', { greeted: true }))).not.toContain(p.messages.ack_trying);
  });
});

describe('the line of the answer asked for (24th test)', () => {
  it('"怎么申请" after the refund answer is the refund path, not the App Store exception', () => {
    const [, how] = chat(['我昨天买了年会员 不想用了能退款吗', '怎么申请']);
    expect(said(how!).join('')).toContain('订单记录');
    expect(said(how!).join('')).not.toContain('App Store');
  });

  it('"多久能到账" after the refund answer is the line with the days', () => {
    const [, when] = chat(['会员能退款吗', '多久能到账']);
    expect(said(when!).join('')).toContain('1~3 个工作日');
  });
});

describe('closings and scores (24th test)', () => {
  const rating = (text: string) => at(text, { ratingAsked: true, greeted: true }, 'resolved');

  it('"给个好评吧" is a 5; "1分 等太久" is a 1 with an apology', () => {
    expect(rating('给个好评吧').outcome).toEqual({ type: 'rating', score: 5 });
    const low = rating('1分 等太久');
    expect(low.outcome).toEqual({ type: 'rating', score: 1 });
    expect(said(low)).toEqual([p.messages.rating_low_noted]);
  });

  it('"重启之后好了 谢谢" after a person was offered is thanked for, not told to try', () => {
    const [, , works] = chat(['mac录屏黑屏', '开了还是黑的', '重启之后好了 谢谢']);
    expect(said(works!)).toEqual([p.messages.closing]);
  });

  it('"今天几号" is small talk, not a question for a person', () => {
    expect(handedOff(at('今天几号', { greeted: true }))).toBe(false);
  });

  it('in the queue, "算了 退钱" is no sign the person is not needed', () => {
    expect(said(at('算了 退钱', {}, 'waiting'))).not.toContain(p.messages.queue_leave_confirm);
  });
});

it('"ok thanks. how much is the yearly plan" asks (English question words), it is not thanks alone', () => {
  expect(acknowledgement('ok thanks. how much is the yearly plan')).toBeUndefined();
  expect(acknowledgement('ok thank you')).toBe('helpful');
});

describe('a customer writing English', () => {
  it('is told once, after the reply, that a person can help in English', () => {
    const [first, second] = chat(['my recording has no sound', 'ok thanks. how much is the yearly plan']);
    expect(answered(first!)).toEqual(['no-sound']);
    expect(said(first!).at(-1)).toBe(p.messages.english_note);
    expect(answered(second!)).toEqual(['membership-plans']);
    expect(said(second!)).not.toContain(p.messages.english_note);
  });

  it('not with pinyin, nor when the reply hands the chat over', () => {
    expect(said(at('zen me qu diao shui yin', { greeted: true }))).not.toContain(p.messages.english_note);
    expect(said(at('ni hao wo you wen ti', { greeted: true }))).not.toContain(p.messages.english_note);
    expect(said(at('human please', { greeted: true }))).not.toContain(p.messages.english_note);
  });
});

it('"要专票的" after the invoice answer: its line sends them to a person, so a person is offered at once; "1" hands off with both messages', () => {
  const [, vat, yes] = chat(['开会员能开发票吗 公司报销要用', '要专票的', '1']);
  expect(said(vat!).join('')).toContain('增值税专用发票');
  expect(vat!.session.humanOffered).toBe(true);
  const handoff = yes!.actions.find((a) => a.type === 'handoff');
  expect(handoff).toMatchObject({ reason: 'customer_asked' });
  expect(handoff && 'question' in handoff ? handoff.question : '').toContain('要专票的');
});

it('"怎么申请退款 在哪申请": the second part continues the first (where to apply for the refund), it is no invoice question', () => {
  const m = p.kb.matcher.match('怎么申请退款 在哪申请');
  expect(m).toMatchObject({ decision: 'answer', id: 'refund' });
  expect(m.questions).toBeUndefined();
  // Two questions of their own are still two.
  expect(p.kb.matcher.match('会员多少钱 能开发票吗').questions?.map((q) => q.id).sort()).toEqual(['invoice', 'membership-plans']);
});

it('"five stars", "4 stars" rate in English', () => {
  expect(at('five stars', { ratingAsked: true }, 'resolved').outcome).toEqual({ type: 'rating', score: 5 });
  expect(at('4 stars', { ratingAsked: true }, 'resolved').outcome).toEqual({ type: 'rating', score: 4 });
});

describe('what the review of this change found', () => {
  it('trouble after a plan is no sign-off: "好的 去设置里打开了 还是没声音", "嗯 再等等 已经等了一个小时了"', () => {
    expect(acknowledgement('好的 去设置里打开了 还是没声音')).not.toBe('bye');
    expect(said(at('嗯 再等等 已经等了一个小时了', {}, 'waiting'))).not.toContain(p.messages.queue_leave_confirm);
  });

  it('after the close, a want ("我想注销账号") is a question, not a remark to thank for', () => {
    const [, want] = afterResolve(['谢谢', '我想注销账号']);
    expect(said(want!)).not.toContain(p.messages.rating_comment_noted);
  });

  it('"苹果 退款" is a question, not a device named', () => {
    expect(answered(at('苹果 退款', { greeted: true }))).toEqual(['refund']);
  });

  it('in the queue, "会员开通成功了 要开发票" still wants something; "不用了 已经退款了" leaves', () => {
    expect(said(at('会员开通成功了 要开发票', {}, 'waiting'))).not.toContain(p.messages.queue_leave_confirm);
    expect(said(at('不用了 已经退款了', {}, 'waiting'))).toEqual([p.messages.queue_leave_confirm]);
  });

  it('negated praise is no praise: "服务不专业", "回复不及时👍"', () => {
    const rating = (text: string) => at(text, { ratingAsked: true, greeted: true }, 'resolved');
    expect(said(rating('服务不专业'))).not.toContain(p.messages.rating_praise);
    expect(rating('回复不及时👍').outcome).not.toEqual({ type: 'rating', score: 5 });
  });

  it('"录了40分钟后 就停了" is how long (the limit), whatever the digits', () => {
    expect(answered(at('免费版录了40分钟后就自动停了', { greeted: true }))).toEqual(['time-limit']);
  });

  it('"视频保存在哪 保存的视频怎么导出mp4" is two questions', () => {
    expect(p.kb.matcher.match('视频保存在哪 保存的视频怎么导出mp4').questions?.map((q) => q.id).sort()).toEqual(['export-formats', 'find-recordings']);
  });
});
