import { z } from 'zod';
import { hasRole, type Agent } from '../auth/index.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, toApiConversation, type ApiConversation } from '../serialize.ts';
import { InvalidCursorError, LIST_VIEWS, type Handoff, type ListStatus } from '../../handoff/index.ts';
import { stampKey, type ListCache } from '../list-cache.ts';

/**
 * GET /api/conversations, the v2 list contract: every list carries `total` and `next`; v1's
 * `status=awaiting_fix` is `parked`, and a call without the new parameters answers as v1 did (the
 * waiting queue; `active` an agent's own, a manager's everyone's).
 */
export const listQuery = z.object({
  status: z
    .enum(['waiting', 'active', 'parked', 'awaiting_fix', 'resolved', 'bot', 'all'])
    .default('waiting')
    .meta({ description: '`parked` = `awaiting_fix` (v1\'s name); `bot` = chats the bot has (no handoff, or back from resolved); `all` = every status, `bot` included' }),
  view: z
    .enum(LIST_VIEWS)
    .optional()
    .meta({
      description:
        '`mine`: the caller is the assignee; `unassigned`: nobody is; `all`: every one the caller may see (an agent who is not a manager: their own and those nobody owns). ' +
        'Default: `mine` for an agent\'s `active`, else `all`',
    }),
  tag: z.string().trim().min(1).max(32).optional().meta({ description: 'only conversations with this tag' }),
  agent: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an agent id').optional().meta({ description: 'only conversations this agent owns (resolved: owned last)' }),
  tier: z.enum(['vip', 'standard']).optional(),
  channel: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be a channel kind')
    .optional()
    .meta({ description: 'the bot account\'s channel: `wechaty`, `wecom-kf` or `oa`' }),
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'the page\'s size' }),
  cursor: z.string().min(1).max(400).optional().meta({ description: '`next` of the page before: the page after it' }),
});

export const listAnswerSchema = z.object({
  items: z.array(apiConversationSchema).meta({ 'x-core': true }),
  total: z.number().int().meta({ description: 'every conversation the query matches, over all pages (v2)' }),
  next: z.string().nullable().meta({ description: 'the cursor of the following page (`&cursor=`), null on the last page (v2)' }),
});

export const listRouteDoc = {
  method: 'GET' as const,
  path: '/api/conversations',
  summary:
    'conversations by status, a page at a time: `waiting` by SLA due time (most urgent first), `resolved` newest resolve first, the others newest update first',
  details:
    'Every answer carries `total` (all that match) and `next`: pass it as `&cursor=` for the following page (null: the last). A cursor is a place in the ' +
    'order, not an offset: paging stays right while chats come and go. Filters: `view`, `tag`, `agent`, `tier`, `channel`. An agent who is not a manager ' +
    'sees their own conversations and those nobody owns; without `view`, `active` is the caller\'s own (a manager\'s: everyone\'s), as in v1. ' +
    'A bad `cursor` (or one from another status\'s list) is 400 `INVALID_CURSOR`.',
  access: 'agent' as const,
  query: listQuery,
  ok: { status: 200, description: '`{"items":[Conversation…],"total":N,"next":cursor|null}`', schema: listAnswerSchema },
  errors: ['INVALID_CURSOR'] as const,
  core: true,
};

