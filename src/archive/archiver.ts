/**
 * The archiver: copies conversations from Redis into PostgreSQL as they change (write-behind), and
 * trims from Redis the ones resolved (or idle with the bot) longer than the retention window once
 * PostgreSQL holds all of them. Per bot account and run:
 *
 * 1. the account's lock (Redis, expires): one process archives an account at a time, and only the
 *    holder's trims take effect (the trim script checks the lock in the same slot);
 * 2. copy: the account's events stream says which conversations changed since the cursor kept in
 *    PostgreSQL; each batch (its conversations' hashes, their transcript entries after the last one
 *    copied, and the cursor) is committed in one transaction. When the stream cannot say (the first
 *    run, or entries trimmed past the cursor while PostgreSQL was down) a full pass over the
 *    account's conversations does, and the cursor restarts from where the stream stood before it;
 * 3. trim: resolved conversations and chats idle with the bot, unchanged since the cutoff, as
 *    committed, go through a Lua script that deletes them only if Redis still holds exactly what was copied (hash field by field, the
 *    transcript's last entry); then they are marked trimmed. A crash between the two leaves them
 *    marked on the next run ("gone"); one that changed meanwhile is copied again and waits.
 *
 * Nothing is deleted from Redis that a committed transaction does not hold, and every write is an
 * upsert keyed by ids: a crash at any point loses nothing and duplicates nothing.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import { parseConversationId, type Keys } from '../handoff/keys.ts';
import { holdLock, releaseLock, trimConversation } from './scripts.ts';
import { compareStreamIds, streamIdMs } from '../handoff/stream-id.ts';
import { eventsAfter, readConversations, scanConversations, streamState } from './source.ts';
import { copiedStates, markTrimmed, readCursor, trimCandidates, writeBatch, type Cursor } from './store.ts';

const DAY_MS = 86_400_000;

/** Where a run is, for tests that stop it there (as a crash would) and for logs. */
export type ArchiveStep = 'copied' | 'trimmed-redis' | 'marked';

export interface ArchiverOptions {
  pool: pg.Pool;
  redis: Redis | Cluster;
  keys: Keys;
  /** Resolved conversations leave Redis this long after their last change. */
  retentionDays: number;
  now?: () => number;
  logger?: Logger;
  /** Events read per batch (one transaction each; default 1000). */
  batchEvents?: number;
  /** Batches per bot account and run, so a long backlog does not hold one account's lock for ever (default 50). */
  maxBatches?: number;
  /** Conversations trimmed per round (default 500), rounds per run (default 20). */
  trimBatch?: number;
  maxTrimRounds?: number;
  /** How long the lock lives without being extended (default 60 s; extended every batch). */
  lockTtlMs?: number;
  /** Called after each step; a throw stops the run there (tests simulate a crash with it). */
  onStep?: (step: ArchiveStep, botId: string) => void | Promise<void>;
}

export interface RunResult {
  /** Bot accounts archived by this process in this run. */
  bots: number;
  /** Bot accounts another process held the lock of. */
  busy: number;
  /** Conversation rows inserted or changed; messages inserted. */
  conversations: number;
  messages: number;
  /** Conversations trimmed from Redis. */
  trimmed: number;
  /** Full passes over an account's conversations (first run, or the events stream trimmed past the copy). */
  fullPasses: number;
  /** How far the copy is behind the newest event (0: caught up), the most of any account. */
  lagMs: number;
}

export class Archiver {
  private readonly o: Required<Omit<ArchiverOptions, 'logger' | 'onStep'>> & Pick<ArchiverOptions, 'logger' | 'onStep'>;
  /** This process's lock token (one per archiver: a restarted process waits for its old lock to expire). */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly channels = new Map<string, string | null>();

  constructor(opts: ArchiverOptions) {
    this.o = {
      now: Date.now,
      batchEvents: 1000,
      maxBatches: 50,
      trimBatch: 500,
      maxTrimRounds: 20,
      lockTtlMs: 60_000,
      ...opts,
    };
  }

  /** One pass over every bot account. Throws when Redis or PostgreSQL fails (nothing is trimmed then). */
  async runOnce(): Promise<RunResult> {
    const total: RunResult = { bots: 0, busy: 0, conversations: 0, messages: 0, trimmed: 0, fullPasses: 0, lagMs: 0 };
    const bots = (await this.o.redis.smembers(this.o.keys.bots())).sort();
    for (const botId of bots) {
      if (!(await holdLock(this.o.redis, this.o.keys, botId, this.token, this.o.lockTtlMs))) {
        total.busy++;
        continue;
      }
      try {
        this.channels.set(botId, await this.o.redis.hget(this.o.keys.channel(botId), 'kind'));
        const copy = await this.copy(botId, total);
        total.lagMs = Math.max(total.lagMs, copy.lagMs);
        await this.o.onStep?.('copied', botId);
        total.trimmed += await this.trim(botId, total);
        total.bots++;
      } finally {
        await releaseLock(this.o.redis, this.o.keys, botId, this.token).catch(() => undefined);
      }
    }
    return total;
  }

