/**
 * npm run bench:bot — the full bot (guards, identity, matching, transcript writes to a real
 * redis-server started for the run, the dialogue policy) against a bare echo bot, both on the same
 * Wechaty + wechaty-puppet-mock setup in one run: messages/s, the ratio, latency from a customer's
 * send to the bot's first reply, and RSS.
 *
 * Two mixes of questions for the full bot:
 * - distinct: every text is sent once in a run (real customers rarely send the same text twice),
 *   variants of the FAQ's questions and alternates with the fillers, particles and punctuation
 *   customers wrap them in, so the bot's exact-text match cache never hits (checked: 0 hits) and
 *   every message goes through the matching engine. This is the figure with the target.
 * - repeated: the FAQ's questions and alternates as written, over and over (the cache answers most).
 *
 * The full bot matches on a worker thread (MATCH_THREADS, default 1 here: a bot alone on the
 * machine, as this benchmark runs it; 0 to match on the event loop); the echo bot has nothing to match.
 *
 * Every customer asks its questions one after another (the next once the previous got a reply),
 * all customers at once. Flood control is opened up for the run: 20 questions in a few seconds
 * would otherwise (rightly) be throttled.
 *
 *   BENCH_CUSTOMERS=100 BENCH_QUESTIONS=20 npm run bench:bot
 *   BENCH_MIX=distinct BENCH_PROFILE=/tmp/bot.cpuprofile npm run bench:bot   (one mix, profiled)
 */
import { WechatyBuilder, type Message } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { MatchThreads, percentile } from '../src/knowledge/index.ts';
import { startHarness, type Harness } from '../test/support/bot.ts';
import { startRedis, stopAll } from '../test/support/redis.ts';
import { atLeast, noneOf, reporter } from './report.ts';
import { profile } from './profile.ts';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100);
const QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 50);
/** Echo and full runs alternate this many times; the median of each is reported (a 2-core machine is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_RATIO = 0.5;
const figure = reporter('bot');
/** The full bot matches on one thread (MATCH_THREADS=0: on the loop); one set for the process, as in production. */
const threads = new MatchThreads({ threads: Number(process.env.MATCH_THREADS ?? 1) });

type Mix = 'distinct' | 'repeated';
/** BENCH_MIX=distinct (or repeated): only that mix, e.g. for a profile of it. */
const MIXES: Mix[] = process.env.BENCH_MIX === 'distinct' || process.env.BENCH_MIX === 'repeated' ? [process.env.BENCH_MIX] : ['distinct', 'repeated'];

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
  /** CPU time per message, µs: this process (the loop, the matching thread, GC) and redis-server. */
  cpu: { node: number; redis?: number };
}

