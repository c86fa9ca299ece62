/**
 * What the channel-agnostic bot runtime (./runtime.ts) is configured with: one per channel
 * account, whatever the channel (a Wechaty login, a 微信客服 account, an Official Account).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Handoff, HandoffReason, OutboundOptions, TurnOutcome } from '../handoff/index.ts';
import type { Matcher, MatchThreads, Smalltalk } from '../knowledge/index.ts';
import type { Messages } from './messages.ts';
import type { PolicyOptions } from './policy.ts';

export interface BotRuntimeConfig {
  /** The channel account's id in the handoff (letters, digits, _ and -); an adapter may bring its own. */
  botId: string;
  /**
   * This process's name when several bot processes serve the same account: agents' replies are
   * consumed under `<botId>:<instance>`, so two processes never deliver the same pending entry.
   * Undefined: `<botId>` (one process per account; a restart resumes its own pending entries first).
   */
  instance?: string;
  handoff: Handoff;
  /** The Redis client `handoff` uses: its readiness decides whether the bot waits for Redis. */
  redis: Redis | Cluster;
  /**
   * A connection of its own for the outbound consumer (XREADGROUP BLOCK holds it while waiting);
   * default: a duplicate of `redis`, closed on uninstall.
   */
  outboundRedis?: Redis | Cluster;
  /** The current matcher (e.g. a hot-reloaded KnowledgeService). */
  knowledge: { matcher(): Matcher; files?: { snapshot(): { smalltalk: Smalltalk } } };
  messages: Messages;
  /** The current phrases, when they are hot-reloaded (`watchMessages`); else `messages` stays. */
  messagesSource?: () => Messages;
  policy?: Partial<PolicyOptions>;
  /** Business-hours time zone, for queue notices ("we are back on Monday 09:00"). */
  timezone: string;
  /** Older messages (a backlog after login) are dropped; default 120. */
  maxMessageAgeS?: number;
  /** How often the bot replies to one customer while it has the chat (default 10 per 10 s, then 60 s of silence). */
  flood?: { max: number; windowS: number; muteS: number };
  /**
   * A true flood: messages a minute one conversation stores one by one (default 100); beyond, they
   * are counted and, `flushMs` (default 10 s) after the cut began or with the next stored message,
   * noted in the transcript.
   */
  floodCap?: { perMin: number; flushMs?: number };
  /** The flood guards' clock (tests move it instead of waiting); default Date.now. */
  now?: () => number;
  /** Text beyond this is not matched (it is stored whole); default 500. */
  maxMatchChars?: number;
  /** How long to wait for a Redis call before going on without it (default 2,000 ms). */
  redisWaitMs?: number;
  /**
   * Directory of the journal of Redis writes not confirmed yet (one file per bot account and key
   * prefix), replayed at start; undefined = no journal (the writes then live in memory only).
   */
  journalDir?: string;
  /**
   * Join the texts of one turn (an answer and its "有帮助吗？" check, a greeting and the menu) into
   * as few WeChat messages as fit (2,000 bytes each), default true: fewer bubbles for the customer,
   * fewer sends for an account WeChat watches for bursts, and fewer transcript writes.
   */
  coalesce?: boolean;
  /**
   * Match results remembered per knowledge-base version, by exact text (default 5,000; 0 = off).
   * Customers ask the same FAQ in the same words again and again; a reload starts afresh.
   */
  matchCacheSize?: number;
  /** Threads that match customers' questions off the event loop (shared by the process's accounts; owned by the caller). */
  matchThreads?: MatchThreads;
  /** Attempts per message the bot sends itself (default 3). */
  sendAttempts?: number;
  /** Outbound consumer tuning (tests: short retry and block times). */
  outbound?: Pick<OutboundOptions, 'retryMs' | 'blockMs' | 'claimIdleMs' | 'giveUpMs' | 'delayNoticeMs'>;
  logger?: Logger;
  /** Operational counters and timings (the composition root backs them with prom-client). */
  metrics?: BotMetrics;
}

/** Hooks for operational metrics; every one is optional to implement. */
export interface BotMetrics {
  /** A customer message passed the guards (kind: text, image, voice, …). */
  received?(kind: string): void;
  /** What the bot made of a customer message. */
  outcome?(type: TurnOutcome['type']): void;
  /** A conversation entered the human queue. */
  handoff?(reason: HandoffReason): void;
  /** A message WeChat accepted: the bot's own, an agent's reply, or a notice (resolved). */
  sent?(kind: 'bot' | 'agent' | 'notice'): void;
  /** A send WeChat refused (the bot's own after its retries; an agent reply is retried later). */
  sendFailed?(kind: 'bot' | 'agent'): void;
  /** Time the matching engine took for one question (cache misses only). */
  matchSeconds?(seconds: number): void;
  /** From the agent's reply entering the outbound stream to WeChat accepting it. */
  relaySeconds?(seconds: number): void;
}
