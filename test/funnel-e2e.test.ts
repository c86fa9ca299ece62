/**
 * A scripted day of traffic through the real bot (Wechaty on the mock puppet), real Redis and the
 * console API: the funnel for today matches what was counted by hand.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startKefu, type Kefu } from '../src/main.ts';
import { useRedisServer } from './support/hooks.ts';
import { randomPrefix, type RedisServer } from './support/redis.ts';
import { waitFor } from './support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let kefu: Kefu;
let token: string;
const PW = 'a long enough password';

beforeAll(async () => {
  kefu = await startKefu(
    loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent', WECHATY_PUPPET: 'wechaty-puppet-mock', KEFU_ADMIN_PASSWORD: PW }),
    { roles: ['bot', 'console'] },
  );
  const login = await fetch(`${kefu.console!.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PW }) });
  token = ((await login.json()) as { token: string }).token;
}, 60_000);
afterAll(async () => {
  await kefu?.stop();
});

const api = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
  const r = await fetch(`${kefu.console!.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(r.status, `${method} ${url}`).toBeLessThan(300);
  return (await r.json()) as T;
};

describe('the funnel of a scripted day, end to end', () => {
  it('matches the hand count', async () => {
    const mocker = kefu.bot!.mocker!;
    const user = mocker.createContact({ name: '闪录客服' });
    mocker.login(user);
    const customer = (name: string) => {
      const c = mocker.createContact({ name });
      const heard: string[] = [];
      c.on('message', (m) => {
        if (m.payload.talkerId === user.id) heard.push(m.payload.text ?? '');
      });
      const say = async (text: string) => {
        const n = heard.length;
        c.say(text).to(user);
        await waitFor(`the bot to answer ${name}: ${text}`, () => heard.length > n);
      };
      return { say, heard };
    };
    const [a, b, c, d] = ['甲', '乙', '丙', '丁'].map(customer);
    await a!.say('录屏没有声音怎么办'); // answered
    await a!.say('1'); //                 helpful
    await b!.say('导出'); //              "did you mean"
    await b!.say('2'); //                 answered (picked)
    await c!.say('帮我写首诗'); //        unanswered -> a person (low_confidence)
    await d!.say('转人工'); //            a person (customer_asked)

    const waiting = await api<{ items: { id: string; customer: { name: string } }[] }>('GET', '/api/conversations?status=waiting');
    const dConv = waiting.items.find((x) => x.customer.name === '丁')!.id;
    await api('POST', `/api/conversations/${dConv}/claim`);
    await api('POST', `/api/conversations/${dConv}/messages`, { text: '您好，我来帮您' });
    await waitFor('the reply', () => d!.heard.includes('您好，我来帮您'));
    await api('POST', `/api/conversations/${dConv}/resolve`);
    await waitFor('the rating question', () => d!.heard.some((t) => t.includes('打分')));
    await d!.say('5');

    const today = DateTime.now().setZone('Asia/Shanghai').toISODate();
    await waitFor('the rating counted', async () => (await api<{ total: { csat: { count: number } } }>('GET', `/api/funnel?from=${today}&to=${today}`)).total.csat.count === 1);
    const { total } = await api<{ total: Record<string, unknown> }>('GET', `/api/funnel?from=${today}&to=${today}`);
    expect(total).toMatchObject({
      conversations: 4,
      botAnswered: 2,
      helpful: 1,
      notHelpful: 0,
      suggested: 1,
      unanswered: 1,
      handoffs: { low_confidence: 1, customer_asked: 1 },
      csat: { count: 1, average: 5 },
      firstResponse: { count: 1, slaMet: 1 },
      resolved: 1,
      resolvedOneReply: 1,
    });
    const stats = await api<Record<string, unknown>>('GET', '/api/stats');
    expect(stats).toMatchObject({ conversations: 4, botAnswered: 2, handoffs: 2, csat: { count: 1, average: 5 } });
  }, 40_000);
});
