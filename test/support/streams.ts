/**
 * What Redis shows about work in progress, for waits that replace "sleep and see that nothing
 * more happens": a consumer group that has read and acknowledged every entry of its stream (so its
 * consumers have nothing left to deliver), how often a command ran, which connections are open.
 * Free of vitest (benchmarks use it too).
 */
import type { Cluster, Redis } from 'ioredis';
import { waitFor, type WaitOptions } from './waits.ts';

type Client = Redis | Cluster;

const pairs = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

/**
 * True when `group` has read every entry of `stream` and has none pending (unacknowledged): its
 * consumers have delivered everything there was. A stream that does not exist has nothing to deliver.
 */
export async function groupDrained(redis: Client, stream: string, group: string): Promise<boolean> {
  if ((await redis.exists(stream)) === 0) return true;
  const info = pairs((await redis.xinfo('STREAM', stream)) as unknown[]);
  const groups = ((await redis.xinfo('GROUPS', stream)) as unknown[][]).map(pairs);
  const g = groups.find((x) => x.name === group);
  if (!g) return false;
  return Number(g.pending) === 0 && g['last-delivered-id'] === info['last-generated-id'];
}

/** Waits until `group` has read and acknowledged every entry of `stream` (see groupDrained). */
export async function waitDrained(redis: Client, stream: string, group: string, opts?: WaitOptions): Promise<void> {
  await waitFor(`consumer group ${group} to read and acknowledge all of ${stream}`, () => groupDrained(redis, stream, group), opts);
}

/** How many times this server ran `command` (INFO commandstats), e.g. to see that a periodic pass ran again. */
export async function commandCalls(redis: Redis, command: string): Promise<number> {
  const text = await redis.info('commandstats');
  const m = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Waits until the server has run `command` at least `times` more times than `since` (a count from commandCalls). */
export async function waitCommandCalls(redis: Redis, command: string, since: number, times = 1, opts?: WaitOptions): Promise<void> {
  await waitFor(`${command} to run ${times} more time(s)`, async () => (await commandCalls(redis, command)) >= since + times, opts);
}

/** Ids of the connections open on this server (CLIENT LIST). */
export async function clientIds(redis: Redis): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  return list
    .split('\n')
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

/**
 * Waits until none of `ids` is connected any more: the server has read whatever those clients
 * had written before they went away (it runs a closed connection's buffered commands first).
 */
export async function waitClientsGone(redis: Redis, ids: readonly string[], opts?: WaitOptions): Promise<void> {
  await waitFor(`connections ${ids.join(', ')} to be closed`, async () => {
    const open = new Set(await clientIds(redis));
    return ids.every((id) => !open.has(id));
  }, opts);
}
