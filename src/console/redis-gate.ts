/**
 * Fail fast during a Redis outage. The shared client rides out an outage by queueing commands
 * (see handoff/redis.ts), which is right for the bot but leaves an agent's request hanging for
 * the whole outage. Every /api request passes this gate first: when Redis does not answer, the
 * request waits a short while for it and then gets a clear 503, before any of its commands were
 * sent, so a 503 always means "nothing was done, retry".
 *
 * "Answers" is checked with a PING, not the client's status: a Redis that hangs (paused, swapping,
 * a dead link the kernel has not noticed) keeps the connection "ready" for minutes. Requests that
 * arrive together share one PING; one round trip is all it costs while Redis is fine. (A request
 * already past the gate when Redis stops still waits for it: the gate cannot know what it did.)
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { errorBody } from './errors.ts';

/** A client that refuses commands outright (no offline queue) is asked again this often while requests wait. */
const RETRY_MS = 100;

export const REDIS_UNAVAILABLE = 'REDIS_UNAVAILABLE';

export interface RedisGateOptions {
  /** How long a request waits for Redis before its 503. */
  waitMs: number;
}

export class RedisGate {
  /** The one PING in flight, shared by every waiting request. */
  private probe: Promise<void> | null = null;
  private waiters = 0;
  private closed = false;

  constructor(
    private readonly client: Pick<Redis | Cluster, 'ping'>,
    readonly opts: RedisGateOptions,
  ) {}

  /** True once Redis answers the current PING (in flight, or sent now); false after `waitMs` without an answer. */
  async available(): Promise<boolean> {
    this.waiters += 1;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.answered().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.opts.waitMs))),
      ]);
    } finally {
      clearTimeout(timer);
      this.waiters -= 1;
    }
  }

  /** Stops asking (the app is closing); a PING already sent may still complete. */
  close(): void {
    this.closed = true;
  }

  private answered(): Promise<void> {
    this.probe ??= this.pingUntilAnswered().finally(() => (this.probe = null));
    return this.probe;
  }

  private async pingUntilAnswered(): Promise<void> {
    for (;;) {
      try {
        await this.client.ping();
        return;
      } catch (err) {
        // Nobody waits any more: the next request asks afresh.
        if (this.closed || this.waiters === 0) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}

/**
 * onRequest hook: every /api route (the live socket's upgrade too: its token check needs Redis)
 * waits for the gate; a 503 REDIS_UNAVAILABLE with Retry-After when Redis does not answer in time.
 * Health probes, metrics and the UI's files do not pass here.
 */
export function redisGateHook(gate: RedisGate) {
  const retryAfter = String(Math.max(1, Math.ceil(gate.opts.waitMs / 1000)));
  // Logged once per outage, not once per refused request.
  let failing = false;
  return async function redisGate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // Only matched routes: an unknown /api path is a 404 whatever Redis does.
    if (!request.routeOptions.url?.startsWith('/api/')) return undefined;
    if (await gate.available()) {
      if (failing) request.log.info('redis answers again: serving requests');
      failing = false;
      return undefined;
    }
    if (!failing) request.log.warn({ waitMs: gate.opts.waitMs }, 'redis does not answer: requests get 503 REDIS_UNAVAILABLE');
    failing = true;
    if (request.headers.upgrade) {
      // A refused WebSocket handshake: its socket left the HTTP server, so nothing else would close it.
      void reply.header('connection', 'close');
      reply.raw.once('finish', () => request.raw.socket.end());
    }
    return reply
      .status(503)
      .header('retry-after', retryAfter)
      .send(errorBody(REDIS_UNAVAILABLE, 'the service cannot reach its database right now; nothing was done, please retry in a moment'));
  };
}
