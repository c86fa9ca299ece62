/**
 * Knowledge from real traffic, through the API (src/console/routes/kb-edit.ts): the top 10 by FAQ
 * hits and agents' tags next to the menu, adopting it as the menu, the questions the FAQ missed
 * grouped by similarity, and the edits that close the loop: an alternate added from the console
 * changes the markdown file by one line and the next question matches it; a new entry. Via inject,
 * on a real redis-server and a temp copy of the product's knowledge base (never the original).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type GapGroup, type KnowledgeService } from '../../src/knowledge/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PRODUCT_KB = path.resolve(import.meta.dirname, '../../knowledge-base');
const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z'); // 10:00 in Shanghai
const USERS: Record<string, Role[]> = { alice: ['agent'], eddie: ['editor'], mia: ['manager'], root: ['admin'] };

interface Ctx {
  app: FastifyInstance;
  handoff: Handoff;
  knowledge: KnowledgeService;
  kbDir: string;
  clock: { t: number };
  tokens: Record<string, string>;
}
let ctx: Ctx;

beforeEach(async () => {
  const prefix = randomPrefix();
  const clock = { t: TUESDAY_10 };
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  await handoff.registerBot('botA');
  await handoff.registerBot('botB');
  const agents = new AgentStore(redis, prefix);
  const tokens: Record<string, string> = {};
  for (const [username, roles] of Object.entries(USERS)) {
    await agents.add({ username, roles, password: PW, name: username });
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  const kbDir = await makeTree();
  await cp(PRODUCT_KB, kbDir, { recursive: true });
  const knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  const app = await buildApp({ handoff, agents, redis, knowledge, kbDir, ui: false });
  ctx = { app, handoff, knowledge, kbDir, clock, tokens };
});
afterEach(async () => {
  await ctx.app.close();
  await ctx.knowledge.close();
  await removeTrees();
});

function call(method: 'GET' | 'POST', url: string, opts: { as?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.as) headers.authorization = `Bearer ${ctx.tokens[opts.as]}`;
  return ctx.app.inject({ method, url, headers, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
}

function ok<T>(res: LightMyRequestResponse, status = 200): T {
  expect(res.statusCode, res.body).toBe(status);
  return res.json<T>();
}

function expectError(res: LightMyRequestResponse, status: number, code: string, message?: RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ error: { code: string; message: string } }>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (message) expect(body.error.message).toMatch(message);
}

const ref = (customerId: string, botId = 'botA') => ({ botId, customerId, customerName: `Name ${customerId}` });

/** A customer turn as the bot records it. */
async function turn(customerId: string, text: string, outcome: TurnOutcome, botId = 'botA') {
  ctx.clock.t += 1_000;
  const reply = outcome.type === 'answer' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId, confidence: 0.9 }] : [];
  return ctx.handoff.recordTurn(ref(customerId, botId), { from: 'customer', text }, { replies: reply, decidedFor: 'bot', outcome });
}

const unanswered = (customerId: string, text: string, botId = 'botA') => turn(customerId, text, { type: 'unanswered', question: text }, botId);

const read = (file: string) => readFile(path.join(ctx.kbDir, file), 'utf8');

/** Lines added and removed between two versions of a file (same order assumed: edits only insert, delete or replace lines). */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

// -----------------------------------------------------------------------------------------------------------

