/**
 * Stable customer ids across re-logins. Some puppets (wechat4u: the web protocol) hand out new
 * contact ids on every login, so a contact id cannot be the customer's id in the handoff.
 *
 * A customer gets a number once (`kf-<n>`), remembered three ways, strongest first:
 *  1. the contact's alias (remark) on the WeChat account itself, set by the bot where the puppet
 *     supports it and the contact has no remark yet (an operator's own remark is never replaced);
 *     it survives re-logins, restarts and even a lost Redis;
 *  2. a Redis map from the contact id (same login, or puppets whose ids are stable);
 *  3. a Redis map from a profile fingerprint: the WeChat handle where the puppet exposes it, else
 *     name + gender + region (the avatar URL is left out: on wechat4u it embeds the session's id).
 *     A fingerprint match is only taken when the customer it points to was last seen in an
 *     earlier login; two different contacts with one fingerprint in the same login are two
 *     people, and the fingerprint is then marked ambiguous and no longer used.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';

/** What identity needs of a wechaty Contact (the real one satisfies it; tests can fake it). */
export interface IdentityContact {
  id: string;
  name(): string;
  alias(): Promise<string | undefined>;
  alias(newAlias: string): Promise<void>;
  handle?(): string | undefined;
  gender?(): number;
  province?(): string | undefined;
  city?(): string | undefined;
}

export interface IdentityOptions {
  redis: Redis | Cluster;
  keys: Keys;
  botId: string;
  /** Write the customer number into the contact's remark when it has none (default true). */
  setAlias?: boolean;
  logger?: Logger;
  /** Contacts kept in memory (default 50,000). */
  capacity?: number;
}

export const ALIAS_PREFIX = 'kf-';
const ALIAS = /^kf-[0-9]{1,18}$/;
const AMBIGUOUS = '!';

/** The customer id an alias stands for, or undefined when it is not one of ours. */
export const customerIdFromAlias = (alias: string | undefined | null): string | undefined =>
  alias && ALIAS.test(alias.trim()) ? alias.trim() : undefined;

export function fingerprint(contact: IdentityContact): string {
  const handle = contact.handle?.();
  if (handle) return `w:${handle}`;
  const parts = [contact.name(), String(contact.gender?.() ?? ''), contact.province?.() ?? '', contact.city?.() ?? ''];
  return `p:${createHash('sha1').update(parts.join('\u0000')).digest('base64url').slice(0, 22)}`;
}

export class IdentityMap {
  private readonly redis: Redis | Cluster;
  private readonly key: string;
  private readonly setAlias: boolean;
  private readonly log?: Logger;
  private readonly capacity: number;
  /** contact id -> customer id (this login). */
  private readonly byContact = new Map<string, string>();
  /** customer id -> contact id (this login). */
  private readonly toContact = new Map<string, string>();
  private epoch?: Promise<number>;

  constructor(o: IdentityOptions) {
    this.redis = o.redis;
    this.key = o.keys.identity(o.botId);
    this.setAlias = o.setAlias ?? true;
    this.log = o.logger;
    this.capacity = o.capacity ?? 50_000;
  }

  /** Call on every login: contact ids of the last login may be gone (and may even be reused). */
  newLogin(): Promise<number> {
    this.byContact.clear();
    this.toContact.clear();
    this.epoch = Promise.resolve(this.redis.hincrby(this.key, 'epoch', 1));
    this.epoch.catch(() => (this.epoch = undefined));
    return this.epoch;
  }

  private currentEpoch(): Promise<number> {
    if (!this.epoch) {
      const p = Promise.resolve(this.redis.hget(this.key, 'epoch')).then((v) => Number(v ?? 0));
      p.catch(() => (this.epoch = undefined));
      this.epoch = p;
    }
    return this.epoch;
  }

  /** The customer id already known in memory for this contact (no Redis). */
  cached(contactId: string): string | undefined {
    return this.byContact.get(contactId);
  }

  /** The stable customer id of `contact`, allocating one for a new customer. */
  async resolve(contact: IdentityContact): Promise<string> {
    const known = this.byContact.get(contact.id);
    if (known) return known;
    const epoch = await this.currentEpoch();
    const alias = customerIdFromAlias(await contact.alias().catch(() => undefined));
    const fp = fingerprint(contact);
    let customerId = alias;
    let fpAmbiguous = false;
    if (!customerId) {
      const [byId, byFp] = await this.redis.hmget(this.key, `c:${contact.id}`, fp);
      if (byId) customerId = byId;
      else if (byFp && byFp !== AMBIGUOUS) {
        const last = await this.redis.hget(this.key, `to:${byFp}`);
        const [lastContact, lastEpoch] = (last ?? '').split('|');
        if (!last || lastContact === contact.id || Number(lastEpoch) < epoch) customerId = byFp;
        // Someone else with this fingerprint is talking to us in this very login: another person.
        else fpAmbiguous = true;
      }
    }
    customerId ??= `${ALIAS_PREFIX}${await this.redis.hincrby(this.key, 'seq', 1)}`;
    const fields: string[] = [`c:${contact.id}`, customerId, `to:${customerId}`, `${contact.id}|${epoch}`];
    fields.push(fp, fpAmbiguous ? AMBIGUOUS : customerId);
    await this.redis.hset(this.key, ...fields);
    this.remember(contact.id, customerId);
    if (!alias && this.setAlias) {
      const current = await contact.alias().catch(() => undefined);
      if (!current) {
        contact.alias(customerId).catch((err: unknown) => this.log?.debug({ err }, 'could not set the contact alias'));
      }
    }
    return customerId;
  }

  /** The contact id to deliver to: this login's, or the last one recorded. */
  async contactIdOf(customerId: string): Promise<string | undefined> {
    const mem = this.toContact.get(customerId);
    if (mem) return mem;
    const last = await this.redis.hget(this.key, `to:${customerId}`);
    return last ? last.split('|')[0] : undefined;
  }

  private remember(contactId: string, customerId: string): void {
    this.byContact.set(contactId, customerId);
    this.toContact.set(customerId, contactId);
    if (this.byContact.size > this.capacity) {
      const oldest = this.byContact.keys().next().value as string;
      const cust = this.byContact.get(oldest);
      this.byContact.delete(oldest);
      if (cust && this.toContact.get(cust) === oldest) this.toContact.delete(cust);
    }
  }
}
