import { existsSync } from 'node:fs';
import { z } from 'zod';
import { CHANNEL_KINDS, type ChannelKind } from './channels/types.ts';
import { wecomKfSettingsSchema, type WecomKfSettings } from './channels/wecom-kf/settings.ts';
import { KefuError } from './errors.ts';
import { parseRedisUrl } from './handoff/redis-url.ts';
import { slaFromEnv } from './config-sla.ts';
import type { SlaPolicy } from './handoff/sla.ts';

/** "true"/"1"/"yes" style booleans, as people write them in .env files. */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const unit = z.coerce.number().min(0).max(1);
const THRESHOLD_VARS = ['KB_ANSWER_THRESHOLD', 'KB_SUGGEST_THRESHOLD'];

const W = wecomKfSettingsSchema.shape;

/** 0 binds any free port (tests, the demo's helpers); anything else in words, not "received NaN". */
const port = z
  .string()
  .trim()
  .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65_535, {
    error: (issue) => `must be a port number 1-65535 (or 0: any free port), got ${JSON.stringify(issue.input)}`,
  })
  .transform(Number);

const apiBase = z.url({ protocol: /^https?$/, message: 'an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

/** What a listed channel needs set: every missing one is named at once. */
const CHANNEL_REQUIRED: Record<string, readonly string[]> = {
  'wecom-kf': ['WECOM_CORP_ID', 'WECOM_KF_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY', 'WECOM_OPEN_KFIDS'],
  oa: ['OA_APP_ID', 'OA_APP_SECRET', 'OA_TOKEN'],
};

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.optional(),
    KB_DIR: z.string().min(1).default('knowledge-base'),
    KB_ANSWER_THRESHOLD: unit.optional(),
    KB_SUGGEST_THRESHOLD: unit.optional(),
    KB_RELOAD_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(200),
    REDIS_URL: z
      .string()
      .superRefine((url, ctx) => {
        try {
          parseRedisUrl(url);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (redis://host:6379, a Sentinel set or Cluster nodes: see the README)` });
        }
      })
      .default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().regex(/^[\w:.-]+$/, 'letters, digits, _ : . - only').default('kefu'),
    REDIS_CLUSTER: bool.default(false),
    REDIS_WAIT_MS: z.coerce.number().int().min(100).max(30_000).default(1_500),
    DATABASE_URL: z
      .string()
      .trim()
      .refine((url) => {
        try {
          return ['postgres:', 'postgresql:'].includes(new URL(url).protocol);
        } catch {
          return false;
        }
      }, 'a PostgreSQL URL: postgres://user:password@host:5432/kefu')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
    // Fractions allowed: half a day (0.5) for a trial; 0 archives and trims as soon as a chat is resolved.
    ARCHIVE_AFTER_DAYS: z.coerce.number().min(0).max(3_650).default(7),
    ARCHIVE_INTERVAL_S: z.coerce.number().int().min(1).max(3_600).default(60),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    KEFU_ADMIN_PASSWORD: z.string().trim().min(10, 'at least 10 characters').max(1024).optional(),
    TRUST_PROXY: bool.default(false),
    LIVE_MAX_SOCKETS_PER_AGENT: z.coerce.number().int().min(1).max(1_000).default(10),
    ANNOUNCE_AGENT_JOIN: bool.default(true),
    WECHATY_PUPPET: z
      .string()
      .regex(/^(@[\w.-]+\/)?[\w.-]+$/, 'an npm package name, e.g. wechaty-puppet-wechat4u')
      .default('wechaty-puppet-wechat4u'),
    WECHATY_NAME: z.string().regex(/^[\w.-]{1,64}$/, '1-64 letters, digits, _ . - (a file name)').default('kefu-bridge'),
    CHANNELS: z
      .string()
      .transform((v) => [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))])
      .superRefine((list, ctx) => {
        if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one channel' });
        for (const c of list) {
          if (!(CHANNEL_KINDS as readonly string[]).includes(c)) ctx.addIssue({ code: 'custom', message: `unknown channel ${JSON.stringify(c)}: use ${CHANNEL_KINDS.join(', ')}` });
        }
      })
      .transform((list) => list as ChannelKind[])
      .default(['wechaty']),
    // 微信客服: the channel's own schema (src/channels/wecom-kf/settings.ts), required when listed.
    WECOM_CORP_ID: W.WECOM_CORP_ID.optional(),
    WECOM_KF_SECRET: W.WECOM_KF_SECRET.optional(),
    WECOM_TOKEN: W.WECOM_TOKEN.optional(),
    WECOM_AES_KEY: W.WECOM_AES_KEY.optional(),
    WECOM_AES_KEY_PREVIOUS: W.WECOM_AES_KEY_PREVIOUS,
    WECOM_OPEN_KFIDS: W.WECOM_OPEN_KFIDS.optional(),
    WECOM_API_BASE: W.WECOM_API_BASE,
    WECOM_POLL_S: W.WECOM_POLL_S,
    WECOM_TRANSFER_TO_SERVICER: W.WECOM_TRANSFER_TO_SERVICER,
    OA_APP_ID: z.string().regex(/^wx[0-9a-f]{16}$/i, 'the AppID (wx + 16 hex digits)').optional(),
    OA_APP_SECRET: z.string().regex(/^[0-9a-f]{32}$/i, 'the AppSecret (32 hex digits)').optional(),
    OA_TOKEN: z.string().regex(/^[A-Za-z0-9]{3,32}$/, '3-32 letters or digits').optional(),
    // The same EncodingAESKey form as 微信客服's.
    OA_AES_KEY: W.WECOM_AES_KEY.optional(),
    OA_API_BASE: apiBase.default('https://api.weixin.qq.com'),
    BOT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ or -').optional(),
    BOT_INSTANCE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, _ or -').optional(),
    BOT_ROOM_MODE: z.enum(['mention', 'off']).default('mention'),
    HANDOFF_MODE: z.enum(['auto', 'offer']).default('auto'),
    HUMAN_KEYWORDS: z
      .string()
      .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((v) => v.length > 0, 'a comma-separated list of words')
      .optional(),
    MAX_MESSAGE_AGE_S: z.coerce.number().int().min(1).max(86_400).default(120),
    FLOOD_MAX: z.coerce.number().int().min(1).max(1_000).default(10),
    FLOOD_WINDOW_S: z.coerce.number().int().min(1).max(3_600).default(10),
    FLOOD_MUTE_S: z.coerce.number().int().min(1).max(86_400).default(60),
    FLOOD_CAP_PER_MIN: z.coerce.number().int().min(10).max(100_000).default(100),
    BOT_JOURNAL_DIR: z.string().min(1).default('.data/journal'),
    MAX_MATCH_CHARS: z.coerce.number().int().min(10).max(10_000).default(500),
    MATCH_THREADS: z.coerce.number().int().min(0).max(16).optional(),
    // Checked together as the SLA policy (slaFromEnv); listed here so every variable is in one schema.
    BUSINESS_TIMEZONE: z.string().optional(),
    BUSINESS_DAYS: z.string().optional(),
    BUSINESS_HOURS: z.string().optional(),
    BUSINESS_HOLIDAYS: z.string().optional(),
    BUSINESS_WORKDAYS: z.string().optional(),
    SLA_VIP_MINUTES: z.string().optional(),
    SLA_STANDARD_MINUTES: z.string().optional(),
    SLA_WARN_AT: z.string().optional(),
  })
  .superRefine(
    (env, ctx) => {
      for (const channel of env.CHANNELS) {
        for (const variable of CHANNEL_REQUIRED[channel] ?? []) {
          if (env[variable as keyof typeof env] === undefined) {
            ctx.addIssue({ code: 'custom', path: [variable], message: `required with CHANNELS=${env.CHANNELS.join(',')}` });
          }
        }
      }
    },
    // Also when another variable is invalid (PORT=abc): every invalid or missing one is named at once.
    { when: (payload) => !payload.issues.some((i) => i.path?.[0] === 'CHANNELS') },
  )
  .superRefine(
    (env, ctx) => {
      const { KB_ANSWER_THRESHOLD: answer, KB_SUGGEST_THRESHOLD: suggest } = env;
      if (answer !== undefined && suggest !== undefined && suggest > answer) {
        ctx.addIssue({
          code: 'custom',
          path: ['KB_SUGGEST_THRESHOLD'],
          message: `must not exceed KB_ANSWER_THRESHOLD (${answer})`,
        });
      }
    },
    {
      // By default zod skips this check when any other variable has a type error (PORT=abc),
      // so the conflict would only show up on the next start. Run it whenever both thresholds
      // are valid themselves, so every invalid variable is named at once.
      when: (payload) => !payload.issues.some((i) => THRESHOLD_VARS.includes(String(i.path?.[0]))),
    },
  );

