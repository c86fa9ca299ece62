/**
 * GET /api/live: the console's WebSocket. It fans the handoff events of every bot account out to
 * the connected agents (one shared EventReader per app), as far as each one's roles allow
 * (access.ts), lets a reconnecting client catch up on what it missed, and carries presence (who
 * views / types in which conversation, presence.ts).
 *
 * Protocol (JSON text frames, at most 4 KB from the client):
 *   client -> {"type":"auth","token":"…"}            first message, within 5 s, else close 4401.
 *                                                     (Never in the URL: URLs end up in logs.)
 *   server -> {"type":"hello","agent":{id,username,name,roles},"positions":{botId: streamId}}
 *   server -> {"type":"event","event":{id,botId,type,conv,at,data}}   handoff events after hello
 *   client -> {"type":"resume","positions":{botId: streamId}}   sends the events after those ids up to
 *                                                     the hello positions (the gap), then live ones.
 *   client -> {"type":"viewing","conv":id|null} / {"type":"typing","conv":id|null}   (agent role)
 *   server -> {"type":"presence","conv","agents":[{id,name}],"typing":[{id,name}]}   to the sockets
 *                                                     viewing conv, when it changed (at most every 250 ms)
 *   server -> {"type":"error","code","message"}      bad messages (never echoing what was sent);
 *                                                     RATE_LIMITED once when a socket sends too fast
 * Unknown message types are ignored.
 *
 * Closes: 4401 not signed in / the session ended (re-checked every few seconds: logout, agent
 * disabled); 4429 the agent already has maxSocketsPerAgent sockets here (the new one is refused, so
 * the open tabs keep working and the UI retries with back-off); 1013 a client that does not read.
 *
 * Modules: protocol.ts (frames, close codes, message schemas), route.ts (the upgrade, the auth
 * handshake, message dispatch), hub.ts (the socket registry, fan-out, catch-up, per-socket state),
 * reader.ts (the shared event reader), access.ts (who sees what), presence.ts, sessions.ts
 * (re-checks), bucket.ts (flow control).
 */
export { liveRoutes, type LiveOptions } from './route.ts';
export { DEFAULT_MAX_SOCKETS_PER_AGENT } from './hub.ts';
export { CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, compareStreamIds, LIVE_MAX_FRAME } from './protocol.ts';
export { revalidateLiveSessions } from './sessions.ts';
