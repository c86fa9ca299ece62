import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { hasRole, type AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, apiMessageSchema, toApiConversation, toApiMessage } from '../serialize.ts';
import { STATUSES, type Conversation, type Handoff } from '../../handoff/index.ts';
import { decodeCursor, encodeCursor, type SearchFilters, type SearchItem, type SearchOptions, type SearchResult } from '../../archive/search.ts';
import { searchLive } from '../../archive/live-search.ts';
import { rankHits, type RankedItem } from '../../archive/search-rank.ts';
import { isUnavailable } from '../../archive/service.ts';

/** What the search route needs of the archive (ArchiveService has it). */
export interface SearchArchive {
  search(q: SearchOptions): Promise<SearchResult>;
}

export interface SearchRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** Without it (no DATABASE_URL) search covers live conversations only (`scope: "live"`). */
  archive?: SearchArchive;
  /** The business time zone: a plain date (2024-06-01) in `from` / `to` is a day there. */
  timezone: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const instant = (what: string) =>
  z
    .string()
    .refine((s) => (DAY.test(s) ? DateTime.fromISO(s).isValid : !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s)), `must be a date (YYYY-MM-DD) or an ISO-8601 date-time`)
    .meta({ description: `${what}: a date (YYYY-MM-DD, a day in the business time zone) or an ISO-8601 date-time` });

const searchQuery = z.object({
  q: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters').meta({ description: 'words of messages, part of a customer\'s name or id (two characters or more), or a conversation id' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1000).optional().meta({ description: 'the `next` of the previous page' }),
  from: instant('messages from').optional(),
  to: instant('messages until (a date: through that day)').optional(),
  channel: z.enum(['wechaty', 'wecom-kf', 'oa']).optional(),
  status: z.enum(STATUSES).optional(),
  tag: z.string().trim().min(1).max(32).optional(),
  agent: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an agent id').optional().meta({ description: 'the agent who owns (or last owned) the conversation' }),
  rating: z.coerce.number().int().min(1).max(5).optional().meta({ description: 'conversations the customer rated with this score' }),
});

const searchItemSchema = z.object({
  conversation: apiConversationSchema,
  message: apiMessageSchema,
  match: z.enum(['message', 'customer']).meta({ description: '`message`: its words match; `customer`: the customer\'s name or id does (the message is the conversation\'s latest)' }),
  channel: z.string().nullable().meta({ description: 'the bot account\'s channel kind' }),
  repeats: z
    .number()
    .int()
    .min(2)
    .optional()
    .meta({ description: 'a bot message: how many identical bot messages of this conversation matched and are shown as this one (absent: just this one)' }),
});

export const searchRouteDocs = routeGroup('Conversations', [
  {
    method: 'GET',
    path: '/api/search',
    summary: 'search messages (by words, Chinese-aware) and customers (any part of a name or id) over live and archived conversations, people\'s words first, newest first',
    details:
      'Message text is found by its words as the knowledge engine segments them (退款, 订单号, iphone13; a word\'s first letters or digits find it too); ' +
      'customers by any two or more characters of their name or id. Filters narrow the conversations (`status`, `tag`, `agent`, `rating`, `channel`) and the time ' +
      '(`from`, `to`). An agent without the manager role finds the conversations they own or owned last and those nobody owns yet; a manager finds all. ' +
      'With the archive (PostgreSQL) `scope` is `"all"` and conversations still in Redis show their live state; without it, or while it is down, ' +
      '`scope` is `"live"`: the conversations Redis lists and those of the last day, their last week of messages, one page (`next` null). ' +
      'Customers\' and agents\' messages (and customers found by name) come first, then the bot\'s, each newest first (with the archive: within each page, ' +
      'which follows time). A bot message is left out where the same conversation\'s customer or agents said the words; identical bot messages of one ' +
      'conversation show once, the newest, with `repeats` counting them. So a page may hold fewer than `limit` items while `next` is not null.',
    access: 'agent',
    query: searchQuery,
    ok: {
      status: 200,
      description: '`{"items":[{"conversation","message","match","channel","repeats"?}…],"next","scope"}`',
      schema: z.object({
        items: z.array(searchItemSchema),
        next: z.string().nullable(),
        scope: z.enum(['all', 'live']).meta({ description: '`all`: live and archived; `live`: Redis only (no archive, or it is down)' }),
      }),
    },
    core: true,
  },
]);

