/**
 * The Wechaty channel: a thin adapter between a Wechaty bot (any puppet) and the bot's
 * channel-agnostic turn. It filters what is not a customer's message (its own sends, group chats
 * when they are off, official accounts), turns the rest into `InboundMessage`s, and sends by
 * contact. What changes on every wechat4u login (contact ids) is hidden behind `IdentityMap`.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { types, type Contact, type Message, type Wechaty } from 'wechaty';
import type { Keys } from '../../handoff/index.ts';
import type { ChannelAdapter, ChannelLimits, CustomerHandle, InboundMessage, TurnSink } from '../types.ts';
import { IdentityMap, type IdentityContact } from './identity.ts';
import { kindOf } from './kind.ts';

/** WeChat takes up to 2,000 bytes in one text message. */
export const WECHATY_MAX_TEXT_BYTES = 2_000;

export interface WechatyAdapterOptions {
  bot: Wechaty;
  botId: string;
  redis: Redis | Cluster;
  keys: Keys;
  /** Group chats: answer only when @-mentioned (default), or never. */
  roomMode?: 'mention' | 'off';
  /** Write the customer number into new contacts' remark (default true). */
  setAlias?: boolean;
  logger?: Logger;
}

/** A contact's profile as the journal keeps it (a later login may give the contact another id). */
interface Snapshot {
  id: string;
  name: string;
  alias?: string;
  handle?: string;
  gender?: number;
  province?: string;
  city?: string;
}

type WechatyContact = IdentityContact & { payload?: { alias?: string } };

