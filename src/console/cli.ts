/**
 * `kefu` — the console's administration command line:
 *   kefu agents add NAME --role ROLE [--role ROLE…] [--name "Name"] [--display-name 小美] [--password-stdin]
 *   kefu agents set NAME [--role ROLE…] [--name "Name"] [--display-name 小美]
 *   kefu agents passwd NAME [--password-stdin]
 *   kefu agents list [--json]
 *   kefu agents disable NAME
 *   kefu agents enable NAME
 *   kefu agents unlock NAME
 *   kefu report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out DIR]   (default: the last 7 days, ./reports)
 * Redis comes from REDIS_URL / REDIS_PREFIX (and REDIS_CLUSTER), read like the console reads them;
 * `--demo` administers the running demo instead, `--redis URL` / `--prefix P` override (see
 * cli-target.ts). Every agents command says on stderr which Redis and prefix it used, and a write
 * under a prefix without accounts is refused while other prefixes there have some (--new-prefix).
 * A password never comes from argv (other users see it in `ps`, the shell history keeps it):
 * `--password-stdin` reads the first line of stdin; without it, a terminal is asked (no echo), and
 * otherwise a password is generated and printed once on stdout.
 * Standard output carries only the command's result; diagnostics go to stderr. Nothing here ever
 * prints a password hash or a token.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import type { Cluster, Redis } from 'ioredis';
import { loadConfigOrExit, type Config } from '../config.ts';
import { KefuError } from '../errors.ts';
import { createRedis, DEFAULT_SLA_POLICY, Handoff } from '../handoff/index.ts';
import { createKnowledgeService } from '../knowledge/index.ts';
import { buildReport } from './report.ts';
import { createArchiveReports, createPool } from '../archive/index.ts';
import { checkTarget, demoTarget, shownUrl, WrongTargetError, type CliTarget } from './cli-target.ts';
import { AgentNotFoundError, AgentStore, generatePassword, InvalidAgentError, LastAdminError, passwordProblems, ROLES, type Agent, type Role } from './auth/index.ts';
import { PasswordInputError, promptHidden, readStdinLine } from './password-input.ts';

const USAGE = `usage: (with npm: npm run kefu -- agents …)
  kefu agents add NAME --role ROLE [--role ROLE…] [--name "Name"] [--display-name 小美] [--password-stdin]
  kefu agents set NAME [--role ROLE…] [--name "Name"] [--display-name 小美]   (--display-name "": none)
  kefu agents passwd NAME [--password-stdin]
  kefu agents list [--json]
  kefu agents disable NAME
  kefu agents enable NAME
  kefu agents unlock NAME          (lifts the lock that failed logins put on the account)
  kefu report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out DIR]
where: the console's settings (REDIS_URL, REDIS_PREFIX, .env); --demo: the running demo's;
  --redis URL / --prefix P override; --new-prefix allows the first account under an unused prefix
names: --name is what colleagues see, --display-name what customers hear ("我是客服小美")
roles: ${ROLES.join(', ')} (admin implies every role, manager implies agent)
passwords: --password-stdin reads the first line of stdin; without it a terminal is asked (no echo,
empty = generate one), otherwise one is generated and printed once`;

const COMMANDS = ['add', 'set', 'passwd', 'list', 'disable', 'enable', 'unlock'];

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

/**
 * The new password of add/passwd: the first line of stdin with --password-stdin; else, on a
 * terminal, typed twice without echo (refused ones are asked again); else generated.
 */
async function newPassword(passwordStdin: boolean, account: { username: string; name?: string }): Promise<{ password: string; generated: boolean }> {
  if (passwordStdin) return { password: await readStdinLine(), generated: false };
  if (!process.stdin.isTTY) return { password: generatePassword(), generated: true };
  for (let tries = 0; tries < 3; tries++) {
    const password = await promptHidden(`new password for ${account.username} (empty: generate one): `);
    if (password === '') return { password: generatePassword(), generated: true };
    const problems = passwordProblems(password, account);
    if (problems.length > 0) {
      process.stderr.write(`kefu: this password ${problems.map((p) => p.message).join('; ')}\n`);
      continue;
    }
    if ((await promptHidden('repeat it: ')) === password) return { password, generated: false };
    process.stderr.write('kefu: the two passwords differ\n');
  }
  throw new PasswordInputError('no password set after 3 tries');
}

function row(a: Agent, lockedUntil: string | null): string {
  const status = a.disabled ? 'disabled' : lockedUntil ? 'locked  ' : 'active  ';
  return [a.username.padEnd(20), status, a.roles.join(',').padEnd(28), a.name].join('  ').trimEnd();
}

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
  // With DATABASE_URL the report reads what left Redis (expired day counters, trimmed ratings) from the archive.
  const pool = config.archive.url ? createPool({ url: config.archive.url, max: 2 }) : undefined;
  try {
    const handoff = new Handoff(redis, { prefix: config.redis.prefix, policy: config.sla });
    const archive = pool ? { reports: createArchiveReports({ pool, redis, prefix: config.redis.prefix }) } : undefined;
    let built;
    try {
      // Agents' names for the per-agent table (ids if the accounts cannot be read).
      const agentNames = new Map((await new AgentStore(redis, config.redis.prefix).list().catch(() => [])).map((a) => [a.id, a.name]));
      built = await buildReport(handoff, knowledge, { from, to, timezone: tz, agentNames, ...(archive ? { archive } : {}) });
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
    await pool?.end().catch(() => undefined);
    await knowledge.close();
    redis.disconnect();
  }
}

