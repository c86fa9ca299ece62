/**
 * npm run bench:team — a support team at scale, each part in its own process as in production:
 * a redis-server started for the run, the console (test/support/console-process.ts: the composition
 * root with the console role) and the bot on wechaty-puppet-mock (test/support/bot-process.ts) as
 * child processes, and in this process the customers and the agents' console tabs.
 *
 *  - TEAM_CUSTOMERS mock customers (default 1,000) x TEAM_MESSAGES messages (default 10), sent at
 *    TEAM_RATE messages/s (default 250) in rounds: FAQ questions, alternates and chatter, and on
 *    every 10th customer a "转人工" as its third message (its later messages then go to the queue);
 *  - per run, T agent tabs (TEAM_TABS, default "1,10,50"; the last two of every 25 are managers) with
 *    live sockets, behaving as the web UI does (bench/team-tab.ts): agents claim chats from their own
 *    queue, view them, reply twice and resolve; managers watch.
 *
 * Per run: requests the tabs made per customer message, the console's and the bot's CPU per customer
 * message (from /proc), the live events' fan-out delay p50/p99 (written in Redis -> at a tab), agent
 * reply -> customer p99, RSS of each process. Checked (exit 1 on a failure): every customer message
 * is in its transcript exactly once; no tab got an event twice; every tab's lists, kept from the
 * events, equal what the server lists for it at the end; every agent reply reached its customer once.
 *
 *   TEAM_TABS=1,10,50 TEAM_CUSTOMERS=1000 TEAM_MESSAGES=10 TEAM_RATE=250 npm run bench:team
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { AgentStore } from '../src/console/auth/index.ts';
import { createKeys } from '../src/handoff/index.ts';
import { fieldsOf } from '../src/handoff/convert.ts';
import { percentile } from '../src/knowledge/index.ts';
import { KB_DIR, ROOT, ScriptProcess } from '../test/support/processes.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../test/support/redis.ts';
import { atMost, noneOf, reporter, type Figure } from './report.ts';
import { Tab } from './team-tab.ts';

const CUSTOMERS = Number(process.env.TEAM_CUSTOMERS ?? 1000);
const MESSAGES = Number(process.env.TEAM_MESSAGES ?? 10);
const RATE = Number(process.env.TEAM_RATE ?? 250);
const TAB_COUNTS = (process.env.TEAM_TABS ?? '1,10,50').split(',').map(Number);
const BOT_ID = 'team';
const PASSWORD = 'team bench password';
const REPLY_GAP_MS = 1_500;
const CLK_TCK = 100;
const report = reporter('team');
const figures: Figure[] = [];
const failures: string[] = [];
const fig = (...a: Parameters<typeof report>): void => void figures.push(report(...a));

// What customers say: questions the FAQ answers, other wordings and chatter (20: coprime with the 7 of the rounds).
const POOL = [
  '录屏没有声音怎么办', '可以开发票吗', '会员多少钱', '免费版能录多长时间', '录好的视频保存在哪里', '怎么去掉视频上的水印',
  '会员可以退款吗', '换电脑了会员怎么用', '视频太大怎么压缩', '录制到一半崩溃了能恢复吗', '你好', '谢谢', '好的',
  '录屏时能同时录摄像头吗', 'Mac录屏黑屏', '收不到验证码', '视频卡顿模糊', '能导出GIF吗', '在吗', '嗯嗯',
];
const textOf = (i: number, k: number): string => (i % 10 === 0 && k === 2 ? '转人工' : `${POOL[(i + 7 * k) % POOL.length]}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Heard {
  customer: string;
  text: string;
  at: number;
}

async function run(server: RedisServer, redis: Redis, tabsWanted: number): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kefu-team-'));
  const heardFile = path.join(tmp, 'heard.jsonl');
  const prefix = randomPrefix();
  const keys = createKeys(prefix);
  const children: ScriptProcess[] = [];
  const tabs: Tab[] = [];
  const common = { REDIS_URL: server.url, REDIS_PREFIX: prefix, KB_DIR, LOG_LEVEL: 'error' };
  try {
    const consoleProc = new ScriptProcess({
      name: 'console',
      script: path.join(ROOT, 'test/support/console-process.ts'),
      cwd: tmp,
      env: { ...common, HOST: '127.0.0.1', PORT: '0', KEFU_ADMIN_PASSWORD: PASSWORD },
    });
    const botProc = new ScriptProcess({
      name: 'bot',
      script: path.join(ROOT, 'test/support/bot-process.ts'),
      cwd: tmp,
      env: {
        ...common,
        BOT_ID,
        WECHATY_NAME: BOT_ID,
        WECHATY_PUPPET: 'wechaty-puppet-mock',
        MOCK_HEARD: heardFile,
        MOCK_CUSTOMERS: String(CUSTOMERS),
        MOCK_SAY: '',
        // 10 messages in 40 s are no flood; the flood rules are not what is measured here.
        FLOOD_MAX: '1000',
        FLOOD_CAP_PER_MIN: '100000',
      },
    });
    children.push(consoleProc, botProc);
    const base = String((await consoleProc.wait('listening')).url);
    await botProc.wait('ready');

    // The team: agents log in as the UI does (a session each), straight in the store (the login route's per-IP limit is for people).
    const store = new AgentStore(redis, prefix);
    for (let t = 0; t < tabsWanted; t++) {
      const manager = t % 25 >= 23;
      const a = await store.add({ username: `agent${t}`, name: `客服${t}`, roles: manager ? ['manager'] : ['agent'], password: PASSWORD });
      const session = await store.login(`agent${t}`, PASSWORD);
      tabs.push(new Tab(base, { id: a.id, token: session!.token, manager }));
    }
    await Promise.all(tabs.map((t) => t.start()));
    const readsAtStart = tabs.reduce((s, t) => s + t.reads, 0);

    // The agents at work until told to stop.
    const sentReplies = new Map<string, number>();
    let stopping = false;
    const tried = new Set<string>();
    const work = tabs
      .filter((t) => !t.agent.manager)
      .map(async (tab, n) => {
        let replies = 0;
        while (!stopping) {
          const next = tab.lists.waiting.find((c) => !tried.has(c.id));
          if (!next) {
            await sleep(100);
            continue;
          }
          tried.add(next.id);
          const conv = encodeURIComponent(next.id);
          const claim = await tab.post(`/api/conversations/${conv}/claim`);
          if (claim.status !== 200) continue;
          tab.apply(next.id, claim.body as never);
          tab.view(next.id);
          await tab.get(`/api/conversations/${conv}`);
          for (let r = 0; r < 2; r++) {
            const text = `回复${n}-${replies++}`;
            sentReplies.set(text, Date.now());
            const res = await tab.post(`/api/conversations/${conv}/messages`, { text });
            if (res.status !== 202) failures.push(`reply ${text}: HTTP ${res.status}`);
            await sleep(REPLY_GAP_MS);
          }
          const resolved = await tab.post(`/api/conversations/${conv}/resolve`);
          if (resolved.status === 200) tab.apply(next.id, resolved.body as never);
          tab.view(null);
        }
      });

    // The customers, open loop: round k, customer i, at RATE messages/s.
    const cpu0 = { console: cpuMs(consoleProc.pid), bot: cpuMs(botProc.pid) };
    const t0 = performance.now();
    for (let k = 0; k < MESSAGES; k++) {
      for (let i = 0; i < CUSTOMERS; i++) {
        const due = ((k * CUSTOMERS + i) * 1000) / RATE;
        const wait = due - (performance.now() - t0);
        if (wait > 0) await sleep(wait);
        botProc.send({ say: [i, textOf(i, k)] });
      }
    }
    const sent = CUSTOMERS * MESSAGES;
    const sendS = (performance.now() - t0) / 1000;
    const convs = await waitRecorded(redis, keys, sent);
    // The queue drained, then quiet: the last events reach the tabs.
    for (let i = 0; i < 300 && (await redis.zcard(keys.queue(BOT_ID))) + (await redis.zcard(keys.active(BOT_ID))) > 0; i++) await sleep(200);
    stopping = true;
    await Promise.all(work);
    await sleep(1_500);
    const cpu1 = { console: cpuMs(consoleProc.pid), bot: cpuMs(botProc.pid) };
    const rss = { console: rssMb(consoleProc.pid), bot: rssMb(botProc.pid), bench: process.memoryUsage().rss / 2 ** 20 };
    const reads = tabs.reduce((s, t) => s + t.reads, 0) - readsAtStart;
    const actions = tabs.reduce((s, t) => s + t.actions, 0);

    // Checks.
    const lost = checkTranscripts(convs);
    const doubledEvents = tabs.reduce((s, t) => s + t.doubled, 0);
    let mismatched = 0;
    for (const tab of tabs) {
      const server = await tab.serverLists();
      for (const name of ['waiting', 'active', 'awaitingFix'] as const) {
        const mine = tab.lists[name].map((c) => c.id).sort().join();
        if (mine !== server[name].map((c) => c.id).sort().join()) mismatched++;
      }
    }
    const heard = readFileSync(heardFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Heard);
    const replyLat: number[] = [];
    const heardCount = new Map<string, number>();
    for (const h of heard) if (sentReplies.has(h.text)) {
      heardCount.set(h.text, (heardCount.get(h.text) ?? 0) + 1);
      if (heardCount.get(h.text) === 1) replyLat.push(h.at - sentReplies.get(h.text)!);
    }
    const repliesLost = [...sentReplies.keys()].filter((t) => !heardCount.has(t)).length;
    const repliesDoubled = [...heardCount.values()].filter((n) => n > 1).length;
    const lat = tabs.flatMap((t) => t.latencies).sort((a, b) => a - b);
    replyLat.sort((a, b) => a - b);

    const T = `${tabsWanted} tabs`;
    console.log(`\n${T}: ${sent} customer messages sent in ${sendS.toFixed(1)} s, ${sentReplies.size} agent replies, ${actions} agent actions, ${lat.length} events at tabs`);
    fig(`${T}: tab requests per customer message`, reads / sent, '', atMost(reads / sent, 0.05, ''));
    fig(`${T}: console CPU per customer message`, (cpu1.console - cpu0.console) / sent, 'ms');
    fig(`${T}: bot CPU per customer message`, (cpu1.bot - cpu0.bot) / sent, 'ms');
    fig(`${T}: event fan-out p50`, percentile(lat, 50), 'ms');
    fig(`${T}: event fan-out p99`, percentile(lat, 99), 'ms', atMost(percentile(lat, 99), 100, 'ms'));
    if (replyLat.length) fig(`${T}: agent reply -> customer p99`, percentile(replyLat, 99), 'ms');
    fig(`${T}: RSS console`, rss.console, 'MB');
    fig(`${T}: RSS bot`, rss.bot, 'MB');
    fig(`${T}: RSS customers + tabs (this process)`, rss.bench, 'MB');
    fig(`${T}: customer messages lost or doubled`, lost, '', noneOf(lost));
    fig(`${T}: events a tab got twice`, doubledEvents, '', noneOf(doubledEvents));
    fig(`${T}: tab lists unlike the server's at the end`, mismatched, '', noneOf(mismatched));
    fig(`${T}: agent replies lost or doubled`, repliesLost + repliesDoubled, '', noneOf(repliesLost + repliesDoubled));
    cpuPerMessage.set(tabsWanted, (cpu1.console - cpu0.console) / sent);
  } finally {
    for (const t of tabs) t.close();
    for (const c of children) await c.kill9();
    rmSync(tmp, { recursive: true, force: true });
  }
}
const cpuPerMessage = new Map<number, number>();

/** Waits until every customer message is in Redis; returns each conversation's customer texts by customer name. */
async function waitRecorded(redis: Redis, keys: ReturnType<typeof createKeys>, sent: number): Promise<Map<string, string[]>> {
  let byName = new Map<string, string[]>();
  for (let attempt = 0; attempt < 120; attempt++) {
    byName = new Map();
    let total = 0;
    const pattern = `${keys.conversation(`${BOT_ID}.x`).slice(0, -1)}*`;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const hashes = found.filter((k) => !/:(msgs|msgids)$/.test(k));
      for (const key of hashes) {
        const [name, id] = await redis.hmget(key, 'customerName', 'id');
        const entries = await redis.xrange(keys.transcript(id!), '-', '+');
        const texts = entries.map(([, flat]) => fieldsOf(flat)).filter((f) => f.from === 'customer').map((f) => f.text ?? '');
        byName.set(name ?? '', texts);
        total += texts.length;
      }
    } while (cursor !== '0');
    if (total >= sent) break;
    await sleep(500);
  }
  return byName;
}

