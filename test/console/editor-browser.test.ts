/**
 * The editors' page in a real browser (headless Debian chromium, playwright-core): knowledge from
 * real traffic. The questions the bot missed, grouped by similarity; an editor adds one as an
 * alternate to the suggested entry (the markdown file gains one line, the next question matches
 * it), starts a new entry from another, and adopts the top 10 by traffic as the menu order.
 *
 * No bot process: the test records the bot's turns with `handoff.recordTurn` as the bot does, and
 * the console (buildApp on a real port, a real redis-server) serves a temp copy of the product's
 * knowledge base (the original is never touched).
 *
 * Screenshots (1280x800): test-results/screenshots/editor-gaps.png, editor-traffic.png (git-ignored).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { byId, consoleInBrowser, loginAs, PASSWORD, shot, type ConsoleInBrowser } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const PRODUCT_KB = path.resolve(import.meta.dirname, '../../knowledge-base');
const FAN = '录屏的时候电脑风扇狂转';

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

let clock = Date.now() - 60 * 60_000;
async function turn(customerId: string, text: string, outcome: TurnOutcome): Promise<void> {
  clock += 1_000;
  const replies = outcome.type === 'answer' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId, confidence: 0.9 }] : [];
  await handoff.recordTurn({ botId: 'kefu-a', customerId, customerName: customerId }, { from: 'customer', text }, { replies, decidedFor: 'bot', outcome });
}
const missed = (customerId: string, text: string) => turn(customerId, text, { type: 'unanswered', question: text });

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'eddie', name: '编辑艾迪', roles: ['editor'], password: PASSWORD });

  kbDir = await makeTree();
  await cp(PRODUCT_KB, kbDir, { recursive: true });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });

  // Real traffic: the FAQ answered refund 3 times, invoice twice; five questions it missed.
  for (let i = 0; i < 3; i++) await turn(`r${i}`, '怎么退款', { type: 'answer', faqId: 'refund' });
  for (let i = 0; i < 2; i++) await turn(`i${i}`, '开发票', { type: 'answer', faqId: 'invoice' });
  await missed('c1', FAN);
  await missed('c2', FAN);
  await missed('c3', '录屏时电脑风扇狂转');
  await missed('c4', '你们支持 Linux 吗');
  await missed('c5', 'linux 能用吗');

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

// The page's globals used in evaluate (the project compiles without the DOM lib).
declare function getComputedStyle(el: unknown): { overflowY: string };

const read = (file: string) => readFile(path.join(kbDir, file), 'utf8');
const exactly = (text: string): RegExp => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const groupOf = (label: string): Locator => byId(page, 'kb-gap-group').filter({ has: page.locator('[data-testid="kb-gap-label"]', { hasText: exactly(label) }) });
const exampleOf = (group: Locator, text: string): Locator =>
  byId(group, 'kb-gap-example').filter({ has: page.locator('[data-testid="kb-gap-text"]', { hasText: exactly(text) }) });

describe('the editors\' page: knowledge from real traffic', () => {
  it('shows the missed questions grouped by similarity, with counts, reasons and the suggested entry', async () => {
    await loginAs(page, baseUrl, 'eddie', PASSWORD, '编辑艾迪');
    // An editor lands on the knowledge page.
    await byId(page, 'editor-page').waitFor();

    const groups = byId(page, 'kb-gap-group');
    await expect.poll(() => groups.count()).toBe(2);
    expect(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-count')))).toEqual(['3', '2']);
    const fan = groupOf(FAN);
    expect(await byId(fan, 'kb-gap-count').textContent()).toBe('3 次');
    expect(await byId(fan, 'kb-gap-suggested').getAttribute('data-faq-id')).toBe('recording-lag');
    expect(await byId(fan, 'kb-gap-example').count()).toBe(2);
    expect(await fan.textContent()).toContain('机器人没答上 3');
    expect(await byId(groupOf('linux 能用吗'), 'kb-gap-example').count()).toBe(2);
  });

  it('adds an example as an alternate to the suggested entry: the file gains one line, the next question matches it', async () => {
    const fan = groupOf(FAN);
    const example = exampleOf(fan, FAN);
    const file = 'recording/recording-lag.md';
    const before = await read(file);

    await byId(example, 'kb-add-alt').click();
    const select = byId(example, 'kb-add-alt-entry');
    await select.waitFor();
    // The suggested entry is preselected.
    expect(await select.inputValue()).toBe('recording-lag');
    expect(await byId(example, 'kb-add-alt-text').inputValue()).toBe(FAN);
    await fan.scrollIntoViewIfNeeded();
    await shot(page, 'editor-gaps');
    await byId(example, 'kb-add-alt-save').click();
    await byId(page, 'toast').filter({ hasText: '备选问法' }).waitFor();
    // Done: the form closes and the example shows it is in the FAQ now.
    await byId(exampleOf(groupOf(FAN), FAN), 'kb-gap-covered').waitFor();
    expect(await byId(page, 'kb-add-alt-form').count()).toBe(0);

    const after = await read(file);
    const [a, b] = [before.split('\n'), after.split('\n')];
    expect(b.length).toBe(a.length + 1);
    expect(b.filter((l) => !a.includes(l))).toEqual([`  - ${FAN}`]);
    expect(knowledge.match(FAN)).toMatchObject({ decision: 'answer', id: 'recording-lag' });
  });

  it('a duplicate phrasing is refused in the form, with the server\'s reason', async () => {
    const fan = groupOf(FAN);
    const example = exampleOf(fan, '录屏时电脑风扇狂转');
    await byId(example, 'kb-add-alt').click();
    await byId(example, 'kb-add-alt-text').fill('录屏 的时候电脑风扇狂转！');
    await byId(example, 'kb-add-alt-save').click();
    const error = byId(example, 'kb-add-alt-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('already');
    await byId(example, 'kb-add-alt-cancel').click();
    expect(await byId(page, 'kb-add-alt-form').count()).toBe(0);
  });

  it('starts a new entry from an example', async () => {
    const linux = groupOf('linux 能用吗');
    const example = exampleOf(linux, '你们支持 Linux 吗');
    await byId(example, 'kb-new-entry').click();
    expect(await byId(example, 'kb-new-entry-question').inputValue()).toBe('你们支持 Linux 吗');
    // The group's other examples are offered as alternates.
    expect(await byId(example, 'kb-new-entry-alternates').inputValue()).toBe('linux 能用吗');
    // An id the server would refuse is caught as it is typed, in Chinese, and nothing can be saved.
    await byId(example, 'kb-new-entry-id').fill('Linux 支持');
    await byId(example, 'kb-new-entry-category').fill('device');
    await byId(example, 'kb-new-entry-answer').fill('目前只支持 **Windows** 和 **macOS**，Linux 版在计划中。');
    await expect.poll(() => byId(example, 'kb-new-entry-invalid').textContent()).toContain('条目 id 只能用英文小写字母');
    expect(await byId(example, 'kb-new-entry-save').isDisabled()).toBe(true);
    await byId(example, 'kb-new-entry-id').fill('linux-support');
    await expect.poll(() => byId(example, 'kb-new-entry-invalid').count()).toBe(0);
    await byId(example, 'kb-new-entry-save').click();
    await byId(page, 'toast').filter({ hasText: 'device/linux-support.md' }).waitFor();
    await byId(exampleOf(groupOf('linux 能用吗'), '你们支持 Linux 吗'), 'kb-gap-covered').waitFor();
    expect(await read('device/linux-support.md')).toBe(
      '---\nquestion: 你们支持 Linux 吗\nalternates:\n  - linux 能用吗\ntags: [device]\nid: linux-support\n---\n目前只支持 **Windows** 和 **macOS**，Linux 版在计划中。\n',
    );
    expect(knowledge.match('linux 能用吗')).toMatchObject({ decision: 'answer', id: 'linux-support' });
    // The new entry is in the FAQ table.
    await page.locator('[data-testid="kb-entry"][data-faq-id="linux-support"]').waitFor();
  });

  it('an entry\'s answer is read and edited on the page: its file changes below the front matter, the bot answers with it', async () => {
    const row = page.locator('[data-testid="kb-entry"][data-faq-id="time-limit"]');
    await byId(row, 'kb-entry-open').click();
    const form = byId(page, 'kb-entry-edit');
    await form.waitFor();
    const box = byId(form, 'kb-entry-answer');
    const old = knowledge.matcher().entry('time-limit')!.answer;
    expect(await box.inputValue()).toBe(old);
    // Nothing changed yet: nothing to save.
    expect(await byId(form, 'kb-entry-save').isDisabled()).toBe(true);
    const before = await read('recording/time-limit.md');
    const answer = '免费版单次最长录 **10 分钟**，开通会员后不限时长。';
    await box.fill(answer);
    await form.scrollIntoViewIfNeeded();
    await shot(page, 'editor-entry-answer');
    await byId(form, 'kb-entry-save').click();
    await byId(page, 'toast').filter({ hasText: '的答案已保存' }).waitFor();
    await form.waitFor({ state: 'detached' });
    const after = await read('recording/time-limit.md');
    const fence = before.indexOf('\n---', 4) + 5;
    expect(after.slice(0, fence)).toBe(before.slice(0, fence));
    expect(after.slice(fence)).toBe(`${answer}\n`);
    expect(knowledge.matcher().entry('time-limit')!.answer).toBe(answer);
    // Opened again, it shows the saved answer.
    await byId(row, 'kb-entry-open').click();
    await expect.poll(() => byId(byId(page, 'kb-entry-edit'), 'kb-entry-answer').inputValue()).toBe(answer);
    await byId(page, 'kb-entry-cancel').click();
    await byId(page, 'kb-entry-edit').waitFor({ state: 'detached' });
  });

  it('a broken file is listed in Chinese, at its file:line, the original kept in the row\'s title; the other entries can still be edited', async () => {
    const file = 'billing/invoice.md';
    const good = await read(file);
    await writeFile(path.join(kbDir, file), good.replace('question:', 'question：'));
    await knowledge.reload();
    try {
      await page.reload();
      const problem = byId(page, 'kb-problem').first();
      await problem.waitFor();
      expect(await problem.locator('.problem-loc').textContent()).toBe(`${file}:2`);
      const msg = problem.locator('.problem-msg');
      expect(await msg.textContent()).toBe('「question」后面要用英文冒号加空格（question: …），全角的「：」会被当成文字');
      expect(await msg.getAttribute('title')).toContain('needs an ASCII colon');
      // One editor's typo does not stop the others: another entry's answer is saved to its file, and
      // the page says the bot keeps the last good version until the broken file is fixed.
      await byId(page.locator('[data-testid="kb-entry"][data-faq-id="time-limit"]'), 'kb-entry-open').click();
      const form = byId(page, 'kb-entry-edit');
      const answer = '免费版单次最长录 **15 分钟**，开通会员后不限时长。';
      await byId(form, 'kb-entry-answer').fill(answer);
      await byId(form, 'kb-entry-save').click();
      await byId(page, 'toast').filter({ hasText: '修好之前机器人继续用之前的版本' }).waitFor();
      await form.waitFor({ state: 'detached' });
      expect(await read('recording/time-limit.md')).toContain(answer);
      expect(knowledge.matcher().entry('time-limit')!.answer).not.toBe(answer);
    } finally {
      await writeFile(path.join(kbDir, file), good);
      await knowledge.reload();
    }
    await page.reload();
    await byId(page, 'kb-ok').waitFor();
  });

  it('the Top 10 by traffic stands next to the menu; 采用此顺序 rewrites the menu order', async () => {
    const top = byId(page, 'kb-top');
    await top.waitFor();
    const ids = (testId: string) => byId(top, testId).evaluateAll((els) => els.map((e) => e.getAttribute('data-faq-id')));
    const byTraffic = await ids('kb-top-item');
    expect(byTraffic).toHaveLength(10);
    expect(byTraffic.slice(0, 2)).toEqual(['refund', 'invoice']);
    const menuBefore = await ids('kb-menu-item');
    expect(menuBefore[0]).toBe('no-sound');
    expect(menuBefore).not.toEqual(byTraffic);
    await top.scrollIntoViewIfNeeded();
    await shot(page, 'editor-traffic');

    const refundBefore = await read('billing/refund.md');
    const adopt = byId(top, 'kb-top-adopt');
    expect(await adopt.isEnabled()).toBe(true);
    await adopt.click();
    await byId(page, 'toast').filter({ hasText: '菜单' }).waitFor();
    await expect.poll(() => ids('kb-menu-item')).toEqual(byTraffic);
    await expect.poll(() => adopt.isDisabled()).toBe(true);

    // The files: menu lines only.
    const refundAfter = await read('billing/refund.md');
    expect(refundAfter).toBe(refundBefore.replace('menu: 9\n', 'menu: 1\n'));
    expect(await read('billing/invoice.md')).toMatch(/\nmenu: 2\n/);
    const menu = knowledge.matcher().kb.entries.filter((e) => e.menu !== undefined).sort((a, b) => a.menu! - b.menu!);
    expect(menu.map((e) => e.id)).toEqual(byTraffic);

    expect(pageErrors).toEqual([]);
    expect(consoleErrors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });

  it('many groups: the ten biggest in the page (no scroll box inside it), the rest behind 显示全部', async () => {
    const topics = ['打印机', '蓝牙耳机', '直播推流', '车载导航', '智能手表', '游戏手柄', '投影仪', '扫地机器人', '电子相框', '无人机', '翻译笔', '体脂秤'];
    for (const [i, t] of topics.entries()) await missed(`m${i}`, `${t}能连吗`);
    await page.reload();
    const groups = byId(page, 'kb-gap-group');
    await expect.poll(() => groups.count()).toBe(10);
    const list = byId(page, 'kb-gaps');
    expect(await list.evaluate((el) => getComputedStyle(el).overflowY)).toBe('visible');
    const more = byId(page, 'kb-gaps-more');
    const total = Number((await byId(page, 'kb-gaps').locator('xpath=..').locator('.count').first().textContent()) ?? 0);
    expect(total).toBeGreaterThan(10);
    expect(await more.textContent()).toContain(`显示全部 ${total} 组`);
    await more.click();
    await expect.poll(() => groups.count()).toBe(total);
    await more.click();
    await expect.poll(() => groups.count()).toBe(10);
  });
});
