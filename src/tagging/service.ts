/**
 * Suggested tags for a conversation, and the model behind them: trained on the tenant's own tagged
 * history (on demand, and again when it is older than `retrainEveryMs`), measured on held-out folds
 * of that history, stored in Redis for every console. A tag is applied without asking only while
 * its measured precision passes the bar, auto-apply is on and no manager turned that tag off; each
 * tag at most once per conversation, so an agent who removes it has the last word.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Keys } from '../handoff/keys.ts';
import { FAQ_PREFIX, featuresOf, type TaggingInput } from './features.ts';
import { predict, reasons, trainModel, type TrainOptions } from './model.ts';
import { AUTO_PRECISION, AUTO_THRESHOLD, crossPredict, measure, suggestedTags, type TagQuality } from './quality.ts';
import { pruneApplied } from './applied.ts';
import { readHistory, type TaggedArchive } from './source.ts';
import { TaggingStore, type StoredModel } from './store.ts';

export interface TaggingOptions {
  redis: Redis | Cluster;
  keys: Keys;
  /** Every bot account (whose conversations are the history). */
  bots: () => Promise<string[]>;
  archive?: TaggedArchive;
  /** The knowledge base's own tags of an FAQ entry (suggested when agents use them too). */
  faqTags?: (faqId: string) => readonly string[] | undefined;
  /**
   * What a tag is called (labels.ts: the knowledge base's ids → their Chinese names). Suggestions
   * show and apply the name; a conversation that has the id or the name has the tag.
   */
  tagLabel?: (tag: string) => string;
  /** Default one day. */
  retrainEveryMs?: number;
  /** Most conversations trained on (default 5000: the newest Redis holds, then the archive's). */
  historyLimit?: number;
  /** Most records of automatically applied tags kept at any time (store.ts DEFAULT_MAX_APPLIED). */
  maxApplied?: number;
  train?: TrainOptions;
  now?: () => number;
  /** A scheduled training's failure (the console logs it). */
  onError?: (err: unknown) => void;
}

export interface Suggestion {
  tag: string;
  /** The model's probability (0-1); a tag suggested by an FAQ entry alone has none. */
  score: number | null;
  source: 'model' | 'faq';
  /** FAQ entries the conversation touched that speak for the tag. */
  faqIds: string[];
  /** The words that pushed the model towards it, strongest first. */
  words: string[];
}

export interface Suggestions {
  items: Suggestion[];
  /** Tags to apply now without asking (the caller applies them and calls `markApplied`). */
  autoApply: string[];
  /** Tags applied automatically to this conversation before. */
  applied: string[];
  trainedAt: string | null;
}

export interface QualityRow extends TagQuality {
  /** Auto-apply is on for it now: eligible, switched on overall, not turned off for this tag. */
  autoApply: boolean;
  off: boolean;
  accepted: number;
  appliedCount: number;
}

export interface QualityTable {
  trainedAt: string | null;
  trainedBy: string | null;
  history: number;
  auto: boolean;
  bar: number;
  threshold: number;
  items: QualityRow[];
}

export const DEFAULT_RETRAIN_MS = 86_400_000;
const DEFAULT_HISTORY = 5_000;
const LOCK_MS = 10 * 60_000;
/** A console with no model (or a failing training) tries again at most this often on its own. */
const RETRY_MS = 10 * 60_000;
const MAX_ITEMS = 5;
/** Tagged conversations the history must hold before the tags agents never use are left out of the FAQ's suggestions. */
const VOCABULARY_MIN = 30;

export class TagSuggester {
  readonly store: TaggingStore;
  private lastTry = -Infinity;
  private training: Promise<StoredModel | null> | null = null;

