import { fieldsOf, iso } from './convert.ts';
import type { HandoffContext } from './context.ts';
import { MAX_LIST } from './context.ts';
import { parseConversationId } from './keys.ts';
import type { BotRegistry } from './registry.ts';
import { decisionKey, MIN_AUTO_THRESHOLD, type AdoptionFacts } from '../learning-rules.ts';

/**
 * Learning from traffic, its Redis side: the evidence of what customers' questions mean, and the
 * editors' decisions on it. What the bot's turns prove is written by append-15.lua with the turn (a
 * pick from "did you mean", a "helpful", a "not helpful", a 转人工 right after an answer); what an
 * agent's FAQ answer proves is written here, when the console sends it. Evidence is per bot account
 * (its slot, trimmed like the knowledge gaps); the decisions are global (one knowledge base), in the
 * `{learning}` slot. What counts as a confirmation, a conflict or a proposal is the knowledge
 * component's (knowledge/learning.ts): this stores and reads.
 */

/** picked / helpful / agent: the question means `faqId`; rejected / not_helpful: the answer `faqId` was wrong. */
export const EVIDENCE_KINDS = ['picked', 'helpful', 'agent', 'rejected', 'not_helpful'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export interface Evidence {
  /** Stream entry id. */
  id: string;
  kind: EvidenceKind;
  conv: string;
  /** The entry the question means (picked, helpful, agent) or whose answer was wrong (rejected, not_helpful). */
  faqId: string;
  /** The customer's question. */
  text: string;
  /** agent: the entry the bot had answered that question with (null: none). */
  botFaqId: string | null;
  at: string;
}

export interface LearningSettings {
  autoAdopt: boolean;
  /** Agreeing conversations an automatic adoption needs (at least 2). */
  threshold: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

/** An automatic adoption, as the audit list shows it. */
export interface Adoption extends AdoptionFacts {
  id: string;
  at: string;
  undone: { by: string; at: string } | null;
}

export const DEFAULT_THRESHOLD = 3;
export const MIN_THRESHOLD = MIN_AUTO_THRESHOLD;
export const MAX_THRESHOLD = 20;
/** Evidence streams keep about this many entries per bot account, like the knowledge gaps. */
export const LEARNING_MAX_LEN = 10_000;
const ADOPTIONS_MAX_LEN = 1_000;
const MAX_TEXT_CHARS = 500;

export class Learning {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
  ) {}

  /**
   * An agent sent the answer of entry `faqId` in a handed-off chat: evidence that the customer's
   * question before the handoff means it (and, when the bot had answered it with another entry,
   * that the bot was wrong). The question is the last one the bot answered, suggested for or missed
   * in this conversation; else the handoff's question, unless the customer only asked for a person.
   * Returns what was recorded (null: no question to learn from).
   */
  async recordAgentAnswer(conv: string, faqId: string): Promise<Evidence | null> {
    const { botId } = parseConversationId(conv);
    const { redis, keys } = this.ctx;
    const [status, askedText, askedFaqId, question, reason] = await redis.hmget(keys.conversation(conv), 'status', 'askedText', 'askedFaqId', 'question', 'reason');
    if (status !== 'active') return null;
    const text = (askedText || (reason !== 'customer_asked' ? question : '') || '').slice(0, MAX_TEXT_CHARS);
    if (!text.trim()) return null;
    const now = this.ctx.now();
    const id = await redis.xadd(keys.learning(botId), 'MAXLEN', '~', LEARNING_MAX_LEN, '*', 'conv', conv, 'kind', 'agent', 'faqId', faqId, 'text', text, 'botFaqId', askedFaqId ?? '', 'at', now);
    return { id: id ?? '', kind: 'agent', conv, faqId, text, botFaqId: askedFaqId || null, at: iso(String(now))! };
  }

  /** The newest evidence of every bot account (up to `limit` each), newest first. */
  async evidence(limit = LEARNING_MAX_LEN): Promise<Evidence[]> {
    const n = Math.min(Math.max(Math.floor(limit), 1), LEARNING_MAX_LEN);
    const bots = await this.registry.bots();
    const pages = await Promise.all(bots.map((botId) => this.ctx.redis.xrevrange(this.ctx.keys.learning(botId), '+', '-', 'COUNT', n)));
    const out: Evidence[] = [];
    for (const [id, flat] of pages.flat()) {
      const f = fieldsOf(flat);
      const kind = EVIDENCE_KINDS.find((k) => k === f.kind);
      if (!kind || !f.faqId || !f.text) continue;
      out.push({ id, kind, conv: f.conv ?? '', faqId: f.faqId, text: f.text, botFaqId: f.botFaqId || null, at: iso(f.at) ?? '' });
    }
    return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }

  async settings(): Promise<LearningSettings> {
    const h = await this.ctx.redis.hgetall(this.ctx.keys.learn.settings());
    const threshold = Number(h.threshold);
    return {
      autoAdopt: h.autoAdopt === '1',
      threshold: Number.isInteger(threshold) && threshold >= MIN_THRESHOLD ? Math.min(threshold, MAX_THRESHOLD) : DEFAULT_THRESHOLD,
      updatedBy: h.updatedBy || null,
      updatedAt: iso(h.updatedAt),
    };
  }

  /** Switches automatic adoption; a threshold below 2 is refused (one customer is no agreement). */
  async setSettings(change: { autoAdopt?: boolean; threshold?: number }, by: string): Promise<LearningSettings> {
    const { threshold, autoAdopt } = change;
    if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < MIN_THRESHOLD || threshold > MAX_THRESHOLD)) {
      throw new RangeError(`the threshold is ${MIN_THRESHOLD}-${MAX_THRESHOLD} conversations, not ${threshold}`);
    }
    const fields: Record<string, string | number> = { updatedBy: by, updatedAt: this.ctx.now() };
    if (autoAdopt !== undefined) fields.autoAdopt = autoAdopt ? '1' : '0';
    if (threshold !== undefined) fields.threshold = threshold;
    await this.ctx.redis.hset(this.ctx.keys.learn.settings(), fields);
    return this.settings();
  }

  /** The dismissed (or undone) decisions, as "<faq id>|<phrase key>". */
  async dismissed(): Promise<Set<string>> {
    return new Set(await this.ctx.redis.hkeys(this.ctx.keys.learn.dismissed()));
  }

  /** An editor said no to `key` as an alternate of `faqId`: it is neither proposed nor adopted again. */
  async dismiss(faqId: string, key: string): Promise<void> {
    await this.ctx.redis.hset(this.ctx.keys.learn.dismissed(), decisionKey(faqId, key), this.ctx.now());
  }

  /**
   * Claims the automatic adoption of `key` for `faqId` (true: this caller adopts it). Every console
   * process runs the pass; exactly one adopts and logs each phrasing. A process that dies between
   * the claim and the log leaves the phrasing unadopted for good (fail closed): it stays proposed
   * for an editor to accept by hand.
   */
  async claimAdoption(faqId: string, key: string): Promise<boolean> {
    return (await this.ctx.redis.hsetnx(this.ctx.keys.learn.adopted(), decisionKey(faqId, key), 'pending')) === 1;
  }

  /** The adoption failed: another pass may try again. */
  async releaseAdoption(faqId: string, key: string): Promise<void> {
    await this.ctx.redis.hdel(this.ctx.keys.learn.adopted(), decisionKey(faqId, key));
  }

  /** Logs a claimed adoption in the audit list; returns its id. */
  async logAdoption(a: AdoptionFacts): Promise<string> {
    const { redis, keys } = this.ctx;
    const now = this.ctx.now();
    const id = await redis.xadd(keys.learn.adoptions(), 'MAXLEN', '~', ADOPTIONS_MAX_LEN, '*',
      'faqId', a.faqId, 'text', a.text, 'key', a.key, 'convs', a.convs, 'count', a.count, 'kinds', JSON.stringify(a.kinds), 'at', now);
    await redis.hset(keys.learn.adopted(), decisionKey(a.faqId, a.key), id ?? '');
    return id ?? '';
  }

  /** The newest automatic adoptions, newest first. */
  async adoptions(limit = 100): Promise<Adoption[]> {
    const n = Math.min(Math.max(Math.floor(limit), 1), MAX_LIST);
    const { redis, keys } = this.ctx;
    const [entries, undone] = await Promise.all([redis.xrevrange(keys.learn.adoptions(), '+', '-', 'COUNT', n), redis.hgetall(keys.learn.undone())]);
    return entries.map(([id, flat]) => toAdoption(id, fieldsOf(flat), undone[id]));
  }

  async adoption(id: string): Promise<Adoption | null> {
    const { redis, keys } = this.ctx;
    const [entries, undone] = await Promise.all([redis.xrange(keys.learn.adoptions(), id, id), redis.hget(keys.learn.undone(), id)]);
    const [entry] = entries;
    return entry ? toAdoption(entry[0], fieldsOf(entry[1]), undone ?? undefined) : null;
  }

  /**
   * Marks an automatic adoption undone (its alternate removed by the caller) and dismisses the
   * phrasing, so the next pass does not adopt it again. False when it was undone before.
   */
  async markUndone(a: Adoption, by: string): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const now = this.ctx.now();
    const first = await redis.hsetnx(keys.learn.undone(), a.id, JSON.stringify({ by, at: now }));
    await redis.hset(keys.learn.dismissed(), decisionKey(a.faqId, a.key), now);
    return first === 1;
  }
}

function toAdoption(id: string, f: Record<string, string>, undone: string | undefined): Adoption {
  let kinds: Record<string, number> = {};
  try {
    const v: unknown = JSON.parse(f.kinds ?? '{}');
    if (v && typeof v === 'object') kinds = v as Record<string, number>;
  } catch {
    // An unreadable audit field shows as no kinds rather than hiding the adoption.
  }
  let undo: Adoption['undone'] = null;
  if (undone) {
    try {
      const u = JSON.parse(undone) as { by?: string; at?: number };
      undo = { by: String(u.by ?? ''), at: iso(String(u.at ?? '')) ?? '' };
    } catch {
      undo = { by: '', at: '' };
    }
  }
  return { id, faqId: f.faqId ?? '', text: f.text ?? '', key: f.key ?? '', convs: Number(f.convs ?? 0), count: Number(f.count ?? 0), kinds, at: iso(f.at) ?? '', undone: undo };
}
