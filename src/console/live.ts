/**
 * GET /api/live: the console's WebSocket. It fans the handoff events of every bot account out to
 * the connected agents (one shared EventReader per app), lets a reconnecting client catch up on
 * what it missed, and carries presence (who views / types in which conversation).
 *
 * Protocol (JSON text frames, at most 4 KB from the client):
 *   client -> {"type":"auth","token":"…"}            first message, within 5 s, else close 4401.
 *                                                     (Never in the URL: URLs end up in logs.)
 *   server -> {"type":"hello","agent":{id,username,name,roles},"positions":{botId: streamId}}
 *   server -> {"type":"event","event":{id,botId,type,conv,at,data}}   every handoff event after hello
 *   client -> {"type":"resume","positions":{botId: streamId}}   sends the events after those ids up to
 *                                                     the hello positions (the gap), then live ones.
 *   client -> {"type":"viewing","conv":id|null} / {"type":"typing","conv":id|null}
 *   server -> {"type":"presence","conv","agents":[{id,name}],"typing":[{id,name}]}   to every socket
 *   server -> {"type":"error","code","message"}      bad messages (never echoing what was sent)
 * Unknown message types are ignored.
 *
 * Presence lives in this process's memory: with several console processes behind a balancer,
 * each one only knows its own sockets (good enough for "who else is looking"; not shared state).
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import { EventReader, type EventReaderOptions, type Handoff, type HandoffEvent } from '../handoff/index.ts';
import type { Agent, AgentStore } from './auth/index.ts';

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
}

export const LIVE_MAX_FRAME = 4 * 1024;
export const CLOSE_UNAUTHORIZED = 4401;
/** A client that does not read its events holds memory: past this much queued output it is dropped. */
const MAX_BUFFERED = 1024 * 1024;
const RANGE_PAGE = 500;

/** What this module uses of a `ws` WebSocket (typed here: the package ships no types). */
interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', cb: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
const OPEN = 1;

const BOT_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const STREAM_ID = z.string().regex(/^\d{1,20}(-\d{1,20})?$/);
const CONV = z.string().regex(/^[\w.:-]{1,200}$/);

const authMessage = z.object({ type: z.literal('auth'), token: z.string().min(1).max(256) });
const resumeMessage = z.object({
  type: z.literal('resume'),
  positions: z.record(BOT_ID, STREAM_ID).refine((p) => Object.keys(p).length <= 100, 'at most 100 bot accounts'),
});
const presenceMessage = z.object({ type: z.enum(['viewing', 'typing']), conv: CONV.nullable() });

/** Compares stream ids ("ms-seq") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

interface Client {
  socket: Socket;
  agent: Agent | null;
  /** Per bot account: the id of the last event this client got (live or caught up). */
  sent: Map<string, string>;
  /** The reader's positions when this client went live: a resume fills the gap up to them. */
  helloPositions: Record<string, string>;
  /** While catching up, live events wait here. */
  buffer: HandoffEvent[] | null;
  viewing: string | null;
  typing: string | null;
  typingTimer?: NodeJS.Timeout;
  authTimer?: NodeJS.Timeout;
  /** Messages are handled one after the other (auth is async; a resume may follow at once). */
  queue: Promise<void>;
  closed: boolean;
}

