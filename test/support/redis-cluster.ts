/**
 * A throw-away Redis Cluster for tests and benchmarks: fresh redis-server nodes (./redis.ts) joined
 * by `redis-cli --cluster create`, every slot assigned and agreed on before it is handed out.
 * `stopAll()` of ./redis.ts removes them with everything else.
 */
import { execFile } from 'node:child_process';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { HOST, launch, trackClient, untrackClient, type RedisServer, type Server } from './redis.ts';

export interface RedisCluster {
  nodes: RedisServer[];
  startupNodes: { host: string; port: number }[];
  /** A cluster client (`scaleReads: 'master'` unless overridden). Closed by `stop()` / `stopAll()`. */
  client(opts?: ClusterOptions): Cluster;
  /** Closes its clients and stops every node (data dirs stay until `stopAll()`). */
  stop(): Promise<void>;
}


function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Waits until every node reports cluster_state:ok, all 16384 slots assigned and all nodes known. */
async function waitClusterOk(nodes: Server[], timeoutMs = 15_000): Promise<void> {
  const admins = nodes.map(
    (n) => new Redis({ host: HOST, port: n.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }),
  );
  for (const a of admins) a.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  let last: string[];
  try {
    for (;;) {
      last = await Promise.all(admins.map((a) => a.cluster('INFO').catch((err: unknown) => String(err))));
      const ok = last.every((text) => {
        const info = parseInfo(text);
        return (
          info.cluster_state === 'ok' &&
          info.cluster_slots_assigned === '16384' &&
          info.cluster_slots_ok === '16384' &&
          info.cluster_known_nodes === String(nodes.length)
        );
      });
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`cluster did not become ok within ${timeoutMs} ms:\n${last.join('\n---\n')}`);
      }
      await new Promise<void>((r) => setTimeout(r, 25));
    }
  } finally {
    for (const a of admins) a.disconnect();
  }
}

/** A cluster of `masters` (default 3) fresh nodes without replicas, every slot assigned and agreed on. */
export async function startCluster(opts: { masters?: number } = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  if (masters < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const nodes = await Promise.all(
    Array.from({ length: masters }, () =>
      launch(
        () => [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '2000',
          '--appendonly', 'yes',
          '--appendfsync', 'always',
        ],
        { cluster: true },
      ),
    ),
  );
  await redisCli([
    '--cluster', 'create',
    ...nodes.map((n) => `${HOST}:${n.port}`),
    '--cluster-replicas', '0',
    '--cluster-yes',
  ]);
  await waitClusterOk(nodes);

  const startupNodes = nodes.map((n) => ({ host: HOST, port: n.port }));
  const mine = new Set<Cluster>();
  return {
    nodes,
    startupNodes,
    client(clusterOpts: ClusterOptions = {}): Cluster {
      const client = new Cluster(startupNodes, {
        scaleReads: 'master',
        ...clusterOpts,
        redisOptions: { ...clusterOpts.redisOptions },
      });
      client.on('error', () => undefined);
      mine.add(client);
      trackClient(client);
      client.once('end', () => mine.delete(client));
      return client;
    },
    async stop(): Promise<void> {
      for (const c of mine) {
        c.disconnect();
        untrackClient(c);
      }
      mine.clear();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

