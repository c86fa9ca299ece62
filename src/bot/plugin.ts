/**
 * The Wechaty plugin: any Wechaty bot can `use(KefuBot(config))`. It carries out the dialogue
 * policy (./policy.ts decides, ./runtime.ts does): guards -> identity -> transcript -> decide ->
 * send, and delivers the agents' replies from the handoff's outbound stream (./deliver.ts).
 *
 * Redis never stands between a customer and an FAQ answer: writes that cannot wait go on a
 * per-customer chain that the ioredis offline queue completes once Redis is back (./writes.ts),
 * kept in a local journal until Redis confirms them, and the bot answers from the last status it
 * knew.
 *
 * Every customer message is recorded. What is limited is what the bot says (FloodGuard: a burst of
 * bubbles gets a few answers, one "slow down", then silence for a while; never while a person has
 * the chat) and, against a true flood only, how many messages a minute are stored one by one
 * (FloodCap: beyond it they are counted, and the transcript says how many were cut).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Wechaty, WechatyPlugin } from 'wechaty';
import type { Handoff, HandoffReason, OutboundOptions, TurnOutcome } from '../handoff/index.ts';
import type { Matcher } from '../knowledge/index.ts';
import type { Messages } from './messages.ts';
import type { PolicyOptions } from './policy.ts';
import { KefuRuntime } from './runtime.ts';

export interface KefuBotConfig {
  /** This WeChat account's id in the handoff (letters, digits, _ and -). */
  botId: string;
  handoff: Handoff;
  /** The Redis client `handoff` uses: its readiness decides whether the bot waits for Redis. */
  redis: Redis | Cluster;
  /**
   * A connection of its own for the outbound consumer (XREADGROUP BLOCK holds it while waiting);
   * default: a duplicate of `redis`, closed on uninstall.
   */
  outboundRedis?: Redis | Cluster;
  /** The current matcher (e.g. a hot-reloaded KnowledgeService). */
  knowledge: { matcher(): Matcher };
  messages: Messages;
  /** The current phrases, when they are hot-reloaded (`watchMessages`); else `messages` stays. */
  messagesSource?: () => Messages;
  policy?: Partial<PolicyOptions>;
  /** Business-hours time zone, for queue notices ("we are back on Monday 09:00"). */
  timezone: string;
  /** Group chats: answer only when @-mentioned (default), or never. */
  roomMode?: 'mention' | 'off';
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
  /** Write the customer number into new contacts' remark (default true). */
  setAlias?: boolean;
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
  /** Attempts per message the bot sends itself (default 3). */
  sendAttempts?: number;
  /** Outbound consumer tuning (tests: short retry and block times). */
  outbound?: Pick<OutboundOptions, 'retryMs' | 'blockMs' | 'claimIdleMs' | 'giveUpMs'>;
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

/** Stops the plugin on one bot; resolves once the outbound consumer has stopped. */
export type KefuBotUninstaller = () => Promise<void>;

export interface KefuBotPlugin extends WechatyPlugin {
  (bot: Wechaty): KefuBotUninstaller;
  /** Uninstalls from every bot it was installed on. */
  stop(): Promise<void>;
  /** Counters over every bot it is installed on. */
  stats(): { matchCacheHits: number };
}

export function KefuBot(config: KefuBotConfig): KefuBotPlugin {
  const installed = new Map<KefuBotUninstaller, KefuRuntime>();
  const plugin = function KefuBotPlugin(bot: Wechaty): KefuBotUninstaller {
    const runtime = new KefuRuntime(bot, config);
    runtime.install();
    const uninstall: KefuBotUninstaller = async () => {
      if (!installed.delete(uninstall)) return;
      await runtime.uninstall();
    };
    installed.set(uninstall, runtime);
    return uninstall;
  } as KefuBotPlugin;
  plugin.stop = async () => {
    await Promise.all([...installed.keys()].map((u) => u()));
  };
  plugin.stats = () => ({ matchCacheHits: [...installed.values()].reduce((n, r) => n + r.stats().matchCacheHits, 0) });
  return plugin;
}

export { coalesce, floodCutText, kindOf } from './format.ts';
