/**
 * Search filters as facts on each message (migrations/005_search_facts.sql): after every change the
 * archiver copies (status, assignee, tags) and every rating the reports' sync copies, a filtered
 * search finds exactly what the filter over the conversations table finds (the definition before
 * the facts, kept here as the oracle); a rating copied while the archiver writes the same
 * conversation is not lost; and a prefix looked up through the lexicon finds what ':*' found.
 * Real PostgreSQL; rows written by the archiver's own store (writeBatch).
 */
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/archive/db.ts';
import { searchArchive, type SearchFilters } from '../../src/archive/search.ts';
import { MAX_EXPANSION, wordQuery } from '../../src/archive/search-query.ts';
import type { ConversationCopy } from '../../src/archive/source.ts';
import { writeBatch } from '../../src/archive/store.ts';
import { searchTokens, tsqueryOf } from '../../src/archive/tokens.ts';
import { usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';

let server: PostgresServer;
let pool: pg.Pool;
usePostgresServer((s) => (server = s));

const T0 = Date.parse('2026-06-01T00:00:00Z');
const MIN = 60_000;

beforeAll(async () => {
  pool = server.pool();
  await migrate(pool);
});

/** A conversation as the archiver copies it: its hash now, and its transcript entries after the last copy. */
class Conv {
  private seq = 0;
  private last: string | null = null;
  hash: Record<string, string>;

  constructor(
    readonly id: string,
    name: string,
  ) {
    this.hash = { customerName: name, status: 'bot', tags: '[]', createdAt: String(T0), updatedAt: String(T0) };
  }

  /** Copies the hash with `change` applied and `lines` as new transcript entries, as one archiver batch. */
  async copy(change: Record<string, string | null>, lines: [from: string, text: string][] = [], channel = 'wecom-kf'): Promise<void> {
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete this.hash[k];
      else this.hash[k] = v;
    }
    const messages: ConversationCopy['messages'] = lines.map(([from, text]) => {
      const at = T0 + ++this.seq * MIN;
      return [`${at}-0`, { from, text, at: String(at) }];
    });
    this.hash.updatedAt = String(T0 + this.seq * MIN + 1);
    if (messages.length) this.last = messages.at(-1)![0];
    await writeBatch(pool, { copies: [{ id: this.id, hash: { ...this.hash }, messages }], lastMsgIds: new Map([[this.id, this.last]]), channel: () => channel });
  }
}

