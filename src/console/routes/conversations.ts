import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type Agent, type AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, apiConversationWithMessagesSchema, toApiConversation, toApiMessage } from '../serialize.ts';
import { channelOf } from '../channel.ts';
import { listConversationsJson, listRouteDoc, queueListsJson, queueRouteDoc } from './conversation-list.ts';
import { ListCache } from '../list-cache.ts';
import { streamIdSchema } from '../stream-id.ts';
import { compareStreamIds } from '../../handoff/stream-id.ts';
import type { Conversation, Handoff, Agent as HandoffAgent, TranscriptMessage } from '../../handoff/index.ts';
import { renderAnswer, type KnowledgeBase, type KnowledgeService } from '../../knowledge/index.ts';

export interface ConversationRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  /**
   * The FAQ, to recognise a reply that is an entry's answer (the canned FAQ reply, unedited) when the
   * client does not say so with `faqId`: evidence for editors of what the customer's question meant.
   */
  knowledge?: KnowledgeService;
  /**
   * The archive (PostgreSQL): a conversation's history that left Redis, shown before its live
   * transcript, and a conversation only the archive still holds, served read-only.
   */
  archive?: ConversationArchive;
  /** Keeps the queue lists' answers while no event says they changed (default: one per app). */
  listCache?: ListCache;
}

/** What the conversation routes read from the archive (src/archive/service.ts provides it). */
export interface ConversationArchive {
  conversation(id: string): Promise<Conversation | null>;
  /** Archived messages oldest first: the latest `limit` between `after` and `before` (both exclusive). */
  messages(id: string, q?: { before?: string; after?: string; limit?: number }): Promise<TranscriptMessage[]>;
}

/** The most archived messages shown before a live transcript (the history's latest). */
export const ARCHIVED_SHOWN = 500;

export const MAX_TEXT = 2000;

const ID_PART = '[A-Za-z0-9_-]{1,64}';
const paramsSchema = z.object({
  id: z
    .string()
    .regex(new RegExp(`^${ID_PART}\\.${ID_PART}$`), 'must be a conversation id "<bot>.<customer>"')
    .meta({ description: 'a conversation id "<bot>.<customer>"' }),
});

const getQuery = z.object({
  after: streamIdSchema({ message: 'must be a message id "<ms>-<seq>" (each at most 2^64-1)' })
    .meta({ description: 'a message id: only the messages after it' })
    .optional(),
  before: streamIdSchema({ message: 'must be a message id "<ms>-<seq>" (each at most 2^64-1)' })
    .meta({ description: `a message id: the archived messages before it (the latest ${ARCHIVED_SHOWN}), to page back through a long history` })
    .optional(),
});

