/**
 * The routes the web UI needs beyond the spec's core: session (me, logout), agents for transfer
 * with who is online, canned replies, the editors' knowledge pages (hits, problems, questions the
 * FAQ missed), the manager's live SLA counts, incremental transcripts, /metrics and the static UI.
 * Through inject, on a real redis-server and a real knowledge base in a temp dir.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { parseReplies } from '../../src/knowledge/index.ts';
import { Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z'); // 10:00 in Shanghai: business hours

const KB = {
  'billing/refund.md': entry('question: 会员可以退款吗？\nalternates: [怎么退款, 买错了想退钱]\ntags: [billing]\nmenu: 1', '7 天内可以**全额退款**。'),
  'recording/no-sound.md': entry('question: 录屏没有声音怎么办？\nalternates: [录出来没声音]\ntags: [recording]', '打开 **设置 → 音频**。'),
  '_replies.yml': '稍等查询: 好的，我帮您查一下，请稍等～\n要订单号: 麻烦发一下您的订单号。\n',
  '_tags.yml': 'billing: 付费\n',
};

interface Ctx {
  app: FastifyInstance;
  handoff: Handoff;
  agents: AgentStore;
  knowledge: KnowledgeService;
  kbDir: string;
  clock: { t: number };
  tokens: Record<string, string>;
  ids: Record<string, string>;
}
let ctx: Ctx;

const USERS: Record<string, Role[]> = { alice: ['agent'], bob: ['agent'], eddie: ['editor'], mia: ['manager'] };

beforeEach(async () => {
  const prefix = randomPrefix();
  const clock = { t: TUESDAY_10 };
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  await handoff.registerBot('botA');
  await handoff.registerBot('botB');
  const agents = new AgentStore(redis, prefix);
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const [username, roles] of Object.entries(USERS)) {
    const a = await agents.add({ username, roles, password: PW, name: username[0]!.toUpperCase() + username.slice(1) });
    ids[username] = a.id;
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  const kbDir = await makeTree(KB);
  const knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  const app = await buildApp({ handoff, agents, redis, knowledge, kbDir });
  ctx = { app, handoff, agents, knowledge, kbDir, clock, tokens, ids };
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

function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json<{ error: { code: string } }>().error.code).toBe(code);
}

const ref = (customerId: string, botId = 'botA') => ({ botId, customerId, customerName: `Name ${customerId}` });

/** A customer turn as the bot records it: the question, the bot's reply and what it made of it. */
async function turn(customerId: string, text: string, outcome: TurnOutcome, botId = 'botA') {
  const reply = outcome.type === 'answer' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId, confidence: 0.9 }] : [];
  return ctx.handoff.recordTurn(ref(customerId, botId), { from: 'customer', text }, { replies: reply, decidedFor: 'bot', outcome });
}

// -----------------------------------------------------------------------------------------------------------

