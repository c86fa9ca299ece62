import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import type { Config } from '../src/config.ts';
import { runNode } from './support/processes.ts';
import { DEFAULT_SLA_POLICY } from '../src/handoff/sla.ts';

const CONFIG_VARS = [
  'NODE_ENV',
  'LOG_LEVEL',
  'LOG_PRETTY',
  'KB_DIR',
  'KB_ANSWER_THRESHOLD',
  'KB_SUGGEST_THRESHOLD',
  'KB_RELOAD_DEBOUNCE_MS',
  'REDIS_URL',
  'REDIS_PREFIX',
  'HOST',
  'PORT',
  'WECHATY_PUPPET',
  'WECHATY_NAME',
  'BOT_ID',
  'BOT_ROOM_MODE',
  'HANDOFF_MODE',
  'HUMAN_KEYWORDS',
  'MAX_MESSAGE_AGE_S',
  'FLOOD_MAX',
  'FLOOD_WINDOW_S',
  'FLOOD_MUTE_S',
  'MAX_MATCH_CHARS',
  'DATABASE_URL',
  'ARCHIVE_AFTER_DAYS',
  'ARCHIVE_INTERVAL_S',
];

const DEFAULT_BOT: Config['bot'] = {
  puppet: 'wechaty-puppet-wechat4u',
  name: 'kefu-bridge',
  id: 'kefu-bridge',
  instance: undefined,
  roomMode: 'mention',
  handoffMode: 'auto',
  humanKeywords: undefined,
  maxMessageAgeS: 120,
  flood: { max: 10, windowS: 10, muteS: 60 },
  floodCapPerMin: 100,
  journalDir: '.data/journal',
  maxMatchChars: 500,
  announceAgentJoin: true,
};

