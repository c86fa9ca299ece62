/**
 * Between the event reader and the sockets: events are read in batches, what each one changed is
 * read once for the whole batch (one pipeline per bot account, handoff/snapshots.ts) and the
 * events go out in the order they were read, each with its change. The work per event is the same
 * whether one tab is open or fifty.
 *
 * While a batch is being read the reader runs ahead of what the sockets were sent: `positions()`
 * says, per bot account, up to where every event went out, which is what a socket joining now may
 * be told it has (hello positions); the events still in flight reach it live.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { readSnapshots, type HandoffEvent, type Keys } from '../../handoff/index.ts';
import { toApiConversation, toApiMessage } from '../serialize.ts';
import type { EventChange } from './access.ts';

/** Events read per batch: a burst after a pause goes out in a few pipelines, not one per event. */
const BATCH = 500;

export interface ChangeFeedOptions {
  keys: Keys;
  /** The connection for the reads (null: none now, the events go out without their change). */
  connection: () => Redis | Cluster | null;
  /** Whether any socket would be sent this event's change (the bot's own traffic, unviewed: nothing is read). */
  wanted: (event: HandoffEvent) => boolean;
  deliver: (event: HandoffEvent, change: EventChange | undefined) => void;
  logger?: Logger;
}

export class ChangeFeed {
  private readonly pending: HandoffEvent[] = [];
  /** Per bot account: events taken in and not yet delivered. */
  private readonly inFlight = new Map<string, number>();
  /** Per bot account: the last event delivered, or where the reader stood with nothing in flight. */
  private readonly delivered = new Map<string, string>();
  private flushing = false;
  private stopped = false;

  constructor(private readonly o: ChangeFeedOptions) {}

  push(event: HandoffEvent): void {
    if (this.stopped) return;
    this.pending.push(event);
    this.inFlight.set(event.botId, (this.inFlight.get(event.botId) ?? 0) + 1);
    // After the reader's synchronous loop over one XREAD answer: the whole answer is one batch.
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(() => void this.flush());
    }
  }

  /** Up to where everything went out, per bot account, given where the reader stands. */
  positions(read: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [bot, id] of Object.entries(read)) {
      if (!this.inFlight.get(bot)) {
        this.delivered.set(bot, id);
        out[bot] = id;
        continue;
      }
      // Nothing of this account went out yet from this process: everything it has comes live.
      const done = this.delivered.get(bot);
      if (done !== undefined) out[bot] = done;
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.pending.length = 0;
    this.inFlight.clear();
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.stopped) {
        const batch = this.pending.splice(0, BATCH);
        const changes = await this.read(batch);
        if (this.stopped) return;
        batch.forEach((event, i) => {
          const left = (this.inFlight.get(event.botId) ?? 1) - 1;
          if (left > 0) this.inFlight.set(event.botId, left);
          else this.inFlight.delete(event.botId);
          this.delivered.set(event.botId, event.id);
          this.o.deliver(event, changes?.[i]);
        });
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The batch's changes, or undefined (no reader connection, nobody to send them to, Redis failed). */
  private async read(batch: HandoffEvent[]): Promise<(EventChange | undefined)[] | undefined> {
    const conn = this.o.connection();
    const wanted = batch.filter((e) => e.conv && this.o.wanted(e));
    if (!conn || wanted.length === 0) return undefined;
    try {
      const snaps = await readSnapshots(conn, this.o.keys, wanted);
      const byEvent = new Map(wanted.map((e, i) => [e, snaps[i]!]));
      return batch.map((e) => {
        const s = byEvent.get(e);
        return s ? { conversation: s.conversation && toApiConversation(s.conversation), message: s.message && toApiMessage(s.message) } : undefined;
      });
    } catch (err) {
      // The tabs read for themselves then: an event without its change means "fetch".
      this.o.logger?.debug({ err }, 'live: what the events changed could not be read');
      return undefined;
    }
  }
}
