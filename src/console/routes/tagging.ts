/**
 * Suggested tags (src/tagging): a conversation's suggestions with one-key accept, and for managers
 * the per-tag precision/recall table measured on held-out past conversations, retraining, and the
 * auto-apply switches (off for a tag can also take back what it applied).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, toApiConversation } from '../serialize.ts';
import type { Conversation, Handoff } from '../../handoff/index.ts';
import { inputOf, type TagSuggester } from '../../tagging/index.ts';

export interface TaggingRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  tagging: TagSuggester;
}

/** The transcript read for suggestions: a topic is set early in a chat. */
const MESSAGES_READ = 300;
const MAX_TAGS = 20;

const paramsSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/, 'must be a conversation id "<bot>.<customer>"')
    .meta({ description: 'a conversation id "<bot>.<customer>"' }),
});
const tagSchema = z.string().trim().min(1, 'must not be blank').max(32, 'must be at most 32 characters');
const acceptBody = z.object({ tag: tagSchema.meta({ description: 'the suggested tag to add' }) });
const autoBody = z.object({
  enabled: z.boolean({ error: 'must be true or false' }),
  tag: tagSchema.optional().meta({ description: 'one tag; without it, auto-apply for every tag' }),
  undo: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .meta({ description: 'with `enabled: false` and a `tag`: also remove that tag from the conversations it was applied to automatically' }),
});

const rate = z.object({ precision: z.number().nullable(), recall: z.number().nullable(), predicted: z.number(), correct: z.number() });
const suggestionsSchema = z.object({
  items: z.array(
    z.object({
      tag: z.string(),
      score: z.number().nullable().meta({ description: "the model's probability, 0-1 (null: suggested by an FAQ entry alone)" }),
      source: z.enum(['model', 'faq']),
      faqIds: z.array(z.string()).meta({ description: 'FAQ entries the chat touched that speak for the tag' }),
      words: z.array(z.string()).meta({ description: 'the words that pushed the model towards it' }),
    }),
  ),
  applied: z.array(z.string()).meta({ description: 'tags applied automatically to this conversation (now or before)' }),
  autoApplied: z.array(z.string()).meta({ description: 'tags this call applied' }),
  tags: z.array(z.string()).meta({ description: "the conversation's tags after it" }),
  trainedAt: z.string().nullable(),
});
const qualitySchema = z.object({
  trainedAt: z.string().nullable(),
  trainedBy: z.string().nullable(),
  history: z.number().meta({ description: 'tagged past conversations trained on' }),
  auto: z.boolean().meta({ description: 'auto-apply switched on (each tag still needs its measured precision)' }),
  bar: z.number().meta({ description: 'the precision a tag needs for auto-apply (0.9)' }),
  threshold: z.number().meta({ description: 'the probability from which a tag is applied' }),
  items: z.array(
    z.object({
      tag: z.string(),
      examples: z.number(),
      suggest: rate,
      auto: rate,
      autoEligible: z.boolean(),
      autoApply: z.boolean(),
      off: z.boolean(),
      accepted: z.number(),
      appliedCount: z.number(),
    }),
  ),
});

export const taggingRouteDocs = routeGroup('Suggested tags', [
  {
    method: 'GET',
    path: '/api/conversations/:id/tag-suggestions',
    summary: 'tags suggested for a conversation from its words and the FAQ entries it touched',
    details:
      'Suggestions come from a model trained on agents\' past tags (over the knowledge engine\'s segmentation) and from the FAQ ' +
      'entries the bot answered with, where agents use those entries\' tags. A tag whose precision, measured on held-out past ' +
      'conversations, is at least 90% (and that managers left on) is applied by this call when the model is sure enough: at most ' +
      'once per conversation, so a tag an agent removes stays removed. A missing or day-old model is retrained in the background.',
    access: 'agent',
    params: paramsSchema,
    ok: { status: 200, description: 'the suggestions', schema: suggestionsSchema },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/tag-suggestions/accept',
    summary: 'add a suggested tag (counted as accepted); the same rules as changing tags',
    access: 'agent',
    params: paramsSchema,
    body: acceptBody,
    ok: { status: 200, description: 'the conversation', schema: apiConversationSchema },
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE'],
  },
  {
    method: 'GET',
    path: '/api/tagging',
    summary: 'per tag: precision and recall of suggestions and of auto-apply, measured on held-out past conversations',
    details: 'Each past conversation is judged by a model trained without it (5 folds). `autoApply`: the tag is applied without asking now.',
    access: 'manager',
    ok: { status: 200, description: 'the quality table', schema: qualitySchema },
  },
  {
    method: 'POST',
    path: '/api/tagging/retrain',
    summary: 'train the model on the tagged history now and measure it again',
    access: 'manager',
    ok: { status: 200, description: 'the new quality table', schema: qualitySchema },
    errors: ['CONFLICT'],
  },
  {
    method: 'POST',
    path: '/api/tagging/auto',
    summary: 'switch auto-apply on or off, for every tag or one; off with `undo` takes the tag back where it was applied',
    access: 'manager',
    body: autoBody,
    ok: { status: 200, description: 'the quality table, with `undone`: conversations the tag was removed from', schema: qualitySchema.extend({ undone: z.number().optional() }) },
  },
]);