/** Rating rows as the reports' sync writes them (src/archive/reports-sync.ts). */
const rate = (db: pg.Pool | pg.PoolClient, conv: string, id: string, score: number): Promise<unknown> =>
  db.query('INSERT INTO ratings (bot_id, id, conversation_id, score, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [conv.split('.')[0], id, conv, score, new Date(T0)]);

/** The filters over the conversations table, as search.ts applied them before the facts: the oracle. */
async function oracle(q: string, f: SearchFilters): Promise<string[]> {
  const params: unknown[] = [tsqueryOf(q)];
  const p = (v: unknown): string => `$${params.push(v)}`;
  const where = [`m.sender <> 'system'`, `m.search @@ to_tsquery('simple', $1)`];
  if (f.channel !== undefined) where.push(`c.channel = ${p(f.channel)}`);
  if (f.status !== undefined) where.push(`c.status = ${p(f.status)}`);
  if (f.tag !== undefined) where.push(`c.tags @> ARRAY[${p(f.tag)}]::text[]`);
  if (f.agent !== undefined) where.push(`c.assignee_id = ${p(f.agent)}`);
  if (f.rating !== undefined) where.push(`EXISTS (SELECT 1 FROM ratings r WHERE r.conversation_id = c.id AND r.score = ${p(f.rating)})`);
  if (f.visibleTo !== undefined) where.push(`(c.assignee_id = ${p(f.visibleTo)} OR c.status IN ('bot', 'waiting'))`);
  const { rows } = await pool.query<{ key: string }>(
    `SELECT m.conversation_id || '/' || m.id AS key FROM messages m JOIN conversations c ON c.id = m.conversation_id
     WHERE ${where.join(' AND ')} ORDER BY m.at DESC, m.conversation_id DESC, m.id DESC`,
    params,
  );
  return rows.map((r) => r.key);
}

const found = async (q: string, f: SearchFilters): Promise<string[]> =>
  (await searchArchive(pool, { q, limit: 200, ...f })).items.filter((i) => i.match === 'message').map((i) => `${i.conversation.id}/${i.message.id}`);

const FILTERS: SearchFilters[] = [
  {},
  { status: 'bot' },
  { status: 'waiting' },
  { status: 'active' },
  { status: 'resolved' },
  { channel: 'wecom-kf' },
  { channel: 'oa' },
  { agent: 'a01' },
  { agent: 'a02' },
  { tag: '物流' },
  { tag: '退款' },
  { rating: 2 },
  { rating: 5 },
  { visibleTo: 'a01' },
  { visibleTo: 'a02' },
  { status: 'resolved', tag: '退款', rating: 2 },
  { agent: 'a02', visibleTo: 'a02', channel: 'wecom-kf' },
];

/** Every filter, for each query: the search finds what the oracle finds, and the oracle finds something for some filter. */
async function expectSameAsOracle(queries: string[]): Promise<void> {
  for (const q of queries) {
    let any = 0;
    for (const f of FILTERS) {
      const want = await oracle(q, f);
      any += want.length;
      expect(await found(q, f), `${q} ${JSON.stringify(f)}`).toEqual(want);
    }
    expect(any, q).toBeGreaterThan(0);
  }
}

/** Every searchable message carries its conversation's facts, system lines none. */
async function expectFactsCurrent(): Promise<void> {
  const { rows } = await pool.query(
    `SELECT m.conversation_id, m.id, m.sender, m.facts, f.facts AS want
     FROM messages m JOIN kefu_conversation_facts(ARRAY(SELECT id FROM conversations)) f ON f.id = m.conversation_id
     WHERE m.facts IS DISTINCT FROM CASE WHEN m.sender <> 'system' THEN f.facts END`,
  );
  expect(rows).toEqual([]);
}

describe('search filters as message facts', () => {
  it('follow every change of status, assignee, tags and ratings the archive receives', async () => {
    const c = new Conv('f1.wxid_kuaidi', '周先生');
    const other = new Conv('f1.wxid_other', '吴女士');
    const queries = ['快递', '丢了', '退款'];
    await c.copy({}, [
      ['customer', '我的快递丢了，想退款'],
      ['bot', '已为您记录快递问题'],
    ]);
    await other.copy({ status: 'active', assigneeId: 'a02', assigneeName: 'Bob', tags: '["退款"]' }, [['customer', '快递什么时候到，不到就退款']], 'oa');
    await expectSameAsOracle(queries);
    expect(await found('快递', { status: 'bot' })).toHaveLength(2);

    // Handed to a person: waiting, nobody's yet. The earlier messages move with the conversation.
    await c.copy({ status: 'waiting' }, [
      ['system', 'waiting'],
      ['customer', '快递单号是 SF1234'],
    ]);
    expect(await found('快递', { status: 'waiting' })).toHaveLength(3);
    expect(await found('快递', { status: 'bot' })).toEqual([]);
    await expectSameAsOracle(queries);

    // Claimed by a01 and tagged; then transferred to a02 and re-tagged.
    await c.copy({ status: 'active', assigneeId: 'a01', assigneeName: 'Alice', tags: '["物流"]' }, [['agent', '您好，我来查一下快递']]);
    expect(await found('快递', { agent: 'a01', tag: '物流' })).toHaveLength(4);
    expect(await found('快递', { visibleTo: 'a02' })).toHaveLength(1);
    await expectSameAsOracle(queries);
    await c.copy({ assigneeId: 'a02', assigneeName: 'Bob', tags: '["退款","物流"]' });
    expect(await found('快递', { agent: 'a01' })).toEqual([]);
    expect(await found('快递', { agent: 'a02', tag: '退款' })).toHaveLength(5);
    await expectSameAsOracle(queries);

    // Resolved, then rated (the reports' sync copies ratings on its own), re-rated, the rating removed.
    await c.copy({ status: 'resolved', resolvedBy: 'a02' }, [['system', 'resolved']]);
    await rate(pool, c.id, `${T0}-1`, 2);
    expect(await found('快递', { status: 'resolved', rating: 2 })).toHaveLength(4);
    await expectSameAsOracle(queries);
    await rate(pool, c.id, `${T0}-2`, 5);
    await pool.query('UPDATE ratings SET score = 4 WHERE id = $1', [`${T0}-1`]);
    expect(await found('快递', { rating: 2 })).toEqual([]);
    expect(await found('快递', { rating: 5 })).toHaveLength(4);
    await expectSameAsOracle(queries);
    await pool.query('DELETE FROM ratings WHERE conversation_id = $1', [c.id]);
    expect(await found('快递', { rating: 5 })).toEqual([]);
    await expectSameAsOracle(queries);

    // Reopened by the customer: with the bot again, unowned, the new message too.
    await c.copy({ status: 'bot', assigneeId: null, assigneeName: null }, [['customer', '快递又丢了']]);
    expect(await found('快递', { visibleTo: 'a01' })).toHaveLength(5);
    await expectSameAsOracle(queries);
    await expectFactsCurrent();
  });

  it('leave messages untouched when nothing a filter reads changed', async () => {
    const c = new Conv('f2.wxid_calm', '郑平静');
    await c.copy({ status: 'active', assigneeId: 'a03', tags: '["咨询"]' }, [
      ['customer', '请问营业时间'],
      ['agent', '九点到六点'],
    ]);
    const xmins = async (): Promise<string[]> => (await pool.query(`SELECT xmin::text AS x FROM messages WHERE conversation_id = $1 ORDER BY id`, [c.id])).rows.map((r) => r.x);
    const before = await xmins();
    // A new name and question change the conversation row, not its messages' facts.
    await c.copy({ customerName: '郑平静2', question: '营业时间' });
    await pool.query(`UPDATE conversations SET trimmed_at = now() WHERE id = $1`, [c.id]);
    expect(await xmins()).toEqual(before);
    await c.copy({ status: 'resolved' });
    expect(await xmins()).not.toEqual(before);
    await expectFactsCurrent();
  });

  it('keep a rating copied while the archiver writes the same conversation', async () => {
    const c = new Conv('f3.wxid_race', '冯并发');
    await c.copy({ status: 'resolved', assigneeId: 'a04', tags: '["售后"]' }, [['customer', '耳机坏了要保修']]);

    // The rating's transaction first: the archiver's batch waits for it and writes its new message with the rating.
    const sync = await pool.connect();
    try {
      await sync.query('BEGIN');
      await rate(sync, c.id, `${T0}-7`, 1);
      const copying = c.copy({}, [['customer', '保修要多久']]);
      await new Promise((r) => setTimeout(r, 300));
      expect(await found('保修', { rating: 1 })).toEqual([]);
      await sync.query('COMMIT');
      await copying;
    } finally {
      sync.release();
    }
    expect(await found('保修', { rating: 1 })).toHaveLength(2);

    // The archiver's transaction first (as its batch takes the lock): the rating's waits, then rewrites the new message too.
    const archiver = await pool.connect();
    try {
      await archiver.query('BEGIN');
      await archiver.query('SELECT kefu_lock_facts($1::text[])', [[c.id]]);
      await archiver.query(`INSERT INTO messages (conversation_id, id, at, sender, text, search) VALUES ($1, $2, $3, 'customer', '保修卡丢了', to_tsvector('simple', $4))`, [
        c.id,
        `${T0 + 99 * MIN}-0`,
        new Date(T0 + 99 * MIN),
        searchTokens('保修卡丢了'),
      ]);
      let rated = false;
      const rating = rate(pool, c.id, `${T0}-8`, 3).then(() => (rated = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(rated).toBe(false);
      await archiver.query('COMMIT');
      await rating;
    } finally {
      archiver.release();
    }
    expect(await found('保修', { rating: 3 })).toHaveLength(3);
    await expectFactsCurrent();
  });
});

describe('prefixes through the lexicon', () => {
  it('find what the prefix found, keep the prefix for one starting very many words, and find nothing for a word no message has', async () => {
    const c = new Conv('f4.wxid_words', '陈词汇');
    const many = Array.from({ length: MAX_EXPANSION + 6 }, (_, i) => `zq${String(i).padStart(4, '0')}`);
    await c.copy({ status: 'active', assigneeId: 'a05' }, [
      ['customer', 'iPhone13 和 iphone15 都连不上'],
      ['customer', '订单 20240512001 和 20240513002'],
      ['customer', '我想退钱，退款也行'],
      ['customer', many.join(' ')],
    ]);
    for (const q of ['iphone', 'iphone1', '2024051', '退', '退款', '20240512001', 'zq', 'zq000']) {
      expect(await found(q, {}), q).toEqual(await oracle(q, {}));
      expect(await found(q, { agent: 'a05' }), q).toEqual(await oracle(q, { agent: 'a05' }));
    }
    expect(await found('iphone', {})).toHaveLength(1);
    expect(await wordQuery(pool, 'iphone')).toBe(`('iphone13' | 'iphone15')`);
    expect(await wordQuery(pool, 'zq')).toBe(`('zq':*)`);
    expect(await found('zq', {})).toHaveLength(1);
    expect(await wordQuery(pool, '火星 iphone')).toBeNull();
    expect(await found('火星', {})).toEqual([]);

    // A word that arrives later is in the lexicon with its message.
    await c.copy({}, [['customer', 'iphone16pro 也不行']]);
    expect(await found('iphone', {})).toHaveLength(2);
  });
});
