import { existsSync } from 'node:fs';
import { z } from 'zod';
import { KefuError } from './errors.ts';

/** "true"/"1"/"yes" style booleans, as people write them in .env files. */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const unit = z.coerce.number().min(0).max(1);
const THRESHOLD_VARS = ['KB_ANSWER_THRESHOLD', 'KB_SUGGEST_THRESHOLD'];

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.optional(),
    KB_DIR: z.string().min(1).default('knowledge-base'),
    KB_ANSWER_THRESHOLD: unit.optional(),
    KB_SUGGEST_THRESHOLD: unit.optional(),
    KB_RELOAD_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(200),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().regex(/^[\w:.-]+$/, 'letters, digits, _ : . - only').default('kefu'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  })
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

export interface Config {
  env: Env['NODE_ENV'];
  log: { level: Env['LOG_LEVEL']; pretty: boolean };
  knowledge: {
    dir: string;
    /** Undefined: the engine's calibrated defaults (the same `kb ask` uses). */
    thresholds: { answer?: number; suggest?: number };
    reloadDebounceMs: number;
  };
  redis: { url: string; prefix: string };
  http: { host: string; port: number };
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(env)'), message: i.message })),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY) },
    knowledge: {
      dir: e.KB_DIR,
      thresholds: { answer: e.KB_ANSWER_THRESHOLD, suggest: e.KB_SUGGEST_THRESHOLD },
      reloadDebounceMs: e.KB_RELOAD_DEBOUNCE_MS,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    http: { host: e.HOST, port: e.PORT },
  };
}

/**
 * For entry points: reads `.env` (when present; real environment variables win), validates,
 * and on failure names every invalid variable on stderr and exits 1.
 */
export function loadConfigOrExit(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
