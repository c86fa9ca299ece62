import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createKeys, type Keys } from './keys.ts';
import type { SlaPolicy } from './sla.ts';
import type { CustomerRef, Tier } from './types.ts';

export interface HandoffOptions {
  /** Prefix of every key (several deployments or tests can share one Redis). */
  prefix: string;
  policy: SlaPolicy;
  /** Approximate length the events and outbound streams are trimmed to. */
  streamMaxLen?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /**
   * Tier by rule (e.g. from a WeChat contact tag), used when no manager has set the customer's
   * tier; undefined = standard.
   */
  tierRule?: (ref: CustomerRef) => Tier | undefined;
  /** Tell the customer which agent took the chat (the bot sends `agent_joined`); default false. */
  announceClaims?: boolean;
  logger?: Logger;
}

/** What every part of the handoff shares: the connection, the keys, the policy and the clock. */
export interface HandoffContext {
  readonly redis: Redis | Cluster;
  readonly keys: Keys;
  readonly policy: SlaPolicy;
  /** Approximate length the events and outbound streams are trimmed to. */
  readonly maxLen: number;
  readonly now: () => number;
  /** The business day (YYYY-MM-DD in the business time zone) of an instant. */
  readonly dayOf: (ms: number) => string;
}

/** The most conversations (or gaps) one list returns. */
export const MAX_LIST = 500;
/** Day counters are kept a little over a year, for year-on-year reports. */
export const DAY_TTL_S = 400 * 24 * 3600;

export function createContext(redis: Redis | Cluster, opts: HandoffOptions): HandoffContext {
  // en-CA formats dates as YYYY-MM-DD.
  const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: opts.policy.hours.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return {
    redis,
    keys: createKeys(opts.prefix),
    policy: opts.policy,
    maxLen: opts.streamMaxLen ?? 100_000,
    now: opts.now ?? Date.now,
    dayOf: (ms) => dayFormat.format(ms),
  };
}
