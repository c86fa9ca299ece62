/**
 * What the fifteenth stranger test found: "好了 收到了 刚才信号不好" is a verdict of success, a score
 * inside a longer rating message, a tax number asked about (not given), numbered questions each
 * answered, a phone model as a detail, "那你能干嘛" and "会唱歌吗" as small talk, the agents' hours
 * told, an earlier question picking the line of an answer, leaving the queue for another tool;
 * and what the sixteenth found: "整个真人来唠唠" / "找个人工看看吧" send for a person, a greeting with a
 * name, "找到啦", "我点了没动静", "挺好的，解决了" to the rating question, "那等双十一" in the queue;
 * and the seventeenth: "挺快的 5", "1 解决不了问题", "转人工处理下", "就第二个吧", "不行" to an offer,
 * "hao le xiexie", "那我明儿再来" / "好，学会了" in the queue.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Messages } from '../../src/bot/messages.ts';
import { decide, DEFAULT_POLICY_OPTIONS, hoursText, type PolicyKnowledge, type PolicyOptions } from '../../src/bot/policy.ts';
import { carriesData, namesDevice } from '../../src/bot/policy/words.ts';
import type { ConversationStatus } from '../../src/handoff/index.ts';
import type { Decision, Session } from '../../src/bot/types.ts';
import { playChat, productPolicy } from '../support/policy.ts';

let kb: PolicyKnowledge;
let messages: Messages;

beforeAll(async () => {
  ({ kb, messages } = await productPolicy());
});

const HOURS = '周一至周五 09:00-18:00';
const t0 = Date.UTC(2026, 0, 5, 2);
const at = (text: string, session: Session = {}, status: ConversationStatus = 'bot', options: PolicyOptions = DEFAULT_POLICY_OPTIONS): Decision =>
  decide({ text, status, session, now: t0 }, kb, messages, options);
const chat = (texts: string[]): Decision[] => playChat((text, s) => at(text, s), texts, { greeted: true });
const said = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'say' ? [a.text] : []));
const answered = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'answer' ? [a.faqId] : []));
const handedOff = (d: Decision): boolean => d.actions.some((a) => a.type === 'handoff');
/** The customer rates after an agent resolved the chat. */
const rating = (text: string): Decision => at(text, { ratingAsked: true }, 'resolved');

describe('it works now, said with why it had not', () => {
  it('"好了 收到了 刚才信号不好" and "哦哦 权限没开 好了" after an answer are helpful, not a question for a person', () => {
    const [, signal] = chat(['我登录不上去', '好了 收到了 刚才信号不好']);
    expect(signal!.actions).toContainEqual({ type: 'feedback', faqId: 'login-help', helpful: true });
    expect(handedOff(signal!)).toBe(false);
    const [, , permission] = chat(['能不能录屏的时候把我的脸也录进去', '摄像头打开了是黑的', '哦哦 权限没开 好了']);
    expect(permission!.outcome).toMatchObject({ type: 'helpful' });
    expect(answered(permission!)).toEqual([]);
  });

  it('"好了 但是还是有杂音" turns: not helpful; "等了好久也没有" is a verdict too', () => {
    const [, noise] = chat(['录屏没声音', '好了 但是还是有杂音']);
    expect(noise!.actions).toContainEqual({ type: 'feedback', faqId: 'no-sound', helpful: false });
    const [, , still] = chat(['我登录不上去', '验证码收不到', '手机号是对的 等了好久也没有']);
    expect(still!.outcome).toMatchObject({ type: 'rejected' });
  });
});

describe('the rating question', () => {
  it('"钱退回来我再给5分，现在先给3分": the last score named counts; "五星级酒店" and "15分钟" are none', () => {
    expect(rating('钱退回来我再给5分，现在先给3分').outcome).toEqual({ type: 'rating', score: 3 });
    expect(rating('本来想给5分 算了4分吧').outcome).toEqual({ type: 'rating', score: 4 });
    expect(rating('等了15分钟才有人').outcome?.type).not.toBe('rating');
    expect(rating('住过五星级酒店').outcome?.type).not.toBe('rating');
  });

  it('a remark instead of a score ("挺好的 就是排队有点久") is thanked for, not praise and the menu', () => {
    expect(said(rating('挺好的 就是排队有点久'))).toEqual([messages.rating_comment_noted]);
    expect(said(rating('等了15分钟才有人'))).toEqual([messages.rating_comment_noted]);
  });

  it('"1 机器人太差了" says what was wrong already: not asked again, but sorry; the follow-up window stays open', () => {
    const d = rating('1 机器人太差了 人工还行');
    expect(d.outcome).toEqual({ type: 'rating', score: 1 });
    expect(said(d)).toEqual([messages.rating_low_noted]);
    expect(d.session.ratingFollowUp).toBe(1);
    expect(said(rating('1'))).toEqual([messages.rating_low_followup]);
  });
});

