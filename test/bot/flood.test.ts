/**
 * Issue 11, item 2: the flood guard never loses a customer's message. Chinese customers often type
 * one question as many short bubbles: every one reaches the transcript; only what the bot says is
 * throttled (never while a person has the chat), and a true flood beyond the per-conversation cap
 * leaves a visible note of what was cut.
 *
 * The real Wechaty runtime on wechaty-puppet-mock and a real redis-server (./harness.ts); the flood
 * guards run on a clock the tests move instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptMessage } from '../../src/handoff/index.ts';
import { renderAnswer } from '../../src/knowledge/index.ts';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

/** The flood guards' clock: moved by the tests. */
let clock = Date.now();
const FLOOD = { max: 6, windowS: 10, muteS: 60 };
/** Well above the 16 lines a test below sends in a burst; low enough to flood in a test. */
const CAP = 40;

let h: Harness;
beforeAll(async () => {
  h = await startHarness(server.url, { now: () => clock, flood: FLOOD, floodCap: { perMin: CAP, flushMs: 1_000 } });
});
afterAll(async () => {
  await h?.stop();
});

const ALICE = { id: 'alice', name: 'Alice' };
const QUEUED = /排第 \d+ 位/;

const customerTexts = (t: TranscriptMessage[]): string[] => t.filter((m) => m.from === 'customer').map((m) => m.text);

/** Waits until the customer's transcript holds `n` of their messages; returns their texts. */
async function recorded(c: MockCustomer, n: number, timeoutMs = 8_000): Promise<string[]> {
  let texts: string[] = [];
  await waitFor(
    () => `${n} customer messages in the transcript (got ${texts.length})`,
    async () => (texts = customerTexts(await c.transcript())).length >= n,
    timeoutMs,
  );
  return texts;
}

/** The first message of the answer to an FAQ question. */
const answerTo = (q: string): string => {
  const r = h.knowledge.match(q);
  if (r.decision !== 'answer' || !r.id) throw new Error(`not answered outright: ${q}`);
  return renderAnswer(h.knowledge.matcher().entry(r.id)!.answer)[0]!;
};

/** FAQ questions the bot answers outright (no "did you mean", no handoff). */
function answerable(): string[] {
  return h.knowledge
    .matcher()
    .kb.entries.map((e) => e.question)
    .filter((q) => h.knowledge.match(q).decision === 'answer');
}

describe('flood control keeps every customer message', () => {
  it('15 quick lines while an agent owns the chat: all 15 are recorded, and a line 25 s later too; the bot stays quiet', async () => {
    const c = h.customer({ name: '连发客户' });
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    await h.handoff.claim(id, ALICE);
    const heard = c.heard.length;

    const lines = Array.from({ length: 15 }, (_, i) => `第${i + 1}句`);
    for (const line of lines) c.say(line);
    expect(await recorded(c, 16)).toEqual(['转人工', ...lines]);

    clock += 25_000;
    c.say('还在吗？');
    expect(await recorded(c, 17)).toEqual(['转人工', ...lines, '还在吗？']);
    // One more line: once it is recorded, the turn of every line before it is over, replies included.
    c.say('好的');
    expect(await recorded(c, 18)).toEqual(['转人工', ...lines, '还在吗？', '好的']);
    expect(c.heard.slice(heard)).toEqual([]);
    // The agent sees them: live events for every line.
    const events = await h.handoff.eventsBetween(h.botId, '0');
    expect(events.filter((e) => e.conv === id && e.type === 'message' && e.data.from === 'customer')).toHaveLength(18);
  });

  it('a customer flooding the bot gets at most the throttled number of replies and one "slow down", but every message is recorded', async () => {
    const questions = answerable();
    expect(questions.length).toBeGreaterThan(3);
    const c = h.customer({ name: '刷屏客户' });
    const burst = Array.from({ length: 15 }, (_, i) => questions[i % questions.length]!);
    for (const q of burst) c.say(q);
    // Recorded: every line of the burst was decided on (the guard's clock read) before it moves.
    expect(await recorded(c, 15)).toEqual(burst);

    // 25 s later the bot is still pausing (muteS = 60): the line is recorded, not answered.
    clock += 25_000;
    c.say(questions[1]!);
    expect(await recorded(c, 16)).toEqual([...burst, questions[1]]);
    // Its turn began after the burst's last one ended: what the burst got is all it gets.
    // FLOOD.max answered turns (each ends with the "有帮助吗" check), then the one warning, then nothing.
    expect(c.heard.filter((t) => t.includes(h.messages.feedback_question))).toHaveLength(FLOOD.max);
    expect(c.heard.filter((t) => t === h.messages.flood)).toHaveLength(1);
    expect(c.heard.at(-1)).toBe(h.messages.flood);
    const bot = (await c.transcript()).filter((m) => m.from === 'bot');
    expect(bot.at(-1)?.text).toBe(h.messages.flood);
    const n = c.heard.length;

    // Another customer is served meanwhile.
    const other = h.customer();
    other.say(questions[0]!);
    await other.hears(h.messages.feedback_question);

    // After the pause the bot answers again: the next line only, not the one said while it paused
    // (that turn ended before this one began).
    clock += 40_000;
    c.say(questions[2]!);
    await c.hears(answerTo(questions[2]!), n);
    await c.hears(h.messages.feedback_question, n);
    expect(c.heard.slice(n).filter((t) => t.includes(answerTo(questions[1]!)))).toEqual([]);
    expect(await recorded(c, 17)).toEqual([...burst, questions[1], questions[2]]);
  });

  it('a true flood beyond the cap: the messages past it are counted, and the transcript says how many were cut, before the next one', async () => {
    const c = h.customer({ name: '脚本客户' });
    const lines = Array.from({ length: CAP + 25 }, (_, i) => `刷屏消息第${i + 1}条，内容很长很长很长`);
    for (const line of lines) c.say(line);
    expect(await recorded(c, CAP)).toEqual(lines.slice(0, CAP));
    // A minute later the cap has room again: the note of the cut goes in before this message.
    clock += 60_000;
    c.say('请问在吗');
    await recorded(c, CAP + 1);
    const t = await c.transcript();
    const kept = t.filter((m) => m.from === 'customer' || m.kind === 'flood_cut');
    expect(kept.map((m) => m.text)).toEqual([
      ...lines.slice(0, CAP),
      `客户刷屏：另有 25 条消息未逐条保存，开头如 「${lines[CAP]!.slice(0, 20)}」「${lines[CAP + 1]!.slice(0, 20)}」「${lines[CAP + 2]!.slice(0, 20)}」`,
      '请问在吗',
    ]);
    expect(kept.at(-2)).toMatchObject({ from: 'system', kind: 'flood_cut' });
  });

  it('a flood that just stops is noted too, within flushMs, without another message', async () => {
    const c = h.customer({ name: '脚本客户二' });
    const lines = Array.from({ length: CAP + 3 }, (_, i) => `x${i}`);
    for (const line of lines) c.say(line);
    await waitFor('the note of the cut', async () => (await c.transcript()).some((m) => m.kind === 'flood_cut'), 8_000);
    const t = await c.transcript();
    expect(customerTexts(t)).toEqual(lines.slice(0, CAP));
    expect(t.filter((m) => m.kind === 'flood_cut').map((m) => m.text)).toEqual([`客户刷屏：另有 3 条消息未逐条保存，开头如 「x${CAP}」「x${CAP + 1}」「x${CAP + 2}」`]);
  });
});