describe('roles and shapes', () => {
  it('every route needs the editor role (admin implies it); errors in the API\'s shape', async () => {
    const routes: [method: 'GET' | 'POST', url: string, body?: unknown][] = [
      ['GET', '/api/kb/top'],
      ['POST', '/api/kb/menu', { ids: [] }],
      ['GET', '/api/kb/gaps'],
      ['POST', '/api/kb/entries/refund/alternates', { question: '随便问问' }],
      ['POST', '/api/kb/entries', { id: 'x', question: 'q', category: 'billing', answer: 'a' }],
      ['POST', '/api/kb/entries/refund/answer', { answer: '新答案' }],
    ];
    for (const [method, url, body] of routes) {
      expectError(await call(method, url, { body }), 401, 'UNAUTHORIZED');
      expectError(await call(method, url, { as: 'alice', body }), 403, 'FORBIDDEN');
      expectError(await call(method, url, { as: 'mia', body }), 403, 'FORBIDDEN');
    }
    expect((await call('GET', '/api/kb/top', { as: 'root' })).statusCode).toBe(200);
    // A refused call changed nothing.
    expect(await read('billing/refund.md')).toBe(await readFile(path.join(PRODUCT_KB, 'billing/refund.md'), 'utf8'));
  });

  it('without a knowledge base the routes answer 503', async () => {
    const agents = new AgentStore(redis, randomPrefix());
    await agents.add({ username: 'ed', roles: ['editor'], password: PW, name: 'ed' });
    const token = (await agents.login('ed', PW))!.token;
    const app = await buildApp({ handoff: ctx.handoff, agents, redis, ui: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/kb/top', headers: { authorization: `Bearer ${token}` } });
      expectError(res, 503, 'UNAVAILABLE');
      const post = await app.inject({ method: 'POST', url: '/api/kb/entries/refund/alternates', headers: { authorization: `Bearer ${token}` }, payload: { question: '新问法' } });
      expectError(post, 503, 'UNAVAILABLE');
    } finally {
      await app.close();
    }
  });
});

describe('top 10 by real traffic next to the menu', () => {
  it('ranks by FAQ hits plus agents\' tags on open conversations, ties by menu order; adopting it rewrites only menu lines', async () => {
    for (let i = 0; i < 3; i++) await turn(`r${i}`, '怎么退款', { type: 'answer', faqId: 'refund' }, i === 2 ? 'botB' : 'botA');
    await turn('i1', '开发票', { type: 'answer', faqId: 'invoice' });
    await turn('i2', '开发票', { type: 'answer', faqId: 'invoice' });
    await turn('s1', '没声音', { type: 'answer', faqId: 'no-sound' });
    // Agents' tags: an entry id, a tag only remove-watermark has, a category (no entry of its own).
    await ctx.handoff.recordMessage(ref('t1'), { from: 'customer', text: '发票抬头开错了' });
    await ctx.handoff.requestHuman(ref('t1'), { reason: 'customer_asked' });
    await ctx.handoff.setTags('botA.t1', ['invoice', 'billing']);
    await ctx.handoff.recordMessage(ref('t2'), { from: 'customer', text: '水印' });
    await ctx.handoff.requestHuman(ref('t2'), { reason: 'customer_asked' });
    await ctx.handoff.setTags('botA.t2', ['Watermark']);

    type Top = {
      items: { id: string; question: string; hits: number; tagged: number; score: number; rank: number; menu: number | null }[];
      menu: { id: string; menu: number; hits: number }[];
      totalHits: number;
    };
    const top = ok<Top>(await call('GET', '/api/kb/top', { as: 'eddie' }));
    expect(top.items.map((i) => [i.rank, i.id, i.hits, i.tagged, i.menu])).toEqual([
      [1, 'refund', 3, 0, 9],
      [2, 'invoice', 2, 1, null],
      [3, 'no-sound', 1, 0, 1],
      [4, 'remove-watermark', 0, 1, 3],
      // No traffic: the editors' menu order.
      [5, 'find-recordings', 0, 0, 2],
      [6, 'membership-plans', 0, 0, 4],
      [7, 'recording-lag', 0, 0, 5],
      [8, 'time-limit', 0, 0, 6],
      [9, 'login-help', 0, 0, 7],
      [10, 'device-limit', 0, 0, 8],
    ]);
    expect(top.items[0]).toMatchObject({ question: '会员可以退款吗？', score: 3 });
    expect(top.menu.map((m) => [m.menu, m.id])).toEqual([
      [1, 'no-sound'], [2, 'find-recordings'], [3, 'remove-watermark'], [4, 'membership-plans'], [5, 'recording-lag'],
      [6, 'time-limit'], [7, 'login-help'], [8, 'device-limit'], [9, 'refund'], [10, 'crash-repair'],
    ]);
    expect(top.totalHits).toBe(6);

    const files = ['billing/refund.md', 'billing/invoice.md', 'recording/crash-repair.md', 'recording/no-sound.md', 'recording/webcam-pip.md'];
    const before = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await read(f)] as const)));
    const adopted = ok<{ menu: { id: string; menu: number }[]; reloaded: boolean }>(
      await call('POST', '/api/kb/menu', { as: 'eddie', body: { ids: top.items.map((i) => i.id) } }),
    );
    expect(adopted.reloaded).toBe(true);
    expect(adopted.menu.map((m) => m.id)).toEqual(top.items.map((i) => i.id));
    expect(changedLines(before['billing/refund.md']!, await read('billing/refund.md'))).toEqual({ added: ['menu: 1'], removed: ['menu: 9'] });
    expect(changedLines(before['billing/invoice.md']!, await read('billing/invoice.md'))).toEqual({ added: ['menu: 2'], removed: [] });
    expect(changedLines(before['recording/crash-repair.md']!, await read('recording/crash-repair.md'))).toEqual({ added: [], removed: ['menu: 10'] });
    expect(changedLines(before['recording/no-sound.md']!, await read('recording/no-sound.md'))).toEqual({ added: ['menu: 3'], removed: ['menu: 1'] });
    // Neither in the old menu nor in the new one: untouched.
    expect(await read('recording/webcam-pip.md')).toBe(before['recording/webcam-pip.md']);
    // Live at once: the service's menu is the new one.
    const again = ok<Top>(await call('GET', '/api/kb/top', { as: 'eddie' }));
    expect(again.menu.map((m) => m.id)).toEqual(top.items.map((i) => i.id));
    expect(again.items.map((i) => i.menu)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('refuses bad menus: 400 for more than 10, a repeated or malformed id; 404 for an unknown one', async () => {
    expectError(await call('POST', '/api/kb/menu', { as: 'eddie', body: { ids: Array.from({ length: 11 }, (_, i) => `e${i}`) } }), 400, 'BAD_REQUEST', /body\.ids/);
    expectError(await call('POST', '/api/kb/menu', { as: 'eddie', body: { ids: ['refund', 'refund'] } }), 400, 'BAD_REQUEST', /twice/);
    expectError(await call('POST', '/api/kb/menu', { as: 'eddie', body: { ids: 'refund' } }), 400, 'BAD_REQUEST');
    expectError(await call('POST', '/api/kb/menu', { as: 'eddie', body: { ids: ['refund', 'no-such-entry'] } }), 404, 'NOT_FOUND', /no-such-entry/);
    expect(await read('billing/refund.md')).toContain('menu: 9');
  });
});

