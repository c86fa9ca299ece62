/**
 * The console's HTTP API (reference: docs/http-api.md, from api-docs/), built apart from `listen` so
 * tests drive it with `inject`. It talks to bots only through the handoff API: never wechaty.
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import type { Handoff } from '../handoff/index.ts';
import type { KnowledgeService } from '../knowledge/index.ts';
import type { ArchiveReports } from '../archive/reports.ts';
import type { AgentStore } from './auth/index.ts';
import { openApiRoutes, trackRoutes } from './api-docs/index.ts';
import { errorBody, errorHandler } from './errors.ts';
import { liveRoutes, type LiveOptions } from './live.ts';
import { metricsRoutes } from './metrics.ts';
import { RedisGate, redisGateHook, redisGateLateHook } from './redis-gate.ts';
import { securityHeaders } from './security-headers.ts';
import { cannedReplies } from './canned.ts';
import { agentRoutes } from './routes/agents.ts';
import { botRoutes } from './routes/bots.ts';
import { mediaRoutes } from './routes/media.ts';
import { conversationRoutes, type ConversationArchive } from './routes/conversations.ts';
import type { ListCache } from './list-cache.ts';
import { demoRoutes, type DemoSimulator } from './routes/demo.ts';
import { healthRoutes, redisAnswers, withTimeout } from './routes/health.ts';
import { knowledgeRoutes } from './routes/knowledge.ts';
import { kbEditRoutes } from './routes/kb-edit.ts';
import { insightRoutes } from './routes/insights.ts';
import { lowRatingRoutes } from './routes/low-ratings.ts';
import { customerRoutes } from './routes/customers.ts';
import type { HistoryArchive } from './customer-history.ts';
import { problemRoutes } from './routes/problems.ts';
import { loginRoutes } from './routes/login.ts';
import { statsRoutes } from './routes/stats.ts';
import { searchRoutes, type SearchArchive } from './routes/search.ts';
import { taggingRoutes } from './routes/tagging.ts';
import { TAG_LABELS_FILE, TagLabels, TagSuggester, type TaggedArchive } from '../tagging/index.ts';
import { staticRoutes } from './static.ts';

export interface BuildAppOptions {
  handoff: Handoff;
  agents: AgentStore;
  /**
   * A pino logger made by `createLogger` (its redaction hides `req.headers.authorization`,
   * tokens and passwords). Without one the app does not log.
   */
  logger?: Logger;
  /** The hot-reloaded knowledge base: editors' routes and the canned replies (without it they answer 503). */
  knowledge?: KnowledgeService;
  /** The knowledge-base folder, where editors keep `_replies.yml` (the agents' reply templates). */
  kbDir?: string;
  /** The business time zone (reports' days); default Asia/Shanghai. */
  timezone?: string;
  /** Serve the web UI (default true). */
  ui?: boolean;
  /**
   * The bot in this process, for /readyz: true while its account is logged in. Without it (a
   * console on its own) readiness is Redis alone.
   */
  botReady?: () => boolean | Promise<boolean>;
  /** The process's metrics registry (shared with the bot); default: the console's own. */
  metrics?: Registry;
  /** The WeChat simulator of a demo (bot on wechaty-puppet-mock): enables /api/demo/*. */
  demo?: DemoSimulator;
  /**
   * The bot's channel callbacks (微信客服, Official Account) when the bot runs in this process: they
   * are served on the same HOST:PORT (the composition root passes them; the console knows no channel).
   */
  channelRoutes?: (app: FastifyInstance) => Promise<void>;
  /**
   * The Redis client /readyz pings and every /api request waits for (at most `redisWaitMs`, then
   * 503 REDIS_UNAVAILABLE); without it, /readyz asks the handoff for its counts and nothing waits.
   */
  redis?: Redis | Cluster;
  /** How long a request waits for an unreachable Redis before its 503 (default 1.5 s; REDIS_WAIT_MS). */
  redisWaitMs?: number;
  /** Login attempts per IP and username per minute (default 10). */
  loginRateLimit?: number;
  /** Login attempts per IP per minute, whatever the usernames (default 30). */
  loginIpRateLimit?: number;
  /** Trust X-Forwarded-For from a reverse proxy (default false). */
  trustProxy?: boolean;
  /**
   * The WebSocket GET /api/live (see live.ts); without it the route is not registered. `connect`
   * makes the Redis connections its event reader needs (one per bot account, blocking XREAD).
   */
  live?: Omit<LiveOptions, 'handoff' | 'agents' | 'logger'>;
  /**
   * The archive (PostgreSQL, DATABASE_URL): reports over any range read what left Redis from it
   * (`reports`); a conversation's history that left Redis is read from it (`conversation`,
   * `messages`: the ArchiveService of src/archive/service.ts has them).
   */
  archive?: { reports?: ArchiveReports } & Partial<ConversationArchive> & Partial<HistoryArchive> & Partial<SearchArchive> & Partial<TaggedArchive> & {
    /** Whether PostgreSQL answers: /readyz shows it (`archive: ok|down`) without ever failing on it. */
    status?(): { up: boolean };
  };
  /** Keeps the queue lists' answers while no event says they changed (default: one of the app's own). */
  listCache?: ListCache;
}

