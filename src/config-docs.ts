/**
 * What each configuration variable means, for the README's table (`npm run docs:config`). Keyed by
 * the schema's variables, so a variable added to the schema without a line here fails to compile,
 * and defaults come from the schema itself unless the line says otherwise.
 */
import { CONFIG_VARIABLES, schemaDefault, type ConfigVariable } from './config.ts';
import { DEFAULT_SLA_POLICY } from './handoff/sla.ts';

interface Doc {
  meaning: string;
  /** Markdown shown instead of the schema's default (computed defaults, or none). */
  default?: string;
}

const D = DEFAULT_SLA_POLICY;
const code = (v: string | number): string => `\`${v}\``;

export const CONFIG_DOCS: Record<ConfigVariable, Doc> = {
  NODE_ENV: { meaning: '`development`, `production` or `test`' },
  LOG_LEVEL: { meaning: 'pino level, or `silent`' },
  LOG_PRETTY: { meaning: 'human-readable logs instead of JSON lines', default: 'when stdout is a terminal' },
  KB_DIR: { meaning: 'the FAQ directory' },
  KB_ANSWER_THRESHOLD: { meaning: 'confidence at which the bot answers directly', default: 'calibrated (`src/knowledge/engine/calibration.json`)' },
  KB_SUGGEST_THRESHOLD: { meaning: 'confidence at which it offers "did you mean"; below, a person', default: 'calibrated' },
  KB_RELOAD_DEBOUNCE_MS: { meaning: 'quiet time after an edit before the FAQ is reloaded' },
  REDIS_URL: { meaning: 'Redis for the handoff: `redis://host:6379`, a Sentinel set `redis+sentinel://s1:26379,s2:26379/mymaster`, or Cluster nodes `redis://a:7000,redis://b:7001` (see "Operating it")' },
  REDIS_PREFIX: { meaning: 'prefix of every Redis key' },
  REDIS_CLUSTER: { meaning: 'talk to a Redis Cluster' },
  REDIS_WAIT_MS: { meaning: 'during a Redis outage, how long a console request waits for Redis before it answers `503 REDIS_UNAVAILABLE` (nothing done, retry)' },
  DATABASE_URL: { meaning: 'PostgreSQL for the archive (history that left Redis) and search: `postgres://user:password@host:5432/kefu` (`?sslmode=require` for TLS). Unset: no archive, nothing is trimmed from Redis, search covers live conversations only (see "Operating the archive")', default: 'none' },
  DATABASE_POOL_MAX: { meaning: 'PostgreSQL connections at most, per process' },
  ARCHIVE_AFTER_DAYS: { meaning: 'days a conversation stays in Redis after its last change once resolved (or left with the bot); then, once archived, it is trimmed from Redis (fractions allowed; `0`: as soon as it is archived)' },
  ARCHIVE_INTERVAL_S: { meaning: 'seconds between archiving runs, and between retries while PostgreSQL is down' },
  HOST: { meaning: 'where the console listens' },
  PORT: { meaning: 'the console\'s port (`0`: any free one)' },
  KEFU_ADMIN_PASSWORD: { meaning: 'password of the `admin` account created on the console\'s first start (at least 10 characters, two kinds of characters, not a common password)', default: 'generated, printed once' },
  ANNOUNCE_AGENT_JOIN: { meaning: 'when an agent takes a chat, the customer hears who (`agent_joined` in `_messages.yml`; on 微信客服 and Official Accounts with the agent\'s first reply, so it spends none of WeChat\'s 5 replies)' },
  TRUST_PROXY: { meaning: 'trust `X-Forwarded-For` from a reverse proxy (the login rate limit keys on the client\'s IP)' },
  LIVE_MAX_SOCKETS_PER_AGENT: { meaning: 'live connections (`/api/live`, one per open console tab) one user may hold per console process; one more is refused with close code 4429 and the tab retries' },
  WECHATY_PUPPET: { meaning: '`wechaty-puppet-mock` for the demo and tests' },
  WECHATY_NAME: { meaning: 'memory-card name: the login survives a restart' },
  CHANNELS: { meaning: 'comma-separated channels the bot role serves: `wecom-kf` (微信客服, the channel for production), `oa` (an Official Account), `wechaty` (a Wechaty puppet: the demo\'s mock, or a personal account at your own risk; see "Going live on 微信客服")' },
  WECOM_CORP_ID: { meaning: '微信客服: the WeCom corp id (also checked as the receiver of every callback)', default: 'required with `wecom-kf`' },
  WECOM_KF_SECRET: { meaning: '微信客服: the secret of the app allowed to call the 微信客服 API', default: 'required with `wecom-kf`' },
  WECOM_TOKEN: { meaning: '微信客服: the callback Token', default: 'required with `wecom-kf`' },
  WECOM_AES_KEY: { meaning: '微信客服: the callback EncodingAESKey (43 characters)', default: 'required with `wecom-kf`' },
  WECOM_AES_KEY_PREVIOUS: { meaning: '微信客服: the previous EncodingAESKey, still accepted during a key rotation', default: 'none' },
  WECOM_OPEN_KFIDS: { meaning: '微信客服: comma-separated `open_kfid`s (customer-service accounts) this deployment serves', default: 'required with `wecom-kf`' },
  WECOM_POLL_S: { meaning: '微信客服: seconds between safety pulls of `kf/sync_msg` without a callback (`0`: callbacks only)' },
  WECOM_TRANSFER_TO_SERVICER: { meaning: '微信客服: a WeCom userid; when set, a handoff also moves the 微信客服 session to that servicer (they answer in the WeCom app)', default: 'unset: our agents answer through the console' },
  WECOM_API_BASE: { meaning: '微信客服: API address (a simulator\'s in tests and the demo)' },
  OA_APP_ID: { meaning: 'Official Account: the AppID', default: 'required with `oa`' },
  OA_APP_SECRET: { meaning: 'Official Account: the AppSecret', default: 'required with `oa`' },
  OA_TOKEN: { meaning: 'Official Account: the callback Token', default: 'required with `oa`' },
  OA_AES_KEY: { meaning: 'Official Account: the EncodingAESKey for safe mode', default: 'unset: plaintext mode' },
  OA_API_BASE: { meaning: 'Official Account: API address (a simulator\'s in tests)' },
  BOT_ID: { meaning: 'the bot account\'s id in Redis', default: 'from `WECHATY_NAME`' },
  BOT_INSTANCE: { meaning: 'with several bot processes on the same 微信客服 / Official Account accounts: a distinct, stable name per process (each takes agents\' replies under its own name; a dead one\'s are taken over after 60 s)', default: 'unset: one bot process per account' },
  BOT_ROOM_MODE: { meaning: 'in group chats answer only when @-mentioned, or `off`' },
  HANDOFF_MODE: { meaning: 'on low confidence hand off at once (`auto`) or offer a person (`offer`)' },
  HUMAN_KEYWORDS: { meaning: 'comma-separated words that ask for a person', default: '转人工, 人工, 人工客服, 找客服, 真人, 投诉, human, agent, …' },
  MAX_MESSAGE_AGE_S: { meaning: 'older messages (re-delivered after a re-login) are dropped' },
  FLOOD_MAX: { meaning: 'per-customer limit on the bot\'s replies: replies per window, then one warning and a pause (every message is still recorded; no limit while a person has the chat)' },
  FLOOD_WINDOW_S: { meaning: 'the flood-control window' },
  FLOOD_MUTE_S: { meaning: 'how long the bot does not answer a flooding customer (their messages are still recorded)' },
  FLOOD_CAP_PER_MIN: { meaning: 'a true flood: messages a minute one conversation stores one by one (a burst of this many); beyond, they are counted and the transcript notes how many were cut' },
  BOT_JOURNAL_DIR: { meaning: 'where the bot keeps Redis writes not yet confirmed (one file per bot account), replayed at start: nothing is lost when a bot dies during a Redis outage' },
  MAX_MATCH_CHARS: { meaning: 'longer messages are matched on their beginning (stored whole)' },
  MATCH_THREADS: { meaning: 'worker threads that match customers\' questions off the bot\'s event loop (`0`: match on it)', default: '`1` with 4 or more CPUs, else `0` (a bot alone on 2 CPUs gains from `1`)' },
  BUSINESS_TIMEZONE: { meaning: 'zone of the business hours and dates', default: code(D.hours.timezone) },
  BUSINESS_DAYS: { meaning: 'ISO weekdays with business hours (`1-5`, or a list such as `1,2,3,4,5,6`)', default: code(D.hours.weekdays.join(',')) },
  BUSINESS_HOURS: { meaning: 'opening hours (`close` may be `24:00`)', default: code(`${D.hours.open}-${D.hours.close}`) },
  BUSINESS_HOLIDAYS: { meaning: 'comma-separated `YYYY-MM-DD` dates without business hours', default: 'none' },
  BUSINESS_WORKDAYS: { meaning: 'make-up working days (调休) that are business days even on a weekend', default: 'none' },
  SLA_VIP_MINUTES: { meaning: 'first-response target for VIP customers, in business minutes', default: code(D.targetMinutes.vip) },
  SLA_STANDARD_MINUTES: { meaning: 'first-response target for everyone else, in business minutes', default: code(D.targetMinutes.standard) },
  SLA_WARN_AT: { meaning: 'share of the target at which a waiting chat is flagged', default: code(D.warnAt) },
};

function defaultText(variable: ConfigVariable): string {
  const doc = CONFIG_DOCS[variable];
  if (doc.default !== undefined) return doc.default;
  const value = schemaDefault(variable);
  return value === undefined ? 'none' : `\`${String(value)}\``;
}

/** The README's configuration table, one row per variable in the schema's order. */
export function configTable(): string {
  const rows = CONFIG_VARIABLES.map((v) => `| \`${v}\` | ${defaultText(v)} | ${CONFIG_DOCS[v].meaning} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export const TABLE_START = '<!-- config-table:start (npm run docs:config) -->';
export const TABLE_END = '<!-- config-table:end -->';

/** `readme` with the text between the markers replaced by the current table. */
export function withConfigTable(readme: string): string {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`README has no ${TABLE_START} … ${TABLE_END} markers`);
  return `${readme.slice(0, a + TABLE_START.length)}\n${configTable()}\n${readme.slice(b)}`;
}
