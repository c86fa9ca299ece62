/**
 * npm run bench:load — the whole system under a crowd, against one redis-server started for the
 * run, the bot and the console in processes of their own as in production, running nothing but
 * the product (the customers and the agents are in this process):
 *
 *  - the bot as a child process (bench/load-bot.ts: startBot, the production composition root, on
 *    wechaty-puppet-mock), flood control opened up (10 messages in a few seconds would otherwise,
 *    rightly, be throttled). The mock customers' end of the chat lives there with the mock puppet,
 *    reduced to passing messages: what a customer says and when is decided in this process, which
 *    it tells over stdin, and it hears over stdout (stamped in the bot's process);
 *  - the console as a child process (test/support/console-process.ts: the composition root with
 *    the console role), listening on 127.0.0.1 (same Redis, same key prefix and so the same bot
 *    account), one socket open on its /api/live counting what it is sent;
 *  - LOAD_CUSTOMERS mock customers (default 1,000) x LOAD_MESSAGES messages (default 10), at most
 *    LOAD_CONCURRENCY customers talking at once (default 250). A customer sends its next message once
 *    it heard the bot's reply (at most 10 s), or after a short pause when no reply is expected (while
 *    with a person, a lone emoji). The mix: questions and alternates of the product's knowledge base,
 *    chatter ("你好", "谢谢", "好的", emoji, numbers) and "转人工" (every 10th customer, once, some twice);
 *  - LOAD_AGENTS agents (default 10) as API clients over real HTTP: each logs in, polls
 *    GET /api/conversations?status=waiting, claims one of the first three (a 409 when another agent
 *    was faster is expected), reads it, replies once or twice and resolves. When the customers are
 *    done the agents empty the queue (at most LOAD_DRAIN_S seconds, default 30), then stop.
 *
 * Verified at the end (exit 1 with the list of problems on any failure): every customer message (by
 * its WeChat message id) is in that customer's transcript exactly once; every "转人工" said to the bot is
 * followed by a handoff, and every handoff is waiting (in the queue), claimed (active, with its
 * assignee) or resolved (then back with the bot once the customer writes again), the conversation's
 * status agreeing with its transcript and counts() with them all; every agent reply and
 * every "resolved" notice reached the mock customer exactly once; the live socket got, once, every
 * customer message written while its chat was in a list (waiting or with an agent: a chat with the
 * bot goes only to tabs viewing it); no unexpected HTTP status. Printed: throughput (customer
 * messages/s, first send to last reply), the bot's answer latency p50/p99 (send -> first reply
 * heard), agent reply delivery p50/p99 (POST -> the customer heard it), handoffs, claims, 409s,
 * the CPU each process spent while the customers talked, RSS.
 *
 * The customers' and agents' work is in this process, so the bot's and the console's CPU figures
 * and latencies are the product's (the latencies still include this process's reaction time).
 * Four busy processes share the machine's CPUs (two, where this was written) with whatever else
 * runs: each process's time runnable but waiting for a CPU (/proc/<pid>/schedstat) and the
 * machine's CPU pressure (PSI) are printed, and this process's own event loop delay, so a slow run
 * shows whether the product or the machine was slow. The bot's part of a reply's delivery
 * (outbound stream -> heard, both stamped off this process) leaves this process's delays out.
 *
 *   LOAD_CUSTOMERS=1000 LOAD_MESSAGES=10 LOAD_CONCURRENCY=250 LOAD_AGENTS=10 npm run bench:load
 *   LOAD_PROFILE=<folder>: the bot and the console write CPU profiles there (bench/cpu-profile.mjs)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadMessages } from '../src/bot/messages.ts';
import { AgentStore } from '../src/console/auth/index.ts';
import type { ApiConversation } from '../src/console/serialize.ts';
import { fieldsOf } from '../src/handoff/convert.ts';
import { conversationId, DEFAULT_SLA_POLICY, Handoff, type HandoffEvent } from '../src/handoff/index.ts';
import { createKnowledgeService, percentile, type KnowledgeService } from '../src/knowledge/index.ts';
import { KB_DIR, ROOT, ScriptProcess } from '../test/support/processes.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../test/support/redis.ts';
import { WebSocket, type WsClient } from '../test/support/sockets.ts';
import { atMost, noneOf, printFigures, reporter, type Figure } from './report.ts';
import { seededRandom } from '../src/random.ts';

const CUSTOMERS = Number(process.env.LOAD_CUSTOMERS ?? 1000);
const MESSAGES = Number(process.env.LOAD_MESSAGES ?? 10);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 250);
const AGENTS = Number(process.env.LOAD_AGENTS ?? 10);
const DRAIN_S = Number(process.env.LOAD_DRAIN_S ?? 30);
/** How long a customer waits for the bot's answer when one is expected. */
const REPLY_TIMEOUT_MS = 10_000;
/** The pause before the next message when no answer is expected (with a person, a lone emoji). */
const QUIET_MS = 300;
/** Agents: pause between polls of an empty queue, and "typing" time per reply. */
const POLL_MS = 100;
const THINK_MS = 30;
const PASSWORD = 'bench load password';
const SEED = Number(process.env.LOAD_SEED ?? 20240601);
/** A folder: the bot and the console write V8 CPU profiles there when they exit (bench/cpu-profile.mjs). */
const PROFILE_DIR = process.env.LOAD_PROFILE ? path.resolve(process.env.LOAD_PROFILE) : undefined;
const profiling: Record<string, string> = PROFILE_DIR
  ? { NODE_OPTIONS: `--import ${path.join(ROOT, 'bench/cpu-profile.mjs')}`, CPU_PROFILE_DIR: PROFILE_DIR }
  : {};

