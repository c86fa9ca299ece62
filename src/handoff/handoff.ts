import type { Cluster, Redis } from 'ioredis';
import { createContext, type HandoffContext, type HandoffOptions } from './context.ts';
import { Counters, type Rating } from './counters.ts';
import type { Keys } from './keys.ts';
import { Learning, type Evidence } from './learning.ts';
import { LowRatings } from './low-ratings.ts';
import { ConversationLists, type ListPage, type ListQuery } from './lists.ts';
import { Problems } from './problems.ts';
import { Queries, type QueueCounts } from './queries.ts';
import { MediaStore } from './media.ts';
import { BotRegistry, type BotStatus } from './registry.ts';
import { tickSla, type SlaFired } from './ticker.ts';
import type { QueueTicket } from './queue-place.ts';
import { Transitions, type RecordedTurn } from './transitions.ts';
import type {
  Agent,
  Conversation,
  ConversationStatus,
  CustomerRef,
  HandoffEvent,
  HandoffReason,
  KnowledgeGap,
  NewMessage,
  Tier,
  TranscriptMessage,
  TurnOutcome,
} from './types.ts';

/**
 * The handoff between bots and agents, all state in Redis: the one object bots and consoles hold.
 * It only composes its parts, each of one concern, and passes calls on to them:
 * - `transitions` (transitions.ts): every change of a conversation, one atomic Lua script each;
 * - `queries` (queries.ts): conversations, transcripts, events and the queues, read;
 * - `registry` (registry.ts): the bot accounts and their WeChat login state;
 * - `counters` (counters.ts): the funnel's counters, ratings and the FAQ's knowledge gaps;
 * - `problems` (problems.ts): known problems and the closed loop; the SLA tick is in ticker.ts;
 * - `learning` (learning.ts): evidence of what customers' questions mean, and editors' decisions.
 * The methods' documentation is on the parts.
 */
export class Handoff {
  readonly keys: Keys;
  readonly registry: BotRegistry;
  readonly queries: Queries;
  /** The console's v2 lists: paged by cursor, with totals and filters (see lists.ts). */
  readonly lists: ConversationLists;
  readonly counters: Counters;
  readonly transitions: Transitions;
  /** Known problems and the closed loop (see problems.ts). */
  readonly problems: Problems;
  /** Customers' media fetched by the channels, for the console (see media.ts). */
  readonly media: MediaStore;
  /** Learning from traffic: evidence and the editors' decisions on it (see learning.ts). */
  readonly learning: Learning;
  /** The managers' list of 1-2 ratings to follow up, with a done state (see low-ratings.ts). */
  readonly lowRatings: LowRatings;
  private readonly ctx: HandoffContext;

  constructor(redis: Redis | Cluster, opts: HandoffOptions) {
    this.ctx = createContext(redis, opts);
    this.keys = this.ctx.keys;
    this.registry = new BotRegistry(this.ctx);
    this.media = new MediaStore(redis, this.keys);
    this.queries = new Queries(this.ctx, this.registry);
    this.lists = new ConversationLists(this.ctx, this.registry);
    this.lowRatings = new LowRatings(this.ctx, this.registry);
    this.counters = new Counters(this.ctx, this.registry);
    this.learning = new Learning(this.ctx, this.registry);
    this.transitions = new Transitions(this.ctx, this.registry, this.queries, this.counters, {
      tierRule: opts.tierRule,
      announceClaims: opts.announceClaims ?? false,
    });
    const t = this.transitions;
    this.problems = new Problems(
      redis,
      { keys: this.keys, conversation: (id) => this.queries.conversation(id), park: (id, o) => t.park(id, o) },
      { now: this.ctx.now, streamMaxLen: this.ctx.maxLen },
    );
  }

  /** The business day (YYYY-MM-DD in the business time zone) of an instant. */
  dayOf(ms: number): string {
    return this.ctx.dayOf(ms);
  }

  // The bot accounts (registry.ts).
  registerBot(botId: string): Promise<void> {
    return this.registry.registerBot(botId);
  }
  setBotStatus(botId: string, status: BotStatus): Promise<void> {
    return this.registry.setBotStatus(botId, status);
  }
  botStatus(botId: string): Promise<BotStatus | null> {
    return this.registry.botStatus(botId);
  }
  bots(): Promise<string[]> {
    return this.registry.bots();
  }
  /** Sent at once: see BotRegistry.eventCursors. */
  eventCursors(bots: readonly string[]): Promise<Record<string, string>> {
    return this.registry.eventCursors(bots);
  }
  /** Sent at once: see BotRegistry.eventStamp. */
  eventStamp(): Promise<{ bots: string[]; cursors: Record<string, string> }> {
    return this.registry.eventStamp();
  }
  /** The accounts as last read here, without a round trip (undefined before the first read). */
  knownBots(): readonly string[] | undefined {
    return this.registry.knownBots();
  }

