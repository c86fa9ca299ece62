/**
 * The password policy, and that every way of setting a password applies it: AgentStore.add and
 * setPassword (which the CLI, the first admin and the demo go through) and the demo's own check of
 * KEFU_ADMIN_PASSWORD. The CLI's side is in cli.test.ts.
 */
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AgentStore,
  generatePassword,
  InvalidAgentError,
  PASSWORD_MIN_LENGTH,
  passwordProblems,
} from '../../src/console/auth/index.ts';
import { ConfigError } from '../../src/config.ts';
import { startDemo } from '../../src/demo/main.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
let redis: Redis;
useRedisServer((s, client) => {
  server = s;
  redis = client;
});

const codes = (password: string, account?: { username?: string; name?: string }): string[] =>
  passwordProblems(password, account).map((p) => p.code);

describe('passwordProblems', () => {
  it('names everything wrong with 12345678: too short, one kind of character, a common password', () => {
    expect(codes('12345678')).toEqual(['TOO_SHORT', 'ONE_KIND', 'COMMON']);
  });

  it.each([
    ['1234567890', ['ONE_KIND', 'COMMON']],
    ['abcdefghijk', ['ONE_KIND', 'GUESSABLE']],
    ['password123', ['COMMON']],
    ['Passw0rd!23', ['COMMON']],
    ['qq123456789', ['COMMON']],
    ['woaini1314', ['COMMON']],
    ['iloveyou520', ['COMMON']],
    ['1qaz2wsx3edc', ['COMMON']],
    ['aaaaaaaaaa1', ['GUESSABLE']],
    ['20240101abc', ['GUESSABLE']],
  ])('refuses %s (%j)', (password, expected) => {
    expect(codes(password)).toEqual(expected);
  });

  it('refuses a password made of the username', () => {
    expect(codes('xiaoming.chen1', { username: 'xiaoming.chen' })).toEqual(['HAS_USERNAME']);
    expect(codes('xiaoming.chen1')).toEqual([]);
  });

  it.each(['correct horse battery', 'hk7Rt2pQzW', 'Tea-at-3pm-Lhasa', 'a long enough password', '雪山下的小木屋2026'])('accepts %s', (password) => {
    expect(codes(password, { username: 'alice' })).toEqual([]);
  });

  it('gives each problem in English and zh-CN', () => {
    for (const p of passwordProblems('1111')) {
      expect(p.message).toMatch(/^[ -~]+$/);
      expect(p.zh).toMatch(/密码|常见/);
    }
    expect(passwordProblems('short1!')[0]).toMatchObject({ code: 'TOO_SHORT', zh: `密码至少需要 ${PASSWORD_MIN_LENGTH} 个字符` });
  });

  it('generates passwords it accepts', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-Za-z2-9]{16}$/);
      expect(codes(password, { username: 'admin' })).toEqual([]);
      seen.add(password);
    }
    expect(seen.size).toBe(50);
  });
});

describe('AgentStore applies it', () => {
  let store: AgentStore;
  beforeEach(() => {
    store = new AgentStore(redis, randomPrefix());
  });

  it('add refuses a weak password, naming the problems in English and zh-CN', async () => {
    const err = await store.add({ username: 'erin', roles: ['agent'], password: '12345678' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidAgentError);
    const issues = (err as InvalidAgentError).issues;
    expect(issues).toEqual([
      {
        field: 'password',
        message: 'must be at least 10 characters; must mix at least two of letters, digits and symbols (or be a passphrase of 16+ characters); is a common password',
        zh: expect.stringContaining('密码至少需要 10 个字符'),
      },
    ]);
    expect((err as Error).message).toContain('password: must be at least 10 characters');
    expect(await store.list()).toEqual([]);
  });

  it('add refuses a password made of the display name', async () => {
    const err = await store.add({ username: 'erin', name: 'Zhang Xiaoming', roles: ['agent'], password: 'zhangxiaoming1' }).catch((e: unknown) => e);
    expect((err as InvalidAgentError).issues).toMatchObject([{ field: 'password', message: 'is too close to the username' }]);
  });

  it('setPassword refuses a weak password and keeps the old one', async () => {
    await store.add({ username: 'frank', roles: ['agent'], password: 'correct horse battery' });
    const err = await store.setPassword('frank', 'frank123456').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidAgentError);
    expect((err as InvalidAgentError).issues.map((i) => i.field)).toEqual(['password']);
    expect(await store.verify('frank', 'frank123456')).toBeNull();
    expect(await store.verify('frank', 'correct horse battery')).not.toBeNull();
    await expect(store.setPassword('nobody', 'correct horse battery')).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
  });
});

describe('the demo', () => {
  it('refuses a weak KEFU_ADMIN_PASSWORD before it starts anything', async () => {
    const err = await startDemo({ env: { KEFU_ADMIN_PASSWORD: '12345678', REDIS_URL: server.url, REDIS_PREFIX: randomPrefix() }, seed: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      { variable: 'KEFU_ADMIN_PASSWORD', message: expect.stringMatching(/^the admin password must be at least 10 characters/) },
    ]);
  });
});
