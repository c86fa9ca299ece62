import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import type { CannedReplies } from '../canned.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { parse, requireKnowledge } from '../errors.ts';
import type { Handoff } from '../../handoff/index.ts';
import type { KbProblem, KnowledgeService } from '../../knowledge/index.ts';

export interface KnowledgeRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  knowledge?: KnowledgeService;
  canned: CannedReplies;
}

const gapsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export const knowledgeRouteDocs = routeGroup('Knowledge base', [
  {
    method: 'GET',
    path: '/api/canned',
    summary: "the agents' canned replies: the templates of `_replies.yml`, then every FAQ answer",
    access: 'agent',
    ok: { status: 200, description: '`{"items":[{"key","title","text","source":"template"|"faq","faqId"?}…]}`' },
  },
  {
    method: 'GET',
    path: '/api/kb/entries',
    summary: 'the FAQ entries with how often the bot answered with each, most used first',
    access: 'editor',
    ok: { status: 200, description: '`{"items":[{"id","question","category","tags","file","menu","hits"}…],"totalHits"}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'GET',
    path: '/api/kb/problems',
    summary: 'the problems of the editor files on disk (`file`, `line`, `message`); empty when all load',
    access: 'editor',
    ok: { status: 200, description: '`{"items":[{"file","line","message"}…]}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'GET',
    path: '/api/kb/unanswered',
    summary: 'the latest questions the FAQ did not answer (or whose answer did not help)',
    access: 'editor',
    query: gapsQuery,
    ok: { status: 200, description: '`{"items":[{"text","at","conv","reason","faqId"}…]}`' },
  },
]);

/**
 * What editors need to keep the FAQ good (role editor): the entries with how often the bot
 * answered with them, the problems of the files on disk, and the questions the FAQ missed. And
 * for agents, the canned replies (templates + FAQ answers).
 */
export async function knowledgeRoutes(app: FastifyInstance, opts: KnowledgeRoutesOptions): Promise<void> {
  const { handoff, knowledge, canned } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  const service = (): KnowledgeService => requireKnowledge(knowledge);
  const editor = { preHandler: requireRole('editor') };
  // The bot's phrases: the bot only logs a broken save (and keeps the last good phrases), so the
  // editors' page is where they learn of it; the one watcher of the editors' files knows.
  const phraseProblems = (): KbProblem[] => service().files.problems('messages');

  app.get('/api/canned', { preHandler: requireRole('agent') }, async () => ({
    items: await canned.list(knowledge ? knowledge.matcher().kb : null),
  }));

  app.get('/api/kb/entries', editor, async () => {
    const kb = service().matcher().kb;
    const hits = await handoff.faqHits();
    const items = kb.entries.map((e) => ({
      id: e.id,
      question: e.question,
      category: e.category,
      tags: e.tags,
      file: e.file,
      menu: e.menu ?? null,
      hits: hits[e.id] ?? 0,
    }));
    items.sort((a, b) => b.hits - a.hits || (a.menu ?? 99) - (b.menu ?? 99) || a.id.localeCompare(b.id));
    return { items, totalHits: items.reduce((n, e) => n + e.hits, 0) };
  });

  app.get('/api/kb/problems', editor, async () => {
    const [faq, replies, messages] = [service().problems(), await canned.problems(), phraseProblems()];
    return { items: [...faq, ...messages, ...replies].map((p) => ({ file: p.file, line: p.line, message: p.message })) };
  });

  app.get('/api/kb/unanswered', editor, async (request) => {
    const { limit } = parse(gapsQuery, request.query, 'query');
    const gaps = await handoff.knowledgeGaps(limit);
    return { items: gaps.map((g) => ({ text: g.text, at: g.at, conv: g.conv, reason: g.reason, faqId: g.faqId })) };
  });
}
