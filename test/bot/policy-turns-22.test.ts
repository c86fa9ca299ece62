/**
 * What the twenty-second stranger test found, each said with what the bot had done: "ni hao" and
 * "Hi can I talk to a real person please" were questions it could not answer; "要不还是找个人工问吧"
 * was queued as one too; "好 那我再等等 今天还没有我就再来问" was queued; "算了 差评 卸载了" got "好的😊";
 * "你听得懂人话吗" was a question; in the queue "好的 我去官网看看" was met with silence and "还要等多久"
 * a few seconds after the place was told too; spec details ("app版本是3.2.1 应用市场下的") got
 * lists; and the FAQ answered "10分钟后开会要录屏 摄像头画面出不来" with the ten-minute limit,
 * "我在苹果手机上开的会员 电脑上能用吗" with the Mac permission steps and "不是水印 是鼠标" with the
 * watermark.
 */
import { describe, expect, it } from 'vitest';
import { acknowledgement } from '../../src/bot/policy/acks.ts';
import { WAIT_ASK_MS } from '../../src/bot/policy/waiting.ts';
import { isComplaint, namesDevice } from '../../src/bot/policy/words.ts';
import { detectSmalltalk } from '../../src/knowledge/index.ts';
import { productTurns } from '../support/policy.ts';

const p = productTurns();
const { at, chat, said, answered } = p;
const T0 = Date.UTC(2026, 0, 5, 2);
const handedOff = (d: ReturnType<typeof at>): string | undefined => d.actions.find((a) => a.type === 'handoff')?.reason;

describe('asking for a person', () => {
  it('in English at some length: "Hi can I talk to a real person please"', () => {
    expect(handedOff(at('Hi can I talk to a real person please', { greeted: true }))).toBe('customer_asked');
    // A long English message that only mentions a person is still a question.
    expect(handedOff(at('my recordings are saved somewhere but I cannot find the folder on my laptop', { greeted: true }))).not.toBe('customer_asked');
  });

  it('"找个人工问吧" asks for one, whatever follows', () => {
    expect(handedOff(at('要不还是找个人工问吧 我们想一次买三年', { greeted: true }))).toBe('customer_asked');
    expect(handedOff(at('人工智能录屏是什么', { greeted: true }))).not.toBe('customer_asked');
  });
});

describe('greetings in pinyin are small talk, not questions for a person', () => {
  it.each([
    ['ni hao', 'greeting'],
    ['nihao', 'greeting'],
    ['zai ma', 'presence'],
    ['xie xie', 'thanks'],
  ])('%s', (text, intent) => {
    expect(detectSmalltalk(text)).toMatchObject({ intent, whole: true });
    expect(handedOff(at(text))).toBeUndefined();
  });

  it('an English sentence is not read as pinyin', () => {
    expect(detectSmalltalk('this is it')).toBeNull();
  });
});

describe('signing off', () => {
  it.each([
    ['好 那我再等等 今天还没有我就再来问', 'bye'],
    ['好的 我去官网看看', 'trying'],
    ['明白 那我还是去公证处吧 谢谢', 'bye'],
    ['ok 那我先用obs了 出了linux版记得通知一声', 'bye'],
    ['好吧 我找我们IT问问', 'trying'],
    ['明白了 我考虑一下', 'bye'],
    ['好吧 我去官网下个apk试试', 'trying'],
  ])('"%s" is an ok and a plan (%s)', (text, ack) => {
    expect(acknowledgement(text)).toBe(ack);
  });

  it.each(['好 那我怎么退款', '好的 我去官网看了还是没有', '好 但是还是录不了'])('"%s" asks or reports trouble', (text) => {
    expect(acknowledgement(text)).toBeUndefined();
  });

  it('after a list, "好 那我再等等…" is a goodbye, not a place in the queue', () => {
    const [, later] = chat(['你们能查一下吗 还是要我再提交一次', '好 那我再等等 今天还没有我就再来问']);
    expect(handedOff(later!)).toBeUndefined();
    expect(said(later!)).toEqual([p.messages.smalltalk_bye]);
  });

  it('in the queue, "好的 我去官网看看" is asked whether the person is still wanted', () => {
    expect(said(at('好的 我去官网看看', {}, 'waiting'))).toEqual([p.messages.queue_leave_confirm]);
  });
});

describe('anger', () => {
  it('"算了 差评 卸载了" after a declined offer is a complaint, not an ok', () => {
    expect(isComplaint('算了 差评 卸载了')).toBe(true);
    expect(isComplaint('邮箱没问题 垃圾箱也看了')).toBe(false);
    const [, , , last] = chat(['录屏的时候电脑风扇狂转 特别卡', '你发的那些我全试过了 没用', '不是这个', '算了 差评 卸载了']);
    expect(handedOff(last!)).toBe('complaint');
  });

  it('"你听得懂人话吗" is a complaint', () => {
    expect(isComplaint('你听得懂人话吗')).toBe(true);
    expect(handedOff(at('你听得懂人话吗', { greeted: true }))).toBe('complaint');
  });
});