interface FullResult {
  result: Result;
  recorded: number;
  cacheHits: number;
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** The question customer `ci` asks as its `q`-th. */
type Asks = (ci: number, q: number) => string;

/**
 * `CUSTOMERS` mock customers, each asking its questions in turn and waiting for the bot's first
 * reply before the next. Returns per-message latencies and the wall time.
 */
async function drive(name: string, t: Talker, asks: Asks, redis?: Harness['redis']): Promise<Result> {
  const redisCpu = async (): Promise<number | undefined> => {
    if (!redis) return undefined;
    const info = await redis.info('cpu');
    const field = (f: string): number => Number(new RegExp(`${f}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const redis0 = await redisCpu();
  const cpu0 = process.cpuUsage();
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
        c.say(asks(ci, q)).to(t.user);
        await replied;
        lat.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const redis1 = await redisCpu();
  const messages = CUSTOMERS * QUESTIONS;
  const cpu = { node: (used.user + used.system) / messages, ...(redis0 !== undefined && redis1 !== undefined ? { redis: (redis1 - redis0) / messages } : {}) };
  return { name, messages, ms, lat: lat.sort((a, b) => a - b), rssMb: rssMb(), cpu };
}

// What customers wrap a question in. No greeting alone, no 人工 / 客服 (a request for a person).
const OPENERS = ['', '请问', '请问一下，', '麻烦问下', '想问下', '我想问一下，', '你好，请问', '问一下', '咨询一下，', '那个，', '您好，想咨询下', 'hello，请问'];
const CLOSERS = ['', '呢', '啊', '呀', '？', '?', '。', '～', '呢？', '啊？？', '!', '…'];

/**
 * Distinct texts the bot answers: each of `base` (the FAQ's questions and alternates) wrapped in
 * an opener and a closer, trailing punctuation of the original varied, in an order that cycles
 * through the questions first. Only variants the matcher answers are kept (a variant it would
 * hand to a person would end that customer's bot conversation); at most `count`.
 */
function distinctQuestions(base: string[], answers: (q: string) => boolean, count: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let v = 0; v < OPENERS.length * CLOSERS.length && out.length < count; v++) {
    // Walk openers and closers out of step, so consecutive rounds differ at both ends.
    const opener = OPENERS[v % OPENERS.length]!;
    const closer = CLOSERS[(v + Math.floor(v / OPENERS.length)) % CLOSERS.length]!;
    for (const q of base) {
      const core = closer ? q.replace(/[？?。！!～~]+$/u, '') : q;
      const text = `${opener}${core}${closer}`;
      if (seen.has(text)) continue;
      seen.add(text);
      if (answers(text)) out.push(text);
      if (out.length >= count) break;
    }
  }
  return out;
}

async function echoBot(asks: Asks): Promise<Result> {
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
    return await drive('echo', { mocker, user }, asks);
  } finally {
    await bot.stop();
  }
}

async function fullBot(redisUrl: string, name: string, asks: (h: Harness) => Asks): Promise<FullResult> {
  const h = await startHarness(redisUrl, { flood: { max: 10_000, windowS: 1, muteS: 1 }, matchThreads: threads });
  try {
    // Steady state: the thread has this bot's knowledge base before the first customer (the bot
    // sends it on start; until it is loaded, questions are matched on the loop).
    await threads.load(h.knowledge.matcher());
    const result = await drive(name, { mocker: h.mocker, user: h.user }, asks(h), h.redis);
    // Let the last transcript writes land, then count what reached Redis.
    await new Promise((r) => setTimeout(r, 300));
    let recorded = 0;
    for (const id of await h.redis.smembers(h.handoff.keys.bots())) {
      if (id === h.botId) recorded = await h.redis.xlen(h.handoff.keys.events(id));
    }
    return { result, recorded, cacheHits: h.plugin.stats().matchCacheHits };
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
  figure(`${r.name} CPU per message, bot process`, r.cpu.node, 'us');
  if (r.cpu.redis !== undefined) figure(`${r.name} CPU per message, redis-server`, r.cpu.redis, 'us');
  const redisCpu = r.cpu.redis === undefined ? '' : ` + redis ${r.cpu.redis.toFixed(0)}`;
  console.log(
    `${r.name.padEnd(14)} ${String(r.messages).padStart(6)} msgs  ${rate.toFixed(0).padStart(6)} msg/s  p50 ${fmt(percentile(r.lat, 50)).padStart(9)}  p99 ${fmt(percentile(r.lat, 99)).padStart(9)}  max ${fmt(r.lat.at(-1) ?? 0).padStart(9)}  rss ${r.rssMb.toFixed(0)} MB  cpu/msg ${r.cpu.node.toFixed(0)}${redisCpu} us`,
  );
  return rate;
}

const byRate = (r: Result): number => r.messages / r.ms;
const median = <T>(runs: T[], of: (t: T) => Result): T => [...runs].sort((a, b) => byRate(of(a)) - byRate(of(b)))[runs.length >> 1]!;
const rates = (runs: Result[]): string => runs.map((r) => (byRate(r) * 1000).toFixed(0)).join(', ');

const server = await startRedis();
try {
  console.log(`bench:bot — ${CUSTOMERS} mock customers x ${QUESTIONS} questions, wechaty-puppet-mock, redis-server on :${server.port}`);
  // The mixes come from the knowledge base the bot loads (a first full run also warms up module
  // loading, JIT and the segmenter; then echo and full alternate, and the median run of each counts).
  let repeated: string[] = [];
  let distinct: string[] = [];
  const wanted = CUSTOMERS * QUESTIONS;
  await fullBot(server.url, 'warm-up', (h) => {
    const answers = (q: string): boolean => h.knowledge.match(q).decision === 'answer';
    // Entry by entry in turn (each entry's first phrasing, then each one's second, …): a customer's
    // next question is another entry's, as the bot answers a question just answered with a pointer back.
    const phrasings = h.knowledge.matcher().kb.entries.map((e) => [e.question, ...e.alternates].filter(answers));
    const most = Math.max(0, ...phrasings.map((p) => p.length));
    repeated = Array.from({ length: most }, (_, k) => phrasings.flatMap((p) => (k < p.length ? [p[k]!] : []))).flat();
    distinct = distinctQuestions(repeated, answers, wanted);
    return (ci, q) => distinct[(ci * QUESTIONS + q) % distinct.length]!;
  });
  if (distinct.length < wanted) console.log(`note: only ${distinct.length} distinct answered variants for ${wanted} messages: some texts repeat`);
  const asksOf: Record<Mix, Asks> = {
    // Each customer starts elsewhere in the list: the same texts, in other orders.
    repeated: (ci, q) => repeated[(ci + q) % repeated.length]!,
    // Customer ci asks texts ci*QUESTIONS … ci*QUESTIONS+QUESTIONS-1: no text twice in a run.
    distinct: (ci, q) => distinct[(ci * QUESTIONS + q) % distinct.length]!,
  };
  await echoBot(asksOf.distinct);

  const echoRuns: Result[] = [];
  const fullRuns: Record<Mix, FullResult[]> = { distinct: [], repeated: [] };
  const stopProfile = await profile(process.env.BENCH_PROFILE);
  for (let i = 0; i < ROUNDS; i++) {
    echoRuns.push(await echoBot(asksOf.distinct));
    for (const mix of MIXES) fullRuns[mix].push(await fullBot(server.url, `full-${mix}`, () => asksOf[mix]));
  }
  await stopProfile();

  const echoRate = report(median(echoRuns, (r) => r));
  let missed = false;
  for (const mix of MIXES) {
    const full = median(fullRuns[mix], (r) => r.result);
    const ratio = report(full.result) / echoRate;
    const texts = mix === 'distinct' ? Math.min(distinct.length, wanted) : repeated.length;
    console.log(`ratio full-${mix}/echo ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}; match cache hits ${full.cacheHits}/${full.result.messages} on ${texts} distinct texts)`);
    figure(`ratio full/echo throughput, ${mix} questions`, ratio, 'x', atLeast(ratio, TARGET_RATIO, ''));
    figure(`transcript events written by the full bot, ${mix} questions`, full.recorded, '');
    missed ||= ratio < TARGET_RATIO;
    if (mix === 'distinct') {
      // The distinct mix is only honest if no answer came from the exact-text cache.
      const hits = Math.max(...fullRuns.distinct.map((r) => r.cacheHits));
      figure('match cache hits on distinct questions', hits, '', noneOf(hits));
      if (hits > 0) process.exitCode = 1;
    }
    console.log(`  transcript events written: ${full.recorded} (customer message + reply per question)`);
  }
  figure('rss (full bot run)', median(fullRuns[MIXES[0]!], (r) => r.result).result.rssMb, 'MB');
  console.log(
    `(median of ${ROUNDS} alternating runs each: echo ${rates(echoRuns)} msg/s; full-distinct ${rates(fullRuns.distinct.map((r) => r.result))} msg/s; full-repeated ${rates(fullRuns.repeated.map((r) => r.result))} msg/s)`,
  );
  console.log(`questions matched on a thread ${threads.counts.threaded}, on the event loop ${threads.counts.fallback}`);
  if (missed) process.exitCode ||= 1;
} finally {
  await threads.close();
  await stopAll();
}