export async function taggingRoutes(app: FastifyInstance, opts: TaggingRoutesOptions): Promise<void> {
  const { handoff, tagging } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  const agentOnly = { preHandler: requireRole('agent') };
  const managerOnly = { preHandler: requireRole('manager') };

  const live = async (id: string): Promise<Conversation> => {
    const conv = await handoff.conversation(id);
    if (!conv) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} not found`);
    return conv;
  };

  app.get('/api/conversations/:id/tag-suggestions', agentOnly, async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    let conv = await live(id);
    const messages = await handoff.transcript(id, { count: MESSAGES_READ });
    const s = await tagging.suggest(id, inputOf(messages), conv.tags);
    const room = MAX_TAGS - conv.tags.length;
    const apply = s.autoApply.slice(0, Math.max(0, room));
    if (apply.length) {
      // The system's change, not the caller's: no owner rule holds it back.
      conv = await handoff.setTags(id, [...conv.tags, ...apply]);
      await tagging.markApplied(id, apply);
    }
    return { items: s.items, applied: s.applied.filter((t) => !s.autoApply.includes(t) || apply.includes(t)), autoApplied: apply, tags: conv.tags, trainedAt: s.trainedAt };
  });

  app.post('/api/conversations/:id/tag-suggestions/accept', agentOnly, async (request) => {
    const { id } = parse(paramsSchema, request.params, 'params');
    const { tag } = parse(acceptBody, request.body, 'body');
    const conv = await live(id);
    if (conv.tags.includes(tag)) return toApiConversation(conv);
    if (conv.tags.length >= MAX_TAGS) throw new ApiError(400, 'BAD_REQUEST', `at most ${MAX_TAGS} tags`);
    const agent = currentAgent(request);
    const updated = await handoff.setTags(id, [...conv.tags, tag], { by: agent.id, manager: hasRole(agent, 'manager') });
    await tagging.accepted(tag);
    return toApiConversation(updated);
  });

  app.get('/api/tagging', managerOnly, async () => tagging.quality());

  app.post('/api/tagging/retrain', managerOnly, async (request) => {
    const trained = await tagging.retrain(currentAgent(request).id);
    if (!trained) throw new ApiError(409, 'CONFLICT', 'another console is training the tag model now; its result is shared when it finishes');
    return tagging.quality();
  });

  app.post('/api/tagging/auto', managerOnly, async (request) => {
    const { enabled, tag, undo } = parse(autoBody, request.body, 'body');
    const agent = currentAgent(request);
    await tagging.store.setAuto(enabled, agent.id, new Date(), tag);
    let undone = 0;
    if (!enabled && tag !== undefined && undo) {
      // Applied under its name (or, before names, its id): either is the tag.
      const names = tagging.named(tag);
      for (const [conv, tags] of await tagging.store.allApplied()) {
        if (!tags.some((t) => names.includes(t))) continue;
        const c = await handoff.conversation(conv);
        if (!c?.tags.some((t) => names.includes(t) && tags.includes(t))) continue;
        await handoff.setTags(conv, c.tags.filter((t) => !(names.includes(t) && tags.includes(t))));
        undone++;
      }
    }
    return { ...(await tagging.quality()), ...(undo ? { undone } : {}) };
  });
}
