import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export type ScriptRunner<Name extends string> = (
  redis: Redis | Cluster,
  name: Name,
  keys: string[],
  args: (string | number)[],
) => Promise<unknown>;

/** A script file's name: `<name>-<numKeys>.lua`, or `<name>-n.lua` for a script the caller passes any number of keys. */
export const LUA_FILE = /^([a-z-]+)-(\d+|n)\.lua$/;

/**
 * Runs the Lua scripts of one folder, each file named `<name>-<numKeys>.lua` (its header
 * documents KEYS and ARGV), or `<name>-n.lua` when the number of keys is the caller's (its header
 * documents them as `KEYS[1..n]`, after any fixed ones). Each becomes a command on the client the
 * first time it is used: ioredis sends EVALSHA and falls back to EVAL when Redis lost its script
 * cache (a restart). Every key is passed as a key, never built inside a script, so a Redis
 * Cluster routes the call and checks that its keys share a slot.
 */
export function luaScripts<Name extends string>(dir: URL, namespace: string): ScriptRunner<Name> {
  const files = readdirSync(dir)
    .map((file) => ({ file, m: LUA_FILE.exec(file) }))
    .filter((f): f is { file: string; m: RegExpExecArray } => f.m !== null);
  const command = (name: string): string => `${namespace}_${name.replace(/-/g, '_')}`;
  const variable = new Set(files.filter(({ m }) => m[2] === 'n').map(({ m }) => m[1]!));
  const defined = new WeakSet<Redis | Cluster>();
  return (redis, name, keys, args) => {
    if (!defined.has(redis)) {
      for (const { file, m } of files) {
        const lua = readFileSync(new URL(file, dir), 'utf8');
        // Without numberOfKeys, ioredis takes the number of keys as the call's first argument.
        redis.defineCommand(command(m[1]!), m[2] === 'n' ? { lua } : { numberOfKeys: Number(m[2]), lua });
      }
      defined.add(redis);
    }
    const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[command(name)];
    if (!fn) throw new Error(`no Lua script named ${name} in ${dir.pathname}`);
    return variable.has(name) ? fn.call(redis, keys.length, ...keys, ...args) : fn.call(redis, ...keys, ...args);
  };
}