export const BODY_LIMIT = 64 * 1024;
export const DEFAULT_REDIS_WAIT_MS = 1_500;
const READY_TIMEOUT_MS = 1_000;

/** Answers that must never be reused from a cache: the API (one agent's data, live state) and the probes. */
const NO_STORE = /^\/(api\/|metrics(\?|$)|healthz(\?|$)|readyz(\?|$))/;

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { handoff, agents, redis } = opts;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: opts.trustProxy ?? false,
    // Fastify logs through this pino instance, so its redaction (authorization, token, password,
    // text…) covers request logs too. Message text goes in bodies, never URLs, so they stay free of it.
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
  }) as unknown as FastifyInstance;

  trackRoutes(app);
  app.decorateRequest('agent', null);
  app.setErrorHandler(errorHandler);
  acceptEmptyJson(app);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );

  await securityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // blob: the customers' images, fetched with the agent's token (an <img> cannot send it).
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
      },
    },
  });
  // Only routes that opt in (login) are limited; the key needs the parsed body, hence preHandler.
  // Counted per process: the per-account limit (AgentStore.login, in Redis) is the one every
  // console process shares.
  await app.register(rateLimit, { global: false, hook: 'preHandler' });
  app.addHook('onSend', async (request, reply) => {
    if (NO_STORE.test(request.url)) void reply.header('cache-control', 'no-store');
  });
  const redisWaitMs = opts.redisWaitMs ?? DEFAULT_REDIS_WAIT_MS;
  if (redis) {
    // Before every route's own hooks (the token check needs Redis too).
    const gate = new RedisGate(redis, { waitMs: redisWaitMs });
    app.addHook('onRequest', redisGateHook(gate));
    // Requests the first hook left to a token check (see there) that their route does not make.
    app.addHook('preValidation', redisGateLateHook(gate));
    app.addHook('onClose', async () => gate.close());
  }

  const ready = redis
    ? redisAnswers(redis)
    : async () => {
        await withTimeout(handoff.counts(), READY_TIMEOUT_MS);
        return true;
      };

  const botReady = opts.botReady;
  const archiveStatus = opts.archive?.status?.bind(opts.archive);
  await app.register(healthRoutes, {
    checks: { redis: ready, ...(botReady ? { bot: async () => botReady() } : {}) },
    ...(archiveStatus ? { details: { archive: () => (archiveStatus().up ? 'ok' : 'down') } } : {}),
  });
  // Not encapsulated: its onResponse hook must see every route's requests.
  await metricsRoutes(app, { handoff, registry: opts.metrics, redisWaitMs });
  await app.register(loginRoutes, { agents, loginRateLimit: opts.loginRateLimit, loginIpRateLimit: opts.loginIpRateLimit, features: { demo: Boolean(opts.demo) } });
  const convArchive = opts.archive?.conversation && opts.archive.messages ? (opts.archive as ConversationArchive) : undefined;
  await app.register(conversationRoutes, {
    handoff,
    agents,
    ...(opts.knowledge ? { knowledge: opts.knowledge } : {}),
    ...(convArchive ? { archive: convArchive } : {}),
    ...(opts.listCache ? { listCache: opts.listCache } : {}),
  });
  const historyArchive = opts.archive?.conversation && opts.archive.history ? (opts.archive as HistoryArchive) : undefined;
  await app.register(customerRoutes, { handoff, agents, ...(historyArchive ? { archive: historyArchive } : {}) });
  // Suggested tags need Redis itself (the shared model); a console always has it, some tests do not.
  const tagLabels = TagLabels.of(opts.kbDir, (err) => opts.logger?.warn({ err }, `tagging: ${TAG_LABELS_FILE} not read`));
  const tagging = redis
    ? new TagSuggester({
        redis,
        keys: handoff.keys,
        bots: () => handoff.bots(),
        faqTags: (faqId) => opts.knowledge?.matcher().entry(faqId)?.tags,
        tagLabel: (tag) => tagLabels.label(tag),
        ...(opts.archive?.taggedConversations ? { archive: opts.archive as TaggedArchive } : {}),
        onError: (err) => opts.logger?.warn({ err }, 'tagging: scheduled training failed'),
      })
    : undefined;
  await app.register(statsRoutes, { handoff, agents, ...(tagging ? { tagCounts: () => tagging.counts() } : {}) });
  if (tagging) await app.register(taggingRoutes, { handoff, agents, tagging });
  // Without the archive's search (no DATABASE_URL): live conversations only, in Redis.
  await app.register(searchRoutes, { handoff, agents, timezone: opts.timezone ?? 'Asia/Shanghai', ...(opts.archive?.search ? { archive: opts.archive as SearchArchive } : {}) });
  await app.register(agentRoutes, { agents, handoff });
  await app.register(botRoutes, { handoff, agents });
  await app.register(mediaRoutes, { handoff, agents });
  await app.register(problemRoutes, { handoff, agents, knowledge: opts.knowledge });
  await app.register(insightRoutes, {
    handoff,
    agents,
    knowledge: opts.knowledge,
    timezone: opts.timezone ?? 'Asia/Shanghai',
    tagLabel: (tag) => tagLabels.label(tag),
    ...(opts.archive?.reports ? { archive: { reports: opts.archive.reports } } : {}),
  });
  await app.register(lowRatingRoutes, { handoff, agents });
  await app.register(knowledgeRoutes, { handoff, agents, knowledge: opts.knowledge, canned: cannedReplies(opts.kbDir, opts.knowledge?.files), tagLabel: (tag) => tagLabels.label(tag) });
  await app.register(kbEditRoutes, { handoff, agents, knowledge: opts.knowledge, kbDir: opts.kbDir });
  if (opts.demo) await app.register(demoRoutes, { agents, simulator: opts.demo });
  if (opts.channelRoutes) await app.register(opts.channelRoutes);
  await app.register(openApiRoutes, { agents });
  if (opts.ui !== false) await app.register(staticRoutes);
  if (opts.live) await app.register(liveRoutes, { ...opts.live, handoff, agents, logger: opts.logger });
  return app;
}

/**
 * Many HTTP clients send `Content-Type: application/json` with an empty body on a bodiless POST
 * (claim, release…): that is `{}`, not Fastify's 400. Everything else is Fastify's own JSON parser
 * (the body limit, invalid JSON and prototype poisoning answer as before).
 */
function acceptEmptyJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text === '') {
      done(null, {});
      return;
    }
    parseJson(request, text, done);
  });
}