describe('after an answer', () => {
  it('"要填税号吗" asks about a tax number, it gives none: the line, not a person offered for data', () => {
    expect(carriesData('抬头写公司的话 要填税号吗')).toBe(false);
    expect(carriesData('税号 91440300MA5G8ABCDE')).toBe(true);
    expect(carriesData('深圳某某科技有限公司')).toBe(true);
    const [, d] = chat(['买了年费会员 想开个电子发票 报销用', '抬头写公司的话 要填税号吗']);
    expect(said(d!)[0]).toMatch(/公司抬头需填税号/u);
    expect(said(d!)).not.toContain(messages.data_offer);
  });

  it('a phone model ("oppo reno10", "安桌手机 荣耀的", "iphone15promax") is a device; a question is not', () => {
    for (const text of ['oppo reno10', '安桌手机 荣耀的', 'vivo x90', '华为mate60pro', '小米13', 'iphone15promax', 'windows11']) expect(namesDevice(text), text).toBe(true);
    for (const text of ['能录多久', '会员多少钱', '怎么导出']) expect(namesDevice(text), text).toBe(false);
    const [, d] = chat(['宝 问下录屏为啥没声音鸭 录了半天全是静音', 'oppo reno10']);
    expect(handedOff(d!)).toBe(false);
    expect(said(d!)).toEqual([messages.detail_noted]);
  });

  it('what they asked the answer for picks among lines that all say it: the iPhone line for "麦克风" after "苹果手机…没有声音"', () => {
    const [, point, where] = chat(['苹果手机录屏没有生音', '录王者荣耀的时候游戏声音有 但是我开麦说话的声音录不进去', '麦克风在哪里开啊 我找不到']);
    expect(said(point!)[0]).toMatch(/iPhone 请在控制中心/u);
    // The same line is not sent twice; "我找不到" right after it: where are they stuck, or "1" for a person.
    expect(said(where!)).toEqual([messages.unclear_offer]);
    expect(where!.session.humanOffered).toBe(true);
    const [, mic] = chat(['苹果手机录屏没有生音', '麦克风在哪里开啊 我找不到']);
    expect(said(mic!)[0]).toMatch(/iPhone 请在控制中心/u);
  });
});

