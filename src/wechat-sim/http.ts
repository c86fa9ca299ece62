/** What every simulated API route shares: body parsing, call counting, injected failures, token checks. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { SimClock } from './clock.ts';
import { errBody, type ErrBody, type Platform } from './errcodes.ts';
import type { TokenStore } from './tokens.ts';

/** Queued failures per path: the next `times` calls answer `errcode` and do nothing else. */
export class FailureQueue {
  private readonly queue = new Map<string, { errcode: number; remaining: number }[]>();

  add(path: string, errcode: number, times: number): void {
    if (!path.startsWith('/')) throw new RangeError('a failure path starts with "/", e.g. /cgi-bin/kf/send_msg');
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    const list = this.queue.get(path) ?? [];
    list.push({ errcode, remaining: times });
    this.queue.set(path, list);
  }

  take(path: string): number | undefined {
    const head = this.queue.get(path)?.[0];
    if (!head) return undefined;
    if (--head.remaining <= 0) this.queue.get(path)?.shift();
    return head.errcode;
  }
}

export interface SimContext {
  clock: SimClock;
  tokens: TokenStore;
  failures: FailureQueue;
  calls: Map<string, number>;
}

/** WeChat reads the body whatever its content type says; an empty body is an empty object. */
export function registerBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
}

export function pathOf(req: FastifyRequest): string {
  return req.url.split('?')[0] ?? req.url;
}

export function query(req: FastifyRequest): Record<string, string | undefined> {
  const q = req.query as Record<string, unknown>;
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]));
}

export function sendErr(ctx: SimContext, reply: FastifyReply, platform: Platform, errcode: number, detail?: string): FastifyReply {
  return reply.send(errBody(platform, errcode, ctx.clock.now(), detail));
}

/**
 * Counts the call, then answers an injected failure or a token problem. Returns the error body
 * sent, or undefined when the route may go on.
 */
export function guard(ctx: SimContext, req: FastifyRequest, platform: Platform, options: { token: boolean }): ErrBody | undefined {
  const path = pathOf(req);
  ctx.calls.set(path, (ctx.calls.get(path) ?? 0) + 1);
  const injected = ctx.failures.take(path);
  if (injected !== undefined) return errBody(platform, injected, ctx.clock.now(), 'injected');
  if (!options.token) return undefined;
  const code = ctx.tokens.check(platform, query(req).access_token);
  return code === 0 ? undefined : errBody(platform, code, ctx.clock.now());
}

export type JsonBody<T> = { ok: true; value: T } | { ok: false; errcode: number; detail: string };

/**
 * The request body as JSON checked by `schema`: 47001 when it is not JSON, `invalidCode` when a
 * field is missing or has the wrong type (named in the detail).
 */
export function jsonBody<T>(req: FastifyRequest, schema: z.ZodType<T>, invalidCode: number, emptyCode?: number): JsonBody<T> {
  const raw = typeof req.body === 'string' ? req.body : '';
  let parsed: unknown = {};
  if (raw.trim() !== '') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, errcode: 47001, detail: 'the body is not JSON' };
    }
  } else if (emptyCode !== undefined) {
    return { ok: false, errcode: emptyCode, detail: 'empty body' };
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, errcode: invalidCode, detail: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: result.data };
}
