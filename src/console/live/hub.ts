/**
 * The live hub: every socket of one console app and what the server knows about each (protocol.ts
 * Client), the one shared EventReader whose handoff events it fans out as far as each agent's roles
 * allow (access.ts), the catch-up of a reconnecting client, presence, and the timers that keep the
 * registry honest (online marks, session re-checks, pings). route.ts speaks the WebSocket protocol
 * and calls in here; nothing here parses client messages.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import type { EventReaderOptions, Handoff, HandoffEvent } from '../../handoff/index.ts';
import type { Agent, AgentStore } from '../auth/index.ts';
import { eventFrames, mayReadConversations, viewOf, type EventChange } from './access.ts';
import { ChangeFeed } from './changes.ts';
import { Presence } from './presence.ts';
import { SharedReader } from './reader.ts';
import { CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, compareStreamIds, OPEN, type Client, type Socket } from './protocol.ts';
import { sessionChecker } from './sessions.ts';

export interface HubOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** Makes a Redis connection: the event reader holds one per bot account (blocking XREAD) and one more. */
  connect: () => Redis | Cluster;
  logger?: Logger;
  /** How long a typing mark lasts without a new `typing` message (default 6 s). */
  typingTtlMs?: number;
  /** How often the agents of open sockets are marked online in Redis (default 20 s; see AgentStore.onlineIds). */
  heartbeatMs?: number;
  /** Options of the shared EventReader (blockMs, discoverMs…). */
  reader?: Pick<EventReaderOptions, 'blockMs' | 'discoverMs'>;
  /** Live sockets one agent may hold in this process (default 10); one more is closed 4429. */
  maxSocketsPerAgent?: number;
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
/**
 * The statuses the console's lists show. A message in a chat in none of them (with the bot, or
 * closed) changes no list: it goes only to the tabs viewing that chat, so the bot's own traffic
 * costs nothing per open tab. (A catch-up after a reconnect still brings it: the stream has it.)
 */
const LISTED = new Set(['waiting', 'active', 'awaiting_fix']);
/** The status the message came in (the event says it) decides which lists it touches. */
const viewersOnly = (event: HandoffEvent): boolean => event.type === 'message' && event.data.status !== undefined && !LISTED.has(event.data.status);

export class LiveHub {
  readonly maxSockets: number;
  private readonly clients = new Set<Client>();
  private readonly presence: Presence;
  private readonly sessions: ReturnType<typeof sessionChecker>;
  private readonly timers: NodeJS.Timeout[];
  private readonly reader: SharedReader;
  private readonly changes: ChangeFeed;