  // Changes of a conversation (transitions.ts).
  recordMessage(ref: CustomerRef, msg: NewMessage): Promise<{ id: string; conversationId: string; status: ConversationStatus }> {
    return this.transitions.recordMessage(ref, msg);
  }
  recordTurn(
    ref: CustomerRef,
    msg: NewMessage,
    turn?: { replies: NewMessage[]; decidedFor: ConversationStatus; outcome?: TurnOutcome; handoff?: { reason: HandoffReason; question?: string } },
  ): Promise<RecordedTurn> {
    return this.transitions.recordTurn(ref, msg, turn);
  }
  requestHuman(ref: CustomerRef, opts: { reason: HandoffReason; question?: string }): Promise<QueueTicket> {
    return this.transitions.requestHuman(ref, opts);
  }
  /** A waiting customer complains: the chat is due as a complaint is, when that is sooner (see Transitions.escalate). */
  escalate(ref: CustomerRef): Promise<boolean> {
    return this.transitions.escalate(ref);
  }
  /** A waiting chat's place now (reads only); null when it is not waiting. */
  queuePlace(ref: CustomerRef): Promise<QueueTicket | null> {
    return this.transitions.queuePlace(ref);
  }
  claim(id: string, agent: Agent): Promise<Conversation> {
    return this.transitions.claim(id, agent);
  }
  /** A resolved chat taken back by `agent` (active, theirs); ILLEGAL_TRANSITION when it is not resolved. */
  reopen(id: string, agent: Agent): Promise<Conversation> {
    return this.transitions.reopen(id, agent);
  }
  transfer(id: string, to: Agent, opts: { expectedOwner?: string; note?: { text: string; by: Agent } } = {}): Promise<Conversation> {
    return this.transitions.transfer(id, to, opts);
  }
  release(id: string, opts: { expectedOwner?: string; by?: string } = {}): Promise<Conversation> {
    return this.transitions.release(id, opts);
  }
  resolve(id: string, opts: { by: string; expectedOwner?: string; rate?: boolean }): Promise<Conversation> {
    return this.transitions.resolve(id, opts);
  }
  /** The customer leaves the queue; false when the chat is no longer waiting (see Transitions.withdraw). */
  withdraw(ref: CustomerRef): Promise<boolean> {
    return this.transitions.withdraw(ref);
  }
  park(id: string, opts: { problemId: string; by: string }): Promise<Conversation> {
    return this.transitions.park(id, opts);
  }
  reply(id: string, agent: Agent, text: string): Promise<{ id: string; msgId: string }> {
    return this.transitions.reply(id, agent, text);
  }
  note(id: string, agent: Agent, text: string): Promise<{ id: string }> {
    return this.transitions.note(id, agent, text);
  }
  setTier(botId: string, customerId: string, tier: Tier): Promise<void> {
    return this.transitions.setTier(botId, customerId, tier);
  }
  /** The owner read the chat (opened it, or it was open when the customer wrote): unread back to 0. */
  markRead(id: string, agentId: string): Promise<Conversation> {
    return this.transitions.markRead(id, agentId);
  }

  setTags(id: string, tags: string[], opts: { by?: string; manager?: boolean } = {}): Promise<Conversation> {
    return this.transitions.setTags(id, tags, opts);
  }

  // Reads (queries.ts).
  positionOf(id: string, dueAt: number): Promise<number> {
    return this.queries.positionOf(id, dueAt);
  }
  conversation(id: string): Promise<Conversation | null> {
    return this.queries.conversation(id);
  }
  transcript(id: string, opts: { after?: string; count?: number } = {}): Promise<TranscriptMessage[]> {
    return this.queries.transcript(id, opts);
  }
  eventsBetween(botId: string, after: string, until = '+', count = 500): Promise<HandoffEvent[]> {
    return this.queries.eventsBetween(botId, after, until, count);
  }
  listWaiting(limit = 50): Promise<Conversation[]> {
    return this.queries.listWaiting(limit);
  }
  list(status: 'active' | 'awaiting_fix', opts: { limit?: number; assigneeId?: string } = {}): Promise<Conversation[]> {
    return this.queries.list(status, opts);
  }
  /** A page of a v2 list (lists.ts): status, view and filters, with `total` and the `next` cursor. */
  listPage(q: ListQuery): Promise<ListPage> {
    return this.lists.page(q);
  }
  counts(): Promise<QueueCounts> {
    return this.queries.counts();
  }
  slaCounts(scan = 500): Promise<{ atRisk: number; breached: number }> {
    return this.queries.slaCounts(scan);
  }

  // The funnel, ratings and knowledge gaps (counters.ts).
  recordRating(ref: CustomerRef, score: number): Promise<Rating> {
    return this.counters.recordRating(ref, score);
  }
  /** What went wrong, in the customer's words, after a 1-2 rating. */
  recordRatingComment(ref: CustomerRef, text: string): Promise<void> {
    return this.counters.recordRatingComment(ref, text);
  }
  ratings(fromMs: number, toMs: number): Promise<Rating[]> {
    return this.counters.ratings(fromMs, toMs);
  }

  /** One conversation's ratings still in Redis, oldest first (the customer panel; older ones: the archive). */
  conversationRatings(id: string): ReturnType<Counters['conversationRatings']> {
    return this.counters.conversationRatings(id);
  }
  totals(): Promise<Record<string, number>> {
    return this.counters.totals();
  }
  dayCounters(date: string): Promise<Record<string, Record<string, number>>> {
    return this.counters.dayCounters(date);
  }
  faqHits(): Promise<Record<string, number>> {
    return this.counters.faqHits();
  }
  knowledgeGaps(limit = 100): Promise<KnowledgeGap[]> {
    return this.counters.knowledgeGaps(limit);
  }

  // Learning from traffic (learning.ts).
  recordAgentAnswer(id: string, faqId: string): Promise<Evidence | null> {
    return this.learning.recordAgentAnswer(id, faqId);
  }
  learningEvidence(limit?: number): Promise<Evidence[]> {
    return this.learning.evidence(limit);
  }

  // SLA timers (ticker.ts).
  /** Fires due SLA warnings and breaches as events (each once, whoever ticks). Returns how many. */
  async tickSla(): Promise<number> {
    const { warnings, breaches } = await this.tickSlaCounts();
    return warnings + breaches;
  }
  /** tickSla, with what this call fired by kind (for metrics). */
  tickSlaCounts(): Promise<SlaFired> {
    return tickSla(this.ctx, this.registry);
  }
}
