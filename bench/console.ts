/**
 * npm run bench:console — the console over real HTTP and WebSocket (a redis-server started for the
 * run, the Fastify app listening on 127.0.0.1) with 10,000 conversations waiting (and 200 with
 * agents, 50 parked on a problem):
 *
 *  - the queue page as the UI asks for it, GET /api/conversations?status=waiting&limit=100 (and
 *    limit=50), through `fetch` with keep-alive: p50/p99 one request at a time and with 10 clients
 *    at once, the pages/s those 10 get, and the CPU time one page costs this process and
 *    redis-server (robust to a busy machine, unlike the latencies). Every page is checked against
 *    the queues in Redis.
 *  - the queue lists as the UI loads them (src/console/ui/data.js loadQueue: GET /api/queue, the
 *    waiting 100, active 200 and parked 100 in one request), by 10 agents at once,
 *    one of them a manager: p50/p99 of a whole load. Every list is checked.
 *  - the same 10 page clients while customers write to waiting chats at 200 messages/s (every
 *    message is a live event): the console keeps a list's answer only while no event was written
 *    (src/console/list-cache.ts), so the figures above are the queue between events, and this one
 *    what a busy queue costs. Each line says how many loads the kept answer served.
 *  - the delay from a customer message (a bot process's recordMessage, on its own Redis connection)
 *    to its `message` event at WebSocket clients of GET /api/live, at 200 messages/s: p50/p99/max
 *    with 1 and with 20 sockets. Every message must reach every socket, once.
 *
 * The concurrent page clients and the UI loads run on a thread of their own (bench/http-clients.mjs),
 * as browsers would be elsewhere; CPU per page is the server thread's alone. The sequential pages,
 * the "bot" and the sockets share the server's event loop, so those figures include the client's
 * side of the work too. Targets: queue page p99 <= 50 ms, socket delay p99 <= 10 ms.
 * A missed target still exits 0 (it is a benchmark); a wrong page or a lost event exits 1.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../src/console/app.ts';
import { ListCache } from '../src/console/list-cache.ts';
import { AgentStore, type Agent } from '../src/console/auth/index.ts';
import type { ApiConversation } from '../src/console/serialize.ts';
import { DEFAULT_SLA_POLICY, Handoff, type HandoffEvent } from '../src/handoff/index.ts';
import { percentile } from '../src/knowledge/index.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../test/support/redis.ts';
import { WebSocket, type WsClient } from '../test/support/sockets.ts';
import { atMost, formatValue, noneOf, reporter } from './report.ts';
import { runClients } from './http-clients.ts';
import { profile } from './profile.ts';

const WAITING = 10_000;
/** Claimed by the UI-load agents (ACTIVE / UI_AGENTS each) and parked on a problem, beside the waiting ones. */
const ACTIVE = 200;
const PARKED = 50;
const UI_AGENTS = 10;
const UI_LOADS_PER_AGENT = 50;
const SEED_CONCURRENCY = 50;
const PAGE_WARMUP = 100;
const PAGE_REQUESTS = 500;
const PAGE_CLIENTS = 10;
const PAGE_REQUESTS_PER_CLIENT = 100;
const RATE = 200; // customer messages per second
const SECONDS = 10;
const MANY_SOCKETS = 20;
const QUEUE_P99_TARGET = 50;
const SOCKET_P99_TARGET = 10;
/** What the UI asks for (src/console/ui/data.js, LIMITS) and the route answers without `limit`. */
const DEFAULT_PAGE = 100;
const UI_LIMITS = { waiting: 100, active: 200, awaitingFix: 100 } as const;


