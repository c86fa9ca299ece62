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
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { EventReader, type EventReaderOptions, type Handoff, type HandoffEvent } from '../../handoff/index.ts';
import type { Agent, AgentStore } from '../auth/index.ts';
import { eventFrames, mayReadConversations, viewOf } from './access.ts';
import { FrameGate, TokenBucket } from './bucket.ts';
import { Presence } from './presence.ts';
import {
  authMessage,
  CLOSE_TOO_MANY,
  CLOSE_TOO_SLOW,
  CLOSE_UNAUTHORIZED,
  compareStreamIds,
  frameText,
  LIVE_MAX_FRAME,
  OPEN,
  presenceMessage,
  resumeMessage,
  type Client,
  type Socket,
} from './protocol.ts';
import { sessionChecker } from './sessions.ts';

export { CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, compareStreamIds, LIVE_MAX_FRAME } from './protocol.ts';
export { revalidateLiveSessions } from './sessions.ts';

export interface LiveOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** Makes a Redis connection: the event reader holds one per bot account (blocking XREAD) and one more. */
  connect: () => Redis | Cluster;
  logger?: Logger;
  /** How long a socket may stay unauthenticated (default 5 s). */
  authTimeoutMs?: number;
  /** How long a typing mark lasts without a new `typing` message (default 6 s). */
  typingTtlMs?: number;
  /** How often the agents of open sockets are marked online in Redis (default 20 s; see AgentStore.onlineIds). */
  heartbeatMs?: number;
  /** Options of the shared EventReader (blockMs, discoverMs…). */
  reader?: Pick<EventReaderOptions, 'blockMs' | 'discoverMs'>;
  /** Live sockets one agent may hold in this process (default 10); one more is closed 4429. */
  maxSocketsPerAgent?: number;
  /** Frames a socket may send: a burst, then so many per second (default 20, then 5/s); beyond, only the newest is kept. */
  rate?: { burst: number; perSecond: number };
  /** Least time between two presence broadcasts (default 250 ms). */
  presenceIntervalMs?: number;
  /** How often open sockets' sessions are re-checked (default 3 s). */
  revalidateMs?: number;
  /** How often sockets are pinged; one that did not answer the previous ping is dropped (default 30 s). */
  pingMs?: number;
}

export const DEFAULT_MAX_SOCKETS_PER_AGENT = 10;
/** A client that does not read its events holds memory: past this much queued output it is dropped. */
const MAX_BUFFERED = 1024 * 1024;
const RANGE_PAGE = 500;

