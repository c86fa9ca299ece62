import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

const dir = new URL('./lua/', import.meta.url);

export type ScriptName =
  | 'append'
  | 'enqueue'
  | 'claim'
  | 'transfer'
  | 'release'
  | 'resolve'
  | 'park'
  | 'reply'
  | 'sla-tick'
  | 'ack';

const defined = new WeakSet<Redis | Cluster>();

/**
 * Defines every `lua/<name>-<numKeys>.lua` as a command on the client. ioredis sends EVALSHA
 * and falls back to EVAL when Redis lost its script cache (after a restart).
 */
function define(redis: Redis | Cluster): void {
  if (defined.has(redis)) return;
  for (const file of readdirSync(dir)) {
    const m = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
    if (!m) continue;
    redis.defineCommand(commandName(m[1]!), { numberOfKeys: Number(m[2]), lua: readFileSync(new URL(file, dir), 'utf8') });
  }
  defined.add(redis);
}

const commandName = (name: string): string => `kefu_${name.replace(/-/g, '_')}`;

export function runScript(redis: Redis | Cluster, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  define(redis);
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[commandName(name)];
  if (!fn) throw new Error(`no Lua script named ${name}`);
  return fn.call(redis, ...keys, ...args);
}
