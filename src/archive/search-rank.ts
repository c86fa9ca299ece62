/**
 * What a search shows first: people's words. A customer's "退款" is what an agent looks for; the
 * bot's FAQ answer that mentions 退款 is the same text in every chat it was sent to (and three
 * times in one chat that asked three ways). So, per conversation: when its customer or agents
 * said the words, the bot's matching messages there are left out; otherwise identical bot texts
 * collapse into the newest, `repeats` counting the copies. People's matches (and customers found
 * by name) come before the bot's, each group newest first.
 */
import type { SearchItem } from './search.ts';

export interface RankedItem extends SearchItem {
  /** How many identical bot messages of this conversation this one stands for (1: itself). */
  repeats?: number;
}

const isBot = (i: SearchItem): boolean => i.match === 'message' && i.message.from === 'bot';
const newestFirst = (a: SearchItem, b: SearchItem): number =>
  a.message.at < b.message.at ? 1 : a.message.at > b.message.at ? -1 : a.message.id < b.message.id ? 1 : a.message.id > b.message.id ? -1 : 0;

export function rankHits(items: readonly SearchItem[]): RankedItem[] {
  const people = items.filter((i) => !isBot(i));
  const spoken = new Set(people.filter((i) => i.match === 'message').map((i) => i.conversation.id));
  const bots = new Map<string, RankedItem>();
  for (const item of [...items].filter(isBot).sort(newestFirst)) {
    if (spoken.has(item.conversation.id)) continue;
    const key = `${item.conversation.id}\n${item.message.text}`;
    const kept = bots.get(key);
    if (kept) kept.repeats = (kept.repeats ?? 1) + 1;
    else bots.set(key, { ...item });
  }
  return [...[...people].sort(newestFirst), ...bots.values()];
}
