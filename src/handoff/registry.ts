import type { HandoffContext } from './context.ts';

/** A bot account's WeChat login as consoles show it. */
export interface BotStatus {
  status: 'scan' | 'logged_in' | 'logged_out' | 'stopped' | 'error';
  /** What the QR code to scan encodes (status scan): WeChat's login URL. Consoles draw it themselves. */
  qrUrl?: string;
  /** ISO time of the change. */
  at: string;
}

/** Which channel a bot account is (a Wechaty login, a 微信客服 account, an Official Account) and its limits. */
export interface ChannelInfo {
  kind: string;
  label: string;
  /** The largest text one message may carry (UTF-8 bytes). */
  maxTextBytes: number;
  /** WeChat's service window, when the channel has one: at most `maxReplies` within `windowS` of the customer's last message. */
  windowS?: number;
  maxReplies?: number;
}

export interface ServiceWindow {
  /** Replies the business may still send now (0: closed until the customer writes again). */
  remaining: number;
  /** When the window closes (ms since the epoch), or null when it is closed. */
  closesAt: number | null;
  /** The customer's last message (ms), when known. */
  lastCustomerAt: number | null;
  maxReplies: number;
}

/** A customer's service window as counted in `keys.kfWindow` (lastIn, sent) by the channel adapter. */
export async function readServiceWindow(
  redis: HandoffContext['redis'],
  keys: HandoffContext['keys'],
  botId: string,
  customerId: string,
  rule: { windowS: number; maxReplies: number },
  now: number,
): Promise<ServiceWindow> {
  const [lastIn, sent] = await redis.hmget(keys.kfWindow(botId, customerId), 'lastIn', 'sent');
  const last = Number(lastIn ?? 0);
  const closesAt = last ? last + rule.windowS * 1000 : 0;
  const remaining = closesAt > now ? Math.max(0, rule.maxReplies - Number(sent ?? 0)) : 0;
  return { remaining, closesAt: remaining > 0 ? closesAt : null, lastCustomerAt: last || null, maxReplies: rule.maxReplies };
}

/**
 * The bot accounts that write here and their login state. Every read across accounts (the queue,
 * the counters) goes through `bots()`: an account is known from its first write on.
 */
export class BotRegistry {
  /** Accounts this process registered already: one SADD per account and process. */
  private readonly registered = new Set<string>();
  /** Every account, as last read here (see knownBots). */
  private known: string[] | undefined;

  constructor(private readonly ctx: HandoffContext) {}

  /** Records that a bot account exists, so consoles read its queue and events (done on first write too). */
  async registerBot(botId: string): Promise<void> {
    const { redis, keys } = this.ctx;
    // The list read in the same round trip: a bot's first handoff then finds it known (see knownBots).
    const [, members] = await Promise.all([redis.sadd(keys.bots(), botId), redis.smembers(keys.bots())]);
    this.registered.add(botId);
    this.known = members.sort();
  }

  async ensureRegistered(botId: string): Promise<void> {
    if (!this.registered.has(botId)) await this.registerBot(botId);
  }

  /** Keeps the bot account's login state (and the QR code to scan) where consoles can read it. */
  async setBotStatus(botId: string, status: BotStatus): Promise<void> {
    const { redis, keys } = this.ctx;
    const key = keys.botStatus(botId);
    await this.ensureRegistered(botId);
    // One slot (the bot's hash tag): atomic in a Redis Cluster too.
    const tx = redis.multi();
    tx.del(key);
    tx.hset(key, 'status', status.status, 'at', status.at, ...(status.qrUrl ? ['qrUrl', status.qrUrl] : []));
    // Consoles follow it live: a logout is an alert for admins (the QR itself stays in the hash).
    const at = String(Date.parse(status.at) || this.ctx.now());
    tx.xadd(keys.events(botId), 'MAXLEN', '~', this.ctx.maxLen, '*', 'type', 'bot_status', 'conv', '', 'status', status.status, 'at', at);
    await tx.exec();
  }

