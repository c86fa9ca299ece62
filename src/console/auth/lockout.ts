import type { Cluster, Redis } from 'ioredis';
import { KefuError } from '../../errors.ts';
import type { ScriptRunner } from '../../lua.ts';

/**
 * Failed logins per account, in Redis so that every console process counts them, whichever IP
 * they come from. An unknown username has a record like any other: its answers and delays are the
 * same, so they tell nothing about which accounts exist.
 *
 * The first `freeFailures` cost nothing; from then on each failure doubles the wait before the
 * next try (from `firstWaitMs` up to `maxWaitMs`), and at `lockAfter` failures the account is
 * locked for `lockMs` (an admin can unlock it sooner). Every further failure after a lock locks it
 * again. A success clears the record; a record with no new try is forgotten after `forgetMs`.
 */
export interface LockoutPolicy {
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
  lockAfter: number;
  lockMs: number;
  forgetMs: number;
  /** The clock (tests move it). */
  now: () => number;
}

/**
 * Ten free tries, like the per-IP-and-username limit of the login route: a person who mistypes
 * never waits; a guesser waits 1 s, 2 s, 4 s… (about 17 minutes in all) and is locked at the 20th.
 */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  freeFailures: 10,
  firstWaitMs: 1_000,
  maxWaitMs: 5 * 60_000,
  lockAfter: 20,
  lockMs: 60 * 60_000,
  forgetMs: 24 * 60 * 60_000,
  now: Date.now,
};

/** Thrown by `AgentStore.login` when the account must wait (LOGIN_DELAYED) or is locked (ACCOUNT_LOCKED). */
export class LoginThrottledError extends KefuError {
  constructor(
    readonly locked: boolean,
    /** How long until the next try may be made. */
    readonly retryAfterMs: number,
  ) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      locked ? 'ACCOUNT_LOCKED' : 'LOGIN_DELAYED',
      locked
        ? `this account is locked after too many failed logins: retry in ${seconds} s or ask an admin to unlock it`
        : `too many failed logins for this account: retry in ${seconds} s`,
    );
  }
}

export interface LockState {
  failures: number;
  /** ISO-8601 while locked, else null. */
  lockedUntil: string | null;
}

export class LoginLockout {
  readonly policy: LockoutPolicy;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly run: ScriptRunner<'login-attempt'>,
    /** The username's record key (from the key builder: `createKeys(prefix).agents.loginFailures`). */
    private readonly key: (username: string) => string,
    policy: Partial<LockoutPolicy> = {},
  ) {
    // An option given as undefined keeps its default.
    this.policy = { ...DEFAULT_LOCKOUT, ...Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) };
    const p = this.policy;
    const counts = [p.freeFailures, p.lockAfter].every((n) => Number.isSafeInteger(n) && n >= 1);
    const times = [p.firstWaitMs, p.maxWaitMs, p.lockMs, p.forgetMs].every((n) => Number.isSafeInteger(n) && n >= 0);
    if (!counts || !times || p.lockAfter < p.freeFailures) throw new RangeError('invalid lockout policy');
  }

  /** Counts a try (as a failure until `succeeded`); throws LoginThrottledError when it is too early. */
  async attempt(username: string): Promise<void> {
    const p = this.policy;
    const res = (await this.run(this.redis, 'login-attempt', [this.key(username)], [
      p.now(),
      p.freeFailures,
      p.firstWaitMs,
      p.maxWaitMs,
      p.lockAfter,
      p.lockMs,
      p.forgetMs,
    ])) as [number, number];
    if (res[0] !== 0) throw new LoginThrottledError(res[0] === 2, res[1]);
  }

  async succeeded(username: string): Promise<void> {
    await this.redis.del(this.key(username));
  }

  /** Clears the failures and any lock; true when there was something to clear. */
  async unlock(username: string): Promise<boolean> {
    return (await this.redis.del(this.key(username))) > 0;
  }

  async state(username: string): Promise<LockState> {
    const [n, lock] = await this.redis.hmget(this.key(username), 'n', 'lock');
    const until = Number(lock ?? 0);
    return { failures: Number(n ?? 0), lockedUntil: until > this.policy.now() ? new Date(until).toISOString() : null };
  }
}
