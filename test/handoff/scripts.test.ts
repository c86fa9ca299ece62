/**
 * The typed wrappers of the Lua scripts: one per file of lua/, each file's header in step with its
 * name, and arguments Redis would store as garbage refused before anything is written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/handoff/index.ts';
import { claim, problemFix, SCRIPT_KEYS, ScriptArgError, slaTick, tags } from '../../src/handoff/scripts.ts';
import { randomPrefix, startRedis, stopAll } from '../support/redis.ts';

const LUA = new URL('../../src/handoff/lua/', import.meta.url);

/** The highest index of `KEYS[n]` / `ARGV[n]` a header (its leading comment lines) mentions. */
function documented(lua: string, what: 'KEYS' | 'ARGV'): number {
  const header = lua.split('\n').filter((l) => l.startsWith('--')).join('\n');
  return Math.max(0, ...[...header.matchAll(new RegExp(`${what}\\[(\\d+)`, 'g'))].map((m) => Number(m[1])));
}

describe('the scripts of lua/', () => {
  const files = readdirSync(LUA).filter((f) => f.endsWith('.lua'));

  it('each has a wrapper taking as many keys as its file name says', () => {
    const named = Object.fromEntries(files.map((f) => /^([a-z-]+)-(\d+)\.lua$/.exec(f)!).map((m) => [m[1], Number(m[2])]));
    expect(named).toEqual(SCRIPT_KEYS);
  });

  it.each(files)('%s documents exactly its KEYS, and the ARGV it reads', (file) => {
    const lua = readFileSync(new URL(file, LUA), 'utf8');
    const numKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    expect(documented(lua, 'KEYS')).toBe(numKeys);
    const body = lua.split('\n').filter((l) => !l.startsWith('--')).join('\n');
    const read = Math.max(0, ...[...body.matchAll(/ARGV\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(documented(lua, 'ARGV')).toBeGreaterThanOrEqual(read);
  });
});

describe('a wrapper', () => {
  let redis: Redis;
  const k = createKeys(randomPrefix());

  beforeAll(async () => {
    redis = (await startRedis()).client();
  });
  afterAll(() => stopAll());

  it('refuses a number Redis would store as "NaN" and a missing field, naming them, before writing anything', async () => {
    const base = { conv: 'botA.c1', agentId: 'alice', agentName: 'Alice', now: Date.now(), eventsMaxLen: 100, outboundMsgId: '', outboundMaxLen: 100 };
    const nan = await claim(redis, k, { ...base, now: Number.NaN }).catch((e: unknown) => e);
    expect(nan).toBeInstanceOf(ScriptArgError);
    expect(nan).toMatchObject({ code: 'INVALID_SCRIPT_ARG', message: 'claim: now must be a string or a finite number, not NaN' });
    const missing = { ...base, agentName: undefined } as unknown as typeof base;
    await expect(claim(redis, k, missing)).rejects.toMatchObject({ code: 'INVALID_SCRIPT_ARG', message: expect.stringContaining('agentName') });
    await expect(slaTick(redis, k, { botId: 'botA', now: Infinity, limit: 10, eventsMaxLen: 100 })).rejects.toBeInstanceOf(ScriptArgError);
    expect(await redis.keys(`${k.prefix}:*`)).toEqual([]);
  });

  it('answers with named fields, and a conversation script refuses as a HandoffError', async () => {
    expect(await slaTick(redis, k, { botId: 'botA', now: Date.now(), limit: 10, eventsMaxLen: 100 })).toEqual({ warnings: 0, breaches: 0 });
    await expect(tags(redis, k, { conv: 'botA.nobody', tags: ['x'], now: 1, eventsMaxLen: 100, heldTo: '', by: '' })).rejects.toMatchObject({
      name: 'HandoffError',
      code: 'NOT_FOUND',
    });
    await redis.hset(k.problem('P1'), 'id', 'P1', 'title', '录屏没有声音', 'status', 'open');
    const first = await problemFix(redis, k, { problemId: 'P1', now: 5, note: '已修复', byId: 'alice', byName: 'Alice' });
    expect(first).toEqual({ status: 'fixed', title: '录屏没有声音', note: '已修复', changed: true });
    const again = await problemFix(redis, k, { problemId: 'P1', now: 6, note: '另一个说明', byId: 'bob', byName: 'Bob' });
    expect(again).toEqual({ status: 'fixed', title: '录屏没有声音', note: '已修复', changed: false });
  });
});