describe('in the queue', () => {
  it('"还要等多久" asked again a little later gets the place again', () => {
    const first = at('还要等多久', {}, 'waiting', T0);
    expect(first.actions).toEqual([{ type: 'queue_place', tell: 'place' }]);
    expect(at('还要等多久', first.session, 'waiting', T0 + WAIT_ASK_MS - 1).actions).toEqual([]);
    expect(at('还要等多久', first.session, 'waiting', T0 + WAIT_ASK_MS).actions).toEqual([{ type: 'queue_place', tell: 'place' }]);
    // A ping ("有人吗", "喂") keeps its longer clock.
    expect(at('有人吗', first.session, 'waiting', T0 + WAIT_ASK_MS).actions).toEqual([]);
  });
});

describe('spec details', () => {
  it.each(['app版本是3.2.1 应用市场下的', 'iOS 17.4.1 闪录是最新的 app store 更新过', 'win11 家庭中文版 23H2 闪录 5.6.2', 'mac os 13.6 ventura, app version 5.4.0', '显卡3060 12g cpu 12400f 内存32g', '是windows电脑 学校办公室的'])(
    '"%s" names the device',
    (text) => expect(namesDevice(text.toLowerCase())).toBe(true),
  );

  it.each(['mp4', 'ok', '3分钟', '1080p 60帧', '录屏没声音', 'win11 录屏黑屏了', '版本3.2.1怎么升级'])('"%s" does not', (text) => expect(namesDevice(text)).toBe(false));

  it('after the lag answer, the computer\'s parts get the GPU line, not a person', () => {
    const [lag, parts] = chat(['pc录原神 2560x1440 120帧 掉帧严重 录出来一卡一卡的', '显卡3060 12g cpu 12400f 内存32g']);
    expect(answered(lag!)).toEqual(['recording-lag']);
    expect(handedOff(parts!)).toBeUndefined();
    expect(said(parts!).join('')).toContain('硬件加速');
  });

  it('after the sound answer, the app version is noted, not met with a list', () => {
    const [sound, version] = chat(['华为mate60 鸿蒙4.0.0.126 录屏只有麦克风声音 游戏声音录不进去', 'app版本是3.2.1 应用市场下的']);
    expect(answered(sound!)).toEqual(['no-sound']);
    expect(version!.outcome?.type).not.toBe('suggest');
    expect(handedOff(version!)).toBeUndefined();
  });
});

describe('the FAQ', () => {
  it('"10分钟后开会" is when, not how long: the webcam, not the ten-minute limit', () => {
    const d = at('10分钟后开会要录屏 摄像头画面出不来', { greeted: true });
    expect(answered(d)).toEqual(['webcam-pip']);
    expect(answered(at('录了10分钟后就自动停了', { greeted: true }))).toEqual(['time-limit']);
  });

  it('"苹果手机" with 电脑 is no Mac', () => {
    expect(answered(at('我在苹果手机上开的会员 电脑上能用吗', { greeted: true }))).not.toContain('mac-permission');
  });

  it('"不是这个 不是水印 是鼠标" is not answered with the watermark', () => {
    expect(answered(at('不是这个 不是水印 是鼠标', { greeted: true }))).not.toContain('remove-watermark');
  });

  it('sound and picture out of step is not answered with "no sound"', () => {
    expect(answered(at('现在又有个新问题 录出来的视频声音和画面对不上', { greeted: true }))).not.toContain('no-sound');
    expect(answered(at('录屏没有声音', { greeted: true }))).toEqual(['no-sound']);
  });
});

describe('the rating question answered in words', () => {
  const rating = (text: string) => at(text, { ratingAsked: true, greeted: true }, 'resolved');

  it('praise with a thumbs up is a 5: "厉害 👍👍"', () => {
    expect(rating('厉害 👍👍').outcome).toEqual({ type: 'rating', score: 5 });
  });

  it.each(['太棒了', '厉害', '挺好的', '很好'])('"%s" is thanked for, and the scale asked once more (not "we will do better", not the menu)', (text) => {
    const d = rating(text);
    expect(said(d)).toEqual([p.messages.rating_praise]);
    expect(d.session.ratingAsked).toBe(true);
  });

  it('a remark with the praise is still a remark: "挺好的 就是排队有点久"', () => {
    expect(said(rating('挺好的 就是排队有点久'))).toEqual([p.messages.rating_comment_noted]);
  });
});

describe('an error code the answer does not know', () => {
  it('after the sound answer, "错误码 E1023" offers a person with the code, and "1" hands off with both messages', () => {
    const [sound, code, yes] = chat(['华为mate60 鸿蒙4.0.0.126 录屏只有麦克风声音 游戏声音录不进去', '设置里选了“系统声音” 点开始的时候弹窗说 错误码 E1023 音频采集失败', '1']);
    expect(answered(sound!)).toEqual(['no-sound']);
    expect(said(code!).join('')).toContain('E1023');
    expect(said(code!).join('')).not.toContain('Mac');
    const handoff = yes!.actions.find((a) => a.type === 'handoff');
    expect(handoff).toMatchObject({ reason: 'not_helpful' });
    expect(handoff && 'question' in handoff ? handoff.question : '').toContain('E1023');
  });

  it('a version number is no error code', () => {
    const [, version] = chat(['录屏没声音', '我是win10 版本 5.6.2']);
    expect(said(version!).join('')).toContain('Windows');
  });
});
