/**
 * The pull engine of one 微信客服 account: kf/sync_msg from a durable cursor, one process at a time.
 *
 * - Serial across processes: a Redis lock with a fence token. Only the holder of the current
 *   fence can move the cursor (sync-commit checks it in the same script), so a process whose lock
 *   expired while it was stuck can never move the cursor past messages it did not hand on.
 * - A callback that finds the lock taken leaves its sync token; the holder pulls once more with
 *   it before letting go (sync-release), so no notice is lost to a busy lock.
 * - Each page is handed on (awaited) before the cursor moves past it: a crash in between re-reads
 *   the page. msgids already handed on are remembered for longer than WeChat re-serves them
 *   (3 days), so a re-read page does not start a second turn; the transcript's own msgId dedupe is
 *   the second line.
 * - First install (no cursor): the history WeChat keeps (3 days) is paged through without being
 *   handed on, except messages sent since `historySince`.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';
import type { WecomApi } from './api.ts';
import { SyncFenceError, WecomApiError, WecomRateLimitedError } from './errors.ts';
import { runKfScript } from './scripts.ts';
import type { KfMessage, SyncMsgAnswer } from './wire.ts';

const DAY_MS = 24 * 3600_000;
/** A callback's sync token is valid for 10 minutes. */
const PENDING_TTL_MS = 10 * 60_000;

export interface SyncEngineOptions {
  api: WecomApi;
  redis: Redis | Cluster;
  keys: Keys;
  botId: string;
  openKfid: string;
  /**
   * Hands on a page's new entries, in order; awaited before the cursor moves past them. Throwing
   * stops the pull without moving the cursor (the page is read again by the next pull).
   */
  deliver(messages: KfMessage[]): Promise<void>;
  /** On a first install, entries sent before this (ms) are history: skipped. */
  historySince: number;
  /** The pull lock's lifetime, renewed with every page (default 30 s). */
  lockTtlMs?: number;
  /** How long handed-on msgids are remembered (default 4 days; WeChat re-serves 3). */
  seenTtlMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Runs after each sync_msg answer, before anything of it is handed on (tests stop a "crashed" process here). */
  afterFetch?(answer: SyncMsgAnswer): Promise<void> | void;
}

export class SyncEngine {
  private readonly now: () => number;
  private readonly lockTtlMs: number;
  private readonly seenTtlMs: number;
  private readonly log?: Logger;
  private readonly running = new Set<Promise<void>>();
  /** Until `start`, and after `stop`: nothing is pulled. */
  private stopped = true;
  private pollTimer?: NodeJS.Timeout;
  private backoffTimer?: NodeJS.Timeout;
  private pausedUntil = 0;
  /** The newest token that arrived during a back-off. */
  private deferred?: string;
  /** When the last pull ended without an error (0 = never). */
  lastOkAt = 0;

  constructor(private readonly o: SyncEngineOptions) {
    this.now = o.now ?? Date.now;
    this.lockTtlMs = o.lockTtlMs ?? 30_000;
    this.seenTtlMs = o.seenTtlMs ?? 4 * DAY_MS;
    this.log = o.logger;
  }

