/**
 * The product's bot as a child process, for tests that SIGKILL it for real (test/fault.test.ts,
 * test/bot/journal-fault.test.ts): started through ./processes.ts `ScriptProcess` as
 * `node --import tsx test/support/bot-process.ts`.
 *
 * startBot on wechaty-puppet-mock, configured from the environment (REDIS_URL, REDIS_PREFIX,
 * BOT_ID, WECHATY_NAME, BOT_JOURNAL_DIR, KB_DIR, LOG_LEVEL, ...), with a logged-in mock account and
 * MOCK_CUSTOMERS mock customers with fixed profiles (name, gender, province, city: the identity
 * fingerprint), so that a restarted process meets "the same" customers under new contact ids, as a
 * re-login on a real puppet would.
 *
 *   MOCK_HEARD      JSONL file: one {"customer","text","pid","at"} line per message a customer hears
 *                   from the bot's account, written with appendFileSync before anything else happens
 *                   (a SIGKILL cannot lose a line the customer already "saw")
 *   MOCK_CUSTOMERS  how many customers (names 客户1 … 客户N)
 *   MOCK_SAY        what each customer says once, right after the login ('' = nothing)
 *
 * stdout: {"event":"ready","pid"} once logged in and every customer has spoken.
 * stdin: JSON lines {"say":[customer index, text]} make that customer say it; the process exits
 * when stdin closes (the test process is gone, however it died). SIGTERM stops the bot cleanly.
 * Logs (LOG_LEVEL) go to stderr.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { types } from 'wechaty';
import { startBot } from '../../src/bot/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ ...o, pid: process.pid })}\n`);

// stdin is a pipe from the test: commands in, and its end means the test process is gone (from the start on).
process.stdin.on('error', () => process.exit(1));
const commands = createInterface({ input: process.stdin });
commands.on('close', () => process.exit(1));
const early: string[] = [];
let onCommand = (line: string): void => void early.push(line);
commands.on('line', (line) => onCommand(line));

async function main(): Promise<void> {
  const heardFile = process.env.MOCK_HEARD;
  if (!heardFile) throw new Error('MOCK_HEARD is required');
  const count = Number(process.env.MOCK_CUSTOMERS ?? '0');
  const config = loadConfig(process.env);
  if (config.bot.puppet !== 'wechaty-puppet-mock') throw new Error('the bot process needs WECHATY_PUPPET=wechaty-puppet-mock');
  const logger = createLogger({ level: config.log.level, pretty: false, fd: 2 });
  const running = await startBot(config, { logger, printQr: false });
  const mocker = running.mocker;
  const bot = running.bot;
  if (!mocker || !bot) throw new Error('no Wechaty on wechaty-puppet-mock is running');

  const user = mocker.createContact({ name: 'mock-kefu' });
  const customers = Array.from({ length: count }, (_, i) => {
    const name = `客户${i + 1}`;
    // Fixed profile fields: createContact would otherwise make up a random city, province, ...
    const contact = mocker.createContact({
      name,
      alias: undefined,
      gender: types.ContactGender.Female,
      province: '广东',
      city: '深圳',
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
      appendFileSync(heardFile, `${JSON.stringify({ customer: name, text: m.payload.text ?? '', pid: process.pid, at: Date.now() })}\n`);
    });
    return contact;
  });

  const loggedIn = new Promise<void>((resolve) => bot.once('login', () => resolve()));
  mocker.login(user);
  await loggedIn;
  const say = process.env.MOCK_SAY ?? '';
  if (say) for (const c of customers) c.say(say).to(user);

  onCommand = (line) => {
    const cmd = JSON.parse(line) as { say?: [number, string] };
    if (cmd.say) customers[cmd.say[0]]!.say(cmd.say[1]).to(user);
  };
  for (const line of early.splice(0)) onCommand(line);
  process.once('SIGTERM', () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  out({ event: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`bot process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
