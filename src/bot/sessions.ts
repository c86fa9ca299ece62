/**
 * The bot's memory of each chat (Session: the numbers just offered, a pending "有帮助吗", a
 * low rating's follow-up window, whether the customer was greeted) outlives a restart: a bot
 * process that stops leaves it in Redis for the next one, which takes each customer's back when
 * that customer next writes. Without it a deploy in the middle of a "did you mean" turned the
 * customer's "2" into "回复列表里的数字" and dropped a 1-2 rating's follow-up.
 *
 * Kept apart from the turn's Redis script: a stop is rare and a turn is not, so the turn stays one
 * round trip. A process killed outright leaves nothing (the chats go on without their memory, as
 * before); a Wechaty re-login, whose contact ids all change, keeps the memory in this process.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HANDOFF_REASONS, type CustomerRef, type Keys } from '../handoff/index.ts';
import type { Session } from './types.ts';

/**
 * A memory left longer ago than this is not taken back (and the hash expires): a customer back
 * the next day starts afresh, as one who wrote to a process that never stopped nearly would.
 */
export const SESSION_KEEP_MS = 12 * 3_600_000;

const sessionSchema = z.object({
  offered: z.array(z.string().max(200)).max(50).optional(),
  suggested: z.boolean().optional(),
  listsInRow: z.number().int().min(0).max(100).optional(),
  unsureList: z.boolean().optional(),
  rephrased: z.boolean().optional(),
  offeredFrom: z.number().int().min(0).max(100).optional(),
  feedbackFor: z.string().max(200).optional(),
  answered: z.array(z.string().max(200)).max(50).optional(),
  rejected: z.string().max(200).optional(),
  waitAckAt: z.number().optional(),
  placeAt: z.number().optional(),
  waitSorryAt: z.number().optional(),
  excerpted: z.string().max(2000).optional(),
  pointedAbove: z.boolean().optional(),
  linesInQueue: z.array(z.string().max(2000)).max(50).optional(),
  placeTold: z.number().int().min(0).max(10_000).optional(),
  complainedAt: z.number().optional(),
  leaveAskedAt: z.number().optional(),
  leaveAsked: z.boolean().optional(),
  waitingAnswered: z.boolean().optional(),
  answeredInQueue: z.array(z.string().max(200)).max(50).optional(),
  leftQueue: z.boolean().optional(),
  justLeft: z.boolean().optional(),
  question: z.string().max(2_000).optional(),
  context: z.string().max(200).optional(),
  humanOffered: z.boolean().optional(),
  offerReason: z.enum(HANDOFF_REASONS).optional(),
  fixNoticeSent: z.boolean().optional(),
  greeted: z.boolean().optional(),
  englishNoted: z.boolean().optional(),
  ratingFollowUp: z.number().int().min(1).max(5).optional(),
  ratingFollowUpUntil: z.number().optional(),
  commentUntil: z.number().optional(),
  rated: z.boolean().optional(),
  ratingAsked: z.boolean().optional(),
});
const savedSchema = z.object({ at: z.number(), session: sessionSchema });

/** True when the session holds something worth keeping. */
export const hasMemory = (s: Session): boolean => Object.values(s).some((v) => v !== undefined && v !== false);

/** Memories taken back from a stopped process (or a re-login), by customer id, each once. */
export class SessionMemory {
  private readonly kept = new Map<string, { at: number; session: Session }>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.kept.size;
  }

  keep(customerId: string, session: Session, at = this.now()): void {
    if (hasMemory(session)) this.kept.set(customerId, { at, session });
  }

  /** The customer's memory if one is kept and fresh; gone from here either way. */
  take(customerId: string): Session | undefined {
    const m = this.kept.get(customerId);
    if (!m) return undefined;
    this.kept.delete(customerId);
    return this.now() - m.at <= SESSION_KEEP_MS ? m.session : undefined;
  }

  /** Every memory still kept (those not taken go back to Redis with the rest at the next stop). */
  entries(): [string, { at: number; session: Session }][] {
    return [...this.kept];
  }
}

export interface SessionStoreOptions {
  redis: Redis | Cluster;
  keys: Keys;
  botId: string;
  logger?: Logger;
  now?: () => number;
}

/** The Redis side: one hash per bot account, written at a stop and read at the next start. */
export class SessionStore {
  constructor(private readonly o: SessionStoreOptions) {}

  /** Leaves the memories for the next process (one round trip); false when Redis did not take them. */
  async save(memories: Iterable<[string, { at: number; session: Session }]>): Promise<boolean> {
    const key = this.o.keys.botSessions(this.o.botId);
    const flat: string[] = [];
    for (const [customerId, m] of memories) flat.push(customerId, JSON.stringify(m));
    if (flat.length === 0) return true;
    try {
      await this.o.redis.multi().hset(key, ...flat).pexpire(key, SESSION_KEEP_MS).exec();
      return true;
    } catch (err) {
      this.o.logger?.warn({ err, sessions: flat.length / 2 }, 'could not leave the chats\' memory for the next start');
      return false;
    }
  }

  /** What an earlier process left (fresh ones only, unreadable ones skipped), into `memory`. */
  async load(memory: SessionMemory): Promise<number> {
    const now = (this.o.now ?? Date.now)();
    const raw = await this.o.redis.hgetall(this.o.keys.botSessions(this.o.botId));
    let taken = 0;
    for (const [customerId, json] of Object.entries(raw)) {
      let parsed: z.infer<typeof savedSchema> | undefined;
      try {
        parsed = savedSchema.parse(JSON.parse(json));
      } catch {
        this.o.logger?.warn({ customerId }, 'a chat memory left by an earlier process is unreadable; skipped');
        continue;
      }
      if (now - parsed.at > SESSION_KEEP_MS) continue;
      memory.keep(customerId, parsed.session, parsed.at);
      taken++;
    }
    return taken;
  }
}

/** What of a customer's state the memory reads and writes. */
export interface Recallable {
  session: Session;
  refValue?: CustomerRef;
  /** This process has looked for the customer's memory already. */
  recalled?: boolean;
}

/**
 * Before a customer's first turn in this process: their memory from before a restart or a re-login,
 * if one is kept. `identify` is the customer's id (undefined when it cannot be had soon: the turn
 * goes on without the memory rather than wait for it).
 */
export async function recall(st: Recallable, memory: SessionMemory, identify: () => Promise<string | undefined>): Promise<void> {
  if (st.recalled) return;
  st.recalled = true;
  if (memory.size === 0) return;
  const customerId = st.refValue?.customerId ?? (await identify());
  const kept = customerId === undefined ? undefined : memory.take(customerId);
  if (kept && !hasMemory(st.session)) st.session = kept;
}

/** The memories to leave at a stop: every customer this process knows by id, and those kept and not yet taken. */
export function memoriesOf(states: Iterable<Recallable>, memory: SessionMemory, now = Date.now()): [string, { at: number; session: Session }][] {
  const out = new Map(memory.entries());
  for (const st of states) {
    if (st.refValue && hasMemory(st.session)) out.set(st.refValue.customerId, { at: now, session: st.session });
  }
  return [...out];
}