export type Env = z.infer<typeof envSchema>;
const envShape = envSchema.shape;
/** Every configuration variable, from the schema. */
export const CONFIG_VARIABLES = Object.keys(envShape) as (keyof typeof envShape)[];
export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

/** The schema's default of a variable (after its transform), or undefined when it has none. */
export function schemaDefault(variable: ConfigVariable): unknown {
  const r = envShape[variable].safeParse(undefined);
  return r.success ? r.data : undefined;
}

export interface Config {
  env: Env['NODE_ENV'];
  log: { level: Env['LOG_LEVEL']; pretty: boolean };
  knowledge: {
    dir: string;
    /** Undefined: the engine's calibrated defaults (the same `kb ask` uses). */
    thresholds: { answer?: number; suggest?: number };
    reloadDebounceMs: number;
  };
  redis: { url: string; prefix: string; cluster: boolean };
  /** History in PostgreSQL: without a URL there is no archive (search covers live conversations only). */
  archive: {
    url?: string;
    /** Connections at most, per process. */
    poolMax: number;
    /** Resolved conversations older than this are trimmed from Redis once archived. */
    retentionDays: number;
    /** Time between archiving runs (and retries while PostgreSQL is down). */
    intervalMs: number;
  };
  sla: SlaPolicy;
  http: {
    host: string;
    port: number;
    /** Trust X-Forwarded-For from a reverse proxy (the login rate limit keys on the client's IP). */
    trustProxy: boolean;
    /** Live sockets (GET /api/live) one agent may hold in one console process; one more is refused (close 4429). */
    liveMaxSocketsPerAgent: number;
    /** How long a console request waits for an unreachable Redis before its 503 REDIS_UNAVAILABLE. */
    redisWaitMs: number;
    /** The first admin's password (console, first start); undefined = generated and printed once. */
    adminPassword?: string;
  };
  /** The channels the bot role serves, with their settings. */
  channels: {
    list: ChannelKind[];
    wecomKf?: WecomKfSettings;
    oa?: OaConfig;
  };
  bot: {
    /** npm name of the puppet (wechaty-puppet-mock for demos and tests). */
    puppet: string;
    /** Wechaty name: its memory card (`<name>.memory-card.json`) keeps the login across restarts. */
    name: string;
    /** This WeChat account's id in the handoff (default: the Wechaty name). */
    id: string;
    /**
     * This bot process's name among several serving the same accounts (微信客服, Official
     * Account): each consumes agents' replies under its own name. Undefined: one process per account.
     */
    instance?: string;
    /** Group chats: answer only when @-mentioned, or never. */
    roomMode: 'mention' | 'off';
    /** Low confidence: hand off at once (auto) or offer a person first (offer). */
    handoffMode: 'auto' | 'offer';
    /** Words that ask for a person; undefined = the policy's defaults. */
    humanKeywords?: string[];
    maxMessageAgeS: number;
    flood: { max: number; windowS: number; muteS: number };
    /** A true flood: messages a minute one conversation stores one by one; beyond, counted and noted. */
    floodCapPerMin: number;
    /** Where the bot journals Redis writes not confirmed yet (replayed at start). */
    journalDir: string;
    /** Longer messages are matched on their first this many characters (stored whole). */
    maxMatchChars: number;
    /** Threads matching questions off the event loop (0: on it); default 1 with 4+ CPUs. */
    matchThreads?: number;
    /** Tell the customer which agent took the chat (`agent_joined`). */
    announceAgentJoin: boolean;
  };
}