export async function searchRoutes(app: FastifyInstance, opts: SearchRoutesOptions): Promise<void> {
  const { handoff, agents, archive, timezone } = opts;
  app.addHook('onRequest', authenticate(agents));
  app.addHook('preHandler', requireRole('agent'));

  const toInstant = (s: string | undefined, endOfDay: boolean): Date | undefined => {
    if (s === undefined) return undefined;
    if (!DAY.test(s)) return new Date(s);
    const day = DateTime.fromISO(s, { zone: timezone }).startOf('day');
    return (endOfDay ? day.plus({ days: 1 }) : day).toJSDate();
  };

  app.get('/api/search', async (request) => {
    const query = parse(searchQuery, request.query, 'query');
    const agent = currentAgent(request);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new ApiError(400, 'BAD_REQUEST', 'query.cursor: must be the `next` of a previous page');
    const filters: SearchFilters = {
      ...(query.from ? { from: toInstant(query.from, false)! } : {}),
      ...(query.to ? { to: toInstant(query.to, true)! } : {}),
      ...(query.channel ? { channel: query.channel } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.tag ? { tag: query.tag } : {}),
      ...(query.agent ? { agent: query.agent } : {}),
      ...(query.rating ? { rating: query.rating } : {}),
      ...(hasRole(agent, 'manager') ? {} : { visibleTo: agent.id }),
    };
    if (archive) {
      try {
        const page = await archive.search({ q: query.q, limit: query.limit, ...filters, ...(cursor ? { cursor } : {}) });
        // Ranked within the page: the archive pages by time (its cursor), so a page keeps its span.
        const items = rankHits(await overlayLive(handoff, page.items, filters));
        return { items: items.map(toApiItem), next: page.next ? encodeCursor(page.next) : null, scope: 'all' as const };
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        request.log.warn({ err: (err as Error).message }, 'search: the archive is down, live conversations only');
      }
    }
    const channelOf = async (botId: string): Promise<string | null> => (await handoff.registry.channel(botId))?.kind ?? null;
    const items = await searchLive(handoff, { q: query.q, limit: query.limit, ...filters, channelOf });
    return { items: items.map(toApiItem), next: null, scope: 'live' as const };
  });
}

const toApiItem = (i: RankedItem) => ({
  conversation: toApiConversation(i.conversation),
  message: toApiMessage(i.message),
  match: i.match,
  channel: i.channel,
  ...(i.repeats && i.repeats > 1 ? { repeats: i.repeats } : {}),
});

/**
 * Conversations still in Redis shown as they are now (the archive's copy lags by the archiver's
 * interval); one that no longer passes the filters by its live state is left out.
 */
async function overlayLive(handoff: Handoff, items: SearchItem[], f: SearchFilters): Promise<SearchItem[]> {
  const ids = [...new Set(items.map((i) => i.conversation.id))];
  const live = new Map<string, Conversation>();
  await Promise.all(
    ids.map(async (id) => {
      const c = await handoff.conversation(id);
      if (c) live.set(id, c);
    }),
  );
  const out: SearchItem[] = [];
  for (const item of items) {
    const c = live.get(item.conversation.id);
    if (!c) {
      out.push(item);
      continue;
    }
    const ok =
      (f.status === undefined || c.status === f.status) &&
      (f.tag === undefined || c.tags.includes(f.tag)) &&
      (f.agent === undefined || c.assignee?.id === f.agent) &&
      (f.visibleTo === undefined || c.assignee?.id === f.visibleTo || c.status === 'bot' || c.status === 'waiting');
    if (ok) out.push({ ...item, conversation: c });
  }
  return out;
}