const CHATTER = ['你好', '在吗', '谢谢', '好的', '收到', '👍', '😊', '123', '1', '3', '8'];
/** Chatter the bot rightly does not answer (a message with no words in it). */
const SILENT = new Set(['😊']);
const HUMAN = '转人工';

// ---------------------------------------------------------------------------------------------------------------

const failures: string[] = [];
const fail = (what: string): void => {
  failures.push(what);
};

const prng = seededRandom;
/** The customers' messages (all drawn before the run: the same mix every time). */
const mixRand = prng(SEED);
/** The agents' choices (which of the first three to claim, one reply or two). */
const agentRand = prng(SEED + 1);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(mixRand() * xs.length)]!;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** ns the process's main thread (its event loop) was runnable but waiting for a CPU: the scheduler's run-queue wait. */
function runQueueWaitNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}
/** µs during which some task of this machine waited for a CPU (Linux PSI, /proc/pressure/cpu), every process counted. */
function cpuPressureUs(): number {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
function childRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);


// ---------------------------------------------------------------------------------------------------------------
// Customers

interface Sent {
  id: string;
  text: string;
  /** "转人工" said while with the bot: a handoff must follow. */
  askedBot: boolean;
}

interface Customer {
  index: number;
  /** The mock contact's id in the bot's process. */
  contactId: string;
  /** Texts the bot's account sent this customer (private chat), in order. */
  heard: string[];
  plan: string[];
  sent: Sent[];
  /** Bot messages heard (not agents' replies, not the "resolved" notice). */
  botHeard: number;
  lastBotAt: number;
  /** With a person (heard a queue notice, not yet the "resolved" notice). */
  human: boolean;
  resolvedHeard: number;
  wake?: () => void;
}

/** Every agent reply: `客服<agent>回复#<n>…`, unique by n. */
const AGENT_REPLY = /^客服\d+回复#\d+/;

