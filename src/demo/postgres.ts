/**
 * Where the demo finds PostgreSQL for the archive: DATABASE_URL when set; else Debian's PostgreSQL
 * (/usr/lib/postgresql/<major>/bin) started as a child process with its data in ./.data/pg (initdb
 * on the first run, kept afterwards) and stopped when the demo exits; else none: the demo runs
 * without an archive (search over live conversations only, nothing archived or trimmed) and says
 * once how to install PostgreSQL.
 */
import path from 'node:path';
import { LocalPostgres, LocalPostgresError, PG_INSTALL_HINT, postgresBinDir, runningServer } from '../archive/local-server.ts';
import { freePort } from './redis.ts';

export interface DemoPostgres {
  /** Undefined: no archive this run (`notice` says why). */
  url?: string;
  /**
   * DATABASE_URL; started (by this demo, data in `dataDir`); running (a server an earlier demo left
   * on the same data dir, used and left running); none.
   */
  source: 'DATABASE_URL' | 'started' | 'running' | 'none';
  dataDir?: string;
  /** First start on this data dir: initdb ran now. */
  initialised?: boolean;
  /** With source none: what to do about it (install PostgreSQL, or why the installed one did not start). */
  notice?: string;
  /** Stops the server the demo started (nothing for the others). */
  stop(): Promise<void>;
}

export const NO_POSTGRES_NOTICE = [
  '演示未启用归档：本机没有安装 PostgreSQL，搜索只覆盖 Redis 中的会话，不归档也不清理。/ No PostgreSQL: the demo runs without the archive (search over live conversations only).',
  `  ${PG_INSTALL_HINT}`,
].join('\n');

export const DEMO_DATABASE = 'kefu';

export async function resolveDemoPostgres(
  env: NodeJS.ProcessEnv,
  opts: { dataDir: string; binDir?: string; port?: number },
): Promise<DemoPostgres> {
  const none = async () => undefined;
  if (env.DATABASE_URL?.trim()) return { url: env.DATABASE_URL.trim(), source: 'DATABASE_URL', stop: none };

  const binDir = opts.binDir ?? postgresBinDir();
  const dataDir = path.resolve(opts.dataDir);
  if (!binDir) return { source: 'none', notice: NO_POSTGRES_NOTICE, stop: none };

  // A demo killed with SIGKILL leaves its server running: use it rather than fail on its lock file.
  const earlier = runningServer(dataDir);
  try {
    const server = new LocalPostgres({
      dataDir,
      binDir,
      port: earlier?.port ?? opts.port ?? (await freePort()),
      // ./.data is made 0700 by the bot's journal; the postgres user (we run as root) must pass through it.
      openParentsBelow: process.cwd(),
    });
    if (earlier && (await server.answers())) {
      await server.createDatabase(DEMO_DATABASE);
      return { url: server.url(DEMO_DATABASE), source: 'running', dataDir, stop: none };
    }
    const initialised = await server.init();
    await server.start();
    try {
      await server.createDatabase(DEMO_DATABASE);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return { url: server.url(DEMO_DATABASE), source: 'started', dataDir, initialised, stop: () => server.stop() };
  } catch (err) {
    if (!(err instanceof LocalPostgresError)) throw err;
    if (err.code === 'PG_NOT_INSTALLED') return { source: 'none', notice: NO_POSTGRES_NOTICE, stop: none };
    // Installed but not startable here: the demo still runs, without the archive, and says why.
    const notice = `演示未启用归档：PostgreSQL 没有启动。/ PostgreSQL did not start, the demo runs without the archive:\n  ${err.message.split('\n').join('\n  ')}`;
    return { source: 'none', notice, stop: none };
  }
}
