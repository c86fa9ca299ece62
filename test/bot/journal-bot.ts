/**
 * A bot process for ./journal-fault.test.ts, started as `node --import tsx test/bot/journal-bot.ts`
 * so that the test can SIGKILL it for real.
 *
 * The product's bot (startBot) on wechaty-puppet-mock, configured from the environment (REDIS_URL,
 * REDIS_PREFIX, BOT_ID, BOT_JOURNAL_DIR, KB_DIR, ...), with a logged-in mock account and
 * JOURNAL_CUSTOMERS mock customers with fixed profiles (the identity fingerprint), so that a
 * restarted process meets "the same" customers under new contact ids.
 *
 *   JOURNAL_HEARD      JSONL file: one {"customer","text","pid"} line per message a customer hears,
 *                      written with appendFileSync before anything else happens
 *   JOURNAL_CUSTOMERS  how many customers (names 顾客1 … 顾客N)
 *   JOURNAL_SAY        what each customer says once, right after the login ('' = nothing)
 *
 * stdin: JSON lines {"say":[customer index, text]} make that customer say it; the process exits
 * when stdin closes (the test is gone). stdout: {"fault":"ready","pid"} once logged in and every
 * customer has spoken. Logs (LOG_LEVEL) go to stderr.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { types } from 'wechaty';
import { startBot } from '../../src/bot/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...o, pid: process.pid })}\n`);

async function main(): Promise<void> {
  const heardFile = process.env.JOURNAL_HEARD;
  if (!heardFile) throw new Error('JOURNAL_HEARD is required');
  const count = Number(process.env.JOURNAL_CUSTOMERS ?? '0');
  const config = loadConfig(process.env);
  if (config.bot.puppet !== 'wechaty-puppet-mock') throw new Error('the fixture needs WECHATY_PUPPET=wechaty-puppet-mock');
  const logger = createLogger({ level: config.log.level, pretty: false, fd: 2 });
  const running = await startBot(config, { logger, printQr: false });
  const mocker = running.mocker!;

  const user = mocker.createContact({ name: 'journal-kefu' });
  const customers = Array.from({ length: count }, (_, i) => {
    const name = `顾客${i + 1}`;
    // Fixed profile fields: createContact would otherwise make up a random city, province, ...
    const contact = mocker.createContact({
      name,
      alias: undefined,
      gender: types.ContactGender.Male,
      province: '浙江',
      city: '杭州',
      avatar: '',
      address: '',
      signature: '',
      phone: [],
      friend: true,
      star: false,
      type: types.Contact.Individual,
    });
    contact.on('message', (m) => {
      if (m.payload.roomId || m.payload.talkerId !== user.id) return;
      appendFileSync(heardFile, `${JSON.stringify({ customer: name, text: m.payload.text ?? '', pid: process.pid })}\n`);
    });
    return contact;
  });

  const loggedIn = new Promise<void>((resolve) => running.bot.once('login', () => resolve()));
  mocker.login(user);
  await loggedIn;
  const say = process.env.JOURNAL_SAY ?? '';
  if (say) for (const c of customers) c.say(say).to(user);

  // stdin is a pipe from the test: commands in, and its end means the test process is gone.
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = JSON.parse(line) as { say?: [number, string] };
    if (cmd.say) customers[cmd.say[0]]!.say(cmd.say[1]).to(user);
  });
  lines.on('close', () => process.exit(1));
  out({ fault: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`journal bot failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