describe('questions the FAQ missed, grouped', () => {
  it('GET /api/kb/gaps groups similar questions with counts, reasons, examples and the suggested entry', async () => {
    await unanswered('c1', '你们支持 Linux 吗');
    await unanswered('c2', 'linux 能用吗', 'botB');
    await unanswered('c3', '录屏的时候电脑风扇狂转');
    await unanswered('c4', '录屏时电脑风扇狂转');
    await turn('c5', '2', { type: 'not_helpful', faqId: 'recording-lag', question: '录屏的时候电脑风扇狂转' });
    await turn('c6', '怎么退款', { type: 'answer', faqId: 'refund' });
    const { groups, total } = ok<{ groups: GapGroup[]; total: number }>(await call('GET', '/api/kb/gaps', { as: 'eddie' }));
    expect(total).toBe(5);
    expect(groups.map((g) => [g.label, g.count, g.reasons])).toEqual([
      ['录屏的时候电脑风扇狂转', 3, { unanswered: 2, not_helpful: 1, suggested: 0 }],
      ['linux 能用吗', 2, { unanswered: 2, not_helpful: 0, suggested: 0 }],
    ]);
    const [fan, linux] = groups;
    expect(fan!.examples.map((e) => [e.text, e.count, e.conv])).toEqual([
      ['录屏的时候电脑风扇狂转', 2, 'botA.c5'],
      ['录屏时电脑风扇狂转', 1, 'botA.c4'],
    ]);
    expect(fan!.notHelpful).toEqual([{ id: 'recording-lag', count: 1 }]);
    expect(fan!.suggested).toMatchObject({ id: 'recording-lag', question: expect.any(String) });
    expect(fan!.suggested!.score).toBeGreaterThan(0);
    expect(linux!.examples.map((e) => e.text)).toEqual(['linux 能用吗', '你们支持 Linux 吗']);
    expect(fan!.lastAt > linux!.lastAt).toBe(true);

    expect(ok<{ total: number }>(await call('GET', '/api/kb/gaps?limit=2', { as: 'eddie' })).total).toBe(2);
    expectError(await call('GET', '/api/kb/gaps?limit=0', { as: 'eddie' }), 400, 'BAD_REQUEST', /query\.limit/);
    expectError(await call('GET', '/api/kb/gaps?limit=501', { as: 'eddie' }), 400, 'BAD_REQUEST');
  });
});

