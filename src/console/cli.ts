/**
 * `kefu` — the console's administration command line:
 *   kefu agents add NAME --role ROLE [--role ROLE…] [--name "Display Name"] [--password P | --password-stdin]
 *   kefu agents list [--json]
 *   kefu agents disable NAME
 *   kefu agents enable NAME
 *   kefu report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out DIR]   (default: the last 7 days, ./reports)
 * Redis comes from REDIS_URL / REDIS_PREFIX (and REDIS_CLUSTER), read like the bot reads them.
 * Without --password / --password-stdin, `add` generates a password and prints it once on stdout.
 * Standard output carries only the command's result; diagnostics go to stderr. Nothing here ever
 * prints a password hash or a token.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import type { Cluster, Redis } from 'ioredis';
import { loadConfigOrExit, type Config } from '../config.ts';
import { KefuError } from '../errors.ts';
import { createRedis, Handoff } from '../handoff/index.ts';
import { createKnowledgeService } from '../knowledge/index.ts';
import { buildReport } from './report.ts';
import { AgentStore, InvalidAgentError, ROLES, type Agent, type Role } from './auth/index.ts';

const USAGE = `usage:
  kefu agents add NAME --role ROLE [--role ROLE…] [--name "Display Name"] [--password P | --password-stdin]
  kefu agents list [--json]
  kefu agents disable NAME
  kefu agents enable NAME
  kefu report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out DIR]
roles: ${ROLES.join(', ')} (admin implies every role, manager implies agent)
without --password or --password-stdin, add generates a password and prints it once`;

class UsageError extends KefuError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A client that fails fast when Redis is down (a command line must not wait forever). */
function connect(config: Config['redis']): Redis | Cluster {
  const client = createRedis({ ...config, failFast: true });
  // Errors surface through the commands; don't let ioredis print them too.
  client.on('error', () => undefined);
  return client;
}

async function readStdinLine(): Promise<string> {
  let data = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) data += String(chunk);
  return data.split(/\r?\n/)[0] ?? '';
}

const row = (a: Agent): string =>
  [a.username.padEnd(20), a.disabled ? 'disabled' : 'active  ', a.roles.join(',').padEnd(28), a.name].join('  ').trimEnd();

/** Writes report-<from>_<to>.md and its CSV files into --out (default ./reports); prints the paths. */
async function report(values: { from?: string; to?: string; out?: string }): Promise<number> {
  const config = loadConfigOrExit();
  const tz = config.sla.hours.timezone;
  const to = values.to ?? DateTime.now().setZone(tz).toISODate()!;
  const from = values.from ?? DateTime.fromISO(to, { zone: tz }).minus({ days: 6 }).toISODate()!;
  for (const [flag, v] of [['--from', from], ['--to', to]] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !DateTime.fromISO(v).isValid) throw new UsageError(`${flag} must be a date YYYY-MM-DD`);
  }
  const redis = connect(config.redis);
  const knowledge = await createKnowledgeService({ dir: config.knowledge.dir, watch: false });
  try {
    const handoff = new Handoff(redis, { prefix: config.redis.prefix, policy: config.sla });
    let built;
    try {
      built = await buildReport(handoff, knowledge, { from, to, timezone: tz });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    const dir = path.resolve(values.out ?? 'reports');
    await mkdir(dir, { recursive: true });
    const base = `report-${from}_${to}`;
    const files = [[`${base}.md`, built.markdown], ...Object.entries(built.csv).map(([name, text]) => [`${base}-${name}`, text])];
    for (const [name, text] of files) {
      await writeFile(path.join(dir, name!), text!);
      process.stdout.write(`${path.join(dir, name!)}\n`);
    }
    return 0;
  } finally {
    await knowledge.close();
    redis.disconnect();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || !group) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (group === 'report') return report(values);
  if (group !== 'agents') throw new UsageError(`unknown command "${group}"`);
  if (!command) throw new UsageError('agents needs a command: add, list, disable or enable');
  if (!['add', 'list', 'disable', 'enable'].includes(command)) throw new UsageError(`unknown command "agents ${command}"`);
  const username = rest[0];
  if (command !== 'list' && (!username || rest.length > 1)) throw new UsageError(`agents ${command} needs one NAME`);
  if (command === 'add' && values.password !== undefined && values['password-stdin']) {
    throw new UsageError('use either --password or --password-stdin');
  }

  const config = loadConfigOrExit();
  const redis = connect(config.redis);
  const store = new AgentStore(redis, config.redis.prefix);
  try {
    switch (command) {
      case 'add': {
        let password = values.password;
        if (values['password-stdin']) password = await readStdinLine();
        const generated = password === undefined;
        password ??= randomBytes(15).toString('base64url');
        const agent = await store.add({
          username: username!,
          name: values.name,
          roles: (values.role ?? []) as Role[],
          password,
        });
        process.stdout.write(`added ${agent.username} (${agent.roles.join(', ')}) id ${agent.id}\n`);
        if (generated) process.stdout.write(`password: ${password}\n`);
        return 0;
      }
      case 'list': {
        const agents = await store.list();
        if (values.json) process.stdout.write(`${JSON.stringify(agents)}\n`);
        else for (const a of agents) process.stdout.write(`${row(a)}\n`);
        return 0;
      }
      case 'disable':
        await store.disable(username!);
        process.stdout.write(`disabled ${username!}; its sessions are ended\n`);
        return 0;
      default:
        await store.enable(username!);
        process.stdout.write(`enabled ${username!}\n`);
        return 0;
    }
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`kefu: ${err.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof InvalidAgentError) {
      process.stderr.write(`kefu: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`kefu: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
