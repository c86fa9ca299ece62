import type { Cluster, Redis } from 'ioredis';
import { parseConversationId, type Keys } from '../handoff/keys.ts';
import { luaScripts } from '../lua.ts';

/**
 * The archiver's Lua scripts (./lua/<name>-<numKeys>.lua; each header documents KEYS and ARGV):
 * KEYS and ARGV are built here and only here, in the headers' order.
 */
type Client = Redis | Cluster;
type ArchiveScript = 'archive-extend' | 'archive-release' | 'archive-trim';

const run = luaScripts<ArchiveScript>(new URL('./lua/', import.meta.url), 'kefuarchive');

/** Takes the bot account's archiver lock, or extends it if the caller holds it; false: another process does. */
export async function holdLock(redis: Client, keys: Keys, botId: string, token: string, ttlMs: number): Promise<boolean> {
  return (await run(redis, 'archive-extend', [keys.archiveLock(botId)], [token, Math.ceil(ttlMs)])) === 1;
}

export async function releaseLock(redis: Client, keys: Keys, botId: string, token: string): Promise<void> {
  await run(redis, 'archive-release', [keys.archiveLock(botId)], [token]);
}

export type TrimOutcome = 'trimmed' | 'gone' | 'changed' | 'unlocked';

/** archive-trim-6.lua: removes the conversation's keys if Redis still holds exactly what was copied. */
export async function trimConversation(
  redis: Client,
  keys: Keys,
  a: { conv: string; token: string; lastMsgId: string; hash: Record<string, string> },
): Promise<TrimOutcome> {
  const { botId } = parseConversationId(a.conv);
  const pairs = Object.entries(a.hash).flat();
  const out = await run(
    redis,
    'archive-trim',
    [keys.conversation(a.conv), keys.transcript(a.conv), keys.msgIds(a.conv), keys.archiveLock(botId), keys.resolved(botId), keys.botChats(botId)],
    [a.token, a.lastMsgId, ...pairs],
  );
  if (out !== 'trimmed' && out !== 'gone' && out !== 'changed' && out !== 'unlocked') throw new Error(`archive-trim answered ${String(out)}`);
  return out;
}
