import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse, requireKnowledge } from '../errors.ts';
import type { Conversation, Handoff } from '../../handoff/index.ts';
import {
  addAlternate,
  createEntry,
  groupGaps,
  KbEditError,
  MAX_MENU,
  MAX_PHRASE_CHARS,
  menuOf,
  setAnswer,
  setMenuOrder,
  type FaqEntry,
  type KnowledgeBase,
  type KnowledgeService,
} from '../../knowledge/index.ts';

export interface KbEditRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  knowledge?: KnowledgeService;
  /** The knowledge-base folder the service reads (default: the service's own root). */
  kbDir?: string;
}

const TOP = 10;
/** Conversations per state whose agents' tags count towards the top 10 (see `taggedCounts`). */
const TAG_SCAN = 500;
const MAX_GROUPS = 200;

const oneLine = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is empty`)
    .max(MAX_PHRASE_CHARS, `at most ${MAX_PHRASE_CHARS} characters`)
    .refine((s) => !/[\r\n\u2028\u2029]/.test(s), 'must be one line');

const kebab = z
  .string()
  .trim()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case: lower-case letters, digits and "-"')
  .meta({ description: 'kebab-case: lower-case letters, digits and "-"' });

const gapsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(500) });
const entryParams = z.object({ id: z.string().min(1).max(200) });
const alternateBody = z.object({ question: oneLine('question') });
const menuBody = z.object({
  ids: z
    .array(z.string().min(1).max(200))
    .max(MAX_MENU, `the menu has at most ${MAX_MENU} entries`)
    .refine((ids) => new Set(ids).size === ids.length, 'an entry is listed twice'),
});
const entryBody = z.object({
  id: kebab.pipe(z.string().max(64)),
  question: oneLine('question'),
  alternates: z.array(oneLine('alternate')).max(50).default([]),
  category: kebab.pipe(z.string().max(32)),
  answer: z.string().trim().min(1, 'the answer is empty').max(4000),
});

const answerBody = z.object({ answer: z.string().trim().min(1, 'the answer is empty').max(4000) });

const edited = 'The change is written to the markdown files and loaded before the answer; `reloaded` false: the files on disk do not load (see /api/kb/problems).';

export const kbEditRouteDocs = routeGroup('Knowledge base', [
  {
    method: 'GET',
    path: '/api/kb/top',
    summary: 'the top 10 entries by traffic (bot answers plus agents\' tags) next to the editors\' menu',
    access: 'editor',
    ok: { status: 200, description: '`{"items":[{"id","question","category","hits","tagged","score","rank","menu"}…],"menu":[…],"totalHits"}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/menu',
    summary: 'set the menu order (`menu:` of each entry; at most 10)',
    details: edited,
    access: 'editor',
    body: menuBody,
    ok: { status: 200, description: '`{"menu":[{"id","question","menu"}…],"reloaded"}`' },
    errors: ['NOT_FOUND', 'CONFLICT', 'KB_INVALID', 'UNAVAILABLE'],
  },
  {
    method: 'GET',
    path: '/api/kb/gaps',
    summary: 'the questions the FAQ missed, grouped by similarity, biggest group first, with the closest entry',
    access: 'editor',
    query: gapsQuery,
    ok: { status: 200, description: '`{"groups":[{"label","count","examples","reasons","notHelpful","suggested","lastAt"}…],"total"}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/entries/:id/alternates',
    summary: "add a phrasing to an entry's alternates (one added line in its file)",
    details: edited,
    access: 'editor',
    params: entryParams,
    body: alternateBody,
    ok: { status: 200, description: '`{"id","file","alternates","reloaded"}`' },
    errors: ['NOT_FOUND', 'CONFLICT', 'UNSAFE_TEXT', 'KB_INVALID', 'UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/entries/:id/answer',
    summary: "replace an entry's answer (the markdown below its front matter, which stays as written)",
    details: edited,
    access: 'editor',
    params: entryParams,
    body: answerBody,
    ok: { status: 200, description: '`{"id","file","changed","reloaded"}`' },
    errors: ['NOT_FOUND', 'UNSAFE_TEXT', 'KB_INVALID', 'UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/entries',
    summary: 'create an entry as `<category>/<id>.md`',
    details: edited,
    access: 'editor',
    body: entryBody,
    ok: { status: 201, description: '`{"id","file","reloaded"}`' },
    errors: ['CONFLICT', 'UNSAFE_TEXT', 'KB_INVALID', 'UNAVAILABLE'],
  },
]);

const EDIT_STATUS: Record<KbEditError['code'], [number, string]> = {
  NOT_FOUND: [404, 'NOT_FOUND'],
  CONFLICT: [409, 'CONFLICT'],
  INVALID: [400, 'BAD_REQUEST'],
  // Its own code: a client can tell "remove the hidden character" from a malformed request.
  UNSAFE_TEXT: [400, 'UNSAFE_TEXT'],
  KB_INVALID: [409, 'KB_INVALID'],
};

/** A refused edit in the API's error shape (KB_INVALID: the tree does not lint; its problems are in the message). */
export async function editing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof KbEditError)) throw err;
    const [status, code] = EDIT_STATUS[err.code];
    throw new ApiError(status, code, err.message);
  }
}