/** 1..2000 characters (code points, so an emoji counts once), not only blanks. */
const textSchema = z.string({ error: 'is required and must be a string' }).superRefine((text, ctx) => {
  const length = [...text].length;
  if (text.trim().length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
  else if (length > MAX_TEXT) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_TEXT} characters (got ${length})` });
}).meta({ description: `1 to ${MAX_TEXT} characters, not only blanks` });
const textBody = z.object({ text: textSchema });
/** A reply; `faqId`: the FAQ entry whose canned answer it is (GET /api/canned), when the agent picked one. */
const replyBody = z.object({
  text: textSchema,
  faqId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an FAQ entry id')
    .optional()
    .meta({ description: 'the FAQ entry whose canned answer this is (from GET /api/canned): tells editors what the customer meant' }),
});

/** `note`: why the chat is passed on, for the new owner only (a private note in the transcript). */
const transferBody = z.object({
  to: z.string().min(1, 'is required').max(64, 'must be at most 64 characters'),
  note: z.string().trim().max(500, 'must be at most 500 characters').optional().meta({ description: 'a private note for the new owner (never sent to the customer)' }),
});

/**
 * `rate: false` closes without asking the customer for a rating even though an agent replied (spam,
 * a customer who left); a chat no agent replied to is never rated. Optional, and so is the body.
 */
const resolveBody = z.object({ rate: z.boolean({ error: 'must be true or false' }).optional() });

const tagsBody = z.object({
  tags: z
    .array(z.string().trim().min(1, 'must not be blank').max(32, 'must be at most 32 characters'))
    .max(20, 'at most 20 tags'),
});

/** `publicName`: what the customer hears when this agent joins ('' = no name is said). */
const asHandoffAgent = (a: Agent): HandoffAgent => ({ id: a.id, name: a.name, publicName: a.displayName });

const conversation = { status: 200, description: 'the conversation', schema: apiConversationSchema };

export const conversationRouteDocs = routeGroup('Conversations', [
  listRouteDoc,
  queueRouteDoc,
  {
    method: 'GET',
    path: '/api/conversations/:id',
    summary: 'one conversation with its transcript, oldest first; `?after=<message id>` gives only what came since',
    details:
      'With the archive (PostgreSQL), the messages of earlier visits that left Redis come first (the latest ' +
      `${ARCHIVED_SHOWN}), and a conversation only the archive holds is answered from it with \`"archived": true\` (read-only: ` +
      'actions on it answer 404). The archive unreachable: the live part alone, or 503 `ARCHIVE_UNAVAILABLE` for an archived-only one. ' +
      '`"earlier": true` says older archived messages exist than the first one given: `?before=<its id>` pages back through them.',
    access: 'agent',
    params: paramsSchema,
    query: getQuery,
    ok: { status: 200, description: 'the conversation and `messages`', schema: apiConversationWithMessagesSchema },
    errors: ['NOT_FOUND', 'ARCHIVE_UNAVAILABLE'],
    core: true,
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/claim',
    summary: 'take a waiting chat: it becomes `active` with the caller as assignee',
    access: 'agent',
    params: paramsSchema,
    ok: conversation,
    errors: ['NOT_FOUND', 'CONFLICT', 'ILLEGAL_TRANSITION'],
    core: true,
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/reopen',
    summary: 'reopen a resolved chat: it becomes `active` with the caller as assignee, and the bot leaves it to them',
    details:
      'Any agent may reopen a closed chat they can open (`GET /api/conversations/:id` shows a resolved one read-only). ' +
      'Not resolved (someone reopened it first, or the customer wrote and the bot has it again): 409 `ILLEGAL_TRANSITION`.',
    access: 'agent',
    params: paramsSchema,
    ok: conversation,
    errors: ['NOT_FOUND', 'ILLEGAL_TRANSITION'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/messages',
    summary: 'reply to the customer (the bot delivers it in WeChat); only the assignee',
    details: 'An FAQ answer (`faqId`, or the text of an entry\'s canned answer) is evidence for the 知识库 page: the customer\'s question before the handoff means that entry.',
    access: 'agent',
    params: paramsSchema,
    body: replyBody,
    ok: { status: 202, description: '`{"id","msgId"}`: the transcript id and the outbound id of the reply' },
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE', 'ILLEGAL_TRANSITION', 'WINDOW_CLOSED'],
    core: true,
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/notes',
    summary: 'a private note in the transcript, never sent to the customer',
    access: 'agent',
    params: paramsSchema,
    body: textBody,
    ok: { status: 201, description: '`{"id"}`' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/transfer',
    summary: 'hand the chat to another enabled agent, with an optional private note for them; the assignee or a manager',
    access: 'agent',
    params: paramsSchema,
    body: transferBody,
    ok: conversation,
    errors: ['NOT_FOUND', 'CONFLICT', 'ILLEGAL_TRANSITION'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/release',
    summary: 'put the chat back in the queue; the assignee or a manager (repeated: 200, nothing twice)',
    access: 'agent',
    params: paramsSchema,
    ok: conversation,
    errors: ['NOT_FOUND', 'CONFLICT', 'ILLEGAL_TRANSITION'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/resolve',
    summary: 'close the chat: the bot takes it back and asks for a rating if an agent replied',
    details:
      'Only the assignee or a manager (an unclaimed chat: 409 `NOT_ASSIGNEE`, claim it first). The body is optional; ' +
      '`{"rate": false}` closes without asking for a rating (an extension; the console\'s 关闭（不回复） for spam: the customer ' +
      'is sent nothing). Repeated by the same agent: 200, nothing done twice.',
    access: 'agent',
    params: paramsSchema,
    body: resolveBody,
    bodyOptional: true,
    ok: conversation,
    errors: ['NOT_FOUND', 'CONFLICT', 'NOT_ASSIGNEE', 'ILLEGAL_TRANSITION'],
    core: true,
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/read',
    summary: 'the owner has read the chat: its `unread` goes back to 0 (in every tab, with a `read` live event)',
    details: 'Anyone else reading (a manager looking in) changes nothing. Answers the Conversation as it stands.',
    access: 'agent',
    params: paramsSchema,
    ok: conversation,
    errors: ['NOT_FOUND'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/tags',
    summary: 'replace the tags (the first is the category in reports)',
    details:
      'An owned chat: its assignee or a manager; a resolved one: whoever resolved it or a manager; a queued or bot chat: any agent.',
    access: 'agent',
    params: paramsSchema,
    body: tagsBody,
    ok: conversation,
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE'],
  },
]);


/**
 * Conversations for agents (role agent; manager and admin imply it). Reads are open to every agent;
 * changes that need ownership pass the caller as the expected owner, so a conversation someone else
 * took meanwhile answers 409. A manager may transfer, release or resolve anyone's conversation.
 * Only the assignee (or a manager) resolves a chat: one nobody claimed is 409 NOT_ASSIGNEE for an
 * agent. Tags: a chat someone owns is tagged by its assignee (resolved: by who resolved it) or a
 * manager; one nobody owns (bot, waiting) by any agent. A resolve or release repeated by the same
 * agent (a request re-sent after a lost answer) answers 200 and changes nothing.
 */
export async function conversationRoutes(app: FastifyInstance, opts: ConversationRoutesOptions): Promise<void> {
  const { handoff, agents, archive } = opts;
  app.addHook('onRequest', authenticate(agents));
  app.addHook('preHandler', requireRole('agent'));

  /** The caller as the expected owner, or none for a manager's override. */
  const ownerGuard = (agent: Agent): { expectedOwner?: string } => (hasRole(agent, 'manager') ? {} : { expectedOwner: agent.id });

  const lists = opts.listCache ?? new ListCache();
  app.get('/api/conversations', async (request, reply) => reply.type('application/json; charset=utf-8').send(await listConversationsJson(handoff, currentAgent(request), request.query, lists)));
  app.get('/api/queue', async (request, reply) => reply.type('application/json; charset=utf-8').send(await queueListsJson(handoff, currentAgent(request), request.query, lists)));

  app.get('/api/conversations/:id', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { after, before } = parse(getQuery, request.query, 'query');
    if (after && before) throw new ApiError(400, 'BAD_REQUEST', 'query: give `after` or `before`, not both');
    const conv = await handoff.conversation(id);
    if (before) return earlierPage(id, conv, before);
    if (!conv) return archivedOnly(id, after);
    // With `after`, only what came since (a live client catching up on one conversation); with the
    // archive, the live transcript's first entry too, in the same round trip (is `after` before it?).
    const [messages, channel, start] = await Promise.all([
      handoff.transcript(id, after ? { after } : {}),
      channelOf(handoff, id),
      archive && after ? handoff.transcript(id, { count: 1 }) : undefined,
    ]);
    const earlier = archive ? await history(id, after, after ? start?.[0]?.id : messages[0]?.id) : [];
    return { ...toApiConversation(conv), messages: [...earlier.slice(-ARCHIVED_SHOWN), ...messages].map(toApiMessage), channel, ...olderThanShown(earlier) };
  });

  /** `earlier: true` when the archive gave one more message than is shown (read with ARCHIVED_SHOWN + 1). */
  const olderThanShown = (archived: TranscriptMessage[]): { earlier?: true } => (archived.length > ARCHIVED_SHOWN ? { earlier: true } : {});

  /** `?before=`: the archived messages before that id, the latest ARCHIVED_SHOWN of them (a long history paged back). */
  async function earlierPage(id: string, live: Conversation | null, before: string) {
    if (!archive) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} has no archived history`);
    let conv = live;
    let older: TranscriptMessage[];
    try {
      conv ??= await archive.conversation(id);
      older = conv ? await archive.messages(id, { before, limit: ARCHIVED_SHOWN + 1 }) : [];
    } catch (err) {
      app.log.warn({ err, conv: id }, 'archive unreachable');
      throw new ApiError(503, 'ARCHIVE_UNAVAILABLE', `the archive (PostgreSQL) cannot be reached now`);
    }
    if (!conv) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} not found`);
    return {
      ...toApiConversation(conv),
      messages: older.slice(-ARCHIVED_SHOWN).map(toApiMessage),
      channel: await channelOf(handoff, id),
      ...(live ? {} : { archived: true as const }),
      ...olderThanShown(older),
    };
  }

  /**
   * The archived messages before the live transcript's first entry, `first` (a customer back after a trim): the
   * archive also holds copies of the live ones, which `before` leaves out. Without the archive
   * (PostgreSQL down) the live transcript is shown alone rather than nothing.
   */
  async function history(id: string, after: string | undefined, first: string | undefined): Promise<TranscriptMessage[]> {
    // A client that has seen the live transcript's start needs no history.
    if (after && first && compareStreamIds(after, first) >= 0) return [];
    try {
      return await archive!.messages(id, { ...(first ? { before: first } : {}), ...(after ? { after } : {}), limit: ARCHIVED_SHOWN + 1 });
    } catch (err) {
      app.log.warn({ err, conv: id }, 'archive unreachable: live transcript only');
      return [];
    }
  }

  /** A conversation only the archive holds (trimmed from Redis): read-only, 404 when unknown. */
  async function archivedOnly(id: string, after: string | undefined) {
    if (!archive) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} not found`);
    let old: Conversation | null;
    let messages: TranscriptMessage[];
    try {
      old = await archive.conversation(id);
      messages = old ? await archive.messages(id, { ...(after ? { after } : {}), limit: ARCHIVED_SHOWN + 1 }) : [];
    } catch (err) {
      app.log.warn({ err, conv: id }, 'archive unreachable');
      throw new ApiError(503, 'ARCHIVE_UNAVAILABLE', `conversation ${id} is not in Redis and the archive (PostgreSQL) cannot be reached now`);
    }
    if (!old) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} not found`);
    return { ...toApiConversation(old), messages: messages.slice(-ARCHIVED_SHOWN).map(toApiMessage), channel: await channelOf(handoff, id), archived: true, ...olderThanShown(messages) };
  }

  app.post('/api/conversations/:id/claim', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    return toApiConversation(await handoff.claim(id, asHandoffAgent(currentAgent(request))));
  });

  app.post('/api/conversations/:id/reopen', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    return toApiConversation(await handoff.reopen(id, asHandoffAgent(currentAgent(request))));
  });

  app.post('/api/conversations/:id/messages', async (request, reply) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { text, faqId } = parse(replyBody, request.body, 'body');
    // A reply WeChat would refuse is refused here, with the reason, rather than lost on the way.
    const window = (await channelOf(handoff, id))?.window;
    if (window && window.remaining === 0) {
      throw new ApiError(409, 'WINDOW_CLOSED', '微信只允许在客户最后一条消息后 48 小时内回复，且最多 5 条；客户再发消息后才能回复。');
    }
    const sent = await handoff.reply(id, asHandoffAgent(currentAgent(request)), text);
    const answered = faqId ?? (opts.knowledge ? faqAnswerOf(opts.knowledge.matcher().kb, text) : undefined);
    if (answered) {
      // Evidence only: the reply is on its way whatever happens here.
      await handoff.recordAgentAnswer(id, answered).catch((err: unknown) => request.log.warn({ err, conv: id }, 'learning: agent FAQ answer not recorded'));
    }
    return reply.status(202).send({ id: sent.id, msgId: sent.msgId });
  });

  app.post('/api/conversations/:id/notes', async (request, reply) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { text } = parse(textBody, request.body, 'body');
    const note = await handoff.note(id, asHandoffAgent(currentAgent(request)), text);
    return reply.status(201).send({ id: note.id });
  });

  app.post('/api/conversations/:id/transfer', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { to, note } = parse(transferBody, request.body, 'body');
    const target = await agents.get(to);
    if (!target || target.disabled || !hasRole(target, 'agent')) {
      throw new ApiError(400, 'BAD_REQUEST', `body.to: no enabled agent ${JSON.stringify(to)} with the agent role`);
    }
    const agent = currentAgent(request);
    const withNote = note ? { note: { text: note, by: asHandoffAgent(agent) } } : {};
    return toApiConversation(await handoff.transfer(id, asHandoffAgent(target), { ...ownerGuard(agent), ...withNote }));
  });

  app.post('/api/conversations/:id/release', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const agent = currentAgent(request);
    return toApiConversation(await handoff.release(id, { by: agent.id, ...ownerGuard(agent) }));
  });

  app.post('/api/conversations/:id/resolve', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    // Many clients send no body (or an empty one) for an action.
    const { rate } = parse(resolveBody, request.body ?? {}, 'body');
    const agent = currentAgent(request);
    return toApiConversation(await handoff.resolve(id, { by: agent.id, ...ownerGuard(agent), ...(rate === undefined ? {} : { rate }) }));
  });

  app.post('/api/conversations/:id/read', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    return toApiConversation(await handoff.markRead(id, currentAgent(request).id));
  });

  app.post('/api/conversations/:id/tags', async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { tags } = parse(tagsBody, request.body, 'body');
    const agent = currentAgent(request);
    return toApiConversation(await handoff.setTags(id, tags, { by: agent.id, manager: hasRole(agent, 'manager') }));
  });
}

/** Each FAQ answer as the canned replies give it (canned.ts), whitespace folded -> its entry. */
const answerIndex = new WeakMap<KnowledgeBase, Map<string, string>>();
const fold = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The entry whose answer `text` is, unedited (an agent's canned FAQ reply); undefined otherwise. */
function faqAnswerOf(kb: KnowledgeBase, text: string): string | undefined {
  let index = answerIndex.get(kb);
  if (!index) {
    index = new Map();
    for (const e of kb.entries) {
      const answer = fold(renderAnswer(e.answer).join('\n\n'));
      if (answer && !index.has(answer)) index.set(answer, e.id);
    }
    answerIndex.set(kb, index);
  }
  return index.get(fold(text));
}
