import { z } from 'zod';
import { HANDOFF_REASONS, isFiller, STATUSES, type Conversation, type TranscriptMessage } from '../handoff/index.ts';

/*
 * The API's shapes as zod schemas: the TypeScript types below are inferred from them, so the
 * serializers cannot return a field the API description (GET /api/openapi.json, docs/http-api.md)
 * does not name. `x-core` marks the fields of the contract's stable core; the rest are extensions.
 */
const core = { 'x-core': true } as const;
const isoTime = z.string().meta({ format: 'date-time' });
const person = z.object({ id: z.string(), name: z.string() });

export const apiConversationSchema = z
  .object({
    id: z.string().meta({ ...core, description: '"<bot account>.<customer>"' }),
    botId: z.string().meta({ description: 'the bot account (WeChat account) the customer writes to' }),
    status: z.enum(STATUSES).meta(core),
    customer: z.object({ id: z.string(), name: z.string(), tier: z.enum(['vip', 'standard']) }).meta(core),
    assignee: person.nullable().meta({ ...core, description: 'the agent who owns the chat' }),
    slaDueAt: isoTime.nullable().meta({ ...core, description: 'first-response target of a waiting chat' }),
    slaWarnAt: isoTime.nullable().meta({ description: 'when a waiting chat is flagged as at risk' }),
    waitingSince: isoTime.nullable(),
    firstResponseAt: isoTime.nullable(),
    reason: z.enum(HANDOFF_REASONS).nullable().meta({ description: 'why the chat went to a person' }),
    question: z.string().nullable().meta({ description: 'the customer\'s question when handed off (null when they asked nothing: a bare 人工, 你好)' }),
    problemId: z.string().nullable().meta({ description: 'the known problem it is parked on' }),
    resolvedBy: z.string().nullable().meta({ description: 'who closed it (an agent id, "system", or "customer": they left the queue), while resolved' }),
    createdAt: isoTime.meta(core),
    updatedAt: isoTime.meta(core),
    tags: z.array(z.string()).meta(core),
    unread: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'customer messages the owner has not read yet (an active or parked chat; else 0); `POST …/read` clears them' }),
    preview: z
      .string()
      .nullable()
      .meta({ description: 'the latest customer message that says something (not 人工, a menu number or 都不是), cut to a line' }),
  })
  .meta({ id: 'Conversation' });

export const apiMessageSchema = z
  .object({
    id: z.string().meta({ ...core, description: 'orders the transcript; `?after=` continues after it' }),
    from: z.enum(['customer', 'bot', 'agent', 'system', 'note']).meta(core),
    text: z.string().meta(core),
    at: isoTime.meta(core),
    faqId: z.string().optional().meta({ description: 'the FAQ entry the bot answered with' }),
    confidence: z.number().optional().meta({ description: 'the bot\'s confidence in it, 0..1' }),
    agentName: z.string().optional(),
    agentId: z.string().optional().meta({ description: 'system lines: who made the change (an agent id, "system", or "customer": they left the queue)' }),
    event: z.string().optional().meta({ description: 'system lines: waiting, claimed, transferred, released, resolved, parked…' }),
    kind: z.string().optional().meta({ description: 'a customer message that is not text: image, voice, file…' }),
    mediaUrl: z
      .string()
      .optional()
      .meta({ description: 'the customer\'s image, voice or file as kept for agents: `GET` it with the same token (`/api/media/…`)' }),
  })
  .meta({ id: 'Message' });

export const apiChannelSchema = z
  .object({
    kind: z.string().meta({ description: '`wechaty`, `wecom-kf` (微信客服) or `oa` (Official Account)' }),
    label: z.string(),
    maxTextBytes: z.number().meta({ description: 'the largest text one WeChat message carries (longer replies are split)' }),
    window: z
      .object({
        remaining: z.number().meta({ description: 'replies the business may still send before the customer writes again' }),
        maxReplies: z.number(),
        closesAt: isoTime.nullable().meta({ description: 'when the window closes; null = closed now' }),
      })
      .nullable()
      .meta({ description: 'WeChat\'s service window (48 h / 5 messages), on channels that have one' }),
  })
  .meta({ id: 'Channel' });
export type ApiChannel = z.infer<typeof apiChannelSchema>;

export const apiConversationWithMessagesSchema = apiConversationSchema
  .extend({
    messages: z.array(apiMessageSchema).meta({ ...core, description: 'oldest first' }),
    channel: apiChannelSchema.nullable().meta({ description: 'the channel of the bot account, when its bot has said (null: unknown, e.g. an older bot)' }),
    archived: z
      .literal(true)
      .optional()
      .meta({ description: 'only in the archive (it left Redis after its retention): read-only, actions on it answer 404' }),
    earlier: z
      .literal(true)
      .optional()
      .meta({ description: 'older archived messages exist than the first one given: `?before=<its id>` reads them' }),
  })
  .meta({ id: 'ConversationWithMessages' });

/** A conversation as the API shows it. */
export type ApiConversation = z.infer<typeof apiConversationSchema>;
export type ApiMessage = z.infer<typeof apiMessageSchema>;

/** Fields picked one by one, so nothing the handoff adds later leaks out unreviewed. */
export function toApiConversation(c: Conversation): ApiConversation {
  return {
    id: c.id,
    botId: c.botId,
    status: c.status,
    customer: { id: c.customer.id, name: c.customer.name, tier: c.customer.tier },
    assignee: c.assignee ? { id: c.assignee.id, name: c.assignee.name } : null,
    slaDueAt: c.slaDueAt,
    slaWarnAt: c.slaWarnAt,
    waitingSince: c.waitingSince,
    firstResponseAt: c.firstResponseAt,
    reason: c.reason,
    // "人工" with nothing asked before it is no question: the row says so instead of showing the word.
    question: c.question && !isFiller(c.question) ? c.question : null,
    problemId: c.problemId,
    resolvedBy: c.resolvedBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    tags: [...c.tags],
    unread: c.unread,
    preview: c.preview,
  };
}

export function toApiMessage(m: TranscriptMessage): ApiMessage {
  const out: ApiMessage = { id: m.id, from: m.from, text: m.text, at: m.at };
  if (m.faqId !== undefined) out.faqId = m.faqId;
  if (m.confidence !== undefined) out.confidence = m.confidence;
  if (m.agentName !== undefined) out.agentName = m.agentName;
  if (m.from === 'system' && m.agentId !== undefined) out.agentId = m.agentId;
  if (m.event !== undefined) out.event = m.event;
  if (m.kind !== undefined) out.kind = m.kind;
  // Only media the console serves itself: a link elsewhere (a puppet's file URL) is not handed on.
  if (m.url?.startsWith('/api/media/')) out.mediaUrl = m.url;
  return out;
}
