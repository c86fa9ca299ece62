import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { fieldsOf, iso, parseTags, toConversation, toEvent, toMessage } from './convert.ts';
import { fromScriptError } from './errors.ts';
import { checkId, conversationId, createKeys, parseConversationId, type Keys } from './keys.ts';
import { Problems } from './problems.ts';
import { runScript, type ScriptName } from './scripts.ts';
import { checkStreamId, LAST_STREAM_ID } from './stream-id.ts';
import { businessMinutesBetween, queueNotice, slaTimes, type QueueNotice, type SlaPolicy } from './sla.ts';
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

export interface HandoffOptions {
  /** Prefix of every key (several deployments or tests can share one Redis). */
  prefix: string;
  policy: SlaPolicy;
  /** Approximate length the events and outbound streams are trimmed to. */
  streamMaxLen?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /**
   * Tier by rule (e.g. from a WeChat contact tag), used when no manager has set the customer's
   * tier; undefined = standard.
   */
  tierRule?: (ref: CustomerRef) => Tier | undefined;
  /** Tell the customer which agent took the chat (the bot sends `agent_joined`); default false. */
  announceClaims?: boolean;
  logger?: Logger;
}

export interface QueueTicket {
  status: ConversationStatus;
  /** false when the conversation was already waiting or with an agent (nothing changed). */
  queued: boolean;
  /** 1 = next; across every bot account sharing the agents. */
  position: number;
  slaDueAt: string | null;
  /** What the bot needs to tell the customer where they stand. */
  notice: QueueNotice | null;
}

/** A bot account's WeChat login as consoles show it. */
export interface BotStatus {
  status: 'scan' | 'logged_in' | 'logged_out' | 'stopped' | 'error';
  /** What the QR code to scan encodes (status scan): WeChat's login URL. Consoles draw it themselves. */
  qrUrl?: string;
  /** ISO time of the change. */
  at: string;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  awaitingFix: number;
}

const MAX_LIST = 500;
/** Editors read the newest questions the FAQ missed; older ones are trimmed. */
const GAPS_MAX_LEN = 10_000;
const MAX_GAP_CHARS = 500;
/** Day counters are kept a little over a year, for year-on-year reports. */
const DAY_TTL_S = 400 * 24 * 3600;
const DAY_MS = 24 * 3600_000;

/**
 * The handoff between bots and agents, all state in Redis. Each transition is one Lua script
 * (see lua/): it checks the current status, changes the conversation, the queue and the SLA
 * timers, and appends to the transcript and the events stream in one atomic step, so
 * concurrent bots and consoles never see (or leave) a half-done change.
 */
export class Handoff {
  readonly keys: Keys;
  private readonly redis: Redis | Cluster;
  private readonly policy: SlaPolicy;
  private readonly maxLen: number;
  private readonly now: () => number;
  private readonly tierRule?: (ref: CustomerRef) => Tier | undefined;
  private readonly registered = new Set<string>();
  private readonly dayFormat: Intl.DateTimeFormat;
  private readonly announceClaims: boolean;
  /** Known problems and the closed loop (see problems.ts). */
  readonly problems: Problems;

