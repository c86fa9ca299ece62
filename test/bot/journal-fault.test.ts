/**
 * Issue 11: "a bot process that dies during a Redis outage loses the writes buffered in memory".
 * Real processes, real signals: the bot (./journal-bot.ts: startBot on wechaty-puppet-mock) gets
 * customer messages while its redis-server is down (it answers from the FAQ and keeps the writes in
 * its client's offline queue and its journal), is SIGKILLed, Redis comes back (from its AOF), the
 * bot is started again: every customer message, and every line the bot sent, is in the transcript
 * exactly once, in order, before anything the customers say after the restart.
 *
 * JOURNAL_LOG_LEVEL=warn puts the children's logs (stderr) into failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalName } from '../../src/bot/journal.ts';
import { CONFIG_VARIABLES } from '../../src/config.ts';
import { conversationId, createRedis, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../helpers/redis.ts';
import { waitFor } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'test/bot/journal-bot.ts');
const TSX_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const BOT_ID = 'journalbot';
const CUSTOMERS = 3;
/** What each customer says while Redis is down: an FAQ question, a request for a person, then a line to the queue. */
const DURING_OUTAGE = ['发票', '转人工', '还有一个问题想问'];

class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  private out = '';
  private err = '';

  constructor(env: Record<string, string>) {
    const base = { ...process.env };
    for (const v of CONFIG_VARIABLES) delete base[v];
    this.proc = spawn(process.execPath, ['--import', TSX_URL, SCRIPT], {
      cwd: tmp,
      env: { ...base, NODE_ENV: 'test', LOG_LEVEL: process.env.JOURNAL_LOG_LEVEL ?? 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdin!.on('error', () => undefined);
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-6000)));
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async ready(): Promise<void> {
    await waitFor(
      () => `the bot to be ready (stderr: ${this.err})`,
      () => {
        if (!this.alive) throw new Error(`the bot exited before it was ready:\n${this.err}`);
        return this.out.includes('"fault":"ready"');
      },
      60_000,
    );
  }

  say(customer: number, text: string): void {
    this.proc.stdin!.write(`${JSON.stringify({ say: [customer, text] })}\n`);
  }

  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

let tmp: string;
let server: RedisServer;
let redis: Redis;
let handoff: Handoff;
const prefix = randomPrefix();
const children: Child[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kefu-journal-fault-'));
  server = await startRedis({ appendonly: true, appendfsync: 'always' });
  redis = createRedis({ url: server.url }) as Redis;
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
});
afterAll(async () => {
  for (const c of children) await c.kill9();
  redis?.disconnect();
  await stopAll();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const heardFile = () => path.join(tmp, 'heard.jsonl');
const journalDir = () => path.join(tmp, 'journal');
const journalFile = () => path.join(journalDir(), `${journalName(BOT_ID, prefix)}.jsonl`);
const journalText = (): string => (existsSync(journalFile()) ? readFileSync(journalFile(), 'utf8') : '');

/** Every complete line the customers heard (any process). */
function heard(): { customer: string; text: string; pid: number }[] {
  if (!existsSync(heardFile())) return [];
  const text = readFileSync(heardFile(), 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { customer: string; text: string; pid: number });
}

function startBotProcess(say: string): Child {
  const child = new Child({
    REDIS_URL: server.url,
    REDIS_PREFIX: prefix,
    BOT_ID,
    WECHATY_NAME: BOT_ID,
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    KB_DIR: path.join(ROOT, 'knowledge-base'),
    BOT_JOURNAL_DIR: journalDir(),
    JOURNAL_HEARD: heardFile(),
    JOURNAL_CUSTOMERS: String(CUSTOMERS),
    JOURNAL_SAY: say,
  });
  children.push(child);
  return child;
}

const convOf = (i: number) => conversationId(BOT_ID, `kf-${i + 1}`);
const customerTexts = async (i: number) => (await handoff.transcript(convOf(i))).filter((m) => m.from === 'customer').map((m) => m.text);

describe('the journal across a SIGKILL during a Redis outage', () => {
  it('every customer message (and every line the bot sent) is in the transcript exactly once, in order', async () => {
    // Every customer has a conversation before the outage.
    const first = startBotProcess('你好');
    await first.ready();
    await waitFor('every customer greeted and recorded', async () => {
      for (let i = 0; i < CUSTOMERS; i++) if ((await customerTexts(i)).length < 1) return false;
      return true;
    }, 15_000);

    // Redis dies; the customers go on talking to the bot, which answers from the FAQ.
    await server.stop({ signal: 'SIGKILL' });
    for (let i = 0; i < CUSTOMERS; i++) for (const line of DURING_OUTAGE) first.say(i, line);
    // The bot has handled every line: it is in the journal (the last one gets no reply: the chat is queued).
    await waitFor(
      () => `every line in the journal (journal: ${journalText().slice(0, 400)})`,
      () => {
        const j = journalText();
        const n = (s: string) => j.split(JSON.stringify(s).slice(1, -1)).length - 1;
        return DURING_OUTAGE.every((line) => n(line) >= CUSTOMERS);
      },
      15_000,
    );
    await waitFor('the delay notice heard by every customer', () => heard().filter((l) => l.text.includes('稍后会有客服联系您')).length >= CUSTOMERS, 15_000);

    // The bot dies with the writes in its memory; Redis comes back; a new bot process starts.
    await first.kill9();
    await server.restart();
    for (let i = 0; i < CUSTOMERS; i++) expect(await customerTexts(i)).toEqual(['你好']);
    const second = startBotProcess('我回来了');
    await second.ready();

    const expected = ['你好', ...DURING_OUTAGE, '我回来了'];
    let got: string[][] = [];
    await waitFor(
      () => `every message recorded (got ${JSON.stringify(got)})`,
      async () => {
        got = await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => customerTexts(i)));
        return got.every((texts) => texts.length >= expected.length);
      },
      20_000,
    );
    await waitFor('the journal to be empty', () => journalText() === '', 10_000);
    await new Promise((r) => setTimeout(r, 300));

    const lines = heard();
    for (let i = 0; i < CUSTOMERS; i++) {
      // Exactly once, in order: the replayed lines before what was said after the restart.
      expect(await customerTexts(i)).toEqual(expected);
      const t = await handoff.transcript(convOf(i));
      // Every line the bot sent, recorded once, in the order the customer heard them.
      expect(t.filter((m) => m.from === 'bot').map((m) => m.text)).toEqual(lines.filter((l) => l.customer === `顾客${i + 1}`).map((l) => l.text));
      // The request for a person made during the outage reached the queue.
      expect((await handoff.conversation(convOf(i)))?.status).toBe('waiting');
    }
    expect(await redis.hget(handoff.keys.identity(BOT_ID), 'seq')).toBe(String(CUSTOMERS));
    expect((await handoff.listWaiting()).map((c) => c.id).sort()).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => convOf(i)).sort());
  }, 120_000);
});