  async botStatus(botId: string): Promise<BotStatus | null> {
    const h = await this.ctx.redis.hgetall(this.ctx.keys.botStatus(botId));
    if (!h.status || !h.at) return null;
    return { status: h.status as BotStatus['status'], at: h.at, ...(h.qrUrl ? { qrUrl: h.qrUrl } : {}) };
  }

  /** Written by the bot at start, so consoles can show the channel and its limits. */
  async setChannel(botId: string, info: ChannelInfo): Promise<void> {
    await this.ensureRegistered(botId);
    const fields: (string | number)[] = ['kind', info.kind, 'label', info.label, 'maxTextBytes', info.maxTextBytes];
    if (info.windowS && info.maxReplies) fields.push('windowS', info.windowS, 'maxReplies', info.maxReplies);
    const key = this.ctx.keys.channel(botId);
    await this.ctx.redis.multi().del(key).hset(key, ...fields).exec();
  }

  async channel(botId: string): Promise<ChannelInfo | null> {
    const h = await this.ctx.redis.hgetall(this.ctx.keys.channel(botId));
    if (!h.kind) return null;
    const info: ChannelInfo = { kind: h.kind, label: h.label ?? botId, maxTextBytes: Number(h.maxTextBytes) || 2_000 };
    if (h.windowS && h.maxReplies) Object.assign(info, { windowS: Number(h.windowS), maxReplies: Number(h.maxReplies) });
    return info;
  }

  /**
   * A customer's service window on a channel that has one (the channel adapter counts the sends
   * in `keys.kfWindow`): how many replies are left and when the window closes (ms; null = closed).
   */
  async serviceWindow(botId: string, customerId: string, info: ChannelInfo, now = this.ctx.now()): Promise<ServiceWindow | null> {
    if (!info.windowS || !info.maxReplies) return null;
    return readServiceWindow(this.ctx.redis, this.ctx.keys, botId, customerId, { windowS: info.windowS, maxReplies: info.maxReplies }, now);
  }

  async bots(): Promise<string[]> {
    return (this.known = (await this.ctx.redis.smembers(this.ctx.keys.bots())).sort());
  }

  /**
   * Each account's last live event id (accounts without events left out). Read before a list, it
   * says which events the list already reflects: a change and its event are written in one script.
   * The commands are sent when this is called, before anything the caller asks next on the same
   * connection (one account's keys share a slot, so in a cluster too): the caller need not wait.
   */
  eventCursors(bots: readonly string[]): Promise<Record<string, string>> {
    return Promise.all(bots.map((botId) => this.ctx.redis.xrevrange(this.ctx.keys.events(botId), '+', '-', 'COUNT', 1))).then((last) => {
      const cursors: Record<string, string> = {};
      bots.forEach((botId, i) => {
        const id = last[i]?.[0]?.[0];
        if (id) cursors[botId] = id;
      });
      return cursors;
    });
  }

  /**
   * Every account with its last live event id, read at once: a version of every waiting, active
   * and parked list (each change they show writes an event in the same script), so an answer read
   * after this stamp stays right for as long as the stamp does. The accounts are read in the same
   * round trip as the cursors of the accounts known here; a new account makes a second one.
   */
  async eventStamp(): Promise<{ bots: string[]; cursors: Record<string, string> }> {
    const guess = this.known ?? [];
    const [bots, cursors] = await Promise.all([this.bots(), this.eventCursors(guess)]);
    if (bots.length === guess.length && bots.every((b, i) => b === guess[i])) return { bots, cursors };
    return { bots, cursors: await this.eventCursors(bots) };
  }

  /**
   * The accounts as this process last read them (undefined before the first read): a guess to
   * ask other accounts' queues in the same round trip as a transition, checked against a fresh
   * read made in that round trip too (Transitions.othersAhead).
   */
  knownBots(): readonly string[] | undefined {
    return this.known;
  }
}
