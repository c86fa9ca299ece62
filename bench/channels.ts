/**
 * npm run bench:channels — the bot's answer time on 微信客服 through the local WeChat simulator,
 * beside the Wechaty mock path, in one run on one redis-server started for it:
 *
 *  - 微信客服: the bot role as the product starts it (startKefu, CHANNELS=wecom-kf), WeChat played
 *    by src/wechat-sim over real HTTP. A reply's time runs from the simulator's customerSays (the
 *    message enters WeChat, which calls the bot back; the bot pulls with sync_msg) to WeChat
 *    accepting the bot's kf/send_msg for that customer.
 *  - Wechaty: the bot on wechaty-puppet-mock (the harness bench:bot uses), from a mock contact's
 *    say to the bot's reply reaching that contact.
 *
 * Both answer the same questions from the same knowledge base (its FAQ questions answered in one
 * message). Each customer asks its questions one after another, the next once answered:
 * latency with a few customers at once (the path's own cost), throughput with many (saturated).
 * Rounds alternate the two paths so both see the same machine; throughput is the median round,
 * latencies are pooled. Everything — WeChat, the bot, the customers — shares this process.
 *
 * Targets (微信客服, few customers): p50 <= 200 ms, p99 <= 1,000 ms (a customer should have the
 * answer within a second; WeChat itself waits 5 s for the callback's answer); throughput >= 100
 * msg/s. A missed target exits 0; an answer that never comes (30 s) or comes twice exits 1.
 *
 *   BENCH_ROUNDS=3 BENCH_CUSTOMERS=100 BENCH_QUESTIONS=20 npm run bench:channels
 */
import os from 'node:os';
import type { mock } from 'wechaty-puppet-mock';
import { percentile, renderAnswer } from '../src/knowledge/index.ts';
import { startKefu, type Kefu } from '../src/main.ts';
import { CALLBACK, kfConfig, KFID, kfSimulator, removeJournals, SendWatch, within } from '../test/channels/e2e-support.ts';
import { KB_DIR, startHarness, type Harness } from '../test/support/bot.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';
import { atLeast, atMost, noneOf, printFigures, reporter, type Figure } from './report.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Customers at once for the throughput runs (the latency runs use LIGHT). */
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100);
const LIGHT = Number(process.env.BENCH_LIGHT_CUSTOMERS ?? 5);
const QUESTIONS = Number(process.env.BENCH_QUESTIONS ?? 20);
const REPLY_TIMEOUT_MS = 30_000;
const P50_TARGET = 200;
const P99_TARGET = 1_000;
const RATE_TARGET = 100;

const report = reporter('channels');
const figures: Figure[] = [];
const figure = (...args: Parameters<typeof report>): void => void figures.push(report(...args));

/** One customer of one path: asks, resolves with the time until the bot's answer reached them (ms). */
type Ask = (text: string) => Promise<number>;
interface Path {
  name: 'wecom-kf' | 'wechaty';
  customer(tag: string): Ask;
  /** Answers received beyond one per question, and sends WeChat refused as repeats. */
  extra(): number;
}

interface Run {
  messages: number;
  ms: number;
  lat: number[];
}

let runs = 0;
async function drive(p: Path, customers: number, questions: string[]): Promise<Run> {
  const tag = `${++runs}`;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: customers }, async (_, c) => {
      const ask = p.customer(`${tag}x${c}`);
      for (let q = 0; q < QUESTIONS; q++) lat.push(await ask(questions[(c + q) % questions.length]!));
    }),
  );
  return { messages: customers * QUESTIONS, ms: performance.now() - t0, lat };
}

async function wecomPath(redisUrl: string): Promise<{ path: Path; kefu: Kefu; close(): Promise<void>; retried(): number }> {
  const sim = kfSimulator();
  const watch = new SendWatch(sim);
  const base = await sim.listen();
  const config = await kfConfig(base, { REDIS_URL: redisUrl, REDIS_PREFIX: randomPrefix(), KB_DIR, FLOOD_MAX: '1000', FLOOD_CAP_PER_MIN: '100000' });
  const kefu = await startKefu(config, { roles: ['bot'] });
  sim.setCallbackUrl('wecom-kf', `${kefu.ops!.url}${CALLBACK}`);
  let asked = 0;
  const path: Path = {
    name: 'wecom-kf',
    customer(tag) {
      const who = `wmBench${tag}`;
      return async (text) => {
        const n = watch.count(who);
        const t = performance.now();
        asked++;
        sim.customerSays(KFID, who, text);
        await within(REPLY_TIMEOUT_MS, () => `微信客服 ${who}: an answer to ${text}`, watch.reach(who, n + 1));
        return watch.accepted.get(who)![n]! - t;
      };
    },
    extra: () => watch.total - asked + watch.duplicateTotal,
  };
  return {
    path,
    kefu,
    retried: () => sim.stats().callbacks['wecom-kf'].retried,
    async close() {
      await kefu.stop();
      await sim.close();
    },
  };
}

