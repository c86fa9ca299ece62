import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { run } from './scripts.ts';

/** The outbound consumer's scripts (ack-2.lua, pending-2.lua): delivered ids and pending entries. */
type Client = Redis | Cluster;

/** ack-2.lua: an outbound message was delivered: remember its id and acknowledge the entry. Returns how many were acknowledged. */
export async function ack(
  redis: Client,
  k: Keys,
  a: { botId: string; group: string; entryId: string; msgId: string; now: number; /** How long delivered ids are remembered (ms). */ rememberMs: number },
): Promise<number> {
  const { group, entryId, msgId, now, rememberMs } = a;
  return Number(await run(redis, 'ack', [k.outbound(a.botId), k.delivered(a.botId)], { group, entryId, msgId, now, rememberMs }));
}

/** One of the outbound consumer's pending entries (pending-2.lua): fields null when trimmed away (already acknowledged). */
export interface PendingEntry {
  entryId: string;
  fields: string[] | null;
  /** Its message id is in the delivered set: acknowledge it, do not send it again. */
  delivered: boolean;
}

/** pending-2.lua: up to `count` of `consumer`'s pending entries after `after`, each with its dedupe look-up. */
export async function pending(
  redis: Client,
  k: Keys,
  a: { botId: string; group: string; consumer: string; count: number; after: string },
): Promise<PendingEntry[]> {
  const { group, consumer, count, after } = a;
  const raw = await run(redis, 'pending', [k.outbound(a.botId), k.delivered(a.botId)], { group, consumer, count, after });
  if (!Array.isArray(raw) || raw.length % 3 !== 0) throw new Error(`pending answered ${JSON.stringify(raw).slice(0, 200)}`);
  const out: PendingEntry[] = [];
  for (let i = 0; i < raw.length; i += 3) {
    const fields = raw[i + 1] as unknown;
    out.push({ entryId: String(raw[i]), fields: Array.isArray(fields) ? fields.map(String) : null, delivered: raw[i + 2] === 1 });
  }
  return out;
}
