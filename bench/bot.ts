/**
 * npm run bench:bot — the full bot (guards, identity, matching, transcript writes to a real
 * redis-server started for the run, the dialogue policy) against a bare echo bot, both on the same
 * Wechaty + wechaty-puppet-mock setup in one run: messages/s, the ratio, latency from a customer's
 * send to the bot's first reply, and RSS.
 *
 * Every customer asks its questions one after another (the next once the previous got a reply),
 * all customers at once. Flood control is opened up for the run: 20 questions in a few seconds
 * would otherwise (rightly) be throttled.
 *
 *   BENCH_CUSTOMERS=100 BENCH_QUESTIONS=20 npm run bench:bot
 */
import { WechatyBuilder, type Message } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { percentile } from '../src/knowledge/index.ts';
import { startHarness } from '../test/support/bot.ts';
import { startRedis, stopAll } from '../test/support/redis.ts';
import { atLeast, reporter } from './report.ts';
import { profile } from './profile.ts';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100);
const QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 50);
/** Echo and full runs alternate this many times; the median of each is reported (a 2-core machine is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_RATIO = 0.5;
const figure = reporter('bot');

interface Talker {
  mocker: mock.Mocker;
  user: mock.ContactMock;
}

interface Result {
  name: string;
  messages: number;
  ms: number;
  lat: number[];
  rssMb: number;
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/**
 * `CUSTOMERS` mock customers, each asking `questions[i % n]` in turn and waiting for the bot's first
 * reply before the next. Returns per-message latencies and the wall time.
 */
async function drive(name: string, t: Talker, questions: string[]): Promise<Result> {
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => t.mocker.createContact({ name: `顾客${name}${i}` }));
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    customers.map(async (c, ci) => {
      let waiter: (() => void) | undefined;
      c.on('message', (m: mock.MessageMock) => {
        if (m.payload.talkerId === t.user.id) waiter?.();
      });
      for (let q = 0; q < QUESTIONS; q++) {
        const replied = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name}: no reply to customer ${ci} question ${q} within 30 s`)), 30_000);
          waiter = () => {
            waiter = undefined;
            clearTimeout(timer);
            resolve();
          };
        });
        const s = performance.now();
        c.say(questions[(ci + q) % questions.length]!).to(t.user);
        await replied;
        lat.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  return { name, messages: CUSTOMERS * QUESTIONS, ms, lat: lat.sort((a, b) => a - b), rssMb: rssMb() };
}

async function echoBot(questions: string[]): Promise<Result> {
  const mocker = new mock.Mocker();
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
  bot.on('error', () => undefined);
  bot.on('message', async (msg: Message) => {
    if (msg.self()) return;
    await msg.say(`echo ${msg.text()}`);
  });
  await bot.start();
  const user = mocker.createContact({ name: 'echo' });
  const loggedIn = new Promise<void>((r) => bot.once('login', () => r()));
  mocker.login(user);
  await loggedIn;
  try {
    return await drive('echo', { mocker, user }, questions);
  } finally {
    await bot.stop();
  }
}

async function fullBot(
  redisUrl: string,
  matchCacheSize?: number,
): Promise<{ result: Result; questions: string[]; recorded: number; cacheHits: number }> {
  const h = await startHarness(redisUrl, { flood: { max: 10_000, windowS: 1, muteS: 1 }, matchCacheSize });
  try {
    // Every FAQ question and its alternates: real questions the bot answers from the knowledge base.
    const questions = h.knowledge
      .matcher()
      .kb.entries.flatMap((e) => [e.question, ...e.alternates])
      .filter((q) => h.knowledge.match(q).decision === 'answer');
    const result = await drive(matchCacheSize === 0 ? 'full-nocache' : 'full', { mocker: h.mocker, user: h.user }, questions);
    // Let the last transcript writes land, then count what reached Redis.
    await new Promise((r) => setTimeout(r, 300));
    let recorded = 0;
    for (const id of await h.redis.smembers(h.handoff.keys.bots())) {
      if (id === h.botId) recorded = await h.redis.xlen(h.handoff.keys.events(id));
    }
    return { result, questions, recorded, cacheHits: h.plugin.stats().matchCacheHits };
  } finally {
    await h.stop();
  }
}


const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
function report(r: Result): number {
  const rate = (r.messages / r.ms) * 1000;
  figure(`${r.name} throughput`, rate, 'msg/s');
  figure(`${r.name} latency p50`, percentile(r.lat, 50), 'ms');
  figure(`${r.name} latency p99`, percentile(r.lat, 99), 'ms');
  console.log(
    `${r.name.padEnd(12)} ${String(r.messages).padStart(6)} msgs  ${rate.toFixed(0).padStart(6)} msg/s  p50 ${fmt(percentile(r.lat, 50)).padStart(9)}  p99 ${fmt(percentile(r.lat, 99)).padStart(9)}  max ${fmt(r.lat.at(-1) ?? 0).padStart(9)}  rss ${r.rssMb.toFixed(0)} MB`,
  );
  return rate;
}

const server = await startRedis();
try {
  console.log(`bench:bot — ${CUSTOMERS} mock customers x ${QUESTIONS} questions, wechaty-puppet-mock, redis-server on :${server.port}`);
  // A first round of each warms up (module loading, JIT, the segmenter); then echo and full
  // alternate, so both see the same machine, and the median run of each counts.
  const warm = await fullBot(server.url);
  await echoBot(warm.questions);
  const echoRuns: Result[] = [];
  const fullRuns: Awaited<ReturnType<typeof fullBot>>[] = [];
  const stopProfile = await profile(process.env.BENCH_PROFILE);
  for (let i = 0; i < ROUNDS; i++) {
    echoRuns.push(await echoBot(warm.questions));
    fullRuns.push(await fullBot(server.url));
  }
  await stopProfile();
  const byRate = (r: Result): number => r.messages / r.ms;
  const echo = [...echoRuns].sort((a, b) => byRate(a) - byRate(b))[echoRuns.length >> 1]!;
  const full = [...fullRuns].sort((a, b) => byRate(a.result) - byRate(b.result))[fullRuns.length >> 1]!;
  // The same without the match cache: every message through the matching engine.
  const uncached = await fullBot(server.url, 0);
  const echoRate = report(echo);
  const fullRate = report(full.result);
  const uncachedRate = report(uncached.result);
  const ratio = fullRate / echoRate;
  console.log(
    `ratio full/echo ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}; match cache hits ${full.cacheHits}/${full.result.messages} on ${full.questions.length} distinct questions)`,
  );
  console.log(`ratio full-nocache/echo ${(uncachedRate / echoRate).toFixed(2)}`);
  figure('ratio full/echo throughput', ratio, 'x', atLeast(ratio, TARGET_RATIO, ''));
  figure('ratio full-nocache/echo throughput', uncachedRate / echoRate, 'x');
  figure('rss (full bot run)', full.result.rssMb, 'MB');
  console.log(`(median of ${ROUNDS} alternating runs each: echo ${echoRuns.map((r) => (byRate(r) * 1000).toFixed(0)).join(', ')} msg/s; full ${fullRuns.map((r) => (byRate(r.result) * 1000).toFixed(0)).join(', ')} msg/s)`);
  console.log(`transcript events written by the full bot: ${full.recorded} (customer message + reply per question)`);
  figure('transcript events written by the full bot', full.recorded, '');
  if (ratio < TARGET_RATIO) process.exitCode = 1;
} finally {
  await stopAll();
}
