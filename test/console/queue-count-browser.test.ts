/**
 * The waiting count and list stay true when one change reaches a tab twice, in either order: a
 * claim's own answer and its live event, and an event that came while the lists were being read
 * and is older than what the read returned. In real Chromium against the console on a real port
 * and a real redis-server; the two reports of a change are fed to the page's own data module in a
 * fixed order, the way a busy machine delivers them. (Under load the claim's answer came first,
 * the event's hint counted the chat leaving again, and "0 排队" hid a customer still waiting.)
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { toApiConversation } from '../../src/console/serialize.ts';
import { byId, fastLive, loginAs, openTab, PASSWORD, serveConsole, type ServedConsole, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { until } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let baseUrl: string;
let browser: Browser;
let ui: ServedConsole;
let tab: Tab;
let aliceId = '';

async function waiting(customerId: string, name: string): Promise<string> {
  const ref = { botId: 'botQ', customerId, customerName: name };
  await handoff.recordMessage(ref, { from: 'customer', text: '发票怎么开' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '发票怎么开' });
  return `botQ.${customerId}`;
}

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  aliceId = (await agents.add({ username: 'alice', password: PASSWORD, name: '李爱丽', roles: ['agent'] })).id;
  await handoff.registerBot('botQ');
  ui = await serveConsole({ handoff, agents, redis, ...fastLive(server) });
  ({ baseUrl, browser } = ui);
  tab = await openTab(browser);
  await loginAs(tab.page, baseUrl, 'alice', PASSWORD, '李爱丽', { waitOnline: true });
}, 120_000);

afterAll(async () => {
  await tab?.context.close().catch(() => undefined);
  await ui?.close();
}, 30_000);

const total = async (): Promise<string> => ((await byId(tab.page, 'waiting-total').textContent()) ?? '').trim();
const rows = () => byId(tab.page, 'queue-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id')));
/** Hands `conv` (as the API shows it) to the page's data module, with `ev` as a live event would carry it. */
const feed = (id: string, conv: unknown, ev?: unknown) =>
  tab.page.evaluate(
    `import('/assets/data.js').then((m) => m.applyConversation(${JSON.stringify(id)}, ${JSON.stringify(conv)}${ev ? `, ${JSON.stringify(ev)}` : ''}))`,
  );

describe('the waiting count when a change is reported twice', { timeout: 60_000 }, () => {
  it('a claim\'s answer, then its event: counted once; the other customer stays in sight', async () => {
    const w1 = await waiting('q1', '周一');
    const w2 = await waiting('q2', '吴二');
    await until('both waiting', total, (t) => t === '2 排队', 10_000);
    const claimedConv = await handoff.claim(w1, { id: aliceId, name: '李爱丽' });
    const api = toApiConversation(claimedConv);
    // The claim's own answer first (no event), then the event saying where it came from.
    await feed(w1, api);
    await feed(w1, api, { id: '1-0', botId: 'botQ', type: 'claimed', conv: w1, at: api.updatedAt, data: { from: 'waiting' } });
    await until('one waiting', total, (t) => t === '1 排队', 5_000);
    // Settled: the live event of the real claim comes too, and changes nothing.
    await new Promise((r) => setTimeout(r, 500));
    expect(await total()).toBe('1 排队');
    expect(await rows()).toEqual([w2]);
  });
});
