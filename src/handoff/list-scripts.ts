import type { Cluster, Redis } from 'ioredis';
import { parseConversationId, type Keys } from './keys.ts';
import { run, ScriptArgError, type ScriptName } from './scripts.ts';

/**
 * The lists' scripts: a page's rows (fields-n.lua) and the one-off backfills of the lists' indexes
 * (resolved-index-n.lua, bot-index-n.lua): each backfill puts the account's conversations among
 * `ids` that are in the index's status into it, checked in the script so a chat that moved
 * meanwhile is never added.
 */
type Client = Redis | Cluster;

async function backfill(redis: Client, name: ScriptName, index: string, k: Keys, a: { botId: string; ids: readonly string[] }): Promise<number> {
  if (a.ids.length === 0) return 0;
  const keys = a.ids.map((id) => {
    if (parseConversationId(id).botId !== a.botId) throw new ScriptArgError(name, `${id} is not a conversation of ${a.botId}`);
    return k.conversation(id);
  });
  return Number(await run(redis, name, [index, ...keys], {}, [...a.ids]));
}

/** resolved-index-n.lua: the resolved ones among `ids` into the account's resolved zset; how many it added. */
export const indexResolved = (redis: Client, k: Keys, a: { botId: string; ids: readonly string[] }): Promise<number> =>
  backfill(redis, 'resolved-index', k.resolved(a.botId), k, a);

/** bot-index-n.lua: the ones with the bot among `ids` into the account's bot chats zset; how many it added. */
export const indexBotChats = (redis: Client, k: Keys, a: { botId: string; ids: readonly string[] }): Promise<number> =>
  backfill(redis, 'bot-index', k.botChats(a.botId), k, a);

/**
 * fields-n.lua: `fields` of each conversation of `ids`, all of bot account `botId` (one slot), in
 * that order: null where a field or the whole hash is missing.
 */
export async function fields(redis: Client, k: Keys, a: { botId: string; ids: readonly string[]; fields: readonly string[] }): Promise<(string | null)[][]> {
  if (a.ids.length === 0) return [];
  const keys = a.ids.map((id) => {
    if (parseConversationId(id).botId !== a.botId) throw new ScriptArgError('fields', `${id} is not a conversation of ${a.botId}`);
    return k.conversation(id);
  });
  const raw = await run(redis, 'fields', keys, {}, [...a.fields]);
  const rows = JSON.parse(String(raw)) as unknown;
  if (!Array.isArray(rows) || rows.length !== keys.length) throw new Error(`fields answered ${String(raw).slice(0, 200)}, not ${keys.length} rows`);
  // Lua's nil is false in HMGET's answer (and JSON): null, as ioredis gives it.
  for (const row of rows as (string | false | null)[][]) {
    for (let i = 0; i < row.length; i++) if (row[i] === false) row[i] = null;
  }
  return rows as (string | null)[][];
}