  constructor(private readonly o: HubOptions) {
    this.maxSockets = o.maxSocketsPerAgent ?? DEFAULT_MAX_SOCKETS_PER_AGENT;
    this.changes = new ChangeFeed({
      keys: o.handoff.keys,
      connection: () => this.reader.connection(),
      wanted: (event) => [...this.clients].some((c) => c.agent !== null && mayReadConversations(c.agent) && (!viewersOnly(event) || c.viewing === event.conv)),
      deliver: (event, change) => this.fanOut(event, change),
      logger: o.logger,
    });
    this.reader = new SharedReader({ ...o, onEvent: (event) => this.changes.push(event) });
    this.presence = new Presence({
      send: (client, frame) => this.sendFrame(client, frame),
      mayUse: (c) => c.agent !== null && mayReadConversations(c.agent),
      typingTtlMs: o.typingTtlMs,
      intervalMs: o.presenceIntervalMs,
    });
    this.sessions = sessionChecker({
      agents: o.agents,
      clients: () => this.clients,
      logger: o.logger,
      onEnded: (c) => {
        this.presence.clear(c);
        c.socket.close(CLOSE_UNAUTHORIZED, 'session ended');
      },
      onRefreshed: (c, agent) => {
        c.agent = agent;
        if (!mayReadConversations(agent)) this.presence.clear(c);
      },
    });
    this.timers = [
      // Presence across console processes: every open socket's agent is marked online in Redis.
      setInterval(() => this.markOnline(), o.heartbeatMs ?? 20_000),
      setInterval(() => void this.sessions.check(), o.revalidateMs ?? 3_000),
      setInterval(() => this.ping(), o.pingMs ?? 30_000),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** A socket that just opened: known to the hub, not yet fed (it has no agent until `join`). */
  add(socket: Socket): Client {
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
    this.clients.add(client);
    return client;
  }

  /** The socket closed. */
  remove(client: Client): void {
    client.closed = true;
    this.presence.clear(client);
    this.clients.delete(client);
  }

  /**
   * Takes one of the agent's socket slots for this client, or returns false when they are all
   * held. Synchronous with the count, so sockets authenticating at once cannot all pass.
   */
  admit(client: Client, agent: Agent): boolean {
    let held = 0;
    for (const c of this.clients) if (c !== client && c.agentId === agent.id && !c.closed) held++;
    if (held >= this.maxSockets) return false;
    client.agentId = agent.id;
    return true;
  }

  /**
   * Starts the shared reader if needed, then puts the client in the fan-out and says hello.
   * Returns false when the client went away or the reader could not start (the socket is closed 1011).
   */
  async join(client: Client, agent: Agent, token: string): Promise<boolean> {
    try {
      await this.reader.start();
    } catch (err) {
      this.o.logger?.error({ err }, 'live event reader failed to start');
      client.socket.close(1011, 'unavailable');
      return false;
    }
    // Synchronously with joining the fan-out: every event after these positions reaches the client live.
    const read = this.reader.positions();
    if (client.closed || !read) return false;
    const positions = this.changes.positions(read);
    client.helloPositions = positions;
    for (const [bot, id] of Object.entries(client.helloPositions)) client.sent.set(bot, id);
    client.agent = agent;
    client.token = token;
    this.o.agents.markOnline([agent.id]).catch((err: unknown) => this.o.logger?.debug({ err }, 'online mark failed'));
    this.send(client, {
      type: 'hello',
      agent: { id: agent.id, username: agent.username, name: agent.name, roles: agent.roles },
      positions: client.helloPositions,
    });
    return true;
  }

  /** Sends the events after `positions` up to the hello positions, then the live ones that came meanwhile. */
  async resume(client: Client, positions: Record<string, string>): Promise<void> {
    if (!this.reader.running || client.buffer) return;
    client.buffer = [];
    try {
      for (const [botId, from] of Object.entries(positions)) {
        const until = client.helloPositions[botId];
        // A bot account the reader did not know at hello is read from its beginning: all of it comes live.
        if (until === undefined || compareStreamIds(from, until) >= 0) continue;
        let after = from;
        for (;;) {
          const page = await this.o.handoff.eventsBetween(botId, after, until, RANGE_PAGE);
          if (client.closed) return;
          for (const event of page) {
            const view = client.agent ? viewOf(client.agent, event) : null;
            if (view) this.sendFrame(client, eventFrames(event)(view));
          }
          const lastId = page.at(-1)?.id;
          if (page.length < RANGE_PAGE || lastId === undefined) break;
          after = lastId;
        }
        // That gap is filled: a second resume from further back only gets what lies before it.
        client.helloPositions[botId] = from;
      }
    } catch (err) {
      this.o.logger?.warn({ err }, 'live resume failed');
      this.send(client, { type: 'error', code: 'RESUME_FAILED', message: 'could not read the missed events' });
    } finally {
      const buffered = client.buffer ?? [];
      client.buffer = null;
      for (const { event, frames } of buffered) this.deliver(client, event, frames);
    }
  }

  /** What the client views or types in (null: nothing). */
  setPresence(client: Client, kind: 'viewing' | 'typing', conv: string | null): void {
    this.presence.set(client, kind, conv);
  }

  send(client: Client, message: unknown): void {
    this.sendFrame(client, JSON.stringify(message));
  }

  /** Stops the timers and the shared reader (the sockets are closed by the server). */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.presence.stop();
    this.sessions.dispose();
    this.changes.stop();
    await this.reader.stop();
  }

  private sendFrame(client: Client, frame: string): void {
    if (client.closed || client.socket.readyState !== OPEN) return;
    if (client.socket.bufferedAmount > MAX_BUFFERED) {
      this.presence.clear(client);
      client.socket.close(CLOSE_TOO_SLOW, 'too slow');
      return;
    }
    client.socket.send(frame);
  }

  private deliver(client: Client, event: HandoffEvent, frames: ReturnType<typeof eventFrames>): void {
    const last = client.sent.get(event.botId);
    if (last !== undefined && compareStreamIds(event.id, last) <= 0) return; // already sent
    client.sent.set(event.botId, event.id);
    const view = client.agent ? viewOf(client.agent, event) : null;
    if (view) this.sendFrame(client, frames(view));
  }

  private fanOut(event: HandoffEvent, change: EventChange | undefined): void {
    const frames = eventFrames(event, change);
    const onlyViewers = viewersOnly(event);
    for (const client of this.clients) {
      if (!client.agent) continue;
      if (onlyViewers && client.viewing !== event.conv) continue;
      if (client.buffer) client.buffer.push({ event, frames });
      else this.deliver(client, event, frames);
    }
  }

  private markOnline(): void {
    const ids = new Set<string>();
    for (const c of this.clients) if (c.agent && !c.closed) ids.add(c.agent.id);
    this.o.agents.markOnline([...ids]).catch((err: unknown) => this.o.logger?.debug({ err }, 'online mark failed'));
  }

  /** Half-open connections (a laptop that slept) would hold a slot of the per-agent cap for a long time. */
  private ping(): void {
    for (const c of this.clients) {
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
  }
}