describe('adding an alternate from the console', () => {
  it('changes the file by one line, and the next question matches the entry', async () => {
    const question = '录屏的时候电脑风扇狂转';
    await unanswered('c1', question);
    const { groups } = ok<{ groups: GapGroup[] }>(await call('GET', '/api/kb/gaps', { as: 'eddie' }));
    const target = groups[0]!.suggested!.id;
    expect(target).toBe('recording-lag');
    expect(ctx.knowledge.match(question).decision).not.toBe('answer');

    const file = 'recording/recording-lag.md';
    const before = await read(file);
    const added = ok<{ id: string; file: string; alternates: string[]; reloaded: boolean }>(
      await call('POST', `/api/kb/entries/${target}/alternates`, { as: 'eddie', body: { question: `  ${question} ` } }),
    );
    expect(added).toMatchObject({ id: 'recording-lag', file, reloaded: true });
    expect(added.alternates.at(-1)).toBe(question);
    const after = await read(file);
    expect(after.split('\n').length).toBe(before.split('\n').length + 1);
    expect(changedLines(before, after)).toEqual({ added: [`  - ${question}`], removed: [] });
    // The next question is answered with the entry, by the console's own service (reloaded before the response).
    expect(ctx.knowledge.match(question)).toMatchObject({ decision: 'answer', id: 'recording-lag' });
    // The editors' list shows the question as covered now.
    const again = ok<{ groups: GapGroup[] }>(await call('GET', '/api/kb/gaps', { as: 'eddie' }));
    expect(again.groups[0]!.examples[0]).toMatchObject({ text: question, covered: 'recording-lag' });
    // And by anyone loading the files afresh (the bot's hot reload reads the same files).
    const fresh = await createKnowledgeService({ dir: ctx.kbDir, watch: false });
    try {
      expect(fresh.match(question)).toMatchObject({ decision: 'answer', id: 'recording-lag' });
    } finally {
      await fresh.close();
    }
  });

  it('409 for a phrasing an entry has, 404 for an unknown entry, 400 for bad text; the file stays as it was', async () => {
    const before = await read('billing/refund.md');
    const alt = (id: string, body: unknown) => call('POST', `/api/kb/entries/${encodeURIComponent(id)}/alternates`, { as: 'eddie', body });
    expectError(await alt('refund', { question: '怎么申请退款' }), 409, 'CONFLICT', /already/);
    expectError(await alt('refund', { question: '会员可以退款吗' }), 409, 'CONFLICT', /question of "refund"/);
    expectError(await alt('invoice', { question: '怎么申请退款！' }), 409, 'CONFLICT', /"refund"/);
    expectError(await alt('no-such-entry', { question: '新问法' }), 404, 'NOT_FOUND', /no-such-entry/);
    expectError(await alt('refund', { question: '第一行\n第二行' }), 400, 'BAD_REQUEST', /body\.question: must be one line/);
    expectError(await alt('refund', { question: '   ' }), 400, 'BAD_REQUEST', /body\.question/);
    expectError(await alt('refund', { question: '退'.repeat(201) }), 400, 'BAD_REQUEST', /200/);
    expectError(await alt('refund', {}), 400, 'BAD_REQUEST');
    expectError(await alt('refund', { question: '？！' }), 400, 'BAD_REQUEST', /no words/);
    expect(await read('billing/refund.md')).toBe(before);
  });

  it('a broken file on disk does not block the other entries: the edit is written, reloaded false; the broken entry answers 409 KB_INVALID naming it', async () => {
    const original = await readFile(path.join(PRODUCT_KB, 'billing/refund.md'), 'utf8');
    await writeFile(path.join(ctx.kbDir, 'billing/broken.md'), '---\nquestion: 坏的\n---\n');
    const added = ok<{ alternates: string[]; reloaded: boolean }>(await call('POST', '/api/kb/entries/refund/alternates', { as: 'eddie', body: { question: '退款多久到账' } }));
    expect(added).toMatchObject({ reloaded: false });
    expect(added.alternates).toContain('退款多久到账');
    expect(changedLines(original, await read('billing/refund.md'))).toEqual({ added: ['  - 退款多久到账'], removed: [] });
    // The broken file is listed for the editors; the bot keeps the last good version meanwhile.
    const problems = ok<{ items: { file: string; line: number }[] }>(await call('GET', '/api/kb/problems', { as: 'eddie' }));
    expect(problems.items).toEqual([expect.objectContaining({ file: 'billing/broken.md', line: 4 })]);
    expectError(await call('POST', '/api/kb/entries/broken/alternates', { as: 'eddie', body: { question: '坏掉的问法' } }), 409, 'KB_INVALID', /billing\/broken\.md:4/);
  });
});

