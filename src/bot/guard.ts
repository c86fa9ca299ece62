/**
 * In-memory guards in front of the dialogue: duplicates (puppets re-deliver after a re-login),
 * stale messages (a backlog delivered on login), a limit on how often the bot itself replies to
 * one customer (FloodGuard) and a per-conversation cap on what a true flood may store one by one
 * (FloodCap). None of them ever makes a customer's message disappear without a trace: below the
 * cap every message is recorded, above it the cut is counted and noted in the transcript.
 * Synchronous and O(1) per message, so a flooding customer never slows anyone else down.
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
  /** Bot replies (turns the bot answers) allowed per window. */
  max: number;
  windowS: number;
  /** After the warning, the bot does not reply to this customer this long (their messages are still recorded). */
  muteS: number;
  now?: () => number;
  /** Customers tracked at most (the least recently active are forgotten). */
  capacity?: number;
}

/** ok: reply; warn: tell the customer once that the bot pauses; muted: record only, no reply. */
export type FloodVerdict = 'ok' | 'warn' | 'muted';

interface FloodState {
  /** Timestamps (ms) of the messages in the current window, oldest first. */
  times: number[];
  mutedUntil: number;
}

/**
 * Per-customer limit on the bot's own replies: `max` replying turns per `windowS`; beyond that one
 * warning, then no replies for `muteS`. It throttles what the bot says, never what is recorded:
 * Chinese customers often type a question as many short bubbles, and every one reaches the transcript.
 */
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

export interface FloodCapOptions {
  /** Messages per minute a conversation may store one by one (a burst of this many, refilled evenly). */
  perMin: number;
  now?: () => number;
  /** Conversations tracked at most (the least recently active are forgotten). */
  capacity?: number;
  /** How many cut messages are quoted in the note, and how many characters of each. */
  samples?: number;
  sampleChars?: number;
}

/** What a flood cut: how many messages and the beginning of the first few. */
export interface FloodCut {
  count: number;
  samples: string[];
}

interface CapState {
  tokens: number;
  at: number;
  cut?: FloodCut;
}

/**
 * The per-conversation cap on a true flood (a script or a stuck key sending hundreds of messages a
 * minute): a token bucket of `perMin` messages, refilled at `perMin` a minute. Within it every
 * message is stored one by one; beyond it messages are only counted (with the start of the first
 * few kept), and the caller writes that count into the transcript, so the agent sees what was cut.
 * Set it well above any human typing rate: it exists to protect Redis and the agent's screen, not
 * to shape conversations.
 */
export class FloodCap {
  private readonly state = new Map<string, CapState>();
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(private readonly o: FloodCapOptions) {
    if (!(o.perMin >= 1)) throw new RangeError(`perMin must be at least 1, got ${o.perMin}`);
    this.now = o.now ?? Date.now;
    this.capacity = o.capacity ?? 50_000;
    this.perMs = o.perMin / 60_000;
  }

  /** True: store this message; false: it was counted in the conversation's current cut. */
  take(key: string, text: string): boolean {
    const now = this.now();
    let s = this.state.get(key);
    if (s) this.state.delete(key);
    else s = { tokens: this.o.perMin, at: now };
    this.state.set(key, s);
    if (this.state.size > this.capacity) this.state.delete(this.state.keys().next().value as string);
    s.tokens = Math.min(this.o.perMin, s.tokens + Math.max(0, now - s.at) * this.perMs);
    s.at = now;
    if (s.tokens >= 1) {
      s.tokens -= 1;
      return true;
    }
    s.cut ??= { count: 0, samples: [] };
    s.cut.count++;
    if (s.cut.samples.length < (this.o.samples ?? 3)) s.cut.samples.push(Array.from(text.trim()).slice(0, this.o.sampleChars ?? 20).join(''));
    return false;
  }

  /** True while `key` has a cut not yet taken by `drain`. */
  cutting(key: string): boolean {
    return this.state.get(key)?.cut !== undefined;
  }

  /** The cut so far (and forgets it), or undefined when nothing was cut. */
  drain(key: string): FloodCut | undefined {
    const s = this.state.get(key);
    const cut = s?.cut;
    if (s) s.cut = undefined;
    return cut;
  }
}
