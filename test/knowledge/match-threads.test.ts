/**
 * Matching on worker threads (src/knowledge/match-threads.ts): the same answers as the matcher on
 * the loop, the knowledge base the caller holds (never an older one), and a question never lost
 * when a thread is not ready, stops answering or dies.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadKnowledgeBase, Matcher, MatchThreads } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';

const KB_DIR = path.resolve(import.meta.dirname, '../../knowledge-base');
const QUESTIONS = ['怎么退款', '请问一下，怎么开通会员呢？', '录屏没有生音怎么办', 'tuikuan zenme tui', '昨天买了年度会员，用了两天觉得不好用，钱能退吗', '今天天气怎么样', 'how do I get a refund'];

let threads: MatchThreads | undefined;
afterEach(async () => {
  await threads?.close();
  threads = undefined;
});
afterAll(removeTrees);

/** Asks until a thread has loaded `matcher`'s knowledge base (the first questions are matched on the loop meanwhile). */
async function warm(t: MatchThreads, matcher: Matcher): Promise<void> {
  for (let i = 0; i < 200 && t.counts.threaded === 0; i++) {
    await t.match(matcher, '你好');
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(t.counts.threaded).toBeGreaterThan(0);
}

/**
 * A thread's first load (its module graph, the lexicons, the segmenter) can take longer than the
 * default 2 s on a busy 2-CPU machine; these tests are about what happens, not how fast.
 */
const PATIENT = { threads: 1, timeoutMs: 20_000 } as const;

describe('MatchThreads', () => {
  it('answers as the matcher on the loop does, questions of one turn in one batch', async () => {
    const matcher = new Matcher(await loadKnowledgeBase(KB_DIR));
    threads = new MatchThreads(PATIENT);
    await warm(threads, matcher);
    const before = threads.counts.threaded;
    const got = (await Promise.all(QUESTIONS.map((q) => threads!.match(matcher, q)))).map((m) => m.result);
    expect(got).toEqual(QUESTIONS.map((q) => matcher.match(q)));
    expect(threads.counts.threaded - before).toBe(QUESTIONS.length);
    // The engine's time comes back with each answer (the bot's match-duration metric).
    const timed = await threads.match(matcher, '怎么退款');
    expect(timed.seconds).toBeGreaterThan(0);
  });

  it('load sends a knowledge base ahead of its questions: the first question is already matched on a thread', async () => {
    const matcher = new Matcher(await loadKnowledgeBase(KB_DIR));
    threads = new MatchThreads(PATIENT);
    expect(await threads.load(matcher)).toBe(true);
    expect(await threads.load(matcher)).toBe(true);
    expect((await threads.match(matcher, '怎么退款')).result).toEqual(matcher.match('怎么退款'));
    expect(threads.counts).toEqual({ threaded: 1, fallback: 0 });
    // Without threads there is nothing to load: every question is matched on the loop.
    const none = new MatchThreads({ threads: 0 });
    expect(await none.load(matcher)).toBe(false);
    await none.match(matcher, '怎么退款');
    expect(none.counts).toEqual({ threaded: 0, fallback: 1 });
    await none.close();
  });

  it('matches against the knowledge base the caller holds after a reload', async () => {
    const oldKb = new Matcher(await loadKnowledgeBase(await makeTree({ 'refund.md': entry('question: 怎么申请退款\nkeywords: [退款]', '在订单页点申请退款。') })));
    const newKb = new Matcher(
      await loadKnowledgeBase(
        await makeTree({
          'refund.md': entry('question: 怎么申请退款\nkeywords: [退款]', '在订单页点申请退款。'),
          'invoice.md': entry('question: 怎么开发票\nkeywords: [发票]', '在订单页点开发票。'),
        }),
      ),
    );
    threads = new MatchThreads(PATIENT);
    await warm(threads, oldKb);
    expect((await threads.match(oldKb, '怎么开发票')).result.id).not.toBe('invoice');
    // The new version: on the loop until the thread has it, then from the thread, never the old one's answer.
    for (let i = 0; i < 40; i++) expect((await threads.match(newKb, '怎么开发票')).result.id).toBe('invoice');
    await new Promise((r) => setTimeout(r, 500));
    const threaded = threads.counts.threaded;
    expect((await threads.match(newKb, '怎么开发票')).result.id).toBe('invoice');
    expect(threads.counts.threaded).toBe(threaded + 1);
  });

  it('a thread that dies loses no question, and is started again', async () => {
    const matcher = new Matcher(await loadKnowledgeBase(KB_DIR));
    threads = new MatchThreads({ threads: 1, timeoutMs: 300 });
    await warm(threads, matcher);
    const inner = threads as unknown as { threads: { worker: import('node:worker_threads').Worker }[] };
    const first = inner.threads[0]!.worker;
    // Asked, then the thread is killed before it answers: the questions are matched on the loop.
    const asked = QUESTIONS.map((q) => threads!.match(matcher, q));
    await first.terminate();
    expect((await Promise.all(asked)).map((m) => m.result)).toEqual(QUESTIONS.map((q) => matcher.match(q)));
    // A new thread takes over.
    for (let i = 0; i < 100 && inner.threads[0]!.worker === first; i++) await new Promise((r) => setTimeout(r, 50));
    expect(inner.threads[0]!.worker).not.toBe(first);
    const threaded = threads.counts.threaded;
    await warm(threads, matcher);
    for (let i = 0; i < 50 && threads.counts.threaded === threaded; i++) {
      await threads.match(matcher, '怎么退款');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(threads.counts.threaded).toBeGreaterThan(threaded);
  });

  it('with no threads every question is matched on the loop', async () => {
    const matcher = new Matcher(await loadKnowledgeBase(KB_DIR));
    threads = new MatchThreads({ threads: 0 });
    expect((await threads.match(matcher, '怎么退款')).result).toEqual(matcher.match('怎么退款'));
    expect(threads.counts).toEqual({ threaded: 0, fallback: 1 });
  });
});
