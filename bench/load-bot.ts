/**
 * The bot process of bench/load.ts: the product's bot (startBot, configured from the environment as
 * in production) on wechaty-puppet-mock, and the mock customers' end of the chat, which has to live
 * where the mock puppet lives. Nothing else runs here: the customers' minds (what to say next, when)
 * and the agents are in the bench process, so this process's CPU and latencies are the bot's.
 *
 *   LOAD_CUSTOMERS  how many mock customers (names 压测顾客0 … N-1)
 *
 * stdout (JSON lines): {"event":"ready","contacts":[contact id of customer 0, …]} once logged in;
 * then {"event":"heard","c":index,"t":text,"at":ms} for every private message the bot's account
 * sends a customer, `at` on the clock `performance.timeOrigin + performance.now()` (comparable
 * across processes of one machine).
 * stdin (JSON lines): ["e", index, message id, text] has that customer send a text with that id;
 * ["loop"] answers {"event":"loop","p50","p99","max"}: the event loop's delay (ms) since the last
 * ["loop"] (or the login). The process exits when stdin closes. SIGTERM stops the bot cleanly.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { types } from 'wechaty';
import { startBot } from '../src/bot/index.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';

const now = (): number => performance.timeOrigin + performance.now();
const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
/** Heard lines of one turn of the event loop, written together: one pipe write, not one per message. */
let heard = '';
const flush = (): void => {
  process.stdout.write(heard);
  heard = '';
};

process.stdin.on('error', () => process.exit(1));
const commands = createInterface({ input: process.stdin });
commands.on('close', () => process.exit(1));

async function main(): Promise<void> {
  const count = Number(process.env.LOAD_CUSTOMERS ?? '0');
  const config = loadConfig(process.env);
  if (config.bot.puppet !== 'wechaty-puppet-mock') throw new Error('the load bench needs WECHATY_PUPPET=wechaty-puppet-mock');
  const logger = createLogger({ level: config.log.level, pretty: false, fd: 2 });
  const running = await startBot(config, { logger, printQr: false });
  const { mocker, bot } = running;
  if (!mocker || !bot) throw new Error('no Wechaty on wechaty-puppet-mock is running');

  const user = mocker.createContact({ name: '闪录客服' });
  const contacts = Array.from({ length: count }, (_, index) => {
    const contact = mocker.createContact({ name: `压测顾客${index}` });
    contact.on('message', (m) => {
      if (m.payload.talkerId !== user.id || m.payload.roomId) return;
      if (heard === '') setImmediate(flush);
      heard += `${JSON.stringify({ event: 'heard', c: index, t: m.payload.text ?? '', at: now() })}\n`;
    });
    return contact;
  });
  const loggedIn = new Promise<void>((resolve) => bot.once('login', () => resolve()));
  mocker.login(user);
  await loggedIn;

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  commands.on('line', (line) => {
    const [op, index, id, text] = JSON.parse(line) as [string, number, string, string];
    if (op === 'loop') {
      out({ event: 'loop', p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
      loop.reset();
      return;
    }
    if (op !== 'e') return;
    const msg = mocker.MessageMock.create({
      type: types.Message.Text,
      timestamp: Date.now(),
      talkerId: contacts[index]!.id,
      listenerId: user.id,
      text,
      id,
    } as never);
    mocker.puppet.emit('message', { messageId: msg.id });
  });
  process.once('SIGTERM', () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  out({ event: 'ready', pid: process.pid, contacts: contacts.map((c) => c.id) });
}

main().catch((err: unknown) => {
  process.stderr.write(`load bot failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
