/**
 * The tag model in Redis, shared by every console: the model and its measured quality (one JSON
 * string, replaced whole by a training), the managers' switches, what was applied automatically
 * (bounded: applied.ts says which records are still needed) and the suggestion counters. Keys come
 * from handoff/keys.ts (`keys.tagging`).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../handoff/keys.ts';
import { luaScripts } from '../lua.ts';
import type { TagModel } from './model.ts';
import type { TagQuality } from './quality.ts';

type Client = Redis | Cluster;

const runScript = luaScripts<'mark-applied' | 'forget-applied'>(new URL('./lua/', import.meta.url), 'kefu_tagging');

/**
 * Records of automatically applied tags kept at most, whatever else happens (no training prunes
 * them, a flood of chats): far above what a tenant's Redis holds (its live chats plus one training's
 * history), so only a runaway reaches it, and then the oldest go first.
 */
export const DEFAULT_MAX_APPLIED = 200_000;

/** One conversation's automatically applied tags and when the last was applied (null: recorded before the index). */
export interface AppliedRecord {
  id: string;
  tags: string[];
  at: number | null;
}

export interface StoredModel {
  version: 1;
  trainedAt: string;
  /** The manager who asked for it, or null for a scheduled training. */
  trainedBy: string | null;
  model: TagModel;
  /** Per tag, measured on held-out folds of the history it was trained on. */
  quality: TagQuality[];
  /** Tag -> conversations carrying it in the history read (agents' tags and applied ones). */
  counts: Record<string, number>;
  /** Tagged conversations read. */
  history: number;
}

/** What is read back is checked: a model written by an older or broken console is no model. */
const storedSchema = z.object({
  version: z.literal(1),
  trainedAt: z.string(),
  trainedBy: z.string().nullable(),
  model: z.object({
    tags: z.record(z.string(), z.object({ bias: z.number(), weights: z.record(z.string(), z.number()) })),
    examples: z.record(z.string(), z.number()),
    conversations: z.number(),
  }),
  quality: z.array(z.any()),
  counts: z.record(z.string(), z.number()),
  history: z.number(),
});

export interface TaggingSettings {
  /** Auto-apply at all (default on: each tag still needs its measured precision). */
  auto: boolean;
  /** Tags a manager took out of auto-apply. */
  off: Set<string>;
  modelAt: string | null;
  updatedBy: string | null;
  updatedAt: string | null;
}

export class TaggingStore {
  private cached: StoredModel | null = null;

  constructor(
    private readonly redis: Client,
    private readonly keys: Keys,
    private readonly maxApplied = DEFAULT_MAX_APPLIED,
  ) {}

  async settings(): Promise<TaggingSettings> {
    const h = await this.redis.hgetall(this.keys.tagging.settings());
    const off = new Set(Object.keys(h).filter((f) => f.startsWith('off:') && h[f] === '1').map((f) => f.slice(4)));
    return { auto: h.auto !== '0', off, modelAt: h.modelAt || null, updatedBy: h.updatedBy || null, updatedAt: h.updatedAt || null };
  }

  /** The stored model; parsed again only when a training replaced it (settings' modelAt says so). */
  async model(settings?: TaggingSettings): Promise<StoredModel | null> {
    const s = settings ?? (await this.settings());
    if (!s.modelAt) return null;
    if (this.cached?.trainedAt === s.modelAt) return this.cached;
    const raw = await this.redis.get(this.keys.tagging.model());
    if (!raw) return null;
    const parsed = storedSchema.safeParse(JSON.parse(raw));
    this.cached = parsed.success ? (parsed.data as StoredModel) : null;
    return this.cached;
  }

  async saveModel(m: StoredModel): Promise<void> {
    // The model before its stamp: a console that sees the new stamp finds the new model.
    await this.redis.set(this.keys.tagging.model(), JSON.stringify(m));
    await this.redis.hset(this.keys.tagging.settings(), 'modelAt', m.trainedAt);
    this.cached = m;
  }

  /** Auto-apply on or off: for every tag (no `tag`), or one tag. */
  async setAuto(enabled: boolean, by: string, now: Date, tag?: string): Promise<void> {
    const fields: Record<string, string> = tag === undefined ? { auto: enabled ? '1' : '0' } : { [`off:${tag}`]: enabled ? '0' : '1' };
    await this.redis.hset(this.keys.tagging.settings(), { ...fields, updatedBy: by, updatedAt: now.toISOString() });
  }

  async appliedTo(conv: string): Promise<string[]> {
    return parseList(await this.redis.hget(this.keys.tagging.applied(), conv));
  }

  async allApplied(): Promise<Map<string, string[]>> {
    const h = await this.redis.hgetall(this.keys.tagging.applied());
    return new Map(Object.entries(h).map(([conv, raw]) => [conv, parseList(raw)]));
  }

  /** Adds `tags` to the conversation's record (one script: two consoles applying at once lose neither); the oldest records beyond the bound go. */
  async markApplied(conv: string, tags: readonly string[], now: number): Promise<void> {
    if (tags.length === 0) return;
    const t = this.keys.tagging;
    await runScript(this.redis, 'mark-applied', [t.applied(), t.appliedAt()], [conv, JSON.stringify(tags), now, this.maxApplied]);
  }

  /** Every record with its time. */
  async appliedRecords(): Promise<AppliedRecord[]> {
    const t = this.keys.tagging;
    const [h, scores] = await Promise.all([this.redis.hgetall(t.applied()), this.redis.zrange(t.appliedAt(), '0', '-1', 'WITHSCORES')]);
    const at = new Map<string, number>();
    for (let i = 0; i + 1 < scores.length; i += 2) at.set(scores[i]!, Number(scores[i + 1]));
    return Object.entries(h).map(([id, raw]) => ({ id, tags: parseList(raw), at: at.get(id) ?? null }));
  }

  /** Drops these records, each only if its time is still the one read (tagged again since: kept). */
  async forgetApplied(records: readonly Pick<AppliedRecord, 'id' | 'at'>[]): Promise<number> {
    const t = this.keys.tagging;
    let dropped = 0;
    for (let i = 0; i < records.length; i += 500) {
      const args = records.slice(i, i + 500).flatMap((r) => [r.id, r.at === null ? '' : String(r.at)]);
      dropped += Number(await runScript(this.redis, 'forget-applied', [t.applied(), t.appliedAt()], args));
    }
    return dropped;
  }

  /** Records from before the index get a time (now), so the bound can weigh them too. */
  async stampApplied(ids: readonly string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 1_000) {
      const slice = ids.slice(i, i + 1_000);
      await this.redis.zadd(this.keys.tagging.appliedAt(), 'NX', ...slice.flatMap((id) => [now, id]));
    }
  }

  async count(kind: 'accepted' | 'applied', tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const t of tags) pipe.hincrby(this.keys.tagging.counters(), `${kind}:${t}`, 1);
    await pipe.exec();
  }

  async counters(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.keys.tagging.counters());
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v) || 0]));
  }

  /** One training at a time over every console; null: another holds it. */
  async lock(ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    return (await this.redis.set(this.keys.tagging.lock(), token, 'PX', ttlMs, 'NX')) === 'OK' ? token : null;
  }

  /** Lets go if still ours (a lock that expired and was taken again is left alone; the race only frees a lock early). */
  async unlock(token: string): Promise<void> {
    if ((await this.redis.get(this.keys.tagging.lock())) === token) await this.redis.del(this.keys.tagging.lock());
  }
}

function parseList(raw: string | null | undefined): string[] {
  try {
    const v: unknown = JSON.parse(raw ?? '[]');
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
