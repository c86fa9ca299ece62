/**
 * Issue 11: "a bot process that dies during a Redis outage loses the writes buffered in memory".
 * Real processes, real signals: the bot (test/support/bot-process.ts: startBot on wechaty-puppet-mock) gets
 * customer messages while its redis-server is down (it answers from the FAQ and keeps the writes in
 * its client's offline queue and its journal), is SIGKILLed, Redis comes back (from its AOF), the
 * bot is started again: every customer message, and every line the bot sent, is in the transcript
 * exactly once, in order, before anything the customers say after the restart.
 *
 * JOURNAL_LOG_LEVEL=warn puts the children's logs (stderr) into failure messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalName } from '../../src/bot/journal.ts';
import { conversationId, createRedis, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { KB_DIR, ROOT, ScriptProcess } from '../support/processes.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

const SCRIPT = path.join(ROOT, 'test/support/bot-process.ts');
const BOT_ID = 'journalbot';
const CUSTOMERS = 3;
/** What each customer says while Redis is down: an FAQ question, a request for a person, then a line to the queue. */
const DURING_OUTAGE = ['发票', '转人工', '还有一个问题想问'];

let tmp: string;
let server: RedisServer;
let redis: Redis;
let handoff: Handoff;
const prefix = randomPrefix();
const children: ScriptProcess[] = [];

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

function startBotProcess(say: string): ScriptProcess {
  const child = new ScriptProcess({
    name: `bot #${children.length + 1}`,
    script: SCRIPT,
    cwd: tmp,
    env: {
      LOG_LEVEL: process.env.JOURNAL_LOG_LEVEL ?? 'silent',
      REDIS_URL: server.url,
      REDIS_PREFIX: prefix,
      BOT_ID,
      WECHATY_NAME: BOT_ID,
      WECHATY_PUPPET: 'wechaty-puppet-mock',
      KB_DIR,
      BOT_JOURNAL_DIR: journalDir(),
      MOCK_HEARD: heardFile(),
      MOCK_CUSTOMERS: String(CUSTOMERS),
      MOCK_SAY: say,
    },
  });
  children.push(child);
  return child;
}

/** Customer i says `text` (through the bot process's stdin). */
const say = (child: ScriptProcess, i: number, text: string): void => child.send({ say: [i, text] });

const convOf = (i: number) => conversationId(BOT_ID, `kf-${i + 1}`);
const customerTexts = async (i: number) => (await handoff.transcript(convOf(i))).filter((m) => m.from === 'customer').map((m) => m.text);

describe('the journal across a SIGKILL during a Redis outage', () => {
  it('every customer message (and every line the bot sent) is in the transcript exactly once, in order', async () => {
    // Every customer has a conversation before the outage.
    const first = startBotProcess('你好');
    await first.wait('ready');
    await waitFor('every customer greeted and recorded', async () => {
      for (let i = 0; i < CUSTOMERS; i++) if ((await customerTexts(i)).length < 1) return false;
      return true;
    }, 15_000);

    // Redis dies; the customers go on talking to the bot, which answers from the FAQ.
    await server.stop({ signal: 'SIGKILL' });
    for (let i = 0; i < CUSTOMERS; i++) for (const line of DURING_OUTAGE) say(first, i, line);
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
    await second.wait('ready');

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
    // One more line each: once it is recorded, the bot has finished every turn before it, replies
    // included (it handles a customer's messages one at a time), so `heard` is complete.
    for (let i = 0; i < CUSTOMERS; i++) say(second, i, '好的');
    expected.push('好的');
    await waitFor('the last line recorded', async () => {
      got = await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => customerTexts(i)));
      return got.every((texts) => texts.length >= expected.length);
    });

    const lines = heard();
    for (let i = 0; i < CUSTOMERS; i++) {
      // Exactly once, in order: the replayed lines before what was said after the restart.
      expect(await customerTexts(i)).toEqual(expected);
      const t = await handoff.transcript(convOf(i));
      // Every line the bot sent, recorded once, in the order the customer heard them.
      expect(t.filter((m) => m.from === 'bot').map((m) => m.text)).toEqual(lines.filter((l) => l.customer === `客户${i + 1}`).map((l) => l.text));
      // The request for a person made during the outage reached the queue.
      expect((await handoff.conversation(convOf(i)))?.status).toBe('waiting');
    }
    expect(await redis.hget(handoff.keys.identity(BOT_ID), 'seq')).toBe(String(CUSTOMERS));
    expect((await handoff.listWaiting()).map((c) => c.id).sort()).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => convOf(i)).sort());
  }, 120_000);
});
