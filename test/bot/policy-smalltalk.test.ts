/**
 * The policy's small talk and dead ends (src/bot/policy/chitchat.ts), and the outcomes the
 * learning from traffic reads: `smalltalk`, `picked` (a pick from a "did you mean" list) and
 * `rejected` (an answer turned down right after it was given).
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMessages, type Messages } from '../../src/bot/messages.ts';
import { decide, DEFAULT_POLICY_OPTIONS, type PolicyKnowledge, type PolicyOptions } from '../../src/bot/policy.ts';
import { WAIT_ACK_MS, WAIT_ASK_MS } from '../../src/bot/policy/waiting.ts';
import type { Action, Decision, Session } from '../../src/bot/types.ts';
import type { ConversationStatus } from '../../src/handoff/types.ts';
import { playChat } from '../support/policy.ts';
import { alone } from '../../src/bot/policy/chitchat.ts';
import { DEFAULT_SMALLTALK, loadKnowledgeBase, Matcher, menuEntries } from '../../src/knowledge/index.ts';

const KB_DIR = fileURLToPath(new URL('../fixtures/policy-kb', import.meta.url));

let kb: PolicyKnowledge;
let messages: Messages;
let menuBlock: string;

beforeAll(async () => {
  const base = await loadKnowledgeBase(KB_DIR);
  kb = { matcher: new Matcher(base), menu: menuEntries(base) };
  messages = await loadMessages(KB_DIR);
  const productBase = await loadKnowledgeBase(fileURLToPath(new URL('../../knowledge-base', import.meta.url)));
  product = { matcher: new Matcher(productBase), menu: menuEntries(productBase) };
  menuBlock = [messages.menu_header, ...kb.menu.map((e, i) => `${i + 1}. ${e.question}`), messages.menu_footer].join('\n');
});

/** The product's own FAQ (knowledge-base/): answers that say to reply 人工, a 多久 entry. */
let product: PolicyKnowledge;

const OFFER: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, handoffMode: 'offer' };

const ask = (text: string, session: Session = {}, status: ConversationStatus = 'bot', options: PolicyOptions = DEFAULT_POLICY_OPTIONS, k?: PolicyKnowledge): Decision =>
  decide({ text, status, session }, k ?? kb, messages, options);

function chat(texts: string[], options: PolicyOptions = DEFAULT_POLICY_OPTIONS, session: Session = {}): Decision[] {
  return playChat((text, s) => ask(text, s, 'bot', options), texts, session);
}

const said = (d: Decision): string[] => d.actions.flatMap((a) => (a.type === 'say' ? [a.text] : []));
const answered = (d: Decision): string | undefined => d.actions.find((a): a is Extract<Action, { type: 'answer' }> => a.type === 'answer')?.faqId;
const handoffOf = (d: Decision): Extract<Action, { type: 'handoff' }> | undefined => d.actions.find((a): a is Extract<Action, { type: 'handoff' }> => a.type === 'handoff');

