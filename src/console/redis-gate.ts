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
 *
 * A signed-in request skips the PING: its token check (console/auth.ts) is its first command and
 * only reads, so it is the probe itself (`RedisGate.through`), and the request costs one round
 * trip less. A request that carried a token to a route that never checks it waits for the PING
 * before its body is validated (`redisGateLateHook`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { errorBody } from './errors.ts';

/** A client that refuses commands outright (no offline queue) is asked again this often while requests wait. */
const RETRY_MS = 100;

export const REDIS_UNAVAILABLE = 'REDIS_UNAVAILABLE';

/** Requests whose wait for the gate was left to their token check, by the gate that left it. */
const deferred = new WeakMap<FastifyRequest, RedisGate>();
const TIMED_OUT = Symbol('timed out');

export interface RedisGateOptions {
  /** How long a request waits for Redis before its 503. */
  waitMs: number;
}

export class RedisGate {
  /** The one PING in flight, shared by every waiting request. */
  private probe: Promise<void> | null = null;
  private waiters = 0;
  private closed = false;
  /** Requests are being refused (logged once per outage, not once per refused request). */
  failing = false;

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

  /**
   * Runs `work` (read-only: it may be sent to a Redis that then does not answer) as the probe: its
   * answer within `waitMs` proves Redis answers. When it fails (a client that refuses commands
   * while disconnected), the PING decides and `work` runs once more. `{ ok: false }` when Redis
   * did not answer in time.
   */
  async through<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), this.opts.waitMs)));
    try {
      const first = await Promise.race([
        work().then(
          (value) => ({ value }),
          (err: unknown) => ({ err }),
        ),
        timeout,
      ]);
      if (first === TIMED_OUT) return { ok: false };
      if ('value' in first) return { ok: true, value: first.value };
    } finally {
      clearTimeout(timer);
    }
    // A real error (not the connection's) fails again, and goes to the error handler.
    if (!(await this.available())) return { ok: false };
    return { ok: true, value: await work() };
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
 * A request with a bearer token leaves that wait to its token check (`authenticateThroughGate`).
 * Health probes, metrics and the UI's files do not pass here.
 */
export function redisGateHook(gate: RedisGate) {
  return async function redisGate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    // Only matched routes: an unknown /api path is a 404 whatever Redis does.
    if (!request.routeOptions.url?.startsWith('/api/')) return undefined;
    if (typeof request.headers.authorization === 'string' && !request.headers.upgrade) {
      deferred.set(request, gate);
      return undefined;
    }
    return pass(gate, request, reply);
  };
}

/** preValidation hook: a request left to a token check that its route never made waits for the gate now. */
export function redisGateLateHook(gate: RedisGate) {
  return async function redisGateLate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (deferred.get(request) !== gate) return undefined;
    deferred.delete(request);
    return pass(gate, request, reply);
  };
}

/**
 * The token check of a request the gate left to it (see `redisGateHook`): `check` through the
 * gate, or straight when there is no gate (no Redis client given, or not an /api route).
 * `{ ok: false }` once the 503 was sent.
 */
export async function authenticateThroughGate<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  check: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false }> {
  const gate = deferred.get(request);
  if (!gate) return { ok: true, value: await check() };
  deferred.delete(request);
  const res = await gate.through(check);
  if (res.ok) answered(gate, request);
  else refuse(gate, request, reply);
  return res;
}

async function pass(gate: RedisGate, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (await gate.available()) {
    answered(gate, request);
    return undefined;
  }
  return refuse(gate, request, reply);
}

function answered(gate: RedisGate, request: FastifyRequest): void {
  if (gate.failing) request.log.info('redis answers again: serving requests');
  gate.failing = false;
}

function refuse(gate: RedisGate, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!gate.failing) request.log.warn({ waitMs: gate.opts.waitMs }, 'redis does not answer: requests get 503 REDIS_UNAVAILABLE');
  gate.failing = true;
  if (request.headers.upgrade) {
    // A refused WebSocket handshake: its socket left the HTTP server, so nothing else would close it.
    void reply.header('connection', 'close');
    reply.raw.once('finish', () => request.raw.socket.end());
  }
  return reply
    .status(503)
    .header('retry-after', String(Math.max(1, Math.ceil(gate.opts.waitMs / 1000))))
    .send(errorBody(REDIS_UNAVAILABLE, 'the service cannot reach its database right now; nothing was done, please retry in a moment'));
}
