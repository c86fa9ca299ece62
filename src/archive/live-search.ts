/**
 * Search without PostgreSQL: live conversations only, in Redis, at a bounded cost. Candidates are
 * the conversations the lists hold (waiting, with an agent, parked) and those the events streams
 * name over the last day (bot chats and recent resolves); of each, the name, the id and the
 * transcript of the last week. The same terms as the archive (tokens.ts), so a query finds the
 * same messages here as there; results are marked `scope: 'live'`, ranked as search-rank.ts says.
 */
import type { Conversation, TranscriptMessage } from '../handoff/types.ts';
import type { SearchFilters, SearchItem } from './search.ts';
import { rankHits, type RankedItem } from './search-rank.ts';
import { matchesTerms, nameNeedle, normalizeText, searchTerms } from './tokens.ts';

/** What live search reads (the console's Handoff has all of it). */
export interface LiveSource {
  bots(): Promise<string[]>;
  listWaiting(limit: number): Promise<Conversation[]>;
  list(status: 'active' | 'awaiting_fix', opts: { limit?: number }): Promise<Conversation[]>;
  eventsBetween(botId: string, after: string, until?: string, count?: number): Promise<{ conv: string }[]>;
  conversation(id: string): Promise<Conversation | null>;
  transcript(id: string, opts: { after?: string; count?: number }): Promise<TranscriptMessage[]>;
  ratings(fromMs: number, toMs: number): Promise<{ conv: string; score: number }[]>;
}

export const LIVE_LIMITS = {
  /** Conversations looked at, most recently changed first. */
  conversations: 300,
  /** Events read per bot account (the last day's). */
  events: 2_000,
  /** Transcript messages per conversation (the last week's). */
  messages: 300,
  windowMs: 7 * 86_400_000,
  eventsMs: 86_400_000,
} as const;

export async function searchLive(
  src: LiveSource,
  o: SearchFilters & { q: string; limit: number; channelOf?: (botId: string) => Promise<string | null> },
  now = Date.now(),
): Promise<RankedItem[]> {
  const terms = searchTerms(o.q);
  const needle = nameNeedle(o.q);
  if (terms.length === 0 && [...needle].length < 2) return [];
  const bots = await src.bots();
  const listed = await Promise.all([
    src.listWaiting(LIVE_LIMITS.conversations),
    src.list('active', { limit: LIVE_LIMITS.conversations }),
    src.list('awaiting_fix', { limit: LIVE_LIMITS.conversations }),
  ]);
  const ids = new Set(listed.flat().map((c) => c.id));
  const recent = await Promise.all(bots.map((b) => src.eventsBetween(b, `${now - LIVE_LIMITS.eventsMs}-0`, '+', LIVE_LIMITS.events).catch(() => [])));
  for (const e of recent.flat()) if (e.conv) ids.add(e.conv);
  const convs = (await Promise.all([...ids].map((id) => src.conversation(id).catch(() => null))))
    .filter((c): c is Conversation => c !== null)
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))
    .slice(0, LIVE_LIMITS.conversations);

  const channels = new Map<string, string | null>();
  for (const b of new Set(convs.map((c) => c.botId))) channels.set(b, o.channelOf ? await o.channelOf(b).catch(() => null) : null);
  const rated = o.rating === undefined ? undefined : new Set((await src.ratings(now - 30 * 86_400_000, now + 1)).filter((r) => r.score === o.rating).map((r) => r.conv));
  const keep = convs.filter(
    (c) =>
      (o.status === undefined || c.status === o.status) &&
      (o.tag === undefined || c.tags.includes(o.tag)) &&
      (o.agent === undefined || c.assignee?.id === o.agent) &&
      (o.channel === undefined || channels.get(c.botId) === o.channel) &&
      (rated === undefined || rated.has(c.id)) &&
      (o.visibleTo === undefined || c.assignee?.id === o.visibleTo || c.status === 'bot' || c.status === 'waiting'),
  );

  const inRange = (m: TranscriptMessage): boolean => (!o.from || m.at >= o.from.toISOString()) && (!o.to || m.at < o.to.toISOString());
  const items: SearchItem[] = [];
  await Promise.all(
    keep.map(async (c) => {
      const msgs = (await src.transcript(c.id, { after: `${now - LIVE_LIMITS.windowMs}-0`, count: LIVE_LIMITS.messages })).filter(
        (m) => m.from !== 'system' && inRange(m),
      );
      const channel = channels.get(c.botId) ?? null;
      const found = terms.length ? msgs.filter((m) => matchesTerms(terms, m.text)) : [];
      for (const m of found) items.push({ conversation: c, message: m, match: 'message', channel });
      const last = msgs.at(-1);
      // By name or customer id, or the conversation id itself (as the console's address shows it).
      const named = ([...needle].length >= 2 && normalizeText(`${c.customer.name} ${c.customer.id}`).includes(needle)) || c.id === o.q.trim();
      if (last && named && !found.includes(last)) {
        items.push({ conversation: c, message: last, match: 'customer', channel });
      }
    }),
  );
  // People's words first, the bot's repeated answers collapsed (search-rank.ts).
  return rankHits(items).slice(0, o.limit);
}