describe('small talk: a short reply and the menu, never the queue', () => {
  it.each([
    ['今天天气怎么样', 'smalltalk_weather'],
    ['明天会下雨吗？', 'smalltalk_weather'],
    ['你是机器人吗', 'smalltalk_bot_identity'],
    ['请问你是真人吗？', 'smalltalk_bot_identity'],
    ['你最近好吗', 'smalltalk_how_are_you'],
    ['你真棒！', 'smalltalk_praise'],
    ['哈哈哈', 'smalltalk_chitchat'],
    ['在干嘛呢', 'smalltalk_chitchat'],
    ['讲个笑话吧~', 'smalltalk_chitchat'],
  ] as const)('%s -> %s, then the menu', (text, key) => {
    const d = ask(text);
    expect(d.actions).toEqual([
      { type: 'say', text: messages[key] },
      { type: 'say', text: menuBlock },
    ]);
    expect(d.outcome).toEqual({ type: 'smalltalk' });
    expect(d.session).toEqual({ greeted: true, offered: kb.menu.map((e) => e.id) });
  });

  it.each(['我想咨询一下', '有个问题想问下', '请问一下~', '那个', '麻烦问下', '是这样的', '然后', '我想反馈个问题', '急！！', '求助', '在线等', '帮我看看', '打扰了', '好的谢谢 还有一个问题'])('"%s" announces a question: smalltalk_preamble alone, not a person, not the menu', (text) => {
    const d = ask(text, { greeted: true });
    expect(d.actions).toEqual([{ type: 'say', text: messages.smalltalk_preamble }]);
    expect(d.outcome).toEqual({ type: 'smalltalk' });
    expect(d.session).toEqual({ greeted: true });
  });

  it('the question after the preamble is answered as usual; a preamble with the question in it is the question', () => {
    const [pre, q] = chat(['我想问一下', '会员怎么退款']);
    expect(said(pre!)).toEqual([messages.smalltalk_preamble]);
    expect(answered(q!)).toBeDefined();
    const inOne = ask('我想问一下，会员怎么退款');
    expect(answered(inOne)).toBe(answered(q!));
    // Asked together with what the FAQ cannot answer: that question, not "您请说".
    expect(said(ask('我想咨询一下，你们公司在哪个城市'))).not.toContain(messages.smalltalk_preamble);
  });

  it('small talk in a row: the menu once, then the phrase alone while the menu still answers to its numbers', () => {
    const [first, second, pick] = chat(['你是机器人吗', '哈哈哈', '2']);
    expect(said(first!)).toEqual([messages.smalltalk_bot_identity, menuBlock]);
    expect(said(second!)).toEqual([messages.smalltalk_chitchat]);
    // A phrase that leads into the menu ends in a colon; said alone it does not.
    const [, weather] = chat(['你是机器人吗', '今天天气怎么样'], DEFAULT_POLICY_OPTIONS);
    expect(said(weather!)).toEqual(['测试：查不了天气，别的尽管问~']);
    expect(alone('有问题尽管问我：')).toBe('有问题尽管问我~');
    expect(second!.session.offered).toEqual(kb.menu.map((e) => e.id));
    expect(answered(pick!)).toBe(kb.menu[1]!.id);
  });

  it('the menu after small talk is pickable by number', () => {
    const [, pick] = chat(['今天天气怎么样', '2']);
    expect(answered(pick!)).toBe(kb.menu[1]!.id);
    expect(pick!.outcome).toEqual({ type: 'answer', faqId: kb.menu[1]!.id });
  });

  it('after a menu pick, a number past the related questions is the menu\'s again (scrolled back up to it); one of them stays theirs', () => {
    const [, six, five] = chat(['今天天气怎么样', '6', '5']);
    expect(answered(six!)).toBe(kb.menu[5]!.id);
    const related = six!.session.offered ?? [];
    expect(5).toBeGreaterThanOrEqual((six!.session.offeredFrom ?? 1) + related.length);
    expect(answered(five!)).toBe(kb.menu[4]!.id);
    if (related.length > 0) expect(answered(chat(['今天天气怎么样', '6', '3'])[2]!)).toBe(related[0]);
  });

  it('thanks and bye in other words: their phrase alone (a conversation ending needs no menu)', () => {
    expect(ask('太感谢了🙏', { greeted: true })).toEqual({
      actions: [{ type: 'say', text: messages.smalltalk_thanks }],
      session: { greeted: true },
      outcome: { type: 'smalltalk' },
    });
    expect(ask('好的拜拜～').actions).toEqual([{ type: 'say', text: messages.smalltalk_bye }]);
    // The plain words keep their short closing.
    expect(ask('谢谢').actions).toEqual([{ type: 'say', text: messages.closing }]);
  });

  it('a greeting as before: with the menu on first contact, greeting_again later, whatever its filler', () => {
    for (const text of ['你好呀～', '您好！', '哈喽哈喽!!']) {
      const first = ask(text);
      expect(said(first), text).toEqual([messages.greeting, menuBlock]);
      expect(first.outcome).toEqual({ type: 'smalltalk' });
      expect(ask(text, { greeted: true }).actions, text).toEqual([{ type: 'say', text: messages.greeting_again }]);
    }
  });

  it('"在吗" is presence: the greeting and menu on first contact, presence_again (not greeting_again) later', () => {
    // "在？", "人呢", "喂": as common a first bubble as 在吗, never a question to hand to a person.
    for (const text of ['在吗', '您好，请问在吗', '有人在吗？', '在？', '在?', '在不', '亲在不', '老板在吗', '人呢', '喂', '有空吗', '回复啊']) {
      expect(said(ask(text)), text).toEqual([messages.greeting, menuBlock]);
      expect(ask(text, { greeted: true }).actions, text).toEqual([{ type: 'say', text: messages.presence_again }]);
    }
  });

  it('a question after "在？" or "急" is answered as usual, not held by the small talk', () => {
    expect(ask('在？ 录屏没声音').actions[0]).toMatchObject({ type: 'answer', faqId: 'no-sound' });
    expect(ask('急 录屏没声音').actions[0]).toMatchObject({ type: 'answer', faqId: 'no-sound' });
    expect(ask('在哪里开发票').actions[0]).toMatchObject({ type: 'answer', faqId: 'invoice' });
  });

  it('"呵呵 又是机器人" asks who answers: the bot says what it is, no person', () => {
    expect(said(ask('呵呵 又是机器人'))[0]).toBe(messages.smalltalk_bot_identity);
  });

  it('"是真人吗" asks who answers; asking for a real person still hands off', () => {
    expect(handoffOf(ask('你是真人吗'))).toBeUndefined();
    expect(handoffOf(ask('我要找真人客服'))).toMatchObject({ reason: 'customer_asked' });
    expect(handoffOf(ask('你是机器人吗？转人工'))).toMatchObject({ reason: 'customer_asked' });
  });

  it('the editors\' phrases (_smalltalk.yml) decide what is small talk', () => {
    const own: PolicyKnowledge = { ...kb, smalltalk: { ...DEFAULT_SMALLTALK, phrases: { ...DEFAULT_SMALLTALK.phrases, weather: [], chitchat: ['打游戏'] } } };
    expect(handoffOf(ask('今天天气怎么样', {}, 'bot', DEFAULT_POLICY_OPTIONS, own))).toMatchObject({ reason: 'low_confidence' });
    expect(said(ask('打游戏吗', {}, 'bot', DEFAULT_POLICY_OPTIONS, own))[0]).toBe(messages.smalltalk_chitchat);
  });

  it('waiting or with an agent: silent, as any message', () => {
    expect(ask('今天天气怎么样', { greeted: true }, 'waiting').actions).toEqual([]);
    expect(ask('哈哈', { greeted: true }, 'active').actions).toEqual([]);
  });
});