async function wechatyPath(redisUrl: string): Promise<{ path: Path; h: Harness }> {
  const h = await startHarness(redisUrl, { flood: { max: 10_000, windowS: 1, muteS: 1 } });
  let asked = 0;
  let heard = 0;
  const path: Path = {
    name: 'wechaty',
    customer(tag) {
      const contact: mock.ContactMock = h.mocker.createContact({ name: `顾客${tag}` });
      let waiter: (() => void) | undefined;
      contact.on('message', (m: mock.MessageMock) => {
        if (m.payload.talkerId !== h.user.id) return;
        heard++;
        waiter?.();
      });
      return async (text) => {
        const replied = new Promise<void>((resolve) => {
          waiter = () => {
            waiter = undefined;
            resolve();
          };
        });
        const t = performance.now();
        asked++;
        void contact.say(text).to(h.user);
        await within(REPLY_TIMEOUT_MS, () => `Wechaty ${contact.payload.name}: an answer to ${text}`, replied);
        return performance.now() - t;
      };
    },
    extra: () => heard - asked,
  };
  return { path, h };
}

const server = await startRedis();
const kf = await wecomPath(server.url);
const wx = await wechatyPath(server.url);
try {
  // FAQ questions the bot answers in one message (an answer that renders as several parts would
  // make a later answer look like an earlier one's second part), one entry after another: a
  // customer who asks an entry's alternates back to back sounds like the answer did not help
  // ("已经开了权限还是录不了" right after the permission answer), and is rightly handed to a
  // person, after which the bot stays quiet on what it already answered.
  const matcher = kf.kefu.knowledge.matcher();
  const byEntry = matcher.kb.entries
    .filter((e) => renderAnswer(e.answer).length === 1)
    .map((e) => [e.question, ...e.alternates].filter((q) => matcher.match(q).decision === 'answer'));
  const questions: string[] = [];
  for (let i = 0; byEntry.some((qs) => i < qs.length); i++) for (const qs of byEntry) if (i < qs.length) questions.push(qs[i]!);
  console.log(
    `bench:channels — ${ROUNDS} rounds; latency: ${LIGHT} customers, throughput: ${CUSTOMERS} customers; ${QUESTIONS} questions each (${questions.length} distinct); ` +
      `redis-server on :${server.port}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  // Warm-up: module loading, JIT, the segmenter, first tokens and sessions.
  for (const p of [kf.path, wx.path]) await drive(p, LIGHT, questions);

  const light: Record<Path['name'], number[]> = { 'wecom-kf': [], wechaty: [] };
  const heavy: Record<Path['name'], Run[]> = { 'wecom-kf': [], wechaty: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of [kf.path, wx.path]) light[p.name].push(...(await drive(p, LIGHT, questions)).lat);
    for (const p of [kf.path, wx.path]) heavy[p.name].push(await drive(p, CUSTOMERS, questions));
    const rates = (['wecom-kf', 'wechaty'] as const).map((n) => `${n} ${((heavy[n].at(-1)!.messages / heavy[n].at(-1)!.ms) * 1000).toFixed(0)} msg/s`);
    console.log(`round ${r + 1}: ${rates.join(', ')}`);
  }

  const rateOf = (x: Run): number => (x.messages / x.ms) * 1000;
  const median = (list: Run[]): Run => [...list].sort((a, b) => rateOf(a) - rateOf(b))[list.length >> 1]!;
  for (const name of ['wecom-kf', 'wechaty'] as const) {
    const lat = [...light[name]].sort((a, b) => a - b);
    const busy = median(heavy[name]);
    const busyLat = [...busy.lat].sort((a, b) => a - b);
    const rate = rateOf(busy);
    const targeted = name === 'wecom-kf';
    figure(`${name} latency p50 (${LIGHT} customers)`, percentile(lat, 50), 'ms', targeted ? atMost(percentile(lat, 50), P50_TARGET, 'ms') : undefined);
    figure(`${name} latency p99 (${LIGHT} customers)`, percentile(lat, 99), 'ms', targeted ? atMost(percentile(lat, 99), P99_TARGET, 'ms') : undefined);
    figure(`${name} throughput (${CUSTOMERS} customers)`, rate, 'msg/s', targeted ? atLeast(rate, RATE_TARGET, 'msg/s') : undefined);
    figure(`${name} latency p50 (${CUSTOMERS} customers)`, percentile(busyLat, 50), 'ms');
    figure(`${name} latency p99 (${CUSTOMERS} customers)`, percentile(busyLat, 99), 'ms');
  }
  const ratio = rateOf(median(heavy['wecom-kf'])) / rateOf(median(heavy.wechaty));
  figure('throughput wecom-kf / wechaty', ratio, 'x');
  figure('wecom-kf callbacks WeChat retried (answered after 5 s)', kf.retried(), '');
  figure('wecom-kf extra answers (sent twice, or refused as repeats)', kf.path.extra(), '', noneOf(kf.path.extra()));
  figure('wechaty extra answers', wx.path.extra(), '', noneOf(wx.path.extra()));
  console.log('');
  printFigures(figures);
  if (figures.some((f) => f.check && !f.ok)) process.exitCode = 1;
} finally {
  await kf.close();
  await wx.h.stop();
  await removeJournals();
  await stopAll();
}