describe('session', () => {
  it('GET /api/auth/me names the token\'s agent; logout revokes the token at once', async () => {
    const me = ok<{ agent: { name: string; roles: string[] }; features: { demo: boolean } }>(await call('GET', '/api/auth/me', { as: 'alice' }));
    expect(me.agent).toMatchObject({ name: 'Alice', roles: ['agent'] });
    // No simulator without the demo: the UI hides its page.
    expect(me.features).toEqual({ demo: false });
    expect((await call('POST', '/api/auth/logout', { as: 'alice' })).statusCode).toBe(204);
    expectError(await call('GET', '/api/auth/me', { as: 'alice' }), 401, 'UNAUTHORIZED');
    expectError(await call('GET', '/api/conversations', { as: 'alice' }), 401, 'UNAUTHORIZED');
    // Others stay signed in.
    expect((await call('GET', '/api/auth/me', { as: 'bob' })).statusCode).toBe(200);
    expectError(await call('POST', '/api/auth/logout'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/agents', () => {
  it('lists enabled agents who can take chats, with who is online (a live socket beat within a minute)', async () => {
    await ctx.agents.disable('bob');
    await ctx.agents.markOnline([ctx.ids.mia!], Date.now() - 120_000); // gone for two minutes
    await ctx.agents.markOnline([ctx.ids.alice!]);
    const { items } = ok<{ items: { username: string; online: boolean }[] }>(await call('GET', '/api/agents', { as: 'alice' }));
    // eddie is an editor only; bob is disabled; mia (manager) can take chats.
    expect(items.map((a) => [a.username, a.online]).sort()).toEqual([
      ['alice', true],
      ['mia', false],
    ]);
    expectError(await call('GET', '/api/agents', { as: 'eddie' }), 403, 'FORBIDDEN');
  });
});

describe('GET /api/canned', () => {
  it('lists the editors\' templates first, then every FAQ answer as WeChat text', async () => {
    const { items } = ok<{ items: { key: string; title: string; text: string; source: string; faqId?: string }[] }>(
      await call('GET', '/api/canned', { as: 'alice' }),
    );
    expect(items.map((i) => i.title)).toEqual(['稍等查询', '要订单号', '会员可以退款吗？', '录屏没有声音怎么办？']);
    expect(items[0]).toEqual({ key: 't:稍等查询', title: '稍等查询', text: '好的，我帮您查一下，请稍等～', source: 'template' });
    // Markdown is rendered the way WeChat shows it (no ** left).
    expect(items[2]).toMatchObject({ source: 'faq', faqId: 'refund', text: '7 天内可以全额退款。' });
    expectError(await call('GET', '/api/canned', { as: 'eddie' }), 403, 'FORBIDDEN');
  });

  it('a broken edit of _replies.yml keeps the last good templates and is reported as file:line', async () => {
    ok(await call('GET', '/api/canned', { as: 'alice' }));
    const file = path.join(ctx.kbDir, '_replies.yml');
    await writeFile(file, '稍等查询: 好的\n坏的一条:\n');
    // A later mtime than the first write, even on coarse file systems.
    const later = new Date(Date.now() + 5_000);
    await import('node:fs/promises').then((fs) => fs.utimes(file, later, later));
    const { items } = ok<{ items: { title: string }[] }>(await call('GET', '/api/canned', { as: 'alice' }));
    expect(items.slice(0, 2).map((i) => i.title)).toEqual(['稍等查询', '要订单号']);
    const problems = ok<{ items: { file: string; line: number; message: string }[] }>(await call('GET', '/api/kb/problems', { as: 'eddie' })).items;
    expect(problems).toEqual([{ file, line: 2, message: '"坏的一条" must not be empty' }]);
  });

  it('parseReplies names each problem by line', () => {
    expect(parseReplies('a: ok\n- list\n').problems[0]?.line).toBe(2);
    expect(parseReplies('[1, 2]').problems).toEqual([{ file: '_replies.yml', line: 1, message: expect.stringContaining('标题: 内容') }]);
    expect(parseReplies(`长: ${'字'.repeat(2001)}`).problems[0]?.message).toMatch(/at most 2000/);
    expect(parseReplies('618: 年中大促\n').replies).toEqual([{ key: 't:618', title: '618', text: '年中大促', source: 'template' }]);
    expect(parseReplies('').replies).toEqual([]);
  });
});

describe('editors\' knowledge pages', () => {
  it('GET /api/kb/entries: every entry with how often the bot answered with it, over all bot accounts', async () => {
    await turn('c1', '怎么退款', { type: 'answer', faqId: 'refund' });
    await turn('c2', '退钱', { type: 'answer', faqId: 'refund' }, 'botB');
    await turn('c3', '没声音', { type: 'answer', faqId: 'no-sound' });
    await turn('c4', '会员', { type: 'suggest' });
    const body = ok<{ items: { id: string; hits: number; menu: number | null; file: string; category: string }[]; totalHits: number }>(
      await call('GET', '/api/kb/entries', { as: 'eddie' }),
    );
    expect(body.items.map((e) => [e.id, e.hits, e.menu, e.category])).toEqual([
      ['refund', 2, 1, 'billing'],
      ['no-sound', 1, null, 'recording'],
    ]);
    expect(body.items[0]!.file).toMatch(/billing[/\\]refund\.md$/);
    // Tags by the names agents see (_tags.yml); a tag without one as it is.
    expect(body.items.map((e) => (e as { tagNames?: string[] }).tagNames)).toEqual([['付费'], ['recording']]);
    expect(body.totalHits).toBe(3);
    expectError(await call('GET', '/api/kb/entries', { as: 'alice' }), 403, 'FORBIDDEN');
    expectError(await call('GET', '/api/kb/problems', { as: 'mia' }), 403, 'FORBIDDEN');
  });

  it('a turn decided for a status that no longer holds is not counted', async () => {
    const r = ref('c9');
    await ctx.handoff.recordMessage(r, { from: 'customer', text: '转人工' });
    await ctx.handoff.requestHuman(r, { reason: 'customer_asked' });
    const t = await turn('c9', '怎么退款', { type: 'answer', faqId: 'refund' });
    expect(t.repliesRecorded).toBe(false);
    expect(await ctx.handoff.faqHits()).toEqual({});
  });

  it('GET /api/kb/problems: [] while the files are what serves; a broken FAQ file as file:line', async () => {
    expect(ok<{ items: unknown[] }>(await call('GET', '/api/kb/problems', { as: 'eddie' })).items).toEqual([]);
    await writeFile(path.join(ctx.kbDir, 'billing/refund.md'), entry('question: ""\ntags: [billing]'));
    expect(await ctx.knowledge.reload()).toBe(false);
    const { items } = ok<{ items: { file: string; line: number; message: string }[] }>(await call('GET', '/api/kb/problems', { as: 'eddie' }));
    expect(items).toHaveLength(1);
    expect(items[0]!.file).toMatch(/refund\.md$/);
    expect(items[0]!.line).toBe(2);
    // The last good version still serves the entries page.
    expect(ok<{ items: unknown[] }>(await call('GET', '/api/kb/entries', { as: 'eddie' })).items).toHaveLength(2);
  });

  it('GET /api/kb/unanswered: the questions the FAQ missed or whose answer did not help, newest first', async () => {
    await turn('c1', '你们支持 Linux 吗', { type: 'unanswered', question: '你们支持 Linux 吗' });
    ctx.clock.t += 1_000;
    await turn('c2', '2', { type: 'not_helpful', faqId: 'no-sound', question: '录出来只有杂音' }, 'botB');
    ctx.clock.t += 1_000;
    await turn('c3', '怎么退款', { type: 'answer', faqId: 'refund' });
    const { items } = ok<{ items: Record<string, unknown>[] }>(await call('GET', '/api/kb/unanswered', { as: 'eddie' }));
    expect(items).toEqual([
      { text: '录出来只有杂音', at: new Date(TUESDAY_10 + 1_000).toISOString(), conv: 'botB.c2', reason: 'not_helpful', faqId: 'no-sound' },
      { text: '你们支持 Linux 吗', at: new Date(TUESDAY_10).toISOString(), conv: 'botA.c1', reason: 'unanswered', faqId: null },
    ]);
    expect(ok<{ items: unknown[] }>(await call('GET', '/api/kb/unanswered?limit=1', { as: 'eddie' })).items).toHaveLength(1);
    expectError(await call('GET', '/api/kb/unanswered?limit=0', { as: 'eddie' }), 400, 'BAD_REQUEST');
  });

  it('without a knowledge base the editors\' pages answer 503, canned replies still list templates', async () => {
    const app = await buildApp({ handoff: ctx.handoff, agents: ctx.agents, redis, kbDir: ctx.kbDir, ui: false });
    try {
      const auth = { authorization: `Bearer ${ctx.tokens.eddie}` };
      expectError(await app.inject({ method: 'GET', url: '/api/kb/entries', headers: auth }), 503, 'UNAVAILABLE');
      const canned = await app.inject({ method: 'GET', url: '/api/canned', headers: { authorization: `Bearer ${ctx.tokens.alice}` } });
      expect(canned.json<{ items: unknown[] }>().items).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});

describe('GET /api/stats: the manager\'s live counts', () => {
  it('counts waiting chats at risk (past 80% of the target) and breached, and agents online', async () => {
    // Standard: 540 business minutes; VIP: 30. Queued at 10:00 Tuesday.
    await ctx.handoff.setTier('botA', 'v1', 'vip');
    for (const [id, botId] of [['v1', 'botA'], ['s1', 'botA'], ['s2', 'botB']] as const) {
      await ctx.handoff.recordMessage(ref(id, botId), { from: 'customer', text: '转人工' });
      await ctx.handoff.requestHuman(ref(id, botId), { reason: 'customer_asked' });
    }
    await ctx.agents.markOnline([ctx.ids.alice!, ctx.ids.bob!]);
    const stats = async () => ok<Record<string, number>>(await call('GET', '/api/stats', { as: 'mia' }));
    expect(await stats()).toMatchObject({ waiting: 3, slaAtRisk: 0, slaBreached: 0, agentsOnline: 2 });
    ctx.clock.t = TUESDAY_10 + 25 * 60_000; // VIP past 24 of 30 minutes
    expect(await stats()).toMatchObject({ slaAtRisk: 1, slaBreached: 0 });
    ctx.clock.t = TUESDAY_10 + 31 * 60_000;
    expect(await stats()).toMatchObject({ slaAtRisk: 0, slaBreached: 1 });
    expectError(await call('GET', '/api/stats', { as: 'alice' }), 403, 'FORBIDDEN');
  });
});

describe('GET /api/conversations/:id?after=', () => {
  it('returns only the messages after the given one (a live client catching up)', async () => {
    const r = ref('c1');
    const first = await ctx.handoff.recordMessage(r, { from: 'customer', text: 'one' });
    await ctx.handoff.recordMessage(r, { from: 'customer', text: 'two' });
    await ctx.handoff.recordMessage(r, { from: 'customer', text: 'three' });
    const all = ok<{ messages: { text: string }[] }>(await call('GET', '/api/conversations/botA.c1', { as: 'alice' }));
    expect(all.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    const since = ok<{ status: string; messages: { text: string }[] }>(await call('GET', `/api/conversations/botA.c1?after=${first.id}`, { as: 'alice' }));
    expect(since.messages.map((m) => m.text)).toEqual(['two', 'three']);
    expect(since.status).toBe('bot');
    expectError(await call('GET', '/api/conversations/botA.c1?after=x', { as: 'alice' }), 400, 'BAD_REQUEST');
  });

  it('a stream id past 2^64-1 in either part is 400, not a Redis error as 500; the greatest id is valid and has nothing after it', async () => {
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: 'one' });
    const MAX = '18446744073709551615';
    for (const after of ['18446744073709551616-0', '0-18446744073709551616', '99999999999999999999-1', '1-99999999999999999999']) {
      const res = await call('GET', `/api/conversations/botA.c1?after=${after}`, { as: 'alice' });
      expectError(res, 400, 'BAD_REQUEST');
      expect(res.json<{ error: { message: string } }>().error.message).toContain('query.after');
    }
    expect(ok<{ messages: unknown[] }>(await call('GET', `/api/conversations/botA.c1?after=${MAX}-${MAX}`, { as: 'alice' })).messages).toEqual([]);
    expect(ok<{ messages: unknown[] }>(await call('GET', `/api/conversations/botA.c1?after=${MAX}-0`, { as: 'alice' })).messages).toEqual([]);
    expect(ok<{ messages: unknown[] }>(await call('GET', '/api/conversations/botA.c1?after=0-0', { as: 'alice' })).messages).toHaveLength(1);
  });
});

describe('GET /metrics', () => {
  it('Prometheus text with the queue by status and request counts by route pattern (no ids)', async () => {
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: '转人工' });
    await ctx.handoff.requestHuman(ref('c1'), { reason: 'customer_asked' });
    ok(await call('GET', '/api/conversations/botA.c1', { as: 'alice' }));
    const res = await call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^kefu_conversations\{status="waiting"\} 1$/m);
    expect(res.body).toMatch(/^kefu_http_requests_total\{method="GET",route="\/api\/conversations\/:id",status="200"\} 1$/m);
    expect(res.body).not.toContain('botA.c1');
    expect(res.body).toMatch(/^kefu_console_process_cpu_seconds_total /m);
    // What this process's SLA ticker fired, by kind.
    ctx.app.recordSlaFired({ warnings: 2, breaches: 1 });
    const after = (await call('GET', '/metrics')).body;
    expect(after).toMatch(/^kefu_sla_events_total\{kind="warning"\} 2$/m);
    expect(after).toMatch(/^kefu_sla_events_total\{kind="breach"\} 1$/m);
  });
});

describe('the web UI', () => {
  it('is served by the same process under the strict CSP, with its script module vendored locally', async () => {
    const page = await call('GET', '/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('lang="zh-CN"');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    // Nothing in the page reaches outside this origin.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const vendor = await call('GET', '/vendor/preact-htm.js');
    expect(vendor.statusCode).toBe(200);
    expect(vendor.headers['content-type']).toMatch(/javascript/);
    expect(vendor.body).toMatch(/export\s*\{/);
    for (const [url, type] of [['/vendor/uplot.js', /javascript/], ['/vendor/uplot.css', /text\/css/]] as const) {
      const r = await call('GET', url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(type);
    }
    expectError(await call('GET', '/assets/nope.js'), 404, 'NOT_FOUND');
    // Files outside the UI folder are not reachable.
    expect((await call('GET', '/assets/../app.ts')).statusCode).toBe(404);
  });
});

describe('GET /api/bots', () => {
  it('shows each bot account\'s login, the QR code to scan drawn locally, and announces changes live', async () => {
    await ctx.handoff.setBotStatus('botA', { status: 'scan', qrUrl: 'https://login.weixin.qq.com/l/abc', at: new Date(TUESDAY_10).toISOString() });
    await ctx.handoff.setBotStatus('botB', { status: 'logged_out', at: new Date(TUESDAY_10).toISOString() });
    const { items } = ok<{ items: { id: string; status: string; qr: string | null }[] }>(await call('GET', '/api/bots', { as: 'mia' }));
    expect(items.map((b) => [b.id, b.status])).toEqual([
      ['botA', 'scan'],
      ['botB', 'logged_out'],
    ]);
    expect(items[0]!.qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(items[0]!.qr!.split(',')[1]!, 'base64').toString()).toMatch(/^<svg[^>]*>.*<path/s);
    expect(items[1]!.qr).toBeNull();
    // Consoles learn about a logout from the events stream.
    const events = await ctx.handoff.eventsBetween('botB', '0');
    expect(events.at(-1)).toMatchObject({ type: 'bot_status', data: { status: 'logged_out' } });
    expectError(await call('GET', '/api/bots', { as: 'alice' }), 403, 'FORBIDDEN');
  });
});