describe('small talk does not swallow questions', () => {
  it('a greeting or thanks around a question: the FAQ answers', () => {
    expect(answered(ask('你好，退款怎么弄'))).toBe('refund');
    expect(answered(ask('谢谢！那怎么去掉水印'))).toBe('remove-watermark');
    expect(answered(ask('哈哈，录屏没声音怎么办'))).toBe('no-sound');
  });

  it('a question that only shares a word with small talk is the FAQ\'s (here: no entry, a person)', () => {
    const d = ask('天气冷了暖气不热');
    expect(handoffOf(d)).toMatchObject({ reason: 'low_confidence' });
    expect(d.outcome).toEqual({ type: 'unanswered', question: '天气冷了暖气不热' });
  });

  it('a greeting around a question the FAQ cannot answer still goes to a person', () => {
    const d = ask('你好，帮我写首诗');
    expect(handoffOf(d)).toMatchObject({ reason: 'low_confidence' });
    expect(d.outcome?.type).toBe('unanswered');
  });

  it('mostly small talk and the FAQ finds nothing: the small-talk reply', () => {
    expect(kb.matcher.match('今天天气怎么样啊，适合出去玩吗').decision).toBe('handoff');
    const d = ask('今天天气怎么样啊，适合出去玩吗');
    expect(said(d)).toEqual([messages.smalltalk_weather, menuBlock]);
    expect(d.outcome).toEqual({ type: 'smalltalk' });
  });
});

