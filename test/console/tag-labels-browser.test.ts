/**
 * Tags are Chinese-first, in real Chromium (headless Debian chromium, playwright-core) against the
 * console on a real port, a real redis-server and the product's knowledge base (its entries carry
 * ids such as `billing`, `refund`; `_tags.yml` names them). Before any model is trained the FAQ
 * entries' tags are all the suggestions there are: they show (and apply) as 付费 / 退款, never the
 * ids; a chat tagged `refund` before (an existing tag) is not offered 退款 again.
 * Screenshots: test-results/screenshots/tag-labels-1280.png, tag-labels-390.png (git-ignored).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { createKnowledgeService, loadKnowledgeBase, type KnowledgeService } from '../../src/knowledge/index.ts';
import { KB_DIR } from '../support/bot.ts';
import { byId, fastLive, loginAs, openTab, PASSWORD, serveConsole, type ServedConsole, shot } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { playConversation } from '../support/tagging.ts';
import { until } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let knowledge: KnowledgeService;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let ui: ServedConsole;
let alice: { id: string; name: string };

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  const a = await agents.add({ username: 'alice', name: '李爱丽', roles: ['agent'], password: PASSWORD });
  alice = { id: a.id, name: a.name };
  knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
  ui = await serveConsole({ handoff, agents, redis, knowledge, kbDir: KB_DIR, ...fastLive(server) });
  ({ app, baseUrl, browser } = ui);
}, 60_000);
afterAll(async () => {
  await ui?.close();
  await knowledge?.close();
}, 30_000);

const suggested = (page: Page): Promise<string[]> => byId(page, 'tag-suggestion').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag') ?? ''));
const tagsOf = (page: Page): Promise<string[]> => byId(page, 'tag').evaluateAll((els) => els.map((e) => (e.firstChild?.textContent ?? '').trim()));

describe('tag suggestions by name', () => {
  it('every id the knowledge base tags with has a Chinese name in _tags.yml', async () => {
    const names = parse(await readFile(path.join(KB_DIR, '_tags.yml'), 'utf8')) as Record<string, string>;
    const ids = new Set((await loadKnowledgeBase(KB_DIR)).entries.flatMap((e) => e.tags));
    expect(ids.size).toBeGreaterThan(5);
    for (const id of ids) expect(names[id], id).toMatch(/\p{Script=Han}/u);
  });

  it('the FAQ\'s tags show and apply as their names; a chat tagged with the id is not offered the name again', async () => {
    const refund = await playConversation(handoff, { id: 'r1', customer: ['年费会员能退款吗'], agent: [], faqIds: ['refund'] }, alice, { resolve: false });
    const old = await playConversation(handoff, { id: 'r2', customer: ['买错了想退钱'], agent: [], faqIds: ['refund'], tags: ['refund'] }, alice, { resolve: false });

    const { page, context } = await openTab(browser);
    await loginAs(page, baseUrl, 'alice', PASSWORD, '李爱丽', { waitOnline: true });
    await page.goto(`${baseUrl}/#/c/${refund}`);
    await byId(page, 'tag-suggestion').first().waitFor();
    const chips = await suggested(page);
    expect(chips).toEqual(expect.arrayContaining(['付费', '退款']));
    for (const chip of chips) expect(chip, 'no English ids').not.toMatch(/^[a-z-]+$/);
    await shot(page, 'tag-labels-1280');
    await page.locator('[data-testid="tag-suggestion"][data-tag="退款"]').click();
    await until('the tag shows', () => tagsOf(page), (tags) => tags.includes('退款'));
    expect((await handoff.conversation(refund))!.tags).toEqual(['退款']);

    // The old English tag still shows and counts as 退款: not offered again, in the API or the page.
    const token = await page.evaluate(() => localStorage.getItem('kefu.token'));
    const ask = async () => (await app.inject({ method: 'GET', url: `/api/conversations/${encodeURIComponent(old)}/tag-suggestions`, headers: { authorization: `Bearer ${token}` } })).json<{ items: { tag: string }[] }>();
    const answer = await ask();
    expect(answer.items.map((i) => i.tag)).not.toContain('退款');
    expect(answer.items.map((i) => i.tag)).not.toContain('refund');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl}/#/c/${old}`);
    await until('the old tag shows', () => tagsOf(page), (tags) => tags.includes('refund'));
    expect(await suggested(page)).not.toContain('退款');
    await shot(page, 'tag-labels-390');
    await context.close();
  }, 60_000);
});
