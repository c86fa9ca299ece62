import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { KefuError } from '../errors.ts';
import { HandoffError } from '../handoff/index.ts';

/** The one error shape of the API: `{"error":{"code","message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** An error the API answers with as is: an HTTP status, a stable code and a message safe to show. */
export class ApiError extends KefuError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/** "body.text: must be …; query.status: …": every failing field named, for people and scripts. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], where?: string): string {
  return issues
    .map((i) => {
      const path = [where, ...i.path.map(String)].filter(Boolean).join('.');
      return `${path || '(input)'}: ${i.message}`;
    })
    .join('; ');
}

/** The knowledge service, or 503 UNAVAILABLE for a console started without one. */
export function requireKnowledge<T>(knowledge: T | undefined): T {
  if (!knowledge) throw new ApiError(503, 'UNAVAILABLE', 'this console runs without the knowledge base');
  return knowledge;
}

/** Parses a body, query or params with zod; a mismatch is a 400 BAD_REQUEST naming the fields. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError(400, 'BAD_REQUEST', describeIssues(result.error.issues, where));
}

/**
 * How each handoff refusal reads over HTTP. NOT_ASSIGNEE (a reply into a conversation another agent
 * owns) is a 409 like a lost claim: the state is in the way, and claim/transfer can change it.
 * 403 FORBIDDEN is kept for a caller whose roles do not allow the route at all.
 */
const HANDOFF_STATUS: Record<HandoffError['code'], number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_ASSIGNEE: 409,
  ILLEGAL_TRANSITION: 409,
};

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Status and body for any error; unknown ones are a 500 INTERNAL without details. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof ApiError) return { status: err.statusCode, body: errorBody(err.code, err.message), internal: false };
  if (err instanceof z.ZodError) return { status: 400, body: errorBody('BAD_REQUEST', describeIssues(err.issues)), internal: false };
  if (err instanceof HandoffError) {
    return { status: HANDOFF_STATUS[err.code] ?? 409, body: errorBody(err.code, err.message), internal: false };
  }
  // A malformed conversation / agent id reaching the handoff.
  if (err instanceof KefuError && err.code === 'INVALID_ID') return { status: 400, body: errorBody('BAD_REQUEST', err.message), internal: false };
  // Fastify's own client errors (bad JSON, body too large, wrong content type…): their messages are safe.
  const status = (err as Partial<FastifyError> | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = err instanceof Error ? err.message : 'bad request';
    return { status, body: errorBody(STATUS_CODES[status] ?? 'BAD_REQUEST', message), internal: false };
  }
  return { status: 500, body: errorBody('INTERNAL', 'internal error'), internal: true };
}

/** The app's single error handler. */
export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, internal } = toHttpError(err);
  if (internal) request.log.error({ err }, 'request failed');
  if (status === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.status(status).send(body);
}
