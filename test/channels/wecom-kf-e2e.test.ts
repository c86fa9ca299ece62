/**
 * 微信客服 end to end through the real bot: WeChat played by the project's simulator over real
 * HTTP (encrypted callbacks, sync_msg, send_msg with its limits), the bot role started as the
 * product starts it (startKefu, CHANNELS=wecom-kf) on a real redis-server, the console's API for
 * the agent. Crashes are played by a bot assembled from the same parts (./e2e-support.ts) whose
 * Redis connections are cut at the worst moment; another bot process then takes over.
 *
 * "Handled once" is checked where a second handling would show: the transcript (customer lines
 * by msgid), WeChat's side (what each customer received, and sends refused as a repeated msgid),
 * and the turns' own count of messages taken in, which shows a second hand-on even where those
 * two dedupes keep the customer from noticing.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { ApiChannel } from '../../src/console/serialize.ts';
import { conversationId, type Handoff } from '../../src/handoff/index.ts';
import { startKefu, type Kefu } from '../../src/main.ts';
import type { WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { waitDrained } from '../support/streams.ts';
import { waitFor } from '../support/waits.ts';
import { BOT_ID, CALLBACK, gate, kfConfig, KFID, kfSimulator, relay, removeJournals, SendWatch, startKfBot, takenIn, texts, within, type KfBot } from './e2e-support.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const KB = path.resolve('test/fixtures/policy-kb');
const FAQ = '录屏没有声音怎么办';
const FAQ_ANSWER = '音频';
const INVOICE = '怎么开发票';
const INVOICE_ANSWER = '电子发票';
const PW = 'a long enough password';

afterAll(removeJournals);

/** A bot's configuration on `apiBase`, on this file's redis-server, answering from the fixture FAQ. */
const config = (apiBase: string, prefix: string, extra: Record<string, string> = {}): Promise<Config> =>
  kfConfig(apiBase, { REDIS_URL: server.url, REDIS_PREFIX: prefix, KB_DIR: KB, ...extra });

let seq = 0;
const customer = (): string => `wmE2e${process.pid}x${++seq}`;
const conv = (who: string): string => conversationId(BOT_ID, who);
const customerLines = async (handoff: Handoff, who: string) => (await handoff.transcript(conv(who))).filter((m) => m.from === 'customer');

/** The customer writes; resolves once WeChat accepted `answers` more messages to them. */
async function ask(sim: WeChatSimulator, watch: SendWatch, who: string, text: string, answers = 1): Promise<string> {
  const before = watch.count(who);
  const { msgid, delivered } = sim.customerSays(KFID, who, text);
  expect((await delivered).delivered).toBe(true);
  await waitFor(() => `${answers} answer(s) to "${text}" (received: ${JSON.stringify(texts(sim, who))})`, () => watch.count(who) >= before + answers);
  return msgid;
}

