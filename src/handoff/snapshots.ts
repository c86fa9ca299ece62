/**
 * What a batch of events changed, read at once: each event's conversation as it stands now and,
 * for a `message` event, the transcript entry it announces. A console reads this once per event
 * and sends it to every open tab, so a tab applies the change instead of fetching lists again:
 * the cost of a customer message does not grow with the number of agents watching.
 */
import type { Cluster, Redis } from 'ioredis';
import { fieldsOf, toConversation, toMessage } from './convert.ts';
import { parseConversationId, type Keys } from './keys.ts';
import type { Conversation, HandoffEvent, TranscriptMessage } from './types.ts';

export interface Snapshot {
  /** The conversation now (null: it is gone, or the event names none). */
  conversation: Conversation | null;
  /** The transcript entry of a `message` event (null: trimmed away, or not a message event). */
  message: TranscriptMessage | null;
}

/**
 * One pipeline per bot account (its keys share a hash slot): one HGETALL per distinct conversation
 * and one XRANGE per message event. Events without a conversation (bot_status) get nulls.
 */
export async function readSnapshots(redis: Redis | Cluster, keys: Keys, events: HandoffEvent[]): Promise<Snapshot[]> {
  const convs = new Map<string, Record<string, string> | null>();
  const messages = new Map<string, TranscriptMessage | null>();
  const byBot = new Map<string, { convs: Set<string>; msgs: Map<string, string> }>();
  for (const e of events) {
    if (!e.conv) continue;
    let botId: string;
    try {
      botId = parseConversationId(e.conv).botId;
    } catch {
      continue;
    }
    let group = byBot.get(botId);
    if (!group) byBot.set(botId, (group = { convs: new Set(), msgs: new Map() }));
    group.convs.add(e.conv);
    if (e.type === 'message' && e.data.msg) group.msgs.set(e.data.msg, e.conv);
  }
  await Promise.all(
    [...byBot.values()].map(async ({ convs: ids, msgs }) => {
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hgetall(keys.conversation(id));
      for (const [msg, conv] of msgs) pipe.xrange(keys.transcript(conv), msg, msg);
      const results = (await pipe.exec()) ?? [];
      let i = 0;
      for (const id of ids) {
        const [err, h] = results[i++] ?? [];
        if (err) throw err;
        const hash = h as Record<string, string>;
        convs.set(id, hash.status ? hash : null);
      }
      for (const msg of msgs.keys()) {
        const [err, entries] = results[i++] ?? [];
        if (err) throw err;
        const [entry] = entries as [string, string[]][];
        messages.set(msg, entry ? toMessage(entry[0], fieldsOf(entry[1])) : null);
      }
    }),
  );
  const parsed = new Map<string, Conversation>();
  return events.map((e) => {
    const hash = e.conv ? convs.get(e.conv) : null;
    let conversation: Conversation | null = null;
    if (hash) {
      conversation = parsed.get(e.conv) ?? toConversation(hash);
      parsed.set(e.conv, conversation);
    }
    const message = e.type === 'message' && e.data.msg ? (messages.get(e.data.msg) ?? null) : null;
    return { conversation, message };
  });
}