const report = reporter('console');
const failures: string[] = [];
const fail = (what: string): void => {
  failures.push(what);
  console.log(`FAIL: ${what}`);
};

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
function stats(lat: number[]): Stats {
  const s = [...lat].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? 0 };
}
function line(name: string, s: Stats, extra = ''): void {
  console.log(
    `${name.padEnd(44)} ${String(s.n).padStart(6)}  p50 ${fmt(s.p50).padStart(9)}  p99 ${fmt(s.p99).padStart(9)}  max ${fmt(s.max).padStart(9)}${extra}`,
  );
}

/** Runs `op(i)` for i < n with `concurrency` in flight; returns the wall time. */
async function pool(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return performance.now() - t0;
}


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU time (ms) of a process from /proc (Linux); null where that cannot be read. */
function procCpuMs(pid: number | undefined, path = `/proc/${pid}/stat`): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}
interface CpuMark {
  server: number;
  redis: number | null;
}
/**
 * The server's share: its main thread alone (/proc/<pid>/task/<pid>, Linux), so the clients' thread
 * is not counted; elsewhere the whole process.
 */
function serverCpuMs(): number {
  const thread = procCpuMs(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);
  if (thread !== null) return thread;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const cpuNow = (redisPid: number | undefined): CpuMark => ({ server: serverCpuMs(), redis: procCpuMs(redisPid) });
/** CPU ms spent since `mark` by the server's thread and by redis-server (null: unknown). */
function cpuSince(mark: CpuMark, redisPid: number | undefined): { server: number; redis: number | null } {
  const redis = procCpuMs(redisPid);
  return { server: serverCpuMs() - mark.server, redis: redis === null || mark.redis === null ? null : redis - mark.redis };
}

// ---------------------------------------------------------------------------------------------------------------

const server: RedisServer = await startRedis();
const prefix = randomPrefix();
const bots = ['bench-a', 'bench-b'];
const ref = (i: number) => ({ botId: bots[i % bots.length]!, customerId: `c${i}`, customerName: `客户${i}` });
const convId = (i: number): string => `${bots[i % bots.length]}.c${i}`;
const PASSWORD = 'bench console password';

/** The "bot process": its own connection and Handoff, as src/bot would have. */
const botRedis: Redis = server.client();
/** The console's connection (its Handoff, the agents, /readyz); the live reader makes its own. */
const consoleRedis: Redis = server.client();
await Promise.all([waitReady(botRedis), waitReady(consoleRedis)]);
const bot = new Handoff(botRedis, { prefix, policy: DEFAULT_SLA_POLICY });
const handoff = new Handoff(consoleRedis, { prefix, policy: DEFAULT_SLA_POLICY });
const agents = new AgentStore(consoleRedis, prefix);
let app: FastifyInstance | undefined;
/** The console's kept queue answers (src/console/list-cache.ts): its hits and misses are reported. */
const listCache = new ListCache();
/** The share of loads since `from` that the cache answered. */
const hitRate = (from: { hits: number; misses: number }): string => {
  const hits = listCache.stats.hits - from.hits;
  const all = hits + listCache.stats.misses - from.misses;
  return all === 0 ? '-' : `${((100 * hits) / all).toFixed(0)} % from the kept answer`;
};
const sockets = new Set<WsClient>();

try {
  console.log(
    `bench:console — node ${process.version}, ${os.cpus().length} CPUs (load average ${os.loadavg()[0]!.toFixed(2)}), redis-server ${server.url} (loopback), prefix ${prefix}\n`,
  );

  // --- Seed: 10,000 waiting conversations over 2 bot accounts, some customers vip ------------------------------
  // (and ACTIVE + PARKED more, i >= WAITING, taken out of the queue below)
  for (const b of bots) await bot.registerBot(b);
  let vip = 0;
  const seedMs = await pool(WAITING + ACTIVE + PARKED, SEED_CONCURRENCY, async (i) => {
    const r = ref(i);
    await bot.recordMessage(r, { from: 'customer', text: `我要转人工，录屏没有声音 #${i}`, msgId: `seed-${i}` });
    if (i % 8 === 0) {
      await bot.setTier(r.botId, r.customerId, 'vip');
      vip++;
    } else if (i % 8 === 3) {
      await bot.setTier(r.botId, r.customerId, 'standard');
    }
    await bot.requestHuman(r, { reason: i % 3 === 0 ? 'low_confidence' : 'customer_asked', question: '录屏没有声音' });
  });
  // The UI-load agents: each claims ACTIVE / UI_AGENTS; the first is a manager (sees everyone's, and the parked).
  const uiAgents: Agent[] = [];
  for (let a = 0; a < UI_AGENTS; a++) {
    uiAgents.push(await agents.add({ username: `ui${a}`, roles: a === 0 ? ['manager'] : ['agent'], password: PASSWORD, name: `客服${a}` }));
  }
  for (let k = 0; k < ACTIVE; k++) {
    const who = uiAgents[k % UI_AGENTS]!;
    await handoff.claim(convId(WAITING + k), { id: who.id, name: who.name });
  }
  for (let k = 0; k < PARKED; k++) await handoff.park(convId(WAITING + ACTIVE + k), { problemId: 'p-bench', by: uiAgents[0]!.id });
  const counts = await handoff.counts();
  console.log(
    `seeded ${WAITING + ACTIVE + PARKED} conversations (${vip} vip) on ${bots.length} bot accounts in ${(seedMs / 1000).toFixed(2)} s (${(((WAITING + ACTIVE + PARKED) / seedMs) * 1000).toFixed(0)} conversations/s, ${SEED_CONCURRENCY} in flight); ${counts.waiting} waiting, ${counts.active} active, ${counts.awaitingFix} parked`,
  );
  if (counts.waiting !== WAITING) fail(`counts().waiting is ${counts.waiting}, expected ${WAITING}`);
  if (counts.active !== ACTIVE || counts.awaitingFix !== PARKED) fail(`counts() ${JSON.stringify(counts)}, expected ${ACTIVE} active and ${PARKED} parked`);

  // The expected order of the queue: every waiting conversation by due time, then id (as listWaiting).
  const truth: { id: string; due: number }[] = [];
  for (const b of bots) {
    const flat = await consoleRedis.zrange(handoff.keys.queue(b), '0', '-1', 'WITHSCORES');
    for (let i = 0; i + 1 < flat.length; i += 2) truth.push({ id: flat[i]!, due: Number(flat[i + 1]) });
  }
  truth.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));

  // --- The console app on a real socket; a login through the API -----------------------------------------------
  await agents.add({ username: 'bench', roles: ['agent'], password: PASSWORD, name: '压测客服' });
  // ui: false: the static UI routes are not what is measured here.
  // One user holds every measured socket here (the per-user cap guards against a flood, not this).
  app = await buildApp({ handoff, agents, redis: consoleRedis, listCache, ui: false, live: { connect: () => server.client(), maxSocketsPerAgent: MANY_SOCKETS + 1 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const base = `http://127.0.0.1:${port}`;
  const login = async (username: string): Promise<string> => {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const token = await login('bench');
  const headers = { authorization: `Bearer ${token}` };
  console.log(`console app on ${base}, logged in through POST /api/auth/login\n`);

  // --- Queue page -----------------------------------------------------------------------------------------------
  /** One page, timed from the request to the last byte of its body. */
  const getPage = async (limit: number | undefined, status = 'waiting', auth = headers): Promise<{ ms: number; status: number; body: string }> => {
    const url = `${base}/api/conversations?status=${status}${limit === undefined ? '' : `&limit=${limit}`}`;
    const t0 = performance.now();
    const res = await fetch(url, { headers: auth });
    const body = await res.text();
    return { ms: performance.now() - t0, status: res.status, body };
  };
  let pageFailures = 0;
  /** The page must be the `n` most urgent conversations, ordered by slaDueAt ascending. */
  const verifyPage = (label: string, page: { status: number; body: string }, n: number): void => {
    const problem = ((): string | null => {
      if (page.status !== 200) return `status ${page.status}: ${page.body.slice(0, 200)}`;
      const { items } = JSON.parse(page.body) as { items: ApiConversation[] };
      if (items.length !== n) return `${items.length} items, expected ${n}`;
      for (let i = 0; i < n; i++) {
        const it = items[i]!;
        if (it.status !== 'waiting') return `item ${i} (${it.id}) has status ${it.status}`;
        if (i > 0 && Date.parse(it.slaDueAt!) < Date.parse(items[i - 1]!.slaDueAt!)) {
          return `not ordered by slaDueAt: item ${i} ${it.slaDueAt} before item ${i - 1} ${items[i - 1]!.slaDueAt}`;
        }
        if (it.id !== truth[i]!.id || Date.parse(it.slaDueAt!) !== truth[i]!.due) {
          return `item ${i} is ${it.id} due ${it.slaDueAt}, the queue says ${truth[i]!.id} due ${new Date(truth[i]!.due).toISOString()}`;
        }
      }
      return null;
    })();
    // Report the first few; the count at the end.
    if (problem && pageFailures++ < 3) fail(`${label}: ${problem}`);
  };

  const cold = await getPage(undefined);
  verifyPage('first (cold) page', cold, DEFAULT_PAGE);
  const firstVip = (JSON.parse(cold.body) as { items: ApiConversation[] }).items.filter((c) => c.customer.tier === 'vip').length;
  console.log(`first page cold (the first GET after start): ${fmt(cold.ms)}; ${firstVip} of its ${DEFAULT_PAGE} are vip; ${(Buffer.byteLength(cold.body) / 1024).toFixed(1)} KiB`);

  const stopProfile = await profile(process.env.BENCH_PROFILE);
  const pageFigures: { name: string; s: Stats; noTarget?: boolean }[] = [];
  for (const limit of [UI_LIMITS.waiting, 50] as const) {
    const n = limit;
    const label = `queue page (limit=${limit})`;
    for (let i = 0; i < PAGE_WARMUP; i++) verifyPage(`${label} warm-up`, await getPage(limit), n);
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < PAGE_REQUESTS; i++) {
      const page = await getPage(limit);
      lat.push(page.ms);
      verifyPage(label, page, n); // outside the timed part
    }
    const ms = performance.now() - t0;
    const s = stats(lat);
    line(`${label}, sequential`, s, `  ${((PAGE_REQUESTS / ms) * 1000).toFixed(0).padStart(5)} req/s`);
    pageFigures.push({ name: `${label} p99`, s });
  }
  const pageRates: { name: string; value: number; unit: string }[] = [];
  {
    // The clients on a thread of their own: the server's event loop does only the server's work.
    const url = `${base}/api/conversations?status=waiting&limit=${UI_LIMITS.waiting}`;
    const kept0 = { ...listCache.stats };
    const cpu0 = cpuNow(server.pid);
    const run = await runClients(Array.from({ length: PAGE_CLIENTS }, () => ({ url, headers })), PAGE_REQUESTS_PER_CLIENT);
    const cpu = cpuSince(cpu0, server.pid);
    const lat = run.clients.flatMap((c) => c.lat);
    for (const b of run.clients.flatMap((c) => c.kept)) verifyPage(`queue page, ${PAGE_CLIENTS} clients`, b, UI_LIMITS.waiting);
    const s = stats(lat);
    const rate = (lat.length / run.ms) * 1000;
    line(`queue page (limit=${UI_LIMITS.waiting}), ${PAGE_CLIENTS} clients`, s, `  ${rate.toFixed(0).padStart(5)} req/s, ${hitRate(kept0)}`);
    pageFigures.push({ name: `queue page, ${PAGE_CLIENTS} concurrent clients p99`, s });
    pageRates.push({ name: `queue page, ${PAGE_CLIENTS} concurrent clients`, value: rate, unit: 'pages/s' });
    const perPage = (x: number): number => x / lat.length;
    console.log(
      `${''.padEnd(44)} CPU per page: the server's thread ${fmt(perPage(cpu.server))}${cpu.redis === null ? '' : `, redis-server ${fmt(perPage(cpu.redis))}`}`,
    );
    pageRates.push({ name: 'queue page CPU of the server thread', value: perPage(cpu.server), unit: 'ms' });
    if (cpu.redis !== null) pageRates.push({ name: 'queue page CPU of redis-server', value: perPage(cpu.redis), unit: 'ms' });
  }
  await stopProfile();
  if (pageFailures > 3) fail(`${pageFailures} wrong queue pages in all`);
  // Where a page's time goes: the same work without HTTP, fastify or JSON (the handoff's Redis reads, the token check).
  {
    for (let i = 0; i < PAGE_WARMUP; i++) await handoff.listWaiting(DEFAULT_PAGE);
    const direct: number[] = [];
    const auth: number[] = [];
    for (let i = 0; i < PAGE_REQUESTS; i++) {
      let t0 = performance.now();
      await handoff.listWaiting(DEFAULT_PAGE);
      direct.push(performance.now() - t0);
      t0 = performance.now();
      await agents.authenticate(token);
      auth.push(performance.now() - t0);
    }
    line(`  without HTTP: handoff.listWaiting(${DEFAULT_PAGE})`, stats(direct));
    line('  without HTTP: agents.authenticate(token)', stats(auth));
  }
  // The queue lists as the UI loads them, by UI_AGENTS agents at once (the first a manager).
  {
    const sessions = await Promise.all(uiAgents.map(async (a) => ({ agent: a, auth: { authorization: `Bearer ${await login(a.username)}` } })));
    const mine = (id: string): number => Math.floor(ACTIVE / UI_AGENTS) + (uiAgents.findIndex((a) => a.id === id) < ACTIVE % UI_AGENTS ? 1 : 0);
    let loadFailures = 0;
    const check = (label: string, page: { status: number; body: string }, ok: (items: ApiConversation[]) => string | null): void => {
      const problem = page.status !== 200 ? `status ${page.status}: ${page.body.slice(0, 200)}` : ok((JSON.parse(page.body) as { items: ApiConversation[] }).items);
      if (problem && loadFailures++ < 3) fail(`UI load, ${label}: ${problem}`);
    };
    const queueUrl = `${base}/api/queue?waiting=${UI_LIMITS.waiting}&active=${UI_LIMITS.active}&parked=${UI_LIMITS.awaitingFix}`;
    const verifyLoad = ({ agent }: (typeof sessions)[number], res: { status: number; body: string }): void => {
      const manager = agent.roles.includes('manager');
      if (res.status !== 200) {
        check('GET /api/queue', res, () => null);
        return;
      }
      const lists = JSON.parse(res.body) as Record<'waiting' | 'active' | 'parked', { items: ApiConversation[] }>;
      const part = (name: keyof typeof lists) => ({ status: 200, body: JSON.stringify(lists[name]) });
      verifyPage('UI load, waiting', part('waiting'), UI_LIMITS.waiting);
      check(`active of ${agent.username}`, part('active'), (items) => {
        const want = manager ? Math.min(ACTIVE, UI_LIMITS.active) : mine(agent.id);
        if (items.length !== want) return `${items.length} items, expected ${want}`;
        if (items.some((c) => c.status !== 'active' || (!manager && c.assignee?.id !== agent.id))) return 'an item not active, or not the caller\'s';
        return items.every((c, i) => i === 0 || c.updatedAt <= items[i - 1]!.updatedAt) ? null : 'not newest first';
      });
      check(`parked of ${agent.username}`, part('parked'), (items) => {
        if (items.some((c) => c.status !== 'awaiting_fix' || (!manager && c.assignee?.id !== agent.id))) return 'an item not parked, or not the caller\'s';
        return !manager || items.length === PARKED ? null : `${items.length} items, expected ${PARKED} parked`;
      });
    };
    // As src/console/ui/data.js loadQueue: the three lists in one GET /api/queue, each agent a
    // client on the clients' thread.
    for (const sess of sessions) {
      const res = await fetch(queueUrl, { headers: sess.auth });
      verifyLoad(sess, { status: res.status, body: await res.text() });
    }
    const kept0 = { ...listCache.stats };
    const run = await runClients(sessions.map((sess) => ({ url: queueUrl, headers: sess.auth })), UI_LOADS_PER_AGENT);
    run.clients.forEach((c, i) => c.kept.forEach((k) => verifyLoad(sessions[i]!, k)));
    const lat = run.clients.flatMap((c) => c.lat);
    const ms = run.ms;
    const s = stats(lat);
    line(`UI queue load, ${UI_AGENTS} agents (1 manager)`, s, `  ${((lat.length / ms) * 1000).toFixed(0).padStart(5)} loads/s, ${hitRate(kept0)}`);
    pageFigures.push({ name: `UI queue load (${UI_AGENTS} agents at once, one a manager) p99`, s });
    // Apart: the manager's load carries every active chat whole; an agent's only their own.
    const byRole = (manager: boolean) => run.clients.filter((_, i) => sessions[i]!.agent.roles.includes('manager') === manager).flatMap((c) => c.lat);
    line('  of which the manager\'s loads', stats(byRole(true)));
    line('  of which the agents\' loads', stats(byRole(false)));
    if (loadFailures > 3) fail(`${loadFailures} wrong lists in the UI loads in all`);
  }
  // The same page clients while customers write to waiting chats at RATE messages/s: each message
  // is an event, so a kept answer lasts a few ms and most pages are read again (what a busy queue
  // costs; the figures above are the queue between events).
  {
    const url = `${base}/api/conversations?status=waiting&limit=${UI_LIMITS.waiting}`;
    const kept0 = { ...listCache.stats };
    let writing = true;
    let written = 0;
    const writes: Promise<unknown>[] = [];
    const writer = (async () => {
      const start = performance.now();
      while (writing) {
        const wait = start + (written * 1000) / RATE - performance.now();
        if (wait > 1) await sleep(wait);
        // Chats far down the queue (the socket figures below use the first ones): a message changes
        // neither the order nor the due times, so every page is still checked against the queue.
        const i = WAITING / 2 + (written % (WAITING / 2));
        written++;
        writes.push(bot.recordMessage(ref(i), { from: 'customer', text: `还在吗 #${written}`, msgId: `churn-${written}` }));
      }
    })();
    const run = await runClients(Array.from({ length: PAGE_CLIENTS }, () => ({ url, headers })), PAGE_REQUESTS_PER_CLIENT);
    writing = false;
    await writer;
    await Promise.all(writes);
    const lat = run.clients.flatMap((c) => c.lat);
    for (const b of run.clients.flatMap((c) => c.kept)) verifyPage(`queue page, ${PAGE_CLIENTS} clients, messages arriving`, b, UI_LIMITS.waiting);
    const s = stats(lat);
    line(`  the same while ${RATE} messages/s arrive`, s, `  ${((lat.length / run.ms) * 1000).toFixed(0).padStart(5)} req/s, ${hitRate(kept0)} (${written} messages)`);
    pageFigures.push({ name: `queue page, ${PAGE_CLIENTS} concurrent clients, ${RATE} messages/s arriving p99`, s, noTarget: true });
  }
  console.log();

  // --- Socket delay ---------------------------------------------------------------------------------------------
  const wsUrl = `ws://127.0.0.1:${port}/api/live`;

  /** A socket on /api/live, authenticated (its `hello` received). */
  interface Live {
    ws: WsClient;
    /** conv -> the delay and the event's data.msg; one entry per customer message event of the run. */
    got: Map<string, { ms: number; msg: string }>;
    duplicates: number;
    unexpected: number;
  }
  let sentAt = new Map<string, number>();

  const openLive = (): Promise<Live> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      sockets.add(ws);
      const live: Live = { ws, got: new Map(), duplicates: 0, unexpected: 0 };
      let hello = false;
      const timer = setTimeout(() => reject(new Error('no hello on /api/live within 5 s')), 5_000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
      ws.on('message', (data) => {
        const at = performance.now(); // the clock point: the client's handler, before parsing
        const m = JSON.parse(data.toString('utf8')) as { type: string; event?: HandoffEvent };
        if (m.type === 'hello') {
          hello = true;
          clearTimeout(timer);
          resolve(live);
          return;
        }
        if (m.type !== 'event' || !m.event || m.event.type !== 'message' || m.event.data.from !== 'customer') return;
        const e = m.event;
        const t0 = sentAt.get(e.conv);
        if (t0 === undefined) live.unexpected++;
        else if (live.got.has(e.conv)) live.duplicates++;
        else live.got.set(e.conv, { ms: at - t0, msg: e.data.msg ?? '' });
      });
      ws.on('close', (code, reason) => {
        sockets.delete(ws);
        if (!hello) {
          clearTimeout(timer);
          reject(new Error(`/api/live closed before hello: ${code} ${reason.toString('utf8')}`));
        }
      });
      ws.on('error', () => undefined);
    });

  const closeLive = (all: Live[]): Promise<void> =>
    Promise.all(
      all.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.ws.readyState === 3) return resolve();
            l.ws.on('close', () => resolve());
            l.ws.close();
          }),
      ),
    ).then(() => undefined);

  const socketFigures: { name: string; s: Stats }[] = [];
  let nextConv = 0;
  for (const n of [1, MANY_SOCKETS]) {
    const lives = await Promise.all(Array.from({ length: n }, () => openLive()));
    const total = RATE * SECONDS;
    const first = nextConv;
    nextConv += total;
    sentAt = new Map();
    const entryIds = new Map<string, string>();
    const ackLat: number[] = [];
    const lateness: number[] = [];
    const running: Promise<void>[] = [];

    // One message per conversation (a new one each), so the event's conv tells whose it is; sent on
    // a schedule (the i-th at start + i/RATE), never waiting for the previous one to finish.
    const start = performance.now();
    for (let k = 0; k < total; k++) {
      const due = start + (k * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const i = first + k;
      const conv = convId(i);
      const t0 = performance.now();
      lateness.push(t0 - due);
      sentAt.set(conv, t0);
      running.push(
        bot.recordMessage(ref(i), { from: 'customer', text: `客户追问 #${i}`, msgId: `live-${i}` }).then((r) => {
          ackLat.push(performance.now() - t0);
          entryIds.set(conv, r.id);
        }),
      );
    }
    const sendMs = performance.now() - start;
    await Promise.all(running);
    // Every socket must get every message: wait for the stragglers (at most 5 s).
    const deadline = performance.now() + 5_000;
    while (lives.some((l) => l.got.size < total) && performance.now() < deadline) await sleep(10);

    const delays: number[] = [];
    let lost = 0;
    let wrongId = 0;
    for (const l of lives) {
      lost += total - l.got.size;
      for (const [conv, g] of l.got) {
        delays.push(g.ms);
        if (g.msg !== entryIds.get(conv)) wrongId++;
      }
    }
    const received = delays.length;
    const sent = total * n;
    const s = stats(delays);
    const label = `socket delay, ${n} socket${n === 1 ? '' : 's'} @ ${RATE}/s`;
    line(label, s, `  ${received}/${sent} events received`);
    const ack = stats(ackLat);
    const late = stats(lateness);
    console.log(
      `${''.padEnd(44)} sent ${total} in ${(sendMs / 1000).toFixed(2)} s (${((total / sendMs) * 1000).toFixed(0)}/s, send lag p99 ${fmt(late.p99)} max ${fmt(late.max)}); recordMessage ack p50 ${fmt(ack.p50)} p99 ${fmt(ack.p99)}`,
    );
    if (late.p99 > 5) {
      console.log(
        `${''.padEnd(44)} NOTE: the sender itself ran late (p99 ${fmt(late.p99)} behind schedule): this process was not running on time (a busy machine?), and the delays include that`,
      );
    }
    if (lost > 0) fail(`${label}: ${lost} of ${sent} events never arrived`);
    if (received !== sent) fail(`${label}: ${received} events received, ${sent} sent`);
    const dups = lives.reduce((a, l) => a + l.duplicates, 0);
    const unexpected = lives.reduce((a, l) => a + l.unexpected, 0);
    if (dups > 0) fail(`${label}: ${dups} duplicate events`);
    if (unexpected > 0) fail(`${label}: ${unexpected} customer message events for conversations not sent to`);
    if (wrongId > 0) fail(`${label}: ${wrongId} events whose data.msg is not the entry recordMessage returned`);
    socketFigures.push({ name: `${label} p99`, s });
    await closeLive(lives);
  }

  // --- Summary --------------------------------------------------------------------------------------------------
  console.log(`\n${'figure'.padEnd(48)} ${'value'.padStart(10)}  ${'target'.padStart(10)}`);
  const row = (name: string, value: number, target: number): void =>
    console.log(`${name.padEnd(48)} ${fmt(value).padStart(10)}  ${`<= ${target} ms`.padStart(10)}  ${value <= target ? 'ok' : 'MISS'}`);
  for (const f of pageFigures) {
    console.log(`${f.name.replace(/ p99$/, ' p50').padEnd(48)} ${fmt(f.s.p50).padStart(10)}`);
    report(f.name.replace(/ p99$/, ' p50'), f.s.p50, 'ms');
    if (f.noTarget) {
      console.log(`${f.name.padEnd(48)} ${fmt(f.s.p99).padStart(10)}`);
      report(f.name, f.s.p99, 'ms');
      continue;
    }
    row(f.name, f.s.p99, QUEUE_P99_TARGET);
    report(f.name, f.s.p99, 'ms', atMost(f.s.p99, QUEUE_P99_TARGET, 'ms'));
  }
  for (const r of pageRates) {
    console.log(`${r.name.padEnd(48)} ${formatValue(r.value, r.unit).padStart(10)}`);
    report(r.name, r.value, r.unit);
  }
  for (const f of socketFigures) {
    console.log(`${f.name.replace(/ p99$/, ' p50').padEnd(48)} ${fmt(f.s.p50).padStart(10)}`);
    row(f.name, f.s.p99, SOCKET_P99_TARGET);
    report(f.name.replace(/ p99$/, ' p50'), f.s.p50, 'ms');
    report(f.name, f.s.p99, 'ms', atMost(f.s.p99, SOCKET_P99_TARGET, 'ms'));
  }
  console.log(`\nrss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, load average ${os.loadavg()[0]!.toFixed(2)} (1 min)`);
  report('rss', process.memoryUsage().rss / 2 ** 20, 'MB');
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
} finally {
  for (const ws of sockets) ws.terminate();
  await app?.close();
  // stopAll() waits for the redis-server child to exit, but the child is unref'd: with nothing else
  // left to hold the event loop, Node would quit mid-await (exit code 13, unsettled top-level await).
  const holdLoop = setInterval(() => undefined, 1_000);
  await stopAll();
  clearInterval(holdLoop);
}
report('wrong pages, lost or duplicate events (failures)', failures.length, '', noneOf(failures.length));
if (failures.length > 0) {
  console.log(`\n${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exitCode = 1;
}
