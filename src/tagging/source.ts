/**
 * Where the model's history comes from: conversations agents tagged, live in Redis (every bot
 * account's conversation hashes, read as the archiver reads them) and, when the console has the
 * archive, those that left Redis for PostgreSQL. Tags the system applied itself are not labels:
 * learning from its own guesses would only make the model surer of them.
 */
import type { Cluster, Redis } from 'ioredis';
import { readConversations, scanConversations } from '../archive/source.ts';
import { parseTags } from '../handoff/convert.ts';
import type { Keys } from '../handoff/keys.ts';
import type { LabelledConversation, TaggingInput } from './features.ts';

type Client = Redis | Cluster;

/** A transcript message as far as tagging reads it (the handoff's and the archive's both fit). */
export interface MessageLike {
  from: string;
  text: string;
  faqId?: string | null;
  kind?: string | null;
}

/** Customer and agent text and the FAQ entries touched, from a transcript. */
export function inputOf(messages: readonly MessageLike[]): TaggingInput {
  const customer: string[] = [];
  const agent: string[] = [];
  const faqIds = new Set<string>();
  for (const m of messages) {
    if (m.faqId) faqIds.add(m.faqId);
    if (m.from === 'customer' && !m.kind && m.text) customer.push(m.text);
    else if (m.from === 'agent' && m.text) agent.push(m.text);
  }
  return { customer, agent, faqIds: [...faqIds] };
}

/** What the archive gives (src/archive, when DATABASE_URL is set): tagged conversations that left Redis. */
export interface TaggedArchive {
  taggedConversations(limit: number): Promise<{ id: string; tags: string[]; messages: MessageLike[] }[]>;
}

export interface HistoryOptions {
  /** At most this many conversations (the newest Redis holds first; then the archive's). */
  limit: number;
  /** Conversation id -> tags applied automatically (not labels). */
  applied: ReadonlyMap<string, readonly string[]>;
  archive?: TaggedArchive;
  onArchiveError?: (err: unknown) => void;
}

const labelled = (id: string, tags: readonly string[], messages: readonly MessageLike[], applied: HistoryOptions['applied']): LabelledConversation | null => {
  const auto = new Set(applied.get(id) ?? []);
  const own = tags.filter((t) => !auto.has(t));
  return own.length ? { id, tags: own, ...inputOf(messages) } : null;
};

/** The tagged conversations of every bot account, Redis first, then the archive (a conversation once). */
export async function readHistory(redis: Client, keys: Keys, bots: readonly string[], o: HistoryOptions): Promise<LabelledConversation[]> {
  const out = new Map<string, LabelledConversation>();
  for (const botId of bots) {
    for await (const ids of scanConversations(redis, keys, botId)) {
      if (out.size >= o.limit) break;
      const tagged = await redis.pipeline(ids.map((id) => ['hget', keys.conversation(id), 'tags'])).exec();
      const withTags = ids.filter((_, i) => parseTags((tagged?.[i]?.[1] as string | null) ?? null).length > 0);
      for (const c of await readConversations(redis, keys, withTags.map((id) => ({ id, after: '' })))) {
        const l = labelled(c.id, parseTags(c.hash.tags), c.messages.map(([, f]) => ({ from: f.from ?? '', text: f.text ?? '', faqId: f.faqId, kind: f.kind })), o.applied);
        if (l && out.size < o.limit) out.set(l.id, l);
      }
    }
  }
  if (o.archive && out.size < o.limit) {
    // PostgreSQL down: Redis's history alone (a smaller model beats none; the next training reads it again).
    const archived = await o.archive.taggedConversations(o.limit).catch((err: unknown) => {
      o.onArchiveError?.(err);
      return [];
    });
    for (const c of archived) {
      if (out.size >= o.limit) break;
      if (out.has(c.id)) continue;
      const l = labelled(c.id, c.tags, c.messages, o.applied);
      if (l) out.set(l.id, l);
    }
  }
  // In id order: SCAN's order follows the keys' hash layout (another prefix, another order), and
  // the seeded SGD would then learn a different model from the same history.
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