/** The ConfigError `loadConfig(env)` throws (fails the test when it does not throw one). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError, got ${JSON.stringify(config)}`);
}

const invalidVariables = (env: NodeJS.ProcessEnv): string[] => [...new Set(configError(env).issues.map((i) => i.variable))].sort();

describe('loadConfig', () => {
  it('names every invalid business-hours and SLA variable along with the others', () => {
    expect(
      invalidVariables({
        PORT: 'x',
        BUSINESS_TIMEZONE: 'Mars/Base',
        BUSINESS_DAYS: 'mon-fri',
        BUSINESS_HOURS: '9-18',
        BUSINESS_HOLIDAYS: '2026-02-30',
        SLA_VIP_MINUTES: '-3',
        SLA_STANDARD_MINUTES: 'soon',
        SLA_WARN_AT: '1.5',
      }),
    ).toEqual(
      ['BUSINESS_DAYS', 'BUSINESS_HOLIDAYS', 'BUSINESS_HOURS', 'BUSINESS_TIMEZONE', 'PORT', 'SLA_STANDARD_MINUTES', 'SLA_VIP_MINUTES', 'SLA_WARN_AT'],
    );
  });

  it('says what is wrong with a port in words, and names BUSINESS_HOURS once with both times\' problems', () => {
    const err = configError({ PORT: 'abc', BUSINESS_HOURS: '25:00-26:00' });
    expect(err.issues).toEqual([
      { variable: 'PORT', message: 'must be a port number 1-65535 (or 0: any free port), got "abc"' },
      {
        variable: 'BUSINESS_HOURS',
        message: expect.stringMatching(/^opening time must be HH:mm .*; closing time must be HH:mm .*expected HH:mm-HH:mm such as 09:00-18:00, got "25:00-26:00"/),
      },
    ]);
    expect(configError({ BUSINESS_HOURS: '18:00-09:00' }).issues).toEqual([
      { variable: 'BUSINESS_HOURS', message: expect.stringMatching(/^closing time must be after open \(18:00\).*got "18:00-09:00"/) },
    ]);
    expect(loadConfig({ PORT: ' 8080 ' }).http.port).toBe(8080);
    expect(loadConfig({ PORT: '0' }).http.port).toBe(0);
  });

  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      log: { level: 'info', pretty: Boolean(process.stdout.isTTY) },
      knowledge: { dir: 'knowledge-base', thresholds: { answer: undefined, suggest: undefined }, reloadDebounceMs: 200 },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'kefu', cluster: false },
      archive: { url: undefined, poolMax: 5, retentionDays: 7, intervalMs: 60_000 },
      sla: DEFAULT_SLA_POLICY,
      http: { host: '127.0.0.1', port: 3000, trustProxy: false, liveMaxSocketsPerAgent: 10, redisWaitMs: 1500, adminPassword: undefined },
      channels: { list: ['wechaty'], wecomKf: undefined, oa: undefined },
      bot: DEFAULT_BOT,
    } satisfies Config);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', SOMETHING_ELSE: 'x' })).toEqual(loadConfig({}));
  });

  it('takes valid overrides, coercing numbers and booleans', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      LOG_PRETTY: 'yes',
      KB_DIR: '/srv/faq',
      KB_ANSWER_THRESHOLD: '0.75',
      KB_SUGGEST_THRESHOLD: '0.2',
      KB_RELOAD_DEBOUNCE_MS: '0',
      REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      REDIS_PREFIX: 'kefu:staging',
      HOST: '0.0.0.0',
      PORT: '8080',
      TRUST_PROXY: '1',
      LIVE_MAX_SOCKETS_PER_AGENT: '3',
      KEFU_ADMIN_PASSWORD: ' s3cret-enough ',
      REDIS_CLUSTER: 'true',
      REDIS_WAIT_MS: '2500',
      DATABASE_URL: ' postgresql://kefu:pw@db.example:5433/kefu?sslmode=require ',
      DATABASE_POOL_MAX: '12',
      ARCHIVE_AFTER_DAYS: '0.5',
      ARCHIVE_INTERVAL_S: '15',
      BUSINESS_TIMEZONE: 'Asia/Hong_Kong',
      BUSINESS_DAYS: '1-6',
      BUSINESS_HOURS: '10:00-19:30',
      BUSINESS_HOLIDAYS: '2026-10-01, 2026-10-02',
      BUSINESS_WORKDAYS: '2026-09-27',
      SLA_VIP_MINUTES: '15',
      SLA_STANDARD_MINUTES: '480',
      SLA_WARN_AT: '0.75',
      CHANNELS: 'wecom-kf, oa,wecom-kf',
      WECOM_CORP_ID: 'wx5823bf96d3bd56c7',
      WECOM_KF_SECRET: 'kf-secret-value',
      WECOM_TOKEN: 'QDG6eK',
      WECOM_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      WECOM_OPEN_KFIDS: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw, wkAJ2GCAAAsecond',
      WECOM_API_BASE: 'http://127.0.0.1:9000/',
      OA_APP_ID: 'wxb11529c136998cb6',
      OA_APP_SECRET: '0123456789abcdef0123456789abcdef',
      OA_TOKEN: 'pamtest',
    });
    expect(config).toEqual({
      env: 'production',
      log: { level: 'silent', pretty: true },
      knowledge: { dir: '/srv/faq', thresholds: { answer: 0.75, suggest: 0.2 }, reloadDebounceMs: 0 },
      redis: { url: 'rediss://user:pw@redis.example:6380/2', prefix: 'kefu:staging', cluster: true },
      archive: { url: 'postgresql://kefu:pw@db.example:5433/kefu?sslmode=require', poolMax: 12, retentionDays: 0.5, intervalMs: 15_000 },
      sla: {
        hours: {
          timezone: 'Asia/Hong_Kong',
          weekdays: [1, 2, 3, 4, 5, 6],
          open: '10:00',
          close: '19:30',
          holidays: ['2026-10-01', '2026-10-02'],
          workdays: ['2026-09-27'],
        },
        targetMinutes: { vip: 15, standard: 480 },
        warnAt: 0.75,
      },
      http: { host: '0.0.0.0', port: 8080, trustProxy: true, liveMaxSocketsPerAgent: 3, redisWaitMs: 2500, adminPassword: 's3cret-enough' },
      channels: {
        list: ['wecom-kf', 'oa'],
        wecomKf: {
          corpId: 'wx5823bf96d3bd56c7',
          secret: 'kf-secret-value',
          token: 'QDG6eK',
          aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
          previousAesKey: undefined,
          openKfids: ['wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw', 'wkAJ2GCAAAsecond'],
          apiBase: 'http://127.0.0.1:9000',
          pollS: 60,
          transferToServicer: undefined,
        },
        oa: { appId: 'wxb11529c136998cb6', appSecret: '0123456789abcdef0123456789abcdef', token: 'pamtest', aesKey: undefined, apiBase: 'https://api.weixin.qq.com' },
      },
      bot: DEFAULT_BOT,
    } satisfies Config);
  });

  it('names every setting a listed channel is missing, and rejects an unknown channel or a bad key', () => {
    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.variable).sort();
      }
      return [];
    };
    expect(issues({ CHANNELS: 'wecom-kf' })).toEqual(['WECOM_AES_KEY', 'WECOM_CORP_ID', 'WECOM_KF_SECRET', 'WECOM_OPEN_KFIDS', 'WECOM_TOKEN']);
    expect(issues({ CHANNELS: 'oa', OA_APP_ID: 'wxb11529c136998cb6' })).toEqual(['OA_APP_SECRET', 'OA_TOKEN']);
    expect(issues({ CHANNELS: 'wechaty,telegram' })).toEqual(['CHANNELS']);
    expect(() => loadConfig({ CHANNELS: 'wechaty,telegram' })).toThrow(/unknown channel "telegram"/);
    // Another invalid variable does not hide what a listed channel is missing.
    expect(issues({ CHANNELS: 'wecom-kf', PORT: 'abc' })).toEqual(['PORT', 'WECOM_AES_KEY', 'WECOM_CORP_ID', 'WECOM_KF_SECRET', 'WECOM_OPEN_KFIDS', 'WECOM_TOKEN']);
    expect(issues({ WECOM_AES_KEY: 'too-short' })).toEqual(['WECOM_AES_KEY']);
    // Settings of a channel not listed are checked for their form but not required.
    expect(issues({ CHANNELS: 'wechaty' })).toEqual([]);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('LOG_PRETTY=%s is %s', (value, pretty) => {
    expect(loadConfig({ LOG_PRETTY: value }).log.pretty).toBe(pretty);
  });

  it('names every invalid variable at once', () => {
    const err = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://x',
      KB_ANSWER_THRESHOLD: '3',
      HOST: 'fine',
    });
    expect(err.code).toBe('CONFIG_INVALID');
    expect([...new Set(err.issues.map((i) => i.variable))].sort()).toEqual(['KB_ANSWER_THRESHOLD', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
    for (const i of err.issues) expect(i.message).not.toBe('');
    for (const v of ['PORT', 'LOG_LEVEL', 'REDIS_URL', 'KB_ANSWER_THRESHOLD']) expect(err.message).toContain(`  ${v}: `);
    expect(err.message).not.toContain('HOST');
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['NODE_ENV', 'staging'],
    ['LOG_PRETTY', 'maybe'],
    ['KB_SUGGEST_THRESHOLD', '-0.1'],
    ['KB_ANSWER_THRESHOLD', 'high'],
    ['KB_RELOAD_DEBOUNCE_MS', '-1'],
    ['KB_RELOAD_DEBOUNCE_MS', '60001'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_PREFIX', 'has space'],
    ['WECHATY_PUPPET', 'not a package!'],
    ['WECHATY_NAME', 'a/b'],
    ['BOT_ID', 'bot.1'],
    ['BOT_ROOM_MODE', 'always'],
    ['KEFU_ADMIN_PASSWORD', 'short'],
    ['TRUST_PROXY', 'maybe'],
    ['LIVE_MAX_SOCKETS_PER_AGENT', '0'],
    ['ANNOUNCE_AGENT_JOIN', 'sometimes'],
    ['HANDOFF_MODE', 'never'],
    ['HUMAN_KEYWORDS', ' , ,'],
    ['MAX_MESSAGE_AGE_S', '0'],
    ['FLOOD_MAX', 'lots'],
    ['FLOOD_WINDOW_S', '-5'],
    ['FLOOD_MUTE_S', '1.5'],
    ['MAX_MATCH_CHARS', '5'],
    ['DATABASE_URL', 'redis://127.0.0.1:6379'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_POOL_MAX', '0'],
    ['ARCHIVE_AFTER_DAYS', '-1'],
    ['ARCHIVE_AFTER_DAYS', 'a week'],
    ['ARCHIVE_INTERVAL_S', '0'],
    ['ARCHIVE_INTERVAL_S', '1.5'],
  ])('rejects %s=%s', (variable, value) => {
    expect(invalidVariables({ [variable]: value })).toEqual([variable]);
  });

  it('takes the bot settings, the bot id defaulting to the Wechaty name', () => {
    expect(
      loadConfig({
        WECHATY_PUPPET: 'wechaty-puppet-mock',
        WECHATY_NAME: 'shop.main',
        BOT_ROOM_MODE: 'off',
        HANDOFF_MODE: 'offer',
        HUMAN_KEYWORDS: '人工, 客服 ,,真人',
        MAX_MESSAGE_AGE_S: '30',
        FLOOD_MAX: '5',
        FLOOD_WINDOW_S: '20',
        FLOOD_MUTE_S: '300',
        FLOOD_CAP_PER_MIN: '600',
        BOT_JOURNAL_DIR: '/var/lib/kefu/journal',
        MAX_MATCH_CHARS: '200',
        ANNOUNCE_AGENT_JOIN: 'off',
      }).bot,
    ).toEqual({
      puppet: 'wechaty-puppet-mock',
      name: 'shop.main',
      id: 'shop-main',
      roomMode: 'off',
      handoffMode: 'offer',
      humanKeywords: ['人工', '客服', '真人'],
      maxMessageAgeS: 30,
      flood: { max: 5, windowS: 20, muteS: 300 },
      floodCapPerMin: 600,
      journalDir: '/var/lib/kefu/journal',
      maxMatchChars: 200,
      announceAgentJoin: false,
    } satisfies Config['bot']);
    expect(loadConfig({ WECHATY_NAME: 'shop.main', BOT_ID: 'shop_1' }).bot.id).toBe('shop_1');
    expect(loadConfig({ WECHATY_PUPPET: '@juzi/wechaty-puppet-service' }).bot.puppet).toBe('@juzi/wechaty-puppet-service');
  });

  it('names every invalid bot variable at once', () => {
    expect(invalidVariables({ BOT_ROOM_MODE: 'x', FLOOD_MAX: '0', FLOOD_CAP_PER_MIN: '5', MAX_MATCH_CHARS: 'big', PORT: 'x' })).toEqual([
      'BOT_ROOM_MODE',
      'FLOOD_CAP_PER_MIN',
      'FLOOD_MAX',
      'MAX_MATCH_CHARS',
      'PORT',
    ]);
  });

  it('says the rule and the value given in words, never a secret\'s value; one line per variable', () => {
    const message = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    const m = message({ MATCH_THREADS: 'abc', FLOOD_MAX: '-1', NODE_ENV: 'prod', BUSINESS_DAYS: '0,8', CHANNELS: 'wecom-kf', WECOM_CORP_ID: 'w!', WECOM_KF_SECRET: 'sekrit' });
    expect(m).toContain('  MATCH_THREADS: must be a whole number, not "abc"');
    expect(m).toContain('  FLOOD_MAX: must be at least 1, not "-1"');
    expect(m).toContain('  NODE_ENV: must be one of development, production, test, not "prod"');
    expect(m).toContain('WECOM_CORP_ID: the corp id: 4-64 letters or digits');
    expect(m).toContain('WECOM_KF_SECRET: the 微信客服 secret: at least 8 characters');
    expect(m).not.toContain('sekrit');
    expect(m).not.toMatch(/expected number|received NaN|Invalid option/);
    expect(m.match(/BUSINESS_DAYS/g)).toHaveLength(1);
    expect(m).toContain('(got "0,8")');
  });

  it('names every invalid archive variable at once, with what a valid one looks like', () => {
    const err = configError({ DATABASE_URL: 'mysql://db/kefu', ARCHIVE_AFTER_DAYS: 'x', ARCHIVE_INTERVAL_S: '-5', DATABASE_POOL_MAX: '1000', PORT: 'x' });
    expect([...new Set(err.issues.map((i) => i.variable))].sort()).toEqual(['ARCHIVE_AFTER_DAYS', 'ARCHIVE_INTERVAL_S', 'DATABASE_POOL_MAX', 'DATABASE_URL', 'PORT']);
    expect(err.message).toMatch(/^ {2}DATABASE_URL: a PostgreSQL URL: postgres:\/\//m);
    // Unset: no archive; a unix socket URL and postgres:// are both PostgreSQL.
    expect(loadConfig({}).archive.url).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/kefu' }).archive.url).toBe('postgres://postgres@127.0.0.1:5433/kefu');
    expect(loadConfig({ DATABASE_URL: 'postgresql:///kefu?host=/var/run/postgresql' }).archive.url).toBe('postgresql:///kefu?host=/var/run/postgresql');
    expect(loadConfig({ ARCHIVE_AFTER_DAYS: '0' }).archive.retentionDays).toBe(0);
  });

  it('rejects a suggest threshold above the answer threshold, allows them equal', () => {
    const err = configError({ KB_ANSWER_THRESHOLD: '0.3', KB_SUGGEST_THRESHOLD: '0.9' });
    expect(err.issues).toEqual([{ variable: 'KB_SUGGEST_THRESHOLD', message: expect.stringContaining('KB_ANSWER_THRESHOLD') }]);
    expect(loadConfig({ KB_ANSWER_THRESHOLD: '0.5', KB_SUGGEST_THRESHOLD: '0.5' }).knowledge.thresholds).toEqual({
      answer: 0.5,
      suggest: 0.5,
    });
  });

  it('names the threshold conflict even when another variable is invalid too', () => {
    expect(invalidVariables({ PORT: 'abc', KB_ANSWER_THRESHOLD: '0.3', KB_SUGGEST_THRESHOLD: '0.9' })).toEqual([
      'KB_SUGGEST_THRESHOLD',
      'PORT',
    ]);
  });

  it('reports an out-of-range threshold once, not also as a conflict', () => {
    const err = configError({ KB_ANSWER_THRESHOLD: '0.3', KB_SUGGEST_THRESHOLD: '5' });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.variable).toBe('KB_SUGGEST_THRESHOLD');
  });

  it('treats empty (and blank) strings as unset', () => {
    const blank = Object.fromEntries(CONFIG_VARS.map((v) => [v, '']));
    expect(loadConfig(blank)).toEqual(loadConfig({}));
    const spaces = Object.fromEntries(CONFIG_VARS.map((v) => [v, '  ']));
    expect(loadConfig(spaces)).toEqual(loadConfig({}));
    // In particular a blank threshold is the calibrated default, never 0 ("answer everything").
    expect(loadConfig({ KB_ANSWER_THRESHOLD: ' ', PORT: ' ' })).toMatchObject({
      knowledge: { thresholds: { answer: undefined } },
      http: { port: 3000 },
    });
  });
});

describe('loadConfigOrExit (child process)', { timeout: 30_000 }, () => {
  const CONFIG_URL = pathToFileURL(path.resolve(import.meta.dirname, '../src/config.ts')).href;
  // Resolved from the repo: the child runs in a temp dir, where a bare `tsx` would not resolve.
  const TSX_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const SCRIPT = [
    `import { loadConfigOrExit } from ${JSON.stringify(CONFIG_URL)};`,
    'const c = loadConfigOrExit();',
    'process.stdout.write(JSON.stringify({ port: c.http.port, host: c.http.host, dir: c.knowledge.dir }));',
    '',
  ].join('\n');
  const dirs: string[] = [];

  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function run(env: Record<string, string>, dotEnv?: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-config-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'main.ts'), SCRIPT);
    if (dotEnv !== undefined) await writeFile(path.join(dir, '.env'), dotEnv);
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const v of CONFIG_VARS) if (!(v in env)) delete childEnv[v];
    return runNode(['--import', TSX_URL, 'main.ts'], { cwd: dir, env: childEnv, timeoutMs: 20_000 });
  }

  it('exits 1 naming every invalid variable on stderr', async () => {
    const r = await run({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://db/kefu', ARCHIVE_AFTER_DAYS: 'soon' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ {2}PORT: /m);
    expect(r.stderr).toMatch(/^ {2}LOG_LEVEL: /m);
    expect(r.stderr).toMatch(/^ {2}DATABASE_URL: /m);
    expect(r.stderr).toMatch(/^ {2}ARCHIVE_AFTER_DAYS: /m);
  });

  it('reads .env from the working directory; empty values there fall back to defaults', async () => {
    const r = await run({}, 'PORT=4321\nHOST=0.0.0.0\nKB_DIR=\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ port: 4321, host: '0.0.0.0', dir: 'knowledge-base' });
  });

  it('lets a real environment variable win over .env', async () => {
    const r = await run({ PORT: '5555' }, 'PORT=4321\nHOST=0.0.0.0\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ port: 5555, host: '0.0.0.0', dir: 'knowledge-base' });
  });
});