export async function listConversations(
  handoff: Handoff,
  agent: Agent,
  query: unknown,
): Promise<{ items: ApiConversation[]; total: number; next: string | null }> {
  const q = parse(listQuery, query, 'query');
  const manager = hasRole(agent, 'manager');
  const status: ListStatus = q.status === 'awaiting_fix' ? 'parked' : q.status;
  const view = q.view ?? (status === 'active' && !manager ? 'mine' : 'all');
  try {
    const page = await handoff.listPage({
      status,
      view,
      viewer: { id: agent.id, manager },
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
      ...(q.tag ? { tag: q.tag } : {}),
      ...(q.agent ? { agent: q.agent } : {}),
      ...(q.tier ? { tier: q.tier } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
    });
    return { items: page.items.map(toApiConversation), total: page.total, next: page.next };
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new ApiError(400, 'INVALID_CURSOR', err.message);
    throw err;
  }
}

const queueLimit = (fallback: number) => z.coerce.number().int().min(0).max(500).default(fallback);

export const queueQuery = z.object({
  waiting: queueLimit(100).meta({ description: 'rows of the waiting queue (0: not read)' }),
  active: queueLimit(200).meta({ description: 'rows of active chats (0: not read)' }),
  parked: queueLimit(100).meta({ description: 'rows of parked chats (0: not read)' }),
});

export const queueAnswerSchema = z.object({
  waiting: listAnswerSchema,
  active: listAnswerSchema,
  parked: listAnswerSchema,
  asOf: z.record(z.string(), z.string()).meta({
    description: 'each bot account\'s last live event id before the lists were read: the lists already reflect every event up to it',
  }),
});

export const queueRouteDoc = {
  method: 'GET' as const,
  path: '/api/queue',
  summary: 'the queue page in one request: the waiting, active and parked lists, each as `GET /api/conversations` answers it',
  details:
    'The lists the console\'s queue shows: `?status=waiting`, and `?status=active` and `?status=parked` with `view=mine` for an agent who is not a ' +
    'manager (their own chats), `view=all` for a manager. Each carries `total` and `next` (page on with `GET /api/conversations?status=…&cursor=`). ' +
    'One request, one sign-in check and the three reads at once, where a console loading its queue would otherwise make three. ' +
    'Agents who load the same lists while no live event was written (a shift starting, a console restarted) get one answer read once. ' +
    '`asOf` gives, per bot account, the last live event id written before the reads: an event up to it is already in the lists, so a client ' +
    'that applies live events does not count it twice (a claim seen in the lists, then its event, is one chat fewer waiting, not two).',
  access: 'agent' as const,
  query: queueQuery,
  ok: { status: 200, description: '`{"waiting":List,"active":List,"parked":List,"asOf":{botId:eventId}}`', schema: queueAnswerSchema },
  errors: [] as const,
};

type ListAnswer = Awaited<ReturnType<typeof listConversations>>;

function readQueueLists(handoff: Handoff, agent: Agent, q: z.infer<typeof queueQuery>): Promise<{ waiting: ListAnswer; active: ListAnswer; parked: ListAnswer }> {
  const own = hasRole(agent, 'manager') ? 'all' : 'mine';
  const read = (status: 'waiting' | 'active' | 'parked', limit: number, view: 'all' | 'mine'): Promise<ListAnswer> =>
    limit === 0 ? Promise.resolve({ items: [], total: 0, next: null }) : listConversations(handoff, agent, { status, view, limit });
  return Promise.all([read('waiting', q.waiting, 'all'), read('active', q.active, own), read('parked', q.parked, own)]).then(([waiting, active, parked]) => ({
    waiting,
    active,
    parked,
  }));
}

/** The lists a ListCache may keep (see there). */
const KEPT = new Set(['waiting', 'active', 'parked', 'awaiting_fix']);
/** Who sees what: a manager every chat, an agent their own and those nobody owns. */
const viewerKey = (agent: Agent): string => (hasRole(agent, 'manager') ? '*' : `a:${agent.id}`);

/** GET /api/conversations's answer as JSON, from `cache` while no event says the list changed. */
export async function listConversationsJson(handoff: Handoff, agent: Agent, query: unknown, cache: ListCache): Promise<string> {
  const q = parse(listQuery, query, 'query');
  const read = async (): Promise<string> => JSON.stringify(await listConversations(handoff, agent, q));
  if (!KEPT.has(q.status) || q.channel) return read();
  const stamp = stampKey(await handoff.eventStamp());
  return cache.get(`list ${viewerKey(agent)} ${JSON.stringify(q)}`, stamp, read);
}

/** GET /api/queue's answer as JSON, from `cache` while no event says a list changed. */
export async function queueListsJson(handoff: Handoff, agent: Agent, query: unknown, cache: ListCache): Promise<string> {
  const q = parse(queueQuery, query, 'query');
  const stamp = await handoff.eventStamp();
  return cache.get(`queue ${viewerKey(agent)} ${JSON.stringify(q)}`, stampKey(stamp), async () =>
    JSON.stringify({ ...(await readQueueLists(handoff, agent, q)), asOf: stamp.cursors }),
  );
}
