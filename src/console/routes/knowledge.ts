import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import type { CannedReplies } from '../canned.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse, requireKnowledge } from '../errors.ts';
import { streamIdSchema } from '../stream-id.ts';
import { editing } from './kb-edit.ts';
import { MAX_THRESHOLD, MIN_THRESHOLD, type Handoff } from '../../handoff/index.ts';
import {
  autoAdopt,
  learnFromTraffic,
  MAX_PHRASE_CHARS,
  phraseKey,
  readyToAdopt,
  removeAlternate,
  type Adopted,
  type KbProblem,
  type KnowledgeBase,
  type KnowledgeService,
} from '../../knowledge/index.ts';

export interface KnowledgeRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  knowledge?: KnowledgeService;
  canned: CannedReplies;
  /** The knowledge-base folder automatic adoptions edit (default: the service's own root). */
  kbDir?: string;
  /** How often this console checks for phrasings to adopt automatically (ms; default 60 s; 0 = never). */
  learningEveryMs?: number;
  /** A tag's name as agents see it (_tags.yml), for the entries' list. */
  tagLabel?: (tag: string) => string;
}

const gapsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
/** Evidence entries read per bot account for the learning page. */
const learningQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(5_000) });
const settingsBody = z
  .object({
    autoAdopt: z.boolean({ error: 'must be true or false' }).optional(),
    threshold: z.number().int().min(MIN_THRESHOLD, `at least ${MIN_THRESHOLD}: one customer is no agreement`).max(MAX_THRESHOLD).optional(),
  })
  .refine((b) => b.autoAdopt !== undefined || b.threshold !== undefined, 'give autoAdopt, threshold or both');
const dismissBody = z.object({
  faqId: z.string().min(1).max(200),
  text: z.string().trim().min(1, 'is empty').max(MAX_PHRASE_CHARS),
});
const adoptionParams = z.object({ id: streamIdSchema({ message: 'must be an adoption id "<ms>-<seq>"' }).meta({ description: 'an adoption id from the audit list' }) });
const LEARNING_EVERY_MS = 60_000;

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
    ok: { status: 200, description: '`{"items":[{"id","question","category","tags","tagNames","file","menu","hits","alternates","answer"}…],"totalHits"}`; `tagNames`: each tag as agents see it (`_tags.yml`); `answer`: the markdown as written' },
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
  {
    method: 'GET',
    path: '/api/kb/learning',
    summary: 'learning from traffic: phrasings customers\' picks, "helpful"s and agents\' FAQ answers proved, proposed as alternates; wrong answers; the automatic adoptions',
    details:
      'Accept a proposal with POST /api/kb/entries/:id/alternates. A proposal is `ready` when automatic adoption would take it: ' +
      '`threshold` conversations agree and nothing conflicts (the phrasing confirmed for another entry, or this entry\'s answer to it rejected).',
    access: 'editor',
    query: learningQuery,
    ok: { status: 200, description: '`{"settings":{"autoAdopt","threshold","updatedBy","updatedAt"},"proposals":[{"id","question","proposals":[{"faqId","text","key","count","convs","kinds","lastAt","conv","conflict","ready"}…]}…],"wrongAnswers":[{"faqId","question","text","count","convs","kinds","corrections","lastAt","conv"}…],"adoptions":[{"id","faqId","question","text","convs","count","kinds","at","undone"}…],"evidence"}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/learning/settings',
    summary: 'switch automatic adoption on or off and set how many agreeing conversations it needs (2-20, default 3)',
    details: 'Switched on, a pass runs at once (then every minute): `adopted` lists what it added.',
    access: 'editor',
    body: settingsBody,
    ok: { status: 200, description: '`{"settings":{…},"adopted":[{"id","faqId","text","convs"}…]}`' },
    errors: ['UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/learning/dismiss',
    summary: 'dismiss a proposed alternate or a wrong answer: the phrasing is neither proposed nor adopted for that entry again, nor listed as its wrong answer',
    access: 'editor',
    body: dismissBody,
    ok: { status: 200, description: '`{"faqId","key"}`' },
    errors: ['NOT_FOUND', 'UNAVAILABLE'],
  },
  {
    method: 'POST',
    path: '/api/kb/learning/adoptions/:id/undo',
    summary: 'undo an automatic adoption: the alternate leaves its entry again (one line) and is not adopted again',
    details: 'Repeated: 200 with `changed` false. An alternate already gone from the file is fine (`removed` false).',
    access: 'editor',
    params: adoptionParams,
    ok: { status: 200, description: '`{"id","faqId","text","alternates","removed","changed","undone":{"by","at"},"reloaded"}`' },
    errors: ['NOT_FOUND', 'KB_INVALID', 'CONFLICT', 'UNAVAILABLE'],
  },
]);

/**
 * What editors need to keep the FAQ good (role editor): the entries with how often the bot
 * answered with them, the problems of the files on disk, the questions the FAQ missed, and what
 * traffic taught (knowledge/learning.ts): proposed alternates, wrong answers, automatic adoptions
 * (checked every minute while switched on). And for agents, the canned replies (templates + FAQ
 * answers).
 */
