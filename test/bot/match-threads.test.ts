/**
 * The bot matching on a worker thread (MATCH_THREADS) through the real Wechaty runtime on
 * wechaty-puppet-mock and a real redis-server: customers asking at once get the answers the
 * matcher gives, every message is in its transcript once, and the matches came from the thread.
 * Also: the Redis client sends the commands of one turn of the loop in one socket write.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/handoff/index.ts';
import { MatchThreads, renderAnswer } from '../../src/knowledge/index.ts';
import { startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness | undefined;
let threads: MatchThreads | undefined;
afterEach(async () => {
  await h?.stop();
  await threads?.close();
  h = undefined;
  threads = undefined;
});

const QUESTIONS = ['请问怎么退款呀', '麻烦问下发票怎么开？', '忘记密码了怎么办', '录屏没有声音怎么办', '导出的视频有水印吗'];

/** The first line of the answer the matcher gives `q` (it must answer). */
function answerTo(q: string): string {
  const r = h!.knowledge.matcher().match(q);
  expect(r.decision).toBe('answer');
  return renderAnswer(h!.knowledge.matcher().entry(r.id!)!.answer)[0]!.slice(0, 20);
}

describe('matching on a thread', () => {
  it('answers customers asking at once as the matcher does, and records every message once', async () => {
    threads = new MatchThreads({ threads: 1 });
    h = await startHarness(server.url, { matchThreads: threads, flood: { max: 100, windowS: 1, muteS: 1 } });
    const customers = QUESTIONS.map((_, i) => h!.customer({ name: `线程顾客${i}` }));
    // The thread loads the bot's FAQ first (questions meanwhile are matched on the loop, as the first round shows).
    customers.forEach((c, i) => c.say(QUESTIONS[i]!));
    await Promise.all(customers.map((c, i) => c.hears(answerTo(QUESTIONS[i]!))));
    for (let i = 0; i < 100 && threads.counts.threaded === 0; i++) {
      await threads.match(h.knowledge.matcher(), '你好');
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = threads.counts.threaded;
    // Each asks another customer's question now (the same one twice in a row is not answered twice).
    const next = (i: number): string => `${QUESTIONS[(i + 1) % QUESTIONS.length]!}？`;
    const from = customers.map((c) => c.heard.length);
    customers.forEach((c, i) => c.say(next(i)));
    await Promise.all(customers.map((c, i) => c.hears(answerTo(next(i)), from[i])));
    expect(threads.counts.threaded - before).toBe(QUESTIONS.length);
    for (const c of customers) {
      const conv = await c.conversationId();
      const said = (await h.handoff.transcript(conv)).filter((m) => m.from === 'customer');
      expect(said).toHaveLength(2);
    }
  });
});

describe('the Redis client', () => {
  it('sends the commands of one turn of the loop in one write, replies in order', async () => {
    const redis = createRedis({ url: server.url }) as Redis;
    try {
      await redis.ping();
      const stream = redis.stream;
      const sent: number[] = [];
      const write = stream._write.bind(stream);
      const writev = stream._writev?.bind(stream);
      stream._write = (chunk: unknown, enc: BufferEncoding, cb: (err?: Error | null) => void) => {
        sent.push(1);
        write(chunk, enc, cb);
      };
      stream._writev = writev
        ? (chunks: { chunk: unknown; encoding: BufferEncoding }[], cb: (err?: Error | null) => void) => {
            sent.push(chunks.length);
            writev(chunks, cb);
          }
        : undefined;
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.echo(`m${i}`)));
      expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      // One system call for the twenty (uncorked they went one by one).
      expect(sent).toEqual([20]);
    } finally {
      redis.disconnect();
    }
  });
});