/** Official Account settings (`aesKey` unset: plaintext mode). */
export interface OaConfig {
  appId: string;
  appSecret: string;
  token: string;
  aesKey?: string;
  apiBase: string;
}

export class ConfigError extends KefuError {
  readonly issues: { variable: string; message: string }[];
  constructor(issues: { variable: string; message: string }[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/**
 * Empty (or blank) strings count as unset, so `FOO=` in a .env file falls back to the default.
 * Blank matters: zod's number coercion turns " " into 0, i.e. a threshold of "answer everything".
 */
const withoutEmpty = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''));

/** A Wechaty name as a bot id (ids allow no dots). */
const botIdFrom = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '-');

/** Variables whose value is never repeated in an error (it would land in logs and terminals). */
const SECRET = /SECRET|PASSWORD|TOKEN|AES_KEY|DATABASE_URL|REDIS_URL/;

/**
 * A zod issue as the person who set the variable reads it: the rule, and the value given (not for
 * secrets), rather than the validator's own words ("expected number, received NaN").
 */
function readable(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? '');
  const value = env[name];
  const rule = ruleOf(issue);
  if (value === undefined || SECRET.test(name)) return rule;
  const quoted = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  // Some rules name the value already ("got ...").
  return rule.includes(quoted) ? rule : `${rule}, not ${quoted}`;
}

