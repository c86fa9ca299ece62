/**
 * In-memory guards in front of the dialogue: duplicates (puppets re-deliver after a re-login),
 * stale messages (a backlog delivered on login) and per-customer flood control. Synchronous and
 * O(1) per message, so a flooding customer never slows anyone else down.
 */

/** A bounded set of recently seen ids; the oldest is forgotten first. */
export class RecentIds {
  private readonly ids = new Map<string, true>();
  constructor(private readonly capacity = 20_000) {}

  /** True when `id` was seen already; otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    return false;
  }

  /** Forgets `id` (its handling failed before anything happened: a re-delivery may try again). */
  forget(id: string): void {
    this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

export interface FloodOptions {
  /** Messages allowed per window. */
  max: number;
  windowS: number;
  /** After the warning, the customer's messages are ignored this long. */
  muteS: number;
  now?: () => number;
  /** Customers tracked at most (the least recently active are forgotten). */
  capacity?: number;
}

/** ok: handle it; warn: tell the customer once and drop it; muted: drop silently. */
export type FloodVerdict = 'ok' | 'warn' | 'muted';

interface FloodState {
  /** Timestamps (ms) of the messages in the current window, oldest first. */
  times: number[];
  mutedUntil: number;
}

/** Per-customer rate limit: `max` messages per `windowS`; beyond that one warning, then silence for `muteS`. */
export class FloodGuard {
  private readonly state = new Map<string, FloodState>();
  private readonly now: () => number;
  private readonly capacity: number;

  constructor(private readonly o: FloodOptions) {
    this.now = o.now ?? Date.now;
    this.capacity = o.capacity ?? 50_000;
  }

  check(key: string): FloodVerdict {
    const now = this.now();
    let s = this.state.get(key);
    if (s) this.state.delete(key);
    else s = { times: [], mutedUntil: 0 };
    // Re-inserted: the map's order is least recently active first.
    this.state.set(key, s);
    if (this.state.size > this.capacity) this.state.delete(this.state.keys().next().value as string);
    if (now < s.mutedUntil) return 'muted';
    const from = now - this.o.windowS * 1000;
    while (s.times.length > 0 && s.times[0]! <= from) s.times.shift();
    if (s.times.length >= this.o.max) {
      s.times = [];
      s.mutedUntil = now + this.o.muteS * 1000;
      return 'warn';
    }
    s.times.push(now);
    return 'ok';
  }
}

/** True when a message sent at `sentAt` (ms) is older than `maxAgeS` at `now`. */
export const isTooOld = (sentAt: number, maxAgeS: number, now = Date.now()): boolean => now - sentAt > maxAgeS * 1000;
