/**
 * Presence (who views / types in which conversation), coalesced. Clients' `viewing`/`typing`
 * messages only change state here; a flush at most every `intervalMs` sends each changed
 * conversation's presence once, and only to the sockets viewing it (the UI shows presence in the
 * open conversation and nowhere else). A socket that starts viewing gets the current presence even
 * when nothing changed. So a burst of presence messages costs O(1) each, and the frames sent are
 * bounded by the flushes, not by the burst.
 *
 * Presence lives in this process's memory: with several console processes behind a balancer, each
 * one only knows its own sockets (good enough for "who else is looking"; not shared state).
 */
import type { Client } from './protocol.ts';

export interface PresenceOptions {
  /** Sends a serialized frame to one client (drops slow readers). */
  send: (client: Client, frame: string) => void;
  /** Whether presence is for this client (may read conversations). */
  mayUse: (client: Client) => boolean;
  /** How long a typing mark lasts without a new `typing` message (default 6 s). */
  typingTtlMs?: number;
  /** Least time between two flushes (default 250 ms). */
  intervalMs?: number;
  /** Conversations flushed per flush at most; the rest wait for the next one (default 500). */
  maxPerFlush?: number;
}

type Kind = 'viewing' | 'typing';

export class Presence {
  private readonly index: Record<Kind, Map<string, Set<Client>>> = { viewing: new Map(), typing: new Map() };
  private readonly dirty = new Set<string>();
  /** Sockets that started viewing a conversation and need its presence even if it did not change. */
  private readonly newcomers = new Map<string, Set<Client>>();
  /** What each conversation's viewers were last sent. */
  private readonly last = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private readonly typingTtlMs: number;
  private readonly intervalMs: number;
  private readonly maxPerFlush: number;

  constructor(private readonly o: PresenceOptions) {
    this.typingTtlMs = o.typingTtlMs ?? 6_000;
    this.intervalMs = o.intervalMs ?? 250;
    this.maxPerFlush = o.maxPerFlush ?? 500;
  }

  set(client: Client, kind: Kind, conv: string | null): void {
    if (kind === 'typing') {
      clearTimeout(client.typingTimer);
      client.typingTimer = undefined;
      if (conv !== null) {
        client.typingTimer = setTimeout(() => this.set(client, 'typing', null), this.typingTtlMs);
        client.typingTimer.unref();
      }
    }
    const before = client[kind];
    // Typing again in the same conversation only renews the mark.
    if (before === conv) return;
    if (before !== null) this.unindex(kind, before, client);
    client[kind] = conv;
    if (conv !== null) {
      let set = this.index[kind].get(conv);
      if (!set) this.index[kind].set(conv, (set = new Set()));
      set.add(client);
      this.touch(conv);
      if (kind === 'viewing') {
        let fresh = this.newcomers.get(conv);
        if (!fresh) this.newcomers.set(conv, (fresh = new Set()));
        fresh.add(client);
      }
    }
  }

  /** The client left (socket closed, or it may no longer see conversations). */
  clear(client: Client): void {
    this.set(client, 'typing', null);
    this.set(client, 'viewing', null);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private unindex(kind: Kind, conv: string, client: Client): void {
    const set = this.index[kind].get(conv);
    set?.delete(client);
    if (set?.size === 0) this.index[kind].delete(conv);
    if (kind === 'viewing') this.newcomers.get(conv)?.delete(client);
    this.touch(conv);
  }

  private touch(conv: string): void {
    this.dirty.add(conv);
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now());
    this.timer = setTimeout(this.flush, wait);
    this.timer.unref();
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    this.lastFlush = Date.now();
    let n = 0;
    for (const conv of this.dirty) {
      if (n++ >= this.maxPerFlush) break;
      this.dirty.delete(conv);
      this.flushOne(conv);
    }
    if (this.dirty.size > 0) {
      this.timer = setTimeout(this.flush, this.intervalMs);
      this.timer.unref();
    }
  };

  private flushOne(conv: string): void {
    const viewers = this.index.viewing.get(conv);
    const newcomers = this.newcomers.get(conv);
    this.newcomers.delete(conv);
    if (!viewers) {
      // Nobody looks at it: nothing to send, and the next viewer gets it fresh.
      this.last.delete(conv);
      return;
    }
    const frame = JSON.stringify({ type: 'presence', conv, agents: this.who('viewing', conv), typing: this.who('typing', conv) });
    const changed = this.last.get(conv) !== frame;
    this.last.set(conv, frame);
    const to = changed ? viewers : (newcomers ?? []);
    for (const client of to) if (viewers.has(client) && this.o.mayUse(client)) this.o.send(client, frame);
  }

  /** The distinct agents (a person may have several tabs) in a conversation, in arrival order. */
  private who(kind: Kind, conv: string): { id: string; name: string }[] {
    const seen = new Map<string, { id: string; name: string }>();
    for (const c of this.index[kind].get(conv) ?? []) {
      if (c.agent && !c.closed && this.o.mayUse(c) && !seen.has(c.agent.id)) seen.set(c.agent.id, { id: c.agent.id, name: c.agent.name });
    }
    return [...seen.values()];
  }
}
