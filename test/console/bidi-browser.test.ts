/**
 * Customer text with bidi controls in a real browser (headless Debian chromium, playwright-core):
 * a WeChat nickname can carry U+202E (RIGHT-TO-LEFT OVERRIDE), which, left to itself, turns the
 * text after it around (the tier badge, the waiting time…) and can make a list lie. Wherever the
 * console shows a customer's name or question it sits in its own bidi isolate (<bdi>), and it is
 * text: markup in it is shown, never run. Then the same chat, claimed by alice, seen by bob (another
 * agent): its tags and its resolve button are not offered to him (only the assignee or a manager).
 *
 * Screenshot (1280x800): test-results/screenshots/bidi-names.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, launchChromium, listenApp, loginAs, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

// The page's globals used in page.evaluate (the project compiles without the DOM lib).
declare const window: Record<string, unknown>;
declare function getComputedStyle(el: unknown): { unicodeBidi: string; direction: string };
interface El {
  tagName: string;
  parentElement: El | null;
  closest(sel: string): El | null;
}
interface TextNode {
  nodeType: number;
  data: string;
  parentElement: El | null;
}

const RLO = '\u202E';
const NAME = `Eve${RLO}<img src=x onerror="window.__pwned=1">`;
const QUESTION = `订单${RLO}1234 还没到<b>急</b><script>window.__pwned=2</script>`;

let server: RedisServer;
useRedisServer((s) => (server = s));

let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
const conv = 'botA.wx-rlo';

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'alice', name: '爱丽丝', roles: ['agent'], password: PASSWORD });
  await agents.add({ username: 'bob', name: '鲍勃', roles: ['agent'], password: PASSWORD });
  const ref = { botId: 'botA', customerId: 'wx-rlo', customerName: NAME };
  await handoff.registerBot('botA');
  await handoff.setTier('botA', 'wx-rlo', 'vip');
  await handoff.recordMessage(ref, { from: 'customer', text: QUESTION });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: QUESTION });
  ({ app, baseUrl } = await listenApp({
    handoff,
    agents,
    redis,
    ui: true,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
}, 30_000);

/**
 * For every text node under `scope` that holds `text`'s override: the tag of its nearest bdi (or
 * null) and that element's computed unicode-bidi.
 */
function isolation(scope: Locator): Promise<{ data: string; bdi: string | null; unicodeBidi: string | null }[]> {
  return scope.evaluate((root, rlo) => {
    const out: { data: string; bdi: string | null; unicodeBidi: string | null }[] = [];
    const walk = (node: { childNodes: ArrayLike<unknown> }): void => {
      for (const child of Array.from(node.childNodes) as (TextNode & { childNodes: ArrayLike<unknown> })[]) {
        if (child.nodeType === 3 && child.data.includes(rlo)) {
          const bdi = child.parentElement?.closest('bdi') ?? null;
          out.push({ data: child.data, bdi: bdi ? bdi.tagName.toLowerCase() : null, unicodeBidi: bdi ? getComputedStyle(bdi).unicodeBidi : null });
        } else if (child.nodeType === 1) walk(child);
      }
    };
    walk(root as unknown as { childNodes: ArrayLike<unknown> });
    return out;
  }, RLO);
}

const isolated = (data: string) => ({ data, bdi: 'bdi', unicodeBidi: 'isolate' });

describe('a customer name with U+202E', { timeout: 60_000 }, () => {
  let tab: Tab;
  beforeAll(async () => {
    tab = await openTab(browser);
  });
  afterAll(async () => {
    await tab?.context.close().catch(() => undefined);
  });

  it('sits in its own isolate in the queue, the chat header, the details and the transcript; its markup is text', async () => {
    const { page } = tab;
    await loginAs(page, baseUrl, 'alice', PASSWORD, '爱丽丝', { waitOnline: true });
    const item = page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`);
    await item.waitFor();

    expect(await item.getByTestId('queue-customer').textContent()).toBe(NAME);
    expect(await item.getByTestId('queue-question').textContent()).toBe(QUESTION);
    expect(await isolation(item)).toEqual([isolated(NAME), isolated(QUESTION)]);
    // The labels after the name keep their order: the badge, then the waiting time, left to right.
    const badge = (await item.getByTestId('queue-tier').boundingBox())!;
    const waiting = (await item.getByTestId('queue-waiting').boundingBox())!;
    const name = (await item.getByTestId('queue-customer').boundingBox())!;
    expect(badge.x).toBeGreaterThanOrEqual(name.x + name.width - 1);
    expect(waiting.x).toBeGreaterThanOrEqual(badge.x + badge.width - 1);
    expect(await item.getByTestId('queue-tier').textContent()).toBe('VIP');
    await shot(page, 'bidi-names');

    await item.click();
    const view = page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`);
    await view.waitFor();
    await byId(view, 'msg').first().waitFor();
    expect(await isolation(byId(view, 'conv-customer'))).toEqual([isolated(NAME)]);
    expect(await isolation(view.locator('.details'))).toEqual([isolated(NAME), isolated(QUESTION)]);
    // The transcript: the sender line is the name; the message itself is its own block.
    expect(await isolation(view.locator('[data-testid="msg"][data-from="customer"] .msg-who'))).toEqual([isolated(NAME)]);

    // Nothing of the markup became elements, and nothing ran.
    expect(await page.locator('[data-testid="queue-item"] img, [data-testid="queue-item"] b, [data-testid="conv-view"] img, [data-testid="conv-view"] b').count()).toBe(0);
    expect(await page.locator('.app script').count()).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(tab.pageErrors).toEqual([]);
  });
});

describe('a chat someone else owns', { timeout: 60_000 }, () => {
  let alice: Tab;
  let bob: Tab;
  beforeAll(async () => {
    alice = await openTab(browser);
    bob = await openTab(browser);
  });
  afterAll(async () => {
    await alice?.context.close().catch(() => undefined);
    await bob?.context.close().catch(() => undefined);
  });

  it('offers its owner the tags and resolve, and another agent neither', async () => {
    await loginAs(alice.page, baseUrl, 'alice', PASSWORD, '爱丽丝', { waitOnline: true });
    await alice.page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    const mine = alice.page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`);
    await byId(mine, 'claim-btn').click();
    await alice.page.locator(`[data-testid="conv-view"][data-status="active"]`).waitFor();
    await byId(mine, 'resolve-btn').waitFor();
    await byId(mine, 'tag-input').fill('物流');
    await byId(mine, 'tag-input').press('Enter');
    await byId(mine, 'tag').filter({ hasText: '物流' }).waitFor();

    await loginAs(bob.page, baseUrl, 'bob', PASSWORD, '鲍勃', { waitOnline: true });
    await bob.page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    const theirs = bob.page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"][data-status="active"]`);
    await byId(theirs, 'taken-banner').waitFor();
    await byId(theirs, 'tag').filter({ hasText: '物流' }).waitFor();
    expect(await byId(theirs, 'tag-locked').count()).toBe(1);
    expect(await byId(theirs, 'tag-input').count()).toBe(0);
    expect(await theirs.locator('.tag-x').count()).toBe(0);
    expect(await byId(theirs, 'resolve-btn').count()).toBe(0);
  });
});