export async function liveRoutes(app: FastifyInstance, opts: LiveOptions): Promise<void> {
  const { handoff, agents, logger } = opts;
  const clients = new Set<Client>();
  const authTimeoutMs = opts.authTimeoutMs ?? 5_000;
  const maxSockets = opts.maxSocketsPerAgent ?? DEFAULT_MAX_SOCKETS_PER_AGENT;
  const rate = opts.rate ?? { burst: 20, perSecond: 5 };

  const presence = new Presence({
    send: sendFrame,
    mayUse: (c) => c.agent !== null && mayReadConversations(c.agent),
    typingTtlMs: opts.typingTtlMs,
    intervalMs: opts.presenceIntervalMs,
  });

  // Presence across console processes: every open socket's agent is marked online in Redis.
  const beat = (): void => {
    const ids = new Set<string>();
    for (const c of clients) if (c.agent && !c.closed) ids.add(c.agent.id);
    agents.markOnline([...ids]).catch((err: unknown) => logger?.debug({ err }, 'online mark failed'));
  };
  const heartbeat = setInterval(beat, opts.heartbeatMs ?? 20_000);
  heartbeat.unref();

  const sessions = sessionChecker({
    agents,
    clients: () => clients,
    logger,
    onEnded: (c) => {
      presence.clear(c);
      c.socket.close(CLOSE_UNAUTHORIZED, 'session ended');
    },
    onRefreshed: (c, agent) => {
      c.agent = agent;
      if (!mayReadConversations(agent)) presence.clear(c);
    },
  });
  const revalidate = setInterval(() => void sessions.check(), opts.revalidateMs ?? 3_000);
  revalidate.unref();

  // Half-open connections (a laptop that slept) would hold a slot of the per-agent cap for a long time.
  const pinger = setInterval(() => {
    for (const c of clients) {
      if (!c.agent || c.closed) continue;
      if (!c.alive) {
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.socket.ping();
      } catch {
        // not open any more: its close event follows
      }
    }
  }, opts.pingMs ?? 30_000);
  pinger.unref();

  // One reader and one plain connection (discovery, XRANGE for resumes) per app, made on first use.
  let shared: { reader: EventReader; registry: Redis | Cluster; started: Promise<void> } | null = null;
  function ensureReader(): Promise<void> {
    if (!shared) {
      const registry = opts.connect();
      const reader = new EventReader(registry, opts.connect, handoff.keys, { ...opts.reader, logger });
      reader.onEvent(fanOut);
      shared = { reader, registry, started: reader.start() };
      // A failed start (Redis down) is retried by the next socket.
      const failed = shared;
      failed.started.catch(async () => {
        if (shared === failed) shared = null;
        await reader.stop().catch(() => undefined);
        registry.disconnect();
      });
    }
    return shared.started;
  }

  function sendFrame(client: Client, frame: string): void {
    if (client.closed || client.socket.readyState !== OPEN) return;
    if (client.socket.bufferedAmount > MAX_BUFFERED) {
      presence.clear(client);
      client.socket.close(CLOSE_TOO_SLOW, 'too slow');
      return;
    }
    client.socket.send(frame);
  }
  const send = (client: Client, message: unknown): void => sendFrame(client, JSON.stringify(message));

  function deliver(client: Client, event: HandoffEvent, frames: ReturnType<typeof eventFrames>): void {
    const last = client.sent.get(event.botId);
    if (last !== undefined && compareStreamIds(event.id, last) <= 0) return; // already sent
    client.sent.set(event.botId, event.id);
    const view = client.agent ? viewOf(client.agent, event) : null;
    if (view) sendFrame(client, frames(view));
  }

  function fanOut(event: HandoffEvent): void {
    const frames = eventFrames(event);
    for (const client of clients) {
      if (!client.agent) continue;
      if (client.buffer) client.buffer.push(event);
      else deliver(client, event, frames);
    }
  }

  /**
   * Sockets opened at once with one token (a page's reconnects, or a script opening hundreds) share
   * one lookup: the cost of a burst in Redis round trips does not grow with the number of sockets.
   */
  const lookups = new Map<string, Promise<Agent | null>>();
  function lookup(token: string): Promise<Agent | null> {
    let found = lookups.get(token);
    if (!found) {
      found = agents
        .authenticate(token)
        .catch(() => null)
        .finally(() => lookups.delete(token));
      lookups.set(token, found);
    }
    return found;
  }

  async function authenticate(client: Client, data: unknown): Promise<void> {
    const parsed = authMessage.safeParse(data);
    const agent = parsed.success ? await lookup(parsed.data.token) : null;
    if (client.closed) return;
    if (!agent || !parsed.success) {
      client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      return;
    }
    // The slot is taken synchronously with the check, so sockets authenticating at once cannot all pass.
    let held = 0;
    for (const c of clients) if (c !== client && c.agentId === agent.id && !c.closed) held++;
    if (held >= maxSockets) {
      logger?.warn({ agentId: agent.id, max: maxSockets }, 'live socket refused: too many for this agent');
      client.socket.close(CLOSE_TOO_MANY, `too many live connections (at most ${maxSockets} per user)`);
      return;
    }
    client.agentId = agent.id;
    try {
      await ensureReader();
    } catch (err) {
      logger?.error({ err }, 'live event reader failed to start');
      client.socket.close(1011, 'unavailable');
      return;
    }
    if (client.closed || !shared) return;
    clearTimeout(client.authTimer);
    // Synchronously with joining the fan-out: every event after these positions reaches the client live.
    client.helloPositions = shared.reader.positions();
    for (const [bot, id] of Object.entries(client.helloPositions)) client.sent.set(bot, id);
    client.agent = agent;
    client.token = parsed.data.token;
    agents.markOnline([agent.id]).catch((err: unknown) => logger?.debug({ err }, 'online mark failed'));
    send(client, {
      type: 'hello',
      agent: { id: agent.id, username: agent.username, name: agent.name, roles: agent.roles },
      positions: client.helloPositions,
    });
  }

  /** Sends the events after `positions` up to the hello positions, then the live ones that came meanwhile. */
  async function resume(client: Client, positions: Record<string, string>): Promise<void> {
    if (!shared || client.buffer) return;
    client.buffer = [];
    try {
      for (const [botId, from] of Object.entries(positions)) {
        const until = client.helloPositions[botId];
        // A bot account the reader did not know at hello is read from its beginning: all of it comes live.
        if (until === undefined || compareStreamIds(from, until) >= 0) continue;
        let after = from;
        for (;;) {
          const page = await handoff.eventsBetween(botId, after, until, RANGE_PAGE);
          if (client.closed) return;
          for (const event of page) {
            const view = client.agent ? viewOf(client.agent, event) : null;
            if (view) sendFrame(client, eventFrames(event)(view));
          }
          const lastId = page.at(-1)?.id;
          if (page.length < RANGE_PAGE || lastId === undefined) break;
          after = lastId;
        }
        // That gap is filled: a second resume from further back only gets what lies before it.
        client.helloPositions[botId] = from;
      }
    } catch (err) {
      logger?.warn({ err }, 'live resume failed');
      send(client, { type: 'error', code: 'RESUME_FAILED', message: 'could not read the missed events' });
    } finally {
      const buffered = client.buffer ?? [];
      client.buffer = null;
      for (const event of buffered) deliver(client, event, eventFrames(event));
    }
  }

  async function handle(client: Client, raw: string): Promise<void> {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      if (!client.agent) client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      else send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'not JSON' });
      return;
    }
    if (!client.agent) return authenticate(client, data);
    const type = (data as { type?: unknown } | null)?.type;
    if (type === 'resume') {
      const parsed = resumeMessage.safeParse(data);
      if (!parsed.success) return send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'resume: invalid positions' });
      return resume(client, parsed.data.positions);
    }
    if (type === 'viewing' || type === 'typing') {
      if (!mayReadConversations(client.agent)) return send(client, { type: 'error', code: 'FORBIDDEN', message: `${type}: this needs the agent role` });
      const parsed = presenceMessage.safeParse(data);
      if (!parsed.success) return send(client, { type: 'error', code: 'BAD_MESSAGE', message: `${type}: invalid conversation id` });
      return presence.set(client, parsed.data.type, parsed.data.conv);
    }
    // Unknown types (and a repeated auth) are ignored: newer clients may speak more.
  }

  interface Frame {
    data: Buffer | ArrayBuffer | Buffer[];
    isBinary: boolean;
  }

  function onFrame(client: Client, { data, isBinary }: Frame): void {
    if (client.closed) return;
    if (isBinary) {
      if (!client.agent) client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      else send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'text frames only' });
      return;
    }
    const raw = frameText(data);
    client.queue = client.queue
      .then(() => handle(client, raw))
      .catch((err: unknown) => {
        logger?.error({ err }, 'live message failed');
        send(client, { type: 'error', code: 'INTERNAL', message: 'internal error' });
      });
  }

  await app.register(websocket, { options: { maxPayload: LIVE_MAX_FRAME } });

  app.get('/api/live', { websocket: true }, (rawSocket) => {
    const socket = rawSocket as unknown as Socket;
    const client: Client = {
      socket,
      agent: null,
      agentId: null,
      token: null,
      sent: new Map(),
      helloPositions: {},
      buffer: null,
      viewing: null,
      typing: null,
      queue: Promise.resolve(),
      closed: false,
      alive: true,
    };
    clients.add(client);
    client.authTimer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'unauthorized'), authTimeoutMs);
    const gate = new FrameGate<Frame>(
      new TokenBucket(rate.burst, rate.perSecond),
      (frame) => onFrame(client, frame),
      () => {
        logger?.warn({ agentId: client.agentId }, 'live socket over its message rate');
        send(client, { type: 'error', code: 'RATE_LIMITED', message: 'too many messages: only the latest is handled, slowly' });
      },
    );

    socket.on('message', (data, isBinary) => {
      if (!client.closed) gate.offer({ data, isBinary });
    });
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('error', (err) => logger?.debug({ err: err.message }, 'live socket error'));
    socket.on('close', () => {
      client.closed = true;
      clearTimeout(client.authTimer);
      gate.stop();
      presence.clear(client);
      clients.delete(client);
    });
  });

  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    clearInterval(revalidate);
    clearInterval(pinger);
    presence.stop();
    sessions.dispose();
    const s = shared as { reader: EventReader; registry: Redis | Cluster; started: Promise<void> } | null;
    shared = null;
    if (!s) return;
    await s.started.catch(() => undefined);
    await s.reader.stop();
    s.registry.disconnect();
  });
}
