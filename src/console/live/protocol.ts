/**
 * The wire protocol of GET /api/live: frame limits, close codes, message schemas (zod at the edge)
 * and the part of a `ws` socket the live modules use. See index.ts for the whole exchange.
 */
import { z } from 'zod';
import type { Agent } from '../auth/index.ts';
import type { HandoffEvent } from '../../handoff/index.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { streamIdSchema } from '../stream-id.ts';

export const LIVE_MAX_FRAME = 4 * 1024;
/** Not signed in, or the session ended (logout, revoked, agent disabled): the UI signs out. */
export const CLOSE_UNAUTHORIZED = 4401;
/** This agent already has the most live sockets allowed (LIVE_MAX_SOCKETS_PER_AGENT): the new one is refused. */
export const CLOSE_TOO_MANY = 4429;
/** A client that does not read what it is sent (RFC 6455 "try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/** What the live modules use of a `ws` WebSocket (typed here: the package ships no types). */
export interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', cb: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: 'close' | 'pong', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
export const OPEN = 1;

const BOT_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const STREAM_ID = streamIdSchema({ seqOptional: true });
const CONV = z.string().regex(/^[\w.:-]{1,200}$/);

export const authMessage = z.object({ type: z.literal('auth'), token: z.string().min(1).max(256) });
export const resumeMessage = z.object({
  type: z.literal('resume'),
  positions: z.record(BOT_ID, STREAM_ID).refine((p) => Object.keys(p).length <= 100, 'at most 100 bot accounts'),
});
export const presenceMessage = z.object({ type: z.enum(['viewing', 'typing']), conv: CONV.nullable() });

export const liveRouteDocs = routeGroup('Live updates', [
  {
    method: 'GET',
    path: '/api/live',
    summary: 'the WebSocket: handoff events as far as the roles allow, catch-up after a reconnect, presence',
    details: [
      'JSON text frames, at most 4 KB from the client. The token goes in the first message, never the URL:',
      '`{"type":"auth","token"}` within 5 s (else close 4401); the server answers `{"type":"hello","agent","positions"}`,',
      'then `{"type":"event","event":{"id","botId","type","conv","at","data"},"conversation"?,"message"?}` frames: with',
      '`conversation` (the Conversation as it stands after the event, null when gone) and, for a message event, `message` (the',
      'Message), a client applies the change without reading lists again; an event without them (a catch-up, or the',
      'server could not read them) means "read what changed". A reconnecting client sends',
      '`{"type":"resume","positions":{"<bot>":"<stream id>"}}` to get what it missed. Agents send',
      '`{"type":"viewing"|"typing","conv":id|null}` and receive `{"type":"presence","conv","agents","typing"}` for the',
      'chat they view. Bad messages get `{"type":"error","code","message"}`. Close codes: 4401 not signed in or the',
      'session ended, 4429 too many sockets for this user (`LIVE_MAX_SOCKETS_PER_AGENT`), 1013 a client that does not read.',
    ].join(' '),
    access: 'signed-in',
    ok: { status: 101, description: 'switching protocols (WebSocket)' },
    websocket: true,
  },
]);

export { compareStreamIds } from '../../handoff/stream-id.ts';

/** A frame's text, whatever shape `ws` handed it over in. */
export function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}

/** One connected socket and what the server knows about it. */
export interface Client {
  socket: Socket;
  /** Set once the auth message was accepted; refreshed by each re-validation (roles may change). */
  agent: Agent | null;
  /** The agent whose slot of the per-agent cap this socket holds (set as soon as its token is accepted). */
  agentId: string | null;
  /** The session token, kept to re-validate the session while the socket lives (never sent or logged). */
  token: string | null;
  /** Per bot account: the id of the last event this client got (live or caught up). */
  sent: Map<string, string>;
  /** The reader's positions when this client went live: a resume fills the gap up to them. */
  helloPositions: Record<string, string>;
  /** While catching up, live events wait here (with their frames: what they changed travels with them). */
  buffer: { event: HandoffEvent; frames: (view: 'full' | 'signal') => string }[] | null;
  viewing: string | null;
  typing: string | null;
  typingTimer?: NodeJS.Timeout;
  authTimer?: NodeJS.Timeout;
  /** Messages are handled one after the other (auth is async; a resume may follow at once). */
  queue: Promise<void>;
  closed: boolean;
  /** False after a ping until its pong: a socket still false at the next ping is dead. */
  alive: boolean;
}
