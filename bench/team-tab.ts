/**
 * One agent's console tab for bench/team.ts, as the web UI behaves (src/console/ui/data.js and
 * views/conversation.js): it reads the queue lists when its socket says hello, then keeps them
 * from the live events' changes; it reads them again only for an event that came without its
 * change or when a full list lost a row (a gap). A tab with a chat open tells the server it views
 * it and adds that chat's messages from their events. Every HTTP request is counted.
 */
import type { ApiConversation } from '../src/console/serialize.ts';
import { WebSocket, type WsClient } from '../test/support/sockets.ts';

type ListName = 'waiting' | 'active' | 'awaitingFix';
const LIMITS: Record<ListName, number> = { waiting: 100, active: 200, awaitingFix: 100 };
const THROTTLE_MS = 150;

interface Frame {
  type: string;
  event?: { id: string; type: string; conv: string };
  conversation?: ApiConversation | null;
  message?: { id: string } | null;
}

export interface TabAgent {
  id: string;
  token: string;
  manager: boolean;
}

export class Tab {
  /** GET requests: list reads and chat reads. */
  reads = 0;
  /** POST requests: claims, replies, resolves. */
  actions = 0;
  events = 0;
  doubled = 0;
  /** ms from the event's write in Redis (its stream id) to this tab. */
  readonly latencies: number[] = [];
  lists: Record<ListName, ApiConversation[]> = { waiting: [], active: [], awaitingFix: [] };
  viewing: string | null = null;
  private ws: WsClient | null = null;
  private readonly seen = new Set<string>();
  private during: [string, ApiConversation | null][] | null = null;
  private loading: Promise<void> | null = null;
  private again = false;
  private lastRead = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly base: string,
    readonly agent: TabAgent,
  ) {}

  /** Opens the socket; resolves once the first lists are read. */
  async start(): Promise<void> {
    const ws = new WebSocket(`${this.base.replace(/^http/, 'ws')}/api/live`);
    this.ws = ws;
    const hello = new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: this.agent.token })));
      ws.on('message', (data: unknown) => {
        const msg = JSON.parse(String(data)) as Frame;
        if (msg.type === 'hello') {
          this.read().then(resolve, reject);
        } else if (msg.type === 'event') this.onEvent(msg);
      });
      ws.on('close', () => reject(new Error('live socket closed')));
    });
    await hello;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
  }

  view(conv: string | null): void {
    this.viewing = conv;
    this.ws?.send(JSON.stringify({ type: 'viewing', conv }));
  }

  async get<T>(path: string): Promise<T> {
    this.reads++;
    const res = await fetch(this.base + path, { headers: { authorization: `Bearer ${this.agent.token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  async post(path: string, body: unknown = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    this.actions++;
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.agent.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** An action's answer (a conversation) put in the lists at once, as the UI does. */
  apply(id: string, conv: ApiConversation | null): void {
    if (this.during) this.during.push([id, conv]);
    const gap = this.place(id, conv);
    if (gap) this.refresh();
  }

  private onEvent(msg: Frame): void {
    const e = msg.event!;
    this.events++;
    if (this.seen.has(e.id)) this.doubled++;
    this.seen.add(e.id);
    this.latencies.push(Date.now() - Number(e.id.split('-')[0]));
    if (!e.conv) return;
    if (!('conversation' in msg)) {
      this.refresh();
      return;
    }
    this.apply(e.conv, msg.conversation ?? null);
    // The open chat: a message event brings its message; anything else is read (after the last line).
    if (this.viewing === e.conv && !(e.type === 'message' && msg.message)) void this.get(`/api/conversations/${encodeURIComponent(e.conv)}?after=0-1`).catch(() => undefined);
  }

  private listOf(conv: ApiConversation | null): ListName | null {
    if (!conv) return null;
    if (conv.status === 'waiting') return 'waiting';
    if (conv.status === 'active' && (this.agent.manager || conv.assignee?.id === this.agent.id)) return 'active';
    if (conv.status === 'awaiting_fix' && (this.agent.manager || conv.assignee?.id === this.agent.id)) return 'awaitingFix';
    return null;
  }

  /** Returns whether a full list lost a row (the next one beyond the page is unknown). */
  private place(id: string, conv: ApiConversation | null): boolean {
    let gap = false;
    const target = this.listOf(conv);
    for (const name of Object.keys(LIMITS) as ListName[]) {
      const list = this.lists[name];
      const at = list.findIndex((c) => c.id === id);
      if (at === -1) continue;
      if (list.length >= LIMITS[name] && target !== name) gap = true;
      list.splice(at, 1);
    }
    if (target && conv) {
      const list = [...this.lists[target], conv];
      list.sort(
        target === 'waiting'
          ? (a, b) => Date.parse(a.slaDueAt ?? '') - Date.parse(b.slaDueAt ?? '') || (a.id < b.id ? -1 : 1)
          : (a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0),
      );
      this.lists[target] = list.slice(0, LIMITS[target]);
    }
    return gap;
  }

  /** A throttled read of the lists: at once after a quiet spell, else one trailing read. */
  private refresh(): void {
    if (this.loading) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = this.lastRead + THROTTLE_MS - Date.now();
    if (wait <= 0) void this.read().catch(() => undefined);
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.read().catch(() => undefined);
      }, wait);
    }
  }

  /** The lists as the server has them now (what the UI's loadQueue reads). */
  async serverLists(): Promise<Record<ListName, ApiConversation[]>> {
    type Page = { items: ApiConversation[] };
    const lists = await this.get<Record<'waiting' | 'active' | 'parked', Page>>(
      `/api/queue?waiting=${LIMITS.waiting}&active=${LIMITS.active}&parked=${LIMITS.awaitingFix}`,
    );
    return { waiting: lists.waiting.items, active: lists.active.items, awaitingFix: lists.parked.items };
  }

  private async read(): Promise<void> {
    this.lastRead = Date.now();
    this.during = [];
    const run = (async () => {
      this.lists = await this.serverLists();
      for (const [id, conv] of this.during ?? []) this.place(id, conv);
    })();
    this.loading = run;
    try {
      await run;
    } finally {
      this.loading = null;
      this.during = null;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }
}
