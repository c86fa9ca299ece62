import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export type ScriptRunner<Name extends string> = (
  redis: Redis | Cluster,
  name: Name,
  keys: string[],
  args: (string | number)[],
) => Promise<unknown>;

/**
 * Runs the Lua scripts of one folder, each file named `<name>-<numKeys>.lua` (its header
 * documents KEYS and ARGV). Each becomes a command on the client the first time it is used:
 * ioredis sends EVALSHA and falls back to EVAL when Redis lost its script cache (a restart).
 */
export function luaScripts<Name extends string>(dir: URL, namespace: string): ScriptRunner<Name> {
  const files = readdirSync(dir)
    .map((file) => ({ file, m: /^([a-z-]+)-(\d+)\.lua$/.exec(file) }))
    .filter((f): f is { file: string; m: RegExpExecArray } => f.m !== null);
  const command = (name: string): string => `${namespace}_${name.replace(/-/g, '_')}`;
  const defined = new WeakSet<Redis | Cluster>();
  return (redis, name, keys, args) => {
    if (!defined.has(redis)) {
      for (const { file, m } of files) {
        redis.defineCommand(command(m[1]!), { numberOfKeys: Number(m[2]), lua: readFileSync(new URL(file, dir), 'utf8') });
      }
      defined.add(redis);
    }
    const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[command(name)];
    if (!fn) throw new Error(`no Lua script named ${name} in ${dir.pathname}`);
    return fn.call(redis, ...keys, ...args);
  };
}