/**
 * Knowledge from real traffic (role editor): the top 10 by traffic next to the editors' menu, with
 * one call to adopt an order; the questions the FAQ missed, grouped by similarity; and the edits
 * that act on them: an alternate phrasing added to an entry, a new entry. Every edit is written to
 * the markdown files (see knowledge/edit.ts) and the knowledge service is reloaded before the
 * response, so the next customer question already matches it.
 */
export async function kbEditRoutes(app: FastifyInstance, opts: KbEditRoutesOptions): Promise<void> {
  const { handoff, knowledge } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  const service = (): KnowledgeService => requireKnowledge(knowledge);
  const kbDir = (): string => opts.kbDir ?? service().matcher().kb.root;
  const editor = { preHandler: requireRole('editor') };
  /** The change is live before we answer; false when the files on disk do not load (see /api/kb/problems). */
  const reload = (): Promise<boolean> => service().reload();

  app.get('/api/kb/top', editor, async () => {
    const kb = service().matcher().kb;
    const [hits, tagged] = await Promise.all([handoff.faqHits(), taggedCounts(handoff, kb)]);
    const order = menuRank(kb);
    const ranked = kb.entries
      .map((e) => ({ e, hits: hits[e.id] ?? 0, tagged: tagged.get(e.id) ?? 0 }))
      .map((x) => ({ ...x, score: x.hits + x.tagged }))
      .sort((a, b) => b.score - a.score || b.hits - a.hits || order(a.e) - order(b.e));
    const items = ranked.slice(0, TOP).map((x, i) => ({
      id: x.e.id,
      question: x.e.question,
      category: x.e.category,
      hits: x.hits,
      tagged: x.tagged,
      score: x.score,
      rank: i + 1,
      menu: x.e.menu ?? null,
    }));
    return {
      items,
      menu: menuOf(kb).map((m) => ({ ...m, hits: hits[m.id] ?? 0, tagged: tagged.get(m.id) ?? 0 })),
      totalHits: Object.values(hits).reduce((n, h) => n + h, 0),
    };
  });

  app.post('/api/kb/menu', editor, async (request) => {
    const { ids } = parse(menuBody, request.body, 'body');
    const menu = await editing(() => setMenuOrder(kbDir(), ids));
    return { menu, reloaded: await reload() };
  });

  app.get('/api/kb/gaps', editor, async (request) => {
    const { limit } = parse(gapsQuery, request.query, 'query');
    const gaps = await handoff.knowledgeGaps(limit);
    return { groups: groupGaps(gaps, service().matcher(), { limit: MAX_GROUPS }), total: gaps.length };
  });

  app.post('/api/kb/entries/:id/alternates', editor, async (request) => {
    const { id } = parse(entryParams, request.params, 'params');
    const { question } = parse(alternateBody, request.body, 'body');
    const added = await editing(() => addAlternate(kbDir(), id, question));
    return { ...added, reloaded: await reload() };
  });

  app.post('/api/kb/entries/:id/answer', editor, async (request) => {
    const { id } = parse(entryParams, request.params, 'params');
    const { answer } = parse(answerBody, request.body, 'body');
    const set = await editing(() => setAnswer(kbDir(), id, answer));
    return { ...set, reloaded: set.changed ? await reload() : true };
  });

  app.post('/api/kb/entries', editor, async (request, reply) => {
    const body = parse(entryBody, request.body, 'body');
    const created = await editing(() => createEntry(kbDir(), body));
    const reloaded = await reload();
    return reply.status(201).send({ ...created, reloaded });
  });
}

/** Menu entries first by position, then the rest in knowledge-base order. */
function menuRank(kb: KnowledgeBase): (e: FaqEntry) => number {
  const pos = new Map(kb.entries.map((e, i) => [e.id, e.menu !== undefined ? e.menu - 1 : MAX_MENU + i]));
  return (e) => pos.get(e.id) ?? Number.MAX_SAFE_INTEGER;
}

/**
 * Agents' tags as traffic: how many open conversations (waiting, with an agent, parked on a
 * problem; up to 500 of each, resolved ones are not indexed) carry a tag naming an entry: its id,
 * or one of its tags after the category that no other entry has ("refund", not "billing").
 */
async function taggedCounts(handoff: Handoff, kb: KnowledgeBase): Promise<Map<string, number>> {
  const key = (tag: string): string => tag.trim().toLowerCase();
  // null: a tag two entries have, which says nothing about which one.
  const byTag = new Map<string, string | null>();
  for (const e of kb.entries) {
    for (const t of e.tags.slice(1)) byTag.set(key(t), byTag.has(key(t)) && byTag.get(key(t)) !== e.id ? null : e.id);
  }
  for (const e of kb.entries) byTag.set(key(e.id), e.id);
  const entryOf = (tag: string): string | undefined => byTag.get(key(tag)) ?? undefined;
  const lists: Conversation[][] = await Promise.all([
    handoff.listWaiting(TAG_SCAN),
    handoff.list('active', { limit: TAG_SCAN }),
    handoff.list('awaiting_fix', { limit: TAG_SCAN }),
  ]);
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const c of lists.flat()) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const ids = new Set(c.tags.map(entryOf).filter((id): id is string => id !== undefined));
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