/** Which Redis and prefix to administer: the console's settings, or --demo's; --redis / --prefix win. */
function targetOf(values: { demo?: boolean; redis?: string; prefix?: string }): CliTarget {
  let base: CliTarget;
  if (values.demo) base = demoTarget(process.env);
  else {
    const config = loadConfigOrExit();
    base = { ...config.redis, source: 'REDIS_URL / REDIS_PREFIX' + (process.env.REDIS_PREFIX ? '' : ', prefix by default') };
  }
  if (values.prefix !== undefined && !/^[\w:.-]{1,64}$/.test(values.prefix)) throw new UsageError('--prefix: letters, digits, _ : . - only');
  if (values.redis === undefined && values.prefix === undefined) return base;
  return { ...base, url: values.redis ?? base.url, prefix: values.prefix ?? base.prefix, source: 'command-line flags' };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      'display-name': { type: 'string' },
      demo: { type: 'boolean', default: false },
      redis: { type: 'string' },
      prefix: { type: 'string' },
      'new-prefix': { type: 'boolean', default: false },
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
  if (!command) throw new UsageError(`agents needs a command: ${COMMANDS.join(', ')}`);
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "agents ${command}"`);
  const username = rest[0];
  if (command !== 'list' && (!username || rest.length > 1)) throw new UsageError(`agents ${command} needs one NAME`);
  if (values.password !== undefined) {
    throw new UsageError(
      '--password is no longer accepted: a password on the command line is seen by other users (ps) and kept in the shell history; use --password-stdin, or type it when asked',
    );
  }

  const target = targetOf(values);
  const redis = connect({ url: target.url, prefix: target.prefix, cluster: target.cluster });
  const store = new AgentStore(redis, target.prefix);
  try {
    const write = command !== 'list';
    const { accounts, others } = await checkTarget(redis, target, { newPrefix: values['new-prefix'], write });
    const where = `Redis ${shownUrl(target.url)}, prefix "${target.prefix}" (${target.source}; ${accounts} account${accounts === 1 ? '' : 's'} there)`;
    process.stderr.write(`kefu: ${write ? 'writing to' : 'reading'} ${where}\n`);
    if (!write && accounts === 0 && others.length > 0) {
      process.stderr.write(`kefu: nothing here; accounts exist under ${others.map((p) => `"${p.prefix}"`).join(', ')} (--demo, or REDIS_PREFIX)\n`);
    }
    switch (command) {
      case 'add': {
        const { password, generated } = await newPassword(values['password-stdin'], { username: username!, name: values.name });
        const agent = await store.add({
          username: username!,
          name: values.name,
          displayName: values['display-name'],
          roles: (values.role ?? []) as Role[],
          password,
        });
        process.stdout.write(`added ${agent.username} (${agent.roles.join(', ')}) id ${agent.id}\n`);
        if (generated) process.stdout.write(`password: ${password}\n`);
        return 0;
      }
      case 'set': {
        const patch = {
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values['display-name'] !== undefined ? { displayName: values['display-name'] } : {}),
          ...(values.role ? { roles: values.role as Role[] } : {}),
        };
        if (Object.keys(patch).length === 0) throw new UsageError('agents set needs --name, --display-name or --role');
        const agent = await store.update(username!, patch);
        process.stdout.write(`changed ${agent.username}: ${agent.roles.join(', ')}; name ${JSON.stringify(agent.name)}; customers hear ${agent.displayName ? JSON.stringify(agent.displayName) : 'no name'}\n`);
        return 0;
      }
      case 'passwd': {
        const current = await store.get(username!);
        if (!current) throw new AgentNotFoundError(username!);
        const { password, generated } = await newPassword(values['password-stdin'], { username: current.username, name: current.name });
        await store.setPassword(username!, password);
        process.stdout.write(`changed the password of ${username!}; its sessions are ended\n`);
        if (generated) process.stdout.write(`password: ${password}\n`);
        return 0;
      }
      case 'list': {
        const agents = await store.list();
        const locks = await Promise.all(agents.map((a) => store.lockState(a.username)));
        if (values.json) {
          process.stdout.write(`${JSON.stringify(agents.map((a, i) => ({ ...a, lockedUntil: locks[i]!.lockedUntil })))}\n`);
        } else for (const [i, a] of agents.entries()) process.stdout.write(`${row(a, locks[i]!.lockedUntil)}\n`);
        return 0;
      }
      case 'unlock': {
        const unlocked = await store.unlock(username!);
        process.stdout.write(unlocked ? `unlocked ${username!}; its failed logins are forgotten\n` : `${username!} was not locked\n`);
        return 0;
      }
      case 'disable': {
        const agent = await store.disable(username!);
        process.stdout.write(`disabled ${username!}; its sessions are ended\n`);
        // Read only (the policy plays no part in a list): the console's 账号 page puts them back in the queue itself.
        const open = await new Handoff(redis, { prefix: target.prefix, policy: DEFAULT_SLA_POLICY }).list('active', { assigneeId: agent.id, limit: 500 });
        if (open.length > 0) {
          process.stdout.write(
            `note: ${open.length} open chat${open.length === 1 ? ' is' : 's are'} still assigned to ${username!}: put ${open.length === 1 ? 'it' : 'them'} back in the queue from the console (退回队列), or disable from the 账号 page, which does it\n`,
          );
        }
        return 0;
      }
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
    if (err instanceof WrongTargetError) {
      process.stderr.write(`kefu: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof InvalidAgentError || err instanceof LastAdminError) {
      process.stderr.write(`kefu: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof PasswordInputError) {
      process.stderr.write(`kefu: ${err.message}\n`);
      process.exitCode = err.message === 'cancelled' ? 130 : 2;
      return;
    }
    process.stderr.write(`kefu: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