function planFor(index: number, questions: string[]): string[] {
  const plan: string[] = [];
  const asks = index % 10 === 3;
  const askAt = asks ? 1 + Math.floor(mixRand() * Math.max(1, Math.min(7, MESSAGES - 1))) : -1;
  // A fifth of them ask again two messages later (still waiting, with the agent, or after it was resolved).
  const againAt = asks && mixRand() < 0.2 ? askAt + 2 : -1;
  for (let k = 0; k < MESSAGES; k++) {
    if (k === askAt || k === againAt) plan.push(HUMAN);
    else plan.push(mixRand() < 0.55 ? pick(questions) : pick(CHATTER));
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------------------------

const server: RedisServer = await startRedis();
let botProc: ScriptProcess | undefined;
let knowledge: KnowledgeService | undefined;
const BOT_ID = 'load';
const prefix = randomPrefix();
let consoleProc: ScriptProcess | undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kefu-load-'));
let live: WsClient | undefined;
const figures: Figure[] = [];
const report = reporter('load');
const add = (...args: Parameters<typeof report>): void => void figures.push(report(...args));
const t00 = performance.now();

try {
  const load0 = os.loadavg()[0]!;
  knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
  const messages = await loadMessages(KB_DIR);
  const ratingThanks = new Set([messages.rating_thanks_high, messages.rating_thanks, messages.rating_low_followup]);
  const harness = { prefix, botId: BOT_ID, knowledge };
  botProc = new ScriptProcess({
    name: 'bot',
    script: path.join(ROOT, 'bench/load-bot.ts'),
    cwd: tmp,
    env: {
      REDIS_URL: server.url,
      REDIS_PREFIX: prefix,
      KB_DIR,
      LOG_LEVEL: 'error',
      BOT_ID,
      WECHATY_NAME: BOT_ID,
      WECHATY_PUPPET: 'wechaty-puppet-mock',
      LOAD_CUSTOMERS: String(CUSTOMERS),
      FLOOD_MAX: '1000',
      FLOOD_WINDOW_S: '10',
      FLOOD_MUTE_S: '1',
      FLOOD_CAP_PER_MIN: '100000',
      ...profiling,
    },
  });
  const botPid = botProc.pid;
  /** What each mock customer heard, as the bot's process reports it (see bench/load-bot.ts). */
  const onHeard: ((text: string, at: number) => void)[] = [];
  const early: [number, string, number][] = [];
  let botOut = '';
  botProc.proc.stdout!.on('data', (d: string) => {
    botOut += d;
    let i;
    while ((i = botOut.indexOf('\n')) >= 0) {
      const line = botOut.slice(0, i);
      botOut = botOut.slice(i + 1);
      if (!line.startsWith('{"event":"heard"')) continue;
      const { c, t, at } = JSON.parse(line) as { c: number; t: string; at: number };
      // On this process's performance.now() clock.
      const local = at - performance.timeOrigin;
      const listener = onHeard[c];
      if (listener) listener(t, local);
      else early.push([c, t, local]);
    }
  });
  const contactIds = (await botProc.wait('ready', 120_000)).contacts as string[];
  const say = (index: number, id: string, text: string): void => void botProc!.proc.stdin!.write(`${JSON.stringify(['e', index, id, text])}\n`);

  // The console: a process of its own on the bot's prefix. This process keeps a client of the
  // same data to add the agents and to check the outcome.
  consoleProc = new ScriptProcess({
    name: 'console',
    script: path.join(ROOT, 'test/support/console-process.ts'),
    cwd: tmp,
    env: { REDIS_URL: server.url, REDIS_PREFIX: harness.prefix, KB_DIR, LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: '0', KEFU_ADMIN_PASSWORD: PASSWORD, ...profiling },
  });
  const consoleRedis = server.client();
  await waitReady(consoleRedis);
  const handoff = new Handoff(consoleRedis, { prefix: harness.prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot(harness.botId);
  const agentStore = new AgentStore(consoleRedis, harness.prefix);
  const base = String((await consoleProc.wait('listening')).url).replace(/\/$/, '');
  const consolePid = consoleProc.pid;

  // Real questions the bot answers from the product's knowledge base: every question and alternate.
  const questions = harness.knowledge
    .matcher()
    .kb.entries.flatMap((e) => [e.question, ...e.alternates])
    .filter((q) => harness.knowledge.match(q).decision === 'answer');

  // Texts that tell the customer it is with (or queued for) a person.
  const prefixOf = (template: string): string => template.split('{')[0]!;
  const queueNotices = [messages.queued, messages.outside_hours, messages.already_queued, messages.delay_notice].map(prefixOf);
  /** "您好，我是客服{agent}…": sent by the person's side, if a claim ever tells the customer (not the bot's answer). */
  const joinedNotice = prefixOf(messages.agent_joined);

  console.log(
    `bench:load — node ${process.version}, ${os.cpus().length} CPUs (load average ${load0.toFixed(2)}), redis-server ${server.url}, console ${base} (pid ${consolePid}), bot pid ${botPid}, customers and agents pid ${process.pid}`,
  );
  const plans = Array.from({ length: CUSTOMERS }, (_, i) => planFor(i, questions));
  const mix = { faq: 0, chatter: 0, human: 0 };
  for (const t of plans.flat()) {
    if (t === HUMAN) mix.human++;
    else if (CHATTER.includes(t)) mix.chatter++;
    else mix.faq++;
  }
  console.log(
    `${CUSTOMERS} mock customers x ${MESSAGES} messages (at most ${CONCURRENCY} customers at once), ${AGENTS} agents over HTTP (login, poll the queue, claim, read, reply 1-2 times, resolve)`,
  );
  console.log(
    `mix: ${mix.faq} FAQ questions (${questions.length} distinct questions/alternates of the knowledge base), ${mix.chatter} chatter (${CHATTER.join(' ')}), ${mix.human} x ${HUMAN} (every 10th customer, a fifth of them twice)\n`,
  );

  // --- Agents log in -----------------------------------------------------------------------------------------
  interface AgentClient {
    n: number;
    id: string;
    token: string;
  }
  let httpErrors = 0;
  const httpError = (what: string): void => {
    if (httpErrors++ < 10) fail(what);
  };
  const api = async (a: AgentClient, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${a.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };
  const agentClients: AgentClient[] = [];
  // Over HTTP as people do, within the console's per-IP login limit (30 a minute); more agents
  // than that log in straight in the store (the limit is for people, not what is measured).
  for (let n = 0; n < AGENTS; n++) {
    const added = await agentStore.add({ username: `load${n}`, roles: ['agent'], password: PASSWORD, name: `压测客服${n}` });
    if (AGENTS > 25) {
      const session = await agentStore.login(`load${n}`, PASSWORD);
      if (!session) throw new Error(`load${n} could not log in`);
      agentClients.push({ n, id: added.id, token: session.token });
      continue;
    }
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `load${n}`, password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`login of load${n} answered ${res.status}: ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    agentClients.push({ n, id: added.id, token });
  }

  // --- One live socket: counts the customer message events per conversation --------------------------------------
  const liveCustomerEvents = new Map<string, number>();
  let liveClosed = false;
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/live`);
    live = ws;
    const timer = setTimeout(() => reject(new Error('no hello on /api/live within 5 s')), 5_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: agentClients[0]!.token })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString('utf8')) as { type: string; event?: HandoffEvent };
      if (m.type === 'hello') {
        clearTimeout(timer);
        resolve();
      } else if (m.type === 'event' && m.event?.type === 'message' && m.event.data.from === 'customer') {
        liveCustomerEvents.set(m.event.conv, (liveCustomerEvents.get(m.event.conv) ?? 0) + 1);
      }
    });
    ws.on('close', () => {
      liveClosed = true;
      clearTimeout(timer);
      reject(new Error('/api/live closed'));
    });
    ws.on('error', () => undefined);
  });

  // --- Agents at work ------------------------------------------------------------------------------------------
  let stopAgents = false;
  let polls = 0;
  let claims = 0;
  let conflicts = 0;
  let resolves = 0;
  let replySeq = 0;
  /** Every agent reply accepted (202): text -> conversation and POST time; when heard. */
  const replies = new Map<string, { conv: string; t0: number; heardAt?: number }>();
  const resolvedOf = new Map<string, number>();
  /** One round of an agent: look at the queue, claim one, read it, reply, resolve. */
  const agentTurn = async (a: AgentClient): Promise<void> => {
    const list = await api(a, 'GET', '/api/conversations?status=waiting&limit=20');
    polls++;
    if (list.status !== 200) {
      httpError(`agent ${a.n}: GET waiting answered ${list.status}: ${JSON.stringify(list.json).slice(0, 200)}`);
      await sleep(POLL_MS);
      return;
    }
    const items = (list.json as { items: ApiConversation[] }).items;
    if (items.length === 0) {
      await sleep(POLL_MS);
      return;
    }
    const conv = items[Math.floor(agentRand() * Math.min(3, items.length))]!.id;
    const claim = await api(a, 'POST', `/api/conversations/${conv}/claim`);
    if (claim.status === 409) {
      conflicts++;
      return;
    }
    if (claim.status !== 200) {
      httpError(`agent ${a.n}: claim ${conv} answered ${claim.status}: ${JSON.stringify(claim.json).slice(0, 200)}`);
      return;
    }
    claims++;
    const read = await api(a, 'GET', `/api/conversations/${conv}`);
    if (read.status !== 200) httpError(`agent ${a.n}: GET ${conv} answered ${read.status}`);
    const n = agentRand() < 0.5 ? 1 : 2;
    for (let r = 0; r < n; r++) {
      await sleep(THINK_MS);
      const text = `客服${a.n}回复#${++replySeq}：您好，这边帮您查一下`;
      const t0 = performance.now();
      // Registered before the POST: the delivery may come before its answer.
      replies.set(text, { conv, t0 });
      const sent = await api(a, 'POST', `/api/conversations/${conv}/messages`, { text });
      if (sent.status !== 202) {
        replies.delete(text);
        httpError(`agent ${a.n}: reply in ${conv} answered ${sent.status}: ${JSON.stringify(sent.json).slice(0, 200)}`);
      }
    }
    await sleep(THINK_MS);
    const done = await api(a, 'POST', `/api/conversations/${conv}/resolve`);
    if (done.status === 200) {
      resolves++;
      resolvedOf.set(conv, (resolvedOf.get(conv) ?? 0) + 1);
    } else {
      httpError(`agent ${a.n}: resolve ${conv} answered ${done.status}: ${JSON.stringify(done.json).slice(0, 200)}`);
    }
  };
  const agentLoop = async (a: AgentClient): Promise<void> => {
    while (!stopAgents) {
      try {
        await agentTurn(a);
      } catch (err) {
        httpError(`agent ${a.n}: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(POLL_MS);
      }
    }
  };
  const agentsRunning = Promise.all(agentClients.map(agentLoop));

  // --- Customers -------------------------------------------------------------------------------------------------
  const customers: Customer[] = [];
  const botLat: number[] = [];
  let noReply = 0;
  let lastHeardAt = 0;
  const makeCustomer = (index: number): Customer => {
    const c: Customer = {
      index,
      contactId: contactIds[index]!,
      heard: [],
      plan: plans[index]!,
      sent: [],
      botHeard: 0,
      lastBotAt: 0,
      human: false,
      resolvedHeard: 0,
    };
    onHeard[index] = (text, at) => {
      c.heard.push(text);
      lastHeardAt = Math.max(lastHeardAt, at);
      if (AGENT_REPLY.test(text)) {
        const r = replies.get(text);
        if (r && r.heardAt === undefined) r.heardAt = at;
        return;
      }
      if (text === messages.resolved) {
        c.resolvedHeard++;
        c.human = false;
        return;
      }
      if (joinedNotice && text.startsWith(joinedNotice)) {
        c.human = true;
        return;
      }
      if (queueNotices.some((p) => text.includes(p))) {
        c.human = true;
      }
      c.botHeard++;
      c.lastBotAt = at;
      c.wake?.();
    };
    return c;
  };

  /** Resolves true once the customer heard the bot after `before` messages, false after `ms`. */
  const heardBot = (c: Customer, before: number, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (c.botHeard > before) return resolve(true);
      const timer = setTimeout(() => {
        c.wake = undefined;
        resolve(false);
      }, ms);
      c.wake = () => {
        if (c.botHeard <= before) return;
        clearTimeout(timer);
        c.wake = undefined;
        resolve(true);
      };
    });

  const talk = async (c: Customer): Promise<void> => {
    for (let k = 0; k < c.plan.length; k++) {
      const text = c.plan[k]!;
      const withBot = !c.human;
      // With a person the bot keeps quiet (but for "转人工" while waiting), as it does for a lone emoji.
      const expectReply = withBot && !SILENT.has(text);
      const before = c.botHeard;
      const id = `load${c.index}m${k}`;
      c.sent.push({ id, text, askedBot: text === HUMAN && withBot });
      const t0 = performance.now();
      say(c.index, id, text);
      if (!expectReply) {
        await sleep(QUIET_MS);
        continue;
      }
      if (await heardBot(c, before, REPLY_TIMEOUT_MS)) botLat.push(c.lastBotAt - t0);
      else noReply++;
    }
  };

  const cpu0 = { bot: cpuMs(botPid), console: cpuMs(consolePid), redis: cpuMs(server.pid!), bench: cpuMs(process.pid) };
  const wait0 = { bot: runQueueWaitNs(botPid), console: runQueueWaitNs(consolePid), bench: runQueueWaitNs(process.pid), pressure: cpuPressureUs() };
  // This process's own reaction time: an agent's POST leaves, and a heard reply is taken in, only when its loop is free.
  const benchLoop = monitorEventLoopDelay({ resolution: 5 });
  benchLoop.enable();
  const tStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, CUSTOMERS) }, async () => {
      while (next < CUSTOMERS) {
        const c = makeCustomer(next++);
        customers.push(c);
        await talk(c);
      }
    }),
  );
  const customersMs = performance.now() - tStart;
  benchLoop.disable();
  /** Share of the customers' time a process's event loop was ready to run and had no CPU (another process had it). */
  const waitShare = (now: number, before: number): number => ((now - before) / 1e6 / customersMs) * 100;
  const waits = {
    bot: waitShare(runQueueWaitNs(botPid), wait0.bot),
    console: waitShare(runQueueWaitNs(consolePid), wait0.console),
    bench: waitShare(runQueueWaitNs(process.pid), wait0.bench),
    pressure: ((cpuPressureUs() - wait0.pressure) / 1000 / customersMs) * 100,
  };
  botProc.proc.stdin!.write('["loop"]\n');
  const botLoop = (await botProc.wait('loop')) as { p50: number; p99: number; max: number };
  const cpuShare = (pid: number, before: number): number => ((cpuMs(pid) - before) / customersMs) * 100;
  const cpu = {
    bot: cpuShare(botPid, cpu0.bot),
    console: cpuShare(consolePid, cpu0.console),
    redis: cpuShare(server.pid!, cpu0.redis),
    bench: cpuShare(process.pid, cpu0.bench),
  };
  const sentTotal = customers.reduce((n, c) => n + c.sent.length, 0);
  console.log(
    `customers done: ${sentTotal} messages in ${(customersMs / 1000).toFixed(1)} s; queue ${JSON.stringify(await handoff.counts())}; claims so far ${claims}, 409s ${conflicts}`,
  );

  // --- Agents empty the queue, then stop --------------------------------------------------------------------------
  const drainDeadline = performance.now() + DRAIN_S * 1000;
  while ((await handoff.counts()).waiting > 0 && performance.now() < drainDeadline) await sleep(100);
  stopAgents = true;
  await agentsRunning;
  const agentsMs = performance.now() - tStart;

  // --- Settle: deliveries, transcript writes and live events still on their way (at most 15 s) -----------------
  const byConv = new Map<string, Customer>();
  const identities = handoff.keys.identity(BOT_ID);
  for (const c of customers) {
    const id = await consoleRedis.hget(identities, `c:${c.contactId}`);
    if (id) byConv.set(conversationId(BOT_ID, id), c);
    else fail(`customer ${c.index} (contact ${c.contactId}) has no customer id: the bot never saw them`);
  }
  const convOf = new Map<Customer, string>([...byConv].map(([conv, c]) => [c, conv]));
  const pendingDeliveries = (): number => {
    let n = 0;
    for (const r of replies.values()) if (r.heardAt === undefined) n++;
    for (const [conv, times] of resolvedOf) if ((byConv.get(conv)?.resolvedHeard ?? 0) < times) n++;
    return n;
  };
  const liveTotal = (): number => [...liveCustomerEvents.values()].reduce((a, b) => a + b, 0);
  const settleDeadline = performance.now() + 15_000;
  while (pendingDeliveries() > 0 && performance.now() < settleDeadline) await sleep(100);
  // Live events: until none came for half a second (which ones are due is checked below, per chat).
  for (let seen = -1; liveTotal() !== seen && performance.now() < settleDeadline; ) {
    seen = liveTotal();
    await sleep(500);
  }
  await sleep(300); // anything arriving twice arrives now

  // --- Verify -------------------------------------------------------------------------------------------------------
  let lost = 0;
  let duplicated = 0;
  let strangers = 0;
  let lostHandoffs = 0;
  let liveMismatch = 0;
  let handoffs = 0;
  let claimedEvents = 0;
  let resolvedEvents = 0;
  const statuses: Record<string, number> = {};
  const open = { waiting: 0, active: 0 };
  const k = handoff.keys;
  for (const c of customers) {
    const conv = convOf.get(c);
    if (!conv) continue;
    const transcript = await handoff.transcript(conv, { count: 100_000 });
    const sentById = new Map(c.sent.map((s) => [s.id, s]));
    const seen = new Map<string, number>();
    const problems: string[] = [];
    /** Customer messages written while the chat was in a list (waiting, with an agent): the live socket gets those. */
    let listedEntries = 0;
    // Each handoff of the conversation: waiting -> claimed -> resolved; the next customer message after
    // a resolve gives the chat back to the bot (a new handoff may follow).
    let stage: 'bot' | 'waiting' | 'claimed' | 'resolved' | 'reopened' = 'bot';
    /** A "转人工" said to the bot, not yet followed by its handoff. */
    let asking: string | undefined;
    /** The customer's first words after a resolve, until the bot's answer shows whether they were the rating. */
    let afterResolve = false;
    for (const m of transcript) {
      if (m.from === 'customer') {
        if (stage === 'waiting' || stage === 'claimed') listedEntries++;
        seen.set(m.msgId ?? '', (seen.get(m.msgId ?? '') ?? 0) + 1);
        if (asking) problems.push(`"${HUMAN}" ${asking} was not followed by a handoff`);
        asking = sentById.get(m.msgId ?? '')?.askedBot ? m.msgId : undefined;
        // The rating the close asked for is the close's last word: the chat stays resolved.
        afterResolve = stage === 'resolved';
        if (stage === 'resolved') stage = 'reopened';
      } else if (m.from === 'bot' && afterResolve) {
        afterResolve = false;
        if (ratingThanks.has(m.text)) stage = 'resolved';
      } else if (m.from === 'system' && m.event) {
        const was = stage;
        if (m.event === 'waiting') {
          handoffs++;
          asking = undefined;
          stage = 'waiting';
          if (was === 'waiting' || was === 'claimed') problems.push(`queued again while ${was}`);
        } else if (m.event === 'claimed') {
          claimedEvents++;
          stage = 'claimed';
          if (was !== 'waiting') problems.push(`claimed while ${was}`);
        } else if (m.event === 'resolved') {
          resolvedEvents++;
          stage = 'resolved';
          if (was !== 'claimed') problems.push(`resolved while ${was}`);
        } else {
          problems.push(`unexpected event ${m.event}`);
        }
      }
    }
    if (asking) problems.push(`"${HUMAN}" ${asking} was not followed by a handoff`);

    for (const s of c.sent) {
      const n = seen.get(s.id) ?? 0;
      if (n === 0) {
        if (lost++ < 5) fail(`customer ${c.index}: message ${s.id} (${JSON.stringify(s.text)}) is not in transcript ${conv}`);
      } else if (n > 1) {
        if (duplicated++ < 5) fail(`customer ${c.index}: message ${s.id} is ${n} times in transcript ${conv}`);
      }
      seen.delete(s.id);
    }
    for (const [id, n] of seen) if (strangers++ < 5) fail(`customer ${c.index}: transcript ${conv} has ${n} customer message(s) ${id} never sent`);

    const got = liveCustomerEvents.get(conv) ?? 0;
    if (got !== listedEntries && liveMismatch++ < 5) {
      fail(`live socket: ${got} customer message events for ${conv}, its transcript has ${listedEntries} written while waiting or with an agent`);
    }

    // Where the last handoff stands must be where the conversation is: queued, claimed, resolved.
    const cv = await handoff.conversation(conv);
    const now = cv?.status ?? 'missing';
    statuses[now] = (statuses[now] ?? 0) + 1;
    const expected = { bot: 'bot', waiting: 'waiting', claimed: 'active', resolved: 'resolved', reopened: 'bot' }[stage];
    if (now !== expected) problems.push(`its transcript ends ${stage}, the conversation is ${now}`);
    if (now === 'waiting') {
      open.waiting++;
      if ((await consoleRedis.zscore(k.queue(harness.botId), conv)) === null) problems.push('waiting, but not in the queue');
    } else if (now === 'active') {
      open.active++;
      if (!cv?.assignee) problems.push('active without an assignee');
      if ((await consoleRedis.zscore(k.active(harness.botId), conv)) === null) problems.push('active, but not in the active set');
    }
    if (problems.length > 0 && lostHandoffs++ < 5) fail(`customer ${c.index}, ${conv}: ${problems.join('; ')}`);
  }
  const counts = await handoff.counts();
  if (counts.waiting !== open.waiting || counts.active !== open.active) {
    fail(`counts() says ${JSON.stringify(counts)}, the conversations say waiting ${open.waiting}, active ${open.active}`);
  }
  if (claimedEvents !== claims) fail(`${claims} claims won over HTTP, ${claimedEvents} "claimed" events in the transcripts`);
  if (resolvedEvents !== resolves) fail(`${resolves} resolves over HTTP, ${resolvedEvents} "resolved" events in the transcripts`);
  if (lost > 5) fail(`${lost} customer messages missing from transcripts in all`);
  if (duplicated > 5) fail(`${duplicated} customer messages recorded more than once in all`);
  if (lostHandoffs > 5) fail(`${lostHandoffs} conversations with handoff problems in all`);
  if (liveMismatch > 5) fail(`${liveMismatch} conversations whose live events do not match their transcript in all`);

  // Agent replies and "resolved" notices: each heard once, by the right customer (what
  // the bot's process reported: every private message the bot account sent the customer).
  const heardBy = new Map<Customer, Map<string, number>>();
  const allHeard = new Map<string, number>();
  for (const c of customers) {
    const counts = new Map<string, number>();
    for (const text of c.heard) counts.set(text, (counts.get(text) ?? 0) + 1);
    heardBy.set(c, counts);
    for (const [text, n] of counts) if (AGENT_REPLY.test(text)) allHeard.set(text, (allHeard.get(text) ?? 0) + n);
  }
  let badReplies = 0;
  for (const [text, r] of replies) {
    const owner = byConv.get(r.conv);
    const mine = owner ? (heardBy.get(owner)!.get(text) ?? 0) : 0;
    const anywhere = allHeard.get(text) ?? 0;
    if ((mine !== 1 || anywhere !== 1) && badReplies++ < 5) {
      fail(`agent reply ${JSON.stringify(text.slice(0, 12))} in ${r.conv}: heard ${mine} time(s) by its customer, ${anywhere} in all`);
    }
  }
  for (const text of allHeard.keys()) if (!replies.has(text) && badReplies++ < 5) fail(`a customer heard ${JSON.stringify(text)}, never sent`);
  if (badReplies > 5) fail(`${badReplies} agent replies not heard exactly once in all`);
  let badNotices = 0;
  for (const c of customers) {
    const expected = resolvedOf.get(convOf.get(c)!) ?? 0;
    const heard = heardBy.get(c)!.get(messages.resolved) ?? 0;
    if (heard !== expected && badNotices++ < 5) fail(`customer ${c.index}: heard the "resolved" notice ${heard} time(s), ${expected} resolve(s)`);
  }
  if (liveClosed) fail('the live socket was closed during the run');
  if (early.length > 0) fail(`${early.length} message(s) heard by customers who had not said anything: ${JSON.stringify(early.slice(0, 3))}`);

  // --- Figures -------------------------------------------------------------------------------------------------------
  const bot = sorted(botLat);
  const delivery = sorted([...replies.values()].flatMap((r) => (r.heardAt === undefined ? [] : [r.heardAt - r.t0])));
  // Where a reply's time goes: the console (POST -> its entry in the outbound stream, by the entry
  // id: Redis's clock, the machine's) and the bot (that entry -> the customer heard it).
  const written = new Map<string, number>();
  for (const [entryId, flat] of await consoleRedis.xrange(handoff.keys.outbound(BOT_ID), '-', '+')) {
    const text = fieldsOf(flat).text;
    if (text && replies.has(text)) written.set(text, Number(entryId.split('-')[0]) - performance.timeOrigin);
  }
  const consoleSide: number[] = [];
  const botSide: number[] = [];
  for (const [text, r] of replies) {
    const w = written.get(text);
    if (w === undefined || r.heardAt === undefined) continue;
    consoleSide.push(w - r.t0);
    botSide.push(r.heardAt - w);
  }
  consoleSide.sort((a, b) => a - b);
  botSide.sort((a, b) => a - b);
  const endToEndMs = Math.max(customersMs, lastHeardAt - tStart);
  const load1 = os.loadavg()[0]!;
  console.log(
    `agents: ${polls} polls, ${claims} claims won, ${conflicts} lost races (409), ${replies.size} replies, ${resolves} resolved; all done ${(agentsMs / 1000).toFixed(1)} s after the first message`,
  );
  console.log(`conversations by status: ${JSON.stringify(statuses)}; bot messages heard ${customers.reduce((n, c) => n + c.botHeard, 0)}`);
  console.log('');
  add('customers x messages', sentTotal, '');
  add('throughput (customer messages, end to end)', (sentTotal / endToEndMs) * 1000, 'msg/s');
  add('bot answer latency p50', percentile(bot, 50), 'ms');
  add('bot answer latency p99', percentile(bot, 99), 'ms');
  add('bot answers timed', bot.length, '');
  add(`expected answers not heard within ${REPLY_TIMEOUT_MS / 1000} s`, noReply, '');
  add('agent reply delivery p50', percentile(delivery, 50), 'ms');
  add('agent reply delivery p99', percentile(delivery, 99), 'ms', atMost(percentile(delivery, 99), 250, 'ms'));
  add('  of which POST -> in the outbound stream (console) p50', percentile(consoleSide, 50), 'ms');
  add('  of which POST -> in the outbound stream (console) p99', percentile(consoleSide, 99), 'ms');
  add('  of which outbound stream -> customer heard it (bot) p50', percentile(botSide, 50), 'ms');
  add('  of which outbound stream -> customer heard it (bot) p99', percentile(botSide, 99), 'ms');
  add('handoffs (to the queue)', handoffs, '');
  add('customers who asked for a person', customers.filter((c) => c.sent.some((x) => x.text === HUMAN)).length, '');
  add('claims won', claims, '');
  add('claims lost to another agent (409)', conflicts, '');
  add('agent replies', replies.size, '');
  add('resolved', resolves, '');
  add('customer messages lost from transcripts', lost + strangers, '', noneOf(lost + strangers));
  add('customer messages recorded twice', duplicated, '', noneOf(duplicated));
  add('conversations whose handoffs went astray', lostHandoffs, '', noneOf(lostHandoffs));
  add('agent replies not heard exactly once', badReplies, '', noneOf(badReplies));
  add('"resolved" notices not heard exactly once', badNotices, '', noneOf(badNotices));
  add('customer message events on the live socket (chats in a list)', liveTotal(), '');
  add('conversations with live events != transcript', liveMismatch, '', noneOf(liveMismatch));
  add('unexpected HTTP statuses', httpErrors, '', noneOf(httpErrors));
  add('CPU of the bot process while the customers talked', cpu.bot, '%');
  add("bot's event loop delay while the customers talked p50", botLoop.p50, 'ms');
  add("bot's event loop delay while the customers talked p99", botLoop.p99, 'ms');
  add('CPU of the console process while the customers talked', cpu.console, '%');
  add('CPU of redis-server while the customers talked', cpu.redis, '%');
  add('CPU of this process (customers, agents, checks) while the customers talked', cpu.bench, '%');
  add("this process's event loop delay while the customers talked p99", benchLoop.percentile(99) / 1e6, 'ms');
  // Two cores shared by four processes (and whatever else runs): how much of the latency is waiting for a CPU.
  add('bot event loop runnable, waiting for a CPU (share of the time the customers talked)', waits.bot, '%');
  add('console event loop runnable, waiting for a CPU', waits.console, '%');
  add('this process runnable, waiting for a CPU', waits.bench, '%');
  add('machine: some task waiting for a CPU (PSI cpu some)', waits.pressure, '%');
  add('rss, bot', childRssMb(botPid), 'MB');
  add('rss, console', childRssMb(consolePid), 'MB');
  add('rss, customers and agents (this process)', rssMb(), 'MB');
  printFigures(figures);
  console.log(
    `\nwall time ${((performance.now() - t00) / 1000).toFixed(1)} s; load average ${load1.toFixed(2)} (1 min, at the start ${load0.toFixed(2)}); others may share this machine`,
  );
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
} finally {
  live?.terminate();
  if (consoleProc?.alive) {
    consoleProc.proc.kill('SIGTERM');
    await Promise.race([consoleProc.exited, sleep(5_000)]);
    await consoleProc.kill9();
  }
  if (botProc?.alive) {
    botProc.proc.kill('SIGTERM');
    await Promise.race([botProc.exited, sleep(5_000)]);
    await botProc.kill9();
  }
  await knowledge?.close();
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.log(`\n${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exitCode = 1;
}
