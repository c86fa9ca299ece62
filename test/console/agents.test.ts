import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AgentExistsError,
  AgentNotFoundError,
  AgentStore,
  InvalidAgentError,
  ROLES,
  hasRole,
  type Role,
} from '../../src/console/auth/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

let prefix: string;
let store: AgentStore;
beforeEach(() => {
  prefix = randomPrefix();
  store = new AgentStore(redis, prefix);
});

const PW = 'correct horse battery';

/** Every key under this test's prefix with its whole content, as text. */
async function dump(): Promise<{ keys: string[]; text: string }> {
  const keys = await redis.keys(`${prefix}:*`);
  let text = keys.join('\n');
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'string') text += `\n${await redis.get(key)}`;
    else if (type === 'hash') text += `\n${JSON.stringify(await redis.hgetall(key))}`;
    else if (type === 'zset') text += `\n${(await redis.zrange(key, '0', '-1', 'WITHSCORES')).join(' ')}`;
    else text += `\n(${type})`;
  }
  return { keys, text };
}

async function catchErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('AgentStore.add / list', () => {
  it('adds agents and lists them without hashes', async () => {
    const alice = await store.add({ username: 'alice', name: 'Alice A.', roles: ['agent', 'editor'], password: PW });
    expect(alice).toMatchObject({ username: 'alice', name: 'Alice A.', roles: ['agent', 'editor'], disabled: false });
    expect(alice.id).toMatch(/^ag_/);
    expect(new Date(alice.createdAt).toISOString()).toBe(alice.createdAt);
    await store.add({ username: 'bob.b-1_x', roles: ['admin'], password: PW });

    const list = await store.list();
    expect(list.map((a) => a.username)).toEqual(['alice', 'bob.b-1_x']);
    expect(list[1]?.name).toBe('bob.b-1_x');
    expect(list[0]).toEqual(alice);
    for (const a of list) expect(Object.keys(a).sort()).toEqual(['createdAt', 'disabled', 'displayName', 'id', 'name', 'roles', 'username']);
    expect(JSON.stringify(list)).not.toContain('scrypt');
  });

  it('keeps roles in canonical order without duplicates', async () => {
    const a = await store.add({ username: 'carol', roles: ['admin', 'agent', 'agent'], password: PW });
    expect(a.roles).toEqual(['agent', 'admin']);
  });

  it('rejects a duplicate username with AGENT_EXISTS and keeps the first', async () => {
    const first = await store.add({ username: 'dave', roles: ['agent'], password: PW });
    const err = await catchErr(store.add({ username: 'dave', roles: ['admin'], password: 'another password' }));
    expect(err).toBeInstanceOf(AgentExistsError);
    expect(err).toMatchObject({ code: 'AGENT_EXISTS' });
    expect(await store.list()).toEqual([first]);
    expect(await store.verify('dave', PW)).toEqual(first);
  });

  it('rejects concurrent adds of one username but one', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => store.add({ username: 'race', roles: ['agent'], password: PW })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.list()).toHaveLength(1);
  });

  it.each([
    ['username', { username: 'a', roles: ['agent'], password: PW }],
    ['username', { username: 'x'.repeat(33), roles: ['agent'], password: PW }],
    ['username', { username: 'Alice', roles: ['agent'], password: PW }],
    ['username', { username: 'al ice', roles: ['agent'], password: PW }],
    ['roles', { username: 'erin', roles: [], password: PW }],
    ['roles.0', { username: 'erin', roles: ['root'], password: PW }],
    ['password', { username: 'erin', roles: ['agent'], password: 'short' }],
    ['name', { username: 'erin', name: '   ', roles: ['agent'], password: PW }],
  ])('rejects an invalid %s with INVALID_AGENT', async (field, input) => {
    const err = await catchErr(store.add(input as never));
    expect(err).toBeInstanceOf(InvalidAgentError);
    expect(err).toMatchObject({ code: 'INVALID_AGENT' });
    expect((err as InvalidAgentError).issues.map((i) => i.field)).toEqual([field]);
    expect(await store.list()).toEqual([]);
  });

  it('names every invalid field at once', async () => {
    const err = (await catchErr(store.add({ username: '!', roles: [], password: '' }))) as InvalidAgentError;
    expect([...new Set(err.issues.map((i) => i.field))].sort()).toEqual(['password', 'roles', 'username']);
    expect(err.message).toContain('username');
  });
});

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one or an unknown user', async () => {
    const a = await store.add({ username: 'frank', roles: ['agent'], password: PW });
    expect(await store.verify('frank', PW)).toEqual(a);
    expect(await store.verify('frank', `${PW}!`)).toBeNull();
    expect(await store.verify('frank', '')).toBeNull();
    expect(await store.verify('nobody', PW)).toBeNull();
    expect(await store.verify('NOT VALID', PW)).toBeNull();
  });

  it('stores a salted scrypt hash, never the password', async () => {
    await store.add({ username: 'gina', roles: ['agent'], password: PW });
    await store.add({ username: 'hank', roles: ['agent'], password: PW });
    const { text } = await dump();
    expect(text).not.toContain(PW);
    const hashes = [...text.matchAll(/scrypt\$[^"]+/g)].map((m) => m[0]);
    expect(hashes).toHaveLength(2);
    for (const h of hashes) {
      const parts = h.split('$');
      expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
      expect(Buffer.from(parts[4] ?? '', 'base64')).toHaveLength(16);
      expect(Buffer.from(parts[5] ?? '', 'base64')).toHaveLength(64);
    }
    expect(hashes[0]).not.toBe(hashes[1]);
    expect(hashes[0]?.split('$')[4]).not.toBe(hashes[1]?.split('$')[4]);
  });

  it('setPassword changes the password and revokes tokens', async () => {
    await store.add({ username: 'ivy', roles: ['agent'], password: PW });
    const login = await store.login('ivy', PW);
    await store.setPassword('ivy', 'a brand new secret');
    expect(await store.verify('ivy', PW)).toBeNull();
    expect(await store.verify('ivy', 'a brand new secret')).not.toBeNull();
    expect(await store.authenticate(login?.token ?? '')).toBeNull();
    await expect(store.setPassword('ivy', 'short')).rejects.toMatchObject({ code: 'INVALID_AGENT' });
    await expect(store.setPassword('nobody', 'long enough')).rejects.toBeInstanceOf(AgentNotFoundError);
  });
});

describe('tokens', () => {
  it('login returns a random token of which only the sha256 is stored', async () => {
    const a = await store.add({ username: 'jack', name: 'Jack', roles: ['agent'], password: PW });
    const login = await store.login('jack', PW);
    expect(login?.agent).toEqual(a);
    const token = login?.token ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    const { keys, text } = await dump();
    expect(text).not.toContain(token);
    const digest = createHash('sha256').update(token).digest('hex');
    const tokenKeys = keys.filter((k) => k.includes(digest));
    expect(tokenKeys).toHaveLength(1);
    expect(await redis.get(tokenKeys[0] ?? '')).toBe(a.id);
    const ttl = await redis.pttl(tokenKeys[0] ?? '');
    expect(ttl).toBeGreaterThan(12 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(12 * 3600_000);
    // Every key of the store shares one hash tag (one cluster slot).
    for (const k of keys) expect(k.startsWith(`${prefix}:{agents}:`)).toBe(true);

    const again = await store.login('jack', PW);
    expect(again?.token).not.toBe(token);
  });

  it('login fails on a wrong password, an unknown user or a disabled agent', async () => {
    await store.add({ username: 'kate', roles: ['agent'], password: PW });
    expect(await store.login('kate', 'wrong password')).toBeNull();
    expect(await store.login('nobody', PW)).toBeNull();
    await store.disable('kate');
    expect(await store.login('kate', PW)).toBeNull();
    await store.enable('kate');
    expect(await store.login('kate', PW)).not.toBeNull();
  });

  it('the last enabled admin cannot be disabled or lose the admin role (nobody could manage accounts), another admin can', async () => {
    await store.add({ username: 'root', roles: ['admin'], password: PW });
    await store.add({ username: 'sam', roles: ['agent'], password: PW });
    await expect(store.disable('root')).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await expect(store.update('root', { disabled: true })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await expect(store.update('root', { roles: ['manager'] })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await expect(store.setRoles('root', ['agent'])).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    expect(await store.get('root')).toMatchObject({ disabled: false, roles: ['admin'] });
    // Other accounts are not guarded, and with a second admin the first may go.
    await store.disable('sam');
    await store.add({ username: 'tia', roles: ['admin'], password: PW });
    expect((await store.disable('root')).disabled).toBe(true);
    await expect(store.disable('tia')).rejects.toMatchObject({ code: 'LAST_ADMIN' });
  });

  it('authenticate works until the token expires', async () => {
    const a = await store.add({ username: 'leo', roles: ['manager'], password: PW });
    const login = await store.login('leo', PW, 150);
    expect(await store.authenticate(login?.token ?? '')).toEqual(a);
    expect(await store.authenticate('not-a-token')).toBeNull();
    expect(await store.authenticate('')).toBeNull();
    // Redis expires the token (its own clock): wait for that, not for a guess of how long it takes.
    await waitFor('the token to expire', async () => (await store.authenticate(login?.token ?? '')) === null);
    expect(await store.authenticate(login?.token ?? '')).toBeNull();
  });

  it('logout revokes only that token', async () => {
    await store.add({ username: 'mia', roles: ['agent'], password: PW });
    const one = await store.login('mia', PW);
    const two = await store.login('mia', PW);
    await store.logout(one?.token ?? '');
    expect(await store.authenticate(one?.token ?? '')).toBeNull();
    expect(await store.authenticate(two?.token ?? '')).not.toBeNull();
    await store.logout('unknown');
  });

  it('disable stops every token at once, and enable does not bring them back', async () => {
    await store.add({ username: 'ned', roles: ['agent'], password: PW });
    const one = await store.login('ned', PW);
    const two = await store.login('ned', PW);
    const disabled = await store.disable('ned');
    expect(disabled.disabled).toBe(true);
    expect((await store.list())[0]?.disabled).toBe(true);
    expect(await store.authenticate(one?.token ?? '')).toBeNull();
    expect(await store.authenticate(two?.token ?? '')).toBeNull();
    expect(await store.verify('ned', PW)).toBeNull();
    await store.enable('ned');
    expect(await store.authenticate(one?.token ?? '')).toBeNull();
    // No token keys left behind.
    const { keys } = await dump();
    expect(keys.filter((k) => k.includes(':t:') || k.includes(':at:'))).toEqual([]);
  });

  it('revokeAll ends every session of one agent only', async () => {
    await store.add({ username: 'olga', roles: ['agent'], password: PW });
    await store.add({ username: 'pete', roles: ['agent'], password: PW });
    const o1 = await store.login('olga', PW);
    const o2 = await store.login('olga', PW);
    const p = await store.login('pete', PW);
    expect(await store.revokeAll('olga')).toBe(2);
    expect(await store.authenticate(o1?.token ?? '')).toBeNull();
    expect(await store.authenticate(o2?.token ?? '')).toBeNull();
    expect(await store.authenticate(p?.token ?? '')).not.toBeNull();
    await expect(store.revokeAll('nobody')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
    await expect(store.disable('nobody')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
  });
});

describe('hasRole', () => {
  const expected: Record<Role, Role[]> = {
    agent: ['agent'],
    editor: ['editor'],
    manager: ['agent', 'manager'],
    admin: ['agent', 'editor', 'manager', 'admin'],
  };
  it.each(ROLES)('an agent with only %s', (held) => {
    for (const needed of ROLES) {
      expect(hasRole({ roles: [held] }, needed), `${held} -> ${needed}`).toBe(expected[held].includes(needed));
    }
  });
  it('combines roles', () => {
    expect(hasRole({ roles: ['editor', 'manager'] }, 'agent')).toBe(true);
    expect(hasRole({ roles: ['editor', 'manager'] }, 'admin')).toBe(false);
    expect(hasRole({ roles: [] }, 'agent')).toBe(false);
  });
});

describe('failed logins', () => {
  it('are kept per username tried (known or not) under hashed keys that expire, and a success clears them', async () => {
    await store.add({ username: 'quinn', roles: ['agent'], password: PW });
    expect(await store.login('quinn', 'wrong')).toBeNull();
    expect(await store.login('}{evil:*', 'wrong')).toBeNull();
    const records = (await dump()).keys.filter((k) => k.includes(':lf:'));
    expect(records).toHaveLength(2);
    for (const key of records) {
      expect(key.startsWith(`${prefix}:{agents}:lf:`)).toBe(true);
      expect(key).toMatch(/:lf:[0-9a-f]{64}$/);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
    expect(await store.lockState('quinn')).toEqual({ failures: 1, lockedUntil: null });
    expect(await store.login('quinn', PW)).not.toBeNull();
    expect(await store.lockState('quinn')).toEqual({ failures: 0, lockedUntil: null });
    await expect(store.unlock('nobody')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
  });
});
