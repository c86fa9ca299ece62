/**
 * 知识库 page, 从对话中学习 and 答错的问题, in a real browser (headless Debian chromium,
 * playwright-core): the phrasings customers' picks and agents' FAQ answers proved are listed under
 * their entry with counts and kinds; one click on 采纳 adds one to the entry's file; an automatic
 * adoption is in the audit list and one click on 撤销 takes it out again; the answers that were
 * wrong show the customer's words, the entry answered and the one the agent sent; one click adds
 * the words to the entry the agent sent, another takes an item off the list for good.
 *
 * No bot process: the test records the bot's turns with `handoff.recordTurn` as the bot does, on a
 * real redis-server; the console (buildApp on a real port) serves a temp copy of the policy tests'
 * knowledge base. Screenshot: test-results/screenshots/editor-learning.png (git-ignored).
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { autoAdopt, createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { byId, consoleInBrowser, loginAs, PASSWORD, shot, type ConsoleInBrowser } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const POLICY_KB = path.resolve(import.meta.dirname, '../fixtures/policy-kb');

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let knowledge: KnowledgeService;
let kbDir: string;
let ui: ConsoleInBrowser;
let baseUrl: string;
let page: Page;
let pageErrors: string[];
let consoleErrors: string[];
let timeLimitBefore: string;

let clock = Date.now() - 60 * 60_000;
const ref = (customerId: string) => ({ botId: 'kefu-a', customerId, customerName: customerId });
async function turn(customerId: string, text: string, outcome?: TurnOutcome): Promise<void> {
  clock += 1_000;
  const replies = outcome?.type === 'answer' || outcome?.type === 'picked' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId }] : [];
  await handoff.recordTurn(ref(customerId), { from: 'customer', text }, { replies, decidedFor: 'bot', ...(outcome ? { outcome } : {}) });
}
async function pick(customerId: string, q: string, faqId: string): Promise<void> {
  await turn(customerId, q, { type: 'suggest' });
  await turn(customerId, '1', { type: 'picked', faqId, question: q });
}

const read = (file: string) => readFile(path.join(kbDir, file), 'utf8');

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'eddie', name: '编辑艾迪', roles: ['editor'], password: PASSWORD });
  kbDir = await makeTree();
  await cp(POLICY_KB, kbDir, { recursive: true });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  timeLimitBefore = await read('recording/time-limit.md');

  // Two customers picked invoice for 票据怎么弄 (one shy of automatic adoption); three agreed on
  // time-limit, adopted automatically; the bot answered login-help to 开票 and the customer said 没解决.
  await pick('c1', '票据怎么弄', 'invoice');
  await pick('c2', '票据怎么弄？', 'invoice');
  for (const c of ['c3', 'c4', 'c5']) await pick(c, '一次能录多长', 'time-limit');
  await turn('c6', '开票', { type: 'answer', faqId: 'login-help' });
  await turn('c6', '2', { type: 'not_helpful', faqId: 'login-help', question: '开票' });
  // The bot answered time-limit to 报销凭证哪里拿, the customer asked for a person, the agent sent invoice.
  await turn('c7', '报销凭证哪里拿', { type: 'answer', faqId: 'time-limit' });
  await turn('c7', '人工');
  await handoff.requestHuman(ref('c7'), { reason: 'customer_asked', question: '人工' });
  await handoff.claim('kefu-a.c7', { id: 'alice', name: 'Alice' });
  expect(await handoff.learning.recordAgentAnswer('kefu-a.c7', 'invoice')).toMatchObject({ botFaqId: 'time-limit' });
  await handoff.learning.setSettings({ autoAdopt: true, threshold: 3 }, '编辑艾迪');
  expect((await autoAdopt(handoff.learning, knowledge, { kbDir })).map((a) => a.faqId)).toEqual(['time-limit']);

  ui = await consoleInBrowser({
    handoff,
    agents,
    redis,
    knowledge,
    kbDir,
    ui: true,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  });
  ({ baseUrl, page, pageErrors, consoleErrors } = ui);
}, 60_000);

afterAll(async () => {
  await ui?.close();
  await knowledge?.close();
  await removeTrees();
}, 30_000);

describe('知识库: learning from conversations', () => {
  it('lists the proposals by entry; 采纳 adds the alternate to the file; 撤销 undoes an automatic adoption', async () => {
    await loginAs(page, baseUrl, 'eddie', PASSWORD, '编辑艾迪');
    const card = byId(page, 'kb-learning');
    await card.waitFor();
    expect(await byId(card, 'kb-learn-settings').getAttribute('data-auto')).toBe('on');
    expect(await byId(card, 'kb-learn-threshold').inputValue()).toBe('3');

    const proposal = byId(card, 'kb-learn-proposal').filter({ hasText: '票据怎么弄' });
    await proposal.waitFor();
    expect(await proposal.getAttribute('data-faq-id')).toBe('invoice');
    expect(await byId(proposal, 'kb-learn-convs').textContent()).toBe('2 个会话');
    expect(await proposal.textContent()).toContain('客户选中 ×2');
    expect(await card.locator('[data-testid="kb-learn-group"][data-faq-id="invoice"]').textContent()).toContain('怎么开发票？');

    // The wrong answer: the customer's words, the entry the bot answered.
    const wrong = byId(page, 'kb-wrong-item').filter({ hasText: '开票' });
    expect(await byId(wrong, 'kb-wrong-answered').getAttribute('data-faq-id')).toBe('login-help');
    expect(await wrong.textContent()).toContain('没解决 ×1');
    // No agent sent another answer there: nothing to add it to, only 忽略.
    expect(await byId(wrong, 'kb-wrong-add').count()).toBe(0);
    const corrected = byId(page, 'kb-wrong-item').filter({ hasText: '报销凭证哪里拿' });
    expect(await byId(corrected, 'kb-wrong-answered').getAttribute('data-faq-id')).toBe('time-limit');
    expect(await byId(corrected, 'kb-wrong-agent').getAttribute('data-faq-id')).toBe('invoice');

    // The automatic adoption, with its undo.
    const adoption = byId(card, 'kb-learn-adoption').filter({ hasText: '一次能录多长' });
    expect(await adoption.getAttribute('data-undone')).toBe('0');
    expect(await read('recording/time-limit.md')).not.toBe(timeLimitBefore);
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'editor-learning');

    const invoiceBefore = await read('billing/invoice.md');
    await byId(proposal, 'kb-learn-accept').click();
    await byId(page, 'toast').filter({ hasText: '备选问法' }).waitFor();
    await expect.poll(() => byId(card, 'kb-learn-proposal').filter({ hasText: '票据怎么弄' }).count()).toBe(0);
    const [a, b] = [invoiceBefore.split('\n'), (await read('billing/invoice.md')).split('\n')];
    expect(b.filter((l) => !a.includes(l))).toEqual(['  - 票据怎么弄？']);
    expect(knowledge.match('票据怎么弄')).toMatchObject({ decision: 'answer', id: 'invoice' });

    // The agent's correction, one click: the customer's words become an alternate of invoice.
    const withAgent = await read('billing/invoice.md');
    await byId(corrected, 'kb-wrong-add').click();
    await byId(page, 'toast').filter({ hasText: '的备选问法' }).waitFor();
    const [c, d] = [withAgent.split('\n'), (await read('billing/invoice.md')).split('\n')];
    expect(d.filter((l) => !c.includes(l))).toEqual(['  - 报销凭证哪里拿']);
    // 忽略: the item leaves the list, and stays gone after a reload.
    await byId(wrong, 'kb-wrong-dismiss').click();
    await expect.poll(() => byId(page, 'kb-wrong-item').filter({ hasText: '开票' }).count()).toBe(0);
    await page.reload();
    await corrected.waitFor();
    expect(await byId(page, 'kb-wrong-item').filter({ hasText: '开票' }).count()).toBe(0);

    await byId(adoption, 'kb-learn-undo').click();
    await byId(page, 'toast').filter({ hasText: '已撤销' }).waitFor();
    await expect.poll(() => adoption.getAttribute('data-undone')).toBe('1');
    expect(await read('recording/time-limit.md')).toBe(timeLimitBefore);

    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
