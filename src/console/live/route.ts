/**
 * The route GET /api/live: the WebSocket upgrade, the auth handshake (first message, within the
 * timeout, the per-agent socket cap), per-socket flow control and the dispatch of client messages
 * to the hub (hub.ts). The exchange itself is described in index.ts.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Agent } from '../auth/index.ts';
import { mayReadConversations } from './access.ts';
import { FrameGate, TokenBucket } from './bucket.ts';
import { LiveHub, type HubOptions } from './hub.ts';
import {
  authMessage,
  CLOSE_TOO_MANY,
  CLOSE_UNAUTHORIZED,
  frameText,
  LIVE_MAX_FRAME,
  presenceMessage,
  resumeMessage,
  type Client,
  type Socket,
} from './protocol.ts';

export interface LiveOptions extends HubOptions {
  /** How long a socket may stay unauthenticated (default 5 s). */
  authTimeoutMs?: number;
  /** Frames a socket may send: a burst, then so many per second (default 20, then 5/s); beyond, only the newest is kept. */
  rate?: { burst: number; perSecond: number };
}

interface Frame {
  data: Buffer | ArrayBuffer | Buffer[];
  isBinary: boolean;
}

export async function liveRoutes(app: FastifyInstance, opts: LiveOptions): Promise<void> {
  const { agents, logger } = opts;
  const hub = new LiveHub(opts);
  const authTimeoutMs = opts.authTimeoutMs ?? 5_000;
  const rate = opts.rate ?? { burst: 20, perSecond: 5 };

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
    if (!hub.admit(client, agent)) {
      logger?.warn({ agentId: agent.id, max: hub.maxSockets }, 'live socket refused: too many for this agent');
      client.socket.close(CLOSE_TOO_MANY, `too many live connections (at most ${hub.maxSockets} per user)`);
      return;
    }
    if (await hub.join(client, agent, parsed.data.token)) clearTimeout(client.authTimer);
  }

  async function handle(client: Client, raw: string): Promise<void> {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      if (!client.agent) client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      else hub.send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'not JSON' });
      return;
    }
    if (!client.agent) return authenticate(client, data);
    const type = (data as { type?: unknown } | null)?.type;
    if (type === 'resume') {
      const parsed = resumeMessage.safeParse(data);
      if (!parsed.success) return hub.send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'resume: invalid positions' });
      return hub.resume(client, parsed.data.positions);
    }
    if (type === 'viewing' || type === 'typing') {
      if (!mayReadConversations(client.agent)) return hub.send(client, { type: 'error', code: 'FORBIDDEN', message: `${type}: this needs the agent role` });
      const parsed = presenceMessage.safeParse(data);
      if (!parsed.success) return hub.send(client, { type: 'error', code: 'BAD_MESSAGE', message: `${type}: invalid conversation id` });
      return hub.setPresence(client, parsed.data.type, parsed.data.conv);
    }
    // Unknown types (and a repeated auth) are ignored: newer clients may speak more.
  }

  function onFrame(client: Client, { data, isBinary }: Frame): void {
    if (client.closed) return;
    if (isBinary) {
      if (!client.agent) client.socket.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      else hub.send(client, { type: 'error', code: 'BAD_MESSAGE', message: 'text frames only' });
      return;
    }
    const raw = frameText(data);
    client.queue = client.queue
      .then(() => handle(client, raw))
      .catch((err: unknown) => {
        logger?.error({ err }, 'live message failed');
        hub.send(client, { type: 'error', code: 'INTERNAL', message: 'internal error' });
      });
  }

  await app.register(websocket, { options: { maxPayload: LIVE_MAX_FRAME } });

  app.get('/api/live', { websocket: true }, (rawSocket) => {
    const socket = rawSocket as unknown as Socket;
    const client = hub.add(socket);
    client.authTimer = setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'unauthorized'), authTimeoutMs);
    // A person's bursts pass; a script's flood is cut down to its newest frame, handled slowly.
    const gate = new FrameGate<Frame>(
      new TokenBucket(rate.burst, rate.perSecond),
      (frame) => onFrame(client, frame),
      () => {
        logger?.warn({ agentId: client.agentId }, 'live socket over its message rate');
        hub.send(client, { type: 'error', code: 'RATE_LIMITED', message: 'too many messages: only the latest is handled, slowly' });
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
      hub.remove(client);
      clearTimeout(client.authTimer);
      gate.stop();
    });
  });

  app.addHook('onClose', () => hub.close());
}
