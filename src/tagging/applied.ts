/**
 * Which records of automatically applied tags are still needed, and the rest dropped: the record
 * would otherwise grow by every conversation a tag was ever applied to. A record is read for two
 * things only:
 *  - "at most once per conversation" (service.ts suggest): an agent who removed an applied tag
 *    keeps it removed. Only a conversation still in Redis gets suggestions, so its record stays as
 *    long as its conversation does (the archive's retention, ARCHIVE_AFTER_DAYS, decides that);
 *  - training keeps applied tags out of the labels (source.ts). A conversation that left Redis is
 *    read back from the archive, newest first and at most `historyLimit` of them; so of the records
 *    whose conversation left, the newest `historyLimit` are kept, the older ones dropped.
 * Run under the training lock, once per training (daily); between trainings the hard cap in
 * store.ts (mark-applied) holds.
 */
import type { Cluster, Redis } from 'ioredis';
import { parseConversationId, type Keys } from '../handoff/keys.ts';
import type { AppliedRecord, TaggingStore } from './store.ts';

/** Conversations checked per pipeline (one bot account's: its keys share a slot). */
const CHUNK = 1_000;

export interface PruneResult {
  /** Records whose conversation is still in Redis. */
  live: number;
  /** Records kept although their conversation left (the training's archive window). */
  keptGone: number;
  dropped: number;
}

/** The ids of `ids` whose conversation hash exists (a malformed id has none). */
export async function liveConversations(redis: Redis | Cluster, keys: Keys, ids: readonly string[]): Promise<Set<string>> {
  const byBot = new Map<string, string[]>();
  for (const id of ids) {
    let botId: string;
    try {
      botId = parseConversationId(id).botId;
    } catch {
      continue;
    }
    const group = byBot.get(botId);
    if (group) group.push(id);
    else byBot.set(botId, [id]);
  }
  const live = new Set<string>();
  for (const group of byBot.values()) {
    for (let i = 0; i < group.length; i += CHUNK) {
      const slice = group.slice(i, i + CHUNK);
      const got = (await redis.pipeline(slice.map((id) => ['exists', keys.conversation(id)])).exec()) ?? [];
      got.forEach(([err, n], j) => {
        if (err) throw err;
        if (Number(n) > 0) live.add(slice[j]!);
      });
    }
  }
  return live;
}

export async function pruneApplied(
  redis: Redis | Cluster,
  keys: Keys,
  store: TaggingStore,
  records: readonly AppliedRecord[],
  o: { keepGone: number; now: number },
): Promise<PruneResult> {
  const live = await liveConversations(redis, keys, records.map((r) => r.id));
  // Newest first; a record from before the index has no time and counts as the oldest.
  const gone = records.filter((r) => !live.has(r.id)).sort((a, b) => (b.at ?? -1) - (a.at ?? -1) || (a.id < b.id ? -1 : 1));
  const drop = gone.slice(Math.max(0, o.keepGone));
  const dropped = await store.forgetApplied(drop);
  const dropping = new Set(drop.map((r) => r.id));
  await store.stampApplied(records.filter((r) => r.at === null && !dropping.has(r.id)).map((r) => r.id), o.now);
  return { live: live.size, keptGone: gone.length - drop.length, dropped };
}