export async function liveRoutes(app: FastifyInstance, opts: LiveOptions): Promise<void> {
  const { handoff, agents, logger } = opts;
  const clients = new Set<Client>();
  const authTimeoutMs = opts.authTimeoutMs ?? 5_000;
  const typingTtlMs = opts.typingTtlMs ?? 6_000;

  // Presence across console processes: every open socket's agent is marked online in Redis.
  const beat = (): void => {
    const ids = new Set<string>();
    for (const c of clients) if (c.agent && !c.closed) ids.add(c.agent.id);
    agents.markOnline([...ids]).catch((err: unknown) => logger?.debug({ err }, 'online mark failed'));
  };
  const heartbeat = setInterval(beat, opts.heartbeatMs ?? 20_000);
  heartbeat.unref();

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

  function send(client: Client, message: unknown): void {
    if (client.closed || client.socket.readyState !== OPEN) return;
    if (client.socket.bufferedAmount > MAX_BUFFERED) {
      client.socket.close(1013, 'too slow');
      return;
    }
    client.socket.send(JSON.stringify(message));
  }

  function deliver(client: Client, event: HandoffEvent): void {
    const last = client.sent.get(event.botId);
    if (last !== undefined && compareStreamIds(event.id, last) <= 0) return; // already sent
    client.sent.set(event.botId, event.id);
    send(client, { type: 'event', event });
  }

  function fanOut(event: HandoffEvent): void {
    for (const client of clients) {
      if (!client.agent) continue;
      if (client.buffer) client.buffer.push(event);
      else deliver(client, event);
    }
  }

  function presenceOf(conv: string) {
    const viewing = new Map<string, { id: string; name: string }>();
    const typing = new Map<string, { id: string; name: string }>();
    for (const c of clients) {
      if (!c.agent || c.closed) continue;
      const who = { id: c.agent.id, name: c.agent.name };
      if (c.viewing === conv) viewing.set(who.id, who);
      if (c.typing === conv) typing.set(who.id, who);
    }
    return { type: 'presence', conv, agents: [...viewing.values()], typing: [...typing.values()] };
  }

  function broadcastPresence(convs: Iterable<string | null>): void {
    for (const conv of new Set(convs)) {
      if (conv === null) continue;
      const message = presenceOf(conv);
      for (const c of clients) if (c.agent) send(c, message);
    }
  }

  async function authenticate(client: Client, data: unknown): Promise<void> {
    const parsed = authMessage.safeParse(data);
    const agent = parsed.success ? await agents.authenticate(parsed.data.token).catch(() => null) : null;
    if (client.closed) return;
    if (!agent) {
      client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      return;
    }
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
    agents.markOnline([agent.id]).catch((err: unknown) => logger?.debug({ err }, 'online mark failed'));
    send(client, {
      type: 'hello',
      agent: { id: agent.id, username: agent.username, name: agent.name, roles: agent.roles },
      positions: client.helloPositions,
    });
    // Show the newcomer who is where.
    const convs = new Set<string>();
    for (const c of clients) {
      if (c.viewing) convs.add(c.viewing);
      if (c.typing) convs.add(c.typing);
    }
    for (const conv of convs) send(client, presenceOf(conv));
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
          for (const event of page) send(client, { type: 'event', event });
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
      for (const event of buffered) deliver(client, event);
    }
  }

  function setPresence(client: Client, kind: 'viewing' | 'typing', conv: string | null): void {
    const before = client[kind];
    if (kind === 'typing') {
      clearTimeout(client.typingTimer);
      if (conv !== null) {
        client.typingTimer = setTimeout(() => setPresence(client, 'typing', null), typingTtlMs);
        client.typingTimer.unref();
      }
    }
    client[kind] = conv;
    // Typing again in the same conversation only renews the mark.
    if (before !== conv) broadcastPresence([before, conv]);
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
      const parsed = presenceMessage.safeParse(data);
      if (!parsed.success) return send(client, { type: 'error', code: 'BAD_MESSAGE', message: `${type}: invalid conversation id` });
      return setPresence(client, parsed.data.type, parsed.data.conv);
    }
    // Unknown types (and a repeated auth) are ignored: newer clients may speak more.
  }

  await app.register(websocket, { options: { maxPayload: LIVE_MAX_FRAME } });

  app.get('/api/live', { websocket: true }, (rawSocket) => {
    const socket = rawSocket as unknown as Socket;
    const client: Client = {
      socket,
      agent: null,
      sent: new Map(),
      helloPositions: {},
      buffer: null,
      viewing: null,
      typing: null,
      queue: Promise.resolve(),
      closed: false,
    };
    clients.add(client);
    client.authTimer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'unauthorized'), authTimeoutMs);

    socket.on('message', (data, isBinary) => {
      if (client.closed) return;
      if (isBinary) {
        if (!client.agent) socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
        else send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'text frames only' });
        return;
      }
      const raw = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(new Uint8Array(data)).toString('utf8');
      client.queue = client.queue
        .then(() => handle(client, raw))
        .catch((err: unknown) => {
          logger?.error({ err }, 'live message failed');
          send(client, { type: 'error', code: 'INTERNAL', message: 'internal error' });
        });
    });
    socket.on('error', (err) => logger?.debug({ err: err.message }, 'live socket error'));
    socket.on('close', () => {
      client.closed = true;
      clearTimeout(client.authTimer);
      clearTimeout(client.typingTimer);
      clients.delete(client);
      broadcastPresence([client.viewing, client.typing]);
    });
  });

  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    const s = shared as { reader: EventReader; registry: Redis | Cluster; started: Promise<void> } | null;
    shared = null;
    if (!s) return;
    await s.started.catch(() => undefined);
    await s.reader.stop();
    s.registry.disconnect();
  });
}
