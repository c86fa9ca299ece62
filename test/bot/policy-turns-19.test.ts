/**
 * What the nineteenth stranger test found, each said with what the bot had done: "问你个事 1+1等于几"
 * got the export answer (个事 read as 格式); "找不到 你给我找个人" got the save-location answer;
 * "有了 好多了" went to a person; "录好了的在那里看" was thanks; "原神" or "我是用手机" right after a
 * list got another list; a second guess right after one the bot was unsure of; "显卡编码" got
 * "the answer is above"; "你们有没有人工啊帮我看看" in the queue got the login answer; "能放了" in
 * the queue was only noted.
 */
import { describe, expect, it } from 'vitest';
import { acknowledgement } from '../../src/bot/policy/acks.ts';
import { namesDevice } from '../../src/bot/policy/words.ts';
import type { Decision } from '../../src/bot/types.ts';
import { productTurns } from '../support/policy.ts';

const p = productTurns();
const { at, chat, said, answered } = p;
const t0 = Date.UTC(2026, 0, 5, 2);
const handoff = (d: Decision): { reason: string; question?: string } | undefined => d.actions.flatMap((a) => (a.type === 'handoff' ? [{ reason: a.reason, question: a.question }] : []))[0];

/** Queued, then `text` in the queue a minute later. */
const inQueue = (text: string): Decision => at(text, at('转人工', { greeted: true }).session, 'waiting', t0 + 60_000);

it('"问你个事 1+1等于几": 个事 is grammar, not a slip of the FAQ\'s 格式; no answer', () => {
  expect(p.kb.matcher.match('问你个事 1+1等于几').decision).not.toBe('answer');
  // A real slip still reads as the FAQ's word.
  expect(p.kb.matcher.match('支持哪些格试')).toMatchObject({ decision: 'answer', id: 'export-formats' });
});

it('"找不到 你给我找个人" asks for a person', () => {
  const [, person] = chat(['录屏没声音', '找不到 你给我找个人']);
  expect(handoff(person!)?.reason).toBe('customer_asked');
});

describe('acknowledgements', () => {
  it('"有了 好多了", "好多了 谢谢" are it working; "录好了的在那里看" asks where (那 for 哪)', () => {
    expect(acknowledgement('有了 好多了')).toBe('helpful');
    expect(acknowledgement('好多了 谢谢')).toBe('helpful');
    expect(acknowledgement('录好了的在那里看')).toBeUndefined();
  });

  it('"有了 好多了" after a list is not a question for a person', () => {
    const [, better] = chat(['麦克风录进去全是电流声 滋滋滋的', '有了 好多了']);
    expect(handoff(better!)).toBeUndefined();
  });
});

describe('right after a list', () => {
  it('a detail that asks nothing ("原神") and finds nothing with the question behind the list: a person, who sees both', () => {
    const [list, game] = chat(['录全屏游戏录出来是黑屏 有声音没画面', '原神']);
    expect(list!.outcome).toEqual({ type: 'suggest' });
    expect(handoff(game!)).toEqual({ reason: 'low_confidence', question: '录全屏游戏录出来是黑屏 有声音没画面，原神' });
  });

  it('"我是用手机" names a device', () => {
    expect(namesDevice('我是用手机')).toBe(true);
    expect(namesDevice('我用安卓')).toBe(true);
  });

  it('a second guess right after one the bot was unsure of goes to a person', () => {
    const [first, second] = chat(['有没有那种回放功能 就是打游戏的时候按个键保存刚才30秒的', '哦 那以后会加吗']);
    expect(said(first!)[0]).toMatch(new RegExp(`^${p.messages.suggest_header_unsure}`));
    expect(first!.session.unsureList).toBe(true);
    expect(handoff(second!)?.reason).toBe('low_confidence');
  });
});

it('"有没有用显卡编码的选项" after the lag answer is its hardware-acceleration line (显卡编码 is 硬件加速)', () => {
  const [, gpu] = chat(['录lol的时候掉帧严重 本来144帧录的时候只有60多 咋整', '显卡3060 有没有用显卡编码的选项']);
  expect(answered(gpu!)).toEqual([]);
  expect(said(gpu!).join('')).toContain('硬件加速');
});

describe('in the queue', () => {
  it('"你们有没有人工啊帮我看看我弄不来" asks for a person: the place, not the login answer', () => {
    const d = inQueue('你们有没有人工啊帮我看看我弄不来');
    expect(answered(d)).toEqual([]);
    expect(d.actions).toEqual([{ type: 'queue_place', tell: 'place' }]);
  });

  it('"能放了 还好还好" says it works now: asked whether to leave the queue', () => {
    expect(said(inQueue('能放了 还好还好'))).toEqual([p.messages.queue_leave_confirm]);
  });
});
