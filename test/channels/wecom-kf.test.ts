/**
 * The 微信客服 channel end to end: the simulator (WeChat's wire format, over real HTTP) calls our
 * callback, our module pulls with sync_msg from a real Redis and hands messages to a recording
 * sink; sends go back to the simulator, which tells what each customer received.
 */
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelSendError } from '../../src/channels/types.ts';
import { WecomMediaTooLargeError, windowState } from '../../src/channels/wecom-kf/index.ts';
import type { WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';
import { KFID, RecordingSink, startProcess, startSim, type KfProcess } from './wecom-kf/harness.ts';

let server: RedisServer;
let admin: Redis;
useRedisServer((s, c) => {
  server = s;
  admin = c;
});

let sim: WeChatSimulator;
const running: KfProcess[] = [];

// A WeChat of its own per test: a new process reads the last minute of its history as new.
beforeEach(async () => {
  sim = startSim({ callbackTimeoutMs: 1_000 });
  await sim.listen();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await sim.close();
});

async function proc(prefix: string, o: Parameters<typeof startProcess>[3] = {}): Promise<KfProcess> {
  const p = await startProcess(sim, server, prefix, o);
  running.push(p);
  return p;
}

const customer = (): string => `wm${randomPrefix()}`;
const texts = (to: string): string[] => sim.received(to).map((m) => m.text ?? '');

describe('callbacks and pulls', () => {
  it('passes the URL check WeChat runs against the callback', async () => {
    const p = await proc(randomPrefix());
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    expect(await sim.verifyWecomCallback()).toBe(true);
    // Ready once WeChat handed out an access token.
    await waitFor('readiness', () => p.module.ready());
  });

  it('a callback retried three times (answers too slow) starts one turn per message', async () => {
    let slow = 3;
    const p = await proc(randomPrefix(), {
      setup: (app) =>
        app.addHook('onSend', async (req, _reply, payload) => {
          // The first three answers come after WeChat stopped waiting (1 s here): it retries the same callback.
          if (req.method === 'POST' && slow-- > 0) await new Promise((r) => setTimeout(r, 1_300));
          return payload;
        }),
    });
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const who = customer();
    const { msgid, delivered } = sim.customerSays(KFID, who, '你好');
    const result = await delivered;
    expect(result).toMatchObject({ delivered: true, attempts: 4 });
    // Every attempt triggered a pull; a marker message afterwards shows they all finished.
    const marker = sim.customerSays(KFID, who, 'marker');
    await marker.delivered;
    await waitFor('the marker', () => p.sink.ids().includes(marker.msgid));
    expect(p.sink.ids().filter((id) => id === msgid)).toHaveLength(1);
    expect(p.sink.messages.map((m) => m.text)).toEqual(['你好', 'marker']);
  });

  it('two bot processes on one KF account behind a balancer hand each message on once', async () => {
    const prefix = randomPrefix();
    const a = await proc(prefix);
    const b = await proc(prefix);
    // Callbacks alternate between the two processes, like a load balancer would send them.
    const targets = [a.url, b.url];
    let next = 0;
    const balancer = Fastify({ logger: false });
    balancer.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    balancer.all('/wecom/kf/callback', async (req, reply) => {
      const target = targets[next++ % targets.length];
      const res = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': 'text/xml' }, body: req.method === 'POST' ? (req.body as string) : undefined });
      return reply.code(res.status).type('text/plain').send(await res.text());
    });
    const lb = await balancer.listen({ port: 0, host: '127.0.0.1' });
    try {
      sim.setCallbackUrl('wecom-kf', `${lb}/wecom/kf/callback`);
      const sent: string[] = [];
      const deliveries: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const { msgid, delivered } = sim.customerSays(KFID, `wmLb${i % 8}`, `q${i}`);
        sent.push(msgid);
        deliveries.push(delivered);
      }
      await Promise.all(deliveries);
      const all = (): string[] => [...a.sink.ids(), ...b.sink.ids()];
      await waitFor(() => `all 40 messages (have ${all().length})`, () => sent.every((id) => all().includes(id)));
      // A last pull by each process finds nothing new.
      await Promise.all([a.module.adapters[0]!.notify(), b.module.adapters[0]!.notify()]);
      expect(all().sort()).toEqual([...sent].sort());
    } finally {
      await balancer.close();
    }
  });

  it('a process that dies after sync_msg, before handing on: the next one hands the message on once', async () => {
    const prefix = randomPrefix();
    let freeze = false;
    let frozen = false;
    let thaw: () => void = () => undefined;
    const a = await proc(prefix, {
      lockTtlMs: 300,
      afterFetch: async (answer) => {
        // "Dies" holding what it read: nothing handed on, the cursor not moved, its lock left to expire.
        if (!freeze || answer.msg_list.length === 0) return;
        frozen = true;
        await new Promise<void>((r) => (thaw = r));
      },
    });
    sim.setCallbackUrl('wecom-kf', `${a.url}/wecom/kf/callback`);
    const who = customer();
    const first = sim.customerSays(KFID, who, 'first');
    await first.delivered;
    await waitFor('the first message', () => a.sink.ids().includes(first.msgid));

    freeze = true;
    const lost = sim.customerSays(KFID, who, 'read, then crashed');
    await lost.delivered;
    await waitFor('the pull to stop after sync_msg', () => frozen);
    // A new process on the same account pulls (at its start, on a poll or a callback).
    const b = await proc(prefix, { lockTtlMs: 300 });
    await waitFor('the re-read message', async () => {
      await b.module.adapters[0]!.notify();
      return b.sink.ids().includes(lost.msgid);
    });
    // The dead process wakes up late: its lock is gone, so it hands nothing on.
    thaw();
    await a.module.adapters[0]!.engine.stop();
    expect(a.sink.ids()).toEqual([first.msgid]);
    expect(b.sink.ids()).toEqual([lost.msgid]);
  });

  it('a first install skips the history WeChat still keeps, and answers what comes after', async () => {
    const who = customer();
    const old = sim.customerSays(KFID, who, 'before we were installed');
    sim.advanceClock(10 * 60_000);
    const p = await proc(randomPrefix());
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const fresh = sim.customerSays(KFID, who, 'after');
    await fresh.delivered;
    await waitFor('the new message', () => p.sink.ids().includes(fresh.msgid));
    expect(p.sink.ids()).not.toContain(old.msgid);
  });

  it("a WeCom servicer's message is a transcript line, not a customer turn", async () => {
    const p = await proc(randomPrefix());
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const who = customer();
    const said = sim.servicerSays(KFID, who, 'zhangsan', '我来处理');
    await said.delivered;
    await waitFor('the servicer line', () => p.sink.lines.find((l) => l.msgId === said.msgid));
    expect(p.sink.lines).toContainEqual({ customer: who, from: 'agent', kind: 'text', text: '我来处理', msgId: said.msgid });
    expect(p.sink.messages).toHaveLength(0);
  });

  it("a customer's picture reaches the turn as an image with its media_id, fetched within a size limit", async () => {
    const p = await proc(randomPrefix());
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const bytes = Buffer.alloc(3_000, 7);
    const sent = sim.customerSays(KFID, customer(), { image: { data: bytes, contentType: 'image/png', filename: 'a.png' } });
    await sent.delivered;
    const msg = await waitFor('the image', () => p.sink.messages.find((m) => m.id === sent.msgid));
    expect(msg.kind).toBe('image');
    const mediaId = /media_id:(\S+)/.exec(msg.text)?.[1];
    expect(mediaId).toBeTruthy();
    const adapter = p.module.adapters[0]!;
    const file = await adapter.media(mediaId!);
    expect(file).toMatchObject({ contentType: 'image/png', filename: 'a.png' });
    expect(file.body.equals(bytes)).toBe(true);
    await expect(adapter.media(mediaId!, 1_000)).rejects.toBeInstanceOf(WecomMediaTooLargeError);
    await expect(adapter.media('no-such-media')).rejects.toMatchObject({ code: 'WECOM_API_ERROR', errcode: 40007 });
  });

  it('a customer opening the chat gets the welcome through send_msg_on_event', async () => {
    const sink = new RecordingSink();
    sink.greeting = '欢迎光临';
    const p = await proc(randomPrefix(), { sink });
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const who = customer();
    const entered = sim.enterSession(KFID, who, { scene: 'poster' });
    expect(entered.welcomeCode).toBeTruthy();
    await waitFor('the welcome', () => sim.received(who).length > 0);
    expect(sim.received(who)).toMatchObject([{ via: 'send_msg_on_event', text: '欢迎光临' }]);
    expect(p.sink.welcomed).toEqual([entered.msgid]);
    // The agents see where the customer came from.
    expect(p.sink.lines).toContainEqual(expect.objectContaining({ from: 'system', kind: 'enter_session', text: expect.stringContaining('poster') }));
  });
});