  constructor(private readonly o: TaggingOptions) {
    this.store = new TaggingStore(o.redis, o.keys, o.maxApplied);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Suggestions for one conversation from its transcript; `current`: the tags it has. */
  async suggest(conv: string, input: TaggingInput, current: readonly string[]): Promise<Suggestions> {
    const settings = await this.store.settings();
    const [stored, applied] = await Promise.all([this.store.model(settings), this.store.appliedTo(conv)]);
    this.retrainIfStale(stored);
    const label = this.o.tagLabel ?? ((t: string) => t);
    const has = new Set([...current, ...current.map(label)]);
    const features = featuresOf(input);
    const probs = stored ? predict(stored.model, features) : new Map<string, number>();
    const items: Suggestion[] = [];
    for (const raw of suggestedTags(probs)) {
      const tag = label(raw);
      if (has.has(raw) || has.has(tag) || items.some((s) => s.tag === tag)) continue;
      const words = stored ? reasons(stored.model, raw, features, 4) : [];
      items.push({
        tag,
        score: round(probs.get(raw) ?? 0),
        source: 'model',
        faqIds: words.filter((w) => w.startsWith(FAQ_PREFIX)).map((w) => w.slice(FAQ_PREFIX.length)),
        words: words.filter((w) => !w.startsWith(FAQ_PREFIX)),
      });
    }
    // The FAQ's own tags, by name, where agents use them (by name or id); before the history shows
    // which tags agents use (a new team's model is trained on next to nothing), all of them: then
    // they are all there is.
    const vocabulary = stored && stored.history >= VOCABULARY_MIN ? stored.counts : null;
    for (const faqId of input.faqIds) {
      for (const raw of this.o.faqTags?.(faqId) ?? []) {
        const tag = label(raw);
        if (has.has(raw) || has.has(tag) || (vocabulary && vocabulary[tag] === undefined && vocabulary[raw] === undefined)) continue;
        const seen = items.find((s) => s.tag === tag);
        const p = probs.get(raw) ?? probs.get(tag);
        if (seen) {
          if (!seen.faqIds.includes(faqId)) seen.faqIds.push(faqId);
        } else items.push({ tag, score: p !== undefined ? round(p) : null, source: 'faq', faqIds: [faqId], words: [] });
      }
    }
    const eligible = new Set(stored && settings.auto ? stored.quality.filter((q) => q.autoEligible && !settings.off.has(q.tag)).map((q) => q.tag) : []);
    // Applied by name like a suggestion; a record from before names (the id) still counts as applied.
    const autoApply = [
      ...new Set(
        [...probs.entries()]
          .filter(([tag, p]) => eligible.has(tag) && p >= AUTO_THRESHOLD && !has.has(tag) && !has.has(label(tag)))
          .filter(([tag]) => !applied.includes(tag) && !applied.includes(label(tag)))
          .map(([tag]) => label(tag)),
      ),
    ];
    return {
      items: items.filter((s) => !autoApply.includes(s.tag)).slice(0, MAX_ITEMS),
      autoApply,
      applied: [...applied, ...autoApply],
      trainedAt: stored?.trainedAt ?? null,
    };
  }

  /** Records tags applied automatically (never again on this conversation) and counts them. */
  async markApplied(conv: string, tags: readonly string[]): Promise<void> {
    await this.store.markApplied(conv, tags, this.now());
    await this.store.count('applied', tags);
  }

  accepted(tag: string): Promise<void> {
    return this.store.count('accepted', [tag]);
  }

  /**
   * Trains on the history now and stores the model for every console; null when another console
   * is training (its model arrives shortly). Measures first (held-out folds), then trains on all.
   */
  retrain(by: string | null): Promise<StoredModel | null> {
    this.training ??= this.train(by).finally(() => {
      this.training = null;
    });
    return this.training;
  }

  private async train(by: string | null): Promise<StoredModel | null> {
    const token = await this.store.lock(LOCK_MS);
    if (!token) return null;
    try {
      const records = await this.store.appliedRecords();
      const applied = new Map(records.map((r) => [r.id, r.tags]));
      const limit = this.o.historyLimit ?? DEFAULT_HISTORY;
      const history = await readHistory(this.o.redis, this.o.keys, await this.o.bots(), {
        limit,
        applied,
        ...(this.o.archive ? { archive: this.o.archive } : {}),
        ...(this.o.onError ? { onArchiveError: this.o.onError } : {}),
      });
      const docs = history.map((c) => ({ id: c.id, tags: c.tags, features: featuresOf(c) }));
      const model = trainModel(docs, this.o.train);
      const judged = crossPredict(docs, this.o.train ?? {});
      const counts: Record<string, number> = {};
      for (const c of history) for (const t of new Set([...c.tags, ...(applied.get(c.id) ?? [])])) counts[t] = (counts[t] ?? 0) + 1;
      const stored: StoredModel = {
        version: 1,
        trainedAt: new Date(this.now()).toISOString(),
        trainedBy: by,
        model,
        quality: measure(judged, Object.keys(model.tags)),
        counts,
        history: history.length,
      };
      await this.store.saveModel(stored);
      // What the next training and the suggestions no longer read goes (applied.ts says which).
      await pruneApplied(this.o.redis, this.o.keys, this.store, records, { keepGone: limit, now: this.now() });
      return stored;
    } finally {
      await this.store.unlock(token);
    }
  }

  /** A model older than `retrainEveryMs` (or none) is retrained in the background, at most every RETRY_MS per console. */
  private retrainIfStale(stored: StoredModel | null): void {
    const now = this.now();
    const every = this.o.retrainEveryMs ?? DEFAULT_RETRAIN_MS;
    if (stored && now - Date.parse(stored.trainedAt) < every) return;
    if (now - this.lastTry < RETRY_MS || this.training) return;
    this.lastTry = now;
    this.retrain(null).catch((err: unknown) => this.o.onError?.(err));
  }

  /** The per-tag table managers read: measured precision and recall, and whether auto-apply is on. */
  async quality(): Promise<QualityTable> {
    const settings = await this.store.settings();
    const [stored, counters] = await Promise.all([this.store.model(settings), this.store.counters()]);
    return {
      trainedAt: stored?.trainedAt ?? null,
      trainedBy: stored?.trainedBy ?? null,
      history: stored?.history ?? 0,
      auto: settings.auto,
      bar: AUTO_PRECISION,
      threshold: AUTO_THRESHOLD,
      items: (stored?.quality ?? []).map((q) => ({
        ...q,
        off: settings.off.has(q.tag),
        autoApply: settings.auto && q.autoEligible && !settings.off.has(q.tag),
        accepted: counters[`accepted:${q.tag}`] ?? 0,
        appliedCount: this.named(q.tag).reduce((n, t) => n + (counters[`applied:${t}`] ?? 0), 0),
      })),
    };
  }

  /** A model tag as conversations may carry it: the tag and its name (one when they are the same). */
  named(tag: string): string[] {
    const name = (this.o.tagLabel ?? ((t: string) => t))(tag);
    return name === tag ? [tag] : [tag, name];
  }

  /** Tag -> conversations carrying it, as of the last training (the reports' counts). */
  async counts(): Promise<{ asOf: string | null; items: { tag: string; count: number }[] }> {
    const stored = await this.store.model();
    const items = Object.entries(stored?.counts ?? {})
      .map(([tag, count]) => ({ tag, count }))
      .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
    return { asOf: stored?.trainedAt ?? null, items };
  }
}

const round = (p: number): number => Math.round(p * 1000) / 1000;