  constructor(redis: Redis | Cluster, opts: HandoffOptions) {
    this.redis = redis;
    this.keys = createKeys(opts.prefix);
    this.policy = opts.policy;
    this.maxLen = opts.streamMaxLen ?? 100_000;
    this.now = opts.now ?? Date.now;
    this.tierRule = opts.tierRule;
    this.announceClaims = opts.announceClaims ?? false;
    // en-CA formats dates as YYYY-MM-DD.
    this.problems = new Problems(redis, this, { now: this.now, streamMaxLen: this.maxLen });
    this.dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: opts.policy.hours.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  /** The business day (YYYY-MM-DD in the business time zone) of an instant. */
  dayOf(ms: number): string {
    return this.dayFormat.format(ms);
  }

  /** Records that a bot account exists, so consoles read its queue and events (done on first write too). */
  async registerBot(botId: string): Promise<void> {
    await this.redis.sadd(this.keys.bots(), botId);
    this.registered.add(botId);
  }

  private async ensureRegistered(botId: string): Promise<void> {
    if (!this.registered.has(botId)) await this.registerBot(botId);
  }

  /** Keeps the bot account's login state (and the QR code to scan) where consoles can read it. */
  async setBotStatus(botId: string, status: BotStatus): Promise<void> {
    const key = this.keys.botStatus(botId);
    await this.ensureRegistered(botId);
    // One slot (the bot's hash tag): atomic in a Redis Cluster too.
    const tx = this.redis.multi();
    tx.del(key);
    tx.hset(key, 'status', status.status, 'at', status.at, ...(status.qrUrl ? ['qrUrl', status.qrUrl] : []));
    // Consoles follow it live: a logout is an alert for admins (the QR itself stays in the hash).
    tx.xadd(this.keys.events(botId), 'MAXLEN', '~', this.maxLen, '*', 'type', 'bot_status', 'conv', '', 'status', status.status, 'at', String(Date.parse(status.at) || this.now()));
    await tx.exec();
  }

  async botStatus(botId: string): Promise<BotStatus | null> {
    const h = await this.redis.hgetall(this.keys.botStatus(botId));
    if (!h.status || !h.at) return null;
    return { status: h.status as BotStatus['status'], at: h.at, ...(h.qrUrl ? { qrUrl: h.qrUrl } : {}) };
  }

  async bots(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.bots())).sort();
  }

  /**
   * Appends a message to the customer's conversation (created on first use). A `msgId` already
   * recorded in this conversation adds nothing and returns the first entry's id.
   */
  async recordMessage(ref: CustomerRef, msg: NewMessage): Promise<{ id: string; conversationId: string; status: ConversationStatus }> {
    const { id, conversationId, status } = await this.recordTurn(ref, msg);
    return { id, conversationId, status };
  }

  /**
   * A customer message and the bot's replies to it in one round trip. The replies are recorded
   * only if the conversation is (still) in `decidedFor` (`repliesRecorded`, also with no
   * replies); otherwise the bot should decide again for `status`. `duplicate`: the message was
   * recorded before, and nothing was written.
   */
  async recordTurn(
    ref: CustomerRef,
    msg: NewMessage,
    turn?: { replies: NewMessage[]; decidedFor: ConversationStatus; outcome?: TurnOutcome },
  ): Promise<{ id: string; conversationId: string; status: ConversationStatus; repliesRecorded: boolean; duplicate: boolean }> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.now();
    await this.ensureRegistered(ref.botId);
    const replies = turn?.replies.length ? JSON.stringify(turn.replies.map((r) => ({ text: r.text, fields: extraFields(r) }))) : '';
    const decidedFor = turn?.decidedFor ?? '';
    const outcome = turn?.outcome;
    const k = this.keys;
    const keys = [
      k.conversation(id),
      k.transcript(id),
      k.events(ref.botId),
      k.msgIds(id),
      k.faqHits(ref.botId),
      k.gaps(ref.botId),
      k.day(ref.botId, this.dayOf(now)),
      k.totals(ref.botId),
    ];
    const [entryId, status, replied, duplicate] = (await this.run('append', id, keys, [
      id,
      ref.botId,
      ref.customerId,
      now,
      msg.from,
      msg.text,
      this.maxLen,
      ref.customerName ?? '',
      decidedFor,
      replies,
      outcome?.type ?? '',
      outcome?.faqId ?? '',
      (outcome?.question ?? '').slice(0, MAX_GAP_CHARS),
      GAPS_MAX_LEN,
      DAY_TTL_S,
      ...flatten(extraFields(msg)),
    ])) as [string, ConversationStatus, number, number];
    return { id: entryId, conversationId: id, status, repliesRecorded: replied === 1, duplicate: duplicate === 1 };
  }

  /**
   * Puts the conversation in the human queue, its SLA due time computed in business time
   * from the customer's tier. Asking again while waiting or with an agent changes nothing.
   */
  async requestHuman(ref: CustomerRef, opts: { reason: HandoffReason; question?: string }): Promise<QueueTicket> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.now();
    await this.ensureRegistered(ref.botId);
    const tier = await this.tierOf(ref);
    const times = slaTimes(now, tier, this.policy);
    const question = (opts.question ?? '').split('\n')[0]!.slice(0, 200);
    const k = this.keys;
    const [status, , due, changed] = (await this.run(
      'enqueue',
      id,
      [
        k.conversation(id),
        k.transcript(id),
        k.queue(ref.botId),
        k.slaTimers(ref.botId),
        k.events(ref.botId),
        k.customer(ref.botId, ref.customerId),
        k.parked(ref.botId),
      ],
      [id, ref.botId, ref.customerId, now, opts.reason, times.dueAt, times.warnAt, tier, question, this.maxLen],
    )) as [ConversationStatus, number, string, number];
    if (changed === 1) {
      // Counted apart from the script (handoffs are rare next to messages): the funnel's handoffs by reason.
      const tx = this.redis.multi();
      this.count(tx, ref.botId, now, { [`handoff:${opts.reason}`]: 1 });
      await tx.exec();
    }
    if (status !== 'waiting') return { status, queued: false, position: 0, slaDueAt: iso(due), notice: null };
    const dueAt = Number(due);
    const position = await this.positionOf(id, dueAt);
    const ticketTimes = changed ? times : { ...times, dueAt, startedAt: now };
    return {
      status,
      queued: changed === 1,
      position,
      slaDueAt: iso(due),
      notice: queueNotice(now, position, ticketTimes, this.policy.hours),
    };
  }

  /** 1-based place among every waiting conversation of every bot account (earlier due first). */
  async positionOf(id: string, dueAt: number): Promise<number> {
    const bots = await this.bots();
    const ahead = await Promise.all(bots.map((botId) => this.redis.zcount(this.keys.queue(botId), '-inf', `(${dueAt}`)));
    return ahead.reduce((a, b) => a + b, 0) + 1;
  }

  async conversation(id: string): Promise<Conversation | null> {
    const h = await this.redis.hgetall(this.keys.conversation(id));
    return h.status ? toConversation(h) : null;
  }

  /** Transcript entries after `after` (exclusive; default from the start), oldest first. */
  async transcript(id: string, opts: { after?: string; count?: number } = {}): Promise<TranscriptMessage[]> {
    if (opts.after && checkStreamId(opts.after) === LAST_STREAM_ID) return [];
    const start = opts.after ? `(${opts.after}` : '-';
    const entries = await this.redis.xrange(this.keys.transcript(id), start, '+', 'COUNT', opts.count ?? 1000);
    return entries.map(([entryId, flat]) => toMessage(entryId, fieldsOf(flat)));
  }

  /** A bot account's events after `after` (exclusive) up to `until` (inclusive), oldest first. */
  async eventsBetween(botId: string, after: string, until = '+', count = 500): Promise<HandoffEvent[]> {
    if (checkStreamId(after, { seqOptional: true }) === LAST_STREAM_ID) return [];
    const entries = await this.redis.xrange(this.keys.events(botId), `(${after}`, until, 'COUNT', count);
    return entries.map(([id, flat]) => toEvent(botId, id, flat));
  }

  /** The most urgent waiting conversations of all bot accounts, by SLA due time. */
  async listWaiting(limit = 50): Promise<Conversation[]> {
    const n = Math.min(Math.max(limit, 1), MAX_LIST);
    const ranked: { id: string; due: number }[] = [];
    const pages = await Promise.all((await this.bots()).map((botId) => this.redis.zrange(this.keys.queue(botId), '0', String(n - 1), 'WITHSCORES')));
    for (const flat of pages) {
      for (let i = 0; i + 1 < flat.length; i += 2) ranked.push({ id: flat[i]!, due: Number(flat[i + 1]) });
    }
    ranked.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));
    return this.load(ranked.slice(0, n).map((r) => r.id));
  }

  /** Conversations with an agent (optionally one agent's) or parked on a problem, newest first. */
  async list(status: 'active' | 'awaiting_fix', opts: { limit?: number; assigneeId?: string } = {}): Promise<Conversation[]> {
    const n = Math.min(Math.max(opts.limit ?? 100, 1), MAX_LIST);
    const pages = await Promise.all(
      (await this.bots()).map((botId) => this.redis.zrevrange(status === 'active' ? this.keys.active(botId) : this.keys.parked(botId), 0, n - 1)),
    );
    const ids = pages.flat();
    const convs = (await this.load(ids)).filter((c) => !opts.assigneeId || c.assignee?.id === opts.assigneeId);
    return convs.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, n);
  }

  async counts(): Promise<QueueCounts> {
    const c: QueueCounts = { waiting: 0, active: 0, awaitingFix: 0 };
    for (const botId of await this.bots()) {
      const [w, a, p] = await Promise.all([
        this.redis.zcard(this.keys.queue(botId)),
        this.redis.zcard(this.keys.active(botId)),
        this.redis.zcard(this.keys.parked(botId)),
      ]);
      c.waiting += w;
      c.active += a;
      c.awaitingFix += p;
    }
    return c;
  }

  /**
   * Waiting conversations past their SLA due time (breached) and past the warning point but not
   * yet due (at risk). At risk is counted among the `scan` most urgent not yet due per bot account,
   * enough for a dashboard: the queue is ordered by due time, and warnings come shortly before it.
   */
  async slaCounts(scan = 500): Promise<{ atRisk: number; breached: number }> {
    const now = this.now();
    const perBot = await Promise.all(
      (await this.bots()).map(async (botId) => {
        const queue = this.keys.queue(botId);
        const [breached, upcoming] = await Promise.all([
          this.redis.zcount(queue, '-inf', now),
          this.redis.zrangebyscore(queue, `(${now}`, '+inf', 'LIMIT', 0, scan),
        ]);
        const warns = await Promise.all(upcoming.map((id) => this.redis.hget(this.keys.conversation(id), 'slaWarnAt')));
        return { breached, atRisk: warns.filter((w) => w !== null && Number(w) <= now).length };
      }),
    );
    return perBot.reduce((a, b) => ({ atRisk: a.atRisk + b.atRisk, breached: a.breached + b.breached }), { atRisk: 0, breached: 0 });
  }

  /**
   * Exactly one agent wins: the others get HandoffError CONFLICT naming the owner. With
   * `announceClaims` the customer is told who joined (a `joined` notice through the bot).
   */
  async claim(id: string, agent: Agent): Promise<Conversation> {
    const { botId, customerId } = parseConversationId(id);
    checkId('agent id', agent.id);
    const k = this.keys;
    await this.run(
      'claim',
      id,
      [k.conversation(id), k.transcript(id), k.queue(botId), k.slaTimers(botId), k.active(botId), k.events(botId), k.outbound(botId)],
      [id, agent.id, agent.name, this.now(), this.maxLen, customerId, this.announceClaims ? randomUUID() : '', this.maxLen],
    );
    return this.mustGet(id);
  }

  /** `expectedOwner` guards against transferring a chat someone else took meanwhile; omit for a manager's override. */
  async transfer(id: string, to: Agent, opts: { expectedOwner?: string } = {}): Promise<Conversation> {
    const { botId } = parseConversationId(id);
    checkId('agent id', to.id);
    await this.run('transfer', id, [this.keys.conversation(id), this.keys.transcript(id), this.keys.events(botId)], [
      id,
      opts.expectedOwner ?? '',
      to.id,
      to.name,
      this.now(),
      this.maxLen,
    ]);
    return this.mustGet(id);
  }

  /**
   * Back to the queue, keeping the original SLA due time. `by` (default the expected owner): who
   * releases; the same agent releasing again while it still waits is a retry, answered as done.
   */
  async release(id: string, opts: { expectedOwner?: string; by?: string } = {}): Promise<Conversation> {
    const { botId, customerId } = parseConversationId(id);
    const now = this.now();
    const times = slaTimes(now, await this.tierOf({ botId, customerId }), this.policy);
    const k = this.keys;
    await this.run('release', id, [k.conversation(id), k.transcript(id), k.queue(botId), k.slaTimers(botId), k.active(botId), k.events(botId)], [
      id,
      opts.expectedOwner ?? '',
      now,
      times.dueAt,
      times.warnAt,
      this.maxLen,
      opts.by ?? opts.expectedOwner ?? '',
    ]);
    return this.mustGet(id);
  }

  /**
   * Closes the chat. With `expectedOwner` only that agent's chat (a waiting one is nobody's:
   * NOT_ASSIGNEE; someone else's: CONFLICT); without, anyone's (a manager). The customer is asked
   * for a rating only if an agent replied in this handoff, and never with `rate: false` (spam).
   * `by` resolving again what `by` resolved is a retry: nothing changes, nothing is sent twice.
   */
  async resolve(id: string, opts: { by: string; expectedOwner?: string; rate?: boolean }): Promise<Conversation> {
    const { botId, customerId } = parseConversationId(id);
    const k = this.keys;
    const now = this.now();
    await this.run(
      'resolve',
      id,
      [
        k.conversation(id),
        k.transcript(id),
        k.queue(botId),
        k.slaTimers(botId),
        k.active(botId),
        k.parked(botId),
        k.events(botId),
        k.outbound(botId),
        k.day(botId, this.dayOf(now)),
        k.totals(botId),
      ],
      [id, opts.by, now, opts.expectedOwner ?? '', this.maxLen, customerId, randomUUID(), this.maxLen, opts.rate === false ? '0' : '1', DAY_TTL_S],
    );
    return this.mustGet(id);
  }

  async park(id: string, opts: { problemId: string; by: string }): Promise<Conversation> {
    const { botId } = parseConversationId(id);
    const k = this.keys;
    await this.run(
      'park',
      id,
      [k.conversation(id), k.transcript(id), k.queue(botId), k.slaTimers(botId), k.active(botId), k.parked(botId), k.events(botId)],
      [id, opts.problemId, opts.by, this.now(), this.maxLen],
    );
    return this.mustGet(id);
  }

  /** The assignee's reply: into the transcript and onto the bot's outbound stream together. */
  async reply(id: string, agent: Agent, text: string): Promise<{ id: string; msgId: string }> {
    const { botId, customerId } = parseConversationId(id);
    checkId('agent id', agent.id);
    const msgId = randomUUID();
    const k = this.keys;
    const now = this.now();
    const [entryId, first] = (await this.run('reply', id, [k.conversation(id), k.transcript(id), k.outbound(botId), k.events(botId), k.msgIds(id)], [
      id,
      agent.id,
      agent.name,
      text,
      now,
      msgId,
      customerId,
      this.maxLen,
      this.maxLen,
    ])) as [string, number];
    if (first === 1) await this.countFirstResponse(id, botId, now);
    return { id: entryId, msgId };
  }

  /** The funnel's first-response time (in business minutes) and SLA met, counted once per handoff. */
  private async countFirstResponse(id: string, botId: string, now: number): Promise<void> {
    const [since, due] = await this.redis.hmget(this.keys.conversation(id), 'waitingSince', 'slaDueAt');
    if (!since) return;
    const minutes = Math.round(businessMinutesBetween(Number(since), now, this.policy.hours));
    const tx = this.redis.multi();
    this.count(tx, botId, now, { 'fr:count': 1, 'fr:minutes': minutes, ...(due && now <= Number(due) ? { 'fr:met': 1 } : {}) });
    await tx.exec();
  }

  /** Adds `fields` to the bot account's counters of the day of `now` and of all time (in `tx`). */
  private count(tx: ChainableCommander, botId: string, now: number, fields: Record<string, number>): void {
    const day = this.keys.day(botId, this.dayOf(now));
    for (const key of [day, this.keys.totals(botId)]) for (const [field, n] of Object.entries(fields)) tx.hincrby(key, field, n);
    tx.expire(day, DAY_TTL_S);
  }

  /** A private note: in the transcript for agents, never sent to the customer. */
  async note(id: string, agent: Agent, text: string): Promise<{ id: string }> {
    const ref = parseConversationId(id);
    if (!(await this.conversation(id))) throw fromScriptError(new Error('NOT_FOUND'), id);
    const { id: entryId } = await this.recordMessage(ref, { from: 'note', text, agentId: agent.id, agentName: agent.name });
    return { id: entryId };
  }

  /** A manager's decision (over any rule): applies to this customer's next handoffs. */
  async setTier(botId: string, customerId: string, tier: Tier): Promise<void> {
    const id = conversationId(botId, customerId);
    const k = this.keys;
    const tx = this.redis.multi();
    tx.hset(k.customer(botId, customerId), 'tier', tier);
    if (await this.redis.exists(k.conversation(id))) tx.hset(k.conversation(id), 'tier', tier);
    tx.xadd(k.events(botId), 'MAXLEN', '~', this.maxLen, '*', 'type', 'tier', 'conv', id, 'tier', tier, 'at', String(this.now()));
    await tx.exec();
  }

  /**
   * Replaces the tags. `by` (an agent who is not a manager) is held to the owner's rules: a chat
   * someone owns (active or parked: its assignee; resolved: who resolved it) is theirs to tag,
   * NOT_ASSIGNEE for anyone else; a chat nobody owns (bot, waiting, parked from the queue) is open to
   * every agent. `manager` (or no `by`) may tag any chat.
   */
  async setTags(id: string, tags: string[], opts: { by?: string; manager?: boolean } = {}): Promise<Conversation> {
    const { botId } = parseConversationId(id);
    const clean = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
    const k = this.keys;
    const held = opts.by && !opts.manager ? opts.by : '';
    await this.run('tags', id, [k.conversation(id), k.events(botId)], [id, JSON.stringify(clean), this.now(), this.maxLen, held, opts.by ?? '']);
    return this.mustGet(id);
  }

  /**
   * A customer's 1-5 rating after a resolve, kept with who served them and what it was about (the
   * conversation's tags and the last FAQ entry the bot answered with) for satisfaction by category
   * and channel. A 1 or 2 flags the conversation for a manager (and is announced live).
   */
  async recordRating(ref: CustomerRef, score: number): Promise<Rating> {
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new RangeError(`a rating is 1-5, not ${score}`);
    const id = conversationId(ref.botId, ref.customerId);
    const k = this.keys;
    const now = this.now();
    const [conv, recent] = await Promise.all([this.redis.hmget(k.conversation(id), 'resolvedBy', 'tags'), this.redis.xrevrange(k.transcript(id), '+', '-', 'COUNT', 200)]);
    const [agentId, tags] = conv;
    const faqId = recent.map(([, flat]) => fieldsOf(flat)).find((f) => f.from === 'bot' && f.faqId)?.faqId ?? '';
    const tx = this.redis.multi();
    tx.xadd(k.ratings(ref.botId), 'MAXLEN', '~', this.maxLen, '*', 'conv', id, 'score', score, 'agentId', agentId ?? '', 'tags', tags ?? '[]', 'faqId', faqId, 'at', now);
    this.count(tx, ref.botId, now, { 'csat:count': 1, 'csat:sum': score, [`csat:${score}`]: 1 });
    if (score <= 2) {
      tx.hset(k.conversation(id), 'lowRating', score);
      tx.zadd(k.flagged(ref.botId), now, id);
      tx.xadd(k.events(ref.botId), 'MAXLEN', '~', this.maxLen, '*', 'type', 'low_rating', 'conv', id, 'score', score, 'at', now);
    }
    await tx.exec();
    return { conv: id, botId: ref.botId, score, agentId: agentId || null, tags: parseTags(tags), faqId: faqId || null, at: iso(String(now))! };
  }

  /** Ratings of every bot account in [fromMs, toMs), oldest first. */
  async ratings(fromMs: number, toMs: number): Promise<Rating[]> {
    const pages = await Promise.all(
      (await this.bots()).map(async (botId) => {
        // Entry ids are Redis's clock, `at` is the handoff's (the same in production, not under a
        // test clock): read from a day before the range and keep by `at`. Ratings are few.
        const entries = await this.redis.xrange(this.keys.ratings(botId), String(Math.max(0, Math.floor(fromMs) - DAY_MS)), '+');
        return entries
          .map(([, flat]) => fieldsOf(flat))
          .filter((f) => Number(f.at) >= fromMs && Number(f.at) < toMs)
          .map((f): Rating => ({ conv: f.conv ?? '', botId, score: Number(f.score), agentId: f.agentId || null, tags: parseTags(f.tags), faqId: f.faqId || null, at: iso(f.at) ?? '' }));
      }),
    );
    return pages.flat().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** The all-time counters, summed over every bot account (conversations, out:*, handoff:*, csat:*). */
  async totals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const all = await Promise.all((await this.bots()).map((botId) => this.redis.hgetall(this.keys.totals(botId))));
    for (const h of all) for (const [field, n] of Object.entries(h)) out[field] = (out[field] ?? 0) + Number(n);
    return out;
  }

  /** One business day's counters per bot account (the funnel), 'YYYY-MM-DD'. */
  async dayCounters(date: string): Promise<Record<string, Record<string, number>>> {
    const bots = await this.bots();
    const all = await Promise.all(bots.map((botId) => this.redis.hgetall(this.keys.day(botId, date))));
    return Object.fromEntries(bots.map((botId, i) => [botId, Object.fromEntries(Object.entries(all[i]!).map(([f, n]) => [f, Number(n)]))]));
  }

  /** How often the bot answered with each FAQ entry, over every bot account. */
  async faqHits(): Promise<Record<string, number>> {
    const hits: Record<string, number> = {};
    const all = await Promise.all((await this.bots()).map((botId) => this.redis.hgetall(this.keys.faqHits(botId))));
    for (const h of all) for (const [faqId, n] of Object.entries(h)) hits[faqId] = (hits[faqId] ?? 0) + Number(n);
    return hits;
  }

  /** The newest questions the FAQ did not answer (or whose answer did not help), over every bot account. */
  async knowledgeGaps(limit = 100): Promise<KnowledgeGap[]> {
    const n = Math.min(Math.max(limit, 1), MAX_LIST);
    const bots = await this.bots();
    const pages = await Promise.all(bots.map((botId) => this.redis.xrevrange(this.keys.gaps(botId), '+', '-', 'COUNT', n)));
    const gaps = pages.flat().map(([id, flat]): KnowledgeGap => {
      const f = fieldsOf(flat);
      return {
        id,
        conv: f.conv ?? '',
        reason: f.reason === 'not_helpful' ? 'not_helpful' : 'unanswered',
        text: f.text ?? '',
        faqId: f.faqId || null,
        at: iso(f.at) ?? '',
      };
    });
    return gaps.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, n);
  }

  /** Fires due SLA warnings and breaches as events (each once, whoever ticks). Returns how many. */
  async tickSla(): Promise<number> {
    const { warnings, breaches } = await this.tickSlaCounts();
    return warnings + breaches;
  }

  /** tickSla, with what this call fired by kind (for metrics). */
  async tickSlaCounts(): Promise<{ warnings: number; breaches: number }> {
    const fired = { warnings: 0, breaches: 0 };
    for (const botId of await this.bots()) {
      const [w, b] = (await runScript(this.redis, 'sla-tick', [this.keys.slaTimers(botId), this.keys.events(botId)], [this.now(), 500, this.maxLen])) as [number, number];
      fired.warnings += w;
      fired.breaches += b;
    }
    return fired;
  }

  /** A manager's decision first, then the rule, then standard. */
  private async tierOf(ref: CustomerRef): Promise<Tier> {
    const set = await this.redis.hget(this.keys.customer(ref.botId, ref.customerId), 'tier');
    if (set === 'vip' || set === 'standard') return set;
    return this.tierRule?.(ref) ?? 'standard';
  }

  /** The conversations of `ids`, in that order: one pipeline per bot account (its keys share a slot). */
  private async load(ids: string[]): Promise<Conversation[]> {
    const byBot = new Map<string, number[]>();
    ids.forEach((id, i) => {
      const { botId } = parseConversationId(id);
      byBot.set(botId, [...(byBot.get(botId) ?? []), i]);
    });
    const hashes: Record<string, string>[] = new Array(ids.length);
    await Promise.all(
      [...byBot.values()].map(async (indexes) => {
        const pipe = this.redis.pipeline();
        for (const i of indexes) pipe.hgetall(this.keys.conversation(ids[i]!));
        const results = (await pipe.exec()) ?? [];
        results.forEach(([err, h], j) => {
          if (err) throw err;
          hashes[indexes[j]!] = h as Record<string, string>;
        });
      }),
    );
    return hashes.filter((h) => h?.status).map(toConversation);
  }

  private async mustGet(id: string): Promise<Conversation> {
    const c = await this.conversation(id);
    if (!c) throw fromScriptError(new Error('NOT_FOUND'), id);
    return c;
  }

  private async run(name: ScriptName, convId: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await runScript(this.redis, name, keys, args);
    } catch (err) {
      throw fromScriptError(err, convId);
    }
  }
}

/** A customer's rating as reports read it. */
export interface Rating {
  conv: string;
  botId: string;
  score: number;
  agentId: string | null;
  tags: string[];
  faqId: string | null;
  at: string;
}

/** The optional transcript fields of a message. */
function extraFields(msg: NewMessage): Record<string, string> {
  const f: Record<string, string> = {};
  if (msg.faqId) f.faqId = msg.faqId;
  if (msg.confidence !== undefined) f.confidence = String(msg.confidence);
  for (const key of ['kind', 'url', 'msgId', 'agentId', 'agentName'] as const) if (msg[key]) f[key] = msg[key];
  return f;
}

const flatten = (f: Record<string, string>): string[] => Object.entries(f).flat();
