/**
 * The archiver's throughput over a real Redis and a real PostgreSQL (both started for the run):
 * N conversations of M messages written through the handoff, then
 * - the first copy (a full pass over the account) and an incremental copy driven by the events
 *   stream (each conversation gets one more message), in messages per second;
 * - the trim of all of them once resolved past the window, in conversations per second, and Redis's
 *   used_memory before and after (what retention gives back).
 *
 *   npx tsx bench/archive.ts [N=2000] [M=20]
 */
import { pino } from 'pino';
import { startArchive } from '../src/archive/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../src/handoff/index.ts';
import { startPostgres, stopAllPostgres } from '../test/support/postgres.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';

const N = Number(process.argv[2] ?? 2000);
const M = Number(process.argv[3] ?? 20);
const DAY_MS = 86_400_000;
const TEXTS = ['你好，我的会员扣了两次钱', '订单号 20240611123456，麻烦查一下', '录屏没有声音怎么办？', '好的谢谢', '还是不行，能转人工吗'];

const usedMemory = async (r: import('ioredis').Redis): Promise<number> => Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

const redisServer = await startRedis();
const pgServer = await startPostgres();
try {
  const redis = redisServer.client();
  const clock = { t: Date.parse('2026-11-24T02:00:00Z') };
  const prefix = randomPrefix();
  const h = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t, streamMaxLen: 1_000_000 });
  await h.registerBot('bench');
  const archive = await startArchive({
    url: pgServer.url, redis, prefix, logger: pino({ level: 'silent' }), retentionDays: 7, intervalMs: 3_600_000, now: () => clock.t,
  });

  console.log(`writing ${N} conversations x ${M} messages through the handoff…`);
  const ids: string[] = [];
  for (let c = 0; c < N; c += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, N - c) }, async (_, j) => {
        const ref = { botId: 'bench', customerId: `c${c + j}`, customerName: `客户${c + j}` };
        for (let i = 0; i < M; i++) {
          const r = await h.recordMessage(ref, { from: i % 2 ? 'bot' : 'customer', text: TEXTS[(c + j + i) % TEXTS.length]! });
          if (i === 0) ids[c + j] = r.conversationId;
        }
      }),
    );
  }
  const before = await usedMemory(redis);

  let t0 = performance.now();
  const first = await archive.runOnce();
  let ms = performance.now() - t0;
  console.log(`first copy (full pass)   ${first.messages} messages, ${first.conversations} conversations in ${ms.toFixed(0)} ms: ${((first.messages / ms) * 1000).toFixed(0)} messages/s`);

  for (const id of ids) {
    await h.requestHuman({ botId: 'bench', customerId: id.split('.')[1]! }, { reason: 'customer_asked', question: '人工' });
  }
  t0 = performance.now();
  const inc = await archive.runOnce();
  ms = performance.now() - t0;
  console.log(`incremental (events)     ${inc.messages} messages, ${inc.conversations} conversations in ${ms.toFixed(0)} ms: ${((inc.conversations / ms) * 1000).toFixed(0)} conversations/s`);

  for (const id of ids) await h.resolve(id, { by: 'bench' });
  await archive.runOnce();
  clock.t += 8 * DAY_MS;
  t0 = performance.now();
  let trimmed = 0;
  for (;;) {
    const run = await archive.runOnce();
    trimmed += run.trimmed;
    if (run.trimmed === 0) break;
  }
  ms = performance.now() - t0;
  const after = await usedMemory(redis);
  console.log(`trim                     ${trimmed} conversations in ${ms.toFixed(0)} ms: ${((trimmed / ms) * 1000).toFixed(0)} conversations/s`);
  console.log(`redis used_memory        ${mib(before)} before, ${mib(after)} after the trim`);
  await archive.close();
} finally {
  await stopAllPostgres();
  await stopAll();
}