function snapshotOf(c: WechatyContact): Snapshot {
  const s: Snapshot = { id: c.id, name: c.name() };
  const alias = c.payload?.alias;
  if (alias) s.alias = alias;
  const handle = c.handle?.();
  if (handle) s.handle = handle;
  const gender = c.gender?.();
  if (gender !== undefined) s.gender = gender;
  const province = c.province?.();
  if (province) s.province = province;
  const city = c.city?.();
  if (city) s.city = city;
  return s;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The contact as it was when the entry was written, enough to resolve the customer again. */
function contactOfSnapshot(raw: Record<string, unknown>): IdentityContact {
  const s: Snapshot = {
    id: str(raw.id) ?? '',
    name: str(raw.name) ?? '',
    alias: str(raw.alias),
    handle: str(raw.handle),
    gender: typeof raw.gender === 'number' ? raw.gender : undefined,
    province: str(raw.province),
    city: str(raw.city),
  };
  return {
    id: s.id,
    name: () => s.name,
    alias: ((value?: string) => (value === undefined ? Promise.resolve(s.alias) : Promise.resolve())) as IdentityContact['alias'],
    handle: () => s.handle,
    gender: () => s.gender ?? 0,
    province: () => s.province,
    city: () => s.city,
  };
}

/** A customer handle over a contact: the send target is the contact itself when it is a live one. */
interface WechatyHandle extends CustomerHandle {
  contact?: Contact;
}

export class WechatyAdapter implements ChannelAdapter {
  readonly kind = 'wechaty' as const;
  readonly botId: string;
  readonly label: string;
  readonly limits: ChannelLimits = { maxTextBytes: WECHATY_MAX_TEXT_BYTES };
  readonly identity: IdentityMap;
  private readonly bot: Wechaty;
  private readonly log?: Logger;
  private readonly listeners: [string, (...args: never[]) => unknown][] = [];
  private readonly handles = new Map<string, WechatyHandle>();

  constructor(private readonly o: WechatyAdapterOptions) {
    this.bot = o.bot;
    this.botId = o.botId;
    this.label = o.botId;
    this.log = o.logger?.child({ module: 'channel-wechaty', botId: o.botId });
    this.identity = new IdentityMap({ redis: o.redis, keys: o.keys, botId: o.botId, setAlias: o.setAlias, logger: this.log });
  }

  async start(sink: TurnSink): Promise<void> {
    this.on('message', (msg: Message) => this.onMessage(msg, sink));
    this.on('login', () => {
      this.handles.clear();
      sink.forget();
      // Contact ids of the last login may be gone (and even reused): a new identity epoch, before
      // any message of this login (and after whatever the turn had queued before it).
      // Not awaited: the epoch's promise orders the identity lookups, and a Redis outage must not
      // hold up FAQ answers.
      sink.before(async () => {
        this.identity.newLogin().catch((err: unknown) => this.log?.warn({ err }, 'could not start a new identity epoch'));
      });
    });
    // Contact.find of a vanished contact and refused aliases are reported as 'error' events:
    // without a listener Node would exit.
    this.on('error', (err: Error) => this.log?.warn({ err: err.message }, 'wechaty error'));
  }

  async stop(): Promise<void> {
    for (const [event, fn] of this.listeners.splice(0)) this.bot.off(event as 'message', fn as never);
  }

  canSend(): boolean {
    return this.bot.isLoggedIn;
  }

  async send(to: CustomerHandle, text: string): Promise<void> {
    const contact = (to as WechatyHandle).contact;
    if (!contact) throw new Error('customer is not reachable (no contact in this login)');
    await contact.say(text);
  }

  restore(snapshot: Record<string, unknown>): CustomerHandle {
    const c = contactOfSnapshot(snapshot);
    return { key: c.id, name: () => c.name(), resolve: () => this.identity.resolve(c), snapshot: () => snapshot };
  }

  async handleOf(customerId: string): Promise<CustomerHandle | undefined> {
    if (!this.bot.isLoggedIn) return undefined;
    const id = await this.identity.contactIdOf(customerId);
    let contact: Contact | undefined;
    if (id) contact = (await this.bot.Contact.find({ id })) ?? undefined;
    // A new login may have changed the contact's id: its remark still carries the customer number.
    contact ??= (await this.bot.Contact.find({ alias: customerId }).catch(() => undefined)) ?? undefined;
    return contact ? this.handle(contact) : undefined;
  }

  private on(event: string, fn: (...args: never[]) => unknown): void {
    this.listeners.push([event, fn]);
    this.bot.on(event as 'message', fn as never);
  }

  /** One handle per contact of this login (the turn keeps its per-customer state by `key`). */
  private handle(contact: Contact): WechatyHandle {
    let h = this.handles.get(contact.id);
    if (!h) {
      h = {
        key: contact.id,
        contact,
        name: () => contact.name(),
        resolve: () => this.identity.resolve(contact),
        snapshot: () => snapshotOf(contact) as unknown as Record<string, unknown>,
      };
      this.handles.set(contact.id, h);
      if (this.handles.size > 50_000) this.handles.delete(this.handles.keys().next().value as string);
    }
    return h;
  }

  /** Synchronous filters only (no awaits): the turn keeps each customer's messages in order. */
  private onMessage(msg: Message, sink: TurnSink): void {
    try {
      if (msg.self()) return;
      const kind = kindOf(msg.type());
      if (!kind) return;
      const room = msg.room();
      if (room && (this.o.roomMode ?? 'mention') === 'off') return;
      const talker = msg.talker();
      if (talker.type() !== types.Contact.Individual && talker.type() !== types.Contact.Unknown) return;
      const customer = this.handle(talker);
      const inbound: InboundMessage = {
        id: msg.id,
        at: msg.date().getTime(),
        kind,
        text: kind === 'text' ? msg.text() : '',
        customer,
        reply: async (text) => {
          if (room) await room.say(text, talker);
          else await talker.say(text);
        },
      };
      if (room) inbound.group = { forMe: async () => ((await msg.mentionSelf()) ? msg.mentionText() : undefined) };
      if (kind === 'link' || kind === 'image' || kind === 'file' || kind === 'video') inbound.mediaUrl = () => this.urlOf(msg, kind);
      // Its order is kept by the turn; whether it is stored yet does not matter to a push channel.
      void sink.message(inbound);
    } catch (err) {
      this.log?.error({ err, msgId: msg.id }, 'message dropped: could not read it');
    }
  }

  private async urlOf(msg: Message, kind: string): Promise<string | undefined> {
    try {
      if (kind === 'link') return (await msg.toUrlLink()).url();
      const json = (await msg.toFileBox()).toJSON() as { url?: string; remoteUrl?: string };
      const url = json.url ?? json.remoteUrl;
      return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
    } catch (err) {
      this.log?.debug({ err, msgId: msg.id }, 'no url for a non-text message');
      return undefined;
    }
  }
}