describe('editing an answer from the console', () => {
  it('replaces the body below the front matter, which stays byte for byte; the bot answers with it at once', async () => {
    const file = 'billing/refund.md';
    const before = await read(file);
    const fence = before.indexOf('\n---', 4) + '\n---\n'.length;
    const answer = '会员开通 **7 天内** 可全额退款：我的 → 订单记录 → 申请退款。\n\n超过 7 天的订单，请联系客服说明情况。';
    const set = ok<{ id: string; file: string; changed: boolean; reloaded: boolean }>(
      await call('POST', '/api/kb/entries/refund/answer', { as: 'eddie', body: { answer: `\n${answer}\r\n` } }),
    );
    expect(set).toEqual({ id: 'refund', file, changed: true, reloaded: true });
    const after = await read(file);
    expect(after.slice(0, fence)).toBe(before.slice(0, fence));
    expect(after.slice(fence)).toBe(`${answer}\n`);
    expect(ctx.knowledge.matcher().entry('refund')!.answer).toBe(answer);
    // The editors' list shows it, and the same text again writes nothing.
    const { items } = ok<{ items: { id: string; answer: string; alternates: string[] }[] }>(await call('GET', '/api/kb/entries', { as: 'eddie' }));
    expect(items.find((e) => e.id === 'refund')).toMatchObject({ answer, alternates: expect.arrayContaining(['怎么申请退款']) });
    expect(ok<{ changed: boolean }>(await call('POST', '/api/kb/entries/refund/answer', { as: 'eddie', body: { answer } })).changed).toBe(false);
  });

  it('keeps a file\'s CRLF line endings; refuses an empty or unsafe answer and an unknown entry, writing nothing', async () => {
    const file = 'billing/invoice.md';
    await writeFile(path.join(ctx.kbDir, file), (await read(file)).replace(/\r?\n/g, '\r\n'));
    await ctx.knowledge.reload();
    ok(await call('POST', '/api/kb/entries/invoice/answer', { as: 'eddie', body: { answer: '第一行\n第二行' } }));
    const after = await read(file);
    expect(after.endsWith('---\r\n第一行\r\n第二行\r\n')).toBe(true);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    const before = await read('billing/refund.md');
    const put = (id: string, body: unknown) => call('POST', `/api/kb/entries/${id}/answer`, { as: 'eddie', body });
    expectError(await put('refund', { answer: '  ' }), 400, 'BAD_REQUEST', /answer/);
    expectError(await put('refund', { answer: `退款\u0007说明` }), 400, 'UNSAFE_TEXT');
    expectError(await put('no-such-entry', { answer: '新答案' }), 404, 'NOT_FOUND', /no-such-entry/);
    expectError(await put('refund', { answer: 'x'.repeat(4001) }), 400, 'BAD_REQUEST');
    expect(await read('billing/refund.md')).toBe(before);
  });
});

describe('starting a new entry', () => {
  it('POST /api/kb/entries writes <category>/<id>.md, 201, live at once', async () => {
    const body = { id: 'linux-support', question: '支持 Linux 吗？', alternates: ['linux 能用吗', '有没有 Linux 版'], category: 'device', answer: '目前只支持 **Windows** 和 **macOS**。' };
    const created = ok<{ id: string; file: string; reloaded: boolean }>(await call('POST', '/api/kb/entries', { as: 'eddie', body }), 201);
    expect(created).toEqual({ id: 'linux-support', file: 'device/linux-support.md', reloaded: true });
    expect(await read('device/linux-support.md')).toBe(
      '---\nquestion: 支持 Linux 吗？\nalternates:\n  - linux 能用吗\n  - 有没有 Linux 版\ntags: [device]\nid: linux-support\n---\n目前只支持 **Windows** 和 **macOS**。\n',
    );
    expect(ctx.knowledge.match('linux 能用吗')).toMatchObject({ decision: 'answer', id: 'linux-support' });
    expect(ctx.knowledge.problems()).toEqual([]);

    expectError(await call('POST', '/api/kb/entries', { as: 'eddie', body }), 409, 'CONFLICT', /taken/);
    expectError(await call('POST', '/api/kb/entries', { as: 'eddie', body: { ...body, id: 'Linux Support' } }), 400, 'BAD_REQUEST', /body\.id/);
    expectError(await call('POST', '/api/kb/entries', { as: 'eddie', body: { ...body, id: 'other', answer: '  ' } }), 400, 'BAD_REQUEST', /body\.answer/);
    expectError(await call('POST', '/api/kb/entries', { as: 'eddie', body: { ...body, id: 'other', category: '../x' } }), 400, 'BAD_REQUEST', /body\.category/);
    expectError(await call('POST', '/api/kb/entries', { as: 'eddie', body: { ...body, id: 'other', question: '会员可以退款吗？', alternates: [] } }), 409, 'CONFLICT', /"refund"/);
  });
});