describe('numbered questions, small talk and the menu', () => {
  it('"1.手机能录多久 2.… 3.会员多少钱 4.能开发票吗" answers each entry it knows', () => {
    const d = at('你好 我想问下 1.手机能录多久 2.能不能录的时候开美颜 3.会员多少钱 4.能开发票吗 谢谢', { greeted: true });
    expect(answered(d)).toEqual(['time-limit', 'membership-plans', 'invoice']);
  });

  it('"那你能干嘛" is asked of the bot; "那你会唱歌吗", "睡不着 随便聊聊" are small talk: never a place in the queue', () => {
    expect(at('那你能干嘛', { greeted: true }).outcome).toEqual({ type: 'smalltalk' });
    expect(said(at('那你能干嘛', { greeted: true }))[0]).toBe(messages.smalltalk_bot_identity);
    for (const text of ['那你会唱歌吗', '睡不着 随便聊聊']) {
      const d = at(text, { greeted: true });
      expect(d.outcome, text).toEqual({ type: 'smalltalk' });
      expect(handedOff(d), text).toBe(false);
    }
  });

  it('"？" right after the menu is how to use it, not the ten lines again; "你在说什么啊 答非所问" gets an apology and a person', () => {
    const [menu, again] = playChat((text, s) => at(text, s), ['你好', '？']);
    expect(menu!.session.offered?.length).toBeGreaterThan(3);
    expect(said(again!)).toEqual([messages.guidance_again]);
    const d = at('你在说什么啊 答非所问', { greeted: true });
    expect(d.actions).toContainEqual(expect.objectContaining({ type: 'handoff', reason: 'complaint' }));
  });

  it('"不对 我问的是停止录制的快捷键" right after a list turns it down: a person, not a second guess; "有没有硬件编码" finds the GPU line', () => {
    const [list, again] = chat(['录屏的快捷键是什么', '不对 我问的是停止录制的快捷键']);
    expect(list!.outcome).toEqual({ type: 'suggest' });
    expect(handedOff(again!)).toBe(true);
    // After an answer picked from the list, too.
    const [, pick, wrong] = chat(['录屏的快捷键是什么', '第二个', '不对 我问的是停止录制的快捷键']);
    expect(answered(pick!)).toHaveLength(1);
    expect(handedOff(wrong!)).toBe(true);
    const [, gpu] = chat(['录吃鸡的时候掉帧严重 144帧掉到60', '有没有硬件编码 NVENC那种']);
    expect(said(gpu!)[0]).toMatch(/硬件加速（GPU）/u);
  });

  it('"帧率在哪改啊 我找不着": the question, not "我找不着" read as files not found; "我的视频 找不到了" keeps its words', () => {
    const d = at('帧率在哪改啊 我找不着', { greeted: true });
    expect(answered(d)).not.toContain('find-recordings');
    expect(d.session.offered?.[0]).toBe('recording-lag');
    expect(answered(at('我的视频 找不到了', { greeted: true }))).toEqual(['find-recordings']);
  });

  it('"能换绑新手机号吗" is a question, not a newcomer (新手) lost', () => {
    expect(said(at('能换绑新手机号吗', { greeted: true }))).not.toContain(messages.guidance);
  });
});

