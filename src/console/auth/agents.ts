import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { KefuError } from '../../errors.ts';
import { luaScripts } from '../../lua.ts';

/**
 * Console agents and their bearer tokens, in Redis.
 *
 * Agents are global (not per bot account), so all their keys share the hash tag `{agents}`: one
 * slot, so the scripts below stay atomic on a Redis Cluster too.
 *
 * - `<prefix>:{agents}:a:<id>`        hash: id, username, name, roles (comma-separated), disabled (0/1), createdAt, pw
 * - `<prefix>:{agents}:names`         hash: username -> id
 * - `<prefix>:{agents}:t:<sha256>`    string: agent id, with PEXPIRE (the raw token is never stored)
 * - `<prefix>:{agents}:at:<id>`       sorted set: the agent's token hashes by expiry (ms), for revokeAll
 *
 * Password hashes and tokens are never logged nor returned, except the token `login` hands out.
 */

export const ROLES = ['agent', 'editor', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Agent {
  id: string;
  username: string;
  name: string;
  roles: Role[];
  disabled: boolean;
  /** ISO-8601. */
  createdAt: string;
}

export interface LoginResult {
  token: string;
  agent: Agent;
}

export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
/** An agent counts as online while a live socket beat within this window (sockets beat every 20 s). */
export const ONLINE_WINDOW_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Errors

export interface AgentIssue {
  /** The input field, e.g. "username", "roles", "password". */
  field: string;
  message: string;
}

export class AgentExistsError extends KefuError {
  constructor(readonly username: string) {
    super('AGENT_EXISTS', `agent ${JSON.stringify(username)} already exists`);
  }
}

export class AgentNotFoundError extends KefuError {
  constructor(readonly username: string) {
    super('AGENT_NOT_FOUND', `no agent ${JSON.stringify(username)}`);
  }
}

export class InvalidAgentError extends KefuError {
  constructor(readonly issues: AgentIssue[]) {
    super('INVALID_AGENT', `invalid agent:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export const usernameSchema = z
  .string()
  .min(2, 'must be at least 2 characters')
  .max(32, 'must be at most 32 characters')
  .regex(/^[a-z0-9_.-]+$/, 'may only contain a-z, 0-9, "_", "." and "-"');
export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(1024, 'must be at most 1024 characters');
export const rolesSchema = z
  .array(z.enum(ROLES))
  .min(1, 'at least one role is required')
  .transform((roles) => ROLES.filter((r) => roles.includes(r)));
const nameSchema = z.string().trim().min(1, 'must not be blank').max(64, 'must be at most 64 characters');

const addSchema = z.object({
  username: usernameSchema,
  name: nameSchema.optional(),
  roles: rolesSchema,
  password: passwordSchema,
});

export type AddAgentInput = z.input<typeof addSchema>;

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidAgentError(
    result.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(input)', message: i.message })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Passwords

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt base64>$<hash base64>` with a fresh random 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored` (constant-time compare); false for a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (!N || !r || !p || salt.length === 0 || expected.length === 0) return false;
  const actual = await scrypt(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

/** A hash of nothing anyone knows, verified against for unknown usernames so that they cost the same time. */
let dummyHash: Promise<string> | undefined;
const getDummyHash = (): Promise<string> => (dummyHash ??= hashPassword(randomBytes(32).toString('base64')));

// ---------------------------------------------------------------------------------------------------------------
// Roles

/** admin implies every role; manager implies agent. */
export function hasRole(agent: Pick<Agent, 'roles'>, role: Role): boolean {
  const roles = agent.roles;
  if (roles.includes('admin') || roles.includes(role)) return true;
  return role === 'agent' && roles.includes('manager');
}

// ---------------------------------------------------------------------------------------------------------------
// Store

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

const runScript = luaScripts<'add-agent' | 'login'>(new URL('./lua/', import.meta.url), 'kefu_auth');

export class AgentStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
  ) {
    // Braces would change the hash tag; same rule as the handoff's keys.
    if (!/^[\w:.-]{1,64}$/.test(prefix)) throw new InvalidAgentError([{ field: 'prefix', message: `invalid key prefix ${JSON.stringify(prefix)}` }]);
    this.base = `${prefix}:{agents}`;
    // Warm the dummy hash, so that even the first unknown username costs one scrypt, like a known one.
    getDummyHash().catch(() => undefined);
  }

  private agentKey = (id: string): string => `${this.base}:a:${id}`;
  private namesKey = (): string => `${this.base}:names`;
  private tokenKey = (hash: string): string => `${this.base}:t:${hash}`;
  private agentTokensKey = (id: string): string => `${this.base}:at:${id}`;
  /** Sorted set: agent id -> when one of its live sockets last said it is there (ms). */
  private onlineKey = (): string => `${this.base}:online`;

  async add(input: AddAgentInput): Promise<Agent> {
    const { username, name, roles, password } = parse(addSchema, input);
    const agent: Agent = {
      id: `ag_${randomBytes(9).toString('base64url')}`,
      username,
      name: name ?? username,
      roles,
      disabled: false,
      createdAt: new Date().toISOString(),
    };
    const pw = await hashPassword(password);
    const fields = {
      id: agent.id,
      username,
      name: agent.name,
      roles: roles.join(','),
      disabled: '0',
      createdAt: agent.createdAt,
      pw,
    };
    const added = await runScript(this.redis, 'add-agent', [this.namesKey(), this.agentKey(agent.id)], [
      username,
      agent.id,
      ...Object.entries(fields).flat(),
    ]);
    if (added !== 1) throw new AgentExistsError(username);
    return agent;
  }

  /** Every agent, by username (no password hashes). */
  async list(): Promise<Agent[]> {
    const ids = Object.values(await this.redis.hgetall(this.namesKey()));
    const agents = await Promise.all(ids.map((id) => this.byId(id)));
    return agents.filter((a): a is Agent => a !== null).sort((a, b) => a.username.localeCompare(b.username));
  }

  async get(username: string): Promise<Agent | null> {
    const found = await this.record(username);
    return found ? toAgent(found) : null;
  }

  /** Disables the agent; its tokens stop working at once (and are deleted). */
  async disable(username: string): Promise<Agent> {
    const agent = await this.setField(username, 'disabled', '1');
    await this.revokeAll(username);
    return agent;
  }

  async enable(username: string): Promise<Agent> {
    return this.setField(username, 'disabled', '0');
  }

  async setRoles(username: string, roles: Role[]): Promise<Agent> {
    return this.setField(username, 'roles', parse(z.object({ roles: rolesSchema }), { roles }).roles.join(','));
  }

  /** Sets a new password and revokes every token of the agent. */
  async setPassword(username: string, password: string): Promise<Agent> {
    const { password: pw } = parse(z.object({ password: passwordSchema }), { password });
    const agent = await this.setField(username, 'pw', await hashPassword(pw));
    await this.revokeAll(username);
    return agent;
  }

  /** The agent when the password is right and the agent enabled; otherwise null (same cost either way). */
  async verify(username: string, password: string): Promise<Agent | null> {
    const found = typeof username === 'string' && usernameSchema.safeParse(username).success ? await this.record(username) : null;
    const pw = typeof password === 'string' ? password : '';
    if (!found?.pw) {
      await verifyPassword(pw, await getDummyHash());
      return null;
    }
    const ok = await verifyPassword(pw, found.pw);
    if (!ok) return null;
    const agent = toAgent(found);
    return agent.disabled ? null : agent;
  }

  /** A new random bearer token for the agent (only its sha256 is stored, expiring after ttlMs). */
  async login(username: string, password: string, ttlMs = DEFAULT_TOKEN_TTL_MS): Promise<LoginResult | null> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive integer');
    const agent = await this.verify(username, password);
    if (!agent) return null;
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const now = Date.now();
    const stored = await runScript(
      this.redis,
      'login',
      [this.tokenKey(hash), this.agentTokensKey(agent.id), this.agentKey(agent.id)],
      [agent.id, ttlMs, now + ttlMs, hash, now],
    );
    // Disabled (or removed) between verify and here.
    if (stored !== 1) return null;
    return { token, agent };
  }

  /** The agent a token belongs to; null when unknown, expired, revoked or the agent is disabled. */
  async authenticate(token: string): Promise<Agent | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return null;
    const id = await this.redis.get(this.tokenKey(sha256(token)));
    if (!id) return null;
    const agent = await this.byId(id);
    return agent && !agent.disabled ? agent : null;
  }

  async logout(token: string): Promise<void> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return;
    const hash = sha256(token);
    const key = this.tokenKey(hash);
    const id = await this.redis.get(key);
    await this.redis.del(key);
    if (id) await this.redis.zrem(this.agentTokensKey(id), hash);
  }

  /** Revokes every token of the agent; returns how many were live. */
  async revokeAll(username: string): Promise<number> {
    const id = await this.redis.hget(this.namesKey(), username);
    if (!id) throw new AgentNotFoundError(username);
    const setKey = this.agentTokensKey(id);
    const hashes = await this.redis.zrange(setKey, '0', '-1');
    let live = 0;
    if (hashes.length > 0) live = await this.redis.del(hashes.map((h) => this.tokenKey(h)));
    await this.redis.del(setKey);
    return live;
  }

  /** Marks agents as present now (their live sockets beat every few seconds, in any console process). */
  async markOnline(ids: readonly string[], now = Date.now()): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.zadd(this.onlineKey(), ...ids.flatMap((id) => [now, id]));
  }

  /** Ids of the agents seen within `withinMs`; older marks are dropped on the way. */
  async onlineIds(withinMs = ONLINE_WINDOW_MS, now = Date.now()): Promise<string[]> {
    const since = now - withinMs;
    const tx = this.redis.multi();
    tx.zremrangebyscore(this.onlineKey(), '-inf', `(${since}`);
    tx.zrangebyscore(this.onlineKey(), since, '+inf');
    const res = await tx.exec();
    const ids = res?.[1]?.[1];
    return Array.isArray(ids) ? (ids as string[]) : [];
  }

  // -------------------------------------------------------------------------------------------------------------

  private async record(username: string): Promise<Record<string, string> | null> {
    const id = await this.redis.hget(this.namesKey(), username);
    if (!id) return null;
    const rec = await this.redis.hgetall(this.agentKey(id));
    return rec.id ? rec : null;
  }

  private async byId(id: string): Promise<Agent | null> {
    const rec = await this.redis.hgetall(this.agentKey(id));
    return rec.id ? toAgent(rec) : null;
  }

  private async setField(username: string, field: string, value: string): Promise<Agent> {
    const rec = await this.record(username);
    if (!rec?.id) throw new AgentNotFoundError(username);
    await this.redis.hset(this.agentKey(rec.id), field, value);
    return toAgent({ ...rec, [field]: value });
  }
}

function toAgent(rec: Record<string, string>): Agent {
  return {
    id: rec.id ?? '',
    username: rec.username ?? '',
    name: rec.name ?? rec.username ?? '',
    roles: (rec.roles ?? '').split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    disabled: rec.disabled === '1',
    createdAt: rec.createdAt ?? '',
  };
}
