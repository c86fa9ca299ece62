/**
 * The contract between the bot's channel-agnostic turn (src/bot) and a channel adapter: a Wechaty
 * puppet, 微信客服 (WeCom KF) or an Official Account. An adapter turns what its channel delivers
 * into `InboundMessage`s for the turn and carries the turn's replies (and the agents', from the
 * handoff's outbound stream) back to the customer. It knows nothing of FAQ, policy or transcript.
 *
 * One adapter instance serves one channel account (one WeChat account, one `open_kfid`, one
 * Official Account): that account is a "bot" in the handoff (`botId`), so its conversations, its
 * outbound stream and its Redis keys stay together, as they did for a Wechaty login.
 */

export const CHANNEL_KINDS = ['wechaty', 'wecom-kf', 'oa'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** What a channel allows the business to send; the console shows it to agents. */
export interface ChannelLimits {
  /** The largest text one message may carry, in UTF-8 bytes (longer texts are split). */
  maxTextBytes: number;
  /**
   * WeChat's service window: after the customer's last message the business may send at most
   * `maxReplies` messages within `windowS` seconds (微信客服 and Official Accounts: 5 in 48 h).
   */
  window?: { windowS: number; maxReplies: number };
}

/** One customer as the channel knows them. */
export interface CustomerHandle {
  /** This customer's key in the adapter's memory (a contact id, an external_userid, an openid). */
  readonly key: string;
  /** A display name for the console (may be empty; never logged at info). */
  name(): string;
  /** The customer's stable id in the handoff (1-64 letters, digits, "_" or "-"). */
  resolve(): Promise<string>;
  /**
   * What a later process needs to find this customer again (`ChannelAdapter.restore`): the
   * journal keeps it with a write whose customer id was not known yet. JSON-serialisable.
   */
  snapshot(): Record<string, unknown>;
}

/** A customer's message, as the turn sees it. */
export interface InboundMessage {
  /** The channel's message id: duplicates (re-deliveries, retried callbacks) are dropped by it. */
  id: string;
  /** When the customer sent it (ms since the epoch): a backlog older than the limit is not answered. */
  at: number;
  /** The transcript kind: text, image, voice, file, video, link, location, … */
  kind: string;
  /** The text (for non-text kinds, empty). */
  text: string;
  /** A link to the media or the shared page, when the channel offers one. */
  url?: string;
  /** Looks the link up (inside the customer's turn) when finding it takes I/O. */
  mediaUrl?(): Promise<string | undefined>;
  customer: CustomerHandle;
  /**
   * A group message: the customer's words count only once `forMe` says the bot was addressed.
   * Runs inside the customer's turn, in order with their other messages.
   */
  group?: { forMe(): Promise<string | undefined> };
  /**
   * Sends one of the bot's replies to this message (a group reply mentions the customer; an
   * Official Account may answer passively in the callback's own response). `key` is stable for
   * this reply, so a channel with idempotent sends can use it as the message id.
   */
  reply(text: string, key: string): Promise<void>;
  /**
   * Record only, no reply from the bot (微信客服: the session is with a WeCom servicer, where the
   * API may not speak).
   */
  silent?: boolean;
  /**
   * Called once the turn is through with this message (every reply handed to `reply`, or the
   * message dropped as a duplicate): an Official Account then knows whether it can answer passively.
   */
  done?(): void;
}

/** Where an adapter hands what it receives. */
export interface TurnSink {
  /**
   * A customer's message: recorded and answered in order per customer. Never rejects. Resolves
   * once the message is stored (in Redis or the bot's journal) or dropped as a duplicate, so a
   * channel that pulls (微信客服) advances its cursor only past what is safe.
   */
  message(msg: InboundMessage): Promise<void>;
  /**
   * Runs `task` before any customer message that arrives after this call (a new login's
   * identity epoch, for instance); messages already queued are not held back by it.
   */
  before(task: () => Promise<void>): void;
  /** The channel lost its memory of customers (a new login): the turn forgets its per-customer state. */
  forget(): void;
  /**
   * A customer opened the chat or followed the account (微信客服 enter_session, an Official Account
   * subscribe): the greeting and the menu, through `reply` (e.g. 微信客服's one-shot welcome_code),
   * recorded as the bot's lines. `id` is the event's id (a repeat greets once).
   */
  welcome(customer: CustomerHandle, id: string, reply: (text: string, key: string) => Promise<void>): void;
  /** A line for the transcript that is not a customer message (a WeCom servicer's words, an event). */
  record(customer: CustomerHandle, line: { from: 'system' | 'agent'; kind?: string; text: string; msgId?: string }): void;
}

/** Why an adapter could not send; `permanent` errors are not retried (the agent is told why). */
export class ChannelSendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ChannelSendError';
  }
}

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  /** The channel account's id in the handoff. */
  readonly botId: string;
  /** A label for logs and the console (an account name, an open_kfid). */
  readonly label: string;
  readonly limits: ChannelLimits;
  /**
   * Messages older than the bot's age limit are still recorded (without a reply) rather than
   * dropped: an official API's backlog is real customers' words, a puppet's re-login backlog is not.
   */
  readonly keepLate?: boolean;
  /** The conversation went to the human queue (微信客服 may move the session to a WeCom servicer). */
  handedOff?(customer: CustomerHandle): Promise<void>;
  /** Starts feeding `sink`; resolves once the adapter listens. */
  start(sink: TurnSink): Promise<void>;
  /** Stops receiving; in-flight work is left to finish by the caller. */
  stop(): Promise<void>;
  /** True while the channel can send (a Wechaty login; an official API always). */
  canSend(): boolean;
  /**
   * Sends `text` to a customer by handoff customer id (an agent's reply, a notice). Throws when the
   * customer cannot be reached now (retried later) or a `ChannelSendError` that is `permanent`.
   * `key` identifies this text (part) across retries.
   */
  send(to: CustomerHandle, text: string, key: string): Promise<void>;
  /** A handle for a customer of a journal snapshot (`CustomerHandle.snapshot`). */
  restore(snapshot: Record<string, unknown>): CustomerHandle;
  /**
   * The customer behind a handoff customer id (to deliver an agent's reply), or undefined when the
   * channel cannot reach them now (the delivery is retried later).
   */
  handleOf(customerId: string): Promise<CustomerHandle | undefined>;
}

/**
 * A channel as the composition root starts it: one or more accounts (adapters), and the HTTP
 * routes its callbacks need (registered on the bot role's server: the console's when both roles
 * share a process, else the ops server).
 */
export interface ChannelModule {
  readonly kind: ChannelKind;
  readonly adapters: readonly ChannelAdapter[];
  /** Fastify routes (a plugin function) for the channel's callbacks, if it has any. */
  readonly routes?: (app: import('fastify').FastifyInstance) => Promise<void>;
  /**
   * Begins receiving (logs in, pulls, polls); called once the bot has started every adapter, so
   * that no message arrives before the turn listens.
   */
  start(): Promise<void>;
  /** Readiness for /readyz (a Wechaty login; the official APIs once a token could be fetched). */
  ready(): boolean;
  /** Stops everything the module started (pull loops, timers, a Wechaty); adapters are stopped by the bot first. */
  close(): Promise<void>;
}
