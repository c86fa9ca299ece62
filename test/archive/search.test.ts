/**
 * Search over the archive: Chinese words found exactly (and only exactly: no paraphrase), customers
 * by part of a name or id, mixed English and full-width forms, every filter, newest first across
 * pages, and hostile input that never errors. Real PostgreSQL; rows written with the same terms
 * the archiver writes (searchTokens -> to_tsvector('simple', …)).
 */
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/archive/db.ts';
import { searchArchive, type SearchOptions } from '../../src/archive/search.ts';
import { searchTerms, searchTokens, tsqueryOf } from '../../src/archive/tokens.ts';
import { usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';

let server: PostgresServer;
let pool: pg.Pool;
usePostgresServer((s) => (server = s));

const T0 = Date.parse('2026-06-01T00:00:00Z');
const MIN = 60_000;

interface Conv {
  id: string;
  name: string;
  status?: string;
  channel?: string;
  tags?: string[];
  assignee?: string;
  rating?: number;
  messages: [minute: number, from: string, text: string][];
}

async function insert(c: Conv): Promise<void> {
  const [botId, customerId] = c.id.split('.') as [string, string];
  const last = Math.max(0, ...c.messages.map((m) => m[0]));
  await pool.query(
    `INSERT INTO conversations (id, bot_id, customer_id, customer_name, channel, status, assignee_id, tags, created_at, updated_at, data, search)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', to_tsvector('simple', $11))`,
    [c.id, botId, customerId, c.name, c.channel ?? 'wecom-kf', c.status ?? 'resolved', c.assignee ?? null, c.tags ?? [], new Date(T0), new Date(T0 + last * MIN), searchTokens(`${c.name} ${customerId}`)],
  );
  for (const [i, [minute, from, text]] of c.messages.entries()) {
    await pool.query(
      `INSERT INTO messages (conversation_id, id, at, sender, text, search) VALUES ($1, $2, $3, $4, $5, to_tsvector('simple', $6))`,
      [c.id, `${T0 + minute * MIN}-${i}`, new Date(T0 + minute * MIN), from, text, searchTokens(text)],
    );
  }
  if (c.rating) {
    await pool.query(`INSERT INTO ratings (bot_id, id, conversation_id, score, at) VALUES ($1, $2, $3, $4, $5)`, [botId, `${T0 + last * MIN}-0`, c.id, c.rating, new Date(T0 + last * MIN)]);
  }
}

const search = (q: string, o: Partial<SearchOptions> = {}) => searchArchive(pool, { q, limit: 20, ...o });
const texts = async (q: string, o: Partial<SearchOptions> = {}) => (await search(q, o)).items.map((i) => i.message.text);

beforeAll(async () => {
  pool = server.pool();
  await migrate(pool);
  await insert({ id: 'b1.wxid_ab3kd9f2', name: '何子兰', assignee: 'a01', tags: ['退款'], rating: 5, messages: [
    [10, 'customer', '你好，我想申请退款，订单号20240512001还没到账'],
    [11, 'bot', '退款申请提交后1-3个工作日内原路退回。'],
    [12, 'system', 'resolved'],
  ] });
  await insert({ id: 'b1.wm77kitty', name: '小猫咪爱吃鱼', channel: 'oa', status: 'active', assignee: 'a02', tags: ['故障'], messages: [
    [20, 'customer', '录屏没有声音怎么办'],
    [21, 'agent', '请在设置里打开录制系统声音'],
  ] });
  await insert({ id: 'b2.wxid_zz1', name: 'Kevin王', channel: 'wechaty', status: 'waiting', tags: ['账号'], rating: 1, messages: [
    [30, 'customer', 'iPhone13无法登录微信'],
    [31, 'customer', '我想退钱'],
  ] });
  // Thirty matches for paging, a minute apart.
  await insert({ id: 'b2.pager', name: '翻页客户', assignee: 'a03', messages: Array.from({ length: 30 }, (_, i) => [100 + i, 'customer', `第${i}次问发票的事`] as [number, string, string]) });
});

describe('search terms', () => {
  it('cut Chinese with the engine, keep ids and English as words, and leave no tsquery syntax', () => {
    expect(searchTerms('订单号20240512001')).toEqual(expect.arrayContaining(['订单号', '订单', '20240512001']));
    expect(searchTerms('wxid_ab3kd9f2 ＶＩＰ')).toEqual(['wxid', 'ab3kd9f2', 'vip']);
    expect(tsqueryOf(`'&|!:*()`)).toBeNull();
    expect(tsqueryOf('退款 iphone 我')).toBe('退款:* & iphone:* & 我');
    // One character is a whole word, never a prefix of every order number or date.
    expect(tsqueryOf('用户2 a')).toBe('用户:* & 2 & a');
  });
});

describe('searchArchive', () => {
  it('finds a Chinese word in messages, exactly, and not its paraphrase', async () => {
    expect(await texts('退款')).toEqual(['退款申请提交后1-3个工作日内原路退回。', '你好，我想申请退款，订单号20240512001还没到账']);
    expect(await texts('声音')).toEqual(['请在设置里打开录制系统声音', '录屏没有声音怎么办']);
    // 退钱 is a word of its own: the 退款 messages are not found by it, nor is 退钱 by 退款.
    expect(await texts('退钱')).toEqual(['我想退钱']);
    // Every word, in any order: 申请 and 退款 are in both; 到账 only in the customer's.
    expect(await texts('申请退款')).toHaveLength(2);
    expect(await texts('退款 到账')).toEqual(['你好，我想申请退款，订单号20240512001还没到账']);
    // System lines are events, not text.
    expect(await texts('resolved')).toEqual([]);
  });

  it('finds ids and English by their start, whatever the width or case', async () => {
    expect(await texts('iphone')).toEqual(['iPhone13无法登录微信']);
    expect(await texts('ＩＰＨＯＮＥ13')).toEqual(['iPhone13无法登录微信']);
    expect(await texts('2024051')).toEqual(['你好，我想申请退款，订单号20240512001还没到账']);
  });

  it('finds customers by part of their name or id, with their latest message', async () => {
    const byName = await search('子兰');
    expect(byName.items.map((i) => [i.conversation.id, i.match, i.message.text])).toEqual([['b1.wxid_ab3kd9f2', 'customer', '退款申请提交后1-3个工作日内原路退回。']]);
    expect((await search('猫咪爱')).items.map((i) => i.conversation.customer.name)).toEqual(['小猫咪爱吃鱼']);
    expect((await search('wxid_ab3')).items.map((i) => i.conversation.id)).toEqual(['b1.wxid_ab3kd9f2']);
    expect((await search('kevin')).items.map((i) => i.conversation.id)).toEqual(['b2.wxid_zz1']);
    // A prefix shared by two ids finds both, newest first.
    expect((await search('wxid_')).items.map((i) => i.conversation.id)).toEqual(['b2.wxid_zz1', 'b1.wxid_ab3kd9f2']);
    // The conversation id as the console's address shows it (bot account and customer): that conversation.
    expect((await search('b1.wxid_ab3kd9f2')).items.map((i) => [i.conversation.id, i.match])).toEqual([['b1.wxid_ab3kd9f2', 'customer']]);
    expect((await search('b9.wxid_ab3kd9f2')).items).toEqual([]);
  });

  it('filters by status, channel, tag, agent, rating and time', async () => {
    expect(await texts('声音', { status: 'resolved' })).toEqual([]);
    expect(await texts('声音', { status: 'active', channel: 'oa' })).toHaveLength(2);
    expect(await texts('声音', { channel: 'wechaty' })).toEqual([]);
    expect(await texts('退款', { tag: '退款', agent: 'a01', rating: 5 })).toHaveLength(2);
    expect(await texts('退款', { rating: 1 })).toEqual([]);
    expect(await texts('退钱', { rating: 1 })).toEqual(['我想退钱']);
    expect(await texts('退款', { from: new Date(T0 + 11 * MIN) })).toEqual(['退款申请提交后1-3个工作日内原路退回。']);
    expect(await texts('退款', { to: new Date(T0 + 11 * MIN) })).toEqual(['你好，我想申请退款，订单号20240512001还没到账']);
    // An agent sees their own conversations and the unowned ones.
    expect(await texts('声音', { visibleTo: 'a01' })).toEqual([]);
    expect(await texts('退钱', { visibleTo: 'a01' })).toEqual(['我想退钱']);
  });

  it('pages newest first with a cursor: every match once, in order', async () => {
    const seen: string[] = [];
    let cursor: SearchOptions['cursor'];
    for (let page = 0; page < 5; page++) {
      const r = await search('发票', { limit: 12, ...(cursor ? { cursor } : {}) });
      seen.push(...r.items.map((i) => i.message.text));
      if (!r.next) break;
      cursor = r.next;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `第${29 - i}次问发票的事`));
  });

  it('pages customers who share part of a name, each once, and steps over one without messages', async () => {
    for (let i = 0; i < 7; i++) {
      await insert({ id: `b3.tea${i}`, name: `奶茶控${i}`, messages: i === 3 ? [] : [[200 + i, 'customer', `第${i}杯`]] });
    }
    // The one without messages last changed between 奶茶控4 and 奶茶控2.
    await pool.query(`UPDATE conversations SET updated_at = $1 WHERE id = 'b3.tea3'`, [new Date(T0 + 203 * MIN)]);
    const names: string[] = [];
    let cursor: SearchOptions['cursor'];
    for (let page = 0; page < 10; page++) {
      const r = await search('奶茶控', { limit: 2, ...(cursor ? { cursor } : {}) });
      names.push(...r.items.map((i) => `${i.conversation.customer.name}:${i.message.text}`));
      if (!r.next) break;
      cursor = r.next;
    }
    expect(names).toEqual(['奶茶控6:第6杯', '奶茶控5:第5杯', '奶茶控4:第4杯', '奶茶控2:第2杯', '奶茶控1:第1杯', '奶茶控0:第0杯']);
  });

  it('answers hostile input with results or nothing, never an error', async () => {
    for (const q of [`'&|!:*()`, `退款' OR 1=1 --`, '%', '_', '\\', '!!!', '(((', 'a:*', '退款 & | !', '\u0000', '😀😀', 'x'.repeat(300)]) {
      const r = await search(q);
      expect(Array.isArray(r.items), q).toBe(true);
    }
    // LIKE's wildcards are taken literally: '%' matches no name rather than all of them.
    expect((await search('%%')).items).toEqual([]);
    expect(await texts(`退款' OR 1=1 --`)).toEqual([]);
  });
});
