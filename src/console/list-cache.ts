/**
 * The queue lists' answers (waiting, active, parked), kept for as long as nothing they show can
 * have changed, so that agents loading the queue at once (a console restarted, the office network
 * back, a team starting its shift) cost one read of Redis and one JSON encoding, not one each.
 *
 * Why it is safe: every change those lists show (a customer message, a claim, a transfer, a
 * release, tags, a tier, an SLA warning, a park or a fix) writes an event to its bot account's
 * event stream in the same script, since that is how open consoles stay live. The accounts and
 * their streams' last ids (`Handoff.eventStamp`) are therefore a version of every such list: an
 * answer read after a stamp was current is right for as long as the stamp is. Each request reads
 * the stamp first (one round trip); a cached answer is served only under the same stamp.
 *
 * Not kept: resolved, bot and `all` lists (the archive removes resolved chats from Redis without an
 * event) and lists filtered by channel (a bot account's channel is rewritten at its start, with
 * no event).
 */
export interface ListCacheStats {
  hits: number;
  misses: number;
}

interface Entry {
  stamp: string;
  value: Promise<string>;
  /** The answer's length once read (0 while reading). */
  size: number;
}

export class ListCache {
  private readonly entries = new Map<string, Entry>();
  /** The kept answers' lengths (UTF-16 units, about the bytes of the mostly-CJK JSON / 1.5). */
  private size = 0;
  readonly stats: ListCacheStats = { hits: 0, misses: 0 };

  /**
   * @param max answers kept (the least recently used go first): a few per agent online
   * @param maxChars their total length: a manager's queue of 400 chats is ~150,000 characters
   */
  constructor(
    private readonly max = 500,
    private readonly maxChars = 16_000_000,
  ) {}

  /**
   * The answer for `key` read under `stamp`: a kept one (also while it is still being read: the
   * read began after the stamp was current), else `load()`'s, kept unless it fails.
   */
  get(key: string, stamp: string, load: () => Promise<string>): Promise<string> {
    const kept = this.entries.get(key);
    if (kept && kept.stamp === stamp) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      this.stats.hits++;
      return kept.value;
    }
    if (kept) this.drop(key);
    this.stats.misses++;
    const entry: Entry = { stamp, value: load(), size: 0 };
    this.entries.set(key, entry);
    entry.value.then(
      (json) => {
        if (this.entries.get(key) !== entry) return;
        entry.size = json.length;
        this.size += entry.size;
        this.trim();
      },
      () => {
        if (this.entries.get(key) === entry) this.drop(key);
      },
    );
    this.trim();
    return entry.value;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.size -= e.size;
    this.entries.delete(key);
  }

  /** The least recently used go until both limits hold. */
  private trim(): void {
    while (this.entries.size > this.max || (this.size > this.maxChars && this.entries.size > 1)) this.drop(this.entries.keys().next().value!);
  }
}

/** A stamp as a cache's version string: the accounts and their last event ids. */
export function stampKey(stamp: { bots: readonly string[]; cursors: Record<string, string> }): string {
  return stamp.bots.map((b) => `${b}@${stamp.cursors[b] ?? ''}`).join(',');
}
