/**
 * The console API's description, declared by each route module next to its handlers with the
 * same zod schemas the handlers parse: GET /api/openapi.json and docs/http-api.md are generated
 * from it, and a test compares it with the routes the app really registers, so the reference
 * cannot drift from the code. This file holds only types and the error catalogue: it imports no
 * route module (they import it).
 */
import type { z } from 'zod';
import type { Role } from '../auth/index.ts';

/** Who may call a route: anyone, any signed-in user, or a role (admin implies every role, manager implies agent). */
export type Access = 'public' | 'signed-in' | Role;

export interface RouteDoc {
  method: 'GET' | 'POST';
  /** Fastify's syntax: `/api/conversations/:id`. */
  path: string;
  /** One line, what the route does. */
  summary: string;
  /** More, where a client needs it (markdown). */
  details?: string;
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out (or sent empty). */
  bodyOptional?: boolean;
  /** The success answer. */
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Errors this route answers beyond the ones every route of its kind may (see `commonErrors`). */
  errors?: readonly ErrorCode[];
  /** In the contract's stable core: never renamed or removed (fields may be added). */
  core?: boolean;
  /** The route exists only in some consoles (e.g. "with the demo simulator"). */
  only?: string;
  /** A WebSocket, not a request/response route. */
  websocket?: boolean;
}

export interface RouteGroup {
  /** The resource, a heading of the reference and an OpenAPI tag. */
  name: string;
  routes: readonly RouteDoc[];
}

/** A route module's description of its routes. */
export const routeGroup = (name: string, routes: readonly RouteDoc[]): RouteGroup => ({ name, routes });

/**
 * Every code the API answers with, as `{"error":{"code","message"}}`, and its HTTP status. A test
 * checks that each code written in the console's routes is listed here.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, meaning: 'invalid input: the message names every failing field (`body.text: must not be empty`), or malformed JSON' },
  UNSAFE_TEXT: { status: 400, meaning: 'a knowledge edit holds a control character, a broken character or only invisible characters' },
  UNAUTHORIZED: { status: 401, meaning: 'no token, an invalid or expired one (with `WWW-Authenticate: Bearer`), or wrong credentials at login' },
  FORBIDDEN: { status: 403, meaning: "the caller's roles do not allow the route" },
  NOT_FOUND: { status: 404, meaning: 'no such route, conversation, problem, agent, entry or report file' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'the path exists with another method' },
  NOT_ACCEPTABLE: { status: 406, meaning: 'the client accepts no type the route can answer with' },
  CONFLICT: { status: 409, meaning: 'the state is in the way: another agent owns the chat (a lost claim), or the entry exists already' },
  NOT_ASSIGNEE: { status: 409, meaning: 'only the assignee (or a manager) may do this; claim the chat first' },
  WINDOW_CLOSED: { status: 409, meaning: 'WeChat would refuse the reply: the customer\'s 48-hour window is over or its 5 replies are used (微信客服, Official Account); they must write again first' },
  ILLEGAL_TRANSITION: { status: 409, meaning: "the conversation's status does not allow this action" },
  KB_INVALID: { status: 409, meaning: 'the edit would add a problem to the knowledge base, or its entry\'s own file does not load; nothing was written (the problems are in the message). A broken file elsewhere does not block an edit: it is written and answered with `reloaded` false' },
  SIMULATOR_FULL: { status: 409, meaning: 'the demo simulator holds as many customers as it can' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'the body is over 64 KB' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'a body that is not JSON' },
  RATE_LIMITED: { status: 429, meaning: 'too many login attempts; `Retry-After` says when to try again' },
  ACCOUNT_LOCKED: { status: 429, meaning: 'the account is locked after failed logins; `Retry-After`, or an admin unlocks it' },
  INTERNAL: { status: 500, meaning: 'an unexpected failure (logged; no details in the answer)' },
  REDIS_UNAVAILABLE: { status: 503, meaning: 'Redis did not answer within `REDIS_WAIT_MS`: nothing was done, retry after `Retry-After`' },
  UNAVAILABLE: { status: 503, meaning: 'this console runs without the knowledge base' },
  INVALID_CURSOR: { status: 400, meaning: 'a list\'s `cursor` is not a `next` this API gave for that status' },
  ARCHIVE_UNAVAILABLE: { status: 503, meaning: 'the archive (PostgreSQL) cannot be reached and the answer needs it (a conversation that left Redis)' },
  NOT_READY: { status: 503, meaning: '/readyz: Redis or the bot is not ready (the message says which)' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The errors any route of this kind may answer: bad input, no token, a missing role, a Redis outage. */
export function commonErrors(route: RouteDoc): ErrorCode[] {
  const out: ErrorCode[] = [];
  if (route.params || route.query || route.body) out.push('BAD_REQUEST');
  if (route.access !== 'public') out.push('UNAUTHORIZED');
  if (route.access !== 'public' && route.access !== 'signed-in') out.push('FORBIDDEN');
  // The Redis gate stands before every /api route, public or not.
  if (route.path.startsWith('/api/')) out.push('REDIS_UNAVAILABLE');
  return out;
}

/** Every error a route may answer, common ones first, each once. */
export const routeErrors = (route: RouteDoc): ErrorCode[] => [...new Set([...commonErrors(route), ...(route.errors ?? [])])];
