/** GET /api/live, the console's WebSocket: see live/index.ts. */
export {
  CLOSE_TOO_MANY,
  CLOSE_UNAUTHORIZED,
  compareStreamIds,
  DEFAULT_MAX_SOCKETS_PER_AGENT,
  LIVE_MAX_FRAME,
  liveRoutes,
  revalidateLiveSessions,
  type LiveOptions,
} from './live/index.ts';
