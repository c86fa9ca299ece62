/**
 * The console's agent keys come from the one key builder: the same strings as the agent store built
 * by hand before (stored accounts, tokens and lockouts stay readable), all in the `{agents}` slot,
 * and no id that could move a key out of it.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createKeys, InvalidIdError } from '../../src/handoff/index.ts';

const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;
const agents = createKeys('kefu').agents;
const HASH = createHash('sha256').update('a-token').digest('hex');

describe('agent keys', () => {
  it('keep the strings the agent store wrote', () => {
    expect(agents.agent('ag_x1')).toBe('kefu:{agents}:a:ag_x1');
    expect(agents.names()).toBe('kefu:{agents}:names');
    expect(agents.token(HASH)).toBe(`kefu:{agents}:t:${HASH}`);
    expect(agents.tokens('ag_x1')).toBe('kefu:{agents}:at:ag_x1');
    expect(agents.online()).toBe('kefu:{agents}:online');
    // A username, known or not, is hashed: any string makes a key of fixed shape.
    const lf = createHash('sha256').update('张三 }{ *').digest('hex');
    expect(agents.loginFailures('张三 }{ *')).toBe(`kefu:{agents}:lf:${lf}`);
    expect(createKeys('staging:kefu').agents.names()).toBe('staging:kefu:{agents}:names');
  });

  it('all share the {agents} slot (the auth scripts are atomic on a cluster)', () => {
    const all = [agents.agent('ag_x1'), agents.names(), agents.token(HASH), agents.tokens('ag_y2'), agents.loginFailures('bob'), agents.online()];
    expect(new Set(all.map(calculateSlot))).toEqual(new Set([calculateSlot('{agents}')]));
    expect(new Set(all).size).toBe(all.length);
  });

  it.each(['', 'a}b', 'a{b', 'a:b', 'x'.repeat(65)])('refuse %j as an agent id', (bad) => {
    expect(() => agents.agent(bad)).toThrow(InvalidIdError);
    expect(() => agents.tokens(bad)).toThrow(InvalidIdError);
  });

  it.each(['', 'a-token', HASH.toUpperCase(), `${HASH}0`, `${HASH.slice(1)}}`])('refuse %j as a token hash', (bad) => {
    expect(() => agents.token(bad)).toThrow(InvalidIdError);
  });
});