describe('one bot process, agents on the console (roles bot + console)', () => {
  let sim: WeChatSimulator;
  let watch: SendWatch;
  let kefu: Kefu;
  let token: string;
  let direct: string;

  beforeAll(async () => {
    // WeChat gives up on an answer after 1 s here (5 s in production): the retry test needs less patience.
    sim = kfSimulator({ callbackTimeoutMs: 1_000 });
    watch = new SendWatch(sim);
    const base = await sim.listen();
    kefu = await startKefu(await config(base, randomPrefix(), { KEFU_ADMIN_PASSWORD: PW }), { roles: ['bot', 'console'] });
    // Both roles in one process: the callback is on the console's server.
    direct = `${kefu.console!.url}${CALLBACK}`;
    sim.setCallbackUrl('wecom-kf', direct);
    const login = await fetch(`${kefu.console!.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PW }) });
    token = ((await login.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await kefu?.stop();
    await sim?.close();
  });

  const api = (method: string, url: string, body?: unknown): Promise<Response> =>
    fetch(`${kefu.console!.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const channelOf = async (who: string): Promise<ApiChannel | null> => {
    const res = await api('GET', `/api/conversations/${conv(who)}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { channel: ApiChannel | null }).channel;
  };

  it('passes the URL check, answers an FAQ question through kf/send_msg and records both sides', async () => {
    expect(await sim.verifyWecomCallback()).toBe(true);
    const who = customer();
    const msgid = await ask(sim, watch, who, FAQ);
    const got = sim.received(who);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ via: 'send_msg', openKfid: KFID });
    expect(got[0]!.text).toContain(FAQ_ANSWER);
    const lines = await waitFor('both lines', async () => {
      const l = await kefu.handoff.transcript(conv(who));
      return l.length >= 2 ? l : undefined;
    });
    expect(lines.map((m) => m.from)).toEqual(['customer', 'bot']);
    expect(lines[0]).toMatchObject({ text: FAQ, msgId: msgid });
    expect(lines[1]!.text).toBe(got[0]!.text);
    // The agent sees the channel and what WeChat still allows: one of five replies used.
    expect(await channelOf(who)).toMatchObject({ kind: 'wecom-kf', window: { remaining: 4, maxReplies: 5 } });
  });

  it('a callback WeChat retries three times (answers too slow) makes one turn', async () => {
    let slow = 3;
    // Each attempt reaches the bot at once; its "success" comes back after WeChat stopped waiting.
    const lag = await relay([kefu.console!.url], {
      beforeAnswer: (r) => (r.method === 'POST' && slow-- > 0 ? new Promise((resolve) => setTimeout(resolve, 1_300)) : undefined),
    });
    sim.setCallbackUrl('wecom-kf', `${lag.url}${CALLBACK}`);
    try {
      const who = customer();
      const taken = await takenIn(kefu);
      const { msgid, delivered } = sim.customerSays(KFID, who, FAQ);
      expect(await delivered).toMatchObject({ delivered: true, attempts: 4 });
      expect(lag.forwarded[0]).toBe(4);
      // A later message's answer comes after every pull the four notices started.
      await ask(sim, watch, who, INVOICE);
      const lines = await customerLines(kefu.handoff, who);
      expect(lines.map((m) => m.msgId)).toEqual([msgid, expect.any(String)]);
      const got = texts(sim, who);
      expect(got).toHaveLength(2);
      expect(got[0]).toContain(FAQ_ANSWER);
      expect(got[1]).toContain(INVOICE_ANSWER);
      expect(watch.duplicates.get(who)).toBeUndefined();
      expect(await takenIn(kefu)).toBe(taken + 2);
    } finally {
      sim.setCallbackUrl('wecom-kf', direct);
      await lag.close();
    }
  });

  it('an access token that expires mid-run is fetched again once', async () => {
    const who = customer();
    await ask(sim, watch, who, FAQ);
    const before = sim.stats().calls['/cgi-bin/gettoken'] ?? 0;
    sim.expireTokens();
    await ask(sim, watch, who, INVOICE);
    // The pull met the expired token first; the send already had the new one.
    expect(sim.stats().calls['/cgi-bin/gettoken']).toBe(before + 1);
    expect(texts(sim, who)).toEqual([expect.stringContaining(FAQ_ANSWER), expect.stringContaining(INVOICE_ANSWER)]);
  });

  it('the agent joining spends none of the five replies: its notice goes out with the agent\'s first reply', async () => {
    const who = customer();
    const id = conv(who);
    await ask(sim, watch, who, '转人工');
    await waitFor('the handoff', async () => (await kefu.handoff.conversation(id))?.status === 'waiting');
    expect((await api('POST', `/api/conversations/${id}/claim`)).status).toBe(200);
    await waitDrained(kefu.redis, kefu.handoff.keys.outbound(BOT_ID), 'bots');
    // Only the queue's notice went out; the transcript already says who joined.
    expect(sim.received(who)).toHaveLength(1);
    expect((await channelOf(who))?.window).toMatchObject({ remaining: 4 });
    const joined = (await kefu.handoff.transcript(id)).find((m) => m.from === 'bot' && m.text.includes('接下来由我为您服务'));
    expect(joined).toBeDefined();

    expect((await api('POST', `/api/conversations/${id}/messages`, { text: '请问是哪个订单呢？' })).status).toBe(202);
    await waitFor('the reply', () => sim.received(who).length === 2);
    const [, first] = sim.received(who);
    expect(first!.text).toBe(`${joined!.text}\n\n请问是哪个订单呢？`);
    expect((await channelOf(who))?.window).toMatchObject({ remaining: 3 });
    // Said once: the next reply goes out as written.
    expect((await api('POST', `/api/conversations/${id}/messages`, { text: '好的，马上处理' })).status).toBe(202);
    await waitFor('the second reply', () => sim.received(who).length === 3);
    expect(sim.received(who)[2]!.text).toBe('好的，马上处理');
  });

  it('window closed: the console refuses the reply with the reason, and a reply already on its way leaves a send_failed line saying why', async () => {
    const who = customer();
    const id = conv(who);
    await ask(sim, watch, who, '转人工');
    await waitFor('the handoff', async () => (await kefu.handoff.conversation(id))?.status === 'waiting');
    const claimed = await api('POST', `/api/conversations/${id}/claim`);
    expect(claimed.status).toBe(200);
    const agent = ((await claimed.json()) as { assignee: { id: string; name: string } }).assignee;
    // Every notice (the queue's, the agent joining) is out: what is left is what the agent has.
    await waitDrained(kefu.redis, kefu.handoff.keys.outbound(BOT_ID), 'bots');
    const used = sim.received(who).length;
    expect(used).toBeGreaterThan(0);
    expect((await channelOf(who))?.window).toMatchObject({ remaining: 5 - used, maxReplies: 5 });
    for (let i = used; i < 5; i++) {
      const res = await api('POST', `/api/conversations/${id}/messages`, { text: `第${i + 1}条` });
      expect(res.status).toBe(202);
      await waitFor(`reply ${i + 1} received`, () => sim.received(who).length > i);
    }
    expect((await channelOf(who))?.window).toMatchObject({ remaining: 0, closesAt: null });

    const refused = await api('POST', `/api/conversations/${id}/messages`, { text: '第6条' });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('WINDOW_CLOSED');
    expect(body.error.message).toContain('48 小时');

    // A reply that passed the console's check before the count moved (another console, a race):
    // the bot refuses it before calling WeChat and tells the agent why in the transcript.
    const calls = sim.stats().calls['/cgi-bin/kf/send_msg'];
    await kefu.handoff.reply(id, agent, '第7条');
    const failed = await waitFor('the send_failed line', async () => (await kefu.handoff.transcript(id)).find((m) => m.from === 'system' && m.kind === 'send_failed'));
    expect(failed.text).toContain('已发送 5 条');
    expect(sim.stats().calls['/cgi-bin/kf/send_msg']).toBe(calls);
    expect(sim.received(who)).toHaveLength(5);

    // The customer writes again: a new window, and the agent's reply goes out.
    await sim.customerSays(KFID, who, '还在吗').delivered;
    await waitFor('the window to open again', async () => (await channelOf(who))?.window?.remaining === 5);
    expect((await api('POST', `/api/conversations/${id}/messages`, { text: '在的' })).status).toBe(202);
    await waitFor('the reply', () => texts(sim, who).includes('在的'));
    expect(sim.received(who)).toHaveLength(6);
  });
});

describe('crashes', () => {
  let sim: WeChatSimulator;
  let watch: SendWatch;
  let base: string;
  const cleanup: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    // A WeChat of its own per test: a new install reads the last minute of WeChat's history as new.
    sim = kfSimulator();
    watch = new SendWatch(sim);
    base = await sim.listen();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await sim.close();
  });

  const kefuOn = async (prefix: string, extra: Record<string, string> = {}): Promise<Kefu> => {
    const k = await startKefu(await config(base, prefix, extra), { roles: ['bot'] });
    cleanup.push(() => k.stop());
    return k;
  };
  const botOn = async (apiBase: string, prefix: string, deps: Parameters<typeof startKfBot>[1]): Promise<KfBot> => {
    const b = await startKfBot(await config(apiBase, prefix), deps);
    cleanup.push(() => b.stop());
    return b;
  };

  it('after sync_msg, before the messages were handed on: nothing is lost, nothing doubled', async () => {
    const prefix = randomPrefix();
    let crashNext = false;
    let read: string[] = [];
    const fetched = gate();
    const never = gate();
    const a = await botOn(base, prefix, {
      lockTtlMs: 1_000,
      afterFetch: async (answer) => {
        if (!crashNext || answer.msg_list.length === 0) return;
        read = answer.msg_list.map((m) => m.msgid);
        fetched.open();
        // The process dies here: WeChat's answer read, nothing handed on, the cursor where it was.
        await never.promise;
      },
    });
    // Stopping what is left of it waits for its pull: let that pull go on (after the crash) first.
    cleanup.push(async () => never.open());
    sim.setCallbackUrl('wecom-kf', `${a.url}${CALLBACK}`);
    const who = customer();
    const first = await ask(sim, watch, who, FAQ);

    crashNext = true;
    const lost = sim.customerSays(KFID, who, INVOICE);
    expect((await lost.delivered).delivered).toBe(true);
    await fetched.promise;
    expect(read).toContain(lost.msgid);
    await a.crash();

    // Another bot process on the account (its safety poll runs every second); WeChat calls it back from now on.
    const b = await kefuOn(prefix, { WECOM_POLL_S: '1' });
    sim.setCallbackUrl('wecom-kf', `${b.ops!.url}${CALLBACK}`);
    await waitFor('the answer to the message read by the dead process', () => watch.count(who) >= 2, 15_000);
    // A later message shows the new process is through with everything before it.
    const later = await ask(sim, watch, who, FAQ);
    expect((await customerLines(b.handoff, who)).map((m) => m.msgId)).toEqual([first, lost.msgid, later]);
    const answers = [expect.stringContaining(FAQ_ANSWER), expect.stringContaining(INVOICE_ANSWER), expect.stringContaining(FAQ_ANSWER)];
    expect(texts(sim, who)).toEqual(answers);
    // The dead process "wakes up" holding the page it read: it hands nothing on.
    never.open();
    await a.stop();
    expect((await customerLines(b.handoff, who)).map((m) => m.msgId)).toEqual([first, lost.msgid, later]);
    expect(texts(sim, who)).toEqual(answers);
    expect(watch.duplicateTotal).toBe(0);
    expect(await takenIn(b)).toBe(2);
  });

  it('after send_msg, before the acknowledgement: the next process sends it again under the same msgid and the customer has it once', async () => {
    const prefix = randomPrefix();
    const reply = '您好，我是小王，马上为您处理';
    const sent = gate();
    // Between the bot and WeChat: WeChat takes the agent's reply, its answer never comes back.
    const line = await relay([base], {
      beforeAnswer: (r) => {
        if (!r.url.startsWith('/cgi-bin/kf/send_msg?') || !r.body.includes(reply)) return undefined;
        sent.open();
        return new Promise<void>(() => undefined);
      },
    });
    const a = await botOn(line.url, prefix, {});
    // Before what is left of the bot stops: its send still waits for the answer.
    cleanup.push(() => line.close());
    sim.setCallbackUrl('wecom-kf', `${a.url}${CALLBACK}`);
    const who = customer();
    await ask(sim, watch, who, '转人工');
    const id = conv(who);
    await waitFor('the handoff', async () => (await a.handoff.conversation(id))?.status === 'waiting');
    const agent = { id: 'xw', name: '小王' };
    await a.handoff.claim(id, agent);
    await a.handoff.reply(id, agent, reply);
    await sent.promise;
    expect(texts(sim, who)).toContain(reply);
    await a.crash();

    const b = await kefuOn(prefix);
    sim.setCallbackUrl('wecom-kf', `${b.ops!.url}${CALLBACK}`);
    // The reply was never acknowledged: the new process delivers it again.
    await waitDrained(b.redis, b.handoff.keys.outbound(BOT_ID), 'bots');
    expect(watch.duplicates.get(who)).toBe(1);
    expect(texts(sim, who).filter((t) => t === reply)).toHaveLength(1);
    const transcript = await b.handoff.transcript(id);
    expect(transcript.filter((m) => m.kind === 'send_failed')).toEqual([]);
    expect(transcript.filter((m) => m.from === 'agent' && m.text === reply)).toHaveLength(1);
  });
});

describe('two bot processes on one KF account', () => {
  it('behind a balancer, each message is handled once', async () => {
    const sim = kfSimulator();
    const watch = new SendWatch(sim);
    const base = await sim.listen();
    const prefix = randomPrefix();
    const a = await startKefu(await config(base, prefix, { BOT_INSTANCE: 'a' }), { roles: ['bot'] });
    const b = await startKefu(await config(base, prefix, { BOT_INSTANCE: 'b' }), { roles: ['bot'] });
    const lb = await relay([a.ops!.url, b.ops!.url]);
    try {
      sim.setCallbackUrl('wecom-kf', `${lb.url}${CALLBACK}`);
      const customers = Array.from({ length: 30 }, () => customer());
      const sent = new Map<string, string[]>();
      // Each customer asks four questions, the next once the previous was answered, all at once.
      await Promise.all(
        customers.map(async (who) => {
          const ids: string[] = [];
          sent.set(who, ids);
          for (let q = 0; q < 4; q++) ids.push(await ask(sim, watch, who, q % 2 === 0 ? FAQ : INVOICE));
        }),
      );
      expect(lb.forwarded[0]).toBeGreaterThan(0);
      expect(lb.forwarded[1]).toBeGreaterThan(0);
      for (const who of customers) {
        expect((await customerLines(a.handoff, who)).map((m) => m.msgId)).toEqual(sent.get(who));
        expect(texts(sim, who)).toHaveLength(4);
      }
      expect(watch.duplicateTotal).toBe(0);
      expect((await takenIn(a)) + (await takenIn(b))).toBe(customers.length * 4);

      // Agents' replies: each process takes them under its own name, so no pending entry is
      // delivered by both (WeChat would refuse the second copy as a duplicate msgid).
      const agent = { id: 'ag1', name: '小王' };
      const who = customers.slice(0, 10);
      for (const c of who) await a.handoff.claim(conv(c), agent);
      for (const c of who) await a.handoff.reply(conv(c), agent, `您好，这是给 ${c} 的回复`);
      await waitFor('the replies delivered', () => who.every((c) => texts(sim, c).some((t) => t.includes(`给 ${c} 的回复`))));
      const consumers = (await a.redis.xinfo('CONSUMERS', a.handoff.keys.outbound(BOT_ID), 'bots')) as unknown[][];
      expect(consumers.map((c) => c[1]).sort()).toEqual([`${BOT_ID}:a`, `${BOT_ID}:b`]);
      expect(watch.duplicateTotal).toBe(0);
    } finally {
      await lb.close();
      await Promise.all([a.stop(), b.stop()]);
      await sim.close();
    }
  }, 60_000);
});

describe('load', () => {
  const CUSTOMERS = 1_000;
  const MESSAGES = 10;

  it(`${CUSTOMERS} customers x ${MESSAGES} messages: every message recorded once, every customer answered ${MESSAGES} times`, async () => {
    const sim = kfSimulator();
    const watch = new SendWatch(sim);
    const base = await sim.listen();
    // Flood control opened up: ten questions in a few seconds would otherwise (rightly) be throttled.
    const kefu = await startKefu(await config(base, randomPrefix(), { FLOOD_MAX: '1000', FLOOD_CAP_PER_MIN: '10000' }), { roles: ['bot'] });
    try {
      sim.setCallbackUrl('wecom-kf', `${kefu.ops!.url}${CALLBACK}`);
      const sent = new Map<string, string[]>();
      // Each customer asks again once answered (WeChat allows 5 messages after a customer's last
      // one: a customer who sends ten at once can get five answers at most).
      const run = Promise.all(
        Array.from({ length: CUSTOMERS }, async (_, k) => {
          const who = `wmLoad${k}`;
          const ids: string[] = [];
          sent.set(who, ids);
          for (let m = 0; m < MESSAGES; m++) {
            ids.push(sim.customerSays(KFID, who, m % 2 === 0 ? FAQ : INVOICE).msgid);
            await watch.reach(who, m + 1);
          }
        }),
      );
      await within(150_000, () => `every answer (${watch.total} of ${CUSTOMERS * MESSAGES})`, run);

      let wrong = 0;
      const examples: string[] = [];
      for (const [who, ids] of sent) {
        const lines = await kefu.handoff.transcript(conv(who));
        const recorded = lines.filter((m) => m.from === 'customer').map((m) => m.msgId);
        const got = texts(sim, who);
        const expected = ids.map((_, m) => (m % 2 === 0 ? FAQ_ANSWER : INVOICE_ANSWER));
        const ok =
          JSON.stringify(recorded) === JSON.stringify(ids) &&
          got.length === MESSAGES &&
          got.every((t, m) => t.includes(expected[m]!)) &&
          lines.filter((m) => m.from === 'bot').length === MESSAGES;
        if (!ok && ++wrong <= 3) examples.push(`${who}: recorded ${recorded.length}/${ids.length}, received ${got.length}`);
      }
      expect({ wrong, examples }).toEqual({ wrong: 0, examples: [] });
      expect(watch.total).toBe(CUSTOMERS * MESSAGES);
      expect(watch.duplicateTotal).toBe(0);
      expect(await takenIn(kefu)).toBe(CUSTOMERS * MESSAGES);
      expect(sim.stats().callbacks['wecom-kf'].failed).toBe(0);
    } finally {
      await kefu.stop();
      await sim.close();
    }
  }, 180_000);
});