function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'must be a whole number' : issue.message;
    case 'too_small':
      return issue.origin === 'number' ? `must be at least ${String(issue.minimum)}` : issue.message;
    case 'too_big':
      return issue.origin === 'number' ? `must be at most ${String(issue.maximum)}` : issue.message;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = withoutEmpty(env);
  const parsed = envSchema.safeParse(raw);
  const slaResult = slaFromEnv(raw);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(env)'), message: readable(i, raw) }))),
    ...slaResult.issues,
  ];
  if (!parsed.success || !slaResult.policy) throw new ConfigError(issues);
  const e = parsed.data;
  const sla = slaResult.policy;
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY) },
    knowledge: {
      dir: e.KB_DIR,
      thresholds: { answer: e.KB_ANSWER_THRESHOLD, suggest: e.KB_SUGGEST_THRESHOLD },
      reloadDebounceMs: e.KB_RELOAD_DEBOUNCE_MS,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX, cluster: e.REDIS_CLUSTER },
    archive: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, retentionDays: e.ARCHIVE_AFTER_DAYS, intervalMs: e.ARCHIVE_INTERVAL_S * 1000 },
    sla,
    http: { host: e.HOST, port: e.PORT, trustProxy: e.TRUST_PROXY, liveMaxSocketsPerAgent: e.LIVE_MAX_SOCKETS_PER_AGENT, redisWaitMs: e.REDIS_WAIT_MS, adminPassword: e.KEFU_ADMIN_PASSWORD },
    channels: {
      list: e.CHANNELS,
      wecomKf: e.CHANNELS.includes('wecom-kf')
        ? {
            corpId: e.WECOM_CORP_ID!,
            secret: e.WECOM_KF_SECRET!,
            token: e.WECOM_TOKEN!,
            aesKey: e.WECOM_AES_KEY!,
            previousAesKey: e.WECOM_AES_KEY_PREVIOUS,
            openKfids: e.WECOM_OPEN_KFIDS!,
            apiBase: e.WECOM_API_BASE,
            pollS: e.WECOM_POLL_S,
            transferToServicer: e.WECOM_TRANSFER_TO_SERVICER,
          }
        : undefined,
      oa: e.CHANNELS.includes('oa')
        ? { appId: e.OA_APP_ID!, appSecret: e.OA_APP_SECRET!, token: e.OA_TOKEN!, aesKey: e.OA_AES_KEY, apiBase: e.OA_API_BASE }
        : undefined,
    },
    bot: {
      puppet: e.WECHATY_PUPPET,
      name: e.WECHATY_NAME,
      id: e.BOT_ID ?? botIdFrom(e.WECHATY_NAME),
      instance: e.BOT_INSTANCE,
      roomMode: e.BOT_ROOM_MODE,
      handoffMode: e.HANDOFF_MODE,
      humanKeywords: e.HUMAN_KEYWORDS,
      maxMessageAgeS: e.MAX_MESSAGE_AGE_S,
      flood: { max: e.FLOOD_MAX, windowS: e.FLOOD_WINDOW_S, muteS: e.FLOOD_MUTE_S },
      floodCapPerMin: e.FLOOD_CAP_PER_MIN,
      journalDir: e.BOT_JOURNAL_DIR,
      maxMatchChars: e.MAX_MATCH_CHARS,
      matchThreads: e.MATCH_THREADS,
      announceAgentJoin: e.ANNOUNCE_AGENT_JOIN,
    },
  };
}

/**
 * For entry points: reads `.env` (when present; real environment variables win), validates (also
 * with `check`), and on failure names every invalid variable on stderr and exits 1.
 */
export function loadConfigOrExit(envFile = '.env', check?: (env: NodeJS.ProcessEnv) => ConfigError['issues']): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    // A caller's own checks (the console's password policy) join the schema's, so one run names
    // every invalid variable; a variable the schema already named is not named again.
    const extra = check?.(process.env) ?? [];
    let config: Config;
    try {
      config = loadConfig();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError([...err.issues, ...extra.filter((e) => !err.issues.some((i) => i.variable === e.variable))]);
    }
    if (extra.length > 0) throw new ConfigError(extra);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