/** Customer messages missing from, or doubled in, their transcripts. */
function checkTranscripts(byName: Map<string, string[]>): number {
  let bad = 0;
  for (let i = 0; i < CUSTOMERS; i++) {
    const texts = byName.get(`客户${i + 1}`) ?? [];
    for (let k = 0; k < MESSAGES; k++) {
      const n = texts.filter((t) => t === textOf(i, k)).length;
      if (n !== 1) bad++;
    }
  }
  return bad;
}

async function main(): Promise<void> {
  const server = await startRedis();
  const redis = server.client();
  try {
    for (const n of TAB_COUNTS) await run(server, redis, n);
    const few = cpuPerMessage.get(Math.min(...TAB_COUNTS));
    const many = cpuPerMessage.get(Math.max(...TAB_COUNTS));
    if (few && many && TAB_COUNTS.length > 1) {
      const ratio = many / few;
      fig(`console CPU per message, ${Math.max(...TAB_COUNTS)} tabs / ${Math.min(...TAB_COUNTS)} tab(s)`, ratio, 'x', atMost(ratio, 1.5, ''));
    }
  } finally {
    await stopAll();
  }
  console.log('');
  for (const f of figures) console.log(`${f.figure.padEnd(58)} ${String(Number(f.value.toFixed(3))).padStart(10)} ${f.unit.padEnd(3)} ${f.target ?? ''}${f.ok === undefined ? '' : f.ok ? '  ok' : '  MISS'}`);
  const broken = figures.filter((f) => f.check && !f.ok);
  if (failures.length) console.log(`FAILURES:\n${failures.slice(0, 20).join('\n')}`);
  process.exit(broken.length || failures.length ? 1 : 0);
}

await main();
