/**
 * Fault injection (issue 6): real processes, real signals.
 *
 * - The bot runs in a child process (test/support/bot-process.ts: startBot on wechaty-puppet-mock with
 *   mock customers that write every line they hear to a JSONL file). With agent replies in flight it
 *   is SIGKILLed and restarted, and Redis (AOF, appendfsync always) is SIGKILLed and restarted too:
 *   every reply reaches its customer exactly once, in order.
 * - A console child process (test/support/console-process.ts: startKefu with the console role) is
 *   SIGKILLed while its live socket is streaming: a fresh console shows the same transcript as Redis.
 *
 * FAULT_LOG_LEVEL=warn puts the children's logs (stderr) into failure messages; FAULT_KEEP=1 keeps the
 * temp dir with the customers' JSONL.
 *
 * The agent side is this process: a Handoff on a production client (createRedis: reconnects, offline
 * queue) that claims the conversations and replies, as the console's routes do.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiMessage } from '../src/console/serialize.ts';
import { createRedis, DEFAULT_SLA_POLICY, Handoff, isReady } from '../src/handoff/index.ts';
import { OUTBOUND_GROUP } from './support/bot.ts';
import { KB_DIR, ROOT, ScriptProcess } from './support/processes.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from './support/redis.ts';
import { Conn, WebSocket } from './support/sockets.ts';
import { clientIds, waitClientsGone, waitDrained } from './support/streams.ts';
import { waitFor } from './support/waits.ts';

const BOT_SCRIPT = path.join(ROOT, 'test/support/bot-process.ts');
const CONSOLE_SCRIPT = path.join(ROOT, 'test/support/console-process.ts');
/** FAULT_LOG_LEVEL=warn to see the children's logs in a failure message. */
const CHILD_LOG_LEVEL = process.env.FAULT_LOG_LEVEL ?? 'silent';

const BOT_ID = 'faultbot';
const CUSTOMERS = Array.from({ length: 5 }, (_, i) => `客户${i + 1}`);
const AGENT = { id: 'agent-f', name: '坐席F' };
const PASSWORD = 'fault test password';
/** A reply every this many ms, round robin over the customers (the agent's pace, not a wait). */
const REPLY_EVERY_MS = 12;
/** The waits here span process starts and restarts. */
const LONG = 15_000;

// ---------------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ScriptProcess>();

function start(name: string, script: string, env: Record<string, string>): ScriptProcess {
  const child = new ScriptProcess({ name, script, cwd: tmp, env: { LOG_LEVEL: CHILD_LOG_LEVEL, KB_DIR, ...env } });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

// ---------------------------------------------------------------------------------------------------
// Shared state

let tmp: string;
let heardFile: string;
let server: RedisServer;
let prefix: string;
let redis: Redis;
let handoff: Handoff;
let bot: ScriptProcess;
/** Customer name -> conversation id (from the queue after the first start). */
const convOf = new Map<string, string>();
/** The repliers of the tests, in order (a later test checks every reply is in the transcript). */
const repliers: Replier[] = [];

interface Heard {
  customer: string;
  text: string;
  pid: number;
}

/** Every complete line of the JSONL the customers wrote (a line still being written is left for later). */
function heard(): Heard[] {
  let text: string;
  try {
    text = readFileSync(heardFile, 'utf8');
  } catch {
    return [];
  }
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  return text
    .slice(0, end)
    .split('\n')
    .map((l) => JSON.parse(l) as Heard);
}

function startBotProcess(name: string, say: string): ScriptProcess {
  return start(name, BOT_SCRIPT, {
    REDIS_URL: server.url,
    REDIS_PREFIX: prefix,
    WECHATY_NAME: BOT_ID,
    BOT_ID,
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    MOCK_HEARD: heardFile,
    MOCK_CUSTOMERS: String(CUSTOMERS.length),
    MOCK_SAY: say,
  });
}

function startConsoleProcess(name: string): ScriptProcess {
  return start(name, CONSOLE_SCRIPT, {
    REDIS_URL: server.url,
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    KEFU_ADMIN_PASSWORD: PASSWORD,
  });
}

interface Sent {
  customer: string;
  conv: string;
  text: string;
  /** Issued while this process's Redis client was not ready (it waited in the offline queue). */
  offline: boolean;
  result: Promise<{ id: string; msgId: string }>;
}

/**
 * The agent replying to every customer in turn, one reply every REPLY_EVERY_MS, without waiting for
 * Redis (replies issued while it is down wait in the client's offline queue, in order).
 */
class Replier {
  readonly sent: Sent[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(readonly tag: string) {
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const customer = CUSTOMERS[i % CUSTOMERS.length]!;
        const conv = convOf.get(customer)!;
        const text = `${tag}:${customer}:${Math.floor(i / CUSTOMERS.length) + 1}`;
        const result = handoff.reply(conv, AGENT, text);
        result.catch(() => undefined);
        this.sent.push({ customer, conv, text, offline: !isReady(redis), result });
        await new Promise((r) => setTimeout(r, REPLY_EVERY_MS));
      }
    })();
  }

  /** Stops replying; resolves once every reply is in Redis (rejects if one failed). */
  async stop(): Promise<Sent[]> {
    this.running = false;
    await this.loop;
    await Promise.all(this.sent.map((s) => s.result));
    return this.sent;
  }

  textsFor(customer: string): string[] {
    return this.sent.filter((s) => s.customer === customer).map((s) => s.text);
  }
}