describe('the agents\' hours', () => {
  const withHours: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, serviceHours: HOURS };
  const told = (): string => messages.service_hours.replace('{hours}', HOURS);

  it('"你们客服几点下班", "周末有人吗", "人工什么时候有人" are told the hours, with the bot and in the queue; no person for it', () => {
    for (const text of ['你们客服几点下班', '周末有人吗', '人工什么时候有人', '你们工作时间是几点到几点']) {
      const d = at(text, { greeted: true }, 'bot', withHours);
      expect(said(d), text).toEqual([told()]);
      expect(handedOff(d), text).toBe(false);
      expect(said(at(text, { greeted: true }, 'waiting', withHours)), text).toEqual([told()]);
    }
  });

  it('"你们什么时候发货" is no such question; without hours configured nothing is said of them', () => {
    expect(said(at('你们什么时候发货', { greeted: true }, 'bot', withHours))).not.toContain(told());
    expect(said(at('你们客服几点下班', { greeted: true }))).not.toContain(told());
  });

  it('hoursText writes the business hours as customers read them', () => {
    expect(hoursText({ weekdays: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' })).toBe(HOURS);
    expect(hoursText({ weekdays: [1, 2, 3, 4, 5, 6, 7], open: '08:00', close: '22:00' })).toBe('每天 08:00-22:00');
    expect(hoursText({ weekdays: [5, 1, 3], open: '10:00', close: '16:00' })).toBe('周一、周三、周五 10:00-16:00');
  });
});

describe('leaving the queue', () => {
  it('"那我继续用obs了", "那我还是用剪映吧", "晚安" ask whether the person is still wanted', () => {
    for (const text of ['行吧，那我继续用obs了', '那我还是用剪映吧', '晚安']) {
      expect(said(at(text, { greeted: true }, 'waiting')), text).toEqual([messages.queue_leave_confirm]);
    }
  });
});

describe('the sixteenth stranger test', () => {
  it('"不好使啊 整个真人来唠唠" and "找个人工看看吧" send for a person, even right after an offer; "我找人问过了" does not', () => {
    const [, , d] = chat(['录屏没声音', '2', '不好使啊 整个真人来唠唠']);
    expect(handedOff(d!)).toBe(true);
    expect(handedOff(at('找个人工看看吧', { greeted: true }))).toBe(true);
    expect(handedOff(at('我找人问过了', { greeted: true }))).toBe(false);
    // In the queue it is no wish to leave it.
    expect(said(at('找个人工看看吧', { greeted: true, waitingAnswered: true }, 'waiting'))).not.toContain(messages.queue_leave_confirm);
  });

  it('"你好呀我是兜兜" is a greeting; "找到啦 ✨" after an answer is helpful; "我点了没动静" is asked what happened', () => {
    expect(at('你好呀我是兜兜').outcome).toEqual({ type: 'smalltalk' });
    const [, found] = chat(['录屏没声音', '找到啦 ✨']);
    expect(found!.outcome).toMatchObject({ type: 'helpful' });
    expect(said(at('我点了没动静', { greeted: true }))).toEqual([messages.vague_problem]);
  });

  it('"挺好的，解决了" to the rating question is a remark thanked for; "谢谢" stays thanks', () => {
    expect(said(rating('挺好的，解决了'))).toEqual([messages.rating_comment_noted]);
    expect(said(rating('谢谢'))).not.toContain(messages.rating_comment_noted);
  });

  it('"好吧 那等双十一", "我让我闺女回来给我弄吧" ask whether to leave the queue; "那我等一会吧", "等了好久了" do not', () => {
    for (const text of ['好吧 那等双十一', '我让我闺女回来给我弄吧']) expect(said(at(text, { greeted: true }, 'waiting')), text).toEqual([messages.queue_leave_confirm]);
    for (const text of ['那我等一会吧', '等了好久了']) expect(said(at(text, { greeted: true }, 'waiting')), text).not.toContain(messages.queue_leave_confirm);
  });

  it('in the queue, details are noted for the agent, not answered: "换个格式也一样", "I\'m using a Mac", "就那个录制按钮"; "我去官网重新下一个", "那我不要了" ask to leave', () => {
    for (const text of ['换个格式也一样', "I'm using a Mac", '就那个录制按钮']) {
      expect(said(at(text, { greeted: true }, 'waiting')), text).toEqual([messages.waiting_noted]);
    }
    for (const text of ['好吧我去官网重新下一个', '哦 不是视频的啊 那我不要了']) {
      expect(said(at(text, { greeted: true }, 'waiting')), text).toEqual([messages.queue_leave_confirm]);
    }
  });
});

describe('the seventeenth stranger test', () => {
  it('"挺快的 5" is a 5, not a question for the queue; "1 解决不了问题" is a 1 and the chat back to a person', () => {
    expect(rating('挺快的 5').outcome).toEqual({ type: 'rating', score: 5 });
    expect(handedOff(rating('挺快的 5'))).toBe(false);
    const back = rating('1 解决不了问题');
    expect(back.outcome).toEqual({ type: 'rating', score: 1 });
    expect(said(back)).toEqual([messages.resolved_not_solved]);
    expect(handedOff(back)).toBe(true);
  });

  it('"转人工处理下" asks for a person; "就第二个吧" picks the second of a list; "不行" to an offer of a person is a yes', () => {
    expect(handedOff(at('转人工处理下', { greeted: true }))).toBe(true);
    const [list, pick] = chat(['录屏的快捷键是什么', '就第二个吧']);
    expect(answered(pick!)).toEqual([list!.session.offered![1]]);
    const [, , no] = chat(['录屏没声音', '2', '不行']);
    expect(no!.actions).toContainEqual({ type: 'handoff', reason: 'not_helpful', question: '录屏没声音' });
  });

  it('"hao le xiexie" after an answer is helpful; in the queue "那我明儿再来" and "好，学会了" ask whether to leave', () => {
    const [, ok] = chat(['录屏没声音', 'hao le xiexie']);
    expect(ok!.outcome).toMatchObject({ type: 'helpful' });
    for (const text of ['那我明儿再来', '好，学会了']) expect(said(at(text, { greeted: true }, 'waiting')), text).toEqual([messages.queue_leave_confirm]);
  });

  it('their phone right after a list ("是安卓手机 华为的") is read with the question behind it: a person here, not a second list', () => {
    const [list, phone] = chat(['我想把手机上的东西录下来怎么弄啊', '是安卓手机 华为的']);
    expect(list!.outcome).toEqual({ type: 'suggest' });
    expect(phone!.actions).toContainEqual({ type: 'handoff', reason: 'low_confidence', question: '我想把手机上的东西录下来怎么弄啊，是安卓手机 华为的' });
    expect(phone!.session.suggested).toBeFalsy();
  });
});