describe('"还是…" some turns after an answer, and giving up', () => {
  it('"还是没收到" a few turns after the login answer is not answered with it again: a person is offered (the fifth stranger test)', () => {
    const turns = playChat((text, s) => ask(text, s, 'bot', DEFAULT_POLICY_OPTIONS, product), ['收不到验证码', '手机号没问题的', '等了好几分钟了', '还是没收到'], {});
    expect(turns[0]!.actions[0]).toMatchObject({ type: 'answer', faqId: 'login-help' });
    // Alone, the message is answered with the same entry: only what was said before tells.
    expect(product.matcher.match('还是没收到')).toMatchObject({ decision: 'answer', id: 'login-help' });
    const last = turns.at(-1)!;
    expect(last.actions.some((a) => a.type === 'answer')).toBe(false);
    expect(last.actions[0]).toEqual({ type: 'feedback', faqId: 'login-help', helpful: false });
    expect(last.outcome).toMatchObject({ type: 'rejected', faqId: 'login-help' });
    expect(last.session.humanOffered).toBe(true);
  });

  it('"算了" with nothing pending: sorry and how to reach a person, no handoff', () => {
    const d = ask('唉 算了', { greeted: true }, 'bot', DEFAULT_POLICY_OPTIONS, product);
    expect(d.actions).toEqual([{ type: 'say', text: messages.gave_up }]);
  });
});

describe('"did you mean" lists the customer does not pick from', () => {
  it('"2" to a "did you mean" of one entry is "都不是" (the fifth stranger test); of two, the second', () => {
    // What "您想问的是不是这个？1. …" leaves.
    const one: Session = { greeted: true, offered: ['no-sound'], suggested: true, question: '声音的问题' };
    const two = ask('2', one);
    expect(two.actions[0]).toEqual({ type: 'say', text: messages.rephrase });
    expect(two.outcome).toEqual({ type: 'unanswered', question: '声音的问题' });
    expect(ask('2', { ...one, offered: ['no-sound', 'refund'] }).actions[0]).toMatchObject({ type: 'answer', faqId: 'refund' });
  });

  it('a third list in a row goes to a person instead (the fourth stranger test); a pick in between starts the count again', () => {
    const texts = ['can I record on iphone?', '手机上能用吗', '安卓呢'];
    // Each of them alone is only a "did you mean" on the product's FAQ.
    for (const q of texts) expect(product.matcher.match(q).decision, q).toBe('suggest');
    const [first, second, third] = playChat((text, s) => ask(text, s, 'bot', DEFAULT_POLICY_OPTIONS, product), texts, {});
    expect(first!.outcome).toEqual({ type: 'suggest' });
    expect(second!.outcome).toEqual({ type: 'suggest' });
    expect(second!.session.listsInRow).toBe(2);
    expect(third!.actions.at(-1)).toMatchObject({ type: 'handoff', reason: 'low_confidence' });
    // "安卓呢" names a device: read with the question behind the list, which the agent sees.
    expect(third!.outcome).toEqual({ type: 'unanswered', question: '手机上能用吗，安卓呢' });
    // Picked from the second list: the next list is a first one again.
    const [, , picked, after] = playChat((text, s) => ask(text, s, 'bot', DEFAULT_POLICY_OPTIONS, product), [texts[0]!, texts[1]!, '1', texts[2]!], {});
    expect(picked!.actions.some((a) => a.type === 'answer')).toBe(true);
    // Read against the answer just picked now (its line, or "it is above"), not a third list.
    expect(after!.actions.some((a) => a.type === 'handoff')).toBe(false);
  });
});