describe('sending', () => {
  async function chatting(): Promise<{ p: KfProcess; who: string }> {
    const p = await proc(randomPrefix());
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const who = customer();
    const m = sim.customerSays(KFID, who, '在吗');
    await m.delivered;
    await waitFor('the message', () => p.sink.ids().includes(m.msgid));
    return { p, who };
  }

  it('a reply sent twice with the same key reaches the customer once', async () => {
    const { p, who } = await chatting();
    const handle = p.sink.messages[0]!.customer;
    const adapter = p.module.adapters[0]!;
    await adapter.send(handle, '您好，请讲', 'reply-1:0');
    // A retry after a crash between the send and its acknowledgement: same key, same msgid.
    await adapter.send(handle, '您好，请讲', 'reply-1:0');
    expect(texts(who)).toEqual(['您好，请讲']);
    expect((await windowState(p.redis, p.keys, adapter.botId, who, sim.clock.now())).remaining).toBe(4);
  });

  it('the sixth message since the customer wrote is refused here, with the reason, before WeChat is called', async () => {
    const { p, who } = await chatting();
    const adapter = p.module.adapters[0]!;
    const handle = (await adapter.handleOf(who))!;
    for (let i = 0; i < 5; i++) await adapter.send(handle, `第${i + 1}条`, `k${i}`);
    const calls = sim.stats().calls['/cgi-bin/kf/send_msg'];
    const err = await adapter.send(handle, '第6条', 'k5').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect(err).toMatchObject({ code: 'WINDOW_CLOSED', permanent: true });
    expect((err as Error).message).toMatch(/5/);
    expect(sim.stats().calls['/cgi-bin/kf/send_msg']).toBe(calls);
    expect(texts(who)).toHaveLength(5);
    expect(await windowState(p.redis, p.keys, adapter.botId, who, sim.clock.now())).toMatchObject({ remaining: 0, closesAt: null });
    // The customer writes again: a new window.
    const again = sim.customerSays(KFID, who, '还在吗');
    await again.delivered;
    await waitFor('the new message', () => p.sink.ids().includes(again.msgid));
    await adapter.send(handle, '在的', 'k6');
    expect(texts(who)).toHaveLength(6);
  });

  it('48 hours after the customer wrote, a reply is refused as WINDOW_CLOSED', async () => {
    const { p, who } = await chatting();
    const adapter = p.module.adapters[0]!;
    const handle = (await adapter.handleOf(who))!;
    sim.advanceClock(48 * 3600_000 + 1_000);
    await expect(adapter.send(handle, '迟到的回复', 'late')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', permanent: true });
    expect(texts(who)).toEqual([]);
  });

  it("WeChat's own refusal (95001) closes the window; 45009 is retried later and counts nothing", async () => {
    const { p, who } = await chatting();
    const adapter = p.module.adapters[0]!;
    const handle = (await adapter.handleOf(who))!;
    sim.setFailure('/cgi-bin/kf/send_msg', 45009);
    await expect(adapter.send(handle, '稍后', 'rl')).rejects.toMatchObject({ code: 'RATE_LIMITED', permanent: false });
    expect((await windowState(p.redis, p.keys, adapter.botId, who, sim.clock.now())).remaining).toBe(5);
    await adapter.send(handle, '稍后', 'rl');
    expect(texts(who)).toEqual(['稍后']);
    sim.setFailure('/cgi-bin/kf/send_msg', 95001);
    await expect(adapter.send(handle, '被拒', 'no')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', permanent: true });
    expect((await windowState(p.redis, p.keys, adapter.botId, who, sim.clock.now())).remaining).toBe(0);
  });

  it('an access token that expires mid-run is replaced once and the call made again', async () => {
    const { p, who } = await chatting();
    const adapter = p.module.adapters[0]!;
    const handle = (await adapter.handleOf(who))!;
    const before = sim.stats().calls['/cgi-bin/gettoken'] ?? 0;
    sim.expireTokens();
    await adapter.send(handle, '第一条', 't1');
    await adapter.send(handle, '第二条', 't2');
    expect(texts(who)).toEqual(['第一条', '第二条']);
    expect(sim.stats().calls['/cgi-bin/gettoken']).toBe(before + 1);
  });

  it('a session handed to a WeCom servicer silences the bot; the API may not send', async () => {
    const { p, who } = await chatting();
    const adapter = p.module.adapters[0]!;
    const handle = (await adapter.handleOf(who))!;
    expect(await adapter.botMaySpeak(handle)).toBe(true);
    const withServicer = await proc(p.keys.prefix, { settings: { transferToServicer: 'lisi' } });
    expect(await withServicer.module.adapters[0]!.transferToServicer(handle)).toBe(true);
    expect(sim.serviceState(KFID, who)).toMatchObject({ service_state: 3, servicer_userid: 'lisi' });
    expect(await adapter.botMaySpeak(handle)).toBe(false);
    await expect(adapter.send(handle, '机器人', 'bot')).rejects.toMatchObject({ code: 'WINDOW_CLOSED', permanent: true });
    expect(texts(who)).toEqual([]);
  });

  it('the turn replies through the message it was handed', async () => {
    const sink = new RecordingSink((m) => (m.text === '价格' ? '99 元' : undefined));
    const p = await proc(randomPrefix(), { sink });
    sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
    const who = customer();
    await sim.customerSays(KFID, who, '价格').delivered;
    await waitFor('the reply', () => texts(who).length > 0);
    expect(texts(who)).toEqual(['99 元']);
    expect(admin.status).toBe('ready');
  });
});
