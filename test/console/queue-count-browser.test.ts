/**
 * The waiting count and list stay true when one change reaches a tab twice, in either order: a
 * claim's own answer and its live event, and an event that came while the lists were being read
 * and is older than what the read returned, and an event written before a read that reaches the
 * tab after it (GET /api/queue's `asOf` says the read holds it), or one written between the read's
 * stamp and its lists (in the lists, newer than `asOf`). In real Chromium against the console on a
 * real port and a real redis-server; the two reports of a change are fed to the page's own data module in a
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

/** The live event the claim of `conv` wrote, as the socket would carry it. */
async function claimEvent(conv: string): Promise<{ id: string }> {
  const events = await handoff.eventsBetween('botQ', '0');
  const ev = events.filter((e) => e.type === 'claimed' && e.conv === conv).at(-1);
  if (!ev) throw new Error(`no claimed event for ${conv}`);
  return ev;
}

/** A read of the lists (GET /api/queue), run now and waited for. */
async function readLists(): Promise<void> {
  const answered = tab.page.waitForResponse((r) => r.url().includes('/api/queue') && r.ok());
  await tab.page.evaluate(`import('/assets/data.js').then((m) => m.refreshQueue())`);
  await answered;
}

async function settledTo(expected: string, waitingIds: string[]): Promise<void> {
  await until(expected, total, (t) => t === expected, 5_000);
  // Settled: the live event of the real claim comes too, and changes nothing.
  await new Promise((r) => setTimeout(r, 500));
  expect(await total()).toBe(expected);
  expect((await rows()).sort()).toEqual([...waitingIds].sort());
}

describe('the waiting count when a change is reported twice', { timeout: 60_000 }, () => {
  it('a claim\'s answer, then its event: counted once; the other customer stays in sight', async () => {
    const w1 = await waiting('q1', '周一');
    const w2 = await waiting('q2', '吴二');
    await until('both waiting', total, (t) => t === '2 排队', 10_000);
    const api = toApiConversation(await handoff.claim(w1, { id: aliceId, name: '李爱丽' }));
    // The claim's own answer first (no event), then the event saying where it came from.
    await feed(w1, api);
    await feed(w1, api, await claimEvent(w1));
    await settledTo('1 排队', [w2]);
  });

  it('a read of the lists after the claim, then the claim\'s event: counted once', async () => {
    const w3 = await waiting('q3', '张三');
    const w4 = await waiting('q4', '李四');
    await until('three waiting', total, (t) => t === '3 排队', 10_000);
    const api = toApiConversation(await handoff.claim(w3, { id: aliceId, name: '李爱丽' }));
    await readLists();
    // The event was written before the read, which already counts the chat gone (under load the
    // socket brings it later than the read's answer: "0 排队" hid customers still waiting).
    await feed(w3, api, await claimEvent(w3));
    await settledTo('2 排队', [`botQ.q2`, w4]);
  });

  it('the claim\'s event arriving while the lists are read: counted once', async () => {
    const w5 = await waiting('q5', '王五');
    const w6 = await waiting('q6', '赵六');
    await until('four waiting', total, (t) => t === '4 排队', 10_000);
    const api = toApiConversation(await handoff.claim(w5, { id: aliceId, name: '李爱丽' }));
    const ev = await claimEvent(w5);
    // The read leaves the page after the event was written; the event is handed to the page before
    // the read's answer comes back, so it is applied again over that answer.
    await tab.page.route('**/api/queue*', async (route) => {
      await feed(w5, api, ev);
      await route.continue();
    });
    try {
      await readLists();
    } finally {
      await tab.page.unroute('**/api/queue*');
    }
    await settledTo('3 排队', [`botQ.q2`, `botQ.q4`, w6]);
  });

  it('a read that holds the claim but stamps an older `asOf`, then the claim\'s event: counted once', async () => {
    const w7 = await waiting('q7', '孙七');
    const w8 = await waiting('q8', '周八');
    await until('five waiting', total, (t) => t === '5 排队', 10_000);
    // The stamp is taken before the lists are read: a claim written in between is in the lists
    // read but newer than `asOf` (seen in CI as "0 排队" with a customer waiting).
    const before = (await handoff.eventsBetween('botQ', '0')).at(-1)!.id;
    const api = toApiConversation(await handoff.claim(w7, { id: aliceId, name: '李爱丽' }));
    await tab.page.route('**/api/queue*', async (route) => {
      const answer = await route.fetch();
      const body = (await answer.json()) as { asOf: Record<string, string> };
      await route.fulfill({ response: answer, json: { ...body, asOf: { ...body.asOf, botQ: before } } });
    });
    try {
      await readLists();
    } finally {
      await tab.page.unroute('**/api/queue*');
    }
    await feed(w7, api, await claimEvent(w7));
    await settledTo('4 排队', [`botQ.q2`, `botQ.q4`, `botQ.q6`, w8]);
  });
});