export async function knowledgeRoutes(app: FastifyInstance, opts: KnowledgeRoutesOptions): Promise<void> {
  const { handoff, knowledge, canned } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  const service = (): KnowledgeService => requireKnowledge(knowledge);
  const editor = { preHandler: requireRole('editor') };
  // The bot's phrases: the bot only logs a broken save (and keeps the last good phrases), so the
  // editors' page is where they learn of it; the one watcher of the editors' files knows.
  const phraseProblems = (): KbProblem[] => [...service().files.problems('messages'), ...service().files.problems('smalltalk')];

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
      // What agents see on their chats (_tags.yml), so editors and agents speak of the same tag.
      tagNames: e.tags.map((t) => opts.tagLabel?.(t) ?? t),
      file: e.file,
      menu: e.menu ?? null,
      hits: hits[e.id] ?? 0,
      alternates: e.alternates,
      // The markdown as written (an editor reads and edits it on the page).
      answer: e.answer,
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

  const learning = handoff.learning;
  // One pass at a time in this process (the timer and an editor switching it on may meet).
  let pass: Promise<Adopted[]> | null = null;
  const adoptNow = (): Promise<Adopted[]> =>
    (pass ??= autoAdopt(learning, service(), { kbDir: opts.kbDir, logger: app.log }).finally(() => (pass = null)));

  app.get('/api/kb/learning', editor, async (request) => {
    const { limit } = parse(learningQuery, request.query, 'query');
    const kb = service().matcher().kb;
    const [settings, evidence, dismissed, adoptions] = await Promise.all([learning.settings(), learning.evidence(limit), learning.dismissed(), learning.adoptions()]);
    const report = learnFromTraffic(evidence, kb, { dismissed });
    const ready = new Set(readyToAdopt(report, settings.threshold));
    const question = questionOf(kb);
    return {
      settings,
      proposals: report.proposals.map((g) => ({
        ...g,
        proposals: g.proposals.map((p) => ({
          ...p,
          conflict: p.conflict && { ...p.conflict, entries: p.conflict.entries.map((e) => ({ ...e, question: question(e.id) })) },
          ready: ready.has(p),
        })),
      })),
      wrongAnswers: report.wrongAnswers.map(({ key: _key, ...w }) => ({
        ...w,
        question: question(w.faqId),
        corrections: w.corrections.map((c) => ({ ...c, question: question(c.id) })),
      })),
      adoptions: adoptions.map(({ key: _key, ...a }) => ({ ...a, question: question(a.faqId) })),
      evidence: evidence.length,
    };
  });

  app.post('/api/kb/learning/settings', editor, async (request) => {
    const body = parse(settingsBody, request.body, 'body');
    service();
    const agent = currentAgent(request);
    const settings = await learning.setSettings(body, agent.name);
    app.log.info({ autoAdopt: settings.autoAdopt, threshold: settings.threshold, by: agent.id }, 'learning: settings changed');
    const adopted = settings.autoAdopt ? await adoptNow() : [];
    return { settings, adopted: adopted.map((a) => ({ id: a.id, faqId: a.faqId, text: a.text, convs: a.convs })) };
  });

  app.post('/api/kb/learning/dismiss', editor, async (request) => {
    const { faqId, text } = parse(dismissBody, request.body, 'body');
    if (!service().matcher().entry(faqId)) throw new ApiError(404, 'NOT_FOUND', `no entry "${faqId}"`);
    const key = phraseKey(text);
    if (!key) throw new ApiError(400, 'BAD_REQUEST', 'body.text: has no words');
    await learning.dismiss(faqId, key);
    return { faqId, key };
  });

  app.post('/api/kb/learning/adoptions/:id/undo', editor, async (request) => {
    const { id } = parse(adoptionParams, request.params, 'params');
    const adoption = await learning.adoption(id);
    if (!adoption) throw new ApiError(404, 'NOT_FOUND', `no automatic adoption ${id}`);
    const agent = currentAgent(request);
    let alternates: string[] | null = null;
    let removed = false;
    if (!adoption.undone) {
      try {
        ({ alternates } = await editing(() => removeAlternate(opts.kbDir ?? service().matcher().kb.root, adoption.faqId, adoption.text)));
        removed = true;
      } catch (err) {
        // Removed by hand already (or the entry is gone): the undo still stands.
        if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    const changed = await learning.markUndone(adoption, agent.name);
    if (changed) app.log.info({ auditId: id, faqId: adoption.faqId, removed, by: agent.id }, 'learning: automatic adoption undone');
    const reloaded = removed ? await service().reload() : true;
    const after = await learning.adoption(id);
    return { id, faqId: adoption.faqId, text: adoption.text, alternates: alternates ?? service().matcher().entry(adoption.faqId)?.alternates ?? [], removed, changed, undone: after?.undone ?? null, reloaded };
  });

  const every = opts.learningEveryMs ?? LEARNING_EVERY_MS;
  if (knowledge && every > 0) {
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      timer = setInterval(() => {
        adoptNow().catch((err: unknown) => app.log.warn({ err }, 'learning: automatic pass failed'));
      }, every);
      timer.unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  }
}

/** An entry's question by id (its id when the entry is gone). */
function questionOf(kb: KnowledgeBase): (id: string) => string {
  const byId = new Map(kb.entries.map((e) => [e.id, e.question]));
  return (id) => byId.get(id) ?? id;
}
