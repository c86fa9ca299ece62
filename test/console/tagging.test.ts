/**
 * Suggested tags through the API on a real redis-server: the model trained on the tagged history
 * (the hand-written set played through the handoff), its per-tag table for managers, suggestions
 * with one-call accept, auto-apply only for tags that passed the bar (once per conversation), the
 * managers' switch that takes it back, and tag counts in /api/stats.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import type { QualityTable, Suggestion } from '../../src/tagging/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';
import { playConversation, seedHistory, trainSet } from '../support/tagging.ts';
import { until } from '../support/waits.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const PW = 'correct horse battery';
const USERS: Record<string, Role[]> = { alice: ['agent'], bob: ['agent'], mia: ['manager'] };
let app: FastifyInstance;
let handoff: Handoff;
let tokens: Record<string, string>;
let alice: { id: string; name: string };

beforeAll(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  tokens = {};
  for (const [username, roles] of Object.entries(USERS)) {
    const a = await agents.add({ username, roles, password: PW, name: username });
    if (username === 'alice') alice = { id: a.id, name: a.name };
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  app = await buildApp({ handoff, agents, redis, ui: false });
  await seedHistory(handoff, trainSet(), alice);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

function call(method: 'GET' | 'POST', url: string, as: string, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: { authorization: `Bearer ${tokens[as]}` }, ...(body !== undefined ? { payload: body as object } : {}) });
}
const json = <T>(r: LightMyRequestResponse, status = 200): T => {
  expect(r.statusCode, r.body).toBe(status);
  return r.json<T>();
};
interface SuggestionsBody {
  items: Suggestion[];
  applied: string[];
  autoApplied: string[];
  tags: string[];
  trainedAt: string | null;
}
const suggestions = async (id: string, as = 'alice') => json<SuggestionsBody>(await call('GET', `/api/conversations/${id}/tag-suggestions`, as));
const open = (id: string, customer: string[], faqIds: string[] = [], claim = true) =>
  playConversation(handoff, { id, customer, agent: [], faqIds }, alice, { resolve: false, claim });

describe('suggested tags', () => {
  let table: QualityTable;

  it('a manager retrains on the tagged history and reads per-tag precision and recall; agents may not', async () => {
    expect((await call('POST', '/api/tagging/retrain', 'alice')).statusCode).toBe(403);
    expect((await call('GET', '/api/tagging', 'bob')).statusCode).toBe(403);
    table = json<QualityTable>(await call('POST', '/api/tagging/retrain', 'mia'));
    expect(table.history).toBe(130);
    expect(table.bar).toBe(0.9);
    expect(table.trainedBy).not.toBeNull();
    expect(table.items.map((q) => q.tag).sort()).toEqual(['会员购买', '发票', '导出', '录制问题', '投诉', '设备授权', '账号登录', '退款']);
    const refund = table.items.find((q) => q.tag === '退款')!;
    expect(refund.examples).toBe(20);
    for (const q of table.items) {
      // Auto-apply only where the held-out precision passed the bar.
      expect(q.autoApply).toBe(q.autoEligible);
      if (q.autoEligible) expect(q.auto.precision!).toBeGreaterThanOrEqual(0.9);
    }
    expect(table.items.filter((q) => q.autoApply).map((q) => q.tag).sort()).toEqual(['发票', '导出', '录制问题', '账号登录']);
    expect(json<QualityTable>(await call('GET', '/api/tagging', 'mia')).trainedAt).toBe(table.trainedAt);
  });

  it('suggests from the words and the FAQ entry, and the agent accepts one with one call', async () => {
    const id = await open('n1', ['想问下季卡和年卡差多少钱', '有没有学生优惠'], ['membership-plans']);
    const s = await suggestions(id);
    expect(s.trainedAt).toBe(table.trainedAt);
    expect(s.autoApplied).toEqual([]);
    const first = s.items[0]!;
    expect(first).toMatchObject({ tag: '会员购买', source: 'model' });
    expect(first.faqIds).toContain('membership-plans');
    expect(first.score).toBeGreaterThan(0.3);

    const conv = json<{ tags: string[] }>(await call('POST', `/api/conversations/${id}/tag-suggestions/accept`, 'alice', { tag: '会员购买' }));
    expect(conv.tags).toEqual(['会员购买']);
    expect((await suggestions(id)).items.map((x) => x.tag)).not.toContain('会员购买');
    const row = json<QualityTable>(await call('GET', '/api/tagging', 'mia')).items.find((q) => q.tag === '会员购买')!;
    expect(row.accepted).toBe(1);
  });

  it("accept follows the tags' rules: another agent's chat is not bob's to tag; bad input is a 400, an unknown chat a 404", async () => {
    const id = await open('n2', ['发票开错了']);
    expect(json<{ error: { code: string } }>(await call('POST', `/api/conversations/${id}/tag-suggestions/accept`, 'bob', { tag: '发票' }), 409).error.code).toBe('NOT_ASSIGNEE');
    expect((await call('POST', `/api/conversations/${id}/tag-suggestions/accept`, 'alice', { tag: '  ' })).statusCode).toBe(400);
    expect((await call('GET', '/api/conversations/botA.nobody/tag-suggestions', 'alice')).statusCode).toBe(404);
  });

  it('applies a tag that passed the bar by itself, once: removed by the agent, it stays removed', async () => {
    const id = await open('n3', ['录屏没有声音', '电脑里的声音录不进去'], ['no-sound']);
    const s = await suggestions(id);
    expect(s.autoApplied).toEqual(['录制问题']);
    expect(s.tags).toEqual(['录制问题']);
    expect((await handoff.conversation(id))!.tags).toEqual(['录制问题']);
    json(await call('POST', `/api/conversations/${id}/tags`, 'alice', { tags: [] }));
    const again = await suggestions(id);
    expect(again.autoApplied).toEqual([]);
    expect(again.tags).toEqual([]);
    expect(again.applied).toEqual(['录制问题']);
  });

  it('never applies a tag below the bar, however sure the model is of this chat', async () => {
    const id = await open('n4', ['会员怎么续费，续费有折扣吗', '年费和终身版哪个划算'], ['membership-plans']);
    const s = await suggestions(id);
    expect(s.autoApplied).toEqual([]);
    expect(s.items[0]!.tag).toBe('会员购买');
  });

  it('a manager turns one tag off and takes back what it applied; the table says so', async () => {
    const id = await open('n5', ['我要开发票，公司报销用', '抬头和税号发给你'], ['invoice']);
    expect((await suggestions(id)).autoApplied).toEqual(['发票']);
    const after = json<QualityTable & { undone: number }>(await call('POST', '/api/tagging/auto', 'mia', { enabled: false, tag: '发票', undo: true }));
    expect(after.undone).toBe(1);
    expect(after.items.find((q) => q.tag === '发票')).toMatchObject({ off: true, autoApply: false, autoEligible: true });
    expect((await handoff.conversation(id))!.tags).toEqual([]);
    const later = await open('n6', ['电子发票能开专票吗'], ['invoice']);
    const s = await suggestions(later);
    expect(s.autoApplied).toEqual([]);
    expect(s.items.map((x) => x.tag)).toContain('发票');
    expect((await call('POST', '/api/tagging/auto', 'alice', { enabled: true })).statusCode).toBe(403);
  });

  it('a manager switches auto-apply off for every tag', async () => {
    json(await call('POST', '/api/tagging/auto', 'mia', { enabled: false }));
    // 导出 passed the bar (applied by itself a moment ago it would be): now only suggested.
    const id = await open('n7', ['导出的视频太大了，微信发不出去', '能不能导出小一点的'], ['export-formats']);
    const s = await suggestions(id);
    expect(s.autoApplied).toEqual([]);
    expect(s.items[0]!.tag).toBe('导出');
    json(await call('POST', '/api/tagging/auto', 'mia', { enabled: true }));
    const back = await suggestions(await open('n8', ['导出到一半卡住不动了'], ['export-formats']));
    expect(back.autoApplied).toEqual(['导出']);
    json(await call('POST', '/api/tagging/auto', 'mia', { enabled: false }));
    const t = json<QualityTable>(await call('GET', '/api/tagging', 'mia'));
    expect(t.auto).toBe(false);
    expect(t.items.some((q) => q.autoApply)).toBe(false);
    json(await call('POST', '/api/tagging/auto', 'mia', { enabled: true }));
  });

  it('another console on the same Redis shares the model without training', async () => {
    const other = await buildApp({ handoff, agents: new AgentStore(redis, handoff.keys.prefix), redis, ui: false });
    try {
      const r = await other.inject({ method: 'GET', url: '/api/tagging', headers: { authorization: `Bearer ${tokens.mia}` } });
      expect(r.json<QualityTable>().trainedAt).toBe(table.trainedAt);
      const id = await open('n9', ['发票抬头写错了，能重开吗']);
      const s = await other.inject({ method: 'GET', url: `/api/conversations/${id}/tag-suggestions`, headers: { authorization: `Bearer ${tokens.alice}` } });
      expect(s.json<SuggestionsBody>().items[0]!.tag).toBe('发票');
    } finally {
      await other.close();
    }
  });

  it('/api/stats counts conversations by tag (as of the last training)', async () => {
    const stats = json<{ tags: { asOf: string; items: { tag: string; count: number }[] } }>(await call('GET', '/api/stats', 'mia'));
    expect(stats.tags.asOf).toBe(table.trainedAt);
    expect(stats.tags.items[0]).toEqual({ tag: '录制问题', count: 24 });
    expect(stats.tags.items.find((x) => x.tag === '投诉')).toEqual({ tag: '投诉', count: 11 });
  });
});

describe('before any model', () => {
  it("suggests the FAQ entry's own tags, and trains one in the background from the tagged history", async () => {
    const { createKnowledgeService } = await import('../../src/knowledge/index.ts');
    const { KB_DIR } = await import('../support/bot.ts');
    const knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
    const prefix = randomPrefix();
    const h = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
    const agents = new AgentStore(redis, prefix);
    await agents.add({ username: 'alice', roles: ['agent'], password: PW, name: 'alice' });
    const token = (await agents.login('alice', PW))!.token;
    const fresh = await buildApp({ handoff: h, agents, redis, ui: false, knowledge });
    try {
      await playConversation(h, { id: 'old1', customer: ['怎么退款'], agent: [], faqIds: [], tags: ['退款'] }, { id: 'x', name: 'x' });
      const id = await playConversation(h, { id: 'c1', customer: ['买错了想退钱'], agent: [], faqIds: ['refund'] }, { id: 'x', name: 'x' }, { resolve: false, claim: false });
      const get = () => fresh.inject({ method: 'GET', url: `/api/conversations/${id}/tag-suggestions`, headers: { authorization: `Bearer ${token}` } });
      const s = (await get()).json<SuggestionsBody>();
      expect(s.trainedAt).toBeNull();
      expect(s.items.map((x) => [x.tag, x.source, x.faqIds])).toEqual([
        ['billing', 'faq', ['refund']],
        ['refund', 'faq', ['refund']],
      ]);
      // The first request started a training on what there is (one tagged conversation).
      const trained = await until('a model', async () => (await get()).json<SuggestionsBody>().trainedAt, (t) => t !== null, 10_000);
      expect(trained).not.toBeNull();
      // A model of one example does not yet say which tags agents use: the FAQ's are still offered
      // (a new team had no suggestions at all in its first week).
      expect((await get()).json<SuggestionsBody>().items.filter((x) => x.source === 'faq').map((x) => x.tag).sort()).toEqual(['billing', 'refund']);
      // Once the history shows the team's own tags (30+ tagged conversations), FAQ tags nobody uses are left out.
      for (let i = 0; i < 30; i++) {
        await playConversation(h, { id: `v${i}`, customer: [i % 2 ? '怎么退款' : '发票怎么开'], agent: [], faqIds: [], tags: [i % 2 ? '退款' : '发票'] }, { id: 'x', name: 'x' });
      }
      await agents.add({ username: 'mia', roles: ['manager'], password: PW, name: 'mia' });
      const retrain = await fresh.inject({ method: 'POST', url: '/api/tagging/retrain', headers: { authorization: `Bearer ${(await agents.login('mia', PW))!.token}` } });
      expect(retrain.statusCode).toBeLessThan(300);
      await until('the model of 31', async () => (await get()).json<SuggestionsBody>().trainedAt, (t) => t !== trained, 10_000);
      expect((await get()).json<SuggestionsBody>().items.filter((x) => x.source === 'faq')).toEqual([]);
    } finally {
      await fresh.close();
      await knowledge.close();
    }
  });
});