/** The reply lines (of one replier's tag) each customer heard, in order. */
function heardReplies(tag: string, lines = heard()): Heard[] {
  return lines.filter((l) => l.text.startsWith(`${tag}:`));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kefu-fault-'));
  heardFile = path.join(tmp, 'heard.jsonl');
  server = await startRedis({ appendonly: true, appendfsync: 'always' });
  prefix = randomPrefix();
  redis = createRedis({ url: server.url }) as Redis;
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });

  // First start: every customer asks for a person, so each has a conversation in the queue.
  bot = startBotProcess('bot #1', '转人工');
  await bot.wait('ready');
  await waitFor('every customer to be waiting', async () => (await handoff.listWaiting()).length === CUSTOMERS.length, LONG);
  for (const c of await handoff.listWaiting()) {
    convOf.set(c.customer.name, c.id);
    await handoff.claim(c.id, AGENT);
  }
}, 60_000);

afterAll(async () => {
  for (const c of [...children]) await c.kill9();
  redis?.disconnect();
  await stopAll();
  if (process.env.FAULT_KEEP) process.stderr.write(`kept ${tmp}\n`);
  else if (tmp) await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------

describe('fault injection', () => {
  it('bot SIGKILLed twice and restarted, Redis SIGKILLed and restarted from its AOF, replies in flight: each reply reaches its customer once, in order', async () => {
    expect([...convOf.keys()].sort()).toEqual([...CUSTOMERS].sort());
    const customerIds = new Map([...convOf].map(([name, conv]) => [name, conv.slice(BOT_ID.length + 1)]));
    const replier = new Replier('R');
    repliers.push(replier);
    const bots: ScriptProcess[] = [bot];

    /**
     * SIGKILLs the bot and measures what its customers had heard, and which of those lines it had
     * acknowledged. A kill between WeChat taking a message and the ack ("seen but not acknowledged")
     * is resent by the next bot, by design: the consumer delivers at least once underneath, and the
     * delivered-id set only knows what was acknowledged. Conversations are delivered side by side,
     * each in order with its acknowledgement awaited before its next send: at most one such message
     * per customer per kill, heard again right after the restart, nothing else.
     */
    const seenNotAcked: string[] = [];
    const ours = await redis.client('ID');
    const killBot = async (): Promise<{ heard: number; seenNotAcked: number }> => {
      const dead = bot;
      // Every connection but ours is the bot's.
      const its = (await clientIds(redis)).filter((id) => id !== String(ours));
      await dead.kill9();
      // Gone on the server too: Redis has run whatever the dead process had written to its sockets.
      await waitClientsGone(redis, its);
      const mine = heardReplies('R').filter((l) => l.pid === dead.pid);
      const before = seenNotAcked.length;
      const perCustomer = new Map<string, number>();
      for (const l of mine) {
        const { msgId } = await replier.sent.find((s) => s.text === l.text)!.result;
        if ((await redis.zscore(handoff.keys.delivered(BOT_ID), msgId)) === null) {
          seenNotAcked.push(l.text);
          perCustomer.set(l.customer, (perCustomer.get(l.customer) ?? 0) + 1);
        }
      }
      for (const [customer, n] of perCustomer) expect(n, `${customer}: seen but not acknowledged`).toBe(1);
      return { heard: mine.length, seenNotAcked: seenNotAcked.length - before };
    };
    /** A new bot process: new contact ids, same profiles; each customer writes once after the login. */
    const restartBot = async (): Promise<void> => {
      bot = startBotProcess(`bot #${bots.length + 1}`, '我回来了');
      bots.push(bot);
      await bot.wait('ready');
    };
    const heardBy = (c: ScriptProcess) => heardReplies('R').filter((l) => l.pid === c.pid).length;

    // 1. The bot is delivering live: SIGKILL it; replies pile up in the outbound stream meanwhile.
    await waitFor('the first replies to be heard', () => heardReplies('R').length >= 25, LONG);
    const sentAtKill = replier.sent.length;
    const kill1 = await killBot();
    await waitFor('replies written while no bot runs', () => replier.sent.length >= sentAtKill + 25);
    await restartBot();
    const sentWhileBotDown = replier.sent.length - sentAtKill;

    // 2. The restarted bot works through the backlog: SIGKILL it in the middle of that.
    await waitFor('the restarted bot to deliver part of the backlog', () => heardBy(bot) >= 40, LONG);
    const backlogLeft = replier.sent.length - heardReplies('R').length;
    const kill2 = await killBot();
    await restartBot();

    // 3. While the third bot delivers: SIGKILL Redis, restart it on its AOF, replies still coming.
    await waitFor('the third bot to deliver', () => heardBy(bot) >= 1, LONG);
    const redisPid = server.pid;
    await server.stop({ signal: 'SIGKILL' });
    await waitFor('the agent side to notice', () => !isReady(redis), 5_000);
    const offlineBefore = replier.sent.filter((s) => s.offline).length;
    await waitFor('replies issued while Redis is down', () => replier.sent.filter((s) => s.offline).length >= offlineBefore + 10);
    await server.restart();
    expect(server.pid).not.toBe(redisPid);
    // Replies issued after the restart reach a customer: agent side and bot are both back.
    const afterRestart = replier.sent.length;
    await waitFor('a reply issued after the restart to be heard', () => {
      const texts = new Set(heardReplies('R').map((l) => l.text));
      return replier.sent.slice(afterRestart).some((s) => texts.has(s.text));
    }, LONG);
    const sent = await replier.stop();
    const offline = sent.filter((s) => s.offline).length;

    // The faults happened with replies in flight.
    expect(kill1.heard).toBeGreaterThanOrEqual(25);
    expect(sentWhileBotDown).toBeGreaterThan(50);
    expect(kill2.heard).toBeGreaterThanOrEqual(40);
    expect(backlogLeft).toBeGreaterThan(20);
    expect(offline).toBeGreaterThan(5);

    // 4. Everything delivered and acknowledged: nothing is left that could still be resent.
    await waitFor(
      () => `every reply to be heard (${heardReplies('R').length} of ${sent.length + seenNotAcked.length} lines)`,
      () => heardReplies('R').length >= sent.length + seenNotAcked.length,
      30_000,
    );
    // Read and acknowledged to the end: nothing is left that could still be resent.
    await waitDrained(redis, handoff.keys.outbound(BOT_ID), OUTBOUND_GROUP, { timeout: LONG });

    // Same customers, same conversations: no new customer id was handed out, every "我回来了" is in
    // the conversation the customer had before, which is still the agent's.
    expect(await redis.hget(handoff.keys.identity(BOT_ID), 'seq')).toBe(String(CUSTOMERS.length));
    expect(await handoff.listWaiting()).toEqual([]);
    for (const [name, conv] of convOf) {
      const c = await handoff.conversation(conv);
      expect(c).toMatchObject({ status: 'active', assignee: AGENT, customer: { id: customerIds.get(name), name } });
      const transcript = await handoff.transcript(conv);
      expect(transcript.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(['转人工', '我回来了', '我回来了']);
      // Redis kept every reply once, in the order the agent sent them (across its own crash too).
      expect(transcript.filter((m) => m.from === 'agent').map((m) => m.text)).toEqual(replier.textsFor(name));
    }

    // Each customer heard each of its replies exactly once and in order; the only repeats allowed are
    // the lines a killed bot had shown but not acknowledged (measured at the kill), heard again at once.
    const lines = heardReplies('R');
    for (const name of CUSTOMERS) {
      const mine = lines.filter((l) => l.customer === name).map((l) => l.text);
      const expected = replier.textsFor(name).flatMap((t) => (seenNotAcked.includes(t) ? [t, t] : [t]));
      expect(mine).toEqual(expected);
    }
    // Three processes delivered, one after the other.
    expect(new Set(lines.map((l) => l.pid))).toEqual(new Set(bots.map((b) => b.pid)));
    expect(await redis.zcard(handoff.keys.delivered(BOT_ID))).toBe(sent.length);
    console.info(
      `fault: ${sent.length} replies (${sentWhileBotDown} while no bot ran, ${offline} while Redis was down); ` +
        `kill 1 (live): ${kill1.heard} delivered, ${kill1.seenNotAcked} seen-not-acked; ` +
        `kill 2 (backlog of ${backlogLeft}): ${kill2.heard} delivered, ${kill2.seenNotAcked} seen-not-acked`,
    );
  }, 90_000);

  it('console SIGKILLed mid-stream: a fresh console shows the same transcript as Redis', async () => {
    expect(bot.alive).toBe(true);
    const consoleA = startConsoleProcess('console A');
    const urlA = (await consoleA.wait('listening')).url as string;
    const login = await fetch(`${urlA}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const getConv = async (base: string, conv: string) => {
      const res = await fetch(`${base}/api/conversations/${conv}`, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as { id: string; status: string; messages: { id: string; from: string; text: string }[] };
    };

    // The live socket of console A, collecting events.
    const live = new Conn(new WebSocket(`${urlA.replace(/^http/, 'ws')}/api/live`));
    await live.open;
    live.send({ type: 'auth', token });
    await live.until(() => live.messages.some((m) => m.type === 'hello'), 'hello');

    const watched = convOf.get(CUSTOMERS[0]!)!;
    const shownByA = await getConv(urlA, watched);
    expect(shownByA.messages.filter((m) => m.from === 'agent').length).toBeGreaterThan(0);

    // Replies flowing, console A streaming them: SIGKILL it.
    const replier = new Replier('S');
    repliers.push(replier);
    const agentEvents = () => live.events().filter((e) => e.type === 'message' && e.data.from === 'agent');
    await waitFor('console A to stream replies', () => agentEvents().length >= 20, LONG);
    await consoleA.kill9();
    const streamedByA = live.events();
    await live.waitClose(5_000);
    // Replies go on reaching the customers while no console runs.
    const heardWithoutConsole = heardReplies('S').length;
    await waitFor('replies heard while no console runs', () => heardReplies('S').length >= heardWithoutConsole + 10, LONG);

    // A fresh console, while the replies keep coming; the agent's token is still good (sessions are in Redis).
    const consoleB = startConsoleProcess('console B');
    const urlB = (await consoleB.wait('listening')).url as string;
    const sent = await replier.stop();
    await waitFor(
      () => `every S reply to be heard (${heardReplies('S').length} of ${sent.length})`,
      () => heardReplies('S').length >= sent.length,
      30_000,
    );
    // Read and acknowledged to the end: nothing more can be heard.
    await waitDrained(redis, handoff.keys.outbound(BOT_ID), OUTBOUND_GROUP, { timeout: LONG });

    for (const [name, conv] of convOf) {
      const shownByB = await getConv(urlB, conv);
      const inRedis = (await handoff.transcript(conv)).map(toApiMessage);
      expect(shownByB.id).toBe(conv);
      expect(shownByB.status).toBe('active');
      expect(shownByB.messages).toEqual(JSON.parse(JSON.stringify(inRedis)));
      const agentTexts = shownByB.messages.filter((m) => m.from === 'agent').map((m) => m.text);
      // Every reply of both tests, in order.
      expect(agentTexts).toEqual(repliers.flatMap((r) => r.textsFor(name)));
      expect(agentTexts.filter((t) => t.startsWith('S:')).length).toBeGreaterThan(0);
      // Each customer heard each S reply once, in order (no bot fault here).
      expect(heardReplies('S').filter((l) => l.customer === name).map((l) => l.text)).toEqual(replier.textsFor(name));
    }

    // What console A showed before it died, by GET and over its live socket, is what B shows.
    const shownByB = await getConv(urlB, watched);
    expect(shownByB.messages.slice(0, shownByA.messages.length)).toEqual(shownByA.messages);
    const idsB = new Set<string>();
    for (const conv of convOf.values()) for (const m of (await getConv(urlB, conv)).messages) idsB.add(m.id);
    const streamedMessages = streamedByA.filter((e) => e.type === 'message');
    expect(streamedMessages.length).toBeGreaterThanOrEqual(20);
    expect(streamedMessages.filter((e) => !idsB.has(e.data.msg!))).toEqual([]);
    live.ws.terminate();
  }, 90_000);
});