describe('"都不是" after a "did you mean" list', () => {
  it('first time: a prompt to rephrase with the menu; again: a person for the question asked', () => {
    const [list, none, again] = chat(['会员', '都不是', '都不是啊']);
    expect(list!.session).toMatchObject({ suggested: true, question: '会员' });
    // The menu again, without the entries the customer just said were not it.
    const rejected = new Set(list!.session.offered);
    const rest = kb.menu.filter((e) => !rejected.has(e.id));
    expect(rest.length).toBeLessThan(kb.menu.length);
    expect(none!.actions).toEqual([
      { type: 'say', text: messages.rephrase },
      { type: 'say', text: [messages.menu_header, ...rest.map((e, i) => `${i + 1}. ${e.question}`), messages.menu_footer].join('\n') },
    ]);
    expect(none!.session).toEqual({ greeted: true, offered: rest.map((e) => e.id), rephrased: true, question: '会员' });
    expect(none!.outcome).toEqual({ type: 'unanswered', question: '会员' });
    expect(again!.actions).toEqual([
      { type: 'say', text: messages.low_confidence_handoff },
      { type: 'handoff', reason: 'low_confidence', question: '会员' },
    ]);
    // Counted once, when the list did not fit.
    expect(again!.outcome).toBeUndefined();
  });

  it.each(['没有我要的', '都不对', '不是这些', '以上都不是！'])('%s is a dead end too', (text) => {
    expect(said(chat(['会员', text])[1]!)[0]).toBe(messages.rephrase);
  });

  it('the rephrased question gets a new list: "都不是" to it goes to a person, its question counted', () => {
    const [, , list, none] = chat(['会员', '都不是', '会员', '不是这些']);
    expect(list!.session).toMatchObject({ suggested: true, rephrased: true });
    expect(handoffOf(none!)).toEqual({ type: 'handoff', reason: 'low_confidence', question: '会员' });
    expect(none!.outcome).toEqual({ type: 'unanswered', question: '会员' });
  });

  it('the rephrased question the FAQ cannot answer goes to a person, as any such question', () => {
    const [, , next] = chat(['会员', '都不是', '今天天气怎么样啊，适合出去玩吗']);
    expect(handoffOf(next!)).toMatchObject({ reason: 'low_confidence' });
    expect(next!.outcome).toEqual({ type: 'unanswered', question: '今天天气怎么样啊，适合出去玩吗' });
  });

  it('an answer ends the retry: a later list starts afresh', () => {
    const [, , answer, list, none] = chat(['会员', '都不是', '会员可以退款吗', '会员', '都不是']);
    expect(answered(answer!)).toBe('refund');
    expect(answer!.session.rephrased).toBeUndefined();
    expect(list!.session.rephrased).toBeUndefined();
    expect(said(none!)[0]).toBe(messages.rephrase);
  });

  it('offer mode: the second dead end offers a person; "1" queues the question asked', () => {
    const [, , again, yes] = chat(['会员', '都不是', '都不是', '1'], OFFER);
    expect(again!.actions).toEqual([{ type: 'say', text: messages.low_confidence_offer }]);
    expect(yes!.actions).toEqual([{ type: 'handoff', reason: 'low_confidence', question: '会员' }]);
  });

  it('without a list "都不是" is no dead end', () => {
    expect(said(ask('都不是'))).not.toContain(messages.rephrase);
    expect(said(chat(['录屏没声音怎么办', '1', '都不是'])[2]!)).not.toContain(messages.rephrase);
  });
});

