import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { KefuError } from '../../errors.ts';
import { createKeys, type Keys } from '../../handoff/keys.ts';
import { luaScripts } from '../../lua.ts';
import { LoginLockout, type LockoutPolicy, type LockState } from './lockout.ts';
import { getDummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { addSchema, InvalidAgentError, parse, passwordSchema, ROLES, rolesSchema, updateSchema, usernameSchema, type AddAgentInput, type AgentUpdate, type Role } from './validation.ts';

export { hashPassword, verifyPassword } from './passwords.ts';

/**
 * Console agents and their bearer tokens, in Redis.
 *
 * Agents are global (not per bot account), so all their keys share the hash tag `{agents}`: one
 * slot, so the scripts below stay atomic on a Redis Cluster too. The keys are built with every
 * other key of the product, in handoff/keys.ts (`createKeys(prefix).agents`).
 *
 * Password hashes and tokens are never logged nor returned, except the token `login` hands out.
 */

export {
  InvalidAgentError,
  ROLES,
  displayNameSchema,
  passwordSchema,
  rolesSchema,
  usernameSchema,
  type AddAgentInput,
  type AgentIssue,
  type AgentUpdate,
  type Role,
} from './validation.ts';

export interface Agent {
  id: string;
  username: string;
  /** What colleagues see in the console. */
  name: string;
  /**
   * What customers see (the "我是客服{agent}" notice); '' = not chosen, and customers then hear a
   * phrase without a name: an internal name ("Administrator", a full legal name) never reaches them.
   */
  displayName: string;
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

/** The change would leave no enabled admin: nobody could manage accounts any more. */
export class LastAdminError extends KefuError {
  constructor(readonly username: string) {
    super('LAST_ADMIN', `${JSON.stringify(username)} is the only enabled admin: disabling it or dropping its admin role would leave nobody to manage accounts (make another admin first)`);
  }
}

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

const runScript = luaScripts<'add-agent' | 'authenticate' | 'login' | 'login-attempt'>(new URL('./lua/', import.meta.url), 'kefu_auth');

/** The agent's fields `authenticate` reads (not the password hash). */
const AGENT_FIELDS = ['id', 'username', 'name', 'displayName', 'roles', 'disabled', 'createdAt'] as const;
/**
 * Token hashes whose agent id this process has read. Only the id is kept, which cannot go stale
 * (a token never changes owner): whether the token is still live and its agent enabled is read
 * from Redis on every request, so a logout, revoke, expiry or disable works at once, in every
 * console process. A bound, not a tuning knob: past it the oldest entries are dropped.
 */
const OWNERS_MAX = 10_000;

export interface AgentStoreOptions {
  /** Failed logins per account: when to slow down and lock (default DEFAULT_LOCKOUT). */
  lockout?: Partial<LockoutPolicy>;
}

export class AgentStore {
  private readonly keys: Keys['agents'];
  /** Failed logins per username, across IPs and console processes. */
  readonly lockout: LoginLockout;
  /** sha256 of a token -> the agent id it was issued for (see OWNERS_MAX). */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
    opts: AgentStoreOptions = {},
  ) {
    // Braces would change the hash tag; same rule as the handoff's keys.
    if (!/^[\w:.-]{1,64}$/.test(prefix)) throw new InvalidAgentError([{ field: 'prefix', message: `invalid key prefix ${JSON.stringify(prefix)}` }]);
    this.keys = createKeys(prefix).agents;
    this.lockout = new LoginLockout(redis, runScript, this.keys.loginFailures, opts.lockout);
    // Warm the dummy hash, so that even the first unknown username costs one scrypt, like a known one.
    getDummyHash().catch(() => undefined);
  }

  async add(input: AddAgentInput): Promise<Agent> {
    const { username, name, displayName, roles, password } = parse(addSchema, input, true);
    const agent: Agent = {
      id: `ag_${randomBytes(9).toString('base64url')}`,
      username,
      name: name ?? username,
      displayName: displayName ?? '',
      roles,
      disabled: false,
      createdAt: new Date().toISOString(),
    };
    const pw = await hashPassword(password);
    const fields = {
      id: agent.id,
      username,
      name: agent.name,
      displayName: agent.displayName,
      roles: roles.join(','),
      disabled: '0',
      createdAt: agent.createdAt,
      pw,
    };
    const added = await runScript(this.redis, 'add-agent', [this.keys.names(), this.keys.agent(agent.id)], [
      username,
      agent.id,
      ...Object.entries(fields).flat(),
    ]);
    if (added !== 1) throw new AgentExistsError(username);
    return agent;
  }

  /** Every agent, by username (no password hashes). */
  async list(): Promise<Agent[]> {
    const ids = Object.values(await this.redis.hgetall(this.keys.names()));
    const agents = await Promise.all(ids.map((id) => this.byId(id)));
    return agents.filter((a): a is Agent => a !== null).sort((a, b) => a.username.localeCompare(b.username));
  }

  async get(username: string): Promise<Agent | null> {
    const found = await this.record(username);
    return found ? toAgent(found) : null;
  }

  /** Disables the agent; its tokens stop working at once (and are deleted). Never the last enabled admin. */
  async disable(username: string): Promise<Agent> {
    await this.keepAnAdmin(username, { disabled: true });
    const agent = await this.setField(username, 'disabled', '1');
    await this.revokeAll(username);
    return agent;
  }

  async enable(username: string): Promise<Agent> {
    return this.setField(username, 'disabled', '0');
  }

  async setRoles(username: string, roles: Role[]): Promise<Agent> {
    await this.keepAnAdmin(username, { roles });
    return this.setField(username, 'roles', parse(z.object({ roles: rolesSchema }), { roles }).roles.join(','));
  }

  /**
   * Changes any of name, display name, roles and disabled in one write (every issue reported at
   * once); disabling ends the agent's sessions, like `disable`.
   */
  async update(username: string, patch: AgentUpdate): Promise<Agent> {
    const p = parse(updateSchema, patch);
    const rec = await this.record(username);
    if (!rec?.id) throw new AgentNotFoundError(username);
    await this.keepAnAdmin(username, p);
    const fields: Record<string, string> = {};
    if (p.name !== undefined) fields.name = p.name;
    if (p.displayName !== undefined) fields.displayName = p.displayName;
    if (p.roles !== undefined) fields.roles = p.roles.join(',');
    if (p.disabled !== undefined) fields.disabled = p.disabled ? '1' : '0';
    if (Object.keys(fields).length > 0) await this.redis.hset(this.keys.agent(rec.id), fields);
    if (p.disabled) await this.revokeAll(username);
    return toAgent({ ...rec, ...fields });
  }

  /**
   * Refuses a change that takes the last enabled admin away (disabled, or its admin role dropped):
   * the console's own check covers only an admin's own account, the command line has none.
   */
  private async keepAnAdmin(username: string, change: { disabled?: boolean; roles?: readonly Role[] }): Promise<void> {
    const losesAdmin = change.disabled === true || (change.roles !== undefined && !change.roles.includes('admin'));
    if (!losesAdmin) return;
    const all = await this.list();
    const target = all.find((a) => a.username === username);
    if (!target || target.disabled || !hasRole(target, 'admin')) return;
    if (!all.some((a) => a.username !== username && !a.disabled && hasRole(a, 'admin'))) throw new LastAdminError(username);
  }

  /** Sets a new password (the policy applies), revokes every token of the agent and lifts any lock. */
  async setPassword(username: string, password: string): Promise<Agent> {
    const rec = await this.record(username);
    if (!rec?.id) throw new AgentNotFoundError(username);
    const { password: pw } = parse(z.object({ password: passwordSchema }), { username, name: rec.name, password }, true);
    const agent = await this.setField(username, 'pw', await hashPassword(pw));
    await this.revokeAll(username);
    await this.lockout.unlock(username);
    return agent;
  }

  /** Lifts a lock and forgets the failed logins of an agent; true when there were some. */
  async unlock(username: string): Promise<boolean> {
    if (!(await this.redis.hexists(this.keys.names(), username))) throw new AgentNotFoundError(username);
    return this.lockout.unlock(username);
  }

  /** Failed logins of an agent since its last success, and until when it is locked. */
  async lockState(username: string): Promise<LockState> {
    return this.lockout.state(username);
  }

  /** The agent with this id (disabled ones too), or null. */
  async getById(id: string): Promise<Agent | null> {
    return typeof id === 'string' && /^[\w-]{1,64}$/.test(id) ? this.byId(id) : null;
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

  /**
   * A new random bearer token for the agent (only its sha256 is stored, expiring after ttlMs); null
   * on a wrong username or password. Throws LoginThrottledError while the username (known or not)
   * must wait or is locked after failed logins; a success clears them.
   */
  async login(username: string, password: string, ttlMs = DEFAULT_TOKEN_TTL_MS): Promise<LoginResult | null> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive integer');
    const name = typeof username === 'string' ? username : '';
    await this.lockout.attempt(name);
    const agent = await this.verify(name, password);
    if (!agent) return null;
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const now = Date.now();
    const stored = await runScript(
      this.redis,
      'login',
      [this.keys.token(hash), this.keys.tokens(agent.id), this.keys.agent(agent.id)],
      [agent.id, ttlMs, now + ttlMs, hash, now],
    );
    // Disabled (or removed) between verify and here.
    if (stored !== 1) return null;
    await this.lockout.succeeded(name);
    return { token, agent };
  }

  /** The agent a token belongs to; null when unknown, expired, revoked or the agent is disabled. */
  async authenticate(token: string): Promise<Agent | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return null;
    const hash = sha256(token);
    const key = this.keys.token(hash);
    // One round trip for a token seen before (every request of a session but its first), two otherwise.
    const id = this.owners.get(hash) ?? (await this.redis.get(key));
    if (!id) return null;
    const values = (await runScript(this.redis, 'authenticate', [key, this.keys.agent(id)], [id, ...AGENT_FIELDS])) as (string | null)[] | null;
    if (!values?.[0]) {
      this.owners.delete(hash);
      return null;
    }
    if (!this.owners.has(hash)) {
      if (this.owners.size >= OWNERS_MAX) this.owners.delete(this.owners.keys().next().value!);
      this.owners.set(hash, id);
    }
    const rec: Record<string, string> = {};
    AGENT_FIELDS.forEach((f, i) => {
      const v = values[i];
      if (typeof v === 'string') rec[f] = v;
    });
    const agent = toAgent(rec);
    return agent.disabled ? null : agent;
  }

  async logout(token: string): Promise<void> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return;
    const hash = sha256(token);
    const key = this.keys.token(hash);
    this.owners.delete(hash);
    const id = await this.redis.get(key);
    await this.redis.del(key);
    if (id) await this.redis.zrem(this.keys.tokens(id), hash);
  }

  /** Revokes every token of the agent; returns how many were live. */
  async revokeAll(username: string): Promise<number> {
    const id = await this.redis.hget(this.keys.names(), username);
    if (!id) throw new AgentNotFoundError(username);
    const setKey = this.keys.tokens(id);
    const hashes = await this.redis.zrange(setKey, '0', '-1');
    let live = 0;
    if (hashes.length > 0) live = await this.redis.del(hashes.map((h) => this.keys.token(h)));
    await this.redis.del(setKey);
    return live;
  }

  /** Marks agents as present now (their live sockets beat every few seconds, in any console process). */
  async markOnline(ids: readonly string[], now = Date.now()): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.zadd(this.keys.online(), ...ids.flatMap((id) => [now, id]));
  }

  /** Ids of the agents seen within `withinMs`; older marks are dropped on the way. */
  async onlineIds(withinMs = ONLINE_WINDOW_MS, now = Date.now()): Promise<string[]> {
    const since = now - withinMs;
    const tx = this.redis.multi();
    tx.zremrangebyscore(this.keys.online(), '-inf', `(${since}`);
    tx.zrangebyscore(this.keys.online(), since, '+inf');
    const res = await tx.exec();
    const ids = res?.[1]?.[1];
    return Array.isArray(ids) ? (ids as string[]) : [];
  }

  // -------------------------------------------------------------------------------------------------------------

  private async record(username: string): Promise<Record<string, string> | null> {
    const id = await this.redis.hget(this.keys.names(), username);
    if (!id) return null;
    const rec = await this.redis.hgetall(this.keys.agent(id));
    return rec.id ? rec : null;
  }

  private async byId(id: string): Promise<Agent | null> {
    const rec = await this.redis.hgetall(this.keys.agent(id));
    return rec.id ? toAgent(rec) : null;
  }

  private async setField(username: string, field: string, value: string): Promise<Agent> {
    const rec = await this.record(username);
    if (!rec?.id) throw new AgentNotFoundError(username);
    await this.redis.hset(this.keys.agent(rec.id), field, value);
    return toAgent({ ...rec, [field]: value });
  }
}

function toAgent(rec: Record<string, string>): Agent {
  return {
    id: rec.id ?? '',
    username: rec.username ?? '',
    name: rec.name ?? rec.username ?? '',
    displayName: rec.displayName ?? '',
    roles: (rec.roles ?? '').split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    disabled: rec.disabled === '1',
    createdAt: rec.createdAt ?? '',
  };
}