describe('text the bot must never send (control characters, lone surrogates, nothing visible)', () => {
  it('400 UNSAFE_TEXT for an alternate or a new entry carrying one; nothing is written', async () => {
    const before = await read('billing/refund.md');
    const alt = (question: string) => call('POST', '/api/kb/entries/refund/alternates', { as: 'eddie', body: { question } });
    expectError(await alt('退款\u0000多久'), 400, 'UNSAFE_TEXT', /question contains a control character \(U\+0000\)/);
    expectError(await alt('退款\u0085多久'), 400, 'UNSAFE_TEXT', /U\+0085/);
    expectError(await alt('退款\uD800'), 400, 'UNSAFE_TEXT', /lone surrogate U\+D800/);
    for (const invisible of ['\u200B\u200B', '\u200E\u202E\u2066', '\u2060\u200D']) {
      expectError(await alt(invisible), 400, 'UNSAFE_TEXT', /only invisible characters/);
    }
    expect(await read('billing/refund.md')).toBe(before);

    const entryBody = { id: 'linux-support', question: '支持 Linux 吗？', category: 'device', answer: '目前只支持 Windows 和 macOS。' };
    const create = (body: object) => call('POST', '/api/kb/entries', { as: 'eddie', body: { ...entryBody, ...body } });
    expectError(await create({ answer: '目前只支持\u0000 Windows。' }), 400, 'UNSAFE_TEXT', /answer contains a control character \(U\+0000\)/);
    expectError(await create({ answer: '\u200B\u200B' }), 400, 'UNSAFE_TEXT', /answer has only invisible characters/);
    expectError(await create({ alternates: ['有没有 Linux 版', '\u200B'] }), 400, 'UNSAFE_TEXT', /alternate has only invisible characters/);
    expectError(await create({ question: '支持\u0007 Linux 吗？' }), 400, 'UNSAFE_TEXT', /question contains a control character \(U\+0007\)/);
    await expect(read('device/linux-support.md')).rejects.toThrow(/ENOENT/);
    // Invisible characters inside visible words, tabs and line breaks in an answer are fine.
    ok(await create({ alternates: ['Linux\u200B 能用吗'], answer: '目前只支持：\n\t- Windows\n\t- macOS' }), 201);
  });
});

describe('the editors\' problems page covers the bot\'s phrases', () => {
  it('a broken _messages.yml is listed as file:line (the bot only logs it), and cleared when fixed', async () => {
    const problems = async () => ok<{ items: { file: string; line: number; message: string }[] }>(await call('GET', '/api/kb/problems', { as: 'eddie' })).items;
    expect(await problems()).toEqual([]);
    const file = path.join(ctx.kbDir, '_messages.yml');
    const good = await read('_messages.yml');
    const line = good.split('\n').findIndex((l) => l.startsWith('greeting:')) + 1;
    await writeFile(file, good.replace(/^greeting: .*$/m, 'greeting: "您好\\0"'));
    // The page shows what the one watcher of the editors' files last read (this app does not
    // watch: it is told to re-read, as a change event would).
    await ctx.knowledge.files.refresh('messages');
    expect(await problems()).toEqual([{ file: '_messages.yml', line, message: '"greeting" contains a control character (U+0000): remove it' }]);
    await writeFile(file, good);
    await ctx.knowledge.files.refresh('messages');
    expect(await problems()).toEqual([]);
  });
});
