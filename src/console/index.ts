/**
 * The console component's public face: what the composition root (src/main.ts), the demo and the
 * scripts use. Everything else under src/console is internal; its command line (`kefu`) is its own
 * entry, cli.ts.
 */
export { ADMIN_USERNAME, seedAdmin, startConsole, type ConsoleDeps, type RunningConsole } from './main.ts';
export { BODY_LIMIT, buildApp, type BuildAppOptions } from './app.ts';
export {
  AgentNotFoundError,
  AgentStore,
  DEFAULT_LOCKOUT,
  generatePassword,
  hasRole,
  passwordProblems,
  ROLES,
  type Agent,
  type LockoutPolicy,
  type Role,
} from './auth/index.ts';
export type { DemoSimulator, SimulatedLine } from './routes/demo.ts';
/** /healthz, /readyz and their checks, also served by a bot process without a console (src/ops.ts). */
export { healthRoutes, redisAnswers } from './routes/health.ts';
export { API_ROUTE_GROUPS, apiReference } from './api-docs/index.ts';
export { toApiConversation, toApiMessage, type ApiConversation, type ApiMessage } from './serialize.ts';
export {
  CLOSE_TOO_MANY,
  CLOSE_UNAUTHORIZED,
  DEFAULT_MAX_SOCKETS_PER_AGENT,
  revalidateLiveSessions,
  type LiveOptions,
} from './live.ts';