  /** Pulls now and every `pollMs` without a callback (0: only now). */
  start(pollMs: number): void {
    this.stopped = false;
    void this.trigger();
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.trigger(), pollMs);
      this.pollTimer.unref();
    }
  }

  /** No new pulls; a pull under way stops after its current page. Resolves once it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.backoffTimer);
    await Promise.allSettled([...this.running]);
  }

  /**
   * A callback's notice (with its token) or a safety pull: pulls until WeChat has nothing more, or
   * leaves the token to the process pulling now. Never rejects (errors are logged; the next pull
   * starts from the same cursor).
   */
  async trigger(token?: string): Promise<void> {
    if (this.stopped) return;
    if (this.now() < this.pausedUntil) {
      this.deferred = token ?? this.deferred;
      return;
    }
    const run = this.pull(token).catch((err: unknown) => this.failed(err));
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }

  private failed(err: unknown): void {
    if (err instanceof SyncFenceError) {
      this.log?.warn('another process took over the pull (this one was too slow): it goes on from the cursor');
      return;
    }
    if (err instanceof WecomRateLimitedError) {
      this.pausedUntil = this.now() + err.retryAfterMs;
      this.log?.warn({ retryAfterMs: err.retryAfterMs }, 'sync_msg rate limited: pulling again after a pause');
      clearTimeout(this.backoffTimer);
      this.backoffTimer = setTimeout(() => {
        const token = this.deferred;
        this.deferred = undefined;
        void this.trigger(token);
      }, err.retryAfterMs);
      this.backoffTimer.unref();
      return;
    }
    this.log?.error({ err }, 'pulling messages failed: the next pull starts from the same cursor');
  }

  private async pull(token?: string): Promise<void> {
    const k = this.o.keys;
    const id = this.o.botId;
    const [fence, left] = (await runKfScript(this.o.redis, 'sync-acquire', [k.kfLock(id), k.kfFence(id), k.kfPending(id)], [
      this.lockTtlMs,
      token || '-',
      PENDING_TTL_MS,
    ])) as [number, string];
    if (!fence) return;
    const f = String(fence);
    let tok = left === '-' ? undefined : left;
    try {
      for (;;) {
        await this.drain(f, tok);
        if (this.stopped) break;
        const [again, next] = (await runKfScript(this.o.redis, 'sync-release', [k.kfLock(id), k.kfPending(id)], [f, this.lockTtlMs])) as [number, string?];
        if (again !== 1) {
          this.lastOkAt = this.now();
          return;
        }
        tok = next === '-' ? undefined : next;
      }
    } catch (err) {
      await this.letGo(f);
      throw err;
    }
    await this.letGo(f);
  }

  /** Releases the lock if still ours (a left token stays for the next pull). */
  private async letGo(fence: string): Promise<void> {
    const lock = this.o.keys.kfLock(this.o.botId);
    await this.o.redis
      .eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, lock, fence)
      .catch((err: unknown) => this.log?.warn({ err }, 'could not release the pull lock (it expires by itself)'));
  }

  /** Pages from the cursor until has_more is false. */
  private async drain(fence: string, token: string | undefined): Promise<void> {
    const k = this.o.keys;
    const id = this.o.botId;
    let cursor = await this.o.redis.get(k.kfCursor(id));
    const firstInstall = cursor === null;
    for (;;) {
      if (this.stopped) return;
      let answer: SyncMsgAnswer;
      try {
        answer = await this.o.api.syncMsg({ open_kfid: this.o.openKfid, cursor: cursor || undefined, token });
      } catch (err) {
        // An expired callback token (10 minutes): the same page without it.
        if (!token || !(err instanceof WecomApiError) || err instanceof WecomRateLimitedError) throw err;
        this.log?.info({ errcode: err.errcode }, 'sync_msg refused the callback token: pulling without it');
        token = undefined;
        continue;
      }
      await this.o.afterFetch?.(answer);
      const list = answer.msg_list;
      const current = firstInstall ? list.filter((m) => m.send_time * 1000 >= this.o.historySince) : list;
      if (firstInstall && current.length < list.length) this.log?.info({ skipped: list.length - current.length }, 'first install: history skipped');
      const fresh = await this.unseen(current);
      if (fresh.length > 0) {
        // Narrows the window in which a holder whose lock expired hands on what its successor reads too.
        if ((await this.o.redis.get(k.kfLock(id))) !== fence) throw new SyncFenceError(id);
        await this.o.deliver(fresh);
      }
      const now = this.now();
      const committed = await runKfScript(this.o.redis, 'sync-commit', [k.kfLock(id), k.kfCursor(id), k.kfSeen(id)], [
        fence,
        answer.next_cursor,
        now,
        now - this.seenTtlMs,
        this.lockTtlMs,
        ...list.map((m) => m.msgid),
      ]);
      if (committed !== 1) throw new SyncFenceError(id);
      cursor = answer.next_cursor;
      if (!answer.has_more) return;
    }
  }

  /** The entries not handed on before (by msgid). */
  private async unseen(list: KfMessage[]): Promise<KfMessage[]> {
    if (list.length === 0) return list;
    const scores = await this.o.redis.zmscore(this.o.keys.kfSeen(this.o.botId), ...list.map((m) => m.msgid));
    const seen = new Set<string>();
    return list.filter((m, i) => {
      if (scores[i] !== null || seen.has(m.msgid)) return false;
      seen.add(m.msgid);
      return true;
    });
  }
}
