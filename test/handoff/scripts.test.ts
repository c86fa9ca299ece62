/**
 * The typed wrappers of the Lua scripts: one per file of lua/, each file's header in step with its
 * name, and arguments Redis would store as garbage refused before anything is written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/handoff/index.ts';
import { fields } from '../../src/handoff/list-scripts.ts';
import { claim, problemFix, SCRIPT_KEYS, ScriptArgError, slaTick, tags } from '../../src/handoff/scripts.ts';
import { LUA_FILE } from '../../src/lua.ts';
import { randomPrefix, startRedis, stopAll } from '../support/redis.ts';

const LUA = new URL('../../src/handoff/lua/', import.meta.url);

/** The highest index of a single `KEYS[n]` / `ARGV[n]` a header (its leading comment lines) mentions. */
function documented(lua: string, what: 'KEYS' | 'ARGV'): number {
  const header = lua.split('\n').filter((l) => l.startsWith('--')).join('\n');
  return Math.max(0, ...[...header.matchAll(new RegExp(`${what}\\[(\\d+)`, 'g'))].map((m) => Number(m[1])));
}
/** The keys of a file named `<name>-<numKeys>.lua`, or 'n' for `<name>-n.lua` (the caller passes them). */
const numKeysOf = (file: string): number | 'n' => {
  const m = LUA_FILE.exec(file)!;
  return m[2] === 'n' ? 'n' : Number(m[2]);
};

describe('the scripts of lua/', () => {
  const files = readdirSync(LUA).filter((f) => f.endsWith('.lua'));

  it('each is named by the convention and has a wrapper taking as many keys as its file name says', () => {
    for (const f of files) expect(LUA_FILE.test(f), f).toBe(true);
    const named = Object.fromEntries(files.map((f) => [LUA_FILE.exec(f)![1], numKeysOf(f)]));
    expect(named).toEqual(SCRIPT_KEYS);
  });

  it.each(files)('%s documents exactly its KEYS, and the ARGV it reads', (file) => {
    const lua = readFileSync(new URL(file, LUA), 'utf8');
    const header = lua.split('\n').filter((l) => l.startsWith('--')).join('\n');
    const body = lua.split('\n').filter((l) => !l.startsWith('--')).join('\n');
    const numKeys = numKeysOf(file);
    const keysRead = Math.max(0, ...[...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    if (numKeys === 'n') {
      // Any fixed keys first (KEYS[1] …), then the caller's many, documented as KEYS[i..n]; the body reads no fixed key past them.
      const many = /KEYS\[(\d+)\.\.n\]/.exec(header);
      expect(many, `${file} documents its keys as KEYS[<i>..n]`).not.toBeNull();
      const fixed = Number(many![1]) - 1;
      expect(Math.max(0, ...[...header.matchAll(/KEYS\[(\d+)\](?!\.)/g)].map((m) => Number(m[1])))).toBe(fixed);
      expect(keysRead).toBeLessThanOrEqual(fixed);
    } else {
      expect(documented(lua, 'KEYS')).toBe(numKeys);
      expect(keysRead).toBeLessThanOrEqual(numKeys);
    }
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

  it('fields-n.lua reads the same fields of any number of conversations of one bot account, in order, null where missing', async () => {
    await redis.hset(k.conversation('botA.c1'), 'status', 'waiting', 'customerName', '王先生 "引号" \\ /斜杠', 'tier', 'vip');
    await redis.hset(k.conversation('botA.c2'), 'status', 'active');
    const rows = await fields(redis, k, { botId: 'botA', ids: ['botA.c2', 'botA.gone', 'botA.c1'], fields: ['status', 'customerName', 'tier'] });
    expect(rows).toEqual([
      ['active', null, null],
      [null, null, null],
      ['waiting', '王先生 "引号" \\ /斜杠', 'vip'],
    ]);
    expect(await fields(redis, k, { botId: 'botA', ids: [], fields: ['status'] })).toEqual([]);
    // Keys of another bot account would be another slot in a cluster: refused before anything is sent.
    await expect(fields(redis, k, { botId: 'botA', ids: ['botA.c1', 'botB.c1'], fields: ['status'] })).rejects.toMatchObject({
      code: 'INVALID_SCRIPT_ARG',
      message: expect.stringContaining('botB.c1'),
    });
  });
});