  /** Extends the lock; a process that lost it stops working on the account. */
  private async keepLock(botId: string): Promise<void> {
    if (!(await holdLock(this.o.redis, this.o.keys, botId, this.token, this.o.lockTtlMs))) {
      throw new Error(`archiver lock of ${botId} lost (another process took it after it expired)`);
    }
  }

  private async copy(botId: string, total: RunResult): Promise<{ lagMs: number }> {
    const { pool, redis, keys } = this.o;
    const saved = await readCursor(pool, botId, 'events');
    let cursor = saved?.lastId ?? '';
    let position = saved?.position ?? null;
    const stream = await streamState(redis, keys.events(botId));
    if (!saved || stream.gapAfter(saved.lastId, saved.position)) {
      // The stream's position is taken before the pass: whatever changes during it has an event after.
      cursor = stream.lastId || '0-0';
      position = stream.entriesAdded;
      this.o.logger?.info({ botId, cursor: saved }, saved ? 'archive: events trimmed before they were copied: full pass' : 'archive: first copy of the account');
      for await (const ids of scanConversations(redis, keys, botId)) {
        await this.copyConversations(botId, ids, total);
        await this.keepLock(botId);
      }
      await this.copyConversations(botId, [], total, { lastId: cursor, position });
      total.fullPasses++;
    }
    for (let i = 0; i < this.o.maxBatches; i++) {
      const events = await eventsAfter(redis, keys, botId, cursor, this.o.batchEvents);
      if (events.length === 0) return { lagMs: 0 };
      const ids = new Set<string>();
      for (const e of events) if (ownConversation(e.conv, botId)) ids.add(e.conv);
      cursor = events[events.length - 1]!.id;
      if (position !== null) position += events.length;
      await this.copyConversations(botId, [...ids], total, { lastId: cursor, position });
      if (events.length < this.o.batchEvents) return { lagMs: 0 };
      await this.keepLock(botId);
    }
    const latest = (await streamState(redis, keys.events(botId))).lastId;
    return { lagMs: latest && compareStreamIds(latest, cursor) > 0 ? Math.max(0, streamIdMs(latest) - streamIdMs(cursor)) : 0 };
  }

  /** Copies `ids` as they stand now (and commits `cursor` with them). */
  private async copyConversations(botId: string, ids: string[], total: RunResult, cursor?: Cursor): Promise<void> {
    const { pool, redis, keys } = this.o;
    const states = await copiedStates(pool, ids);
    // After a trim the Redis stream started again: read it whole (what is already there is skipped).
    const reads = ids.map((id) => {
      const s = states.get(id);
      return { id, after: s && !s.trimmed && s.lastMsgId ? s.lastMsgId : '' };
    });
    const copies = await readConversations(redis, keys, reads);
    const lastMsgIds = new Map<string, string | null>();
    for (const c of copies) lastMsgIds.set(c.id, c.messages[c.messages.length - 1]?.[0] ?? states.get(c.id)?.lastMsgId ?? null);
    const written = await writeBatch(pool, {
      copies,
      lastMsgIds,
      channel: (b) => this.channels.get(b) ?? null,
      ...(cursor ? { cursor: { botId, ...cursor } } : {}),
    });
    total.conversations += written.conversations;
    total.messages += written.messages;
  }

  private async trim(botId: string, total: RunResult): Promise<number> {
    const { pool, redis, keys } = this.o;
    const cutoff = this.o.now() - this.o.retentionDays * DAY_MS;
    let trimmed = 0;
    for (let round = 0; round < this.o.maxTrimRounds; round++) {
      const candidates = await trimCandidates(pool, botId, cutoff, this.o.trimBatch);
      if (candidates.length === 0) break;
      await this.keepLock(botId);
      const outcomes = await Promise.all(
        candidates.map((c) => trimConversation(redis, keys, { conv: c.id, token: this.token, lastMsgId: c.lastMsgId, hash: c.hash })),
      );
      await this.o.onStep?.('trimmed-redis', botId);
      const gone = candidates.filter((_, i) => outcomes[i] === 'trimmed' || outcomes[i] === 'gone').map((c) => c.id);
      await markTrimmed(pool, gone);
      await this.o.onStep?.('marked', botId);
      trimmed += outcomes.filter((o) => o === 'trimmed').length;
      if (outcomes.includes('unlocked')) throw new Error(`archiver lock of ${botId} lost while trimming`);
      // Changed since the copy (its event may be past this run's batches): copied now, trimmed next time.
      const changed = candidates.filter((_, i) => outcomes[i] === 'changed').map((c) => c.id);
      if (changed.length) await this.copyConversations(botId, changed, total);
      if (gone.length === 0 || candidates.length < this.o.trimBatch) break;
    }
    return trimmed;
  }
}

function ownConversation(conv: string, botId: string): boolean {
  if (!conv) return false;
  try {
    return parseConversationId(conv).botId === botId;
  } catch {
    return false;
  }
}
