/**
 * 微信客服 customers' names: the adapter asks kf/customer/batchget once per customer, before the
 * turn gets the customer's first message, keeps the answer in Redis for other processes, and
 * never holds a message back when WeChat will not say.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customerIdOf } from '../../src/channels/wecom-kf/index.ts';
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
beforeEach(async () => {
  sim = startSim({ callbackTimeoutMs: 1_000 });
  await sim.listen();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await sim.close();
});

/** A process whose sink notes each message's customer name as the turn would read it, on arrival. */
async function proc(prefix: string): Promise<{ p: KfProcess; seen: string[] }> {
  const seen: string[] = [];
  const p = await startProcess(sim, server, prefix, { sink: new RecordingSink((m) => void seen.push(`${m.text}:${m.customer.name()}`)) });
  running.push(p);
  sim.setCallbackUrl('wecom-kf', `${p.url}/wecom/kf/callback`);
  return { p, seen };
}

const BATCHGET = '/cgi-bin/kf/customer/batchget';
const calls = (): number => sim.stats().calls[BATCHGET] ?? 0;

describe('customer names', () => {
  it('the nickname is known when the first message reaches the turn, asked once, and kept in Redis for the next process', async () => {
    const prefix = randomPrefix();
    const { p, seen } = await proc(prefix);
    const ext = `wm${randomPrefix()}`;
    sim.customerSays(KFID, ext, '你好', { nickname: '王芳' });
    await waitFor('the first message', () => seen.length === 1);
    sim.customerSays(KFID, ext, '还在吗');
    await waitFor('the second message', () => seen.length === 2);
    expect(seen).toEqual(['你好:王芳', '还在吗:王芳']);
    expect(calls()).toBe(1);
    expect(await admin.hgetall(p.keys.kfNames(p.module.adapters[0]!.botId))).toEqual({ [customerIdOf(ext)]: '王芳' });

    // Another process on the same Redis reads the name there instead of asking WeChat.
    await p.stop();
    running.splice(running.indexOf(p), 1);
    const next = await proc(prefix);
    sim.customerSays(KFID, ext, '第三条');
    await waitFor('the message in the new process', () => next.seen.length === 1);
    expect(next.seen).toEqual(['第三条:王芳']);
    expect(calls()).toBe(1);
  });

  it('a failed lookup never holds the message back: the name stays empty, nothing is stored, and the next message asks again', async () => {
    const { p, seen } = await proc(randomPrefix());
    const ext = `wm${randomPrefix()}`;
    sim.setFailure(BATCHGET, -1);
    sim.customerSays(KFID, ext, '你好', { nickname: '张伟' });
    await waitFor('the message', () => seen.length === 1);
    expect(seen).toEqual(['你好:']);
    expect(await admin.hlen(p.keys.kfNames(p.module.adapters[0]!.botId))).toBe(0);
    sim.customerSays(KFID, ext, '在吗');
    await waitFor('the second message', () => seen.length === 2);
    expect(seen[1]).toBe('在吗:张伟');
    expect(calls()).toBe(2);
  });
});
