/**
 * REDIS_URL in its three forms (one Redis, a Sentinel set, Cluster nodes). No ioredis here: the
 * configuration checks URLs without loading a client.
 */
export interface HostPort {
  host: string;
  port: number;
}

/** Where Redis is, from REDIS_URL. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master's name as the sentinels know it. */
      name: string;
      db: number;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      tls: boolean;
    };

export class RedisUrlError extends Error {
  readonly code = 'INVALID_REDIS_URL';
}

const SCHEMES = ['redis:', 'rediss:'];

function hostPort(part: string, defaultPort: number): HostPort {
  const m = /^(\[[^\]]+\]|[^:/?#[\]]+)(?::(\d{1,5}))?$/.exec(part);
  if (!m) throw new RedisUrlError(`not a host[:port]: ${JSON.stringify(part)}`);
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (port < 1 || port > 65_535) throw new RedisUrlError(`port out of range in ${JSON.stringify(part)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const decode = (s: string | undefined): string | undefined => (s ? decodeURIComponent(s) : undefined);

/**
 * The forms of REDIS_URL:
 * - `redis://[user:password@]host[:6379][/db]` (or `rediss://` for TLS): one Redis; with
 *   REDIS_CLUSTER=true, one node of a Redis Cluster.
 * - `redis://host1:7000,redis://host2:7001,…` (or `redis://host1:7000,host2:7001`): the nodes of a
 *   Redis Cluster.
 * - `redis+sentinel://[user:password@]host1:26379,host2:26379/<master name>[/db][?sentinelPassword=…]`
 *   (`rediss+sentinel://` for TLS): a Sentinel set; the credentials are the master's.
 * @throws RedisUrlError naming what is wrong
 */
export function parseRedisUrl(url: string, cluster = false): RedisTarget {
  const text = url.trim();
  const sentinel = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/.exec(text);
  if (sentinel) {
    const [, scheme, auth, hosts, name, db, query] = sentinel;
    const [user, pass] = (auth ?? '').split(':');
    const params = new URLSearchParams(query ?? '');
    const unknown = [...params.keys()].filter((k) => k !== 'sentinelPassword');
    if (unknown.length > 0) throw new RedisUrlError(`unknown parameter ${unknown[0]} (only sentinelPassword)`);
    return {
      kind: 'sentinel',
      sentinels: hosts!.split(',').map((h) => hostPort(h.trim(), 26_379)),
      name: decodeURIComponent(name!),
      db: db ? Number(db) : 0,
      username: decode(user),
      password: decode(pass),
      sentinelPassword: params.get('sentinelPassword') ?? undefined,
      tls: scheme === 'rediss',
    };
  }
  if (/^[a-z+]+:\/\//i.test(text) && !/^rediss?:\/\//i.test(text)) {
    throw new RedisUrlError('must start with redis://, rediss:// or redis+sentinel://');
  }
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new RedisUrlError('is empty');
  const first = new URLorError(parts[0]!);
  if (!SCHEMES.includes(first.protocol)) throw new RedisUrlError('must start with redis://, rediss:// or redis+sentinel://');
  if (parts.length === 1 && !cluster) return { kind: 'single', url: parts[0]! };
  const nodes = parts.map((p, i) => {
    if (i === 0 || /^rediss?:\/\//.test(p)) {
      const u = i === 0 ? first : new URLorError(p);
      return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
    }
    return hostPort(p, 6379);
  });
  return { kind: 'cluster', nodes, username: decode(first.username), password: decode(first.password), tls: first.protocol === 'rediss:' };
}

/** `new URL` with our error type. */
class URLorError extends URL {
  constructor(s: string) {
    try {
      super(s);
    } catch {
      throw new RedisUrlError(`not a URL: ${JSON.stringify(s.replace(/\/\/[^@/]*@/, '//***@'))}`);
    }
    if (!this.hostname) throw new RedisUrlError('has no host');
  }
}