describe('outcomes for learning from traffic', () => {
  it('picked: an entry chosen from a "did you mean" list, by number or typed out, with the question behind the list', () => {
    const ids = kb.matcher.match('会员').candidates.map((c) => c.id);
    expect(chat(['会员', '第2个'])[1]!.outcome).toEqual({ type: 'picked', faqId: ids[1], question: '会员' });
    const typed = kb.matcher.entry(ids[2]!)!.question;
    expect(chat(['会员', typed])[1]!.outcome).toEqual({ type: 'picked', faqId: ids[2], question: '会员' });
  });

  it('a pick from the menu or the related questions is an answer, not picked', () => {
    expect(chat(['菜单', '1'])[1]!.outcome).toEqual({ type: 'answer', faqId: kb.menu[0]!.id });
    expect(chat(['录屏没声音怎么办', '3'])[1]!.outcome).toEqual({ type: 'answer', faqId: 'mac-permission' });
    expect(chat(['会员', '都不是', '1'])[2]!.outcome).toEqual({ type: 'answer', faqId: kb.menu[0]!.id });
  });

  it('in the queue, "人呢" / "还要等多久" get the place in the queue (a ping once per few minutes), never an FAQ answer about 多久', async () => {
    // The stranger test: "还要等多久" in the queue was answered with the free plan's 10-minute recording limit.
    expect(product.matcher.match('还要等多久').decision).toBe('answer');
    const t0 = Date.parse('2026-12-07T02:00:00Z');
    const waiting = (text: string, session: Session, now: number): Decision => decide({ text, status: 'waiting', session, now }, product, messages, DEFAULT_POLICY_OPTIONS);
    const PLACE = [{ type: 'queue_place', tell: 'place' }];
    for (const text of ['人呢？？？', '在吗', '还要等多久', '要等多久才有人回我', '怎么还没人回', '前面还有几个人', '喂', '？？？', '排到第几了', '还要多久', '多久啊', '排第几了', '什么时候能处理', '一直没人回', '您好？', '等多久', '到我了没', 'ETA?', '是不是下班了', '有没有人啊', '仲要等几耐啊', 'how long', '请问大概要多久呢', '啥子时候有人哦']) {
      const d = waiting(text, {}, t0);
      expect(d.actions, text).toEqual(PLACE);
      expect(d.session.waitAckAt, text).toBe(t0);
    }
    const first = waiting('人呢', {}, t0);
    // Another ping soon after: nothing; a question about the wait in so many words after WAIT_ASK_MS: the place again.
    expect(waiting('人呢？', first.session, t0 + 60_000).actions).toEqual([]);
    expect(waiting('还要等多久', first.session, t0 + WAIT_ASK_MS - 1).actions).toEqual([]);
    expect(waiting('还要等多久', first.session, t0 + WAIT_ASK_MS).actions).toEqual(PLACE);
    expect(waiting('人呢', first.session, t0 + WAIT_ACK_MS).actions).toEqual(PLACE);
    // Impatience or anger: an apology with the place, on its own clock (just after the place was told).
    const sorry = waiting('好慢', first.session, t0 + 10_000);
    for (const text of ['到底还要等多久😡', '好慢', '这么久？？', '人呢 装死是吧', '咁慢嘅', '磨叽啥呢', '瞅啥呢 赶紧的']) expect(waiting(text, first.session, t0 + 10_000).actions, text).toEqual([{ type: 'queue_place', tell: 'sorry' }]);
    // A complaint also moves the chat up the queue, before the place is read.
    for (const text of ['再不回我去12315了', '我要投诉', '你们这什么客服啊', '垃圾', '我要差评 应用商店给你们一星', '你们这是诈骗吧']) expect(waiting(text, first.session, t0 + 10_000).actions, text).toEqual([{ type: 'escalate' }, { type: 'queue_place', tell: 'escalated' }]);
    // A complaint right after an apology for the wait still gets its answer (its own clock).
    expect(waiting('再不回我去12315了', sorry.session, t0 + 20_000).actions).toEqual([{ type: 'escalate' }, { type: 'queue_place', tell: 'escalated' }]);
    expect(waiting('好慢啊', sorry.session, t0 + 20_000).actions).toEqual([]);
    // A question the FAQ answers is still answered while waiting; silence for the rest.
    expect(waiting('会员能退款吗', {}, t0).actions[0]).toMatchObject({ type: 'answer', faqId: 'refund' });
    expect(waiting('好的', {}, t0).actions).toEqual([]);
  });

  it('angry with a question the FAQ answers: sorry first, then the answer', async () => {
    const d = ask('我要退款！！！你们这个软件太垃圾了', {}, 'bot', DEFAULT_POLICY_OPTIONS, product);
    expect(d.actions[0]).toEqual({ type: 'say', text: messages.answer_apology });
    expect(d.actions[1]).toMatchObject({ type: 'answer', faqId: 'refund' });
    expect(d.outcome).toEqual({ type: 'answer', faqId: 'refund' });
    // Calm, no apology.
    expect(ask('会员能退款吗', {}, 'bot', DEFAULT_POLICY_OPTIONS, product).actions[0]).toMatchObject({ type: 'answer', faqId: 'refund' });
  });

  it('not rejected: 人工 right after an answer that says to reply 人工 follows it; the agent sees the question', async () => {
    // The product's FAQ: past 7 days a refund is handled by a person ("请回复「人工」说明情况").
    expect(product.matcher.entry('refund')!.answer).toContain('回复「人工」');
    const play = (texts: string[]): Decision[] => playChat((text, s) => ask(text, s, 'bot', DEFAULT_POLICY_OPTIONS, product), texts, {});
    for (const person of ['人工', '转人工', '人工客服。']) {
      const [first, d] = play(['会员能退款吗', person]);
      expect(answered(first!)).toBe('refund');
      expect(d!.actions, person).toEqual([{ type: 'handoff', reason: 'customer_asked', question: '会员能退款吗' }]);
      expect(d!.outcome, person).toBeUndefined();
    }
    // A verdict on the answer with it is still a rejection.
    for (const verdict of ['垃圾答案，转人工', '人工！说了半天没用']) {
      expect(play(['会员能退款吗', verdict])[1]!.outcome, verdict).toMatchObject({ type: 'rejected', faqId: 'refund' });
    }
  });

  it('rejected: a request for a person right after an answer; the handoff as ever', () => {
    const [, d] = chat(['录屏没声音怎么办', '转人工']);
    expect(d!.actions).toEqual([{ type: 'handoff', reason: 'customer_asked' }]);
    expect(d!.outcome).toEqual({ type: 'rejected', faqId: 'no-sound', question: '录屏没声音怎么办' });
    expect(ask('转人工').outcome).toBeUndefined();
  });

  it.each(['还是不行啊', '没解决呢', '答非所问', '不是我要的！'])('rejected: "%s" right after an answer offers a person like "2"', (text) => {
    const [, d] = chat(['录屏没声音怎么办', text]);
    expect(d!.actions).toEqual([
      { type: 'feedback', faqId: 'no-sound', helpful: false },
      { type: 'say', text: messages.not_helpful_offer },
    ]);
    expect(d!.session).toEqual({ humanOffered: true, offerReason: 'not_helpful', question: '录屏没声音怎么办', rejected: 'no-sound', answered: ['no-sound'] });
    expect(d!.outcome).toEqual({ type: 'rejected', faqId: 'no-sound', question: '录屏没声音怎么办' });
  });

  it('the check\'s own words stay not_helpful', () => {
    for (const text of ['2', '没解决', '还是不行', '不对']) {
      expect(chat(['录屏没声音怎么办', text])[1]!.outcome, text).toEqual({ type: 'not_helpful', faqId: 'no-sound', question: '录屏没声音怎么办' });
    }
  });

  it('thanks or praise in other words right after an answer are "helpful"', () => {
    for (const text of ['太感谢了！', '你真棒', '好的谢谢']) {
      const [, d] = chat(['录屏没声音怎么办', text]);
      expect(d!.actions[0], text).toEqual({ type: 'feedback', faqId: 'no-sound', helpful: true });
      expect(d!.outcome, text).toEqual({ type: 'helpful', faqId: 'no-sound', question: '录屏没声音怎么办' });
    }
  });
});
